"""D's health line: the thresholds on hand-made rows, then on curves recorded from real runs
(tests/data/health_*.jsonl: rows of metrics.jsonl written by our trainer, with the columns the
line reads; q_fid_ratio was added from each run's recorded quality_reference event where the
run predates it). The runs: `gan-explorer train --recipe dcgan-shapes --model cgan --amp bf16
--steps 700 --sample-every 100` on shapes v1 (dead_d); `... --d-norm spectral --cond concat
--d-width 32 --lr-g 2e-4` on v1 (d_wins); `... --d-norm spectral --cond projection --d-width 32
--lr-g 2e-4 --steps 2000 --sample-every 250` on v2 with rotation (healthy)."""
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
    # shapes v1 (small turned objects anywhere), CGAN, BatchNorm D, lr G 1e-3 / D 2e-4 (the old
    # recipe): D(x) 0.50, D(G(z)) 0.50 from step 100 while G draws speckled blobs
    ("dead_d", 600, "not_learning"),             # once coverage has been flat for 3 scores
    ("dead_d", 700, "not_learning"),
    # shapes v1, CGAN, spectral-norm D with the one-hot as input planes, lr 2e-4: D(G(z)) 0.02-0.08
    ("d_wins", 350, "d_wins"),
    # shapes v2 (larger, centred), CGAN with a spectral-norm projection D: D separates (D(x) 0.58,
    # D(G(z)) 0.40) while coverage climbs 0.24 -> 0.33 and the distance ratio falls 111 -> 75
    ("healthy", 1250, "approaching"),
    ("healthy", 150, "learning"),
])
def test_recorded_curves(name, step, state):
    assert _state_at(_recorded(name), step) == state
