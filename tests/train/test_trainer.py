"""The training engine: run folders, resume, divergence guard, every kind."""
import json

import pytest
import torch

from gan_models.checkpoint import load_checkpoint
from train.engine import TrainingDiverged
from train.run_folder import read_jsonl, training_rows
from train.setup import create_trainer, resume_trainer

from conftest import poisoned_after_checkpoint, tiny_config

REQUIRED = {"step", "epoch", "time", "d_real", "d_fake", "d_fake_after", "loss_d", "loss_g",
            "images_per_s", "grad_norm_g"}


@pytest.mark.parametrize("kind,dataset", [("gan", "ring8"), ("gan", "digits"), ("dcgan", "digits"),
                                          ("cgan", "digits"), ("infogan", "digits")])
def test_each_kind_leaves_a_complete_run_folder(tmp_path, kind, dataset):
    tr = create_trainer(tiny_config(kind, dataset), out=tmp_path / "run")
    assert tr.run() == "finished"
    run = tmp_path / "run"
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["kind"] == kind and cfg["train"]["seed"] == 0 and "torch" in cfg["versions"]
    rows = training_rows(read_jsonl(run / "metrics.jsonl"))
    assert [r["step"] for r in rows] == [2, 4, 6]
    for r in rows:
        assert REQUIRED <= r.keys()
        assert 0 <= r["d_real"] <= 1 and 0 <= r["d_fake"] <= 1
    if kind == "infogan":
        assert all("loss_info" in r for r in rows)
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == [
        "step_0000000.png", "step_0000004.png", "step_0000006.png"]
    for name in ("latest", "last_good", "step_0000004"):
        assert (run / "checkpoints" / f"{name}.safetensors").is_file()
    ck = load_checkpoint(run)
    assert ck.meta["step"] == 6 and ck.config.kind == kind and ck.discriminator is not None
    events = [e["event"] for e in read_jsonl(run / "events.jsonl")]
    assert events[0] == "started" and events[-1] == "finished" and "checkpoint" in events


def test_resumed_run_matches_uninterrupted_step_for_step(tmp_path):
    cfg = tiny_config("infogan", steps=10, checkpoint_every=0, autosave_seconds=1e9)
    a = create_trainer(cfg, out=tmp_path / "a")
    a.run()
    b = create_trainer(cfg, out=tmp_path / "b")
    b.run(should_stop=lambda: b.step_count >= 5)          # "interrupted" after step 5 (saves latest)
    b2 = resume_trainer(tmp_path / "b")
    assert b2.step_count == 5
    b2.run()
    ra, rb = read_jsonl(tmp_path / "a" / "metrics.jsonl"), read_jsonl(tmp_path / "b" / "metrics.jsonl")
    assert [r["step"] for r in rb] == [r["step"] for r in ra]
    for x, y in zip(ra, rb):
        for k in ("d_real", "d_fake", "loss_d", "loss_g", "loss_info"):
            assert x[k] == y[k], (x["step"], k)
    for pa, pb in zip(a.G.state_dict().values(), b2.G.state_dict().values()):
        assert torch.equal(pa, pb)


def test_nan_triggers_guard_and_keeps_last_good(tmp_path):
    tr, good, before = poisoned_after_checkpoint(tmp_path)  # a good checkpoint at step 4, then NaN
    with pytest.raises(TrainingDiverged) as e:
        tr.run()
    msg = str(e.value)
    assert "step 5" in msg and "last_good.safetensors" in msg
    assert good.read_bytes() == before
    ck = load_checkpoint(good)
    assert all(torch.isfinite(p).all() for p in ck.generator.parameters())
    events = [e["event"] for e in read_jsonl(tmp_path / "run" / "events.jsonl")]
    assert events[-1] == "diverged"


def test_minimax_and_softmax_head_and_packing_train(tmp_path):
    cfg = tiny_config("gan", "ring8", steps=4, g_loss="minimax", d_steps=2,
                      model_overrides={"d_head": "softmax", "pack": 4})
    tr = create_trainer(cfg, out=tmp_path / "run")
    tr.run()
    rows = training_rows(read_jsonl(tmp_path / "run" / "metrics.jsonl"))
    assert rows[-1]["loss_g"] < 0          # log(1 - D(G(z))) is negative
    assert tr.D.cfg.pack == 4


