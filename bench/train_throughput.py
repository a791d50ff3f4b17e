"""Our trainer vs a plain textbook PyTorch DCGAN loop (pytorch/examples dcgan/main.py style):
same networks, batch, data and device, measured in one run. Prints images/s and the ratio.

    python bench/train_throughput.py [--steps 40] [--batch-size 128] [--device cpu] [--amp bf16]
                                     [--channels-last] [--compile] [--cudnn-benchmark]
    python bench/train_throughput.py --size 64 [--amp bf16] [--channels-last] [--threads 1]

--size 28 (default): DCGAN-28 on the embedded digits. --size 64: the study note's DCGAN-64 nets
(4x4 -> 64x64, 3 channels, --width 64 by default) on the embedded colour shapes, streamed by our
trainer and held in memory (a DataLoader over a tensor) by the textbook loop.

Images/s counts real images per G update (one D + one G update per batch), for both loops.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gan_models import default_config  # noqa: E402
from gan_models.registry import build_discriminator, build_generator  # noqa: E402
from train.config import TrainConfig  # noqa: E402
from train.setup import create_trainer  # noqa: E402


def textbook(cfg, x: torch.Tensor, steps: int, batch: int, device) -> float:
    """The pytorch/examples DCGAN loop: DataLoader, BCE with label tensors, two D passes."""
    torch.manual_seed(0)
    netG, netD = build_generator(cfg).to(device), build_discriminator(cfg).to(device)
    criterion = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x), batch_size=batch,
                                         shuffle=True, drop_last=True)
    done, t0 = 0, None
    while done < steps + 3:
        for (real,) in loader:
            if done == 3:
                t0 = time.perf_counter()            # after warm-up
            real = real.to(device)
            b = real.size(0)
            netD.zero_grad()
            label = torch.full((b,), 1.0, device=device)
            errD_real = criterion(netD(real), label)
            errD_real.backward()
            noise = torch.randn(b, cfg.z_dim, device=device)
            fake = netG(noise)
            label.fill_(0.0)
            errD_fake = criterion(netD(fake.detach()), label)
            errD_fake.backward()
            optD.step()
            netG.zero_grad()
            label.fill_(1.0)
            errG = criterion(netD(fake), label)
            errG.backward()
            optG.step()
            float((errD_real + errD_fake).detach()), float(errG.detach())   # the example prints these
            done += 1
            if done >= steps + 3:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def ours(args, device) -> float:
    tcfg = TrainConfig(model="dcgan", dataset=args.dataset, steps=args.steps + 3, batch_size=args.batch_size,
                       n_data=args.n_data, device=str(device), log_every=10, sample_every=10**9,
                       checkpoint_every=0, autosave_seconds=1e9, amp=args.amp, quality_n=0,
                       num_threads=args.threads,
                       channels_last=args.channels_last, compile=args.compile,
                       model_overrides={"g_width": args.width, "d_width": args.width}).validate()
    tr = create_trainer(tcfg, write=False)
    for _ in range(3):
        tr.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        tr.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return args.steps * args.batch_size / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--n-data", type=int, default=10000)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--amp", default="off")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--compile", action="store_true", help="torch.compile G and D (compiled in the warm-up)")
    ap.add_argument("--cudnn-benchmark", action="store_true",
                    help="let cuDNN time its conv algorithms for these shapes (both loops; pytorch/examples' "
                         "DCGAN sets it)")
    ap.add_argument("--rounds", type=int, default=2, help="alternate the two loops this many times")
    ap.add_argument("--size", type=int, choices=(28, 64), default=28,
                    help="28: DCGAN-28 on digits; 64: DCGAN-64 (3 channels) on the colour shapes")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    from train.data import in_memory, load_dataset
    args.dataset = "digits" if args.size == 28 else "shapes"
    ds = load_dataset(args.dataset, n=args.n_data)
    if args.size == 64:
        ds = in_memory(ds, args.n_data)          # the textbook loop's DataLoader needs a tensor
    cfg = default_config("dcgan", ds.data_shape, g_width=args.width, d_width=args.width)
    print(f"DCGAN {ds.data_shape}, width {args.width}, batch {args.batch_size}, {args.steps} steps, "
          f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads; ours: amp "
          f"{args.amp}, channels-last {args.channels_last}, compile {args.compile} (textbook: fp32, NCHW)")
    base, mine = [], []
    for _ in range(args.rounds):              # alternate so machine noise hits both alike
        base.append(textbook(cfg, ds.x, args.steps, args.batch_size, device))
        mine.append(ours(args, device))
    b, m = max(base), max(mine)
    print(f"textbook loop : {b:8.1f} images/s   (rounds: {', '.join(f'{v:.0f}' for v in base)})")
    print(f"our trainer   : {m:8.1f} images/s   (rounds: {', '.join(f'{v:.0f}' for v in mine)})")
    ratios = sorted(o / t for o, t in zip(mine, base))      # each round's pair ran back to back
    print(f"ratio         : {m / b:.2f}x best-vs-best; per round {', '.join(f'{r:.2f}' for r in ratios)}"
          f" (median {ratios[len(ratios) // 2]:.2f}x)")


if __name__ == "__main__":
    main()
