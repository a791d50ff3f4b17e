"""How much memory one training step needs, checked before a run starts (issue 29, item 2).

A training step holds G's activations for a batch of fakes and D's for the real and the fake
batch until the backward pass. Their size per sample is read from G and D built on the meta
device (shapes only, nothing allocated): forward hooks add up every layer's output. Measured on
a dcgan-faces run on this CPU, peak memory grew by 3.84 MB a sample from --batch-size 64 to 512;
this estimate says 4.0 MB. A batch whose step would need more than the device has (RAM on a
CPU, the GPU's memory on CUDA) is refused up front with the size it would need and the largest
batch that fits, instead of swapping for minutes and then dying.
"""
from __future__ import annotations

import os

import torch

from gan_models.config import ModelConfig
from gan_models.errors import ConfigError

FIT_SHARE = 0.8            # of the device's memory a step may plan to use (the data set and the
                           # models need the rest)


def floats_per_sample(mcfg: ModelConfig) -> int | None:
    """Activation values one sample keeps alive in a step (G once, D on real and fake, the
    data), or None when the models cannot be traced on the meta device."""
    from gan_models.checkpoint import planned_modules
    try:
        g, d, _ = planned_modules(mcfg)
        total = [0]

        def hook(module, inputs, output):
            if torch.is_tensor(output) and not any(True for _ in module.children()):
                total[0] += output.numel()
        handles = [m.register_forward_hook(hook) for net in (g, d) for m in net.modules()]
        b = 2 * max(1, mcfg.pack)            # BatchNorm needs two samples; PacGAN a multiple of pack
        with torch.device("meta"):
            y = torch.zeros(b, dtype=torch.long) if mcfg.num_classes else None
            x = g.generate(torch.empty(b, mcfg.z_dim), y)
            per_g, total[0] = total[0], 0
            d(x, y)
            per_d = total[0]
        for h in handles:
            h.remove()
    except Exception:                        # a model kind this trace does not know: no estimate
        return None
    data = 1
    for v in mcfg.data_shape:
        data *= v
    return (per_g + 2 * per_d) // b + 2 * data


def device_bytes(device: torch.device) -> int | None:
    """The memory a step can use on `device`: physical RAM on a CPU, the GPU's own on CUDA."""
    try:
        if device.type == "cuda":
            return torch.cuda.get_device_properties(device).total_memory
        if device.type == "cpu":
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, RuntimeError, AssertionError):
        pass
    return None


def over_memory(n: int, mcfg: ModelConfig, device: torch.device, available: int | None = None):
    """None when n samples in flight at once fit in FIT_SHARE of the device; else (bytes needed,
    bytes the device has, the largest n that fits)."""
    per = floats_per_sample(mcfg)
    have = device_bytes(device) if available is None else available
    if not per or not have or 4 * per * n <= FIT_SHARE * have:
        return None
    return 4 * per * n, have, max(1, int(FIT_SHARE * have // (4 * per)))


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_step_memory(batch_size: int, mcfg: ModelConfig, device: torch.device,
                      available: int | None = None) -> None:
    """ConfigError when a training step at `batch_size` would need more than FIT_SHARE of the device."""
    if over := over_memory(batch_size, mcfg, device, available):
        need, have, fit = over
        raise ConfigError(f"--batch-size {batch_size}: one training step of this model ({mcfg.kind}, data "
                          f"{tuple(mcfg.data_shape)}) needs about {_gib(need)} ({need / batch_size / 2**20:.1f} "
                          f"MiB a sample), and {_where(device)} is {_gib(have)}; use --batch-size {fit} or less")


def check_projector_memory(candidates: int, restarts: int, mcfg: ModelConfig, device: torch.device,
                           available: int | None = None) -> None:
    """The projector optimises candidates x restarts latents in one batch: ConfigError when that
    batch would not fit, naming the --restarts that does."""
    if over := over_memory(candidates * restarts, mcfg, device, available):
        need, have, fit = over
        raise ConfigError(f"restarts {restarts}: the projector optimises {candidates * restarts} latents at "
                          f"once ({candidates} class/code combinations x {restarts} restarts), about {_gib(need)}, "
                          f"and {_where(device)} is {_gib(have)}; use {max(1, fit // candidates)} restarts or fewer (--restarts)")


def _where(device: torch.device) -> str:
    return "this machine's memory" if device.type == "cpu" else f"the memory of {device}"
