"""`gan-explorer project`: writes z.npy + a sidecar that `sample` renders back; errors exit 2."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main

MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"


def _png(path) -> np.ndarray:
    return np.asarray(Image.open(path), dtype=np.float32)


def test_projected_latent_round_trips_through_sample(tmp_path, capsys):
    ck = str(MODELS / "cgan-digits.safetensors")
    z, recon, again = tmp_path / "z.npy", tmp_path / "recon.png", tmp_path / "again.png"
    assert main(["project", ck, "digits:3", "-o", str(z), "--png", str(recon),
                 "--steps", "90", "--restarts", "2"]) == 0
    out = capsys.readouterr().out
    assert "pixel MSE" in out and "label" in out and "losses: pixel" in out
    side = json.loads(z.with_suffix(".json").read_text())
    assert np.load(z).shape == (1, 100) and side["label"] in range(10) and side["losses"] == ["pixel"]
    assert side["sample_args"][:2] == ["--z", str(z)]
    assert main(["sample", ck, *side["sample_args"], "-o", str(again)]) == 0
    assert np.abs(_png(again)[2:-2, 2:-2] - _png(recon)).max() <= 1       # the grid's 2 px border


def test_infogan_sidecar_names_its_codes(tmp_path):
    z = tmp_path / "z.npy"
    img = np.zeros((56, 56), np.uint8)
    img[10:46, 24:32] = 255                                               # a thick "1"
    Image.fromarray(img).save(tmp_path / "one.png")
    assert main(["project", str(MODELS / "infogan-digits.safetensors"), str(tmp_path / "one.png"),
                 "-o", str(z), "--steps", "40", "--restarts", "1"]) == 0
    side = json.loads(z.with_suffix(".json").read_text())
    assert set(side["codes"]) == {"cat1", "cont1", "cont2"} and len(side["code_vector"]) == 12
    assert "--code" in side["sample_args"]


@pytest.mark.parametrize("args,needle", [
    (["missing.safetensors", "digits:1"], "missing.safetensors"),
    (["@MODEL", "missing.png"], "missing.png"),
    (["@MODEL", "digits:5000"], "below 1000"),
    (["@MODEL", "digits:1", "-o", "z.txt"], "must end in .npy"),
])
def test_bad_paths_are_one_line_and_exit_2(tmp_path, capsys, args, needle):
    args = [str(MODELS / "dcgan-digits.safetensors") if a == "@MODEL" else a for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "z.npy")]
    assert main(["project", *args, "--steps", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
