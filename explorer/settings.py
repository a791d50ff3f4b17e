"""What the app remembers between runs: recent models, the last model, window geometry.

A thin wrapper over a QSettings that the caller owns, so tests pass one backed by a file in
a temporary folder and never touch the user's settings.
"""
from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings()

    def recent_files(self) -> list[str]:
        raw = self.q.value("recent_files", "[]")
        try:
            items = json.loads(raw) if isinstance(raw, str) else []
        except json.JSONDecodeError:
            items = []
        return [s for s in items if isinstance(s, str)]

    def add_recent(self, path: str) -> None:
        items = [path] + [p for p in self.recent_files() if p != path]
        self.q.setValue("recent_files", json.dumps(items[:MAX_RECENT]))

    def remove_recent(self, path: str) -> None:
        self.q.setValue("recent_files", json.dumps([p for p in self.recent_files() if p != path]))

    @property
    def last_model(self) -> str | None:
        v = self.q.value("last_model", "")
        return v or None

    @last_model.setter
    def last_model(self, path: str | None) -> None:
        self.q.setValue("last_model", path or "")

    def geometry(self) -> QByteArray | None:
        v = self.q.value("window/geometry")
        return v if isinstance(v, QByteArray) else None

    def set_geometry(self, data: QByteArray) -> None:
        self.q.setValue("window/geometry", data)

    def sync(self) -> None:
        self.q.sync()
