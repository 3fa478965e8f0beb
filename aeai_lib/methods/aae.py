"""AAE (Makhzani et al. 2015, "Adversarial Autoencoders"): codes shaped like a prior by a GAN.

A discriminator D on codes tells samples of the prior N(0, I) (real) from the encoder's codes
(fake); the encoder learns to make its codes pass for prior samples, and to reconstruct::

    reconstruction:  MSE(x, g(f(x)))                                     encoder, decoder
    discriminator:   -mean log D(z_prior) - mean log(1 - D(f(x)))       D
    regularisation:  -mean log D(f(x))  (the encoder's GAN term)        encoder

``schedule`` chooses how the three are optimised:

* ``"phases"`` (default, the paper's Section 2): each step has a reconstruction phase (the
  encoder and decoder minimise the MSE with their Adam at ``lr``) and a regularisation phase
  (D and the encoder minimise their GAN losses with a second Adam at ``adversary_lr``; the
  encoder's two Adams keep separate statistics). The regularisation phase runs on its own
  batch, before the reconstruction phase, through the training loop's extra adversary steps
  (:attr:`adversary_steps` = 2). Each phase's step size is its own learning rate, whatever the
  scale of its loss.
* ``"joint"`` (the AAE of ACAI's code, ``brain-research/acai``, ``aae.py``): one Adam step on
  ``MSE + lambda_adv * GAN`` for the autoencoder and one on D's loss per batch. On the pole
  this collapsed: the MSE of a mostly flat image is so small next to the GAN term that the
  codes stopped carrying the images (test reconstruction MSE 0.0049 after 800 steps at
  32x32, 20x a plain autoencoder's, at lr 1e-3 and at ACAI's 1e-4 alike).

Other defaults from ACAI's code, the reference implementation of the AEAI paper's comparison
(the paper has no official code): an MLP discriminator on the flattened code with two hidden
layers of 100 units and leaky ReLUs (slope 0.2, TensorFlow's default), binary cross-entropy,
the discriminator's Adam at ``adversary_lr`` (ACAI: 1e-4), Adam's default betas. Conversion
(joint schedule): ACAI adds the GAN term with weight 1 to the MSE of images in [-1, 1], 4x
the MSE of this library's [0, 1] images, so ``lambda_adv`` = 1 / 4 (:mod:`.conventions`).

Each step draws one prior sample per image (``generator``), so training is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aeai_lib.losses import discriminator_loss, generator_adversarial_loss, reconstruction_loss
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, StepLosses
from aeai_lib.methods.conventions import MSE_SIGNED_RANGE_FACTOR, AdversaryMethod
from aeai_lib.models import AutoencoderModel, ModelConfig
from aeai_lib.priors import sample_prior
from aeai_lib.validation import check_choice, check_nonnegative, check_positive_int

LEAKY_SLOPE = 0.2
"""Negative slope of the discriminator's leaky ReLUs (``tf.nn.leaky_relu``'s default)."""
SCHEDULES: tuple[str, ...] = ("phases", "joint")
"""How the AAE's losses are optimised: the paper's two phases, or ACAI's one joint step."""


@dataclass(frozen=True)
class AAEOptions:
    """The AAE's schedule, weight and code discriminator.

    Attributes:
        schedule: "phases" (default: the paper's reconstruction and regularisation phases,
            each with its own Adam) or "joint" (ACAI's code: one step on the weighted sum).
        lambda_adv: with the joint schedule, the weight of the encoder's GAN term
            -mean log D(f(x)) next to the per-pixel MSE (default 0.25: ACAI's weight 1 on
            the MSE of images in [-1, 1], divided by 4 for images in [0, 1]); the phases do
            not weigh one loss against the other.
        hidden_units: units of each hidden layer of the code discriminator (ACAI: 100).
        hidden_layers: hidden layers of the code discriminator (ACAI: 2).
    """

    schedule: str = "phases"
    lambda_adv: float = 1.0 / MSE_SIGNED_RANGE_FACTOR
    hidden_units: int = 100
    hidden_layers: int = 2

    def __post_init__(self) -> None:
        check_choice("schedule", self.schedule, SCHEDULES)
        check_nonnegative("lambda_adv", self.lambda_adv)
        check_positive_int("hidden_units", self.hidden_units)
        check_positive_int("hidden_layers", self.hidden_layers, minimum=0)


