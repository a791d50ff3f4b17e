"""Latent bookmarks: named, saved to JSON and loaded back; bad files give clear messages."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from explorer.bookmarks import BookmarkError, load_bookmarks, save_bookmarks
from explorer.latents import Latent


def test_bookmarks_round_trip_through_the_panel(window, checkpoints, tmp_path, monkeypatch):
    window.open_model(checkpoints["cgan"])
    a = window.panels["arithmetic"]
    box = a.bookmarks
    box.name.setText("smiling")
    box.add_button.click()                               # bookmark the A - B + C result
    window.panels["sampling"].grid.cell_clicked.emit(7)
    window.panels["sampling"].inspector.send_buttons["bookmark"].click()
    assert [n for n, _ in box.bookmarks()] == ["smiling", "seed 0 #7"]
    path = tmp_path / "marks.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    box.save_button.click()
    saved = box.bookmarks()

    box.list.clear()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    box.load_button.click()
    loaded = box.bookmarks()
    assert [n for n, _ in loaded] == ["smiling", "seed 0 #7"]
    for (_, x), (_, y) in zip(saved, loaded):
        assert np.allclose(x.z, y.z) and np.allclose(x.label, y.label)

    box.list.setCurrentRow(1)                            # a loaded bookmark renders like the original
    for slot in a.slots.values():
        slot.clear()
    box.send_buttons["A"].click()
    assert np.array_equal(a.slots["A"].view.array(), window.panels["sampling"].result.images[7])


def test_bad_bookmark_json_shows_a_message_and_keeps_the_list(window, checkpoints, tmp_path, monkeypatch):
    window.open_model(checkpoints["dcgan"])
    box = window.panels["arithmetic"].bookmarks
    box.add("keep me", Latent(np.zeros(100, np.float32)))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    box.load_button.click()
    assert "bad.json" in window.last_error and "not valid JSON" in window.last_error
    assert [n for n, _ in box.bookmarks()] == ["keep me"]


def test_bookmarks_from_another_model_are_refused(window, checkpoints, tmp_path):
    window.open_model(checkpoints["infogan"])           # z_dim 62
    path = save_bookmarks(tmp_path / "m.json", [("x", Latent(np.zeros(100, np.float32)))])
    with pytest.raises(BookmarkError, match="z has 100 values but this model needs 62"):
        window.panels["arithmetic"].bookmarks.load(path)


@pytest.mark.parametrize("doc, message", [
    ([], "not a GAN Explorer bookmarks file"),
    ({"format": "gan-explorer-bookmarks", "version": 9, "bookmarks": []}, "version 9"),
    ({"format": "gan-explorer-bookmarks", "version": 1, "bookmarks": [{"name": "a", "z": ["x"]}]},
     "finite numbers"),
    ({"format": "gan-explorer-bookmarks", "version": 1, "bookmarks": [{"z": [1.0]}]}, "name"),
])
def test_malformed_bookmark_files_name_the_problem(tmp_path, doc, message):
    p = tmp_path / "b.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(BookmarkError, match=message):
        load_bookmarks(p)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    x = Latent(np.arange(3, dtype=np.float32), np.array([0, 1], np.float32), None, "n")
    save_bookmarks(tmp_path / "b.json", [("a", x)])
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]
    ((name, y),) = load_bookmarks(tmp_path / "b.json")
    assert name == "a" and np.array_equal(y.z, x.z) and np.array_equal(y.label, x.label) and y.codes is None


def test_saving_bookmarks_where_they_cannot_be_written_is_one_line(window, checkpoints, monkeypatch):
    """Issue 29 item 3: the write's OutputError escaped the button's slot (only OSError was caught).
    /sys refuses new files even to root, so this is a real refusal, not a mock."""
    window.open_model(checkpoints["cgan"])
    box = window.panels["arithmetic"].bookmarks
    box.name.setText("smiling")
    box.add_button.click()
    messages = []
    box.failed.connect(messages.append)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("/sys/marks.json", ""))
    box.save_button.click()
    assert len(messages) == 1 and messages[0].startswith("/sys/marks.json: could not be written (")
    assert "\n" not in messages[0] and "Error" not in messages[0]
