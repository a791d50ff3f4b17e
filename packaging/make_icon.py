"""Draw the app icon: D(x) and D(G(z)) meeting at the 0.5 equilibrium, on a dark tile.

    python packaging/make_icon.py      # writes resources/icons/gan-explorer.{png,ico}

Drawn with pillow at 4x and downsampled, so the icon needs no design tool and can be redrawn.
"""
from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "icons"
S = 1024                      # drawing size; the PNG is 256 px


def _curve(f, x0: float, x1: float, n: int = 200) -> list[tuple[float, float]]:
    return [(x0 + (x1 - x0) * i / n, f(i / n)) for i in range(n + 1)]


def draw(size: int = 256) -> Image.Image:
    img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pad = S * 0.06
    d.rounded_rectangle((pad, pad, S - pad, S - pad), radius=S * 0.18, fill=(28, 32, 48, 255))
    left, right, top, bottom = S * 0.17, S * 0.83, S * 0.2, S * 0.8
    mid = (top + bottom) / 2                     # the 0.5 line
    for x in range(int(left), int(right), int(S * 0.06)):   # dashed equilibrium
        d.line((x, mid, x + S * 0.03, mid), fill=(150, 156, 180, 255), width=int(S * 0.014))
    amp = (bottom - top) / 2 * 0.92

    def damped(sign):
        return lambda t: mid - sign * amp * math.exp(-3.2 * t) * (0.55 + 0.45 * math.cos(9 * t))

    w = S * 0.045
    for sign, colour in ((+1, (64, 196, 255, 255)), (-1, (255, 120, 80, 255))):   # D(x), D(G(z))
        for x, y in _curve(damped(sign), left, right, n=600):    # round pen: discs along the curve
            d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=colour)
    r = S * 0.035
    d.ellipse((right - r, mid - r, right + r, mid + r), fill=(255, 255, 255, 255))
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = draw(256)
    icon.save(OUT / "gan-explorer.png")
    icon.save(OUT / "gan-explorer.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    print(f"wrote {OUT / 'gan-explorer.png'} and .ico")


if __name__ == "__main__":
    main()
