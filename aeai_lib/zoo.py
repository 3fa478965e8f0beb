"""The models the notebooks use: one registry, shipped small in data/checkpoints/.

``load_or_train("pole_aeai")`` loads the shipped checkpoint, or trains the model with the same
settings when the file is missing (or when ``retrain=True``), so that every notebook runs from
a fresh clone either way. ``scripts/train_checkpoints.py`` trains the shipped files with the
command line this registry describes (:meth:`RunSpec.cli_args`); the command line builds the
same method and training settings as :meth:`RunSpec.make_method` and
:meth:`RunSpec.train_config` (``tests/test_cli.py`` checks it for every run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aeai_lib.checkpoint import load_checkpoint, model_from_record
from aeai_lib.data import load_dataset
from aeai_lib.device import pick_device
from aeai_lib.methods import Method, make_method
from aeai_lib.models import AutoencoderModel
from aeai_lib.training import TrainConfig, default_model_config, train
from aeai_lib.validation import check_choice

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_DIR = ROOT / "data" / "checkpoints"
RUNS_DIR = ROOT / "runs"


@dataclass(frozen=True)
class RunSpec:
    """How one model of the series is trained.

    Attributes:
        dataset: "pole", "lines" or "folder:PATH".
        method: a name of :data:`aeai_lib.methods.METHODS`.
        options: the method's options that differ from its preset.
        steps: training steps (default 2000).
        lr: the autoencoder's learning rate.
        settings: other :class:`~aeai_lib.training.TrainConfig` fields, e.g.
            ``{"adversary_lr": 1e-4, "batch_size": 64}``.
    """

    dataset: str
    method: str
    options: dict[str, Any] = field(default_factory=dict)
    steps: int = 2000
    lr: float = TrainConfig.lr
    settings: dict[str, Any] = field(default_factory=dict)

    def cli_args(self) -> list[str]:
        """The ``python -m aeai_lib train`` arguments (without --seed and --out)."""
        flags = [f"--{name.replace('_', '-')}={value}" for name, value in self.options.items()]
        settings = [f"--{name.replace('_', '-')}={value}" for name, value in self.settings.items()]
        return [
            *("--dataset", self.dataset, "--method", self.method, *flags),
            *("--steps", str(self.steps), "--lr", str(self.lr), *settings),
        ]

    def make_method(self) -> Method:
        """The method of this run."""
        return make_method(self.method, **self.options)

    def train_config(
        self, seed: int = 0, steps: int | None = None, device: str | None = None
    ) -> TrainConfig:
        """The training settings of this run with ``seed`` (and ``steps`` instead of its own)."""
        steps = self.steps if steps is None else steps
        return TrainConfig(steps=steps, lr=self.lr, seed=seed, device=device, **self.settings)


_ADV, _CYCLE = {"lambda_adv": 0.01}, {"lambda_adv": 0.01, "lambda_cycle": 0.01}
RUNS: dict[str, RunSpec] = {
    "pole_ae": RunSpec("pole", "ae"),
    "pole_ae_a": RunSpec("pole", "ae", _ADV),
    "pole_ae_a_c": RunSpec("pole", "ae", _CYCLE),
    "pole_aeai": RunSpec("pole", "aeai"),
    "pole_advai": RunSpec("pole", "advai"),
    "lines_ae": RunSpec("lines", "ae"),
    "lines_ae_a": RunSpec("lines", "ae", _ADV),
    "lines_ae_a_c": RunSpec("lines", "ae", _CYCLE),
    "lines_aeai": RunSpec("lines", "aeai"),
    # The AEAI paper's baselines (issue #12), each with its paper's defaults (methods/<name>.py)
    # and the training settings of the runs above, so that only the method differs.
    "pole_aae": RunSpec("pole", "aae"),
    "pole_acai": RunSpec("pole", "acai"),
    "pole_beta_vae": RunSpec("pole", "beta-vae"),
    "pole_gaia": RunSpec("pole", "gaia"),
    "pole_amr": RunSpec("pole", "amr"),
    "lines_aae": RunSpec("lines", "aae"),
    "lines_acai": RunSpec("lines", "acai"),
    "lines_beta_vae": RunSpec("lines", "beta-vae"),
    "lines_gaia": RunSpec("lines", "gaia"),
    "lines_amr": RunSpec("lines", "amr"),
}


@dataclass
class ZooModel:
    """A model of the series with its training history and recorded measures."""

    name: str
    label: str
    model: AutoencoderModel
    history: dict[str, list[float]]
    metrics: dict[str, Any]
    path: Path


def checkpoint_path(name: str) -> Path:
    """Where the shipped checkpoint of run ``name`` lives."""
    check_choice("model", name, RUNS)
    return CHECKPOINT_DIR / f"{name}.pt"


def run_path(name: str, seed: int, image_size: int | None = None, steps: int | None = None) -> Path:
    """Where the full (resumable) checkpoint of run ``name`` trained with ``seed`` lives; a
    quick run at another ``image_size`` (for ``steps`` steps) has a file of its own."""
    check_choice("model", name, RUNS)
    if image_size is None:
        return RUNS_DIR / f"{name}_seed{seed}.pt"
    return RUNS_DIR / f"{name}_seed{seed}_{image_size}px_{steps or RUNS[name].steps}steps.pt"


def load_or_train(
    name: str,
    *,
    retrain: bool = False,
    steps: int | None = None,
    seed: int = 0,
    device: str | None = None,
    progress: bool = True,
    image_size: int | None = None,
) -> ZooModel:
    """Load the shipped model ``name``, or train it when missing or when ``retrain`` is set.

    Training uses the registry's settings with ``steps`` (default: the registry's) and
    ``seed``, and writes ``runs/<name>_seed<seed>.pt``; a finished run there is reused.
    ``image_size`` (e.g. 32 for a quick run) trains at that size instead of the dataset's
    default, always (the shipped models have the default size), into a file of its own.
    """
    spec = RUNS[check_choice("model", name, RUNS)]
    path = checkpoint_path(name)
    if retrain or image_size is not None or not path.exists():
        path = run_path(name, seed, image_size, steps)
        dataset = load_dataset(spec.dataset, size=image_size)
        train(
            dataset,
            spec.make_method(),
            spec.train_config(seed, steps or None, device),
            model_config=default_model_config(dataset),
            checkpoint=path,
            resume=True,
            progress=progress,
        )
    record = load_checkpoint(path)
    model = model_from_record(record, pick_device(device))
    return ZooModel(name, model.label, model, record["history"], record.get("metrics", {}), path)
