"""TrainForm: the Train tab's settings, checked as you type (red border + one sentence).

The form is a view of a `TrainConfig` plus the few `ModelConfig` fields worth a widget. The
few settings that matter are in view (model, data set, length, seed, device); the rest are
under Advanced, collapsed, with "auto" where 0 means "the model's / data set's own". Which
row shows what, and for which model kinds, is the table in fields.py.

`args()` turns it into the same command line a terminal user would type, so a run started
here is a `gan-explorer train` run. A recipe fills the form; a field you then change wins
(it becomes a flag after `--recipe`, as on the command line).
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QSizePolicy,
                               QVBoxLayout, QWidget)

from gan_models.atomic import write_text_atomic
from gan_models.errors import GanExplorerError, OutputError, write_failure
from train.config import TrainConfig, load_recipe
from train.device import trains_on_bf16_cpu, trains_on_cuda
from train.data import LABELLED, builtin_family
from train.data import BUILTIN_SHAPES as SHAPES

from .fields import BASIC, KIND_FIELDS, ROWS, set_widget_value, widget_value
from .form_widgets import make_widgets
from .recipes import recipe_toml

ERROR_STYLE = "border: 1.5px solid #d0021b;"
# TrainConfig field -> the widget attribute that shows it (where a validation error points)
FIELD_WIDGET = {"model": "model", "dataset": "dataset", "steps": "steps", "epochs": "epochs",
                "batch_size": "batch", "seed": "seed",
                "lr_d": "lr_d", "lr_g": "lr_g", "lr_decay_from": "lr_decay", "d_steps": "d_steps",
                "g_loss": "g_loss", "info_lambda": "info_lambda", "info_real_balance": "info_balance",
                "device": "device", "amp": "bf16", "n_data": "n_data", "image_size": "image_size",
                "log_every": "log_every", "sample_every": "sample_every"}
# what does not change a step's cost: left out of the settings an estimate is kept for
NOT_SPEED = ("steps", "epochs", "seed", "log_every", "sample_every", "checkpoint_every", "autosave_seconds")


class TrainForm(QWidget):
    validity_changed = Signal(bool)
    settings_changed = Signal()       # any value changed (the Train tab's estimate follows)

    def __init__(self, parent=None):
        super().__init__(parent)
        make_widgets(self)                # every widget of the form (form_widgets.py)
        self.kind_widgets = {f.key: f.make() for f in KIND_FIELDS}     # a model kind's own settings
        self._kind_defaults = {k: widget_value(w) for k, w in self.kind_widgets.items()}
        self._build_layout()

        self.valid = True
        for w in (self.lr_d, self.lr_g, self.info_lambda, self.cat_codes):
            w.textChanged.connect(self.validate)
        for w in (self.steps, self.epochs, self.seed, self.batch, self.d_steps, self.cont_codes, self.pack,
                  self.g_width, self.d_width, self.n_data, self.log_every, self.sample_every, self.info_balance,
                  self.threads, self.lr_decay):
            w.valueChanged.connect(self.validate)
        for w in (self.model, self.g_loss, self.device, self.image_size, self.d_norm, self.cond, self.length_unit):
            w.currentIndexChanged.connect(self.validate)
        for w in (self.bf16, self.channels_last, self.compile, self.info_augment):
            w.toggled.connect(self.validate)
        for w in self.kind_widgets.values():
            for sig in ("valueChanged", "currentIndexChanged", "toggled", "textChanged"):
                if hasattr(w, sig):
                    getattr(w, sig).connect(self.validate)
                    break
        self.dataset.currentTextChanged.connect(self.validate)
        self.recipe.currentIndexChanged.connect(self._on_recipe_current_index_changed)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.advanced_button.toggled.connect(self._on_advanced_button_toggled)
        self._on_advanced_button_toggled(False)
        self.validate()

    def _build_layout(self) -> None:
        """The rows of fields.ROWS (and KIND_FIELDS), in view or under Advanced."""
        basic = QFormLayout()
        adv = QFormLayout(self.advanced)
        adv.setContentsMargins(12, 0, 0, 0)
        for form in (basic, adv):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self._rows = []                                   # (form layout, row widget, kinds, widgets)
        for row in ROWS:
            field, widgets = QWidget(), []
            lay = QHBoxLayout(field)
            lay.setContentsMargins(0, 0, 0, 0)
            for part in row.parts:
                caption, attr = part if isinstance(part, tuple) else (None, part)
                if caption:
                    lay.addWidget(QLabel(caption))
                w = getattr(self, attr)
                lay.addWidget(w)
                widgets.append(w)
            if not any(isinstance(w, QComboBox) and w.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Expanding
                       for w in widgets):
                lay.addStretch(1)              # small fields keep their size, left-aligned
            label = QLabel(row.label)
            label.setToolTip(row.tip)
            target = basic if row.section == BASIC else adv
            target.addRow(label, field)
            self._rows.append((target, field, row.kinds, widgets))
            self._add_kind_rows(basic, adv, row.label)
        self._add_kind_rows(basic, adv, "")
        self.epochs.hide()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addLayout(basic)
        self.below_basic = QVBoxLayout()                  # the Train tab's estimate line goes here
        outer.addLayout(self.below_basic)
        outer.addWidget(self.advanced_button)
        outer.addWidget(self.advanced)
        outer.addWidget(self.message)
        outer.addStretch(1)

    def _add_kind_rows(self, basic: QFormLayout, adv: QFormLayout, after: str) -> None:
        """The KIND_FIELDS rows that follow the ROWS row labelled `after` ("": the end)."""
        for f in KIND_FIELDS:
            if f.after == after:
                target = basic if f.section == BASIC else adv
                w = self.kind_widgets[f.key]
                target.addRow(f.label, w)
                self._rows.append((target, w, f.kinds, [w]))

    def _show_rows_for(self, kind: str) -> None:
        """Rows of other model kinds are hidden (and their widgets disabled)."""
        for form, field, kinds, widgets in self._rows:
            on = kinds is None or kind in kinds
            form.setRowVisible(field, on)
            if kinds is not None:
                for w in widgets:
                    w.setEnabled(on)

    # ------------------------------------------------------------------ values
    def _float(self, edit: QLineEdit, name: str) -> float:
        try:
            return float(edit.text())
        except ValueError:
            label = {"lr_d": "D learning rate", "lr_g": "G learning rate", "info_lambda": "InfoGAN λ"}[name]
            raise _FieldError(name, f"{label}: '{edit.text()}' is not a number") from None

    def _codes(self) -> list[int]:
        text = self.cat_codes.text().replace(" ", "")
        try:
            codes = [int(v) for v in text.split(",") if v]
        except ValueError:
            raise _FieldError("cat_codes", f"categorical codes: '{text}' should be sizes like 10 or 10,4") from None
        if any(c < 2 for c in codes):
            raise _FieldError("cat_codes", "categorical codes need at least 2 categories each")
        return codes

    def config(self) -> TrainConfig:
        """The TrainConfig this form describes (raises _FieldError / GanExplorerError)."""
        kind = self.model.currentText()
        model = {}
        for attr in ("g_width", "d_width"):
            if getattr(self, attr).value():
                model[attr] = getattr(self, attr).value()
        if self.pack.value() > 1:
            model["pack"] = self.pack.value()
        if kind != "began":                       # BEGAN's D has no normalisation to choose
            model["d_norm"] = self.d_norm.currentData()
        if kind in ("cgan", "infogan"):
            model["cond"] = self.cond.currentData()
        if kind == "infogan":
            model["cat_codes"] = self._codes()
            model["cont_codes"] = self.cont_codes.value()
            if not model["cat_codes"] and not model["cont_codes"]:
                raise _FieldError("cat_codes", "InfoGAN needs at least one code")
        train = {}
        for f, w in self._kind_fields(kind):
            try:
                (model if f.table == "model" else train)[f.key] = widget_value(w)
            except ValueError:
                raise _FieldError(f.key, f"{f.label}: '{w.text()}' is not a number") from None
        by_epochs = self.length_unit.currentText() == "epochs"
        return TrainConfig(model=kind, dataset=self.dataset.currentText().strip(),
                           steps=0 if by_epochs else self.steps.value(),
                           epochs=round(self.epochs.value(), 2) if by_epochs else 0.0,
                           batch_size=self.batch.value(), seed=self.seed.value(),
                           lr_d=self._float(self.lr_d, "lr_d"),
                           lr_g=self._float(self.lr_g, "lr_g"), lr_decay_from=round(self.lr_decay.value(), 4),
                           d_steps=self.d_steps.value(),
                           g_loss=self.g_loss.currentData(),
                           info_lambda=self._float(self.info_lambda, "info_lambda"),
                           info_real_balance=round(self.info_balance.value(), 3) if kind == "infogan" else 0.0,
                           info_cat_augment=kind == "infogan" and self.info_augment.isChecked(),
                           device=self.device.currentText(), amp="bf16" if self.bf16.isChecked() else "off",
                           channels_last=self.channels_last.isChecked(), compile=self.compile.isChecked(),
                           num_threads=self.threads.value(), n_data=self.n_data.value(),
                           image_size=self.image_size.currentData() if self.image_size.isEnabled() else 0,
                           log_every=self.log_every.value(), sample_every=self.sample_every.value(),
                           model_overrides=model, **train)

    def _kind_fields(self, kind: str):
        """(KindField, widget) of the settings the model kind `kind` adds."""
        return [(f, self.kind_widgets[f.key]) for f in KIND_FIELDS if kind in f.kinds]

    def speed_signature(self) -> str | None:
        """Everything in this form that changes what a training step costs (not the length, seed
        or logging), with the recipe tables the run would read; None while the form is invalid.
        Two forms with one signature train at one speed: an estimate measured for one holds for both."""
        try:
            cfg = self.config().to_dict()
        except GanExplorerError:
            return None
        train, model = self._recipe_tables(cfg["model"])
        for k in NOT_SPEED:
            cfg.pop(k, None)
            train.pop(k, None)
        return json.dumps([cfg, train, model], sort_keys=True, default=str)

    def total_steps(self, steps_per_epoch: float) -> int:
        """The run's G steps, given the data's steps per epoch (from an estimate)."""
        if self.length_unit.currentText() == "steps":
            return self.steps.value()
        return int(math.ceil(self.epochs.value() * max(steps_per_epoch, 1)))

    def validate(self) -> bool:
        """Check every field; mark the first bad one red, say why, and report validity."""
        for name in set(FIELD_WIDGET.values()) | {"cat_codes", "pack", "cond"}:
            getattr(self, name).setStyleSheet("")
        for w in self.kind_widgets.values():
            w.setStyleSheet("")
        self._show_rows_for(self.model.currentText())     # InfoGAN's codes, CGAN's label input, ...
        ds = builtin_family(self.dataset.currentText()) or self.dataset.currentText().strip()
        images = len(SHAPES.get(ds, (0, 0, 0))) == 3        # images (a folder may be)
        self.image_size.setEnabled(images)
        self.length_unit.model().item(1).setEnabled(images)   # a toy is drawn without end: no epochs
        if not images and self.length_unit.currentText() == "epochs":
            self.length_unit.setCurrentText("steps")
        by_epochs = self.length_unit.currentText() == "epochs"
        self.steps.setVisible(not by_epochs)
        self.epochs.setVisible(by_epochs)
        problem = None
        try:
            cfg = self.config().validate()
            self._check_model(cfg)
        except _FieldError as e:
            problem = (e.field, str(e))
        except GanExplorerError as e:
            text = str(e)
            field = next((f for f in FIELD_WIDGET if text.startswith(f"--{f.replace('_', '-')} ")), None)
            problem = (field, text)
        if problem:
            field, text = problem
            widget = (self.kind_widgets.get(field) or getattr(self, FIELD_WIDGET.get(field, field), None)) if field else None
            if widget is not None:
                widget.setStyleSheet(ERROR_STYLE)
        self.message.setText(problem[1] if problem else "")
        valid = problem is None
        if valid != self.valid:
            self.valid = valid
            self.validity_changed.emit(valid)
        self.settings_changed.emit()
        return valid

    def _check_model(self, cfg: TrainConfig) -> None:
        ds = builtin_family(cfg.dataset)        # "shapes:mono", "faces:hair_style": their family
        if ds is None:
            ds = cfg.dataset
            if not ds or not Path(os.path.expanduser(ds)).exists():
                raise _FieldError("dataset", f"data set '{ds}': not a built-in name (or variant, such as "
                                             "shapes:mono or faces:hair_style) or an existing folder")
        elif cfg.model == "cgan" and ds not in LABELLED:
            raise _FieldError("model", f"cgan needs labelled data; {ds} has no labels "
                                       f"(use {' or '.join(LABELLED)} or a labelled folder)")
        elif cfg.model not in ("gan", "cgan") and len(SHAPES.get(ds, (0, 0, 0))) == 1:
            raise _FieldError("model", f"{cfg.model} is a convolutional model for images; use gan for {ds}")
        if cfg.amp == "bf16" and not trains_on_cuda(cfg.device) and not trains_on_bf16_cpu(cfg.device):
            where = "this machine has no CUDA GPU" if cfg.device in ("auto", "cuda") else f"the device is {cfg.device}"
            raise _FieldError("amp", f"bf16 mixed precision needs a CUDA GPU or a CPU with native bf16; {where}")
        if cfg.model == "infogan" and cfg.model_overrides.get("cond") == "projection":
            raise _FieldError("cond", "an InfoGAN has no labels for a projection D: use cbn or concat")
        if cfg.model_overrides.get("cond") == "projection" and self.pack.value() > 1:
            raise _FieldError("pack", "a projection D scores one sample at a time: set pack to 1 or the "
                                      "CGAN label to concat")
        if self.pack.value() > 1 and cfg.batch_size % self.pack.value():
            raise _FieldError("pack", f"batch size {cfg.batch_size} must be a multiple of the pack {self.pack.value()}")

    def _recipe_tables(self, kind: str) -> tuple[dict, dict]:
        """The [train] and [model] tables the run's app-recipe.toml holds: the chosen recipe's,
        less what the form's own widgets decide, plus InfoGAN's codes and each model kind's own
        settings (the CLI has flags for neither)."""
        recipe_train, recipe_model = load_recipe(self.recipe.currentData()) if self.recipe.currentData() else ({}, {})
        # the form's checkboxes decide these (the CLI can only switch them on, so a recipe's value
        # left in the file could not be unchecked); the length is the form's steps or epochs, never both
        recipe_train = {k: v for k, v in recipe_train.items()
                        if k not in ("amp", "channels_last", "compile", "info_cat_augment", "steps", "epochs")}
        recipe_model = dict(recipe_model)
        if kind == "infogan":
            recipe_model.update(cat_codes=self._codes(), cont_codes=self.cont_codes.value())
        for f, w in self._kind_fields(kind):
            try:
                (recipe_model if f.table == "model" else recipe_train)[f.key] = widget_value(w)
            except ValueError:
                raise _FieldError(f.key, f"{f.label}: '{w.text()}' is not a number") from None
        return recipe_train, recipe_model

    def args(self, out) -> list[str]:
        """The `train` command line for this form, writing to `out`.

        The CLI has no flags for InfoGAN's codes or a model kind's own settings, so those (with
        the chosen recipe's other fields) go into `out/app-recipe.toml`, kept in the run folder
        for the record."""
        cfg = self.config()
        a = []
        recipe_train, recipe_model = self._recipe_tables(cfg.model)
        if recipe_train or recipe_model:
            path = Path(out) / "app-recipe.toml"
            try:                                  # atomic: a failed write leaves no half a recipe
                path.parent.mkdir(parents=True, exist_ok=True)
                write_text_atomic(path, recipe_toml({"train": recipe_train, "model": recipe_model}))
            except OSError as e:
                raise OutputError(write_failure(path, e)) from None
            a += ["--recipe", str(path)]
        length = ["--epochs", repr(cfg.epochs)] if cfg.epochs else ["--steps", str(cfg.steps)]
        a += ["--model", cfg.model, "--dataset", cfg.dataset, *length, "--seed", str(cfg.seed),
              "--batch-size", str(cfg.batch_size), "--lr-d", repr(cfg.lr_d), "--lr-g", repr(cfg.lr_g),
              "--lr-decay-from", repr(cfg.lr_decay_from), "--d-steps", str(cfg.d_steps), "--g-loss", cfg.g_loss,
              "--device", cfg.device,
              "--log-every", str(cfg.log_every), "--sample-every", str(cfg.sample_every), "--quiet"]
        if cfg.model == "infogan":
            a += ["--info-lambda", repr(cfg.info_lambda), "--info-real-balance", repr(cfg.info_real_balance)]
        if cfg.amp != "off":
            a += ["--amp", cfg.amp]
        if cfg.num_threads:
            a += ["--num-threads", str(cfg.num_threads)]
        a += [flag for flag, on in (("--channels-last", cfg.channels_last), ("--compile", cfg.compile),
                                    ("--info-cat-augment", cfg.info_cat_augment)) if on]
        if cfg.n_data:
            a += ["--n-data", str(cfg.n_data)]
        if cfg.image_size:
            a += ["--image-size", str(cfg.image_size)]
        for key in ("g_width", "d_width", "pack", "d_norm", "cond"):
            if key in cfg.model_overrides:
                a += [f"--{key.replace('_', '-')}", str(cfg.model_overrides[key])]
        return a + ["--out", str(out)]

    # ------------------------------------------------------------------ handlers
    def _on_recipe_current_index_changed(self, _i: int) -> None:
        path = self.recipe.currentData()
        if not path:
            return
        try:
            train, model = load_recipe(path)
        except GanExplorerError as e:
            self.message.setText(str(e))
            return
        self.model.setCurrentText(train.get("model", self.model.currentText()))
        self.dataset.setCurrentText(str(train.get("dataset", self.dataset.currentText())))
        by_epochs = bool(train.get("epochs")) and not train.get("steps")
        if by_epochs:
            self.epochs.setValue(float(train["epochs"]))
        self.length_unit.setCurrentText("epochs" if by_epochs else "steps")
        self.seed.setValue(int(train.get("seed", 0)))
        for key, spin in (("steps", self.steps), ("batch_size", self.batch), ("d_steps", self.d_steps),
                          ("n_data", self.n_data), ("log_every", self.log_every),
                          ("sample_every", self.sample_every)):
            if key in train:
                spin.setValue(int(train[key]))
        for key, edit in (("lr_d", self.lr_d), ("lr_g", self.lr_g), ("info_lambda", self.info_lambda)):
            if key in train:
                edit.setText(f"{train[key]:g}")
        self.lr_decay.setValue(float(train.get("lr_decay_from", 1.0)))
        self.info_balance.setValue(float(train.get("info_real_balance", 0.0)))
        self.bf16.setChecked(train.get("amp", "off") == "bf16")
        self.channels_last.setChecked(bool(train.get("channels_last", False)))
        self.compile.setChecked(bool(train.get("compile", False)))
        self.info_augment.setChecked(bool(train.get("info_cat_augment", False)))
        self.threads.setValue(int(train.get("num_threads", 0)))
        self.image_size.setCurrentIndex(max(0, self.image_size.findData(int(train.get("image_size", 0)))))
        if "g_loss" in train:
            self.g_loss.setCurrentIndex(self.g_loss.findData(train["g_loss"]))
        self.pack.setValue(int(model.get("pack", 1)))
        self.g_width.setValue(int(model.get("g_width", 0)))
        self.d_width.setValue(int(model.get("d_width", 0)))
        self.d_norm.setCurrentIndex(max(0, self.d_norm.findData(model.get("d_norm", "batch"))))
        self.cond.setCurrentIndex(max(0, self.cond.findData(model.get("cond", "concat"))))
        if "cat_codes" in model:
            self.cat_codes.setText(",".join(map(str, model["cat_codes"])))
        if "cont_codes" in model:
            self.cont_codes.setValue(int(model["cont_codes"]))
        for f in KIND_FIELDS:
            table = model if f.table == "model" else train
            set_widget_value(self.kind_widgets[f.key], table.get(f.key, self._kind_defaults[f.key]))
        self.validate()

    def _on_advanced_button_toggled(self, on: bool) -> None:
        self.advanced.setVisible(on)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _on_browse_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Training data folder")
        if path:
            self.dataset.setCurrentText(path)


class _FieldError(GanExplorerError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
