"""The monitor: follows a run folder written by a separate `python -m train` process, draws
the curves with their reference lines, scrubs sample grids, overlays a second run, and warns
on NaN, on D winning and on mode collapse."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.monitor.buffers import SeriesBuffer, ema
from explorer.monitor.view import MonitorView
from train.run_folder import RunFolder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def monitor(qtbot):
    m = MonitorView()
    qtbot.addWidget(m)
    m.resize(1200, 700)
    m.show()
    yield m
    m.stop()


def _fake_run(path: Path, rows: list[dict], events=(), samples: dict | None = None) -> RunFolder:
    run = RunFolder(path)
    for r in rows:
        run.log_metrics(r)
    for kind, step, info in events:
        run.event(kind, step, **info)
    for step, pts in (samples or {}).items():
        np.save(run.sample_path(step, "npy"), pts)
        run.sample_path(step).write_bytes(b"")         # the PNG twin (content unused here)
    return run


def _data(curve):
    """The full data set a curve holds (getData() is the clipped, downsampled display set)."""
    x, y = curve.getOriginalDataset()
    return (np.zeros(0), np.zeros(0)) if x is None else (x, y)


def _caught_up(monitor, qtbot, rows: int) -> None:
    """Wait until the poller thread's snapshots have brought `rows` rows to the UI."""
    qtbot.waitUntil(lambda: monitor.buffer.n == rows, timeout=5000)


def _row(step, d_fake=0.4, loss=0.7):
    return {"step": step, "d_real": 0.6, "d_fake": d_fake, "d_fake_after": d_fake * 0.9,
            "loss_d": loss, "loss_g": loss, "grad_norm_g": 1.0, "images_per_s": 100.0}


