"""ModelList: the side list of models to open: bundled, recent, and runs under ./runs/.

Entries are described from checkpoint headers only (`read_header`: no tensors are read), so
the list stays quick with many runs. Clicking an entry asks the window to open it.

The runs group updates by itself: a QFileSystemWatcher on the runs folder and on each run
folder, its checkpoints folder and events.jsonl (a run appears when its trainer writes
config.json and shows running / finished / stopped / diverged from its events), plus a slow
poll as a fallback where the watcher sees nothing (network file systems, a runs folder that
does not exist yet). Either only schedules a check; the list is rebuilt only when
`runs_scan.signature` changed.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QFileSystemWatcher, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gan_models.errors import GanExplorerError

from . import runs_scan

PATH_ROLE = Qt.ItemDataRole.UserRole


def default_bundled_dir() -> Path:
    """resources/models beside the package (source tree) or inside a PyInstaller bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / "models"


def find_runs(runs_dir: Path) -> list[Path]:
    """Run folders (config.json or a latest checkpoint), newest first."""
    return runs_scan.run_folders(runs_dir)


def describe_run(entry: runs_scan.RunEntry) -> tuple[str, str | None]:
    """("running · dcgan · digits · step 1200", None): the state, then the checkpoint's header,
    or config.json's model and data set before the first checkpoint."""
    if entry.has_checkpoint:
        details, error = describe(entry.path)
    else:
        details, error = _describe_config(entry.path), None
        if entry.step:
            details += f" · step {entry.step}"
        details += " · no checkpoint yet"
    state = entry.state_text()
    return (f"{state} · {details}" if state and details else state or details), error


def _describe_config(run: Path) -> str:
    import json
    try:
        cfg = json.loads((run / "config.json").read_text())
    except (OSError, ValueError):
        return "starting"
    model = cfg.get("model") if isinstance(cfg.get("model"), str) else (cfg.get("model") or {}).get("kind")
    data = cfg.get("dataset") if isinstance(cfg.get("dataset"), str) else (cfg.get("train") or {}).get("dataset")
    return " · ".join(str(b) for b in (model, data) if b) or "starting"


def describe(path: Path) -> tuple[str, str | None]:
    """("dcgan · digits · step 1200", None) or ("", reason) when the header is unreadable."""
    from gan_models.checkpoint import read_header
    try:
        cfg, meta = read_header(path)
    except (GanExplorerError, OSError) as e:
        return "", str(e)
    bits = [cfg.kind, str(meta.get("dataset") or "x".join(map(str, cfg.data_shape)))]
    if meta.get("step"):
        bits.append(f"step {meta['step']}")
    return " · ".join(bits), None


