"""TrainConfig: every setting of a training run, with the papers' defaults and a reason each.

A recipe (`resources/recipes/*.toml`) has a `[model]` table (ModelConfig fields) and a
`[train]` table (TrainConfig fields); command-line options override both.
"""
from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from gan_models.cli_args import DEVICE_RE, TRAIN_SEED_MAX
from gan_models.errors import ConfigError

G_LOSSES = ("nonsat", "minimax")
CONT_STD = ("fixed", "learned")
AMP = ("off", "bf16")
VIEW_NAMES = ("full", "small", "silhouette", "levels")   # train/augment.VIEWS
MAX_EPOCHS = 100_000                 # with --steps' cap (10^9) this bounds every schedule
MAX_AUTOSAVE_S = 1e9                  # finite: benchmarks and tests use 1e9 for "not during this run"
ADAM_KERNELS = ("auto", "fused", "foreach")


@dataclass
class TrainConfig:
    model: str = "dcgan"            # gan | dcgan | cgan | infogan | began
    dataset: str = "digits"         # built-in name or a path (IDX folder, image folder, CIFAR)
    steps: int = 0                  # G steps to run (0: use epochs)
    epochs: float = 0.0             # passes over the data (array datasets only)
    batch_size: int = 128           # DCGAN paper: 128
    lr_d: float = 2e-4              # DCGAN paper: Adam 2e-4
    lr_g: float = 2e-4              # InfoGAN uses 1e-3 for G (and Q)
    beta1: float = 0.5              # DCGAN paper: 0.5 stabilises training (0.9 oscillates)
    beta2: float = 0.999
    adam_kernel: str = "auto"       # auto: fused on CUDA, multi-tensor elsewhere (the recipes' numerics);
                                    # fused: one fused kernel on CPU too (2.4x faster Adam, other last bits)
    lr_decay_from: float = 1.0      # fraction of the run after which both lrs fall linearly to 0 at
                                    # the last step (1.0: constant, the papers' setting); sharpens toys
    d_steps: int = 1                # k: D updates per G update (Goodfellow et al.'s k)
    g_loss: str = "nonsat"          # nonsat: -log D(G(z)) (strong early gradients); minimax: log(1-D(G(z)))
    info_lambda: float = 1.0        # InfoGAN: weight of the mutual-information term
    info_cont_std: str = "fixed"    # InfoGAN continuous codes: Q's Gaussian has std 1 ("fixed", the
                                    # official code's MNIST setting) or a predicted std ("learned")
    info_cont_weight: float = 1.0   # InfoGAN: weight of the continuous codes' NLL inside L_I (the paper
                                    # weights continuous codes apart from the categorical one)
    info_trains_d: bool = True      # InfoGAN: the information term also trains D's shared trunk and Q
                                    # in the D step, on the fake batch (the official code's D loss)
    info_real_balance: float = 0.0  # InfoGAN, our addition (0 = the paper): weight of KL(mean Q(c | x_real)
                                    # || uniform) in D's step: Q spreads real data evenly over each
                                    # categorical code's values, as the code's prior does
    info_cat_augment: bool = False  # InfoGAN, our addition (off = the paper): Q reads the categorical
                                    # code from a randomly moved, zoomed, turned, mirrored and recoloured
                                    # copy of each fake (train/augment.py), so G must carry it in the shape
    began_gamma: float = 0.5        # BEGAN: gamma = E[L(G(z))] / E[L(x)], the equilibrium k_t holds; low
                                    # = sharper, less varied samples, high = more varied (0.3-0.7 typical)
    began_lambda_k: float = 0.001   # BEGAN: k_t's proportional gain (the paper's 0.001)
    began_plateau: int = 0          # BEGAN: halve both lrs when M_global's mean over this many steps did
                                    # not fall 1 % below the previous window's (the paper's decay); 0 = off
    info_views: str = "full"        # how far info_cat_augment's and info_real_cluster's changes go:
                                    # full (any turn, mirror, hue: shapes) | small (+-15 degrees, no
                                    # mirror: digits, whose class a turn or mirror changes) | silhouette
                                    # (full geometry, colour dropped: Q sees a mask) | levels (full,
                                    # plus a random contrast and brightness per image)
    info_real_cluster: float = 0.0  # InfoGAN, our addition (0 = the paper): weight of -I(c; c') of Q's
                                    # categorical reading of each real image and of a shape-keeping change
                                    # of it (IIC, train/losses.code_cluster_mi) in D's step: Q clusters the
                                    # real data by what the changes keep, and the code follows Q
    info_cat_consistency: float = 0.0  # InfoGAN, our addition (0 = the paper): weight in G's step of the
                                    # within-value over total spread of the fakes' outlines, position,
                                    # size and colour taken out (train/augment.normalized_silhouette):
                                    # each value of the first categorical code draws one outline
    info_consistency_from: float = 0.0  # the consistency term starts at this fraction of the steps (a G
                                    # that does not yet draw varied shapes meets it by drawing one image
                                    # per code value)
    info_late_views: str = ""       # from info_consistency_from on, Q reads the categorical code through
                                    # these views instead of info_views ("" = info_views throughout)
    seed: int = 0                   # one seed drives init, data order, z, labels and codes
    device: str = "auto"            # auto = cuda, else mps, else cpu
    amp: str = "off"                # bf16 autocast (CUDA/CPU) for speed on GPUs
    data_on_device: bool = True     # keep small in-memory data sets on the training device
    channels_last: bool = False     # conv memory layout; faster on some GPUs
    compile: bool = False           # torch.compile G's and D's forward (fuses small kernels; the
                                    # first steps pay the compilation, seconds to a minute)
    num_threads: int = 0            # CPU threads for torch (0 = torch's default)
    n_data: int = 0                 # cap on data set size (0 = the data set's default)
    image_size: int = 0             # user images' size: 28, 32 or 64 (0 = the one nearest the data's)
    log_every: int = 10             # steps per metrics.jsonl row (values averaged over the window)
    sample_every: int = 200         # steps per sample grid from the fixed z
    checkpoint_every: int = 1000    # steps per kept numbered checkpoint (0 = only latest)
    autosave_seconds: float = 60.0  # wall-clock autosave of checkpoints/latest
    n_fixed: int = 64               # fixed z samples in each grid
    quality_every: int = 0          # steps per live quality score (train/live_quality.py; 0 = with
                                    # every sample grid)
    quality_n: int = 500            # samples per quality score (0 = no quality scores)
    model_overrides: dict = field(default_factory=dict)   # ModelConfig fields (from [model])

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> "TrainConfig":
        def bad(name, expected):
            raise ConfigError(f"--{name.replace('_', '-')} {getattr(self, name)!r}: expected {expected}")
        from gan_models.config import CONV_SIZES, KINDS
        if self.model not in KINDS:
            bad("model", "one of " + ", ".join(KINDS))
        checks = (("steps", 0, 10**9), ("batch_size", 1, 65536), ("d_steps", 1, 100),
                  ("log_every", 1, 10**6), ("sample_every", 1, 10**9), ("checkpoint_every", 0, 10**9),
                  ("n_fixed", 1, 1024), ("num_threads", 0, 1024), ("n_data", 0, 10**8),
                  ("quality_every", 0, 10**9), ("quality_n", 0, 10000), ("began_plateau", 0, 10**9))
        for name, lo, hi in checks:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                bad(name, f"an integer in [{lo}, {hi}]")
        v = self.image_size
        if not isinstance(v, int) or isinstance(v, bool) or v not in (0,) + CONV_SIZES:
            bad("image_size", "28, 32 or 64, the sizes the conv models are built for (omit it: "
                "the one nearest the data's own)")
        for name, lo, hi in (("lr_d", 0, 1), ("lr_g", 0, 1), ("beta1", 0, 1), ("beta2", 0, 1)):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not lo < v < hi:
                bad(name, f"a number in ({lo}, {hi})")
        if self.adam_kernel not in ADAM_KERNELS:
            bad("adam_kernel", "one of " + ", ".join(ADAM_KERNELS))
        if not isinstance(self.lr_decay_from, (int, float)) or not 0 <= self.lr_decay_from <= 1:
            bad("lr_decay_from", "a fraction in [0, 1] (1 = no decay)")
        if not _number(self.began_gamma) or not 0 < self.began_gamma <= 1:
            bad("began_gamma", "a number in (0, 1] (the paper: 0.5; 0.3-0.7 typical)")
        if not _number(self.began_lambda_k) or not 0 <= self.began_lambda_k <= 1:
            bad("began_lambda_k", "a number in [0, 1] (the paper: 0.001)")
        if not isinstance(self.info_lambda, (int, float)) or not 0 <= self.info_lambda <= 100:
            bad("info_lambda", "a number in [0, 100]")
        if not isinstance(self.info_cont_weight, (int, float)) or not 0 <= self.info_cont_weight <= 100:
            bad("info_cont_weight", "a number in [0, 100]")
        if not isinstance(self.info_real_balance, (int, float)) or not 0 <= self.info_real_balance <= 100:
            bad("info_real_balance", "a number in [0, 100]")
        if not isinstance(self.info_cat_consistency, (int, float)) or not 0 <= self.info_cat_consistency <= 100:
            bad("info_cat_consistency", "a number in [0, 100]")
        if not _number(self.info_consistency_from) or not 0 <= self.info_consistency_from < 1:
            bad("info_consistency_from", "a fraction of the steps in [0, 1)")
        if self.info_views not in VIEW_NAMES:
            bad("info_views", ", ".join(VIEW_NAMES))
        if self.info_late_views not in ("",) + VIEW_NAMES:
            bad("info_late_views", "empty (info_views throughout) or one of " + ", ".join(VIEW_NAMES))
        if not isinstance(self.info_real_cluster, (int, float)) or not 0 <= self.info_real_cluster <= 100:
            bad("info_real_cluster", "a number in [0, 100]")
        # finite checks: nan passes every comparison, and inf/nan here once turned autosave off
        if not _number(self.epochs) or not 0 <= self.epochs <= MAX_EPOCHS:
            bad("epochs", f"a finite number in [0, {MAX_EPOCHS}]")
        if not _number(self.autosave_seconds) or not 0 < self.autosave_seconds <= MAX_AUTOSAVE_S:
            bad("autosave_seconds", f"a finite number of seconds in (0, {MAX_AUTOSAVE_S}]")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed <= TRAIN_SEED_MAX:
            bad("seed", f"an integer in [0, {TRAIN_SEED_MAX}]")

        if self.steps == 0 and self.epochs == 0:
            raise ConfigError("give --steps N or --epochs N (how long to train)")
        if self.g_loss not in G_LOSSES:
            bad("g_loss", "nonsat or minimax")
        if self.info_cont_std not in CONT_STD:
            bad("info_cont_std", "fixed or learned")
        if not isinstance(self.compile, bool):
            bad("compile", "true or false")
        if not isinstance(self.info_trains_d, bool):
            bad("info_trains_d", "true or false")
        if not isinstance(self.info_cat_augment, bool):
            bad("info_cat_augment", "true or false")
        if self.amp not in AMP:
            bad("amp", "off or bf16")
        if not isinstance(self.device, str) or not DEVICE_RE.match(self.device):
            bad("device", "auto, cpu, cuda, cuda:N or mps")
        return self


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _toml_load(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"--recipe {path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"--recipe {path}: not a valid TOML file ({e})") from None


def load_recipe(path) -> tuple[dict, dict]:
    """A recipe file -> (train fields, model fields), with unknown keys reported by name."""
    from gan_models.config import ModelConfig
    path = Path(path)
    if not path.exists() and path.parent == Path("."):     # a bundled recipe by name
        named = recipes_dir() / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
        path = named if named.exists() else path
    data = _toml_load(path)
    unknown_tables = sorted(set(data) - {"train", "model", "about"})  # [about]: free text
    if unknown_tables:
        raise ConfigError(f"--recipe {path}: unknown table [{unknown_tables[0]}]; expected [train] and [model]")
    train, model = dict(data.get("train", {})), dict(data.get("model", {}))
    tnames = {f.name for f in fields(TrainConfig)} - {"model_overrides"}
    mnames = {f.name for f in fields(ModelConfig)} - {"kind"}
    for key in train:
        if key not in tnames:
            raise ConfigError(f"--recipe {path}: [train] has unknown field '{key}'")
    for key in model:
        if key not in mnames:
            raise ConfigError(f"--recipe {path}: [model] has unknown field '{key}'")
    return train, model


def recipes_dir() -> Path:
    """resources/recipes in a source tree or a PyInstaller bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / "recipes"
