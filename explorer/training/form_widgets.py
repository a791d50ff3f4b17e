"""The Train form's widgets, made in one place (`make_widgets(form)` sets them as attributes);
where each one goes, and for which model kinds, is fields.ROWS."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton, QSizePolicy, QToolButton, QWidget

from gan_models.config import CONV_SIZES, KINDS
from train.config import recipes_dir
from train.data import builtin_choices

from .fields import double_spin, spin
from .recipes import RecipeList

SEED_MAX = 2**31 - 1            # a QSpinBox's range (the CLI takes up to 10^12)


def make_widgets(form) -> None:
    """Give the TrainForm `form` its widgets, with the defaults of a new run."""
    form.recipe = RecipeList()    # shown by the Train tab beside the form
    form.recipe.add_recipes(recipes_dir())
    form.model = QComboBox()
    form.model.addItems(list(KINDS))
    form.model.setCurrentText("dcgan")
    form.dataset = QComboBox()
    form.dataset.addItems(builtin_choices())
    form.dataset.setEditable(True)
    form.dataset.setToolTip("a built-in data set (shapes:mono: the shapes in one colour; faces:ATTRIBUTE for "
                            "another label, e.g. faces:hair_style), or a folder (MNIST IDX, images, CIFAR-10)")
    form.dataset.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    form.dataset.setMinimumContentsLength(10)
    form.dataset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    form.browse = QPushButton("Folder…")
    form.browse.setToolTip("Train on a folder of your own: images, MNIST IDX files or CIFAR-10")
    form.image_size = QComboBox()
    form.image_size.addItem("auto", 0)
    for v in CONV_SIZES:
        form.image_size.addItem(f"{v}×{v}", v)
    form.image_size.setToolTip(
        "Size the images are trained at: smaller or larger images (any size, square or not, grey or "
        "colour) are padded or resized (antialiased) to it. auto: the size nearest the data's")
    form.steps = spin(1, 10**8, 2000, "G updates")
    form.epochs = double_spin(0.01, 100_000.0, 2.0, 0.5, "passes over the data set")
    form.length_unit = QComboBox()
    form.length_unit.addItems(["steps", "epochs"])
    form.length_unit.setToolTip("steps: G updates; epochs: passes over the data (not for the toys, "
                                "which are drawn without end)")
    form.seed = spin(0, SEED_MAX, 0, "One seed drives the nets' start, the data order, z, labels and codes: "
                                      "the same seed trains the same model")
    form.batch = spin(1, 65536, 64)
    form.lr_d = QLineEdit("2e-4")
    form.lr_g = QLineEdit("2e-4")
    for e in (form.lr_d, form.lr_g):
        e.setMaximumWidth(90)
    form.lr_decay = double_spin(0.0, 1.0, 1.0, 0.1, "Fraction of the run after which both learning rates "
                                "fall linearly to 0 (1 = constant, the papers' setting; 0.5 sharpens the toys' modes)",
                                decimals=4)        # a recipe's 2/3 (cgan-faces) must not become 0.67
    form.lr_decay.setSpecialValueText("never")
    form.d_steps = spin(1, 100, 1, "k: D updates per G update")
    form.g_loss = QComboBox()
    form.g_loss.addItem("non-saturating  -log D(G(z))", "nonsat")
    form.g_loss.addItem("minimax  log(1 - D(G(z)))", "minimax")
    form.g_loss.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    form.info_lambda = QLineEdit("1.0")
    form.info_lambda.setMaximumWidth(70)
    form.info_lambda.setToolTip("InfoGAN λ: weight of the mutual-information term")
    form.info_balance = double_spin(0.0, 100.0, 0.0, 0.5, (
        "InfoGAN, our addition (0 = the paper): weight of a term in D's step that makes Q spread real "
        "data evenly over each categorical code. Against the failure where two classes share one code "
        "value; seeds 0-2 of the digits recipe: code accuracy 0.98 / 0.81 / 0.83 at 1 vs 0.80 / 0.64 / 0.66 at 0"))
    form.info_augment = QCheckBox("shape-keeping Q")
    form.info_augment.setToolTip(
        "InfoGAN, our addition (off = the paper): Q reads the categorical code from a randomly moved, "
        "zoomed, turned, mirrored and recoloured copy of each fake, so the code can only live in what "
        "those changes keep (on the shapes data: the shape). Costs a second pass of D over the fakes")
    form.cat_codes = QLineEdit("10")
    form.cat_codes.setMaximumWidth(70)
    form.cat_codes.setToolTip("InfoGAN categorical code sizes, comma-separated (e.g. 10)")
    form.cont_codes = spin(0, 16, 2, "InfoGAN continuous codes")
    form.pack = spin(1, 16, 1, "PacGAN: samples per D input (1 = off)")
    form.g_width = spin(0, 4096, 0, "auto: the model's default", auto="auto")
    form.d_width = spin(0, 4096, 0, "auto: the model's default", auto="auto")
    form.d_norm = QComboBox()
    for name, tip in (("batch", "BatchNorm in D (the DCGAN paper)"),
                      ("spectral", "spectral norm on every D layer, no BatchNorm (Miyato et al. 2018): "
                                   "D keeps learning where BatchNorm's D stalled at 1/2"),
                      ("none", "no normalisation in D")):
        form.d_norm.addItem(name, name)
        form.d_norm.setItemData(form.d_norm.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    form.d_norm.setToolTip("D's normalisation (--d-norm)")
    form.cond = QComboBox()
    form.cond.addItem("concat: one-hot at the inputs", "concat")
    form.cond.addItem("projection: every layer", "projection")
    form.cond.addItem("cbn: every G layer", "cbn")
    form.cond.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    form.cond.setMinimumContentsLength(12)
    form.cond.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    form.cond.setToolTip("How the label (CGAN) or categorical code (InfoGAN) reaches the nets (--cond): "
                         "appended to z and to D's input (concat, the study note's); conditional "
                         "BatchNorm in every G layer and a projection D (projection, CGAN); conditional "
                         "BatchNorm in every G layer only (cbn)")
    form.n_data = spin(0, 10**8, 0, "use only the first N samples (auto: all of them)", auto="auto (all)")
    form.log_every = spin(1, 10**6, 10, "steps per row of the metrics the Monitor plots")
    form.sample_every = spin(1, 10**9, 100, "steps per sample grid (and live quality score)")
    form.device = QComboBox()
    form.device.addItems(["auto", "cpu", "cuda", "mps"])
    form.device.setToolTip("auto: a CUDA GPU, else Apple MPS, else the CPU")
    # 0: the recipe's number, else torch's default (every core). Leaving a core to the window
    # was measured and rejected on 2 cores: the monitored dcgan-digits recipe ran 753 img/s at
    # 1 thread vs ~1,100 at 2 (bench/monitor_overhead.py), though 1 thread shielded a tiny run
    form.threads = spin(0, 1024, 0, "CPU threads for training (auto: the recipe's, else every core)", auto="auto")
    # GPU speed options (the CLI's --amp bf16, --channels-last, --compile)
    form.bf16 = QCheckBox("bf16")
    form.bf16.setToolTip("bf16 mixed precision (autocast): CUDA GPUs and CPUs with native bf16 "
                         "(AVX512-BF16 / AMX: ~1.7x faster training steps)")
    form.channels_last = QCheckBox("channels-last")
    form.channels_last.setToolTip("conv tensors in channels-last memory layout (faster on some GPUs, and ~10 % "
                                  "on a CPU for the 64×64 nets)")
    form.compile = QCheckBox("compile")
    form.compile.setToolTip("torch.compile G and D: fewer, fused kernels; the first steps wait for "
                            "the compiler (seconds to a minute)")
    form.message = QLabel("")
    form.message.setWordWrap(True)
    form.message.setStyleSheet("color: #d0021b;")
    form.advanced_button = QToolButton()
    form.advanced_button.setText("Advanced: learning rates, widths, losses, speed…")
    form.advanced_button.setCheckable(True)
    form.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    form.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
    form.advanced_button.setAutoRaise(True)
    form.advanced = QWidget()
