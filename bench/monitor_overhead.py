"""What the live monitor costs training, and how fast its plots redraw.

    python bench/monitor_overhead.py [--rounds 2] [--steps 120] [--run stress|recipe|both]

1. Throughput: the same training run (`python -m train`, a child process, exactly what the
   Train tab starts) is run headless and with the GUI monitor following its run folder
   (tailing metrics.jsonl every 250 ms, redrawing at 10 Hz, loading sample grids), alternating
   headless / monitored `--rounds` times. images/s is the run's own number (its last metrics
   row: images over wall time of the whole run). Target: monitored / headless >= 0.95.
   Two runs: "stress" (a tiny DCGAN logging every step: the monitor busy all the time) and
   "recipe" (the bundled dcgan-digits recipe: what a user trains).
2. UI stall: while the monitored run trains, a 10 ms QTimer records how late each tick fires;
   the longest lateness is the UI thread's longest stall. Target < 100 ms. The same timer over
   the same time with no training and no monitor is the baseline (the machine's own jitter).
3. Redraw: 10^6 logged steps in the buffers, all curves redrawn (setData + a synchronous
   repaint of the widget), raw and with EMA smoothing. Target >= 30 redraws/s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


RUNS = {
    # a stress case: a tiny DCGAN (~45 steps/s here) logging every step and writing a sample
    # grid every 20 steps, so the monitor has rows to parse and plots to redraw all the time
    "stress": ["--model", "dcgan", "--dataset", "digits", "--batch-size", "32", "--n-data", "2000",
               "--g-width", "16", "--d-width", "16", "--log-every", "1", "--sample-every", "20"],
    # what a user runs: the bundled dcgan-digits recipe (batch 128, widths 32, a row every 10
    # steps, a grid every 100)
    "recipe": ["--recipe", str(ROOT / "resources" / "recipes" / "dcgan-digits.toml"), "--sample-every", "50"],
}


def train_cmd(run: str, out: Path, steps: int) -> list[str]:
    return [sys.executable, "-m", "train", *RUNS[run], "--steps", str(steps), "--epochs", "0",
            "--device", "cpu", "--quiet", "--out", str(out)]


def final_ips(out: Path) -> float:
    from train.run_folder import read_jsonl, training_rows
    return float(training_rows(read_jsonl(out / "metrics.jsonl"))[-1]["images_per_s"])


class StallMeter:
    """A 10 ms timer; `worst` is the largest lateness of any tick (ms)."""

    def __init__(self):
        from PySide6.QtCore import QTimer
        self.worst, self.ticks, self._last = 0.0, 0, None
        self.late: list[float] = []
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self._last is not None:
            self.late.append((now - self._last) * 1000 - 10)
            self.worst = max(self.worst, self.late[-1])
        self._last, self.ticks = now, self.ticks + 1

    def start(self):
        self._last = None
        self.timer.start()

    def stop(self):
        self.timer.stop()


def run_headless(run: str, out: Path, steps: int) -> float:
    subprocess.run(train_cmd(run, out, steps), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return final_ips(out)


def run_monitored(app, run: str, out: Path, steps: int) -> tuple[float, float, int, float, float]:
    """-> (images/s, worst stall ms, redraws, seconds, CPU seconds the GUI process used)."""
    from explorer.monitor.view import MonitorView
    view = MonitorView()
    view.resize(1280, 760)
    view.show()
    out.mkdir(parents=True)
    proc = subprocess.Popen(train_cmd(run, out, steps), cwd=ROOT, stdout=subprocess.DEVNULL)
    meter = StallMeter()
    view.follow(out)
    run_event_loop(lambda: False, 1.0)           # first show: layout, fonts, the first full paint
    t0, c0 = time.perf_counter(), time.process_time()
    meter.start()
    run_event_loop(lambda: proc.poll() is not None, 10**6)
    meter.stop()
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    if proc.returncode:
        raise SystemExit(f"training failed ({proc.returncode})")
    def last_step() -> int:
        b = view.buffer
        return int(b.steps[b.n - 1]) if b.n else 0
    end = time.perf_counter() + 10                # the poller thread's last snapshot
    while last_step() < steps and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)
    shown = last_step()
    view.stop()
    view.close()
    assert shown == steps, (shown, steps)         # the monitor saw the whole run
    return final_ips(out), meter.worst, view.redraws, secs, cpu


def run_event_loop(done, seconds: float) -> None:
    """Run Qt's own event loop (as the app does, blocking between events; a processEvents() +
    sleep loop would itself wake the GUI process 500 times a second) until done() or seconds."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop, end = QEventLoop(), time.perf_counter() + seconds
    check = QTimer(interval=50)
    check.timeout.connect(lambda: (done() or time.perf_counter() >= end) and loop.quit())
    check.start()
    loop.exec()
    check.stop()


