"""The D-probe panel: gated on having D; runs off the UI thread; shows three rows and a PCA."""
import pytest
from model_factory import make_checkpoint

from explorer.model_session import info_from_checkpoint
from explorer.panels.probe import ProbePanel
from gan_models.checkpoint import load_checkpoint


def _info(path):
    return info_from_checkpoint(load_checkpoint(path), 1, 0, "CPU")


def test_probe_panel_needs_a_discriminator(tmp_path, qtbot, renderer):
    info = _info(make_checkpoint(tmp_path, "dcgan", with_d=False))
    assert "no discriminator" in ProbePanel.unavailable_reason(info)


def test_probe_runs_and_fills_table_and_pca(tmp_path, qtbot, renderer):
    info = _info(make_checkpoint(tmp_path, "dcgan"))
    assert ProbePanel.unavailable_reason(info) is None
    panel = ProbePanel(renderer)
    qtbot.addWidget(panel)
    panel.n_data, panel.n_test = 600, 200
    panel.labels_a.setValue(20)
    panel.labels_b.setValue(100)
    panel.set_model(info)
    panel.run_button.click()
    assert not panel.run_button.isEnabled()                # running on the worker, UI free
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=120_000)
    assert panel.result is not None, panel.status.text()
    rows = panel.result["table"]["rows"]
    assert [r["features"] for r in rows] == ["discriminator", "raw pixels", "random D"]
    for r in range(3):
        assert panel.table.item(r, 0).text().endswith("%")
    assert panel.result["pca"]["coords"].shape[1] == 2
    assert len(panel.plot.listDataItems()) == 10          # one scatter per digit class


def test_factor_table_shows_the_gain_per_factor_for_shapes(qtbot, renderer):
    import numpy as np
    panel = ProbePanel(renderer)
    qtbot.addWidget(panel)
    rows = [{"features": f, "dim": 10, "accuracy": {"40": 0.5}} for f in ("discriminator", "raw pixels", "random D")]
    factors = {"labels": 40, "bins": {"x": 4}, "rows": [
        {"factor": f, "classes": 4, "chance": 0.25, "discriminator": 0.9, "raw pixels": p, "random D": 0.5,
         "gain": 0.9 - p} for f, p in (("shape", 0.4), ("x", 0.95))]}
    pca = {"coords": np.zeros((4, 2), np.float32), "labels": np.arange(4), "explained": 0.5,
           "class_names": ["square", "circle", "triangle", "cross"]}
    table = {"rows": rows, "labels": [40], "n_test": 60, "dataset": "shapes", "seconds": 1.0}
    panel._on_worker_finished({"table": dict(table, factors=factors), "pca": pca})
    assert not panel.factor_table.isHidden() and panel.factor_table.rowCount() == 2
    assert [panel.factor_table.item(r, 0).text() for r in range(2)] == ["shape", "x"]
    assert panel.factor_table.item(0, 5).text() == "+50.0" and panel.factor_table.item(1, 5).text() == "-5.0"
    assert "4 for x" in panel.factor_title.text()
    faces = dict(factors, bins={"skin": 4, "tilt": 4}, rows=[dict(r, factor=f) for r, f in
                                                              zip(factors["rows"], ("glasses × smile", "skin"))])
    panel._on_worker_finished({"table": dict(table, dataset="faces", factors=faces), "pca": pca})
    assert [panel.factor_table.item(r, 0).text() for r in range(2)] == ["glasses × smile", "skin"]
    assert "4 for skin, tilt" in panel.factor_title.text() and "hue" not in panel.factor_title.text()
    nine = [dict(factors["rows"][0], factor=f) for f in ("glasses × smile", "glasses", "smile", "hair_style",
                                                         "hair_colour", "skin", "width", "eye_size", "tilt")]
    panel.resize(1000, 700)
    panel.show()
    panel._on_worker_finished({"table": dict(table, dataset="faces", factors=dict(faces, rows=nine)), "pca": pca})
    qtbot.wait(50)
    assert panel.factor_table.item(3, 0).text() == "hair style"
    bars = (panel.factor_table.horizontalScrollBar(), panel.factor_table.verticalScrollBar())
    assert not any(b.isVisible() for b in bars)          # every row and the gain column in view
    panel._on_worker_finished({"table": table, "pca": pca})            # digits: no factor table
    assert panel.factor_table.isHidden()


