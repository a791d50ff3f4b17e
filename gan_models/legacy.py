"""Foreign model formats: the official PyTorch DCGAN example's generator (`netG_epoch_N.pth`).

pytorch/examples `dcgan/main.py` saves `netG.state_dict()` of

    main.0   ConvTranspose2d(nz, 8ngf, 4, 1, 0, bias=False)   # (B, 8ngf, 4, 4) from (B, nz, 1, 1)
    main.1   BatchNorm2d(8ngf)                                (main.2 ReLU)
    main.3   ConvTranspose2d(8ngf, 4ngf, 4, 2, 1, bias=False) # (B, 4ngf, 8, 8)
    main.4   BatchNorm2d(4ngf)                                (main.5 ReLU)
    main.6   ConvTranspose2d(4ngf, 2ngf, 4, 2, 1, bias=False) # (B, 2ngf, 16, 16)
    main.7   BatchNorm2d(2ngf)                                (main.8 ReLU)
    main.9   ConvTranspose2d(2ngf, ngf, 4, 2, 1, bias=False)  # (B, ngf, 32, 32)
    main.10  BatchNorm2d(ngf)                                 (main.11 ReLU)
    main.12  ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)    # (B, nc, 64, 64), main.13 Tanh

Our 64x64 dcgan generator has the same layers, except that the first one is a Linear from z
to (8ngf, 4, 4): a 4x4 transposed conv on a 1x1 input is exactly that Linear, so the import
is an exact weight copy. The file is only ever read as tensors (the caller uses
`torch.load(weights_only=True)`), so no code from it runs.
"""
from __future__ import annotations

import torch

from .base import Generator
from .config import ModelConfig
from .errors import CheckpointError, ConfigError

_CONVS = ("main.0", "main.3", "main.6", "main.9", "main.12")
_BNS = ("main.1", "main.4", "main.7", "main.10")
_BN_TENSORS = ("weight", "bias", "running_mean", "running_var")   # num_batches_tracked optional


def _strip_prefix(state_dict: dict) -> dict:
    """Drop the `module.` prefix that nn.DataParallel adds to every key."""
    if state_dict and all(k.startswith("module.") for k in state_dict):
        return {k[len("module."):]: v for k, v in state_dict.items()}
    return dict(state_dict)


def looks_like_pytorch_dcgan(state_dict) -> bool:
    """True if `state_dict` has the key names of the PyTorch DCGAN example's generator."""
    if not isinstance(state_dict, dict):
        return False
    keys = set(_strip_prefix(state_dict))
    return {f"{c}.weight" for c in _CONVS} <= keys


def _infer_sizes(sd: dict) -> tuple[int, int, int]:
    """(nz, ngf, nc) from the tensor shapes, after checking every expected key is there."""
    missing = [f"{c}.weight" for c in _CONVS if f"{c}.weight" not in sd]
    missing += [f"{b}.{t}" for b in _BNS for t in _BN_TENSORS if f"{b}.{t}" not in sd]
    if missing:
        raise CheckpointError("not a PyTorch DCGAN example generator (64x64): missing "
                              + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else ""))
    known = {f"{c}.weight" for c in _CONVS} | {f"{b}.{t}" for b in _BNS
                                              for t in _BN_TENSORS + ("num_batches_tracked",)}
    extra = sorted(set(sd) - known)
    if extra:
        raise CheckpointError("not a PyTorch DCGAN example generator (64x64): unexpected "
                              + ", ".join(extra[:6]) + (" ..." if len(extra) > 6 else ""))
    last = sd["main.12.weight"]
    first = sd["main.0.weight"]
    if last.dim() != 4 or first.dim() != 4:
        raise CheckpointError("PyTorch DCGAN generator: main.0.weight and main.12.weight must be "
                              "4-D transposed-convolution weights")
    return first.shape[0], last.shape[0], last.shape[1]


