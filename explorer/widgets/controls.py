"""Small widgets shared by the panels: a float slider, a seed box, and fast-changing text."""
from __future__ import annotations

import random

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QSpinBox, QWidget

MAX_SEED = 2**31 - 1


class FloatSlider(QWidget):
    """A horizontal slider over [lo, hi] in `step`s, with its value shown beside it.

    `paint_after(view.painted)` ties the slider's own repaint to the frame a change asks for:
    from a change until that view has painted (or HOLD_MS at most, so the handle never lags far
    behind the mouse on a slow model), the slider and its label do not repaint; then they do,
    once. Why: the slider's repaint used to run on the UI thread while the render thread
    computed the frame, and slowed it (bench/ui_latency.py, 3 x 3 rounds against the previous
    code in the same sitting, 2-core CPU: slider-to-image p50 1.25-1.26x the bare forward vs
    1.29-1.33x); handle and image now move together.
    """
    value_changed = Signal(float)
    HOLD_MS = 40

    def __init__(self, lo: float, hi: float, step: float, value: float, decimals: int = 2,
                 parent=None, tooltip: str = ""):
        super().__init__(parent)
        self.lo, self.step, self.decimals = lo, step, decimals
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((hi - lo) / step))
        self.slider.setMinimumWidth(80)
        self.label = QLabel()
        # Fixed size: a label whose size can change asks the whole window to re-layout on every
        # setText, which repaints every image view (measured: 2 extra full repaints per change).
        fm = self.label.fontMetrics()
        self.label.setFixedSize(fm.horizontalAdvance(f"+{max(abs(lo), abs(hi)):.{decimals}f}") + 6, fm.height())
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        if tooltip:
            self.setToolTip(tooltip)
        self._hold_on = False          # paint_after() called
        self._held = False
        self._hold_timer = QTimer(self, singleShot=True, interval=self.HOLD_MS)
        self._hold_timer.timeout.connect(self.release_paint)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.setValue(value)
        self._show(self.value())

    def paint_after(self, frame_painted) -> None:
        """After each change, repaint only once `frame_painted` fires (or HOLD_MS passed)."""
        self._hold_on = True
        frame_painted.connect(self.release_paint, Qt.ConnectionType.QueuedConnection)

    def release_paint(self, *_) -> None:
        if self._held:
            self._held = False
            self._hold_timer.stop()
            self.setUpdatesEnabled(True)    # repaints the slider and its label

    def value(self) -> float:
        return round(self.lo + self.slider.value() * self.step, 6)

    def setValue(self, v: float) -> None:
        self.slider.setValue(round((v - self.lo) / self.step))

    def _show(self, v: float) -> None:
        self.label.setText(f"{v:+.{self.decimals}f}" if self.lo < 0 else f"{v:.{self.decimals}f}")

    def _on_slider_value_changed(self, _i: int) -> None:
        v = self.value()
        if self._hold_on and not self._held and self.isVisible() and not self.isWindow():
            self._held = True
            self.setUpdatesEnabled(False)
            self._hold_timer.start()        # from the first change of a drag: lags <= HOLD_MS
        self.value_changed.emit(v)    # first: the render request leaves before the label is redrawn
        self._show(v)


class StaticText(QWidget):
    """Multi-line text that changes often without re-laying-out the window (unlike QLabel,
    whose setText invalidates every enclosing layout up to the window)."""

    def __init__(self, lines: int = 1, align=Qt.AlignmentFlag.AlignLeft, parent=None, font=None):
        super().__init__(parent)
        if font is not None:
            self.setFont(font)
        self._text = ""
        self._lines = lines
        self._align = align
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 4)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("x" * 32), self.height())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(self.rect().adjusted(2, 2, -2, -2),
                   int(self._align | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap), self._text)
        p.end()


class SeedBox(QWidget):
    """"Seed [ 1234 ] [New seed]": same seed, same samples, on every run."""
    seed_changed = Signal(int)

    def __init__(self, seed: int = 0, parent=None):
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setRange(0, MAX_SEED)
        self.spin.setValue(seed)
        self.spin.setKeyboardTracking(False)     # one render per typed number, not per digit
        self.spin.setToolTip("The same seed gives the same samples on every run")
        self.button = QPushButton("New seed")
        self.button.setToolTip("Draw a new random seed (N or Ctrl+R)")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Seed"))
        lay.addWidget(self.spin)
        lay.addWidget(self.button)
        self.spin.valueChanged.connect(self.seed_changed)
        self.button.clicked.connect(self.new_seed)

    def value(self) -> int:
        return self.spin.value()

    def setValue(self, seed: int) -> None:
        self.spin.setValue(seed)

    def new_seed(self) -> None:
        old = self.spin.value()
        seed = random.randint(0, 99_999)
        self.spin.setValue(seed if seed != old else seed + 1)
