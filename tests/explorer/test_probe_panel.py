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
