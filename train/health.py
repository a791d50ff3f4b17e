"""D's health in plain words, from a run's metrics rows: D(x), D(G(z)) and the live quality.

D(G(z)) = 1/2 is the study note's equilibrium only when the samples are good; a D that has
stopped learning sits there too while G draws noise. `d_health(rows)` reads the last WINDOW
logged rows and the quality scores (train/live_quality.py) and names one state:

* ``not_learning`` "D is not learning": mean D(x) and D(G(z)) both within NEAR_HALF of 1/2,
  while the samples are poor and not improving,
* ``equilibrium``  both within NEAR_HALF of 1/2 and the samples good (quality >= GOOD),
* ``d_wins``       "D is winning": mean D(G(z)) below D_WINS over the window,
* ``approaching``  "approaching equilibrium": D(G(z)) rose over the window (or sits between
  D_WINS and 1/2) while coverage rose by at least RISE over the last LOOKBACK scores,
* ``learning``     anything else: D separates real from fake and the numbers say how much,
* ``waiting``      fewer than MIN_ROWS rows so far.

Quality, for images, is two numbers from train/live_quality.py: coverage (`q_coverage`, the
share of real images with a generated one among their nearest neighbours in the probe's or the
fixed network's features; 0.94-0.97 for real data against itself) and the Frechet distance over
its real-vs-real value (`q_fid_ratio`, 1 = as close as real data gets). Poor: coverage below
POOR or the ratio above RATIO_POOR; good: coverage at least GOOD and the ratio at most
RATIO_GOOD. Either alone misleads: on shapes v1 a BatchNorm D stalled at 1/2 while G drew
speckled blobs with coverage 0.56 (ratio 62); the probe's confident share is no use at all (a
classifier reads blobs confidently: 100 % at step 250 of a CGAN drawing blobs, coverage 0). On
a toy: the share of high-quality points (`q_hq`), poor below POOR, good from GOOD. Without any score the line says that 1/2 alone
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
NEAR_HALF = 0.06     # |mean D - 1/2| below this for both D(x) and D(G(z)): D cannot tell them apart
                     # (stalled BatchNorm Ds: 0.49-0.51; a spectral-norm D learning on shapes: 0.58 / 0.40)
D_WINS = 0.1         # mean D(G(z)) below this: G's samples are rejected outright (recorded: 0.06, D(x) 0.95)
POOR, GOOD = 0.45, 0.7    # coverage: real vs real 0.94-0.97; noise ~0; BN D stalled at 1/2 on shapes v2: 0.28-0.35
RATIO_POOR, RATIO_GOOD = 10.0, 4.0   # FD / real-vs-real FD: bundled dcgan-digits ~2.6, stalled D on shapes 60+
LOOKBACK, RISE = 3, 0.05   # improving: coverage (or HQ) up by RISE over the last LOOKBACK scores
                           # (score-to-score noise of coverage ~+-0.04; the FD ratio swings 2x, so it
                           # does not count: a stalled D's ratio went 62 -> 15 -> 28 on unchanged blobs)
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


def _verdict(rows: list[dict]) -> tuple[str | None, bool, str]:
    """('poor' | 'fair' | 'good' | None, improving, text) from the quality rows."""
    key, q = quality_series(rows)
    if not q:
        return None, False, "no quality score"
    ratio = [float(r["q_fid_ratio"]) for r in rows if _finite(r.get("q_fid_ratio"))]
    r_now = ratio[-1] if ratio else None
    poor = q[-1] < POOR or (r_now is not None and r_now > RATIO_POOR)
    good = q[-1] >= GOOD and (r_now is None or r_now <= RATIO_GOOD)
    improving = len(q) > LOOKBACK and q[-1] >= q[-1 - LOOKBACK] + RISE
    name = {"q_hq": "high-quality points", "q_coverage": "coverage"}[key]
    text = f"{name} {q[-1]:.2f}" + (f", FD {r_now:.0f}x real" if r_now is not None else "")
    return ("poor" if poor else "good" if good else "fair"), improving, text


def d_health(rows: list[dict]) -> Health:
    """The state of D in the last WINDOW logged rows of `rows` (metrics.jsonl order)."""
    from .began_health import began_health
    began = began_health(rows)                     # BEGAN's own line: no D(x) = 1/2 to read
    if began is not None:
        return began
    d_rows = [r for r in rows if _finite(r.get("d_real")) and _finite(r.get("d_fake"))]
    if len(d_rows) < MIN_ROWS:
        return Health("waiting", "D's health: waiting for more rows.", "info")
    win, prev = d_rows[-WINDOW:], d_rows[-2 * WINDOW:-WINDOW]
    dr = sum(r["d_real"] for r in win) / len(win)
    df = sum(r["d_fake"] for r in win) / len(win)
    df_prev = sum(r["d_fake"] for r in prev) / len(prev) if prev else None
    nums = f"D(x) {dr:.2f}, D(G(z)) {df:.2f}"
    verdict, improving, qtext = _verdict(rows)
    if abs(dr - 0.5) < NEAR_HALF and abs(df - 0.5) < NEAR_HALF:
        if verdict is None:
            return Health("unknown", f"{nums}: 1/2 is equilibrium only if the samples are good; this run "
                                     "has no quality score to tell it from a D that stopped learning.", "info")
        if verdict == "poor" and not improving:
            return Health("not_learning", f"D is not learning: {nums} while the samples are poor ({qtext}). "
                                          "G gets no useful signal. Try spectral norm in D (--d-norm spectral) "
                                          "or a lower G learning rate.", "warn")
        if verdict == "good":
            return Health("equilibrium", f"At equilibrium: {nums} and the samples are good ({qtext}).", "ok")
        trend = "improving" if improving else "not improving"
        return Health("learning", f"D barely tells real from fake ({nums}); the samples are {verdict} and "
                                  f"{trend} ({qtext}): equilibrium only once they are good.", "info")
    if df < D_WINS:
        return Health("d_wins", f"D is winning: D(G(z)) has stayed near 0 ({df:.3f}) with {qtext}; G gets "
                                "almost no gradient.", "warn")
    rising = df_prev is not None and df > df_prev + 0.01
    if improving and (rising or df < 0.5):
        return Health("approaching", f"Approaching equilibrium: {nums}, quality rising ({qtext}).", "ok")
    trend = "rising" if improving else ("flat" if verdict else "not scored")
    return Health("learning", f"D separates real from fake: {nums}; quality {trend} ({qtext}).", "info")
