"""Named directions from the judge: on an oracle generator whose glasses and smile are monotone
in z[0] and z[1], the found directions point along those axes and a 2-sigma move flips the
reading while the other attribute stays; a scrambled generator gives directions that do not."""
import numpy as np
import pytest
import torch

from train.faces_directions import attribute_directions, flip_rate

from test_faces_arithmetic import Scrambled
from test_faces_metrics import FacesOracle, OracleFaceJudge


@pytest.fixture
def judge():
    return OracleFaceJudge()


def test_directions_follow_the_attributes_axes_and_moves_flip_them(judge):
    torch.set_num_threads(1)
    g = FacesOracle(judge)
    d = attribute_directions(g, judge, n=600)
    assert d.names[:2] == ["+glasses", "+smile"] and d.vectors.shape == (4, 8)
    assert abs(d.vectors[0][0]) > 0.9 and d.vectors[0][0] > 0      # +glasses along +z[0]
    assert abs(d.vectors[1][1]) > 0.9 and d.vectors[1][1] > 0      # +smile along +z[1]
    assert np.allclose(np.linalg.norm(d.vectors, axis=1), 1, atol=1e-5)
    r = flip_rate(g, judge, d, "smile", sigma=2.0, n=300)
    assert r["moved"] > 100 and r["flipped"] > 0.8 and r["others_kept"] > 0.9
    assert flip_rate(g, judge, d, "smile", sigma=0.0, n=300)["flipped"] == 0.0     # no move, no flip
    r = flip_rate(g, judge, d, "glasses", sigma=2.0, n=300)
    assert r["flipped"] > 0.8 and r["others_kept"] > 0.9                           # the smile stays


def test_a_scrambled_generator_has_no_direction_that_works(judge):
    g = Scrambled(judge)
    d = attribute_directions(g, judge, n=600)
    assert flip_rate(g, judge, d, "smile", sigma=2.0, n=300)["flipped"] < 0.7
    with pytest.raises(ValueError, match="unconditional"):
        attribute_directions(FacesOracle(judge, label=True), judge)