class CodeDiscriminator(nn.Module):
    """Codes (N, latent_dim) -> logits (N,); sigmoid(logit) is P(the code is a prior sample).

    An MLP: ``hidden_layers`` x (Linear -> LeakyReLU(0.2)), then Linear to one logit.
    """

    def __init__(self, latent_dim: int, hidden_units: int, hidden_layers: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = latent_dim
        for _ in range(hidden_layers):
            layers += [nn.Linear(width, hidden_units), nn.LeakyReLU(LEAKY_SLOPE)]
            width = hidden_units
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.net(codes).squeeze(1)


class AAE(AdversaryMethod):
    """The adversarial autoencoder: reconstruction, and codes pulled towards N(0, I) by a GAN."""

    name = "aae"
    Options = AAEOptions

    @property
    def label(self) -> str:
        return "AAE"

    def build_adversary(self, config: ModelConfig) -> nn.Module:
        o = self.options
        return CodeDiscriminator(config.latent_dim, o.hidden_units, o.hidden_layers)

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[nn.Parameter]]:
        """The autoencoder; the adversary: D, and with the phases the encoder too (its
        regularisation phase, with an Adam of its own)."""
        groups = super().parameter_groups(model)
        if self.options.schedule == "phases":
            groups[ADVERSARY] += list(model.encoder.parameters())
        return groups

    @property
    def adversary_steps(self) -> int:
        """2 with the phases: one regularisation phase before each reconstruction phase."""
        return 2 if self.options.schedule == "phases" else 1

    def prior_samples(self, n: int, latent_dim: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples of the prior N(0, I): float32 (n, latent_dim), on the CPU."""
        return sample_prior("gaussian", n, latent_dim, generator)

    def gan_losses(
        self, model: AutoencoderModel, codes: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(D's loss, the encoder's GAN term) on codes (B, D) and as many prior samples.

        D's loss sees the codes detached, the GAN term sees D's weights as constants, so each
        trains only its own network whatever group it is optimised in.
        """
        discriminator = model.auxiliary["discriminator"]
        prior = self.prior_samples(len(codes), codes.shape[1], generator).to(codes)
        logits = discriminator(torch.cat([prior, codes.detach()]))
        d_loss = discriminator_loss(logits[: len(prior)], logits[len(prior) :])
        frozen = {name: p.detach() for name, p in discriminator.named_parameters()}
        code_logits = torch.func.functional_call(discriminator, frozen, (codes,))
        return d_loss, generator_adversarial_loss(code_logits)

    def adversary_losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        """The regularisation phase on a batch: D's loss plus the encoder's GAN term."""
        d_loss, adversarial = self.gan_losses(model, model.encoder(images), generator)
        return StepLosses(
            {ADVERSARY: d_loss + adversarial},
            {"discriminator": d_loss, "adversarial": adversarial},
        )

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        """The joint step, or with the phases the reconstruction phase (whose GAN terms on
        this batch are recorded, not optimised)."""
        codes = model.encoder(images)
        reconstruction = reconstruction_loss(images, model.decoder(codes))
        if self.options.schedule == "phases":
            with torch.no_grad():
                d_loss, adversarial = self.gan_losses(model, codes, generator)
            terms = {
                "reconstruction": reconstruction,
                "adversarial": adversarial,
                "discriminator": d_loss,
                "total": reconstruction,
            }
            return StepLosses(
                {AUTOENCODER: reconstruction}, terms, {"reconstruction": reconstruction}
            )
        d_loss, adversarial = self.gan_losses(model, codes, generator)
        components = {
            "reconstruction": reconstruction,
            "adversarial": self.options.lambda_adv * adversarial,
        }
        total = reconstruction + components["adversarial"]
        terms = {
            "reconstruction": reconstruction,
            "adversarial": adversarial,
            "discriminator": d_loss,
            "total": total,
        }
        return StepLosses({AUTOENCODER: total, ADVERSARY: d_loss}, terms, components)
