"""D's health line: the thresholds on hand-made rows, then on curves recorded from real runs
(tests/data/health_*.jsonl, written by our trainer; see the module docstring of train.health)."""
import json
from pathlib import Path

import pytest

from train.health import D_WINS, MIN_ROWS, NEAR_HALF, POOR, WINDOW, d_health

DATA = Path(__file__).resolve().parents[1] / "data"


def _rows(d_real, d_fake, n=WINDOW, quality=()):
    rows = [{"step": 10 * (i + 1), "d_real": d_real, "d_fake": d_fake, "loss_d": 1.0, "loss_g": 1.0}
            for i in range(n)]
    return rows + [{"step": 100 * (i + 1), "q_fid": 100.0, "q_coverage": q} for i, q in enumerate(quality)]


def test_states_from_the_thresholds():
    assert d_health(_rows(0.5, 0.5, n=MIN_ROWS - 1)).state == "waiting"
    assert d_health(_rows(0.52, 0.48, quality=[0.0, 0.01, 0.02])).state == "not_learning"
    assert d_health(_rows(0.52, 0.48, quality=[0.5, 0.7, 0.8])).state == "equilibrium"
    assert d_health(_rows(0.52, 0.48)).state == "unknown"                  # no score: says it cannot tell
    assert d_health(_rows(0.99, D_WINS / 2, quality=[0.1, 0.1])).state == "d_wins"
    assert d_health(_rows(0.8, 0.25, quality=[0.1, 0.2, 0.3, 0.4])).state == "approaching"
    assert d_health(_rows(0.8, 0.25, quality=[0.4, 0.4, 0.4, 0.4])).state == "learning"


def test_the_edges_of_near_half_and_poor():
    edge = 0.5 + NEAR_HALF + 0.01                                          # just outside: D still separates
    assert d_health(_rows(edge, 0.5, quality=[0.0] * 4)).state != "not_learning"
    assert d_health(_rows(0.5, 0.5, quality=[POOR + 0.01] * 4)).state not in ("not_learning", "equilibrium")


def test_the_message_is_plain_and_names_the_numbers():
    h = d_health(_rows(0.52, 0.48, quality=[0.0, 0.0]))
    assert h.message.startswith("D is not learning") and "D(x) 0.52" in h.message and h.level == "warn"
    assert "--d-norm spectral" in h.message


def _recorded(name):
    path = DATA / f"health_{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _state_at(rows, step):
    return d_health([r for r in rows if r["step"] <= step]).state


@pytest.mark.parametrize("name, step, state", [
    # shapes v1 (small objects anywhere), CGAN with BatchNorm D, lr G 1e-3 / D 2e-4: D stops learning
    ("dead_d", 700, "not_learning"),
    # shapes v2, DCGAN with BatchNorm D and lr 2e-4 for both: D wins
    ("d_wins", 600, "d_wins"),
    # shapes v2, CGAN with spectral-norm projection D: D separates while coverage rises
    ("healthy", 1500, "approaching"),
])
def test_recorded_curves(name, step, state):
    assert _state_at(_recorded(name), step) == state
