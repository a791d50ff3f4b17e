"""The faces judge: one small CNN that reads every attribute of a face image, and whether it is
a face at all. Used by the faces metrics (train/faces_metrics.py), live quality and the panels.

Heads on one trunk (ProbeNet's 64x64 trunk, train/probe.py): a softmax per discrete attribute
(glasses, smile, hair style, hair colour), a regression per continuous one (skin, width,
eye_size, tilt; trained on the range scaled to [0, 1], read back in the data set's units), and a
face / not-a-face logit. The face head is trained against corrupted images a failing GAN draws
too: two faces blended (ghosting), heavy blur, faces cut into shuffled tiles, smooth colour
blobs and noise, so "a valid face" means more than "some attribute was read confidently".
Every head also learns from faces softened the way a GAN's samples are (a slight blur, pixel
noise, a brightness shift): those still count as faces, and their attributes are read. (Without
them, version 1 read only 43 % of faces blurred by a 2x2 average as valid.)

Training: JUDGE_STEPS Adam steps on freshly drawn faces (data seed TRAIN_SEED: never the images
a model trains on; the stream is infinite, so nothing is overfitted), deterministic from the
judge seed, cached as safetensors beside the probes (key: data set VERSION, JUDGE_VERSION,
steps, seed). Held-out numbers (HELD_OUT faces of data seed 0, after training) are stored with
it: accuracy per discrete attribute, |Spearman| with the truth per continuous one, and the face
head's accuracy on real faces vs corruptions.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from gan_models.atomic import atomic_path

from .data import faces as F
from .probe import FEATURE_DIM, ProbeNet, _single_thread, default_cache_dir

JUDGE_VERSION = 2          # bump when the net, the heads or the schedule change (2: softened faces)
JUDGE_STEPS = 2000         # see the module docstring; the held-out numbers are in the cache file
BATCH = 96                 # real faces per step (plus BATCH // 2 corrupted ones for the face head)
LR = 2e-3
TRAIN_SEED = 7919          # the judge's training faces: another seed than the data sets' default 0
HELD_OUT = 2000
HEADS = {k: len(v) for k, v in F.DISCRETE.items()}
VALID_FACE = 0.5           # face-head probability from which an image is read as a (valid) face
CONFIDENT = 0.9            # a *clear* face: valid, and every discrete attribute read with this probability


class FaceJudgeNet(nn.Module):
    """(B, 3, 64, 64) in [-1, 1] -> the trunk's (B, 64) features and every head's output."""

    def __init__(self):
        super().__init__()
        self.trunk = ProbeNet(3, 1, image_size=F.SIZE).trunk
        n_out = sum(HEADS.values()) + len(F.CONTINUOUS) + 1
        self.head = nn.Linear(FEATURE_DIM, n_out)

    def forward(self, x: torch.Tensor) -> dict:
        h = self.head(self.trunk(x))
        out, i = {}, 0
        for k, n in HEADS.items():
            out[k] = h[:, i:i + n]                                  # logits
            i += n
        for k in F.CONTINUOUS:
            out[k] = h[:, i]                                        # range scaled to [0, 1]
            i += 1
        out["face"] = h[:, i]                                       # logit
        return out


def soften(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Faces as a GAN may draw them, still faces (B, 3, 64, 64): a third unchanged, a third
    blurred a little (2x2 average, scaled back up), a third with pixel noise (sd up to 0.15)
    and a brightness shift (up to +-0.1)."""
    b = len(x)
    kind = torch.randint(0, 3, (b,), generator=gen)
    out = x.clone()
    m = kind == 1
    if m.any():
        out[m] = nn.functional.interpolate(nn.functional.avg_pool2d(x[m], 2), size=F.SIZE, mode="bilinear",
                                           align_corners=False)
    m = kind == 2
    if m.any():
        k = int(m.sum())
        sd = torch.rand(k, 1, 1, 1, generator=gen) * 0.15
        shift = (torch.rand(k, 1, 1, 1, generator=gen) * 2 - 1) * 0.1
        out[m] = (x[m] + sd * torch.randn(x[m].shape, generator=gen) + shift).clamp(-1, 1)
    return out


