"""The D-probe panel: gated on having D; runs off the UI thread; shows three rows and a PCA."""
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
    factors = {"labels": 40, "rows": [
        {"factor": f, "classes": 4, "chance": 0.25, "discriminator": 0.9, "raw pixels": p, "random D": 0.5,
         "gain": 0.9 - p} for f, p in (("shape", 0.4), ("x", 0.95))]}
    pca = {"coords": np.zeros((4, 2), np.float32), "labels": np.arange(4), "explained": 0.5,
           "class_names": ["square", "circle", "triangle", "cross"]}
    table = {"rows": rows, "labels": [40], "n_test": 60, "dataset": "shapes", "seconds": 1.0}
    panel._on_worker_finished({"table": dict(table, factors=factors), "pca": pca})
    assert not panel.factor_table.isHidden() and panel.factor_table.rowCount() == 2
    assert [panel.factor_table.item(r, 0).text() for r in range(2)] == ["shape", "x"]
    assert panel.factor_table.item(0, 5).text() == "+50.0" and panel.factor_table.item(1, 5).text() == "-5.0"
    panel._on_worker_finished({"table": table, "pca": pca})            # digits: no factor table
    assert panel.factor_table.isHidden()