@pytest.fixture(autouse=True)
def _no_worker_left(qtbot):
    """A failed test must not leave a probe running into the next (Qt aborts on a QThread
    destroyed while it runs)."""
    panels = []
    yield panels
    for p in panels:
        if p.worker is not None:
            p.worker.cancel()
            p.worker.wait(120_000)


def _small(panel, keep=None):
    panel.n_data, panel.n_test = 600, 200
    panel.labels_a.setValue(20)
    panel.labels_b.setValue(100)


def test_progress_bar_estimate_and_a_second_visit_is_instant(tmp_path, qtbot, renderer, probe_cache_dir,
                                                            _no_worker_left):
    info = _info(make_checkpoint(tmp_path, "dcgan"))
    panel = ProbePanel(renderer)
    qtbot.addWidget(panel)
    _no_worker_left.append(panel)
    _small(panel)
    panel.set_model(info)
    assert "minutes" in panel.status.text() and "about a minute" not in panel.status.text()
    seen = []
    panel.run_button.click()
    panel.worker.progressed.connect(lambda f, what: seen.append((f, panel.progress.format())))
    assert not panel.progress.isHidden() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=120_000)
    assert panel.result is not None, panel.status.text()
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 8
    assert all(fmt.endswith(("left", "estimating…")) for _, fmt in seen)
    assert panel.progress.isHidden() and not panel.cancel_button.isEnabled()
    first = panel.result

    again = ProbePanel(renderer)                         # a second visit (new panel, same file):
    qtbot.addWidget(again)                               # the saved result, without running
    _small(again)
    from explorer.probe_cache import ProbeCache
    ProbeCache._memory.clear()                           # ... read back from the cache folder
    again.set_model(info)
    assert again.worker is None and again.result is not None
    assert again.result["table"]["rows"] == first["table"]["rows"]
    assert again.table.item(0, 0).text() == panel.table.item(0, 0).text()
    headers = [again.table.horizontalHeaderItem(c).text() for c in range(again.table.columnCount())]
    assert headers == [f"{n} labels" for n in first["table"]["labels"]] + ["features"]   # not "1", "2", "3"
    done = again.prepare_screenshot()                    # `gan-explorer screenshot`: the saved result,
    assert again.worker is None and done()               # not minutes of probing again
    assert len(again.plot.listDataItems()) == 10
    assert "Saved result" in again.status.text()
    assert list(probe_cache_dir.glob("probe/*.json"))


def test_cancel_stops_the_probe(tmp_path, qtbot, renderer, _no_worker_left):
    info = _info(make_checkpoint(tmp_path, "dcgan"))
    panel = ProbePanel(renderer)
    qtbot.addWidget(panel)
    _no_worker_left.append(panel)
    _small(panel)
    panel.set_model(info)
    panel.run_button.click()
    with qtbot.waitSignal(panel.worker.cancelled, timeout=120_000):
        panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.worker.isRunning(), timeout=10_000)
    assert panel.result is None and panel.run_button.isEnabled()
    assert panel.status.text().startswith("Cancelled")


def test_the_message_without_d_names_the_bundled_model_that_has_it(tmp_path):
    """dcgan-shapes ships its D; the message must not say every bundled model is generator-only."""
    from explorer.panels.probe import bundled_with_discriminator
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    import shutil
    shutil.copy(make_checkpoint(tmp_path, "dcgan", with_d=True), bundled / "dcgan-shapes.safetensors")
    shutil.copy(make_checkpoint(tmp_path, "cgan", with_d=False), bundled / "cgan-digits.safetensors")
    assert bundled_with_discriminator(bundled) == ["dcgan-shapes"]
    info = _info(make_checkpoint(tmp_path, "dcgan", with_d=False))
    msg = ProbePanel.unavailable_reason(info)
    assert "bundled models are generator-only" not in msg
    from explorer.model_list import default_bundled_dir
    if (default_bundled_dir() / "dcgan-shapes.safetensors").is_file():      # the shipped files
        assert "Bundled models with D: began-digits, dcgan-faces, dcgan-shapes." in msg


def test_eta_text_extrapolates_the_time_so_far():
    from explorer.panels.probe import eta_text
    assert eta_text(0.01, 30) == "estimating…"
    assert eta_text(0.5, 30) == "about 30 s left"
    assert eta_text(0.25, 60) == "about 3.0 min left"
