"""ProjectorPanel: image -> z. Open or drop an image (or take a held-out data set sample), find
the latent whose image matches it, watch the reconstruction and the loss live, then send the
latent to an arithmetic slot, an interpolation endpoint or the bookmarks.

The search (train.projector) runs on a ProjectorWorker thread with its own copy of the model;
this panel only keeps the newest progress and draws it from a 20 Hz timer.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from gan_models.errors import GanExplorerError
from gan_models.images import make_grid, to_uint8

from ..latents import Latent
from ..widgets.controls import SeedBox, StaticText
from ..widgets.image_view import ImageGridView
from ..widgets.sample_inspector import send_box
from .base import Panel, side_column
from .projector_worker import ProjectorWorker

IMAGE_FILES = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
REFRESH_MS = 50        # live view and curve redraw period (20 Hz)


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    return s


def _titled(title: str, view: QWidget) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lay.addWidget(label)
    lay.addWidget(view, 1)
    return box


class ProjectorPanel(Panel):
    name, title = "projector", "Projector"
    projection_finished = Signal(object)     # ProjectionResult (also after Cancel: the best so far)

    def __init__(self, renderer, parent=None):
        super().__init__(renderer, parent)
        from train.projector import ProjectorConfig
        from train.project_cli import HELD_OUT_N
        self.defaults = ProjectorConfig(report_every=5)
        self.worker: ProjectorWorker | None = None
        self.target = None                  # (C, H, W) tensor in [-1, 1] at the model's shape
        self.source: tuple | None = None    # ("file", path) or ("data", index): re-read for a new model
        self.result = None                  # the last ProjectionResult
        self.target_note = ""               # where the target came from, for notes and bookmarks
        self._run = 0                       # number of the newest run: older runs' reports are dropped
        self._steps: list[int] = []         # the loss curve (at most steps / report_every points)
        self._losses: list[float] = []
        self._live = None                   # newest reconstruction not drawn yet
        self._dirty = False
        self._busy = False
        self.setAcceptDrops(True)

        self.open_button = QPushButton("Open image…")
        self.sample_index = _spin(0, HELD_OUT_N - 1, 0, "Index of a held-out sample of the model's "
                                  "data set (images it was not trained on)")
        self.sample_button = QPushButton("Use data set sample")
        self.invert = QCheckBox("Invert (dark ink on light paper)")
        source = QGroupBox("Image")
        sl = QGridLayout(source)
        sl.addWidget(self.open_button, 0, 0, 1, 2)
        sl.addWidget(self.sample_button, 1, 0)
        sl.addWidget(self.sample_index, 1, 1)
        sl.addWidget(self.invert, 2, 0, 1, 2)
        sl.addWidget(QLabel("…or drop an image file here."), 3, 0, 1, 2)

        d = self.defaults
        self.steps = _spin(10, 5000, d.steps, "Adam steps on z")
        self.restarts = _spin(1, 16, d.restarts, "Starting points per candidate class / code; the best is kept")
        self.seed = SeedBox(d.seed)
        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        search = QGroupBox("Search")
        form = QFormLayout(search)
        form.addRow("Steps", self.steps)
        form.addRow("Restarts", self.restarts)
        form.addRow(self.seed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)

        self.status = StaticText(5)
        send, self.send_buttons = send_box("Send result to", self.send)

        self.target_view = ImageGridView(placeholder="Open, drop or pick an image", min_side=140, fit_height=True)
        self.recon_view = ImageGridView(placeholder="Press Start", min_side=140, fit_height=True)
        self.plot = self._loss_plot()
        self.curve = self.plot.plot(pen=self._pg.mkPen("#1f77b4", width=2))
        images = QHBoxLayout()
        images.addWidget(_titled("Target", self.target_view), 1)
        images.addWidget(_titled("Reconstruction G(z)", self.recon_view), 1)
        right = QVBoxLayout()
        right.addLayout(images)
        right.addWidget(self.plot, 1)
        lay = QHBoxLayout(self)
        lay.addWidget(side_column(source, search, self.status, send))
        lay.addLayout(right, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.sample_button.clicked.connect(lambda: self.use_sample(self.sample_index.value()))
        self.invert.toggled.connect(lambda _: self._reload_source())
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self._update_buttons()

    def _loss_plot(self):
        import pyqtgraph as pg   # lazily: only when the panel is built
        self._pg = pg
        from ..widgets.log_axis import LogAxis      # labels a narrow loss range too
        plot = pg.PlotWidget(background=None, axisItems={"left": LogAxis(orientation="left")})
        text = self.palette().color(self.foregroundRole())
        for side in ("left", "bottom"):
            plot.getAxis(side).setPen(pg.mkPen(text))
            plot.getAxis(side).setTextPen(pg.mkPen(text))
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.setLogMode(y=True)
        plot.setLabel("bottom", "step")
        plot.setLabel("left", "loss of the best restart")
        plot.setMinimumHeight(160)
        plot.setDownsampling(mode="peak")
        plot.setClipToView(True)
        return plot

    # ------------------------------------------------------------------ model
    @staticmethod
    def unavailable_reason(info) -> str | None:
        if not info.is_image:
            return "The projector finds the latent of an image; this model makes points."
        return None

    def set_model(self, info) -> None:
        self.shutdown()                 # cancelled between two steps: a short wait
        self._run += 1                  # whatever it still reports is dropped
        super().set_model(info)
        self.result, self.target = None, None          # a target of the old model's shape is no use
        self.recon_view.set_image(None)
        self.target_view.set_image(None)
        self._clear_curve()
        from train.data import BUILTIN
        has_data = str(info.meta.get("dataset") or "").lower() in BUILTIN
        self.sample_button.setEnabled(has_data)
        self.sample_button.setToolTip("" if has_data else "This model's data set is not built in; open an image")
        losses = "pixel + D features" if info.has_discriminator else \
            "pixel only (this file has no discriminator)"
        self._say(f"Losses: {losses}.")
        if self.source is None and has_data:
            self.use_sample(self.sample_index.value())
        else:
            self._reload_source()
        self._update_buttons()

    def new_seed(self) -> None:
        self.seed.new_seed()

    # ------------------------------------------------------------------ the target
    def open_image(self, path) -> bool:
        """Make an image file the target; a bad file is reported, the old target stays."""
        return self._set_source(("file", str(path)))

    def use_sample(self, index: int) -> bool:
        self.sample_index.setValue(index)
        return self._set_source(("data", int(index)))

    def _reload_source(self) -> None:
        if self.source is not None and self.info is not None:
            self._set_source(self.source)

    def _set_source(self, source: tuple) -> bool:
        if self.info is None:
            return False
        from train.project_cli import dataset_target
        from train.projector import load_image, prepare_target
        shape = self.info.output_shape
        try:
            if source[0] == "file":
                target = prepare_target(load_image(source[1]), shape, self.invert.isChecked())
                note = Path(source[1]).name
            else:
                name = str(self.info.meta.get("dataset")).lower()
                target, _ = dataset_target(f"{name}:{source[1]}", shape)
                target = -target if self.invert.isChecked() else target
                note = f"{name} sample {source[1]}"
        except GanExplorerError as e:
            self._say(str(e))
            self.status_message.emit(str(e))
            return False
        self.source, self.target, self.target_note = source, target, note
        self.target_view.set_image(to_uint8(target[None])[0])
        self._update_buttons()
        return True

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        """A run has started and not reported its end (its thread may linger a moment after)."""
        return self._busy

    def start(self) -> None:
        if self.info is None or self.target is None or self.running:
            return
        if self.worker is not None:
            self.worker.wait()                       # the last run's thread, already past its end
            self.worker.deleteLater()
        from dataclasses import replace
        cfg = replace(self.defaults, steps=self.steps.value(), restarts=self.restarts.value(),
                      seed=self.seed.value())
        self.result = None
        self._clear_curve()
        self._run += 1
        self.worker = ProjectorWorker(self._run, self.info.path, self.target.clone(), cfg, self)
        self.worker.progressed.connect(self._on_worker_progressed)
        self.worker.finished_ok.connect(self._on_worker_finished)
        self.worker.failed.connect(self._on_worker_failed)
        self._say(f"Projecting {self.target_note}…")
        self._busy = True
        self.worker.start()
        self.timer.start()
        self._update_buttons()

    def cancel(self) -> None:
        if self.running:
            self.worker.cancel()
            self._say("Cancelling…")

    def shutdown(self) -> None:
        """Stop a running projection and wait for its thread (window closing)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        self._busy = False

    def prepare_screenshot(self):
        """For `gan-explorer screenshot`: run a projection; returns 'is it done?'."""
        if self.sample_button.isEnabled():
            self.use_sample(4)          # a typical one (sample 0, a crossed 7, is one the CGAN draws badly)
        self.start()
        return lambda: self.result is not None and not self.running

    def send(self, target: str) -> None:
        x = self.latent()
        if x is not None:
            self.latent_sent.emit(target, x)
            self.status_message.emit(f"Sent {x.note} to {target}")

    def latent(self) -> Latent | None:
        r, info = self.result, self.info
        if r is None or info is None:
            return None
        label = None if r.label is None else np.eye(info.num_classes, dtype=np.float32)[r.label]   # (K,)
        return Latent(r.z.copy(), label, None if r.codes is None else r.codes.copy(),
                      note=f"projected {self.target_note}")

    def export_image(self):
        if self.result is None or self.recon_view.array() is None:
            return None
        pair = make_grid(np.stack([self.target_view.array(), self.recon_view.array()]), 2)
        meta = self.base_metadata()
        meta.update({"projected from": self.target_note, "z": str([round(float(v), 6) for v in self.result.z]),
                     "found": self.result.describe(list(self.info.class_names))})
        return pair, meta, "projection.png"

    # ------------------------------------------------------------------ worker and timer
    def _on_worker_progressed(self, run: int, step: int, loss: float, image) -> None:
        if run != self._run:
            return                                  # a cancelled run of another model
        self._steps.append(step)
        self._losses.append(max(loss, 1e-12))       # log axis
        self._live, self._dirty = image, True

    def _on_worker_finished(self, run: int, result, image) -> None:
        if run != self._run:
            return
        self.result, self._busy = result, False
        self._live, self._dirty = image, True
        self._on_timer_timeout()
        self.timer.stop()
        head = f"Cancelled at step {result.steps_done}; best so far" if result.cancelled else \
            f"Done ({result.steps_done} steps)"
        runner_up = list(result.candidates)[1:2]         # the second-best class / code of the search
        self._say(f"{head}: {result.describe(list(self.info.class_names))}"
                  + (f"; next best: {runner_up[0]}" if runner_up else ""))
        self._update_buttons()
        self.projection_finished.emit(result)

    def _on_worker_failed(self, run: int, message: str) -> None:
        if run == self._run:
            self._busy = False
            self.timer.stop()
            self._update_buttons()
            self._say(message)
            self.status_message.emit(message)

    def _on_timer_timeout(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.curve.setData(np.asarray(self._steps, dtype=np.float64), np.asarray(self._losses, dtype=np.float64))
        if self._live is not None:
            self.recon_view.set_image(self._live)

    def _clear_curve(self) -> None:
        self._steps, self._losses, self._live, self._dirty = [], [], None, False
        self.curve.setData([], [])

    def _update_buttons(self) -> None:
        running = self.running
        self.start_button.setEnabled(not running and self.target is not None and self.info is not None)
        self.cancel_button.setEnabled(running)
        for b in self.send_buttons.values():
            b.setEnabled(self.result is not None and not running)

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ handlers
    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILES)
        if path:
            self.open_image(path)

    def dragEnterEvent(self, event) -> None:
        if any(u.isLocalFile() and u.toLocalFile().lower().endswith(IMAGE_SUFFIXES)
               for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()                           # checkpoints dropped here still open the model

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls()
                 if u.isLocalFile() and u.toLocalFile().lower().endswith(IMAGE_SUFFIXES)]
        if files:
            event.acceptProposedAction()
            self.open_image(files[0])
