"""The Arithmetic panel's "by attribute" row on a faces model: hidden elsewhere; Fill puts three
exemplars the judge reads as the chosen pair into the chosen slot; the result's reading appears."""
import numpy as np
import pytest

from explorer.panels import arithmetic_attrs as AA


class FakeInfo:
    def __init__(self, dataset="faces", num_classes=0):
        self.is_image, self.meta, self.num_classes = True, {"dataset": dataset}, num_classes
        self.code_layout = ()


def test_applies_only_to_unconditional_faces_models():
    assert AA.applies(FakeInfo())
    assert not AA.applies(FakeInfo("shapes")) and not AA.applies(FakeInfo(num_classes=4)) and not AA.applies(None)


def test_fill_puts_three_judged_exemplars_into_the_slot_and_reads_the_result(qtbot, monkeypatch):
    """The judge's jobs are replaced by their payloads (the worker itself runs the real judge;
    train/faces_arithmetic.exemplar_pool is tested in tests/train)."""
    from PySide6.QtWidgets import QWidget
    from explorer.widgets.latent_slot import LatentSlot

    class Host(QWidget):
        pass
    host = Host()
    host.slots = {s: LatentSlot(s, "") for s in ("A", "B", "C")}
    box = AA.AttributeFill(host, ("A", "B", "C"))
    qtbot.addWidget(host)
    qtbot.addWidget(box)
    box.set_model(FakeInfo())
    started = []
    monkeypatch.setattr(box, "_start", lambda kind, z=None: started.append((kind, z)) or box._latest.update({kind: len(started)}))
    z = np.arange(40, dtype=np.float32).reshape(10, 4)
    groups = {(1, 1): [2, 5, 7, 9], (1, 0): [1], (0, 1): [], (0, 0): [0, 3, 4]}
    box.slot.setCurrentText("B")
    box.pair.setCurrentIndex([k for k, _ in AA.PAIRS].index((1, 1)))
    box._on_fill()
    assert started[-1][0] == "pool" and not box.fill.isEnabled()        # first use: the judge reads a pool
    assert box._latest["pool"] == 1
    box._on_done(1, "pool", (z, groups))
    assert box.pool is not None, box.reading.text()
    got = host.slots["B"].latents
    assert len(got) == 3 and {int(l.z[0]) // 4 for l in got} <= {2, 5, 7, 9}   # three "glasses, smiling"
    assert all("glasses, smiling" in l.note for l in got) and box.fill.isEnabled()
    box.pair.setCurrentIndex([k for k, _ in AA.PAIRS].index((1, 0)))          # only one such sample: said, not filled
    box._on_fill()
    assert "Only 1 of 600" in box.reading.text() and len(host.slots["B"].latents) == 3
    box.read_result(z[:3]) if box.isVisible() else None
    box._latest["read"] = 9
    box._on_done(8, "read", "stale")                                # an older result's reading is dropped
    assert "stale" not in box.reading.text()
    box._on_done(9, "read", "faces 9 of 9 · glasses 8 of 9 · smiling 1 of 9")
    assert "glasses 8 of 9" in box.reading.text()