class ModelList(QWidget):
    model_activated = Signal(str)        # a checkpoint file or run folder to open
    POLL_MS = 5000                       # the fallback: how often the runs folder is checked
    SETTLE_MS = 150                      # file-system events within this are one check

    def __init__(self, settings, runs_dir: Path, bundled_dir: Path, parent=None, *, deferred: bool = False,
                 watch: bool = True, poll_ms: int | None = None):
        super().__init__(parent)
        self.settings, self.runs_dir, self.bundled_dir = settings, Path(runs_dir), Path(bundled_dir)
        self.current: str | None = None
        self._runs_signature = None
        self.watcher = QFileSystemWatcher(self) if watch else None
        if self.watcher is not None:
            self.watcher.directoryChanged.connect(self._on_watcher_changed)
            self.watcher.fileChanged.connect(self._on_watcher_changed)
        self._settle = QTimer(self, singleShot=True, interval=self.SETTLE_MS)
        self._settle.timeout.connect(self.check_runs)
        self.poll_timer = QTimer(self, interval=poll_ms or self.POLL_MS)
        self.poll_timer.timeout.connect(self.check_runs)
        self.failures: dict[str, str] = {}   # resolved path -> why it did not load (this session)
        self._failed_paths: dict[str, Path] = {}
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(200)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look for new runs and checkpoints")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.refresh_button)
        self.tree.viewport().installEventFilter(self)   # re-fit wrapped rows when the width changes
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.tree.itemActivated.connect(self._on_tree_item_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        if deferred:      # entries are described from checkpoint headers: that loader imports torch
            self._group("Loading models…", [], "Bundled models, recent files and runs appear here.")
            self.refresh_button.setEnabled(False)
        else:
            self.refresh()

    def check_runs(self) -> None:
        """Rebuild the list if the runs folder shows something new (a run, an event, a
        checkpoint); re-arm the watcher on what exists now."""
        if runs_scan.signature(self.runs_dir) != self._runs_signature:
            self.refresh()
        else:
            self._watch()

    def _on_watcher_changed(self, _path: str) -> None:
        self._settle.start()

    def _watch(self) -> None:
        if self.watcher is None:
            return
        want = [self.runs_dir]
        for run in runs_scan.run_folders(self.runs_dir):
            want += [run, run / "checkpoints", run / "events.jsonl"]
        want = {str(p) for p in want if p.exists()}
        have = set(self.watcher.files()) | set(self.watcher.directories())
        if have - want:
            self.watcher.removePaths(sorted(have - want))
        if want - have:
            self.watcher.addPaths(sorted(want - have))

    def refresh(self) -> None:
        self.refresh_button.setEnabled(True)
        self._runs_signature = runs_scan.signature(self.runs_dir)
        self._watch()
        if not self.poll_timer.isActive():
            self.poll_timer.start()
        self.tree.clear()
        bundled = sorted(self.bundled_dir.glob("*.safetensors")) if self.bundled_dir.is_dir() else []
        self._group("Bundled models", [(p.stem, p) for p in bundled],
                    "No bundled models in this build. Open a checkpoint (Ctrl+O) or train one: "
                    "gan-explorer train --help")
        recent = [Path(p) for p in self.settings.recent_files()]
        self._group("Recent", [(_name(p), p) for p in recent], "Models you open appear here.")
        runs = runs_scan.scan(self.runs_dir)
        self._group(f"Runs in {self.runs_dir}", [(r.name, r) for r in runs],
                    "No runs yet. Runs you start in the Train tab or with gan-explorer train appear "
                    "here as they start.")
        listed = {_key(p) for p in bundled + recent + [r.path for r in runs]}
        failed = [p for k, p in self._failed_paths.items() if k not in listed]
        if failed:
            self._group("Could not open", [(_name(p), p) for p in failed], "")
        self.tree.expandAll()
        self._fit_rows()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_rows()
        return False

    def _fit_rows(self) -> None:
        """Item widgets wrap their text: size each row to the height it needs at this width."""
        width = self.tree.viewport().width() - self.tree.indentation()   # entries sit one level deep
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                item = group.child(i)
                w = self.tree.itemWidget(item, 0)
                if w is not None:
                    item.setSizeHint(0, QSize(width, w.heightForWidth(width)))

    def set_current(self, path: str | None) -> None:
        """Show which entry is loaded (bold)."""
        self.current = path
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                item = group.child(i)
                label = self.tree.itemWidget(item, 0)
                if isinstance(label, _EntryLabel):
                    label.set_bold(path is not None and _same(item.data(0, PATH_ROLE), path))

    def mark_failed(self, path: str, message: str) -> None:
        """A file that failed to load shows why in its entry until it loads; one not listed
        elsewhere is listed under "Could not open" (this session only, never saved)."""
        self.failures[_key(path)] = message
        self._failed_paths[_key(path)] = Path(path)
        self.refresh()
        self.set_current(self.current)

    def clear_failure(self, path: str) -> None:
        self.failures.pop(_key(path), None)
        self._failed_paths.pop(_key(path), None)

    def entries(self, group: int) -> list[str]:
        g = self.tree.topLevelItem(group)
        return [g.child(i).data(0, PATH_ROLE) for i in range(g.childCount()) if g.child(i).data(0, PATH_ROLE)]

    def entry_text(self, group: int, index: int) -> str:
        """The text shown for an entry (name and details), as a user reads it."""
        label = self.tree.itemWidget(self.tree.topLevelItem(group).child(index), 0)
        return "\n".join(t for t in (label.name.text(), label.details.text()) if t)

    def _group(self, title: str, entries: list, empty_hint: str) -> None:
        group = QTreeWidgetItem([title])
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.addTopLevelItem(group)
        if not entries:
            hint = QTreeWidgetItem()
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            group.addChild(hint)
            self.tree.setItemWidget(hint, 0, _EntryLabel("", empty_hint))
            return
        for name, path in entries:
            run = path if isinstance(path, runs_scan.RunEntry) else None
            details, error = describe_run(run) if run else describe(path)
            path = run.path if run else path
            error = self.failures.get(_key(path), error)
            item = QTreeWidgetItem()
            if run is None or run.has_checkpoint:        # nothing to open before the first checkpoint
                item.setData(0, PATH_ROLE, str(path))
            item.setToolTip(0, f"{path}\n{error}" if error else str(path))
            group.addChild(item)
            self.tree.setItemWidget(item, 0, _EntryLabel(name, _reason(path, error) if error else details))

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        path = item.data(0, PATH_ROLE)
        if path:
            self.model_activated.emit(path)


class _EntryLabel(QWidget):
    """Two lines: the entry's name, and its details in the palette's placeholder colour."""

    def __init__(self, name: str, details: str):
        super().__init__()
        self.name = QLabel(name)
        self.details = QLabel(details)
        self.details.setWordWrap(True)
        self.details.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        small = QFont(self.details.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.details.setFont(small)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(0)
        if name:
            lay.addWidget(self.name)
        lay.addWidget(self.details)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def set_bold(self, on: bool) -> None:
        f = self.name.font()
        f.setBold(on)
        self.name.setFont(f)


def _name(p: Path) -> str:
    """A run folder or a checkpoint inside one is named after the run."""
    if p.is_dir():
        return p.name
    if p.parent.name == "checkpoints":
        return f"{p.parent.parent.name} / {p.stem}"
    return p.name


def _same(a: str | None, b: str) -> bool:
    if not a:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def _key(p) -> str:
    try:
        return str(Path(p).resolve())
    except OSError:
        return str(p)


def _reason(path, error: str) -> str:
    """The one-line reason, without the path the entry already names."""
    for prefix in (f"{path}: ", f"{_key(path)}: "):
        if error.startswith(prefix):
            error = error[len(prefix):]
            break
    return f"not loaded: {error.splitlines()[0] if error else ''}"
