"""The float slider repaints together with the frame it asked for, and never lags far behind."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal

from PySide6.QtWidgets import QVBoxLayout, QWidget

from explorer.widgets.controls import FloatSlider


class _View(QObject):
    painted = Signal(int)


class _Paints(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _slider(qtbot):
    window = QWidget()                     # in a window, as in a panel
    qtbot.addWidget(window)
    s = FloatSlider(0.0, 1.0, 0.01, 0.5)
    QVBoxLayout(window).addWidget(s)
    window.show()
    qtbot.waitExposed(window)
    paints = _Paints()
    s.slider.installEventFilter(paints)
    view = _View()
    s.paint_after(view.painted)
    return s, view, paints, window      # the window owns the slider: keep it alive


def test_slider_repaints_only_once_its_frame_is_painted(qtbot):
    s, view, paints, _window = _slider(qtbot)
    s._hold_timer.setInterval(10_000)     # a loaded test machine must not reach the deadline here
    values = []
    s.value_changed.connect(values.append)
    s.setValue(0.8)
    s.setValue(0.9)                        # a drag: two changes before the frame
    qtbot.wait(20)                         # time for any paint that was not held
    assert values == [0.8, 0.9]            # the requests left at once ...
    assert paints.count == 0 and not s.updatesEnabled()    # ... the handle waits for the frame
    view.painted.emit(1)
    qtbot.waitUntil(lambda: paints.count > 0, timeout=1000)
    assert s.updatesEnabled() and s.label.text() == "0.90"


def test_slider_repaints_after_the_deadline_when_no_frame_comes(qtbot):
    s, _view, paints, _window = _slider(qtbot)
    s.setValue(0.2)
    assert not s.updatesEnabled()
    qtbot.waitUntil(lambda: paints.count > 0, timeout=FloatSlider.HOLD_MS * 20)
    assert s.updatesEnabled()


def test_a_hidden_slider_is_never_held(qtbot):
    s, _view, _paints, _window = _slider(qtbot)
    s.hide()
    s.setValue(0.3)
    assert s.updatesEnabled()
