"""The InfoGAN real-data clustering term (info_real_cluster, IIC; our addition, off in the paper's
recipe): its value against hand-computed cases, and that it trains Q on real batches."""
import math

import pytest
import torch

from train.losses import code_cluster_mi
from train.setup import create_trainer
from conftest import tiny_config


def test_cluster_mi_is_log_k_for_confident_agreeing_balanced_reads_and_zero_for_uniform():
    k = 4
    sure = torch.eye(k).repeat(8, 1)                       # 32 images, 8 per value, both views agree
    assert abs(float(code_cluster_mi(sure, sure)) - math.log(k)) < 1e-4
    uniform = torch.full((32, k), 1 / k)                  # Q ignores the image
    assert abs(float(code_cluster_mi(uniform, uniform))) < 1e-6
    # every image read as value 0 from both views: agreement without information
    one = torch.zeros(32, k)
    one[:, 0] = 1
    assert abs(float(code_cluster_mi(one, one))) < 1e-4
    # view 2 unrelated to view 1 (each value of view 1 meets every value of view 2 equally)
    unrelated = torch.eye(k)[torch.arange(32) // 8]
    assert abs(float(code_cluster_mi(sure, unrelated))) < 1e-4
    # two values merged (shares 1/2, 1/4, 1/4): I = H(1/2, 1/4, 1/4) = 1.5 ln 2
    merged = torch.eye(k)[torch.tensor([0, 0, 1, 2] * 8)]
    assert abs(float(code_cluster_mi(merged, merged)) - 1.5 * math.log(2)) < 1e-4


def test_real_cluster_term_trains_q_on_real_batches_and_is_logged():
    def q_after_one_d_step(weight):
        tr = create_trainer(tiny_config("infogan", "digits", info_real_cluster=weight), out=None, write=False)
        logged = tr.d_step()
        assert ("code_cluster" in logged) == (weight > 0)
        if weight:
            assert 0 <= float(logged["code_cluster"]) <= math.log(10) + 1e-4
        return torch.cat([p.detach().flatten() for p in tr.D.q.parameters()])
    plain, clustered = q_after_one_d_step(0.0), q_after_one_d_step(5.0)
    assert not torch.allclose(plain, clustered)
    with pytest.raises(Exception, match="info-real-cluster"):
        tiny_config("infogan", "digits", info_real_cluster=-1.0)
