"""Playground: toy training steps/s while the panel draws, beside the bare training loop.

    QT_QPA_PLATFORM=offscreen python bench/playground_rate.py [--dataset ring8] [--seconds 8] [--rounds 3]

Bare: the playground's own Trainer (`build_trainer`, same toy MLPs, batch 256, 1 torch thread)
stepped in a plain loop, no snapshots, no Qt; beside it the same loop with the recipes' maxout D
and multi-tensor Adam (what the playground used before), as a reference. Drawing: the real PlaygroundPanel, shown
offscreen, in Play at full speed: the worker trains and sends ~20 snapshots a second (points,
D's heat-map), and the UI draws each one. Rounds alternate bare / drawing so both see the same
machine load. Target: hundreds of steps per second while drawing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bare_rate(dataset: str, seconds: float, paper_d: bool = False) -> float:
    """paper_d: the recipes' networks instead (maxout D, multi-tensor Adam), for reference."""
    import torch
    from explorer.playground import worker
    torch.set_num_threads(1)
    if paper_d:
        saved = dict(worker.TOY_MODEL)
        worker.TOY_MODEL.pop("d_unit")
        try:
            tr = worker.build_trainer({"dataset": dataset})
            tr.opt_d = torch.optim.Adam(tr.D.parameters(), lr=1e-3, betas=(0.5, 0.999), foreach=True)
            tr.opt_g = torch.optim.Adam(tr.G.parameters(), lr=1e-3, betas=(0.5, 0.999), foreach=True)
        finally:
            worker.TOY_MODEL.update(saved)
    else:
        tr = worker.build_trainer({"dataset": dataset})
    for _ in range(20):                                  # warm-up
        tr.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tr.step()
        n += 1
    return n / (time.perf_counter() - t0)


def run_event_loop(seconds: float) -> None:
    """Qt's own event loop for `seconds`, blocking between events as the app's does (a
    processEvents() + sleep spin would itself wake the UI thread ~1000 times a second and
    take the GIL from the training thread each time)."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def drawing_rate(app, panel, seconds: float) -> tuple[float, float]:
    """(G steps/s, snapshots drawn/s) over `seconds` of Play."""
    frames = []
    panel.snapshot_shown.connect(lambda step: frames.append((time.perf_counter(), step)))
    panel.set_playing(True)
    run_event_loop(1.0)                                  # let it get going
    frames.clear()
    run_event_loop(seconds)
    panel.set_playing(False)
    panel.snapshot_shown.disconnect()
    (t0, s0), (t1, s1) = frames[0], frames[-1]
    return (s1 - s0) / (t1 - t0), (len(frames) - 1) / (t1 - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="ring8", choices=["ring8", "grid25", "gauss1d"])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from explorer.app import make_application
    from explorer.playground.panel import PlaygroundPanel
    app = make_application()
    panel = PlaygroundPanel()
    panel.dataset.setCurrentText(args.dataset)
    panel.resize(1100, 700)
    shown = []
    panel.snapshot_shown.connect(shown.append)
    panel.show()
    while not shown:
        app.processEvents()
        time.sleep(0.005)
    panel.snapshot_shown.disconnect()
    bare, drawn, fps, paper = [], [], [], []
    for r in range(args.rounds):
        paper.append(bare_rate(args.dataset, args.seconds / 2, paper_d=True))
        bare.append(bare_rate(args.dataset, args.seconds))
        s, f = drawing_rate(app, panel, args.seconds)
        drawn.append(s)
        fps.append(f)
        print(f"round {r + 1}: bare {bare[-1]:6.0f} steps/s (maxout D + multi-tensor Adam: {paper[-1]:4.0f}) | "
              f"while drawing {s:6.0f} steps/s ({f:4.1f} snapshots drawn/s) | ratio {s / bare[-1]:.2f}", flush=True)
    panel.shutdown()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.dataset}, batch 256, 1 torch thread, load {load:.1f}: median bare {statistics.median(bare):.0f} "
          f"steps/s (the recipes' maxout D and multi-tensor Adam: {statistics.median(paper):.0f}), "
          f"while drawing {statistics.median(drawn):.0f} steps/s at {statistics.median(fps):.1f} "
          f"frames/s (target: hundreds of steps/s while drawing)")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)            # skip interpreter teardown (PySide6 6.12 warns or crashes in it)
