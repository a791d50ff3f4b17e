"""MainWindow: assembles the model list, the panels, the menus and the status bar.

It holds no panel logic: it opens models through the renderer, hands each panel the loaded
model's capabilities, routes latents between panels, and reports failures as messages.

`deferred=True` (the app) builds the frame first: menus, the Models dock, the status bar and a
"Loading models…" page, from modules that do not import torch, so the window appears at once.
A helper thread imports the panels' modules (torch with them, ~2-7 s on a 2-core machine)
while the render thread imports torch and loads the first model; the panels are then built
on the UI thread (`contents_ready`). Without it (tests) everything is built in __init__.
"""
from __future__ import annotations

import importlib
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget)

from .model_list import ModelList, default_bundled_dir
from .onnx_export import OnnxExporter
from .render import Renderer
from .settings import AppSettings
from .version import version

# (module, class) of each explorer panel, in tab order; imported when the contents are built
PANEL_CLASSES = (("sampling", "SamplingPanel"), ("arithmetic", "ArithmeticPanel"),
                 ("interpolation", "InterpolationPanel"), ("conditional", "ConditionalPanel"),
                 ("codes", "CodesPanel"), ("directions", "DirectionsPanel"), ("probe", "ProbePanel"),
                 ("projector", "ProjectorPanel"))
CONTENT_MODULES = tuple(f".panels.{m}" for m, _ in PANEL_CLASSES) + (
    ".panels.base", ".monitor.view", ".playground.panel", ".training.panel")
APP_TITLE = f"GAN Explorer {version()}"
LOADING_TEXT = "Loading models…"


def import_contents() -> None:
    """Import every module the window's contents need (torch among them)."""
    import pyqtgraph  # noqa: F401
    for name in CONTENT_MODULES:
        importlib.import_module(name, __package__)


def __getattr__(name: str):
    if name == "PANELS":        # the panel classes, for code that lists them (imports torch)
        import_contents()
        return tuple(getattr(importlib.import_module(f".panels.{m}", __package__), c) for m, c in PANEL_CLASSES)
    raise AttributeError(name)


