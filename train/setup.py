"""Turning settings into a ready Trainer: a new run, or a resumed one. Checks every input
before any work starts, so the CLI can report one clear line and exit 2."""
from __future__ import annotations

import platform
import sys
from dataclasses import fields, replace
from pathlib import Path

import torch

from gan_models.checkpoint import planned_modules, too_big
from gan_models.config import CONV_SIZES, ModelConfig, default_config
from gan_models.errors import CheckpointError, ConfigError, GanExplorerError, in_words

from . import distributed as dist_util
from .config import TrainConfig
from .device import pick_device
from .engine import Trainer
from .run_folder import RunFolder, new_run_dir
from .step_memory import check_step_memory


def load_data(tcfg: TrainConfig, image_size: int | None = None, sizes=CONV_SIZES):
    """The run's data. User images of any size come at one of the sizes conv models are
    built for: `image_size` (a resumed run's model size), `--image-size`, or the nearest to
    the data's own (train/data/sizes.py). Every model kind gets the same data, so an MLP GAN
    and a DCGAN on one folder compare."""
    from .data import load_dataset
    return load_dataset(tcfg.dataset, image_size=image_size or tcfg.image_size or None,
                        sizes=sizes, n=tcfg.n_data or None, seed=tcfg.seed)


def model_config_for(tcfg: TrainConfig, dataset) -> ModelConfig:
    overrides = dict(tcfg.model_overrides)
    if tcfg.model == "cgan":
        if not dataset.num_classes:
            raise ConfigError(f"--model cgan needs labelled data, and {tcfg.dataset} has no labels "
                              "(use digits, an IDX folder with its labels file, or an image folder "
                              "with one subfolder per class)")
        overrides.setdefault("num_classes", dataset.num_classes)
    shape = tuple(dataset.data_shape)
    if "data_shape" in overrides and tuple(overrides["data_shape"]) != shape:
        raise ConfigError(f"[model] data_shape {tuple(overrides['data_shape'])} does not match the data "
                          f"set {tcfg.dataset}, whose samples are {shape}")
    overrides.pop("data_shape", None)
    cfg = default_config(tcfg.model, shape, **overrides)
    if cfg.pack > 1 and tcfg.batch_size % cfg.pack:
        raise ConfigError(f"--batch-size {tcfg.batch_size}: must be a multiple of --pack {cfg.pack}")
    return cfg


def _check_amp(tcfg: TrainConfig, device) -> None:
    if tcfg.amp == "bf16" and device.type not in ("cuda", "cpu"):
        raise ConfigError(f"--amp bf16: mixed precision is for CUDA GPUs and CPUs; this run is on {device.type}")
    # a CPU without native bf16 trains in fp32 instead (measured: emulated bf16 autocast ran ~10x
    # slower than fp32); the engine logs an `amp_off` event and the CLI says so (train/engine.py)


def _versions() -> dict:
    try:
        from importlib.metadata import version
        app = version("gan-explorer")
    except Exception:
        app = "source"
    return {"gan_explorer": app, "torch": torch.__version__, "python": platform.python_version()}


