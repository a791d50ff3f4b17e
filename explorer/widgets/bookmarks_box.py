"""BookmarksBox: named latents the user keeps, sent to slots or endpoints, saved as JSON."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QVBoxLayout)

from gan_models.errors import GanExplorerError, write_reason

from ..bookmarks import BookmarkError, check_fits, load_bookmarks, save_bookmarks
from ..latents import Latent
from ..model_session import ModelInfo


class BookmarksBox(QGroupBox):
    send_requested = Signal(str, object)   # target, Latent
    failed = Signal(str)                   # a message for the user
    message = Signal(str)                  # a short note for the status bar

    def __init__(self, parent=None):
        super().__init__("Bookmarks", parent)
        self.info: ModelInfo | None = None
        self.list = QListWidget()
        self.list.setToolTip("Named latents; select one and send it to a slot or an endpoint")
        self.name = QLineEdit()
        self.name.setPlaceholderText("name")
        self.add_button = QPushButton("Bookmark result")
        self.add_button.setToolTip("Keep the current A − B + C result under this name")
        targets = QGridLayout()
        self.send_buttons = {}
        for i, (t, text) in enumerate((("A", "→ A"), ("B", "→ B"), ("C", "→ C"),
                                       ("start", "→ Start"), ("end", "→ End"))):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, t=t: self._on_send_clicked(t))
            targets.addWidget(b, i // 3, i % 3)
            self.send_buttons[t] = b
        self.remove_button = QPushButton("Remove")
        targets.addWidget(self.remove_button, 1, 2)
        files = QHBoxLayout()
        self.load_button, self.save_button = QPushButton("Load…"), QPushButton("Save…")
        files.addWidget(self.load_button)
        files.addWidget(self.save_button)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.add_button)
        lay = QVBoxLayout(self)
        lay.addLayout(name_row)
        lay.addWidget(self.list, 1)
        lay.addLayout(targets)
        lay.addLayout(files)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.load_button.clicked.connect(self._on_load_clicked)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    # ------------------------------------------------------------------ API
    def bookmarks(self) -> list[tuple[str, Latent]]:
        return [(self.list.item(i).text(), self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())]

    def add(self, name: str, latent: Latent) -> None:
        item = QListWidgetItem(name or latent.note or f"bookmark {self.list.count() + 1}")
        item.setData(Qt.ItemDataRole.UserRole, latent)
        item.setToolTip(latent.describe(self.info))
        self.list.addItem(item)
        self.list.setCurrentItem(item)

    def save(self, path) -> None:
        save_bookmarks(path, self.bookmarks())
        self.message.emit(f"Saved {self.list.count()} bookmarks to {path}")

    def load(self, path) -> None:
        """Replace the list with a file's bookmarks; a bad file raises BookmarkError, list unchanged."""
        items = load_bookmarks(path, self.info)
        self.list.clear()
        for name, x in items:
            self.add(name, x)
        self.message.emit(f"Loaded {len(items)} bookmarks from {path}")

    def set_model(self, info: ModelInfo) -> None:
        """Keep the bookmarks that fit the new model; hide (drop) the rest."""
        self.info = info
        keep = []
        for name, x in self.bookmarks():
            try:
                check_fits(x, info)
                keep.append((name, x))
            except BookmarkError:
                pass
        self.list.clear()
        for name, x in keep:
            self.add(name, x)

    # ------------------------------------------------------------------ handlers
    def _selected(self) -> Latent | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_buttons(self) -> None:
        on = self._selected() is not None
        for b in (*self.send_buttons.values(), self.remove_button):
            b.setEnabled(on)

    def _on_send_clicked(self, target: str) -> None:
        x = self._selected()
        if x is not None:
            self.send_requested.emit(target, x)

    def _on_remove_clicked(self) -> None:
        self.list.takeItem(self.list.currentRow())

    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load bookmarks", "", "Bookmarks (*.json)")
        if path:
            try:
                self.load(path)
            except BookmarkError as e:
                self.failed.emit(str(e))

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save bookmarks", "bookmarks.json", "Bookmarks (*.json)")
        if path:
            try:
                self.save(path)
            except GanExplorerError as e:        # OutputError: read-only folder, disk full (one line)
                self.failed.emit(str(e))
            except OSError as e:
                self.failed.emit(f"{path}: could not be written ({write_reason(e)})")
