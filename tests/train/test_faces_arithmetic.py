"""The DCGAN paper's face arithmetic, measured with oracle generators whose attributes are known
functions of z: a generator whose glasses and smile are monotone in two z coordinates (arithmetic on
averaged z works), and one whose attributes are a scrambled function of z (it cannot)."""
import numpy as np
import pytest
import torch

from train.faces_arithmetic import arithmetic_rate

from test_faces_metrics import FacesOracle, OracleFaceJudge


class Scrambled(FacesOracle):
    """The same faces, but every attribute from sin(37 z): nearby z, unrelated faces."""

    def generate(self, z, label=None, codes=None):
        return super().generate(2 * torch.sin(37 * z), label, codes)


@pytest.fixture
def judge():
    return OracleFaceJudge()


def test_arithmetic_works_on_a_generator_linear_in_z_and_not_on_a_scrambled_one(judge):
    torch.set_num_threads(1)
    good = arithmetic_rate(FacesOracle(judge), judge, triples=60, pool=400, seed=0)
    bad = arithmetic_rate(Scrambled(judge), judge, triples=60, pool=400, seed=0)
    assert good["arith_triples"] == bad["arith_triples"] == 60
    assert good["arith_valid"] == 1.0                      # every result is a face the oracle drew
    assert good["arith_success"] > 0.8 > 0.45 > bad["arith_success"]
    # averaging three exemplars a slot beats one (the paper's reason for averaging)
    assert good["arith_success"] > good["arith_success_1"]


def test_conditional_models_are_refused_and_an_empty_pool_gives_nan(judge):
    with pytest.raises(ValueError, match="unconditional"):
        arithmetic_rate(FacesOracle(judge, label=True), judge)
    one_face = FacesOracle(judge, collapse=True)            # every sample the same face: no B or C slot
    out = arithmetic_rate(one_face, judge, triples=5, pool=50)
    assert out["arith_triples"] == 0 and np.isnan(out["arith_success"])