def test_toy_gan_learns_the_ring(tmp_path):
    """A real, short training: the plain GAN spreads over several ring modes."""
    from gan_models.latent import sample_z
    from train.metrics import mode_metrics
    cfg = tiny_config("gan", "ring8", steps=1500, batch_size=128, lr_d=1e-3, lr_g=1e-3,
                      log_every=100, sample_every=10**6, checkpoint_every=0)
    tr = create_trainer(cfg, write=False)
    tr.run()
    tr.G.eval()
    with torch.no_grad():
        pts = tr.G(sample_z(2500, tr.G.z_dim, 1)).numpy()
    m = mode_metrics(pts, tr.dataset.centres, tr.dataset.std)
    assert m["modes"] >= 4 and m["hq_fraction"] > 0.1, m     # untrained: 0 modes, 0 HQ


@pytest.mark.parametrize("trains_d", [True, False])
def test_infogan_information_term_trains_d_trunk_and_q_in_the_d_step(tmp_path, trains_d):
    """info_trains_d (default): D's step also minimises the information term, so Q and D's
    shared trunk learn to read the code; off: Q learns only in G's step (with G's optimizer,
    where it always learns too)."""
    tr = create_trainer(tiny_config("infogan", info_trains_d=trains_d), write=False)
    q_before = [p.detach().clone() for p in tr.D.q.parameters()]
    in_opt_d = {id(p) for g in tr.opt_d.param_groups for p in g["params"]}
    assert all((id(p) in in_opt_d) == trains_d for p in tr.D.q.parameters())
    in_opt_g = {id(p) for g in tr.opt_g.param_groups for p in g["params"]}
    assert all(id(p) in in_opt_g for p in tr.D.q.parameters())
    tr.d_step()
    moved = any(not torch.equal(a, b) for a, b in zip(q_before, tr.D.q.parameters()))
    assert moved == trains_d


def test_fixed_std_information_loss_ignores_q_log_std():
    from gan_models.base import QOutput
    from train.losses import info_loss
    cat, cont = torch.tensor([[1], [0]]), torch.tensor([[0.5], [-0.5]])
    logits = [torch.tensor([[0.0, 3.0], [3.0, 0.0]])]
    a = info_loss(QOutput(logits, cont.clone(), torch.zeros(2, 1)), cat, cont)
    b = info_loss(QOutput(logits, cont.clone(), torch.full((2, 1), 4.0)), cat, cont)
    assert torch.allclose(a, b)                                   # std fixed at 1
    c = info_loss(QOutput(logits, cont.clone(), torch.full((2, 1), 4.0)), cat, cont, fixed_std=False)
    assert c > a + 3                                               # learned std: log-std counts
    wrong = info_loss(QOutput(logits, -cont, torch.zeros(2, 1)), cat, cont)
    assert wrong > a                                               # a wrong mean costs
    # cont_weight scales only the continuous part: a wrong mean (NLL 0.5 * 1^2 per sample)
    # costs twice as much at weight 2 and nothing at weight 0, the categorical CE unchanged
    w2 = info_loss(QOutput(logits, -cont, torch.zeros(2, 1)), cat, cont, cont_weight=2.0)
    w0 = info_loss(QOutput(logits, -cont, torch.zeros(2, 1)), cat, cont, cont_weight=0.0)
    assert torch.allclose(w2 - wrong, wrong - w0) and torch.allclose(w0, a)


def test_code_balance_is_zero_for_an_even_spread_and_log_k_for_one_value():
    import math
    from gan_models.base import QOutput
    from train.losses import code_balance
    none = torch.zeros(4, 0)
    even = torch.eye(4) * 20                                      # each sample sure of its own value
    assert abs(float(code_balance(QOutput([even], none, none)))) < 1e-6
    one = torch.zeros(4, 4)
    one[:, 2] = 20                                                # every sample on value 2
    assert abs(float(code_balance(QOutput([one], none, none))) - math.log(4)) < 1e-4
    # two real classes merged into one value of a 4-way code: shares 1/2, 1/4, 1/4, 0
    merged = torch.tensor([0, 0, 1, 2]).unsqueeze(1).eq(torch.arange(4)).float() * 20
    v = float(code_balance(QOutput([merged], none, none)))
    assert abs(v - (math.log(4) - 1.5 * math.log(2))) < 1e-4     # log K - H(1/2, 1/4, 1/4)


