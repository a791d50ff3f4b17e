"""File > Export generator as ONNX…: a save dialog, then `gan_models.onnx_export` off the UI thread.

The export thread loads its own copy of the checkpoint from disk, so no `nn.Module` is shared
with the render thread, and the model on screen is never touched. It reports back through a
queued signal (as `render.Renderer` does); the window shows what was written, or why not, in
the status bar. The file is written atomically, so an export cut short by quitting the app
leaves no half-written .onnx behind.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog

from gan_models.errors import GanExplorerError


def describe(summary) -> str:
    """One status-bar line: the file, its inputs and its output."""
    ins = ", ".join(f"{t.name} ({', '.join(map(str, t.shape))})" for t in summary.inputs)
    out = summary.outputs[0]
    return (f"Wrote {summary.path} ({summary.size_bytes / 1e6:.2f} MB): {ins} → "
            f"{out.name} ({', '.join(map(str, out.shape))}) {out.doc}")


class OnnxExporter(QObject):
    status_message = Signal(str)    # progress and outcome, for the status bar
    exported = Signal(object)       # gan_models.onnx_export.OnnxSummary of the file written
    export_failed = Signal(str)     # one-line reason
    _finished = Signal(object, str)  # internal: export thread -> UI thread (summary or None, message)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def choose_and_export(self, parent, model_path, suggested_name: str) -> bool:
        """Ask where to save, then start the export; False if cancelled or one is running."""
        if self.busy:
            self.status_message.emit("An ONNX export is still running")
            return False
        path, _ = QFileDialog.getSaveFileName(parent, "Export generator as ONNX", f"{suggested_name}.onnx",
                                              "ONNX models (*.onnx)")
        if not path:
            return False
        if Path(path).suffix.lower() != ".onnx":    # not every platform's dialog appends it
            path += ".onnx"
        self.start(model_path, path)
        return True

    def start(self, model_path, out_path) -> None:
        self.status_message.emit(f"Exporting the generator to {out_path}…")
        self._thread = threading.Thread(target=self._run, args=(str(model_path), str(out_path)),
                                        name="onnx export", daemon=True)
        self._thread.start()

    def _run(self, model_path: str, out_path: str) -> None:
        summary, message = None, ""
        try:
            from gan_models.onnx_export import export_onnx
            summary = export_onnx(model_path, out_path)
        except GanExplorerError as e:
            message = f"ONNX export failed: {e}"
        except Exception as e:  # the export thread never takes the window down
            message = f"ONNX export failed: {type(e).__name__}: {e}"
        try:
            self._finished.emit(summary, message)
        except RuntimeError:    # the window was closed meanwhile
            pass

    def _on_finished(self, summary, message: str) -> None:
        if summary is None:
            self.status_message.emit(message)
            self.export_failed.emit(message)
        else:
            self.status_message.emit(describe(summary))
            self.exported.emit(summary)