def test_follows_a_run_written_by_a_separate_train_process(monitor, qtbot, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "train", "--model", "dcgan", "--dataset", "digits", "--steps", "40",
           "--batch-size", "16", "--n-data", "256", "--g-width", "8", "--d-width", "8", "--log-every", "2",
           "--sample-every", "10", "--device", "cpu", "--num-threads", "1", "--quiet", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        out.mkdir(parents=True, exist_ok=True)
        monitor.follow(out)
        curve = monitor.plots.curves["d_real"]
        qtbot.waitUntil(lambda: len(_data(curve)[0]) >= 3, timeout=30000)   # drawn while it trains
        assert proc.wait(60) == 0, proc.stderr.read().decode()
        qtbot.waitUntil(lambda: monitor.follower.state == "finished" and monitor.buffer.n == 20, timeout=10000)
    finally:
        proc.kill()
    # the 20 Hz timer refreshes one stale plot per tick: all five within ~250 ms
    qtbot.waitUntil(lambda: all(_data(monitor.plots.curves[k])[0][-1:].tolist() == [40]
                                for k in ("d_fake", "loss_d", "grad_norm_g", "images_per_s")), timeout=3000)
    xs, ys = _data(monitor.plots.curves["d_fake"])
    assert xs[-1] == 40 and np.isfinite(ys).all()
    assert monitor.plots.ref_lines["d"].value() == 0.5     # D* = 1/2
    assert abs(monitor.plots.ref_lines["loss"].value() - math.log(4)) < 1e-9
    assert abs(monitor.plots.ref_lines["info"].value() - math.log(10)) < 1e-9
    assert "finished" in monitor.state_label.text()
    # the scrubber walks the saved grids of the same fixed z: steps 0, 10, 20, 30, 40
    assert monitor.scrubber.maximum() == 4 and "step 40" in monitor.sample_label.text()
    monitor.scrubber.setValue(1)
    assert "step 10" in monitor.sample_label.text() and not monitor.follow_latest.isChecked()
    assert monitor.grid._array is not None and monitor.grid._array.dtype == np.uint8
    assert not monitor.banner.isVisible()


def test_nan_row_and_diverged_event_raise_a_warning_with_revert(monitor, qtbot, tmp_path):
    run = _fake_run(tmp_path / "r", [_row(s) for s in range(10, 60, 10)])
    run.last_good.write_bytes(b"x")
    monitor.follow(run.path)
    _caught_up(monitor, qtbot, 5)
    assert not monitor.banner.isVisible()
    run.log_metrics({**_row(60), "loss_d": float("nan")})
    run.event("diverged", 60, message="training diverged at step 60 (loss_d = nan)", checkpoint=str(run.last_good))
    # the NaN row alone already raises the banner; the trainer's event (which may arrive in a
    # later poll: the folder is read on another thread) replaces it with the trainer's message
    qtbot.waitUntil(lambda: monitor.banner.isVisible()
                    and "diverged at step 60" in monitor.banner_label.text(), timeout=3000)
    assert monitor.revert_button.isEnabled()
    with qtbot.waitSignal(monitor.revert_requested) as sig:
        monitor.revert_button.click()
    assert sig.args == [str(run.last_good)]
    with qtbot.waitSignal(monitor.resume_requested):
        monitor.resume_button.click()


def test_d_wins_warning(monitor, qtbot, tmp_path):
    run = _fake_run(tmp_path / "r", [_row(s, d_fake=0.001, loss=0.01) for s in range(1, 16)])
    monitor.follow(run.path)
    _caught_up(monitor, qtbot, 15)
    assert monitor.banner.isVisible() and "D wins" in monitor.banner_label.text()


def test_mode_collapse_warning_from_fixed_z_diversity(monitor, qtbot, tmp_path):
    rng = np.random.default_rng(0)
    spread = {s: rng.normal(size=(64, 2)).astype(np.float32) for s in (0, 100, 200)}
    run = _fake_run(tmp_path / "r", [_row(s) for s in (100, 200)], samples=spread)
    monitor.follow(run.path)
    _caught_up(monitor, qtbot, 2)
    assert not monitor.banner.isVisible()
    np.save(run.sample_path(300, "npy"), np.full((64, 2), 0.5, np.float32) + 0.01 * rng.normal(size=(64, 2)))
    run.sample_path(300).write_bytes(b"")
    run.log_metrics(_row(300))
    qtbot.waitUntil(monitor.banner.isVisible, timeout=3000)
    assert "Mode collapse" in monitor.banner_label.text()


def test_compare_overlays_a_second_run_and_smoothing_applies(monitor, qtbot, tmp_path):
    a = _fake_run(tmp_path / "a", [_row(s, d_fake=0.2 + 0.1 * (s % 2)) for s in range(1, 101)])
    b = _fake_run(tmp_path / "b", [_row(s, d_fake=0.45) for s in range(1, 51)])
    monitor.smoothing.setValue(0.0)
    monitor.follow(a.path)
    _caught_up(monitor, qtbot, 100)
    monitor.redraw()
    raw = _data(monitor.plots.curves["d_fake"])[1].copy()
    monitor.smoothing.setValue(0.9)
    smooth = _data(monitor.plots.curves["d_fake"])[1]
    assert raw.std() > 3 * smooth[20:].std()
    monitor.compare_with(b.path)                  # read on a poller thread of its own
    c = monitor.plots.compare_curves["d_fake"]
    qtbot.waitUntil(lambda: c.isVisible() and len(_data(c)[0]) == 50, timeout=5000)
    for s in range(51, 61):                        # a compared run still training is followed too
        b.log_metrics(_row(s, d_fake=0.45))
    qtbot.waitUntil(lambda: len(_data(c)[0]) == 60, timeout=5000)
    monitor.clear_compare()
    assert not c.isVisible() and monitor.compare_poller is None


def test_buffers_grow_and_stay_bounded():
    buf = SeriesBuffer(max_points=1000)
    for start in range(0, 5000, 100):
        buf.append_rows([{"step": s, "d_real": s} for s in range(start, start + 100)])
    assert buf.n <= 1000 and buf.x()[-1] == 4999
    assert np.all(np.diff(buf.x()) > 0)
    x = np.random.default_rng(0).random(3000)
    ref, y = np.empty_like(x), x[0]
    for i, v in enumerate(x):
        y = 0.95 * y + 0.05 * v
        ref[i] = y
    assert np.allclose(ema(x, 0.95), ref)
    json.dumps(buf.version)


def test_screenshot_of_the_monitor(qtbot, tmp_path):
    from PIL import Image

    from explorer.screenshot import main
    run = _fake_run(tmp_path / "r", [_row(s) for s in range(1, 41)])
    out = tmp_path / "monitor.png"
    assert main(["--panel", "monitor", "--model", str(run.path), "-o", str(out), "--size", "900x600"]) == 0
    with Image.open(out) as im:
        assert im.size[1] == 600


def test_live_rows_keep_the_axes_still_until_the_data_outgrows_them(monitor, qtbot, tmp_path):
    """New rows inside the shown range do not move the axes (cheap repaints on live runs);
    rows past it extend the range; a range the user zoomed to is left alone."""
    run = _fake_run(tmp_path / "r", [_row(s, loss=0.6 + 0.001 * s) for s in range(1, 101)])
    monitor.follow(run.path)
    _caught_up(monitor, qtbot, 100)
    monitor.redraw()
    loss = monitor.plots.plots["loss"].vb
    (x0, x1), (y0, y1) = loss.viewRange()
    assert x0 <= 1 and x1 >= 100 and y0 <= 0.6 and y1 >= max(0.7, math.log(4))   # data and the log 4 line
    run.log_metrics(_row(101, loss=0.65))
    _caught_up(monitor, qtbot, 101)
    monitor.redraw()
    assert loss.viewRange() == [[x0, x1], [y0, y1]]
    for s in range(102, 400):
        run.log_metrics(_row(s, loss=2.0))
    _caught_up(monitor, qtbot, 399)
    monitor.redraw()
    (nx0, nx1), (ny0, ny1) = loss.viewRange()
    assert nx1 >= 399 and ny1 >= 2.0
    loss.setXRange(10, 20, padding=0)
    loss.sigRangeChangedManually.emit([True, True])      # what a mouse zoom emits
    run.log_metrics(_row(400, loss=5.0))
    _caught_up(monitor, qtbot, 400)
    monitor.redraw()
    assert loss.viewRange()[0] == [10, 20]


def test_a_hidden_monitor_skips_redraws_and_catches_up_when_shown(monitor, qtbot, tmp_path):
    run = _fake_run(tmp_path / "r", [_row(s) for s in range(1, 11)])
    monitor.follow(run.path)
    _caught_up(monitor, qtbot, 10)
    qtbot.waitUntil(lambda: len(_data(monitor.plots.curves["d_fake"])[0]) == 10, timeout=5000)
    monitor.hide()
    drawn = monitor.redraws
    for s in range(11, 31):
        run.log_metrics(_row(s))
    _caught_up(monitor, qtbot, 30)                 # the poller keeps reading (watchdog, buffers)
    qtbot.wait(300)                                # several draw-timer ticks
    assert monitor.redraws == drawn and len(_data(monitor.plots.curves["d_fake"])[0]) == 10
    monitor.show()
    assert len(_data(monitor.plots.curves["d_fake"])[0]) == 30


def test_quality_curves_and_the_health_line_from_a_recorded_dead_d(monitor, qtbot, tmp_path):
    """A recorded run (BatchNorm D stalled at 1/2 on shapes v1): the quality plot gets its own
    rows, the training curves keep theirs (no gaps), and the health line names the dead D."""
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "health_dead_d.jsonl").read_text().splitlines()]
    run = _fake_run(tmp_path / "r", rows)
    monitor.follow(run.path)
    train_rows = [r for r in rows if "loss_d" in r]
    _caught_up(monitor, qtbot, len(train_rows))
    qtbot.waitUntil(lambda: monitor.quality.n == sum("q_fid" in r for r in rows), timeout=5000)
    assert not np.isnan(monitor.buffer.view("d_real")).any()           # quality rows did not land here
    monitor.redraw()
    x, y = monitor.plots.curves["q_coverage"].getData()
    assert len(x) == monitor.quality.n and 0 <= y.min() and y.max() <= 1
    assert monitor.health_label.isVisible() and monitor.health.state == "not_learning"
    assert monitor.health_label.text().startswith("D is not learning")
    title = monitor.plots.plots["quality"].titleLabel.text
    assert "coverage" in title and "label" in title and "HQ points" not in title


def test_the_information_loss_plot_is_there_only_for_infogan(monitor):
    plots = monitor.plots
    plots.set_has_codes(False)
    assert plots.plots["info"] not in plots.ci.items
    plots.set_has_codes(True)
    assert plots.plots["info"] in plots.ci.items


def test_one_point_gets_a_round_range_not_raw_ticks(monitor, qtbot, tmp_path):
    run = _fake_run(tmp_path / "r", [dict(_row(1), images_per_s=26.78085525)])
    monitor.follow(run.path)
    _caught_up(monitor, qtbot, 1)
    monitor.redraw()
    (y0, y1) = monitor.plots.plots["ips"].vb.viewRange()[1]
    assert y0 < 26.78 < y1 and y1 - y0 >= 10          # a range of round tens around the value
