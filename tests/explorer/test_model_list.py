"""The Models list's runs group follows the runs folder by itself: a run appears when its
trainer writes config.json and shows its state from events.jsonl, with no Refresh click."""
from __future__ import annotations

import json
import shutil
import time

from PySide6.QtCore import QSettings

from explorer.model_list import ModelList
from explorer.settings import AppSettings

RUNS = 2          # the runs group: bundled, recent, runs


def _event(run, kind, step):
    with open(run / "events.jsonl", "a") as f:
        f.write(json.dumps({"time": time.time(), "event": kind, "step": step}) + "\n")


def _start_run(runs, name="20261201-101500-dcgan-digits"):
    run = runs / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"model": {"kind": "dcgan"}, "train": {"dataset": "digits"}}))
    _event(run, "started", 0)
    return run


def _list(qtbot, tmp_path, **kw):
    s = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    ml = ModelList(s, tmp_path / "runs", tmp_path / "bundled", **kw)
    qtbot.addWidget(ml)
    return ml


def _runs_text(ml) -> str:
    group = ml.tree.topLevelItem(RUNS)
    return "\n".join(ml.entry_text(RUNS, i) for i in range(group.childCount()))


def test_runs_appear_when_they_start_and_show_their_state(qtbot, tmp_path, checkpoints):
    runs = tmp_path / "runs"
    runs.mkdir()
    ml = _list(qtbot, tmp_path)
    assert "No runs yet" in _runs_text(ml)
    run = _start_run(runs)                                     # the trainer starts: no checkpoint yet
    qtbot.waitUntil(lambda: "20261201-101500-dcgan-digits" in _runs_text(ml), timeout=5000)
    assert "running · dcgan · digits" in _runs_text(ml) and "no checkpoint yet" in _runs_text(ml)
    assert ml.entries(RUNS) == []                              # nothing to open yet
    (run / "checkpoints").mkdir()
    shutil.copy(checkpoints["dcgan"], run / "checkpoints" / "latest.safetensors")
    _event(run, "checkpoint", 100)
    qtbot.waitUntil(lambda: "step 100" in _runs_text(ml) and "no checkpoint" not in _runs_text(ml), timeout=5000)
    assert ml.entries(RUNS) == [str(run)]
    _event(run, "finished", 100)
    qtbot.waitUntil(lambda: _runs_text(ml).splitlines()[1].startswith("finished"), timeout=5000)


def test_the_slow_poll_finds_runs_where_the_watcher_sees_nothing(qtbot, tmp_path):
    """No watcher (a network file system), and a runs folder that does not exist at start."""
    ml = _list(qtbot, tmp_path, watch=False, poll_ms=100)
    assert "No runs yet" in _runs_text(ml)
    run = _start_run(tmp_path / "runs")
    qtbot.waitUntil(lambda: "running" in _runs_text(ml), timeout=5000)
    _event(run, "stopped", 40)
    qtbot.waitUntil(lambda: "stopped" in _runs_text(ml), timeout=5000)


def test_a_run_that_stopped_writing_long_ago_is_not_called_running(tmp_path):
    from explorer.runs_scan import STALE_S, read_run
    run = _start_run(tmp_path / "runs")
    entry = read_run(run, now=time.time() + STALE_S + 120)
    assert entry.state == "running" and entry.state_text().startswith("running? (no update for")
    assert read_run(run).state_text() == "running"