def corrupt(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Not-faces from faces (B, 3, 64, 64): a fifth each blended pairs, blurs, shuffled 16 px
    tiles, smooth colour blobs and smoothed noise."""
    b = len(x)
    kind = torch.randint(0, 5, (b,), generator=gen)
    out = x.clone()
    perm = torch.randperm(b, generator=gen)
    m = kind == 0
    out[m] = 0.5 * (x[m] + x[perm][m])
    m = kind == 1
    if m.any():
        small = nn.functional.avg_pool2d(x[m], 8)
        out[m] = nn.functional.interpolate(small, size=F.SIZE, mode="bilinear", align_corners=False)
    m = kind == 2
    if m.any():
        t = x[m].unfold(2, 16, 16).unfold(3, 16, 16)                # (m, 3, 4, 4, 16, 16)
        t = t.reshape(len(t), 3, 16, 16, 16)[:, :, torch.randperm(16, generator=gen)]
        out[m] = t.reshape(len(t), 3, 4, 4, 16, 16).permute(0, 1, 2, 4, 3, 5).reshape(len(t), 3, 64, 64)
    for k, res in ((3, 4), (4, 16)):
        m = kind == k
        if m.any():
            low = torch.rand(int(m.sum()), 3, res, res, generator=gen) * 2 - 1
            out[m] = nn.functional.interpolate(low, size=F.SIZE, mode="bilinear", align_corners=False)
    return out


def _targets(f: dict) -> dict:
    t = {k: torch.from_numpy(f[k].astype(np.int64)) for k in HEADS}
    for k in F.CONTINUOUS:
        lo, hi = F.RANGES[k]
        t[k] = torch.from_numpy((f[k] - lo) / (hi - lo)).float()
    return t


class FaceJudge:
    """A trained FaceJudgeNet and its held-out numbers (`report`)."""

    def __init__(self, net: FaceJudgeNet, report: dict, key: str = ""):
        self.net = net.eval()
        self.report = dict(report)
        self.key = key
        self.input_shape = (3, F.SIZE, F.SIZE)

    def _run(self, x, batch: int = 500) -> dict:
        x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).float().cpu()
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"the faces judge takes images of shape {self.input_shape}, got {tuple(x.shape[1:])}")
        outs = []
        with torch.no_grad():
            for i in range(0, len(x), batch):
                h = self.net.trunk(x[i:i + batch])
                outs.append((h, self.net.head(h)))
        feats = torch.cat([o[0] for o in outs]) if outs else torch.zeros(0, FEATURE_DIM)
        raw = torch.cat([o[1] for o in outs]) if outs else torch.zeros(0, self.net.head.out_features)
        return {"features": feats, "raw": raw}

    def read(self, x) -> dict:
        """(N, 3, 64, 64) in [-1, 1] -> {attribute: (N, K) probabilities for a discrete one,
        (N,) value in the data set's units for a continuous one, "face": (N,) probability,
        "valid": (N,) bool (read as a face), "clear": (N,) bool (valid, and every discrete
        attribute read with probability >= CONFIDENT)}."""
        raw = self._run(x)["raw"]
        out, i = {}, 0
        for k, n in HEADS.items():
            out[k] = torch.softmax(raw[:, i:i + n], 1).numpy()
            i += n
        for k in F.CONTINUOUS:
            lo, hi = F.RANGES[k]
            out[k] = (lo + (hi - lo) * raw[:, i]).numpy()
            i += 1
        out["face"] = torch.sigmoid(raw[:, i]).numpy()
        conf = np.stack([out[k].max(1) for k in HEADS], 1).min(1) if len(raw) else np.zeros(0)
        out["valid"] = out["face"] >= VALID_FACE
        out["clear"] = out["valid"] & (conf >= CONFIDENT)
        return out

    def values(self, x) -> dict:
        """Each discrete attribute's most likely value (N,) int64, each continuous one (N,)."""
        r = self.read(x)
        return {k: (r[k].argmax(1) if k in HEADS else r[k]) for k in list(HEADS) + list(F.CONTINUOUS)}

    def features(self, x) -> np.ndarray:
        """(N, 64) trunk features (the faces' probe FID and coverage space)."""
        return self._run(x)["features"].numpy()

    def for_label(self, label_spec: str | None = None) -> "LabelView":
        return LabelView(self, F.parse_label(label_spec))


class LabelView:
    """The judge as a Probe for one label (an attribute or a product of two): predict,
    probabilities (a product label's: the product of its attributes' probabilities), features."""

    def __init__(self, judge: FaceJudge, attrs: tuple):
        self.judge, self.attrs = judge, tuple(attrs)
        self.num_classes = int(np.prod([HEADS[a] for a in self.attrs]))
        self.input_shape = judge.input_shape
        self.accuracy = float(min(judge.report["attributes"][a] for a in self.attrs))
        self.key = judge.key

    def probabilities(self, x) -> np.ndarray:
        r = self.judge.read(x)
        p = r[self.attrs[0]]
        if len(self.attrs) == 2:
            p = (p[:, :, None] * r[self.attrs[1]][:, None, :]).reshape(len(p), -1)   # first attribute major
        return p

    def predict(self, x) -> np.ndarray:
        return self.probabilities(x).argmax(1).astype(np.int64)

    def valid(self, x) -> np.ndarray:
        """(N,) bool: read as a face at all (live quality's confident share needs it: the label
        heads alone read noise confidently, e.g. 100 % of a fresh G's samples)."""
        return self.judge.read(x)["valid"]

    def features(self, x) -> np.ndarray:
        return self.judge.features(x)


def judge_key(steps: int, seed: int) -> str:
    return f"faces-judge-d{F.VERSION}-j{JUDGE_VERSION}-t{steps}-s{seed}"


def evaluate_judge(judge: FaceJudge, n: int | None = None) -> dict:
    """Held-out numbers on faces 0..n-1 of data seed 0 (never seen in training): accuracy per
    discrete attribute, |Spearman| per continuous one, and the face head's accuracy on these
    faces and on as many corruptions of them; also the shares of real faces read as valid and
    as clear faces (see read), as they are and softened (see soften)."""
    from .metrics import spearman
    n = HELD_OUT if n is None else n
    f = F.draw_factors(n, 0)
    x = F.render(f)
    r = judge.read(x)
    out = {"attributes": {}, "n": n}
    for k in HEADS:
        out["attributes"][k] = float((r[k].argmax(1) == f[k].astype(np.int64)).mean())
    for k in F.CONTINUOUS:
        out["attributes"][k] = abs(spearman(r[k], f[k]))
    gen = torch.Generator().manual_seed(1)
    bad = judge.read(corrupt(x, gen))["face"]
    soft = judge.read(soften(x, gen))
    out["valid_softened"], out["clear_softened"] = float(soft["valid"].mean()), float(soft["clear"].mean())
    out["face_accuracy"] = float(((r["face"] >= VALID_FACE).sum() + (bad < VALID_FACE).sum()) / (2 * n))
    out["valid_real"], out["clear_real"] = float(r["valid"].mean()), float(r["clear"].mean())
    return out


def train_judge(steps: int = JUDGE_STEPS, seed: int = 0, log=None) -> FaceJudge:
    """Train the judge (see the module docstring) and measure it on held-out faces."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = FaceJudgeNet()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / max(1, steps))))
    net.train()
    with _single_thread():
        for step in range(steps):
            f = F.draw_factors(BATCH, seed=TRAIN_SEED + 7 * step + 1000003 * seed)
            x = F.render(f)
            t = _targets(f)
            neg = corrupt(x[: BATCH // 2], gen)
            x = soften(x, gen)
            out = net(torch.cat([x, neg]))
            loss = sum(nn.functional.cross_entropy(out[k][:BATCH], t[k]) for k in HEADS)
            loss = loss + 10.0 * sum(nn.functional.mse_loss(out[k][:BATCH], t[k]) for k in F.CONTINUOUS)
            is_face = torch.cat([torch.ones(BATCH), torch.zeros(len(neg))])
            loss = loss + nn.functional.binary_cross_entropy_with_logits(out["face"], is_face)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if log is not None and (step % 100 == 0 or step == steps - 1):
                log(f"judge step {step}: loss {loss.item():.3f}")
    judge = FaceJudge(net.eval(), {}, judge_key(steps, seed))
    with _single_thread():
        judge.report = evaluate_judge(judge)
    return judge


def _load(path: Path, key: str) -> FaceJudge | None:
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}
        if meta.get("key") != key:
            return None
        net = FaceJudgeNet()
        net.load_state_dict(state)
        return FaceJudge(net, json.loads(meta["report"]), key)
    except Exception:    # a broken or foreign cache file is retrained over, like a probe's
        return None


def get_judge(cache_dir=None, steps: int | None = None, seed: int = 0, log=None) -> FaceJudge:
    """The faces judge: from the cache (`<cache root>/probes/`), or trained now and cached."""
    steps = JUDGE_STEPS if steps is None else int(steps)
    key = judge_key(steps, seed)
    path = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / f"{key}.safetensors"
    judge = _load(path, key) if path.exists() else None
    if judge is not None:
        return judge
    judge = train_judge(steps, seed, log=log)
    state = {k: v.contiguous() for k, v in judge.net.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"key": key, "report": json.dumps(judge.report)})
    return judge