def idle_stall(app, seconds: float) -> float:
    meter = StallMeter()
    meter.start()
    run_event_loop(lambda: False, seconds)
    meter.stop()
    return meter.worst


def redraw_rate(app, n: int = 10**6, smoothing: float = 0.0, frames: int = 30, paint: bool = True) -> float:
    """Redraws per second: refresh (setData of every curve) + a synchronous repaint."""
    import numpy as np

    from explorer.monitor.buffers import SeriesBuffer
    from explorer.monitor.plots import MetricPlots
    buf = SeriesBuffer(capacity=n + 1024)
    rng = np.random.default_rng(0)
    buf.steps[:n] = np.arange(1, n + 1)
    for k in buf.keys:
        buf.cols[k][:n] = rng.random(n, dtype=np.float32)
    buf.n = n
    plots = MetricPlots()
    plots.resize(900, 700)
    plots.show()
    plots.refresh(buf, smoothing)
    plots.repaint()
    app.processEvents()
    times = []
    for i in range(frames):
        buf.append_rows([{"step": n + i + 1, **{k: 0.5 for k in buf.keys}}])   # one new row: a real redraw
        t = time.perf_counter()
        plots.refresh(buf, smoothing)
        if paint:
            plots.viewport().repaint()
        times.append(time.perf_counter() - t)
    plots.close()
    return 1.0 / statistics.median(times)


def measure(app, run: str, rounds: int, steps: int) -> None:
    """Alternate headless / monitored runs of RUNS[run]; print each round and the medians."""
    head, mon, stalls, secs, cpus = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            head.append(run_headless(run, Path(tmp) / f"h{r}", steps))
            ips, stall, redraws, s, cpu = run_monitored(app, run, Path(tmp) / f"m{r}", steps)
            cpus.append(cpu / s)
            mon.append(ips)
            stalls.append(stall)
            secs.append(s)
            print(f"round {r + 1}: headless {head[-1]:6.1f} img/s | monitored {ips:6.1f} img/s "
                  f"(ratio {ips / head[-1]:.3f}) | UI longest stall {stall:5.1f} ms, {redraws} redraws in {s:.0f} s, "
                  f"GUI process CPU {100 * cpu / s:.0f} % of one core", flush=True)
    base = idle_stall(app, statistics.median(secs))
    h, m = statistics.median(head), statistics.median(mon)
    pairs = statistics.median(b / a for a, b in zip(head, mon))
    print(f"images/s headless {h:.1f}, with the monitor attached {m:.1f}: ratio of medians {m / h:.3f}, "
          f"median of the rounds' ratios {pairs:.3f} (each round's two runs are next to each other in time, "
          "so its ratio sees one machine load) (target >= 0.95)")
    print(f"the monitoring GUI process used {100 * statistics.median(cpus):.0f} % of one core (median): "
          "the CPU it can take from training on a machine with spare cores")
    print(f"UI thread's longest stall while training + monitoring: {max(stalls):.1f} ms (target < 100 ms); "
          f"same timer with nothing running: {base:.1f} ms", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--recipe-steps", type=int, default=80, help="steps of the recipe run (batch 128)")
    ap.add_argument("--run", choices=("stress", "recipe", "both"), default="both",
                    help="which training run to measure (default both)")
    ap.add_argument("--skip-training", action="store_true", help="only the redraw benchmark")
    args = ap.parse_args()
    from explorer.app import make_application
    app = make_application()
    import torch  # noqa: F401  (the app imports it at start-up, on its prewarm thread; here it
    #               would otherwise be imported by the first sample grid, inside a measured run)
    print(f"redraw, 10^6 points x 8 curves, raw:      {redraw_rate(app):6.1f} redraws/s (target >= 30)")
    print(f"redraw, 10^6 points x 8 curves, EMA 0.9:  {redraw_rate(app, smoothing=0.9):6.1f} redraws/s")
    print(f"redraw, 10^2 points (baseline: paint only): {redraw_rate(app, n=100):6.1f} redraws/s")
    print(f"setData only, 10^6 points, no paint:      {redraw_rate(app, paint=False):6.1f} updates/s")
    if args.skip_training:
        return 0
    for run in (("stress", "recipe") if args.run == "both" else (args.run,)):
        steps = args.steps if run == "stress" else args.recipe_steps
        print(f"\n{run} run ({steps} steps): python -m train {' '.join(RUNS[run])}")
        measure(app, run, args.rounds, steps)
    return 0


if __name__ == "__main__":
    sys.stdout.flush()
    os._exit(main())          # skip interpreter teardown (PySide6 6.12 can crash in it)