class MainWindow(QMainWindow):
    contents_ready = Signal()          # the panels and tools exist (at once unless deferred)
    _contents_imported = Signal(str)   # helper thread -> UI thread: "" or the import error

    def __init__(self, settings=None, renderer: Renderer | None = None, runs_dir=None, bundled_dir=None,
                 *, deferred: bool = False):
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.settings = settings if isinstance(settings, AppSettings) else AppSettings(settings)
        self.renderer = renderer or Renderer(self)
        self.info = None                   # ModelInfo of the model shown
        self.model_path: str | None = None  # what the user opened (file or run folder)
        self._requested: dict[int, str] = {}
        self._loaded_early = None          # a model that loaded before the panels existed
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None
        self.runs_dir = Path(runs_dir or Path.cwd() / "runs")
        self.panels: dict = {}
        self.hosts: dict = {}
        self.tools: dict = {}
        self.tabs: QTabWidget | None = None
        self.loading = QLabel(LOADING_TEXT)
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.loading)

        self.model_list = ModelList(self.settings, self.runs_dir, Path(bundled_dir or default_bundled_dir()),
                                    deferred=deferred)
        dock = QDockWidget("Models")
        dock.setObjectName("models_dock")
        dock.setWidget(self.model_list)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [260], Qt.Orientation.Horizontal)
        self.models_dock = dock

        # the device is picked on the render thread when the first model loads (CUDA, MPS, else CPU)
        self.device_label = QLabel(f"Device: {self.renderer.device_name or 'when a model loads'}")
        self.device_label.setToolTip("Where models run: a CUDA GPU, else Apple MPS, else the CPU; "
                                     "chosen when the first model loads")
        self.model_label = QLabel(LOADING_TEXT if deferred else "No model")
        for label in (self.model_label, self.device_label):
            label.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(label)
        self._build_menus()
        self._connect()
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        if deferred:
            for action in self._content_actions:
                action.setEnabled(False)
            self._contents_imported.connect(self._on_contents_imported, Qt.ConnectionType.QueuedConnection)
            threading.Thread(target=self._import_contents, name="import-contents", daemon=True).start()
        else:
            import_contents()
            self._build_contents()

    def _import_contents(self) -> None:
        """Helper thread: import (never build) what the contents need, then tell the UI thread."""
        try:
            import_contents()
        except Exception as e:     # reported in the window, never a crash
            self._contents_imported.emit(f"{type(e).__name__}: {e}")
            return
        self._contents_imported.emit("")

    def _on_contents_imported(self, error: str) -> None:
        if error:
            self.loading.setText(f"Could not load the explorer: {error}")
            self.show_error("Could not start", error)
            return
        self._build_contents()
        for action in self._content_actions:
            action.setEnabled(True)

    def _build_contents(self) -> None:
        """The panels, the tools and the tabs (UI thread; their modules are imported already)."""
        from .monitor.view import MonitorView
        from .panels.base import PanelHost
        from .playground.panel import PlaygroundPanel
        from .training.panel import TrainPanel
        import pyqtgraph as pg
        pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
        classes = [getattr(importlib.import_module(f".panels.{m}", __package__), c) for m, c in PANEL_CLASSES]
        self.panels = {cls.name: cls(self.renderer) for cls in classes}
        self.hosts = {name: PanelHost(p) for name, p in self.panels.items()}
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for name, host in self.hosts.items():
            self.tabs.addTab(host, self.panels[name].title)
        # tools that do not show the loaded model (training, monitoring): always available
        self.train_panel = TrainPanel(self.runs_dir)
        self.monitor = MonitorView()
        self.playground = PlaygroundPanel()
        self.tools = {t.name: t for t in (self.train_panel, self.monitor, self.playground)}
        for tool in self.tools.values():
            self.tabs.addTab(tool, tool.title)
        self.setCentralWidget(self.tabs)
        self.loading = None
        self._connect_panels()
        self._update_tabs()
        if self.model_label.text() == LOADING_TEXT:
            self.model_label.setText("No model")
        self.model_list.refresh()
        self.contents_ready.emit()
        if self._loaded_early is not None:
            info, self._loaded_early = self._loaded_early, None
            self._on_renderer_model_loaded(info)

    # ------------------------------------------------------------------ set-up
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open checkpoint or run folder…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_folder_action = QAction("Open run &folder…", self)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.export_action = QAction("&Export image…", self)
        self.export_action.setShortcut(QKeySequence.StandardKey.Save)
        self.export_onnx_action = QAction("Export generator as &ONNX…", self)
        self.export_onnx_action.setEnabled(False)          # until a model has loaded
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_folder_action)
        self.monitor_action = QAction("&Monitor run folder…", self)
        file_menu.insertAction(self.recent_menu.menuAction(), self.monitor_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_onnx_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.models_dock.toggleViewAction())
        self.new_seed_action = QAction("&New seed", self)
        self.new_seed_action.setShortcuts([QKeySequence("N"), QKeySequence("Ctrl+R")])
        view_menu.addAction(self.new_seed_action)
        self._rebuild_recent_menu()
        self._content_actions = (self.export_action, self.new_seed_action, self.monitor_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About GAN Explorer", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(self.about_action)

    def _connect(self) -> None:
        r = self.renderer
        r.model_loaded.connect(self._on_renderer_model_loaded)
        r.model_failed.connect(self._on_renderer_model_failed)
        self.open_action.triggered.connect(self._on_open_triggered)
        self.open_folder_action.triggered.connect(self._on_open_folder_triggered)
        self.export_action.triggered.connect(self._on_export_triggered)
        self.onnx_exporter = OnnxExporter(self)
        self.onnx_exporter.status_message.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.export_onnx_action.triggered.connect(self._on_export_onnx_triggered)
        self.quit_action.triggered.connect(self.close)
        self.new_seed_action.triggered.connect(self._on_new_seed_triggered)
        self.about_action.triggered.connect(self._on_about_triggered)
        self.model_list.model_activated.connect(self._on_model_list_activated)

    def _connect_panels(self) -> None:
        for p in self.panels.values():
            p.status_message.connect(lambda m: self.statusBar().showMessage(m, 5000))
            p.latent_sent.connect(self._on_panel_latent_sent)
        bookmarks = self.panels["arithmetic"].bookmarks
        bookmarks.failed.connect(lambda m: self.show_error("Bookmarks", m))
        self._connect_tools()

    def _connect_tools(self) -> None:
        for tool in self.tools.values():
            tool.status_message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.monitor_action.triggered.connect(self._on_monitor_triggered)
        self.train_panel.run_started.connect(self.monitor.follow)
        self.train_panel.open_requested.connect(self._open_in_explorer)
        self.monitor.revert_requested.connect(self._open_in_explorer)
        self.monitor.resume_requested.connect(self._on_monitor_resume_requested)

    # ------------------------------------------------------------------ model
    def open_model(self, path) -> None:
        """Load a checkpoint file or run folder on the render thread; the current model stays
        until the new one has loaded (or for good, if it fails)."""
        path = str(path)
        self.statusBar().showMessage(f"Loading {path}…")   # first: a sync renderer answers inside load_model
        model_id = self.renderer.load_model(path)
        self._requested[model_id] = path

    def current_panel(self):
        return self.tabs.currentWidget().panel

    def select_panel(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.hosts[name])

    def show_error(self, title: str, message: str, details: str = "") -> None:
        """A non-blocking message box plus a status-bar note (the message's one line); never a
        traceback. `details` is added to the box only."""
        self.last_error = message
        self.statusBar().showMessage(message, 10000)
        message += details
        if self.error_box is None:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        self.error_box.setWindowTitle(title)
        self.error_box.setText(message)
        self.error_box.open()

    def _update_tabs(self) -> None:
        for i, (name, host) in enumerate(self.hosts.items()):
            self.tabs.setTabToolTip(i, "" if host.available else host.message.text())

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _=False, p=path: self.open_model(p))
        self.recent_menu.setEnabled(bool(recent))

    # ------------------------------------------------------------------ handlers
    def _on_renderer_model_loaded(self, info) -> None:
        if self.tabs is None:                    # the panels are still being imported
            self._loaded_early = info
            self.statusBar().showMessage(f"Loaded {info.path}; building the panels…")
            return
        if not getattr(self, "_gc_frozen", False):      # torch is imported now: freeze it, later
            self._gc_frozen = True                       # (off the first image's critical path)
            from . import gui_gc
            QTimer.singleShot(3000, gui_gc.freeze)
        path = self._requested.pop(info.model_id, str(info.path))
        self.info, self.model_path = info, path
        for host in self.hosts.values():
            host.set_model(info)
        self._update_tabs()
        if not self.tabs.currentWidget().available:
            self.select_panel("sampling")
        self.setWindowTitle(f"{info.title} — {APP_TITLE}")
        self.model_label.setText(info.describe())
        self.export_onnx_action.setEnabled(True)
        self.device_label.setText(f"Device: {info.device}")
        self.statusBar().showMessage(f"Loaded {info.path}", 5000)
        self.settings.add_recent(path)
        self.settings.last_model = path
        self._rebuild_recent_menu()
        self.model_list.clear_failure(path)
        self.model_list.refresh()
        self.model_list.set_current(path)

    def _on_renderer_model_failed(self, path: str, message: str) -> None:
        keep = f"\n\nStill showing {self.info.title}." if self.info is not None else ""
        self.model_list.mark_failed(path, message)
        self.show_error("Could not open model", message, keep)

    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "",
                                              "Checkpoints (*.safetensors *.pth *.pt);;All files (*)")
        if path:
            self.open_model(path)

    def _on_open_folder_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open run folder")
        if path:
            self.open_model(path)

    def _on_export_triggered(self) -> None:
        exported = self.current_panel().export_image()
        if exported is None:
            self.statusBar().showMessage("Nothing to export in this panel yet", 5000)
            return
        self.current_panel().save_image_dialog(*exported)

    def _on_export_onnx_triggered(self) -> None:
        if self.info is not None:      # the export thread loads its own copy from the file
            self.onnx_exporter.choose_and_export(self, self.info.path, self.info.title)

    def _on_new_seed_triggered(self) -> None:
        if self.tabs.currentWidget().available:
            self.current_panel().new_seed()

    def _on_about_triggered(self) -> None:
        from .about import AboutDialog
        name = self.renderer.device_name
        if name is None:                   # never import torch on the UI thread for a dialog
            name = self.renderer.engine.device_name if self.tabs is not None else "(still loading)"
        self.about_dialog = AboutDialog(name, self)
        self.about_dialog.open()

    def _on_model_list_activated(self, path: str) -> None:
        if path != self.model_path:
            self.open_model(path)

    def _on_panel_latent_sent(self, target: str, latent) -> None:
        if target in ("A", "B", "C"):
            self.panels["arithmetic"].add_to_slot(target, latent)
        elif target in ("start", "end"):
            self.panels["interpolation"].set_endpoint(target, latent)
        elif target == "bookmark":
            self.panels["arithmetic"].bookmarks.add(latent.note, latent)

    def _on_monitor_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Monitor run folder")
        if path:
            self.monitor.follow(path)
            self.tabs.setCurrentWidget(self.monitor)

    def _open_in_explorer(self, path: str) -> None:
        self.open_model(path)
        self.select_panel("sampling")

    def _on_monitor_resume_requested(self, run_dir: str) -> None:
        self.train_panel.resume_run(run_dir)
        self.tabs.setCurrentWidget(self.train_panel)

    # ------------------------------------------------------------------ Qt events
    def dragEnterEvent(self, event) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_model(files[0])

    def closeEvent(self, event) -> None:
        if self.tabs is not None:
            if not self.train_panel.confirm_close():
                event.ignore()
                return
            self.monitor.stop()
            self.playground.shutdown()
            self.panels["projector"].shutdown()
        self.settings.set_geometry(self.saveGeometry())
        self.settings.sync()
        self.renderer.close()
        super().closeEvent(event)
