"""The Train form's rows as data: which settings are in view, which are under Advanced, and
which model kinds each applies to. `TrainForm` builds its layout from these tables, so a new
model kind's setting is a row here, not layout code.

ROWS: the form's own widgets (attributes of `TrainForm`), laid out in order.
KIND_FIELDS: settings a model kind adds without any code in the form: the widget is made from
the row, shown only for its kinds, filled from a recipe's `[train]` / `[model]` table, and
written to the run's `app-recipe.toml` (the CLI needs no flag for it). E.g. BEGAN's balance:

    KindField("gamma", "γ (balance)", ("began",), "train",
              lambda: double_spin(0.0, 1.0, 0.5, 0.05, "BEGAN's diversity ratio γ"))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

BASIC, ADVANCED = "basic", "advanced"
# kinds whose D outputs a real/fake logit (BEGAN's D is an auto-encoder: one simultaneous update
# a step, no G-loss choice, no normalisation, no packing)
ADVERSARIAL = ("gan", "dcgan", "cgan", "infogan")


@dataclass(frozen=True)
class Row:
    """One row of the form. parts: widget attributes of the form, or (caption, attribute)
    pairs drawn with a small caption before the widget. kinds: the model kinds it applies to
    (None: every kind); a row for other kinds is hidden and its widgets disabled."""
    section: str
    label: str
    parts: tuple
    kinds: tuple[str, ...] | None = None
    tip: str = ""


ROWS: tuple[Row, ...] = (
    Row(BASIC, "Model", ("model",), tip="Which GAN: the model kind"),
    Row(BASIC, "Data set", ("dataset", "browse")),
    Row(BASIC, "Train for", ("steps", "epochs", "length_unit"),
        tip="How long: G updates (steps), or passes over the data (epochs)"),
    Row(BASIC, "Seed", ("seed",), tip="One seed drives the nets' start, the data order, z, labels and codes"),
    Row(BASIC, "Device", ("device",)),
    Row(ADVANCED, "Image size", ("image_size",)),
    Row(ADVANCED, "Batch size", ("batch",)),
    Row(ADVANCED, "Learning rates", (("D", "lr_d"), ("G", "lr_g"))),
    Row(ADVANCED, "Decay from", ("lr_decay",)),
    Row(ADVANCED, "D steps (k)", ("d_steps",), ADVERSARIAL),
    Row(ADVANCED, "G loss", ("g_loss",), ADVERSARIAL),
    Row(ADVANCED, "InfoGAN codes", (("categorical", "cat_codes"), ("continuous", "cont_codes")), ("infogan",)),
    Row(ADVANCED, "InfoGAN λ", ("info_lambda", ("balance", "info_balance")), ("infogan",)),
    Row(ADVANCED, "InfoGAN Q", ("info_augment",), ("infogan",)),
    Row(ADVANCED, "Discriminator", (("norm", "d_norm"),), ADVERSARIAL),
    Row(ADVANCED, "Label / code in", ("cond",), ("cgan", "infogan"),
        tip="How the label (CGAN) or categorical code (InfoGAN) reaches the nets"),
    Row(ADVANCED, "PacGAN pack", ("pack",), ADVERSARIAL),
    Row(ADVANCED, "Widths", (("G", "g_width"), ("D", "d_width"))),
    Row(ADVANCED, "Data limit", ("n_data",)),
    Row(ADVANCED, "Log every", ("log_every", ("grid every", "sample_every"))),
    Row(ADVANCED, "Speed", ("bf16", "channels_last", "compile")),
    Row(ADVANCED, "CPU threads", ("threads",)),
)


@dataclass(frozen=True)
class KindField:
    """A setting only some model kinds take. key: a TrainConfig field (table "train") or a
    ModelConfig field (table "model"); make: builds its widget (a spin box, double spin box,
    combo box with item data, check box, or a line edit holding a number)."""
    key: str
    label: str
    kinds: tuple[str, ...]
    table: str
    make: Callable[[], QWidget]
    section: str = ADVANCED
    after: str = ""            # the label of the ROWS row it follows ("": after all of ROWS)


def _began_box() -> QWidget:
    from .began_box import BeganBox         # gamma as a slider with its sentence
    return BeganBox()


def _views(late: bool = False) -> QComboBox:
    c = QComboBox()
    if late:
        c.addItem("as InfoGAN changes", "")
    c.addItem("full changes (shapes)", "full")
    c.addItem("small changes (digits)", "small")
    c.addItem("silhouette (shapes, colour dropped)", "silhouette")
    c.addItem("full + random levels (shapes)", "levels")
    c.setToolTip(("From the outline's start (Outline from) on, Q reads the code through these changes "
                  "instead of InfoGAN changes") if late else (
        "How far the shape-keeping changes go (shape-keeping Q and clustering): full = any turn, "
        "mirror and hue; small = +-15 degrees, no mirror (a turned 6 is a 9); silhouette = full "
        "geometry, then only the outline (no colour or brightness); levels = full, plus a random "
        "contrast and brightness (no code in the background's brightness)"))
    return c


KIND_FIELDS: list[KindField] = [
    KindField("info_real_cluster", "InfoGAN clustering", ("infogan",), "train",
              lambda: double_spin(0.0, 100.0, 0.0, 0.5, (
                  "Our addition (0 = the paper): Q's code on each real image and on a changed copy of it "
                  "must agree (IIC), so Q groups real images and the code follows the groups"))),
    KindField("info_views", "InfoGAN changes", ("infogan",), "train", _views),
    KindField("info_late_views", "Changes later", ("infogan",), "train", lambda: _views(late=True)),
    KindField("info_cat_consistency", "InfoGAN outline", ("infogan",), "train",
              lambda: double_spin(0.0, 100.0, 0.0, 0.5, (
                  "Our addition (0 = the paper): each value of the first categorical code should draw one "
                  "outline wherever, however large and in whatever colour it is drawn (for shape data)"))),
    KindField("info_consistency_from", "Outline from", ("infogan",), "train",
              lambda: double_spin(0.0, 0.99, 0.0, 0.05, (
                  "The outline consistency starts at this fraction of the steps: on from the first step, G "
                  "meets it by drawing one image per code value"), decimals=4)),
    KindField("d_mbstd", "D minibatch std", ("dcgan", "cgan", "infogan"), "model",
              lambda: spin(0, 256, 0, (
                  "ProGAN's minibatch standard deviation: D also sees how varied each group of this many "
                  "samples is, so a G that draws too few kinds of image is caught (0 = off; ProGAN: 4)"),
                           auto="off"), after="PacGAN pack"),
    KindField("began_gamma", "BEGAN γ", ("began",), "train", _began_box, section=BASIC),
    KindField("began_lambda_k", "BEGAN k_t gain", ("began",), "train",
              lambda: double_spin(0.0, 1.0, 0.001, 0.001, (
                  "λ_k: how fast k_t follows γ L(x) - L(G(z)) (the paper: 0.001)"), decimals=4)),
    KindField("h_dim", "BEGAN hidden size h", ("began",), "model",
              lambda: spin(1, 4096, 64, "the size of D's auto-encoder embedding (the paper: 64 or 128)")),
]


def spin(lo: int, hi: int, value: int, tip: str = "", auto: str = "") -> QSpinBox:
    """An integer box; auto: the text shown for the lowest value (0 = "auto")."""
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    if auto:
        s.setSpecialValueText(auto)
    s.setMinimumWidth(80)
    return s


def double_spin(lo: float, hi: float, value: float, step: float, tip: str = "",
                decimals: int = 2) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setDecimals(decimals)
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    s.setToolTip(tip)
    return s


def widget_value(w: QWidget):
    """The value a KindField's widget holds, as it goes into a recipe table."""
    if hasattr(w, "set_value"):          # a compound widget of our own (e.g. BEGAN's γ box)
        return w.value()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QComboBox):
        return w.currentData() if w.currentData() is not None else w.currentText()
    if isinstance(w, QDoubleSpinBox):
        return round(w.value(), w.decimals())
    if isinstance(w, QSpinBox):
        return w.value()
    if isinstance(w, QLineEdit):
        return float(w.text())           # ValueError: the form reports it
    raise TypeError(f"no value for a {type(w).__name__}")


def set_widget_value(w: QWidget, v) -> None:
    """Show a recipe's value in a KindField's widget."""
    if hasattr(w, "set_value"):
        return w.set_value(v)
    if isinstance(w, QCheckBox):
        w.setChecked(bool(v))
    elif isinstance(w, QComboBox):
        i = w.findData(v)
        w.setCurrentIndex(i if i >= 0 else max(0, w.findText(str(v))))
    elif isinstance(w, QDoubleSpinBox):
        w.setValue(float(v))
    elif isinstance(w, QSpinBox):
        w.setValue(int(v))
    elif isinstance(w, QLineEdit):
        w.setText(f"{v:g}" if isinstance(v, (int, float)) else str(v))
