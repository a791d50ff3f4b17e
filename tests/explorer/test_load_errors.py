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


def _edit_header(src, dst, edit):
    raw = src.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    edit(header)
    hb = json.dumps(header).encode()
    dst.write_bytes(struct.pack("<Q", len(hb)) + hb + raw[8 + n:])
    return dst


def _set_config(**kv):
    def edit(h):
        cfg = json.loads(h["__metadata__"]["config"])
        cfg.update(kv)
        h["__metadata__"]["config"] = json.dumps(cfg)
    return edit


def _bad_file(kind, src, folder):
    """One damaged file of each bug class the attack on the loader found (issue 29)."""
    import pickle

    import torch
    p = folder / f"{kind}.safetensors"
    if kind == "nan-weights":
        return _nan_weights(src, p)
    if kind == "deep-header":
        raw = src.read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        hb = raw[8:8 + n - 1] + b', "deep": ' + b"[" * 50000 + b"]" * 50000 + b"}"
        p.write_bytes(struct.pack("<Q", len(hb)) + hb + raw[8 + n:])
        return p
    if kind == "wrong-types":
        return _edit_header(src, p, lambda h: h["__metadata__"].update(
            meta=json.dumps({"value_range": "x"})))
    if kind == "huge-config":           # each width in range, together ~50 GiB
        return _edit_header(src, p, _set_config(g_width=4096, d_width=4096))
    if kind == "truncated":
        p.write_bytes(src.read_bytes()[:300])
        return p
    if kind == "foreign-pth":           # int keys: a PyTorch file, but no state_dict of names
        p = folder / "netG_epoch_3.pth"
        torch.save({0: torch.zeros(3), 1: torch.zeros(2)}, p)
        return p
    if kind == "malicious-pickle":
        p = folder / "model.pth"
        p.write_bytes(b"\x80\x02cposix\nsystem\n(X\x0b\x00\x00\x00touch /tmp/xtR." + pickle.dumps(None))
        return p
    p.write_bytes(b"")                  # empty
    return p


@pytest.mark.parametrize("kind,words", [
    ("nan-weights", "NaN or infinite"), ("deep-header", "nested too deeply"),
    ("wrong-types", "value_range"), ("huge-config", "parameters"), ("truncated", "truncated"),
    ("foreign-pth", "not a state_dict"), ("malicious-pickle", "none of its code ran"), ("empty", "empty")])
def test_every_bug_class_shows_one_line_in_the_status_bar_and_the_list(window, checkpoints, tmp_path, kind, words):
    window.open_model(checkpoints["dcgan"])
    bad = _bad_file(kind, checkpoints["dcgan"], tmp_path)
    window.open_model(bad)
    status = window.statusBar().currentMessage()
    _one_line_reason(status)
    assert bad.name in status and words in status, status
    entry = next(t for t in _list_texts(window) if t.startswith(bad.name + "\n"))
    _one_line_reason(entry.split("\n", 1)[1])
    assert entry.split("\n", 1)[1].startswith("not loaded: ") and words in entry, entry
    assert window.info.path == checkpoints["dcgan"]          # the model that was open stays open
