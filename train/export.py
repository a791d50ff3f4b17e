"""Export a training run (or checkpoint) as a bundled model: the generator (and, with
keep_discriminator, D for the feature probe and the projector's D-feature loss), fp16, with the
config, class names, the recipe it came from and its `train.judges.evaluate` numbers in the
metadata. Bundled models live in resources/models/ and open offline on first launch.

    export_bundled("runs/...-dcgan-digits", "resources/models/dcgan-digits.safetensors",
                   name="dcgan-digits", description="DCGAN on the embedded digits")
"""
from __future__ import annotations

import json
from pathlib import Path

from gan_models.checkpoint import load_checkpoint, resolve_model_path, save_checkpoint

MAX_BYTES = 4 * 1024 * 1024


def _run_config(ckpt_path: Path) -> dict:
    """The run folder's config.json (checkpoints/<file> -> ../config.json), or {}."""
    for folder in (ckpt_path.parent.parent, ckpt_path.parent):
        cfg = folder / "config.json"
        if cfg.is_file():
            try:
                return json.loads(cfg.read_text())
            except (OSError, json.JSONDecodeError):
                return {}
    return {}


def export_bundled(run_dir_or_ckpt, out_path, name: str, description: str, evaluate: bool = True,
                   recipe: str | None = None, extra_meta: dict | None = None, seed: int = 0,
                   keep_discriminator: bool = False) -> dict:
    """Write an fp16 checkpoint to `out_path`: the generator, plus D when keep_discriminator
    (never the optimizer state); returns its meta.

    meta: everything the training checkpoint had (class names, dataset, value range, step)
    plus "name", "description", "recipe" (file name of the recipe, when known), "train"
    (the run's TrainConfig) and "metrics" (evaluate() against the training data set, measured
    on the fp16 weights that are shipped, so the numbers describe the file).
    """
    src = resolve_model_path(run_dir_or_ckpt)
    ck = load_checkpoint(src)
    run_cfg = _run_config(src)
    meta = dict(ck.meta)
    for k in ("format_version", "kind", "created", "source"):
        meta.pop(k, None)
    meta.update({"name": name, "description": description,
                 "recipe": recipe or run_cfg.get("recipe") or "", "train": run_cfg.get("train", {}),
                 "metrics": {}})
    meta.update(extra_meta or {})
    if keep_discriminator and ck.discriminator is None:
        raise ValueError(f"{src}: keep_discriminator, but the checkpoint holds no discriminator")
    disc = ck.discriminator if keep_discriminator else None
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out, ck.config, ck.generator, discriminator=disc, meta=meta, half=True)
    if evaluate:
        from .data import load_dataset
        from .judges import evaluate as _evaluate
        shipped = load_checkpoint(out)            # measure what users get: fp16 weights
        shape = shipped.config.data_shape
        ds = load_dataset(meta.get("dataset") or "digits",
                          image_size=shape[1] if len(shape) == 3 else None,
                          channels=shape[0] if len(shape) == 3 else None)
        vr = tuple(shipped.value_range) if shipped.value_range else (-1.0, 1.0)
        meta["metrics"] = _evaluate(shipped.generator, ds, seed=seed, value_range=vr)
        save_checkpoint(out, ck.config, ck.generator, discriminator=disc, meta=meta, half=True)
    out.chmod(0o644)                               # shipped with the app: readable by everyone
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"{out}: {size} bytes, over the {MAX_BYTES}-byte limit for a bundled model")
    return meta
