"""BEGAN's health line: its own numbers, since D(x) = 1/2 means nothing for an auto-encoder D.

BEGAN's controller k_t holds L(G(z)) / L(x) at gamma. From the last WINDOW logged rows:

* ``k_floor``   k_t pinned at 0: L(G(z)) stays above gamma L(x), so D only auto-encodes real data
  and never learns to reject fakes (early in every run; when it lasts G is stuck: a
  gamma-0.5 digits run sat here from step ~150 with L(G(z)) / L(x) ~1.0 and one grey image for
  every z; at gamma 1, the began-digits recipe, k_t left 0 and G learned digits),
* ``k_ceiling`` k_t pinned at 1: L(G(z)) stays below gamma L(x) even with D pushing the fakes'
  error up at full weight: the control has run out (a lower gamma or a larger D),
* ``converging`` M_global fell by at least FALL over the window (the paper's convergence measure,
  which tracks image quality),
* ``balanced``  anything else: k_t inside (0, 1), the ratio near gamma, M_global flat.
"""
from __future__ import annotations

import math

WINDOW = 20            # logged rows, as D's health line
MIN_ROWS = 5
PINNED = 1e-4          # k_t within this of 0 or 1 on every row of the window: pinned
FALL = 0.03            # M_global's relative fall over the window that counts as converging


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def began_health(rows: list[dict]):
    """A `train.health.Health` for a BEGAN run's rows, or None if the rows are not BEGAN's."""
    from .health import Health
    b = [r for r in rows if _finite(r.get("k_t")) and _finite(r.get("m_global"))]
    if not b:
        return None
    if len(b) < MIN_ROWS:
        return Health("waiting", "BEGAN: waiting for more rows.", "info")
    win = b[-WINDOW:]
    k = [r["k_t"] for r in win]
    m0, m1 = win[0]["m_global"], win[-1]["m_global"]
    lx = sum(r["loss_real_rec"] for r in win) / len(win)
    lg = sum(r["loss_fake_rec"] for r in win) / len(win)
    nums = f"k_t {k[-1]:.3f}, L(G(z)) / L(x) = {lg / max(lx, 1e-12):.2f}, M_global {m1:.3f}"
    if max(k) <= PINNED:
        return Health("k_floor", f"k_t sits at 0 ({nums}): L(G(z)) stays above γ L(x), so D only "
                                 "auto-encodes real data and never learns to reject fakes; normal for the "
                                 "first steps, G is stuck if it lasts (a higher γ brings k_t into play).", "info")
    if min(k) >= 1 - PINNED:
        return Health("k_ceiling", f"k_t is stuck at 1 ({nums}): D cannot push the fakes' reconstruction "
                                   "error up to γ L(x); the control has run out (try a lower γ or a wider D).",
                      "warn")
    if m1 <= m0 * (1 - FALL):
        return Health("converging", f"Converging: M_global fell {m0:.3f} → {m1:.3f} over the last "
                                    f"{len(win)} rows ({nums}).", "ok")
    return Health("balanced", f"Balanced, M_global flat ({nums}): the paper halves the learning rate here "
                              "(--began-plateau).", "info")