def create_trainer(tcfg: TrainConfig, out=None, root="runs", write: bool = True,
                   overwrite: bool = False, dataset=None) -> Trainer:
    """A fresh run: validate, load data, build models, make the run folder (rank 0).
    overwrite: an existing run in `out` is moved aside to `out.replaced-<time>` first (nothing
    is deleted; `--overwrite`). dataset: the run's data already loaded by `load_data(tcfg)`
    (train/estimate.py times several recipes on one data set)."""
    tcfg.validate()
    device = pick_device(tcfg.device)
    _check_amp(tcfg, device)
    if tcfg.num_threads:
        torch.set_num_threads(tcfg.num_threads)
    dataset = load_data(tcfg) if dataset is None else dataset
    mcfg = model_config_for(tcfg, dataset)
    if why := too_big(planned_modules(mcfg)[2]):      # before any real allocation (a width of 4096 ...)
        raise ConfigError(f"the model ({mcfg.kind}, G width {mcfg.g_width}, D width {mcfg.d_width}, "
                          f"data {tuple(mcfg.data_shape)}) {why}: choose smaller widths")
    check_step_memory(tcfg.batch_size, mcfg, device)    # --batch-size 65536 on faces: ~260 GiB a step
    if not tcfg.num_threads and not mcfg.is_image and device.type == "cpu":
        torch.set_num_threads(1)   # tiny MLPs: a second thread only adds sync cost (~4x slower here)
    ddp = dist_util.from_env(device)
    run = None
    if write:
        path = Path(out) if out else new_run_dir(root, tcfg.model, tcfg.dataset)
        path = Path(ddp.broadcast_object(str(path)))
        if ddp.is_main:
            if (path / "config.json").exists() and overwrite:
                import time
                aside = path.with_name(f"{path.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
                path.rename(aside)
                print(f"--overwrite: the run that was in {path} is now {aside}", file=sys.stderr)
            elif (path / "config.json").exists():
                raise ConfigError(f"--out {path}: already holds a run; resume it with --resume {path}, "
                                  "start it again with --overwrite (the old one is kept aside), "
                                  "or choose another folder")
            run = RunFolder(path)
            run.remove_stale_temp()
            run.write_config({"model": mcfg.to_dict(), "train": tcfg.to_dict(),
                              "dataset": dataset.describe(), "versions": _versions(),
                              "command": sys.argv, "world_size": ddp.world})
    trainer = Trainer(tcfg, mcfg, dataset, run, device, ddp)
    ddp.broadcast_params(trainer.G, trainer.D)
    return trainer


def resume_trainer(run_dir, **overrides) -> Trainer:
    """Continue a run from its latest checkpoint. `overrides` may extend `steps`/`epochs`
    or change the device; anything else would break the schedule."""
    run = RunFolder(run_dir, writable=False)
    if not run.path.is_dir():
        raise GanExplorerError(f"--resume {run.path}: no such run folder")
    cfg = run.read_config()
    if not (isinstance(cfg, dict) and isinstance(cfg.get("train"), dict) and isinstance(cfg.get("model"), dict)):
        raise GanExplorerError(f"{run.config_path}: damaged (expected a JSON object with 'train' and 'model' "
                               "objects); the run cannot be resumed")
    allowed = {"steps", "epochs", "device", "num_threads", "autosave_seconds"}
    bad = sorted(set(k for k, v in overrides.items() if v is not None) - allowed)
    if bad:
        raise ConfigError(f"--resume: {', '.join(bad)} cannot change when resuming (the run's schedule "
                          "is fixed); start a new run instead")
    known = {f.name for f in fields(TrainConfig)}
    tcfg = TrainConfig(**{k: v for k, v in cfg["train"].items() if k in known})
    tcfg = replace(tcfg, **{k: v for k, v in overrides.items() if v is not None})
    tcfg.validate()
    # no checkpoint: it stopped before its first save, so it restarts from step 0 in its own folder
    ckpt = run.latest if run.latest.exists() else None
    device = pick_device(tcfg.device)
    if tcfg.num_threads:
        torch.set_num_threads(tcfg.num_threads)
    mcfg = ModelConfig.from_dict(cfg["model"], where=f"{run.config_path}: model")
    # the model's own size, not today's pick (older MLP runs at other sizes: the native size)
    shape = tuple(mcfg.data_shape)
    fixed = mcfg.is_image and shape[1] == shape[2] and shape[1] in CONV_SIZES
    dataset = load_data(tcfg, image_size=shape[1] if fixed else None,
                        sizes=None if mcfg.is_image and not fixed else CONV_SIZES)
    if mcfg.is_image and tuple(dataset.data_shape) != shape:
        raise ConfigError(f"--resume {run.path}: the model was trained on {shape} images but "
                          f"{tcfg.dataset} now gives {tuple(dataset.data_shape)}")
    ddp = dist_util.from_env(device)
    if ddp.is_main:
        run.remove_stale_temp()              # what a kill during a save left behind
    trainer = Trainer(tcfg, mcfg, dataset, RunFolder(run.path), device, ddp)
    if ckpt is not None:
        try:
            trainer.load_state(ckpt)
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as e:   # a damaged training state
            raise CheckpointError(f"{ckpt}: its training state is damaged ({in_words(e)}); "
                                  f"the run cannot be resumed from it") from None
    trainer.run_dir.truncate_metrics_after(trainer.step_count)
    return trainer
