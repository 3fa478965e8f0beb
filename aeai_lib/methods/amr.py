"""AMR (Beckham et al. 2019, "On Adversarial Mixup Resynthesis", arXiv 1903.02709): mixes of
codes that a discriminator must take for real images.

Each code z = f(x) of a batch is mixed with the code of a random other image of the batch
(a permutation), z_mix = m * z + (1 - m) * z_perm, and decoded. A discriminator D (spectral
norm on every layer) learns to score real images 1 and reconstructions and mixes 0; the
autoencoder learns to reconstruct (L1) and to make both pass for real::

    discriminator:  -mean log D(x) - mean log(1 - D(g(f(x)))) - mean log(1 - D(g(z_mix)))
    autoencoder:    lambda * mean |x - g(f(x))| - mean log D(g(f(x))) - mean log D(g(z_mix))
                    [+ beta * mean |f(g(z_mix)) - z_mix|, the optional consistency term]

D takes ``discriminator_steps`` steps per autoencoder step (AMR's ``update_g_every``, 5); the
extra ones each draw a fresh batch, its reconstructions and mixes decoded without gradients.

Mixing functions (``mixer``; the code's names in brackets): ``"mixup"`` (mixup) one
m ~ U(0, 1) per pair; ``"mixup_per_feature"`` (mixup2) one m ~ U(0, 1) per code coordinate;
``"bernoulli"`` (fm, the paper's Bernoulli mixup) a mask m ~ Bernoulli(p) per coordinate with
p ~ U(0, 1) per coordinate; ``"bernoulli_batch_p"`` (fm2) the same with one p ~ U(0, 1) for the
whole batch.

Defaults from the code (``christopher-beckham/amr``, ``models/swapgan.py``, ``models/twogan.py``
and the scripts in ``exps/``): mixer "mixup", the consistency term off (beta 0), the GAN term
on reconstructions on, binary cross-entropy, 5 discriminator steps, Adam(1e-4, betas (0.5,
0.99), weight decay 1e-5) for both networks (the code's learning rate is the training's
``--lr 1e-4 --adversary-lr 1e-4``). lambda is chosen per dataset in the paper's runs, from
{2, 5, 10, 20, 50} (MNIST and SVHN mostly 10, CIFAR-10 50); the default is its CIFAR-10 value
50, the largest: on the pole, whose mostly flat images have a small per-pixel L1 error, the
MNIST value 10 let the GAN terms take over (test reconstruction MSE 0.0068 after 800 steps at
32x32, 27x a plain autoencoder's; 0.00034, 1.4x, with 50). Conversion: lambda weighs the L1
error of images in [-1, 1], twice the L1 error of this library's [0, 1] images, so
``lambda_reconstruction`` = 2 x 50 = 100 (:mod:`.conventions`); the GAN terms do not see pixel
values. The generator keeps the library's per-image GroupNorm where AMR's uses instance norm
(both normalise each image on its own), and D is :class:`aeai_lib.models.Discriminator` with
spectral norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from aeai_lib.losses import generator_adversarial_loss
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, StepLosses
from aeai_lib.methods.conventions import (
    L1_SIGNED_RANGE_FACTOR,
    AdversaryMethod,
    adam_per_group,
)
from aeai_lib.models import AutoencoderModel, ModelConfig, make_discriminator
from aeai_lib.validation import check_choice, check_nonnegative, check_positive_int

MIXERS: tuple[str, ...] = ("mixup", "mixup_per_feature", "bernoulli", "bernoulli_batch_p")
"""AMR's mixing functions (its code's mixup, mixup2, fm, fm2)."""
PAPER_LAMBDA = 50.0
"""AMR's ``lamb`` in its CIFAR-10 runs (the largest of its runs' values), on images in [-1, 1]."""


@dataclass(frozen=True)
class AMROptions:
    """AMR's weights, mixing function, schedule and optimiser settings.

    Attributes:
        lambda_reconstruction: weight of the per-pixel L1 reconstruction error next to the GAN
            terms (default 100: the code's CIFAR-10 value 50 on images in [-1, 1], times 2
            for images in [0, 1]).
        mixer: how codes are mixed: "mixup", "mixup_per_feature", "bernoulli" or
            "bernoulli_batch_p" (see the module docstring; default "mixup").
        lambda_consistency: weight of the consistency term mean |f(g(z_mix)) - z_mix| (the
            code's beta; default 0, off, as in its scripts).
        gan_on_reconstructions: reconstructions are fakes for D and the autoencoder's GAN
            term includes them (the code's default; False is its disable_g_recon).
        discriminator_steps: discriminator updates per autoencoder update (the code's
            update_g_every: 5).
        spectral_norm: spectral normalisation of every discriminator layer (the code: on).
        adam_beta1: Adam's beta1 for both networks (the code's runs: 0.5).
        adam_beta2: Adam's beta2 for both networks (the code's runs: 0.99).
        weight_decay: L2 weight decay of both optimisers (the code's runs: 1e-5).
    """

    lambda_reconstruction: float = PAPER_LAMBDA * L1_SIGNED_RANGE_FACTOR
    mixer: str = "mixup"
    lambda_consistency: float = 0.0
    gan_on_reconstructions: bool = True
    discriminator_steps: int = 5
    spectral_norm: bool = True
    adam_beta1: float = 0.5
    adam_beta2: float = 0.99
    weight_decay: float = 1e-5

    def __post_init__(self) -> None:
        check_nonnegative("lambda_reconstruction", self.lambda_reconstruction)
        check_choice("mixer", self.mixer, MIXERS)
        check_nonnegative("lambda_consistency", self.lambda_consistency)
        check_positive_int("discriminator_steps", self.discriminator_steps)
        for name in ("adam_beta1", "adam_beta2"):
            value = getattr(self, name)
            if not 0.0 <= check_nonnegative(name, value) < 1.0:
                raise ValueError(f"{name} must lie in [0, 1), got {value}")
        check_nonnegative("weight_decay", self.weight_decay)
        for name in ("gan_on_reconstructions", "spectral_norm"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")


def mixing_weights(mixer: str, n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """The weights m of z_mix = m z + (1 - m) z_perm for ``n`` codes of ``dim`` coordinates:
    (n, 1) for "mixup", (n, dim) otherwise; values in [0, 1] (0 or 1 for the Bernoulli mixers).
    """
    check_choice("mixer", mixer, MIXERS)
    if mixer == "mixup":
        return torch.rand(n, 1, generator=generator)
    if mixer == "mixup_per_feature":
        return torch.rand(n, dim, generator=generator)
    if mixer == "bernoulli":
        p = torch.rand(n, dim, generator=generator)
    else:
        p = torch.rand(1, generator=generator).expand(n, dim)
    return torch.bernoulli(p, generator=generator)


class AMR(AdversaryMethod):
    """AMR: L1 reconstruction plus GAN terms on reconstructions and on mixes of codes."""

    name = "amr"
    Options = AMROptions

    @property
    def label(self) -> str:
        return "AMR"

    def build_adversary(self, config: ModelConfig) -> nn.Module:
        return make_discriminator(config, self.options.spectral_norm)

    def make_optimizers(
        self, groups: dict[str, list[nn.Parameter]], lr: float, adversary_lr: float
    ) -> dict[str, torch.optim.Optimizer]:
        """Adam with AMR's betas and weight decay for both networks."""
        o = self.options
        return adam_per_group(
            groups, lr, adversary_lr, (o.adam_beta1, o.adam_beta2), o.weight_decay
        )

    @property
    def adversary_steps(self) -> int:
        return self.options.discriminator_steps

    def mix(self, codes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Each code (B, D) mixed with the code of a random permutation of the batch: (B, D)."""
        partners = torch.randperm(len(codes), generator=generator).to(codes.device)
        m = mixing_weights(self.options.mixer, *codes.shape, generator).to(codes)
        return m * codes + (1 - m) * codes[partners]

    def _fakes(self, reconstructions: torch.Tensor, mixed: torch.Tensor) -> torch.Tensor:
        """What D sees as fake: the mixes, after the reconstructions when they count."""
        if self.options.gan_on_reconstructions:
            return torch.cat([reconstructions, mixed])
        return mixed

    def discriminator_objective(
        self, discriminator: nn.Module, images: torch.Tensor, fakes: torch.Tensor, n_fake_sets: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's loss, the code's sum of one BCE mean per set (real, reconstructions, mixes),
        and the logits of the fakes (N_fake,)."""
        logits = discriminator(torch.cat([images, fakes]))
        real, fake = logits[: len(images)], logits[len(images) :]
        loss = F.softplus(-real).mean() + n_fake_sets * F.softplus(fake).mean()
        return loss, fake

    def adversary_losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        """One extra discriminator update on a fresh batch, decoded without gradients."""
        with torch.no_grad():
            codes = model.encoder(images)
            decoded = model.decoder(torch.cat([codes, self.mix(codes, generator)]))
        fakes = self._fakes(decoded[: len(images)], decoded[len(images) :])
        loss, _ = self.discriminator_objective(
            model.auxiliary["discriminator"], images, fakes, len(fakes) // len(images)
        )
        return StepLosses({ADVERSARY: loss}, {"discriminator": loss})

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        o = self.options
        codes = model.encoder(images)
        mixed_codes = self.mix(codes, generator)
        decoded = model.decoder(torch.cat([codes, mixed_codes]))
        reconstructions, mixed = decoded[: len(images)], decoded[len(images) :]
        fakes = self._fakes(reconstructions, mixed)
        discriminator, fake_logits = self.discriminator_objective(
            model.auxiliary["discriminator"], images, fakes, len(fakes) // len(images)
        )
        reconstruction = (reconstructions - images).abs().mean()
        gan_sets = fake_logits.split(len(images))  # (reconstructions,) mixes
        components = {
            "reconstruction": o.lambda_reconstruction * reconstruction,
            "adversarial": sum(generator_adversarial_loss(s) for s in gan_sets),
        }
        if o.lambda_consistency > 0:
            consistency = (model.encoder(mixed) - mixed_codes).abs().mean()
            components["consistency"] = o.lambda_consistency * consistency
        total = sum(components.values())
        terms = {
            "reconstruction": F.mse_loss(reconstructions, images).detach(),
            "l1": reconstruction,
            "adversarial": components["adversarial"],
            "discriminator": discriminator,
            "total": total,
        }
        if "consistency" in components:
            terms["consistency"] = consistency
        return StepLosses({AUTOENCODER: total, ADVERSARY: discriminator}, terms, components)
