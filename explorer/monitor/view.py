"""MonitorView: follows one run folder live (or browses a finished one) and overlays another.

A `FolderPoller` thread reads the folder 4x a second (new metrics rows by byte offset, events,
sample grids, decoding the newest grid and scoring its diversity there, off the UI thread);
the UI thread appends the rows and redraws the curves from a 10 Hz timer, only when they
changed, never per training step. The right side shows the fixed-z grid
with a scrubber over every saved grid, so one z can be watched across the run's history.
The watchdog's warnings appear in a banner with "Open last good checkpoint" and "Resume".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSlider, QSplitter, QVBoxLayout, QWidget)

from ..pixels import display_rgb32
from ..training.follower import RunFollower
from ..training.poller import FolderPoller, Snapshot
from ..training.tool_tab import ToolTab
from ..widgets.controls import StaticText
from ..widgets.image_view import ImageGridView
from train.health import WINDOW, d_health

from .buffers import Q_METRICS, SeriesBuffer, split_rows
from .plots import MetricPlots
from .recon_view import ReconPanel
from .watchdog import Watchdog, sample_diversity

POLL_S = 0.25          # read the run folder 4x a second (on the poller's thread; 1x once it ended)
# Redraw at most 10x a second, one plot per tick: each plot shows new rows twice a second. 20 Hz
# (each plot at every 4 Hz poll) cost a stress run's monitor 11.8 % of a core against 8.8 %,
# taken from the training beside it; the spec allows 10-30 Hz.
DRAW_MS = 100


def load_png(path: Path) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        a = np.asarray(im.convert("L") if im.mode in ("L", "I", "1") else im.convert("RGB"))
    return np.ascontiguousarray(a[..., None] if a.ndim == 2 else a)


class MonitorView(ToolTab):
    name = "monitor"
    title = "Monitor"
    revert_requested = Signal(str)     # path of the last good checkpoint to open
    resume_requested = Signal(str)     # run folder to resume training from

    def __init__(self, parent=None):
        super().__init__(parent)
        self.poller: FolderPoller | None = None
        self.compare_poller: FolderPoller | None = None   # reads the run overlaid for comparison
        self.buffer = SeriesBuffer()
        self.quality = SeriesBuffer(keys=Q_METRICS, capacity=64)       # live quality rows
        self.compare_buffer: SeriesBuffer | None = None
        self.compare_quality: SeriesBuffer | None = None
        self._train_tail: list[dict] = []      # what d_health reads: the last two windows of training rows
        self._quality_tail: list[dict] = []    # ... and the recent quality rows
        self.watchdog = Watchdog()
        self.redraws = 0
        self._shown_sample: Path | None = None

        self.run_label = QLabel("No run. File > Monitor run folder… follows any run folder, live or finished.")
        self.run_label.setWordWrap(True)
        # StaticText, not QLabel: these change on every poll, and a QLabel's setText re-lays
        # out the window (measured: the plots' axes were regenerated after it)
        self.state_label = StaticText(1, Qt.AlignmentFlag.AlignRight)
        self.state_label.setFixedWidth(self.state_label.fontMetrics().horizontalAdvance(
            "finished · step 0000000/0000000 · 00000 img/s") + 8)
        self.open_button = QPushButton("Open run…")
        self.compare_button = QPushButton("Compare with…")
        self.clear_compare_button = QPushButton("Clear comparison")
        self.clear_compare_button.setEnabled(False)
        self.smoothing = QDoubleSpinBox()
        self.smoothing.setRange(0.0, 0.999)
        self.smoothing.setSingleStep(0.05)
        self.smoothing.setDecimals(3)
        self.smoothing.setValue(0.6)
        self.smoothing.setToolTip("EMA smoothing of every curve (0 = raw)")
        # two rows: in one, the state label and the buttons made the window 1049 px at least,
        # too wide for a 1024x768 screen
        top = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        first.addWidget(self.run_label, 1)
        first.addWidget(self.state_label)
        second.addWidget(QLabel("Smoothing"))
        second.addWidget(self.smoothing)
        second.addStretch(1)
        for b in (self.open_button, self.compare_button, self.clear_compare_button):
            second.addWidget(b)
        top.addLayout(first)
        top.addLayout(second)

        self.banner = QFrame()
        self.banner.setStyleSheet("QFrame { background: #fff3cd; border: 1px solid #d39e00; border-radius: 4px; }"
                                  "QLabel { color: #533f03; border: none; }")
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.revert_button = QPushButton("Open last good checkpoint")
        self.resume_button = QPushButton("Resume from last good")
        bl = QHBoxLayout(self.banner)
        bl.addWidget(self.banner_label, 1)
        bl.addWidget(self.revert_button)
        bl.addWidget(self.resume_button)
        self.banner.setVisible(False)
        self._banner_state = None
        # D's health in one plain line (train/health.py): a dead D at 1/2 is not equilibrium
        self.health_label = QLabel("")
        self.health_label.setWordWrap(True)
        self.health_label.setVisible(False)
        self._health_state = None

        self.plots = MetricPlots()
        self.grid = ImageGridView(placeholder="The fixed-z sample grid appears here.", max_scale=4)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setEnabled(False)
        self.follow_latest = QCheckBox("Follow latest")
        self.follow_latest.setChecked(True)
        self.sample_label = StaticText(1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(4, 0, 0, 0)
        title = QLabel("<b>Samples from the fixed z</b>")
        rl.addWidget(title)
        rl.addWidget(self.grid, 1)
        srow = QHBoxLayout()
        srow.addWidget(self.scrubber, 1)
        srow.addWidget(self.follow_latest)
        rl.addLayout(srow)
        rl.addWidget(self.sample_label)
        self.recon = ReconPanel()                  # BEGAN: D's reconstructions of real and fake images
        self.recon.setVisible(False)
        rl.addWidget(self.recon)
        self._kind = None
        split = QSplitter()
        split.addWidget(self.plots)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([700, 420])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.banner)
        lay.addWidget(self.health_label)
        lay.addWidget(split, 1)
        right.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        self.draw_timer = QTimer(self, interval=DRAW_MS)
        # a hidden monitor (another tab, minimised window) skips its redraws: the poller still
        # feeds the buffers and the watchdog, and showEvent catches the plots up in one go
        self.draw_timer.timeout.connect(lambda: self.isVisible() and self.redraw(full=False))
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.compare_button.clicked.connect(self._on_compare_button_clicked)
        self.clear_compare_button.clicked.connect(self.clear_compare)
        self.smoothing.valueChanged.connect(lambda _: self.redraw())
        self.scrubber.valueChanged.connect(self._on_scrubber_value_changed)
        self.follow_latest.toggled.connect(lambda on: on and self._show_sample_index(len(self._samples()) - 1))
        self.revert_button.clicked.connect(self._on_revert_button_clicked)
        self.resume_button.clicked.connect(self._on_resume_button_clicked)

    # ------------------------------------------------------------------ public
    @property
    def follower(self) -> RunFollower | None:
        return self.poller.follower if self.poller else None

    def follow(self, path) -> None:
        """Watch this run folder (live or finished); replaces the one followed before."""
        if self.poller is not None:
            self.poller.stop()
        self.poller = FolderPoller(path, POLL_S, extra=_grid_work(), parent=self)
        self.poller.snapshot.connect(self._apply)
        self.buffer.clear()
        self.watchdog.reset()
        self._shown_sample = None
        self.grid.set_image(None)
        self.recon.clear()
        self._kind = None
        self.banner.setVisible(False)
        self._banner_state = None
        self.quality.clear()
        self._train_tail, self._quality_tail = [], []
        self._health_state = None
        self.health_label.setVisible(False)
        self.run_label.setText(f"<b>{self.poller.path.name}</b> &nbsp; {self.poller.path.parent}")
        self.run_label.setToolTip(str(self.poller.path))
        self.poller.start()                        # its first poll reads the whole folder, off this thread
        self.draw_timer.start()
        self.status_message.emit(f"Monitoring {self.poller.path}")

    def compare_with(self, path) -> None:
        """Overlay another run's curves (dashed). Its folder is read (and, while it trains,
        followed) by a poller thread of its own, like the main run's: a long run's metrics
        are never parsed on the UI thread."""
        self._stop_compare()
        self.compare_poller = FolderPoller(path, POLL_S, parent=self)
        self.compare_poller.snapshot.connect(self._apply_compare)
        self.compare_buffer = SeriesBuffer()
        self.compare_quality = SeriesBuffer(keys=Q_METRICS, capacity=64)
        self.clear_compare_button.setEnabled(True)
        self.compare_button.setText(f"Compare: {self.compare_poller.path.name}")
        self.compare_poller.start()

    def _apply_compare(self, snap: Snapshot) -> None:
        if self.compare_poller is None or self.sender() is not self.compare_poller:
            return                                 # from a comparison since cleared
        up = snap.update
        if up.reset:
            self.compare_buffer.clear()
            self.compare_quality.clear()
        if up.rows:
            train_rows, quality_rows = split_rows(up.rows)
            self.compare_buffer.append_rows(train_rows)
            self.compare_quality.append_rows(quality_rows)
            self.redraw()

    def _stop_compare(self) -> None:
        if self.compare_poller is not None:
            self.compare_poller.stop()
            self.compare_poller = None

    def clear_compare(self) -> None:
        self._stop_compare()
        self.compare_buffer = self.compare_quality = None
        self.plots.hide_compare()
        self.compare_button.setText("Compare with…")
        self.clear_compare_button.setEnabled(False)

    def _apply(self, snap: Snapshot) -> None:
        """A poll's result, on the UI thread: append rows, feed the watchdog, show the grid."""
        if self.poller is None or self.sender() is not self.poller:
            return                                 # from a run no longer followed
        up = snap.update
        if up.reset:
            self.buffer.clear()
            self.quality.clear()
            self._train_tail, self._quality_tail = [], []
        if up.rows:
            train_rows, quality_rows = split_rows(up.rows)
            self.buffer.append_rows(train_rows)
            self.quality.append_rows(quality_rows)
            self.watchdog.feed_rows(train_rows)
            self._train_tail = (self._train_tail + train_rows)[-2 * WINDOW:]
            self._quality_tail = (self._quality_tail + quality_rows)[-50:]
        if up.events:
            self.watchdog.feed_events(up.events)
        self.watchdog.diversity.update(snap.extra.get("diversity", {}))
        if up.samples_changed:
            samples = snap.samples
            self.scrubber.setEnabled(len(samples) > 1)
            self.scrubber.blockSignals(True)
            self.scrubber.setRange(0, max(len(samples) - 1, 0))
            self.scrubber.blockSignals(False)
            if self.follow_latest.isChecked() or self._shown_sample is None:
                self._show_sample_index(len(samples) - 1, snap.extra.get("latest"))
        if up:
            self._update_state(snap)
            self._update_banner()
            self._update_health()

    def redraw(self, full: bool = True) -> bool:
        """setData from the buffers where they changed; the 10 Hz timer passes full=False:
        one plot per tick, so five plots refresh within 500 ms (two polls) without one long
        paint of all five."""
        alpha = self.smoothing.value()
        changed = self.plots.refresh(self.buffer, alpha, self.compare_buffer, budget=None if full else 1,
                                     quality=self.quality, compare_quality=self.compare_quality)
        if changed:
            self.redraws += 1
        return changed

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.redraw()

    def stop(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        self._stop_compare()
        self.draw_timer.stop()

    def export_image(self):
        a = self.grid._array
        if a is None:
            return None
        return a, {"Software": "GAN Explorer", "run": str(self.follower.path)}, "samples.png"

    # ------------------------------------------------------------------ helpers
    def _samples(self) -> list[Path]:
        return self.follower.samples if self.follower else []

    def _show_sample_index(self, i: int, decoded=None) -> None:
        """Show saved grid i; `decoded` = (path, image, RGB32 twin) already read off the UI thread."""
        samples = self._samples()
        if not samples or i < 0:
            return
        i = min(i, len(samples) - 1)
        path = samples[i]
        if path != self._shown_sample:
            if decoded is not None and decoded[0] == path:
                self.grid.set_image(decoded[1], display=decoded[2])
            else:
                try:                         # scrubbing back: one small PNG, read here
                    self.grid.set_image(load_png(path))
                except Exception:
                    return                   # being written; the next poll shows it
            self._shown_sample = path
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(i)
        self.scrubber.blockSignals(False)
        step = int(path.stem.split("_")[-1]) if path.stem.split("_")[-1].isdigit() else 0
        self.sample_label.setText(f"step {step}  ({i + 1} of {len(samples)} grids)")
        if self._kind == "began" and self.follower is not None:
            self.recon.show_step(self.follower.path, step, load_png)

    def _update_state(self, snap: Snapshot) -> None:
        cfg = snap.config
        if cfg:
            kind = cfg.get("model", {}).get("kind")
            self.plots.set_has_codes(kind == "infogan")
            if kind != self._kind:
                self._kind = kind
                self.plots.set_kind(kind)
                self.recon.setVisible(kind == "began")
                if kind == "began" and self._shown_sample is not None:
                    self._shown_sample = None          # show the reconstructions of the grid shown
                    self._show_sample_index(self.scrubber.value())
                self.redraw()
        row = snap.last_row or {}
        total = f"/{snap.total}" if snap.total else ""
        text = {"waiting": "waiting for the first row…", "running": "running"}.get(snap.state, snap.state)
        ips = row.get("images_per_s")
        self.state_label.setText(f"{text} · step {row.get('step', 0)}{total}"
                                 + (f" · {ips:.0f} img/s" if isinstance(ips, (int, float)) and ips == ips else ""))

    def _update_banner(self) -> None:
        """Show the watchdog's warnings; touches the widgets only when something changed (a
        style sheet or a wrapped label's text re-lays out the window: done on every poll, it
        cost the monitor a relayout and all its plot axes 4 times a second)."""
        warns = self.watchdog.warnings()
        good = bool(warns) and self.follower is not None and self.follower.run.last_good.is_file()
        nan = any(w.kind == "nan" for w in warns)
        text = "\n".join(("⚠ " + w.message) for w in warns)
        state = (bool(warns), nan, text, good)
        if state == self._banner_state:
            return
        self._banner_state = state
        self.banner.setVisible(bool(warns))
        if not warns:
            return
        self.banner.setStyleSheet(
            ("QFrame { background: #f8d7da; border: 1px solid #c82333; border-radius: 4px; }"
             "QLabel { color: #721c24; border: none; }") if nan else
            ("QFrame { background: #fff3cd; border: 1px solid #d39e00; border-radius: 4px; }"
             "QLabel { color: #533f03; border: none; }"))
        self.banner_label.setText(text)
        self.revert_button.setEnabled(good)
        self.resume_button.setEnabled(good)

    HEALTH_STYLE = {"ok": ("#155724", "#d4edda"), "info": ("#383d41", "#e2e3e5"), "warn": ("#721c24", "#f8d7da")}

    def _update_health(self) -> None:
        """The health line; set only when it changed (a wrapped label re-lays out the window)."""
        h = d_health(self._quality_tail + self._train_tail)
        if h == self._health_state:
            return
        self._health_state = h
        self.health_label.setVisible(h.state != "waiting")
        fg, bg = self.HEALTH_STYLE[h.level]
        self.health_label.setStyleSheet(f"QLabel {{ color: {fg}; background: {bg}; border-radius: 4px; "
                                        "padding: 3px 6px; }")
        self.health_label.setText(h.message)

    @property
    def health(self):
        return self._health_state

    @property
    def warnings(self):
        return self.watchdog.warnings()

    # ------------------------------------------------------------------ handlers
    def _on_scrubber_value_changed(self, i: int) -> None:
        self.follow_latest.setChecked(i == len(self._samples()) - 1)
        self._show_sample_index(i)

    def _on_open_button_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Monitor run folder")
        if path:
            self.follow(path)

    def _on_compare_button_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Compare with run folder")
        if path:
            self.compare_with(path)

    def _on_revert_button_clicked(self) -> None:
        if self.follower and self.follower.run.last_good.is_file():
            self.revert_requested.emit(str(self.follower.run.last_good))

    def _on_resume_button_clicked(self) -> None:
        if self.follower:
            self.resume_requested.emit(str(self.follower.path))


def _grid_work():
    """What the poller thread does with new sample grids: score the diversity of the newest
    two (the watchdog's collapse check) and decode the newest for display."""
    scored: dict[Path, float] = {}

    def work(follower: RunFollower, up) -> dict:
        if not up.samples_changed or not follower.samples:
            return {}
        out: dict = {"diversity": {}}
        for p in follower.samples[-2:]:
            if p not in scored:
                score = sample_diversity(p, follower.config)
                if score is not None:
                    scored[p] = out["diversity"][p] = score
        newest = follower.samples[-1]
        try:
            img = load_png(newest)
            out["latest"] = (newest, img, display_rgb32(img))
        except Exception:
            pass                             # being written; the next poll shows it
        return out
    return work
