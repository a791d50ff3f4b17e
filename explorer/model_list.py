"""ModelList: the side list of models to open: bundled, recent, and runs under ./runs/.

Entries are described from checkpoint headers only (`read_header`: no tensors are read), so
the list stays quick with many runs. Clicking an entry asks the window to open it.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gan_models.errors import GanExplorerError

PATH_ROLE = Qt.ItemDataRole.UserRole


def default_bundled_dir() -> Path:
    """resources/models beside the package (source tree) or inside a PyInstaller bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / "models"


def find_runs(runs_dir: Path) -> list[Path]:
    """Run folders that have a latest checkpoint, newest first."""
    if not runs_dir.is_dir():
        return []
    runs = [p for p in runs_dir.iterdir() if (p / "checkpoints" / "latest.safetensors").is_file()]
    return sorted(runs, key=lambda p: (p / "checkpoints" / "latest.safetensors").stat().st_mtime, reverse=True)


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

    def __init__(self, settings, runs_dir: Path, bundled_dir: Path, parent=None):
        super().__init__(parent)
        self.settings, self.runs_dir, self.bundled_dir = settings, Path(runs_dir), Path(bundled_dir)
        self.current: str | None = None
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
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        bundled = sorted(self.bundled_dir.glob("*.safetensors")) if self.bundled_dir.is_dir() else []
        self._group("Bundled models", [(p.stem, p) for p in bundled],
                    "No bundled models in this build. Open a checkpoint (Ctrl+O) or train one: "
                    "gan-explorer train --help")
        recent = [Path(p) for p in self.settings.recent_files()]
        self._group("Recent", [(_name(p), p) for p in recent], "Models you open appear here.")
        runs = find_runs(self.runs_dir)
        self._group(f"Runs in {self.runs_dir}", [(p.name, p) for p in runs],
                    "No runs yet. Runs written by gan-explorer train appear here.")
        listed = {_key(p) for p in bundled + recent + runs}
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
            details, error = describe(path)
            error = self.failures.get(_key(path), error)
            item = QTreeWidgetItem()
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
