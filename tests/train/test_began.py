"""BEGAN: the losses, k_t's control and M_global against hand-computed values, the one-backward
step against autograd on the paper's losses, exact resume, and a short run whose M_global falls."""
import json

import pytest
import torch

from gan_models.checkpoint import load_checkpoint
from gan_models.config import default_config
from gan_models.errors import ConfigError
from gan_models.nets.began import l1_rec
from gan_models.registry import build_discriminator, build_generator
from train.began_step import began_losses, k_update, m_global, pair_rows, recon_path
from train.config import TrainConfig
from train.run_folder import read_jsonl, training_rows
from train.setup import create_trainer, resume_trainer

from conftest import tiny_config

BEGAN_KEYS = {"k_t", "m_global", "loss_real_rec", "loss_fake_rec", "loss_d", "loss_g", "grad_norm_g"}


def test_l1_reconstruction_loss_by_hand():
    x = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]]])          # (1, 1, 2, 2)
    rec = torch.tensor([[[[0.5, -1.0], [0.0, 1.0]]]])
    assert l1_rec(x, rec).item() == pytest.approx((0.5 + 0 + 0.5 + 1.0) / 4)


def test_losses_k_update_and_m_global_by_hand():
    lx, lg, k, gamma, lam = 0.2, 0.15, 0.3, 0.5, 0.001
    loss_d, loss_g = began_losses(torch.tensor(lx), torch.tensor(lg), k)
    assert loss_d.item() == pytest.approx(0.2 - 0.3 * 0.15)            # 0.155
    assert loss_g.item() == pytest.approx(0.15)
    # balance gamma L(x) - L(G(z)) = 0.1 - 0.15 = -0.05: k falls by lambda_k * 0.05
    assert k_update(k, lx, lg, gamma, lam) == pytest.approx(0.29995)
    assert k_update(torch.tensor(k), torch.tensor(lx), torch.tensor(lg), gamma, lam).item() == \
        pytest.approx(0.29995)
    assert m_global(lx, lg, gamma) == pytest.approx(0.2 + 0.05)
    assert m_global(0.4, 0.1, 0.5) == pytest.approx(0.4 + 0.1)         # |0.2 - 0.1|


def test_k_is_clamped_to_zero_and_one():
    assert k_update(0.9999, 1.0, 0.0, 0.7, 0.001) == 1.0               # would be 1.0006
    assert k_update(0.0, 0.1, 0.9, 0.5, 0.001) == 0.0                  # would be -0.00085
    t = k_update(torch.tensor(0.9995), torch.tensor(2.0), torch.tensor(0.0), 1.0, 0.01)
    assert t.item() == 1.0
    assert k_update(torch.tensor(0.0005), torch.tensor(0.0), torch.tensor(1.0), 0.5, 0.01).item() == 0.0