def _check_shapes(sd: dict, nz: int, ngf: int, nc: int) -> None:
    chans = [nz, 8 * ngf, 4 * ngf, 2 * ngf, ngf, nc]
    for i, c in enumerate(_CONVS):
        want = (chans[i], chans[i + 1], 4, 4)
        got = tuple(sd[f"{c}.weight"].shape)
        if got != want:
            raise CheckpointError(f"PyTorch DCGAN generator: {c}.weight has shape {got}, expected "
                                  f"{want} for nz={nz}, ngf={ngf}, nc={nc}")
    for i, b in enumerate(_BNS):
        for t in _BN_TENSORS:
            got = tuple(sd[f"{b}.{t}"].shape)
            if got != (chans[i + 1],):
                raise CheckpointError(f"PyTorch DCGAN generator: {b}.{t} has shape {got}, "
                                      f"expected ({chans[i + 1]},)")
        count = sd.get(f"{b}.num_batches_tracked")
        if count is not None and count.numel() != 1:        # a counter: one number
            raise CheckpointError(f"PyTorch DCGAN generator: {b}.num_batches_tracked has shape "
                                  f"{tuple(count.shape)}, expected one number")
    if nc not in (1, 3):
        raise CheckpointError(f"PyTorch DCGAN generator: {nc} output channels; only 1 or 3 are supported")
    if not all(sd[f"{c}.weight"].is_floating_point() for c in _CONVS):
        raise CheckpointError("PyTorch DCGAN generator: weights must be floating point tensors")


def import_pytorch_dcgan(state_dict: dict) -> tuple[ModelConfig, Generator]:
    """Convert the PyTorch DCGAN example's `netG` state_dict into our dcgan generator.

    Parameters
    ----------
    state_dict : dict of str -> Tensor, as saved by `torch.save(netG.state_dict(), ...)`.

    Returns
    -------
    (ModelConfig, Generator): a 64x64 dcgan config (nz, ngf, nc inferred from the shapes)
    and a generator, in eval mode, that maps z of shape (B, nz) to the same images the
    original maps z of shape (B, nz, 1, 1) to.

    Raises
    ------
    CheckpointError naming the missing, unexpected or mis-shaped tensor.
    """
    from .registry import build_generator   # late: registry imports the networks

    if not isinstance(state_dict, dict) or not all(torch.is_tensor(v) for v in state_dict.values()):
        raise CheckpointError("a PyTorch file, but not a state_dict: expected a mapping of names to tensors")
    odd = [k for k in state_dict if not isinstance(k, str)]
    if odd:
        raise CheckpointError(f"a PyTorch file, but not a state_dict: key {odd[0]!r} is not a name")
    for k, v in state_dict.items():
        # a meta tensor has a shape but no data; a sparse or quantized one is not a weight of a net
        if v.is_meta or v.layout != torch.strided or v.is_quantized:
            kind = "meta (no data)" if v.is_meta else "quantized" if v.is_quantized else f"{v.layout}"
            raise CheckpointError(f"PyTorch DCGAN generator: tensor {k} is a {kind} tensor; "
                                  "expected plain dense weights")
    sd = _strip_prefix(state_dict)
    nz, ngf, nc = _infer_sizes(sd)
    _check_shapes(sd, nz, ngf, nc)
    try:
        cfg = ModelConfig(kind="dcgan", arch="conv", data_shape=(nc, 64, 64), z_dim=nz,
                          g_width=ngf, g_output="tanh").validate("PyTorch DCGAN generator")
    except ConfigError as e:   # e.g. nz or ngf outside our supported range
        raise CheckpointError(f"PyTorch DCGAN generator: unsupported sizes ({e})") from None
    g = build_generator(cfg)

    convs = [m for m in g.body if isinstance(m, torch.nn.ConvTranspose2d)]
    bns = [m for m in g.body if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(convs) == 4 and len(bns) == 4, "the 64x64 dcgan layout changed; update legacy.py"
    with torch.no_grad():
        w0 = sd["main.0.weight"].float()                              # (nz, 8ngf, 4, 4)
        # out[b, c, i, j] = sum_k z[b, k] w0[k, c, i, j]  ==  Linear weight (8ngf*16, nz)
        g.project.weight.copy_(w0.reshape(nz, -1).t())
        for ours, name in zip(convs, _CONVS[1:]):
            ours.weight.copy_(sd[f"{name}.weight"].float())
        convs[-1].bias.zero_()                                        # the original has no bias
        for ours, name in zip(bns, _BNS):
            for t in _BN_TENSORS:
                getattr(ours, t).copy_(sd[f"{name}.{t}"].float())
            if f"{name}.num_batches_tracked" in sd:
                ours.num_batches_tracked.copy_(sd[f"{name}.num_batches_tracked"].reshape(()).long())
    return cfg, g.eval()
