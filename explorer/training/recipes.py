"""RecipeList: where the Train tab starts. One entry per bundled recipe
(`resources/recipes/*.toml`): its name, what it trains (the recipe's `[about] description`)
and how long it takes on this machine (filled in when measured, `set_estimate`); and a first
entry for your own settings.

It answers like the combo box it replaced (`findText`, `setCurrentIndex`, `currentData`,
`currentIndexChanged`), so the form reads a recipe the same way from either.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QStyledItemDelegate

from gan_models.errors import GanExplorerError

PATH_ROLE = Qt.ItemDataRole.UserRole
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
ABOUT_ROLE = Qt.ItemDataRole.UserRole + 2
TIME_ROLE = Qt.ItemDataRole.UserRole + 3
OWN = "Your own settings"


def recipe_about(path) -> str:
    """What a recipe trains: its [about] description, else 'model on dataset'."""
    from train.config import _toml_load
    try:
        data = _toml_load(Path(path))
    except GanExplorerError as e:
        return str(e)
    about, train = data.get("about", {}), data.get("train", {})
    return str(about.get("description") or f"{train.get('model', '?')} on {train.get('dataset', '?')}")


class _WrappedItems(QStyledItemDelegate):
    """Item heights from the text wrapped at the list's current width (Qt's own estimate
    used a stale width and cut the second line with "…")."""

    def sizeHint(self, option, index):                              # noqa: N802 (Qt's name)
        view = self.parent()
        width = max(view.viewport().width() - 2 * view.spacing() - 12, 60)
        r = option.fontMetrics.boundingRect(QRect(0, 0, width, 100000), Qt.TextFlag.TextWordWrap,
                                            str(index.data() or ""))
        return QSize(width, r.height() + 8)


class RecipeList(QListWidget):
    currentIndexChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(2)
        self.setAlternatingRowColors(True)
        # wrapped two-line items: lay them out again at every width (else a text measured at one
        # width is cut with "…" at another)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setItemDelegate(_WrappedItems(self))
        self.setMinimumWidth(220)
        self.currentRowChanged.connect(self.currentIndexChanged.emit)
        self.addItem("(none)", None)
        self.setCurrentRow(0)

    def addItem(self, name: str, path: str | None = None) -> None:        # noqa: N802 (Qt's name)
        item = QListWidgetItem()
        item.setData(PATH_ROLE, path)
        item.setData(NAME_ROLE, name)
        item.setData(ABOUT_ROLE, recipe_about(path) if path else "Start from the settings on the right: "
                                                                 "model, data set, length; the rest under Advanced")
        item.setData(TIME_ROLE, "" if path else None)
        super().addItem(item)
        self._render(item)

    def add_recipes(self, folder: Path) -> None:
        for p in sorted(Path(folder).glob("*.toml")):
            self.addItem(p.stem, str(p))

    # ------------------------------------------------------------------ the combo box's answers
    def findText(self, name: str) -> int:                                  # noqa: N802
        return next((i for i in range(self.count()) if self.item(i).data(NAME_ROLE) == name), -1)

    def itemText(self, i: int) -> str:                                     # noqa: N802
        return self.item(i).data(NAME_ROLE)

    def setCurrentIndex(self, i: int) -> None:                             # noqa: N802
        self.setCurrentRow(i)

    def currentIndex(self) -> int:                                         # noqa: N802
        return self.currentRow()

    def currentData(self):                                                 # noqa: N802
        item = self.currentItem()
        return item.data(PATH_ROLE) if item else None

    def currentText(self) -> str:                                          # noqa: N802
        item = self.currentItem()
        return item.data(NAME_ROLE) if item else ""

    # ------------------------------------------------------------------ estimates
    def recipes(self) -> list[tuple[str, str]]:
        """(name, path) of every recipe entry."""
        return [(self.item(i).data(NAME_ROLE), self.item(i).data(PATH_ROLE)) for i in range(self.count())
                if self.item(i).data(PATH_ROLE)]

    def set_estimate(self, name: str, text: str, tip: str = "") -> None:
        """Show `text` (e.g. '~4 min (est.)', 'measuring…') beside the recipe `name`."""
        i = self.findText(name)
        if i >= 0:
            item = self.item(i)
            item.setData(TIME_ROLE, text)
            item.setToolTip(tip)
            self._render(item)

    def estimate_text(self, name: str) -> str:
        i = self.findText(name)
        return (self.item(i).data(TIME_ROLE) or "") if i >= 0 else ""

    def _render(self, item: QListWidgetItem) -> None:
        name, time_text = item.data(NAME_ROLE), item.data(TIME_ROLE)
        head = OWN if item.data(PATH_ROLE) is None else name
        if time_text:
            head += f"   ·   {time_text}"
        item.setText(f"{head}\n{item.data(ABOUT_ROLE)}")


def recipe_toml(tables: dict) -> str:
    """A tiny TOML writer for recipe tables (numbers, strings, booleans, lists of numbers)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return repr(v)
    lines = []
    for name, table in tables.items():
        if table:
            lines.append(f"[{name}]")
            lines += [f"{k} = {value(v)}" for k, v in table.items()]
            lines.append("")
    return "\n".join(lines)
