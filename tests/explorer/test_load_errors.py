"""Issue 29, item 5: a file that fails to load or render shows its one-line reason in the status
bar and the model list, never a Python exception's class name or a traceback."""
from __future__ import annotations

import json
import re
import struct

import pytest

CLASS_NAME = re.compile(r"\b_?\w*(Error|Exception)\b|Traceback")


def _nan_weights(src, dst):
    """A checkpoint whose header is fine but whose first G tensor holds NaN."""
    raw = src.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    name = next(k for k in header if k.startswith("G.") and header[k]["dtype"] in ("F32", "F16"))
    start, _ = header[name]["data_offsets"]
    nan = struct.pack("<f", float("nan")) if header[name]["dtype"] == "F32" else struct.pack("<e", float("nan"))
    body = bytearray(raw[8 + n:])
    body[start:start + len(nan)] = nan
    dst.write_bytes(raw[:8 + n] + bytes(body))
    return dst


def _one_line_reason(text: str) -> None:
    assert text and "\n" not in text, text
    assert not CLASS_NAME.search(text), text


def _list_texts(window) -> list[str]:
    ml = window.model_list
    return [ml.entry_text(g, i) for g in range(ml.tree.topLevelItemCount())
            for i in range(ml.tree.topLevelItem(g).childCount())]


def test_a_corrupt_safetensors_says_why_in_the_status_bar_and_the_list(window, checkpoints, tmp_path):
    window.open_model(checkpoints["dcgan"])
    bad = _nan_weights(checkpoints["dcgan"], tmp_path / "nan.safetensors")
    window.open_model(bad)
    status = window.statusBar().currentMessage()
    _one_line_reason(status)
    assert "nan.safetensors" in status and "NaN or infinite" in status
    entry = next(t for t in _list_texts(window) if t.startswith("nan.safetensors"))
    assert "not loaded: tensor G." in entry and "NaN or infinite" in entry
    assert "Could not open" in [window.model_list.tree.topLevelItem(g).text(0)
                                for g in range(window.model_list.tree.topLevelItemCount())]
    assert window.info.path == checkpoints["dcgan"]     # the previous model stays


def test_a_recent_file_damaged_since_shows_its_reason_in_its_entry(window, checkpoints, tmp_path):
    f = tmp_path / "was-fine.safetensors"
    f.write_bytes(checkpoints["cgan"].read_bytes())
    window.open_model(f)
    assert window.info.path == f
    f.write_bytes(f.read_bytes()[:500])                 # truncated after it was opened
    window.open_model(f)
    _one_line_reason(window.statusBar().currentMessage())
    recent = window.model_list.entry_text(1, window.model_list.entries(1).index(str(f)))
    assert recent.startswith("was-fine.safetensors\nnot loaded: ")
    _one_line_reason(recent.split("\n", 1)[1])
    f.write_bytes(checkpoints["cgan"].read_bytes())     # mended: loading again clears the reason
    window.open_model(f)
    assert "not loaded" not in window.model_list.entry_text(1, window.model_list.entries(1).index(str(f)))


def test_an_unexpected_load_error_is_a_message_without_its_class_name(window, checkpoints, monkeypatch):
    import numpy as np

    def boom(job):
        raise np.linalg.LinAlgError("SVD did not converge")
    monkeypatch.setattr(window.renderer.engine, "load", boom)
    window.open_model(checkpoints["dcgan"])
    status = window.statusBar().currentMessage()
    _one_line_reason(status)
    assert "could not be loaded (SVD did not converge)" in status


@pytest.mark.parametrize("exc", ["linalg", "checkpoint", "keyerror"])
def test_a_failed_render_is_one_line_without_a_class_name(window, checkpoints, monkeypatch, exc):
    import torch

    from gan_models.errors import CheckpointError
    window.open_model(checkpoints["dcgan"])
    err = {"linalg": torch.linalg.LinAlgError("linalg.svd: the algorithm failed to converge\nmore"),
           "checkpoint": CheckpointError("the model draws nothing"), "keyerror": KeyError("G.x")}[exc]

    def fail(*a, **k):
        raise err
    monkeypatch.setattr(window.renderer.engine, "run", fail)
    window.panels["sampling"].seed.setValue(7)
    status = window.statusBar().currentMessage()
    assert status.startswith("Rendering failed: ")
    _one_line_reason(status)
