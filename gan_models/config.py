"""ModelConfig: the one serialisable description every model is built from.

A checkpoint stores `ModelConfig.to_dict()`; `ModelConfig.from_dict()` validates every field
(type and range) before anything is built, so a bad file fails with a message naming the field.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from .errors import ConfigError

KINDS = ("gan", "dcgan", "cgan", "infogan", "began")
ARCHS = ("mlp", "conv")
D_HEADS = ("logit", "softmax")      # one logit (sigmoid) or two logits (softmax real/fake)
Z_DISTS = ("normal", "uniform")
D_UNITS = ("maxout", "lrelu")       # hidden units of an mlp D (InfoGAN's is always lrelu)
G_OUTPUTS = ("tanh", "sigmoid", "linear")
G_NORMS = ("none", "batch")
CONV_SIZES = (28, 32, 64)
D_NORMS = ("batch", "spectral", "none")   # D's normalisation: DCGAN's BatchNorm, spectral norm, none
CONDS = ("concat", "projection", "cbn")  # cgan/infogan: how the label (or categorical code) reaches G and D


@dataclass
class ModelConfig:
    kind: str = "dcgan"                 # which GAN: gan | dcgan | cgan | infogan | began
    arch: str = "conv"                  # mlp (flattened/points) or conv (DCGAN-style) nets
    data_shape: tuple = (1, 28, 28)     # (C, H, W) for images, (D,) for 1D/2D points
    z_dim: int = 100                    # noise size; DCGAN paper uses 100
    z_dist: str = "normal"              # how z is drawn at train time (normal or uniform(-1,1))
    num_classes: int = 0                # >0 only for cgan: one-hot label appended to z and x
    cat_codes: tuple = ()               # infogan: sizes of categorical codes, e.g. (10,)
    cont_codes: int = 0                 # infogan: number of continuous codes ~ U(-1, 1)
    g_width: int = 64                   # conv: channels of G's last hidden layer; mlp: hidden units
    d_width: int = 64                   # conv: channels of D's first layer; mlp: hidden units
    g_layers: int = 2                   # mlp only: hidden layers in G
    g_norm: str = "none"                # mlp G: "batch" puts BatchNorm before each ReLU (the PacGAN
                                        # authors' toy G); conv G always has BatchNorm (DCGAN)
    d_layers: int = 2                   # mlp only: hidden layers in D
    g_output: str = "tanh"              # output non-linearity; data is scaled to match it
    d_head: str = "logit"               # logit (sigmoid) or softmax (two logits) D head
    d_unit: str = "maxout"              # mlp D of gan/cgan: maxout (the GAN paper) or lrelu (LeakyReLU:
                                        # ~1.5x the toy steps/s; the playground's fresh toys use it)
    maxout_pieces: int = 5              # mlp D: pieces per maxout unit (Goodfellow et al.)
    dropout: float = 0.5                # mlp D: dropout on hidden units
    pack: int = 1                       # PacGAN: D sees `pack` samples at once (1 = off)
    q_width: int = 128                  # infogan: hidden units of Q's own layer
    d_norm: str = "batch"               # D's layers: "batch" (DCGAN's BatchNorm; mlp D has none),
                                        # "spectral" (spectral norm on every D layer, no BatchNorm;
                                        # Miyato et al. 2018), "none". Q's own layers keep BatchNorm.
    cond: str = "concat"                # cgan: "concat" (the note's: one-hot appended to z and to x as
                                        # planes) or "projection" (G: class-conditional BatchNorm gains
                                        # on every layer; D: projection head, Miyato & Koyama 2018);
                                        # "cbn": G's conditional BatchNorm only (cgan: D as concat;
                                        # infogan: driven by the categorical codes, D/Q unchanged)
    h_dim: int = 64                     # began: hidden size h of D's auto-encoder (the paper: 64 or 128)
    d_mbstd: int = 0                    # conv D: minibatch standard deviation (Karras et al. 2018) over
                                        # groups of this many samples, one extra feature map before D's
                                        # head, so D sees how varied a batch is (0 = off)

    # -- derived capabilities (what panels and the trainer ask, never isinstance) --
    @property
    def is_image(self) -> bool:
        return len(self.data_shape) == 3

    @property
    def code_dim(self) -> int:
        return sum(self.cat_codes) + self.cont_codes

    @property
    def g_input_dim(self) -> int:
        return self.z_dim + self.num_classes + self.code_dim

    def to_dict(self) -> dict:
        d = asdict(self)
        d["data_shape"] = list(self.data_shape)
        d["cat_codes"] = list(self.cat_codes)
        if self.kind != "began":
            del d["h_dim"]      # only BEGAN has it: other kinds' files stay readable by older versions
        if not self.d_mbstd:
            del d["d_mbstd"]    # off: the file stays readable by versions without the option
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str = "model config") -> "ModelConfig":
        if not isinstance(d, dict):
            raise ConfigError(f"{where}: expected a JSON object, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
        kw = dict(d)
        for name in ("data_shape", "cat_codes"):
            if name in kw:
                if not isinstance(kw[name], (list, tuple)):
                    raise ConfigError(f"{where}: field '{name}' must be a list of integers")
                kw[name] = tuple(kw[name])
        cfg = cls(**kw)
        cfg.validate(where)
        return cfg

    def validate(self, where: str = "model config") -> "ModelConfig":
        def bad(name, expected):
            raise ConfigError(f"{where}: field '{name}' = {getattr(self, name)!r}; expected {expected}")

        def is_int(v):
            return isinstance(v, int) and not isinstance(v, bool)

        if self.kind not in KINDS:
            bad("kind", "one of " + ", ".join(KINDS))
        if self.arch not in ARCHS:
            bad("arch", "one of " + ", ".join(ARCHS))
        if self.d_head not in D_HEADS:
            bad("d_head", "one of " + ", ".join(D_HEADS))
        if self.d_unit not in D_UNITS:
            bad("d_unit", "one of " + ", ".join(D_UNITS))
        if self.z_dist not in Z_DISTS:
            bad("z_dist", "one of " + ", ".join(Z_DISTS))
        if self.g_norm not in G_NORMS:
            bad("g_norm", "one of " + ", ".join(G_NORMS))
        if self.d_norm not in D_NORMS:
            bad("d_norm", "one of " + ", ".join(D_NORMS))
        if self.cond not in CONDS:
            bad("cond", "one of " + ", ".join(CONDS))
        if self.cond == "projection" and (self.kind != "cgan" or self.arch != "conv"):
            bad("cond", "'concat' or 'cbn' unless the model is a conv cgan")
        if self.cond == "cbn" and (self.arch != "conv" or not (self.kind == "cgan" or self.cat_codes)):
            bad("cond", "'concat' unless the model is a conv cgan or a conv infogan with a categorical code")
        if self.cond == "projection" and (self.pack != 1 or self.d_head != "logit"):
            bad("cond", "'concat' with PacGAN packing or a softmax D head (projection adds to one logit)")
        if self.g_output not in G_OUTPUTS:
            bad("g_output", "one of " + ", ".join(G_OUTPUTS))
        shape = self.data_shape
        if not all(is_int(s) and s > 0 for s in shape) or len(shape) not in (1, 3):
            bad("data_shape", "(C, H, W) for images or (D,) for points, positive integers")
        if self.arch == "conv":
            if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2] or shape[1] not in CONV_SIZES:
                bad("data_shape", "(1 or 3, S, S) with S in 28, 32, 64 for conv models")
        for name, lo, hi in (("h_dim", 1, 4096), ("z_dim", 1, 4096), ("g_width", 1, 4096), ("d_width", 1, 4096),
                             ("g_layers", 1, 16), ("d_layers", 1, 16), ("maxout_pieces", 1, 16),
                             ("pack", 1, 16), ("q_width", 1, 4096), ("num_classes", 0, 10000),
                             ("cont_codes", 0, 64), ("d_mbstd", 0, 256)):
            v = getattr(self, name)
            if not is_int(v) or not lo <= v <= hi:
                bad(name, f"an integer in [{lo}, {hi}]")
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            bad("dropout", "a number in [0, 1)")
        if not all(is_int(k) and 2 <= k <= 1000 for k in self.cat_codes):
            bad("cat_codes", "a list of category counts, each in [2, 1000]")
        if self.kind == "cgan" and self.num_classes < 2:
            bad("num_classes", "at least 2 for a cgan")
        if self.kind != "cgan" and self.num_classes != 0:
            bad("num_classes", "0 unless kind is cgan")
        if self.kind == "infogan" and self.code_dim == 0:
            bad("cat_codes", "at least one categorical or continuous code for an infogan")
        if self.kind != "infogan" and self.code_dim != 0:
            bad("cat_codes", "empty (and cont_codes 0) unless kind is infogan")
        if self.kind == "dcgan" and self.arch != "conv":
            bad("arch", "conv for a dcgan")
        if self.d_mbstd and (self.arch != "conv" or self.kind == "began"):
            bad("d_mbstd", "0 unless D is a conv real-vs-fake critic (dcgan, cgan, infogan)")
        if self.kind == "began":
            if self.arch != "conv":
                bad("arch", "conv for a began (its D is a convolutional auto-encoder)")
            if self.d_norm != "none":
                bad("d_norm", "none for a began (the paper's nets have no normalisation)")
            if self.pack != 1:
                bad("pack", "1 for a began (D reconstructs each sample on its own)")
        return self


def default_config(kind: str, data_shape=(1, 28, 28), **overrides) -> ModelConfig:
    """Paper defaults per kind for a given data shape (points -> mlp, images -> conv)."""
    if kind not in KINDS:
        raise ConfigError(f"unknown model kind {kind!r}; expected one of {', '.join(KINDS)}")
    data_shape = tuple(data_shape)
    is_image = len(data_shape) == 3
    base = dict(kind=kind, data_shape=data_shape, arch="conv" if is_image else "mlp")
    if kind == "gan":
        base.update(arch="mlp", z_dim=100 if is_image else 2 if data_shape == (2,) else 1,
                    g_width=1024 if is_image else 128, d_width=240 if is_image else 128,
                    g_layers=2, d_layers=2, dropout=0.5 if is_image else 0.0,
                    z_dist="uniform" if is_image else "normal",
                    g_output="tanh" if is_image else "linear",   # toys live outside [-1, 1]
                    maxout_pieces=5 if is_image else 2)
    elif kind == "cgan":
        base.update(num_classes=10)
        if not is_image:
            base.update(g_output="linear")
    elif kind == "infogan":
        base.update(z_dim=62, cat_codes=(10,), cont_codes=2, z_dist="uniform")
    elif kind == "began":      # the paper: z and h of 64, z ~ U(-1, 1), no normalisation
        base.update(z_dim=64, h_dim=64, z_dist="uniform", d_norm="none")
    base.update(overrides)
    return ModelConfig(**base).validate()
