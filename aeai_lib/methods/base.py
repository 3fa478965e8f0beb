"""What a training method is: a small object that builds its networks and defines its losses.

The training loop knows nothing about any particular method. Each step it asks the method for
its losses on a batch of images and, for every parameter group the method names, takes one
optimiser step on that group's objective. A method owns everything that is its own:

* ``Options``: a frozen dataclass of its settings; every field is settable from the command
  line (``--set name=value``) and recorded in checkpoints;
* :meth:`build_encoder`, :meth:`build_decoder`: the autoencoder (default: the pair that
  ``config.architecture`` names, :mod:`aeai_lib.models`); :meth:`build_model` adds the
  auxiliary networks it trains;
* :meth:`learned_interpolations`: interpolations its networks define (AdvAI's ``"advai"``);
* :meth:`parameter_groups` and :meth:`make_optimizers`: what each objective updates, and how;
* :meth:`losses`: the objectives of one step; with :attr:`adversary_steps` above 1,
  :meth:`adversary_losses` for the extra adversary updates (AMR's 5 per generator step);
* :meth:`check_schedule` and :meth:`heldout_diagnostics` where it has something to say.

Adding a method (AAE, ACAI, beta-VAE, GAIA, AMR...) is one file under ``methods/`` with such a
class and one line in the registry, :data:`aeai_lib.methods.METHODS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from aeai_lib.interpolation import Interpolation
from aeai_lib.models import AutoencoderModel, ModelConfig, make_decoder, make_encoder

AUTOENCODER = "autoencoder"
ADVERSARY = "adversary"
ADVERSARY_BETAS = (0.5, 0.999)
"""Adam's betas for every group but the autoencoder's (the usual GAN setting, Radford et al.
2016); the autoencoder keeps Adam's defaults (0.9, 0.999)."""


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
    """Base class of training methods. Subclasses set ``name`` and ``Options`` (a frozen
    dataclass whose defaults are the method's) and implement :meth:`losses`; they override
    the other methods where they differ from a plain autoencoder."""

    name: ClassVar[str]
    Options: ClassVar[type]

    def __init__(self, options: Any = None) -> None:
        self.options = options if options is not None else self.Options()

    @property
    def label(self) -> str:
        """A short human-readable name for plots and tables."""
        return self.name

    def options_dict(self) -> dict[str, Any]:
        """The options as a plain dict (stored in checkpoints)."""
        return asdict(self.options)

    def build_encoder(self, config: ModelConfig) -> nn.Module:
        """The encoder: images (N, C, H, W) in [0, 1] -> codes (N, latent_dim) when called.

        A method whose encoder has more to say (a beta-VAE's log-variance) returns a module
        that offers it through another method and still gives the codes when called.
        """
        return make_encoder(config)

    def build_decoder(self, config: ModelConfig) -> nn.Module:
        """The decoder: codes (N, latent_dim) -> images (N, C, H, W) in [0, 1]."""
        return make_decoder(config)

    def build_model(self, config: ModelConfig) -> AutoencoderModel:
        """A fresh model; subclasses add the auxiliary networks they train to ``auxiliary``."""
        return AutoencoderModel(
            config,
            self.build_encoder(config),
            self.build_decoder(config),
            method_name=self.name,
            label=self.label,
            learned_interpolations=self.learned_interpolations,
        )

    def learned_interpolations(self, model: AutoencoderModel) -> dict[str, Interpolation]:
        """Interpolations defined by the model's own networks, by name (default: none)."""
        return {}

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[nn.Parameter]]:
        """The parameters each objective optimises, keyed by group name."""
        return {AUTOENCODER: [*model.encoder.parameters(), *model.decoder.parameters()]}

    default_adversary_lr: ClassVar[float] = 2e-4
    """The adversaries' Adam learning rate when TrainConfig.adversary_lr is None (DCGAN's 2e-4,
    Radford et al. 2016); methods override it with their own paper's or sweep's value."""

    def make_optimizers(
        self, groups: dict[str, list[nn.Parameter]], lr: float, adversary_lr: float
    ) -> dict[str, torch.optim.Optimizer]:
        """One optimiser per parameter group (``lr`` and ``adversary_lr`` from the TrainConfig).

        Default: Adam at ``lr`` for the autoencoder, and Adam at ``adversary_lr`` with betas
        :data:`ADVERSARY_BETAS` for every other group (discriminators, critics, AdvAI's
        correction network). A method whose paper says otherwise (other betas, weight decay)
        overrides this.
        """
        return {
            name: torch.optim.Adam(params, lr=lr)
            if name == AUTOENCODER
            else torch.optim.Adam(params, lr=adversary_lr, betas=ADVERSARY_BETAS)
            for name, params in groups.items()
        }

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
