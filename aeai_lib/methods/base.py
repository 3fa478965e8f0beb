"""What a training method is: a small object that builds its networks and defines its losses.

The training loop knows nothing about any particular method. Each step it asks the method for
its losses on a batch of images and, for every parameter group the method names, takes one
optimiser step on that group's objective. Adding a method (ACAI, AAE, beta-VAE, GAIA, AMR,
AdvAI...) means writing one such class and registering it; the loop stays as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from aeai_lib.models import AutoencoderModel, ModelConfig

AUTOENCODER = "autoencoder"
ADVERSARY = "adversary"


@dataclass
class StepLosses:
    """What a method returns for one batch.

    objectives: per parameter group ("autoencoder", "adversary"), the scalar to minimise
        this step. A group missing here is not updated this step.
    terms: every loss term as a scalar tensor, for the history and for NaN checks.
    components: the weighted terms whose sum is the autoencoder's objective (e.g.
        ``{"reconstruction": L_R, "adversarial": lambda_A L_A}``); the training diagnostics
        measure each one's gradient norm on the encoder and the decoder.
    """

    objectives: dict[str, torch.Tensor]
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
    components: dict[str, torch.Tensor] = field(default_factory=dict)


class Method:
    """Base class of training methods. Subclasses set ``name`` and ``Options`` and implement
    :meth:`build_model`, :meth:`parameter_groups` and :meth:`losses`."""

    name: ClassVar[str]
    Options: ClassVar[type]

    def __init__(self, options: Any) -> None:
        self.options = options

    @property
    def label(self) -> str:
        """A short human-readable name for plots and tables."""
        return self.name

    def options_dict(self) -> dict[str, Any]:
        """The options as a plain dict (stored in checkpoints)."""
        return asdict(self.options)

    def build_model(self, config: ModelConfig) -> AutoencoderModel:
        """A fresh model with the auxiliary networks this method trains."""
        return AutoencoderModel(config, method_name=self.name)

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[nn.Parameter]]:
        """The parameters each objective optimises, keyed by group name."""
        return {AUTOENCODER: [*model.encoder.parameters(), *model.decoder.parameters()]}

    @property
    def adversary_steps(self) -> int:
        """Adversary updates per autoencoder update; above 1 the training loop calls
        :meth:`adversary_losses` on fresh batches for the extra ones."""
        return 1

    def check_schedule(self, steps: int) -> None:
        """Raise ValueError when the options do not fit a run of ``steps`` steps."""

    def adversary_losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        """The adversary's objective alone on a batch (for :attr:`adversary_steps` > 1)."""
        raise NotImplementedError(f"method {self.name!r} has no extra adversary updates")

    def heldout_diagnostics(
        self, model: AutoencoderModel, images: torch.Tensor, generator: torch.Generator
    ) -> dict[str, float]:
        """Scalars that describe the adversary on held-out images (B, C, H, W); none here."""
        return {}

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        """Losses on a batch of training images (B, C, H, W) in [0, 1] at a given step.

        Random draws (e.g. alphas) come from ``generator`` so that training is reproducible
        and resumable.
        """
        raise NotImplementedError
