"""beta-VAE (Higgins et al. 2017): a VAE whose KL term is weighted by beta.

The encoder gives the mean and log-variance of a diagonal Gaussian q(z | x); a code is sampled
with the reparameterisation z = mean + exp(log_var / 2) * eps, eps ~ N(0, I), and decoded::

    per image:  -log p(x | z) + beta * KL(q(z | x) || N(0, I))
    KL = 1/2 sum_d (mean_d^2 + exp(log_var_d) - 1 - log_var_d)     (nats)

The likelihood is Bernoulli, as in ACAI's VAE baseline (``brain-research/acai``, ``vae.py``) and
in Higgins et al.'s dSprites runs: the decoder's sigmoid output is the pixels' Bernoulli mean,
so -log p(x | z) is the binary cross-entropy summed over the C H W pixels. Conversion: this
library's losses are per pixel, so the objective here is that per-image ELBO divided by C H W,
``mean_pixels BCE + beta * KL / (C H W)``: the same objective up to a constant factor, which
Adam does not see. Interpolation codes, and ``model.encode``, are the means.

Options: ``beta`` (default 1, as the VAE baselines of ACAI's and pythae's code; Higgins et al.
use 4 and more to disentangle), and Burgess et al.'s (2018) capacity schedule: with
``capacity`` > 0 the KL term becomes ``capacity_weight * |KL - C(step)|`` with C rising
linearly from 0 to ``capacity`` nats over ``capacity_steps`` steps (Burgess: weight 1000, 25
nats over 100,000 steps on dSprites).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from aeai_lib.losses import reconstruction_loss
from aeai_lib.methods.base import AUTOENCODER, Method, StepLosses
from aeai_lib.models import AutoencoderModel, ModelConfig, make_encoder
from aeai_lib.validation import check_nonnegative, check_positive_int


@dataclass(frozen=True)
class BetaVAEOptions:
    """beta and Burgess et al.'s capacity schedule.

    Attributes:
        beta: weight of the KL term, in nats per image next to the image's summed
            cross-entropy (default 1, a plain VAE, as ACAI's and pythae's references).
        capacity: C_max in nats of Burgess et al.'s objective capacity_weight |KL - C|;
            0 (default) keeps Higgins et al.'s beta KL.
        capacity_steps: steps over which C rises linearly from 0 to capacity (Burgess:
            100000; the run must be at least this long).
        capacity_weight: gamma of capacity_weight |KL - C| (Burgess: 1000).
    """

    beta: float = 1.0
    capacity: float = 0.0
    capacity_steps: int = 100_000
    capacity_weight: float = 1000.0

    def __post_init__(self) -> None:
        check_nonnegative("beta", self.beta)
        check_nonnegative("capacity", self.capacity)
        check_positive_int("capacity_steps", self.capacity_steps)
        check_nonnegative("capacity_weight", self.capacity_weight)


def kl_divergence(mean: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_variance)) || N(0, I)) in nats per row: (N, D), (N, D) -> (N,).

    0 exactly at mean 0 and log-variance 0; positive otherwise.
    """
    return 0.5 * (mean.square() + log_variance.exp() - 1 - log_variance).sum(dim=1)


def bernoulli_nll(probabilities: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy per pixel, mean over all: -mean(x log p + (1 - x) log(1 - p)).

    Decoded probabilities and images (N, C, H, W) in [0, 1]; each log is floored at -100 as
    in ``torch.nn.functional.binary_cross_entropy``, and computed in float32 (so that it is
    safe under bf16 autocast, where that function refuses to run).
    """
    p, x = probabilities.float(), images.float()
    log_p, log_not_p = p.log().clamp_min(-100.0), (1 - p).log().clamp_min(-100.0)
    return -(x * log_p + (1 - x) * log_not_p).mean()


class GaussianEncoder(nn.Module):
    """Images (N, C, H, W) in [0, 1] -> the means (N, latent_dim) when called.

    The encoder of ``config.architecture`` (:func:`~aeai_lib.models.make_encoder`) with a
    head twice as wide, split into the mean and the log-variance (:meth:`distribution`).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        wide = replace(config, latent_dim=2 * config.latent_dim)
        self.net = make_encoder(wide)

    def distribution(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-variance) of q(z | x), each (N, latent_dim)."""
        mean, log_variance = self.net(images).chunk(2, dim=1)
        return mean, log_variance

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.distribution(images)[0]


class BetaVAE(Method):
    """The beta-VAE: Bernoulli likelihood, Gaussian posterior, N(0, I) prior."""

    name = "beta-vae"
    Options = BetaVAEOptions

    @property
    def label(self) -> str:
        return "beta-VAE"

    def build_encoder(self, config: ModelConfig) -> nn.Module:
        return GaussianEncoder(config)

    def check_schedule(self, steps: int) -> None:
        o = self.options
        if o.capacity > 0 and o.capacity_steps > steps:
            raise ValueError(
                f"capacity_steps = {o.capacity_steps} is longer than the run's {steps} steps; "
                f"lower capacity_steps to at most {steps} or train longer"
            )

    def capacity_at(self, step: int) -> float:
        """C at ``step``: capacity * min(1, step / capacity_steps), in nats."""
        return self.options.capacity * min(1.0, step / self.options.capacity_steps)

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        o = self.options
        mean, log_variance = model.encoder.distribution(images)
        noise = torch.randn(mean.shape, generator=generator).to(mean)
        decoded = model.decoder(mean + (0.5 * log_variance).exp() * noise)
        pixels = images[0].numel()
        nll = bernoulli_nll(decoded, images)
        kl = kl_divergence(mean, log_variance).mean()  # nats per image
        if o.capacity > 0:
            kl_term = o.capacity_weight * (kl - self.capacity_at(step)).abs() / pixels
        else:
            kl_term = o.beta * kl / pixels
        total = nll + kl_term
        terms = {  # "reconstruction": the MSE of the sampled code's decoding, for the history
            "reconstruction": reconstruction_loss(images, decoded).detach(),
            "nll": nll,
            "kl": kl,
            "total": total,
        }
        return StepLosses({AUTOENCODER: total}, terms, {"nll": nll, "kl": kl_term})
