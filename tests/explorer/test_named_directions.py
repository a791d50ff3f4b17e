"""The Directions panel's named directions on a faces model: the Kind row shows only for faces
models; named rows are labelled by attribute and walk the sample along the judge's directions
(the judge's job is replaced by its result; train.faces_directions is tested in tests/train)."""
from pathlib import Path

import numpy as np

from train.faces_directions import NamedDirections

FACES = Path(__file__).resolve().parents[2] / "resources" / "models" / "dcgan-faces.safetensors"


def test_named_directions_rows_on_a_faces_model_and_no_kind_row_elsewhere(window, checkpoints, monkeypatch):
    window.open_model(str(FACES))
    window.select_panel("directions")
    p = window.panels["directions"]
    assert p.find_form.isRowVisible(p.source) and p.found is not None     # principal ones first
    started = []
    monkeypatch.setattr(p, "_find_named", lambda: started.append(1) or 0)
    p.source.setCurrentIndex(1)
    assert started and p.found is None and not p.count.isEnabled()
    z_dim = p.info.z_dim
    v = np.zeros((2, z_dim), np.float32)
    v[0, 0] = v[1, 1] = 1
    p._on_named(p._named_job, "directions", NamedDirections(["+glasses", "+smile"], ["glasses", "smile"], v,
                                                             np.full(2, 0.5, np.float32), 2000))
    assert p.grid.row_labels == ["+glasses", "+smile"] and len(p.result.images) == 2 * 9
    z = p.result.batch.z.reshape(2, 9, z_dim)
    assert np.allclose(z[0, 8, 0] - z[0, 4, 0], 3.0 * 0.5) and np.allclose(z[0, 8, 1:], z[0, 4, 1:])
    p._on_named(p._named_job - 1, "directions", None)                      # a stale job's report is dropped
    assert p.grid.row_labels == ["+glasses", "+smile"]
    window.open_model(checkpoints["cgan"])
    assert not p.find_form.isRowVisible(p.source) and p.source.currentIndex() == 0
