"""D's health in plain words, from a run's metrics rows: D(x), D(G(z)) and the live quality.

D(G(z)) = 1/2 is the study note's equilibrium only when the samples are good; a D that has
stopped learning sits there too while G draws noise. `d_health(rows)` reads the last WINDOW
logged rows and the quality scores (train/live_quality.py) and names one state:

* ``not_learning`` "D is not learning": mean D(x) and D(G(z)) both within NEAR_HALF of 1/2,
  while the samples are poor (quality < POOR),
* ``equilibrium``  both within NEAR_HALF of 1/2 and the samples good (quality >= GOOD),
* ``d_wins``       "D is winning": mean D(G(z)) below D_WINS over the window,
* ``approaching``  "approaching equilibrium": D(G(z)) rose over the window (or sits between
  D_WINS and 1/2) while quality improved by at least RISE over the last LOOKBACK scores,
* ``learning``     anything else: D separates real from fake and the numbers say how much,
* ``waiting``      fewer than MIN_ROWS rows so far.

Quality is one number in [0, 1]: coverage (`q_coverage`: the share of real images with a
generated one among their nearest neighbours in the probe's or the fixed network's features;
~0.95 for real data against itself), or on a toy the share of high-quality points (`q_hq`).
Not the probe's confident share: a classifier reads blobs confidently too (measured: a CGAN on
shapes at step 250 drew coloured blobs, 100 % read confidently, coverage 0). Without any score the line says that 1/2 alone
cannot tell equilibrium from a dead D. Thresholds were chosen on recorded curves
(tests/data/health_*.jsonl): a BatchNorm D that stopped learning at step 250 on shapes
(D(x) 0.50-0.53, D(G(z)) 0.47-0.50, nothing read confidently), a spectral-norm D separating
at once (D(x) ~0.8, D(G(z)) ~0.2), and a D that won (D(G(z)) < 0.02).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW = 20          # logged rows (200 steps at the recipes' log_every 10)
MIN_ROWS = 5
NEAR_HALF = 0.12     # |mean D - 1/2| below this for both D(x) and D(G(z)): D cannot tell them apart
D_WINS = 0.05        # mean D(G(z)) below this: G's samples are rejected outright
POOR, GOOD = 0.45, 0.7    # coverage: real vs real 0.94-0.96; noise ~0; BN D stalled at 1/2 on shapes: 0.28-0.35
LOOKBACK, RISE = 3, 0.03
QUALITY_KEYS = ("q_coverage", "q_hq")


@dataclass(frozen=True)
class Health:
    state: str
    message: str
    level: str           # "ok" | "info" | "warn"


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def quality_series(rows: list[dict]) -> tuple[str | None, list[float]]:
    """(key, values) of the one quality number the health line uses, oldest first."""
    for key in QUALITY_KEYS:
        vals = [float(r[key]) for r in rows if _finite(r.get(key))]
        if vals:
            return key, vals
    return None, []


def d_health(rows: list[dict]) -> Health:
    """The state of D in the last WINDOW logged rows of `rows` (metrics.jsonl order)."""
    d_rows = [r for r in rows if _finite(r.get("d_real")) and _finite(r.get("d_fake"))]
    if len(d_rows) < MIN_ROWS:
        return Health("waiting", "D's health: waiting for more rows.", "info")
    win, prev = d_rows[-WINDOW:], d_rows[-2 * WINDOW:-WINDOW]
    dr = sum(r["d_real"] for r in win) / len(win)
    df = sum(r["d_fake"] for r in win) / len(win)
    df_prev = sum(r["d_fake"] for r in prev) / len(prev) if prev else None
    nums = f"D(x) {dr:.2f}, D(G(z)) {df:.2f}"
    key, q = quality_series(rows)
    qname = {"q_hq": "high-quality points", "q_coverage": "coverage"}.get(key)
    qtext = f"{qname} {q[-1]:.2f}" if q else "no quality score"
    improving = len(q) > LOOKBACK and q[-1] >= q[-1 - LOOKBACK] + RISE
    if abs(dr - 0.5) < NEAR_HALF and abs(df - 0.5) < NEAR_HALF:
        if not q:
            return Health("unknown", f"{nums}: 1/2 is equilibrium only if the samples are good; this run "
                                     "has no quality score to tell it from a D that stopped learning.", "info")
        if q[-1] < POOR:
            return Health("not_learning", f"D is not learning: {nums} while the samples are poor ({qtext}). "
                                          "G gets no useful signal. Try spectral norm in D (--d-norm spectral) "
                                          "or a lower G learning rate.", "warn")
        if q[-1] >= GOOD:
            return Health("equilibrium", f"At equilibrium: {nums} and the samples are good ({qtext}).", "ok")
    if df < D_WINS:
        return Health("d_wins", f"D is winning: D(G(z)) has stayed near 0 ({df:.3f}) with {qtext}; G gets "
                                "almost no gradient.", "warn")
    rising = df_prev is not None and df > df_prev + 0.01
    if improving and (rising or df < 0.5):
        return Health("approaching", f"Approaching equilibrium: {nums}, quality rising ({qtext}).", "ok")
    trend = "rising" if improving else ("flat" if q else "not scored")
    return Health("learning", f"D separates real from fake: {nums}; quality {trend} ({qtext}).", "info")