def test_real_balance_term_trains_q_on_real_batches():
    """info_real_balance > 0: D's step also sees Q's code on the real batch (0: the paper's
    InfoGAN, Q only ever sees fakes). Same seed and batch, so the updates differ only by it."""
    def q_after_one_d_step(weight):
        tr = create_trainer(tiny_config("infogan", "digits", info_real_balance=weight), out=None, write=False)
        logged = tr.d_step()
        assert ("code_balance" in logged) == (weight > 0)          # the term's value reaches the metrics
        return torch.cat([p.detach().flatten() for p in tr.D.q.parameters()])
    plain, balanced = q_after_one_d_step(0.0), q_after_one_d_step(5.0)
    assert not torch.allclose(plain, balanced)
    assert torch.equal(plain, q_after_one_d_step(0.0))             # and nothing else differs
    with pytest.raises(Exception, match="info-real-balance"):
        tiny_config("infogan", "digits", info_real_balance=-1.0)


def test_lr_decay_falls_linearly_to_zero_and_resume_follows_the_schedule(tmp_path):
    cfg = tiny_config("gan", "ring8", steps=10, lr_decay_from=0.6, checkpoint_every=0, autosave_seconds=1e9)
    tr = create_trainer(cfg, out=tmp_path / "a")
    seen = []
    for _ in range(10):
        tr.step()
        seen.append((tr.opt_d.param_groups[0]["lr"], tr.opt_g.param_groups[0]["lr"]))
    lr = cfg.lr_d
    assert seen[0] == (lr, lr) and seen[5] == (lr, lr)            # constant for the first 60 %
    assert [round(d / lr, 6) for d, _ in seen[6:]] == [1.0, 0.75, 0.5, 0.25]   # last step at 1/4
    # a resumed run applies the same lr at the same step
    b = create_trainer(cfg, out=tmp_path / "b")
    b.run(should_stop=lambda: b.step_count >= 7)
    b2 = resume_trainer(tmp_path / "b")
    b2.step()
    assert b2.opt_d.param_groups[0]["lr"] == seen[7][0]
    with pytest.raises(Exception, match="lr-decay-from"):
        tiny_config("gan", "ring8", lr_decay_from=1.5)


def test_lrelu_d_unit_and_fused_adam_train_and_round_trip(tmp_path):
    cfg = tiny_config("gan", "ring8", steps=4, adam_kernel="fused",
                      model_overrides={"d_unit": "lrelu", "dropout": 0.0})
    tr = create_trainer(cfg, out=tmp_path / "run")
    assert tr.run() == "finished"
    assert tr.opt_d.defaults["fused"] and not any("Maxout" in type(m).__name__ for m in tr.D.modules())
    ck = load_checkpoint(tmp_path / "run")
    assert ck.config.d_unit == "lrelu"
    x = torch.randn(8, 2)
    tr.D.eval()
    assert torch.equal(ck.discriminator(x), tr.D(x))
    with pytest.raises(Exception, match="'d_unit' = 'relu'"):
        create_trainer(tiny_config("gan", "ring8", model_overrides={"d_unit": "relu"}), write=False)
    with pytest.raises(Exception, match="adam-kernel"):
        tiny_config("gan", "ring8", adam_kernel="slow")


def test_compiled_nets_train_and_save_the_same_parameter_names(tmp_path):
    eager = create_trainer(tiny_config("gan", "ring8", steps=4), out=tmp_path / "e")
    eager.run()
    cfg = tiny_config("gan", "ring8", steps=4, compile=True)
    tr = create_trainer(cfg, out=tmp_path / "c")
    assert tr.run() == "finished"
    rows = training_rows(read_jsonl(tmp_path / "c" / "metrics.jsonl"))
    assert [r["step"] for r in rows] == [2, 4] and all(0 <= r["d_fake"] <= 1 for r in rows)
    a, b = load_checkpoint(tmp_path / "e"), load_checkpoint(tmp_path / "c")   # the one loader, unchanged
    assert list(a.generator.state_dict()) == list(b.generator.state_dict())
    assert list(a.discriminator.state_dict()) == list(b.discriminator.state_dict())


@pytest.mark.parametrize("native", [True, False])
def test_bf16_on_the_cpu_where_native_else_fp32_with_an_event(tmp_path, monkeypatch, native):
    import train.device
    monkeypatch.setattr(train.device, "bf16_native", lambda device: native)
    tr = create_trainer(tiny_config("dcgan", steps=2, amp="bf16"), out=tmp_path / "run")
    seen = []
    real_forward = tr.D.forward
    monkeypatch.setattr(tr.D, "forward", lambda *a, **k: seen.append(torch.is_autocast_cpu_enabled()) or
                        real_forward(*a, **k))
    assert tr.run() == "finished"
    assert all(seen) if native else not any(seen)
    events = [e["event"] for e in read_jsonl(tmp_path / "run" / "events.jsonl")]
    assert ("amp_off" in events) == (not native)