def test_one_backward_step_gives_the_papers_gradients(tmp_path):
    """The trainer backpropagates L(G(z)) once and scales D's part by -k_t: D's gradient must be
    that of L(x) - k_t L(G(z)) and G's that of L(G(z)), as two separate autograd calls give them."""
    tr = create_trainer(tiny_config("began", steps=1), write=False)
    tr.began.k = torch.tensor(0.37)
    G, D = tr.G, tr.D
    g0 = {k: v.clone() for k, v in G.state_dict().items()}
    d0 = {k: v.clone() for k, v in D.state_dict().items()}
    data_state, gen_state = tr.data.state(), tr.gen.get_state()
    grads = {}

    def capture(opt, name):
        def step(*a, **kw):
            grads[name] = [p.grad.clone() for p in opt.param_groups[0]["params"]]
        return step
    tr.opt_d.step, tr.opt_g.step = capture(tr.opt_d, "d"), capture(tr.opt_g, "g")
    out = tr.began.step()
    # the same batch and z again, by hand, from the same weights
    G.load_state_dict(g0)
    D.load_state_dict(d0)
    tr.data.load_state(data_state)
    tr.gen.set_state(gen_state)
    real, _ = tr.data.next()
    z = tr._latents(real.shape[0])[0]
    fake = G(G.build_input(z))
    lf = l1_rec(fake, D.reconstruct(fake))
    lx = l1_rec(real, D.reconstruct(real))
    want_d = torch.autograd.grad(lx - 0.37 * lf, list(D.parameters()), retain_graph=True)
    want_g = torch.autograd.grad(lf, list(G.parameters()))
    for got, want in ((grads["d"], want_d), (grads["g"], want_g)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert torch.allclose(a, b, atol=1e-6, rtol=1e-4)
    assert out["loss_real_rec"].item() == pytest.approx(lx.item(), rel=1e-5)
    assert out["loss_fake_rec"].item() == pytest.approx(lf.item(), rel=1e-5)
    assert out["k_t"].item() == pytest.approx(0.37 + 0.001 * (0.5 * lx.item() - lf.item()), abs=1e-7)


def test_run_folder_has_the_began_metrics_and_reconstructions(tmp_path):
    tr = create_trainer(tiny_config("began"), out=tmp_path / "run")
    assert tr.run() == "finished"
    run = tmp_path / "run"
    rows = training_rows(read_jsonl(run / "metrics.jsonl"))
    assert [r["step"] for r in rows] == [2, 4, 6]
    for r in rows:
        assert BEGAN_KEYS <= r.keys() and 0 <= r["k_t"] <= 1
        assert r["m_global"] == pytest.approx(r["loss_real_rec"] + abs(0.5 * r["loss_real_rec"] - r["loss_fake_rec"]),
                                              abs=0.05)   # a mean of M over the window, not M of the means
    for step in (0, 4, 6):
        for which in ("real", "fake"):
            assert recon_path(run, step, which).is_file()
    ck = load_checkpoint(run)                       # the one loader: G and the auto-encoder D
    assert ck.config.kind == "began" and ck.discriminator is not None
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.equal(ck.discriminator.eval().reconstruct(x), tr.D.eval().reconstruct(x))


def test_resumed_began_run_matches_uninterrupted_step_for_step(tmp_path):
    cfg = tiny_config("began", steps=10, checkpoint_every=0, autosave_seconds=1e9, began_plateau=3)
    a = create_trainer(cfg, out=tmp_path / "a")
    a.run()
    b = create_trainer(cfg, out=tmp_path / "b")
    b.run(should_stop=lambda: b.step_count >= 5)
    b2 = resume_trainer(tmp_path / "b")
    assert b2.step_count == 5 and b2.began.k.item() == b.began.k.item()
    b2.run()
    ra, rb = read_jsonl(tmp_path / "a" / "metrics.jsonl"), read_jsonl(tmp_path / "b" / "metrics.jsonl")
    assert [r["step"] for r in rb] == [r["step"] for r in ra]
    for x, y in zip(ra, rb):
        for k in ("k_t", "m_global", "loss_real_rec", "loss_fake_rec", "loss_d", "loss_g"):
            assert x.get(k) == y.get(k), (x["step"], k)
    assert a.began.state()["halvings"] == b2.began.state()["halvings"]
    for pa, pb in zip(list(a.G.state_dict().values()) + list(a.D.state_dict().values()),
                      list(b2.G.state_dict().values()) + list(b2.D.state_dict().values())):
        assert torch.equal(pa, pb)


def test_plateau_halves_the_learning_rates(tmp_path):
    tr = create_trainer(tiny_config("began", steps=8, began_plateau=2, lr_d=1e-4, lr_g=1e-4), write=False)
    # M_global that never falls: every window after the first halves the lr
    ms = iter([1.0] * 8)
    tr.began._watch_plateau = (lambda orig: lambda m: orig(torch.tensor(next(ms))))(tr.began._watch_plateau)
    tr.run()
    assert tr.began.halvings == 3                    # windows 2, 3 and 4 did not fall
    assert tr.opt_d.param_groups[0]["lr"] == pytest.approx(1e-4 / 4)   # set before step 8 (2 halvings)


def test_short_run_m_global_falls(tmp_path):
    """M_global, the paper's convergence measure, falls as G and D learn: the mean of the last
    rows is well below the first rows' (measured, rows of 5 steps: 1.29, 0.97, 0.48, 0.44, 0.38, 0.40, 0.39, 0.38)."""
    cfg = tiny_config("began", steps=40, log_every=5, sample_every=1000, checkpoint_every=0,
                      n_data=512, quality_n=0, lr_d=3e-4, lr_g=3e-4)
    tr = create_trainer(cfg, out=tmp_path / "run")
    tr.run()
    m = [r["m_global"] for r in training_rows(read_jsonl(tmp_path / "run" / "metrics.jsonl"))]
    assert len(m) == 8
    assert sum(m[-2:]) / 2 < 0.6 * sum(m[:2]) / 2, m


def test_bad_began_settings_are_named():
    with pytest.raises(ConfigError, match="d_norm"):
        default_config("began", (1, 28, 28), d_norm="batch")
    with pytest.raises(ConfigError, match="arch"):
        default_config("began", (2,))
    with pytest.raises(ConfigError, match="began-gamma"):
        TrainConfig(model="began", steps=1, began_gamma=1.5).validate()
    with pytest.raises(ConfigError, match="began-lambda-k"):
        TrainConfig(model="began", steps=1, began_lambda_k=-0.1).validate()


def test_pair_rows_puts_each_reconstruction_under_its_image():
    import numpy as np
    x = np.zeros((16, 2, 2, 1), np.uint8)
    rec = np.full((16, 2, 2, 1), 255, np.uint8)
    out = pair_rows(x, rec, cols=8)
    assert out.shape == (32, 2, 2, 1)
    assert (out[:8] == 0).all() and (out[8:16] == 255).all() and (out[16:24] == 0).all()


def test_g_and_d_shapes_follow_the_paper_at_64():
    cfg = default_config("began", (3, 64, 64), g_width=16, d_width=16, h_dim=32)
    g, d = build_generator(cfg), build_discriminator(cfg)
    assert g.decoder.fc.out_features == 16 * 8 * 8                      # 8x8 start
    assert sum(isinstance(m, torch.nn.Upsample) for m in g.modules()) == 3   # 8 -> 64
    assert not any(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)) for m in d.modules())
    assert sum(isinstance(m, torch.nn.ELU) for m in d.modules()) > 10
    assert d.embed.out_features == 32 and d.scales[-1][0].out_channels == 4 * 16   # 4 scales: n..4n
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    assert d.reconstruct(x).shape == x.shape and d(x).shape == (2,)
    assert torch.allclose(-d(x), (d.reconstruct(x) - x).abs().mean((1, 2, 3)))
    assert json.loads(json.dumps(cfg.to_dict()))["h_dim"] == 32
    assert "h_dim" not in default_config("dcgan", (1, 28, 28)).to_dict()   # older versions read other kinds


def _began_rows(k, m, lx=0.2, lg=0.1, n=20):
    return [{"step": 10 * (i + 1), "k_t": k(i), "m_global": m(i), "loss_real_rec": lx, "loss_fake_rec": lg}
            for i in range(n)]


def test_health_line_reads_k_t_and_m_global():
    from train.health import d_health
    assert d_health(_began_rows(lambda i: 0.0, lambda i: 0.3, n=3)).state == "waiting"
    assert d_health(_began_rows(lambda i: 0.0, lambda i: 0.3)).state == "k_floor"
    h = d_health(_began_rows(lambda i: 1.0, lambda i: 0.3))
    assert h.state == "k_ceiling" and h.level == "warn"
    h = d_health(_began_rows(lambda i: 0.05, lambda i: 0.3 - 0.005 * i))
    assert h.state == "converging" and "0.300 → 0.205" in h.message and "L(G(z)) / L(x) = 0.50" in h.message
    assert d_health(_began_rows(lambda i: 0.05, lambda i: 0.3)).state == "balanced"
