"""ACAI (Berthelot et al. 2018, "Understanding and Improving Interpolation in Autoencoders via an
Adversarial Regularizer", arXiv 1807.07543): a critic that cannot tell how mixed an image is.

Each code z = f(x) of a batch is mixed with its partner in the batch reversed (z' = f(x[::-1])),
with alpha ~ U(0, 1) folded to [0, 0.5]: ``z_alpha = alpha z + (1 - alpha) z'``. A critic c
regresses alpha from the decoded mix; the autoencoder learns to make it answer 0, as it does
on real images::

    critic:       mean (c(g(z_alpha)) - alpha)^2 + mean c(gamma x + (1 - gamma) g(f(x)))^2
    autoencoder:  MSE(x, g(f(x))) + lambda_critic * mean c(g(z_alpha))^2

(:func:`aeai_lib.losses.critic_losses`). The second critic term, on a blend of real images and
their reconstructions, keeps the critic's output meaningful once the mixes look real.

Defaults from the paper and its code (``brain-research/acai``, ``acai.py``): gamma = 0.2
(``reg``), Adam 1e-4 for both networks with Adam's default betas (run the zoo with ``--lr 1e-4
--adversary-lr 1e-4``; the paper's batch is 64), one critic and one autoencoder step per batch.
Conversion: ACAI's lambda (``advweight``) 0.5 weighs the critic's term against the MSE of
images in [-1, 1], 4x the MSE of this library's [0, 1] images; the critic's term does not see
pixel values, so ``lambda_critic`` = 0.5 / 4 = 0.125 here (:mod:`.conventions`). The critic is
:class:`aeai_lib.models.Critic` (the library's discriminator architecture, strided convolutions
to one score) rather than ACAI's encoder-shaped network averaged over its output map, so that
every method's networks match in size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aeai_lib.losses import critic_losses, reconstruction_loss
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, StepLosses
from aeai_lib.methods.conventions import MSE_SIGNED_RANGE_FACTOR, AdversaryMethod
from aeai_lib.models import AutoencoderModel, ModelConfig, make_critic
from aeai_lib.validation import check_nonnegative

PAPER_LAMBDA = 0.5
"""ACAI's ``advweight``, on images in [-1, 1]."""


@dataclass(frozen=True)
class ACAIOptions:
    """ACAI's two weights.

    Attributes:
        lambda_critic: weight of the autoencoder's term mean c(g(z_alpha))^2 next to the
            per-pixel MSE (default 0.125: the paper's 0.5 on images in [-1, 1], divided by 4
            for images in [0, 1]).
        gamma: the critic answers 0 on gamma x + (1 - gamma) g(f(x)), in [0, 1] (paper: 0.2).
    """

    lambda_critic: float = PAPER_LAMBDA / MSE_SIGNED_RANGE_FACTOR
    gamma: float = 0.2

    def __post_init__(self) -> None:
        check_nonnegative("lambda_critic", self.lambda_critic)
        if not 0.0 <= check_nonnegative("gamma", self.gamma) <= 1.0:
            raise ValueError(f"gamma must lie in [0, 1], got {self.gamma}; ACAI uses 0.2")


def folded_alphas(n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` mixing coefficients alpha ~ U(0, 1) folded to [0, 0.5]: 0.5 - |u - 0.5|, (n,)."""
    return 0.5 - (torch.rand(n, generator=generator) - 0.5).abs()


class ACAI(AdversaryMethod):
    """ACAI: MSE plus a critic-regularised mix of each code with its reversed-batch partner."""

    name = "acai"
    Options = ACAIOptions
    adversary_name = "critic"

    @property
    def label(self) -> str:
        return "ACAI"

    def build_adversary(self, config: ModelConfig) -> nn.Module:
        return make_critic(config)

    def mix(
        self, codes: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each code (B, D) mixed with the batch reversed: alphas (B,) in [0, 0.5], mixes (B, D)."""
        alphas = folded_alphas(len(codes), generator).to(codes)
        weights = alphas.unsqueeze(1)
        return alphas, weights * codes + (1 - weights) * codes.flip(0)

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        codes = model.encoder(images)
        alphas, mixes = self.mix(codes, generator)
        decoded = model.decoder(torch.cat([codes, mixes]))
        reconstructions, mixed_images = decoded[: len(images)], decoded[len(images) :]
        critic_ae, critic = critic_losses(
            model.auxiliary["critic"],
            images,
            reconstructions,
            mixed_images,
            alphas,
            self.options.gamma,
        )
        reconstruction = reconstruction_loss(images, reconstructions)
        components = {
            "reconstruction": reconstruction,
            "critic_ae": self.options.lambda_critic * critic_ae,
        }
        total = reconstruction + components["critic_ae"]
        terms = {
            "reconstruction": reconstruction,
            "critic_ae": critic_ae,
            "critic": critic,
            "total": total,
        }
        return StepLosses({AUTOENCODER: total, ADVERSARY: critic}, terms, components)
