"""GAIA (Sainburg et al. 2018, "Generative adversarial interpolative autoencoding", arXiv
1807.06650): an autoencoder G whose discriminator D is itself an autoencoder.

As in BEGAN, D scores an image by how well it reconstructs it (L1, mean per pixel). D learns to
reconstruct real images well and G's images badly; G learns to make images that D reconstructs
well, so that they look real: its reconstructions G(x) = g(f(x)), judged against x itself, and
interpolants between the two halves of the batch. With e(a, b) = mean |a - b|::

    real error      e_x = e(x, D(x))
    recon error     e_r = e(x, D(G(x)))
    interp error    e_i = e(x_i, D(x_i)),    x_i = g(m z_first + (1 - m) z_second)
    D minimises     e_x - s_D (e_r + e_i) / 2,      s_D = clip(sig(k (sigma e_i - e_x)), 0, 0.9)
    G minimises     s_G e_i + (1 - s_G) e_r + lambda e(x, G(x)),     s_G = sig(k (e_i - e_r))

with sig the logistic function, k = ``balance_slope`` and lambda = ``lambda_reconstruction``.
The two players are also balanced through their learning rates: each step, with
s = sig(k (e_x - (e_r + e_i) / 2)), D's Adam runs at s * ``adversary_lr`` and G's at
(1 - s) * ``lr`` (the maxima; GAIA: both 1e-4), so whichever player is losing learns faster.

Defaults from the public code (``timsainb/GAIA``, ``network.py`` and its notebook): the
interpolants mix each code of the first half of the batch with its counterpart in the second
half, once with the first half as is and once reversed, with coefficients m ~ N(0.5, 0.25)
(not clipped: some mixes extrapolate); k = 20, sigma = 0.5, the 0.9 ceiling, Adam with its
default betas. Conversion: none is needed, GAIA's images lie in [0, 1] with sigmoid decoders.

One departure, the direct reconstruction term lambda e(x, G(x)), which GAIA's code does not
have (lambda = 0): there G learns to reconstruct only through e_r = e(x, D(G(x))), whose
optimum is G(x) = x only for a perfect D; an imprecise D makes G learn to compensate for D's
errors instead. On the pole (800 steps at 32x32) G's test reconstruction MSE stalled at 22x a
plain autoencoder's without the term, 11x with lambda = 10 and 7.8x (still falling) with
lambda = 100, the default: the weight AMR (:mod:`.amr`) gives its L1 reconstruction.

Other choices: the shares s_D, s_G and s are treated as constants (like BEGAN's k_t; the
TensorFlow code lets gradients flow through them too); its clipping of both objectives to
[-1, 1] is left out, since with lambda = 0 both always lie in [-0.9, 1] for images in [0, 1];
its distance-preservation term (weight 5e-5 in the notebook) is not ported. D is a small fully
convolutional autoencoder (:class:`AutoencoderDiscriminator`), as the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aeai_lib.losses import reconstruction_loss
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, StepLosses
from aeai_lib.methods.conventions import AdversaryMethod
from aeai_lib.models import NORM_GROUPS, AutoencoderModel, ModelConfig
from aeai_lib.validation import check_nonnegative


@dataclass(frozen=True)
class GAIAOptions:
    """GAIA's interpolants and its balancing of the two players.

    Attributes:
        mix_mean: mean of the interpolation coefficients m (GAIA: 0.5).
        mix_std: standard deviation of m (GAIA: 0.25).
        balance_slope: k, the slope of the sigmoids that balance the players (GAIA: 20).
        sigma: s_D compares sigma times D's error on interpolants with its error on real
            images (GAIA: 0.5).
        max_fake_share: the ceiling of s_D, D's weight on fooling G, in [0, 1] (GAIA: 0.9).
        balance_learning_rates: scale D's and G's learning rates by s and 1 - s each step
            (GAIA: on); off, both run at their full rate.
        lambda_reconstruction: weight of a direct reconstruction term e(x, G(x)) added to
            G's loss (default 100, AMR's converted weight; GAIA's code has none, 0: see the
            module docstring).
    """

    mix_mean: float = 0.5
    mix_std: float = 0.25
    balance_slope: float = 20.0
    sigma: float = 0.5
    max_fake_share: float = 0.9
    balance_learning_rates: bool = True
    lambda_reconstruction: float = 100.0

    def __post_init__(self) -> None:
        if isinstance(self.mix_mean, bool) or not isinstance(self.mix_mean, (int, float)):
            raise TypeError(f"mix_mean must be a number, got {self.mix_mean!r}")
        if not 0.0 <= self.mix_mean <= 1.0:
            raise ValueError(f"mix_mean must lie in [0, 1], got {self.mix_mean}; GAIA uses 0.5")
        check_nonnegative("mix_std", self.mix_std)
        check_nonnegative("balance_slope", self.balance_slope)
        check_nonnegative("sigma", self.sigma)
        if not 0.0 <= check_nonnegative("max_fake_share", self.max_fake_share) <= 1.0:
            raise ValueError(
                f"max_fake_share must lie in [0, 1], got {self.max_fake_share}; GAIA uses 0.9"
            )
        check_nonnegative("lambda_reconstruction", self.lambda_reconstruction)
        if not isinstance(self.balance_learning_rates, bool):
            raise TypeError(
                f"balance_learning_rates must be True or False, got {self.balance_learning_rates!r}"
            )


def _conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Conv3x3 -> GroupNorm -> ReLU, the library's convolution block (:mod:`aeai_lib.models`)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.GroupNorm(NORM_GROUPS, out_channels),
        nn.ReLU(),
    )


class AutoencoderDiscriminator(nn.Module):
    """Images (N, C, H, W) in [0, 1] -> their reconstructions (N, C, H, W) in [0, 1].

    GAIA's (and BEGAN's) discriminator: an autoencoder whose reconstruction error is the
    score, low for what it takes as real. Like the paper's, it is fully convolutional, with a
    spatial code at a quarter of the image's resolution and no dense bottleneck: the first
    two blocks of the library's encoder (16 and 32 feature maps, max-pooling) and two
    transposed convolutions back, a sigmoid at the end. An autoencoder with the model's
    dense bottleneck reconstructs only the data it was trained on, and on the pole it
    starved the generator of any useful gradient (test reconstruction MSE rising from 0.009
    to 0.037 in 800 steps at 32x32).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        first, second = 16, 32
        self.encoder = nn.Sequential(
            _conv(config.channels, first), nn.MaxPool2d(2), _conv(first, second), nn.MaxPool2d(2)
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(second, first, 4, stride=2, padding=1),
            nn.GroupNorm(NORM_GROUPS, first),
            nn.ReLU(),
            nn.ConvTranspose2d(first, config.channels, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images))


def l1_error(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean absolute error per pixel between two batches of images."""
    return (images - targets).abs().mean()


class GAIA(AdversaryMethod):
    """GAIA: an autoencoder trained against an autoencoder, on reconstructions and interpolants."""

    name = "gaia"
    Options = GAIAOptions

    def __init__(self, options: GAIAOptions | None = None) -> None:
        super().__init__(options)
        self._optimizers: dict[str, torch.optim.Optimizer] = {}
        self._max_lrs: dict[str, float] = {}

    @property
    def label(self) -> str:
        return "GAIA"

    def build_adversary(self, config: ModelConfig) -> nn.Module:
        return AutoencoderDiscriminator(config)

    def make_optimizers(
        self, groups: dict[str, list[nn.Parameter]], lr: float, adversary_lr: float
    ) -> dict[str, torch.optim.Optimizer]:
        """Adam with its default betas for both; ``lr`` and ``adversary_lr`` are the maxima
        of the balanced rates. The method keeps the optimisers to set their rates each step."""
        self._optimizers = super().make_optimizers(groups, lr, adversary_lr)
        self._max_lrs = {AUTOENCODER: lr, ADVERSARY: adversary_lr}
        return self._optimizers

    def mix(self, codes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Interpolated codes (2 P, D) from a batch of codes (B, D), P = B // 2:
        ``m z_first + (1 - m) z_second`` with the first half as is, then reversed."""
        n_pairs = len(codes) // 2
        if n_pairs < 1:
            raise ValueError("GAIA needs a batch of at least 2 images to form pairs")
        first, second = codes[:n_pairs], codes[n_pairs : 2 * n_pairs]
        o = self.options
        m = (o.mix_mean + o.mix_std * torch.randn(2 * n_pairs, 1, generator=generator)).to(codes)
        return m * torch.cat([first, first.flip(0)]) + (1 - m) * torch.cat([second, second])

    def shares(self, real: float, recon: float, interp: float) -> dict[str, float]:
        """The balancing weights from D's errors on real images, reconstructions and
        interpolants: ``{"d_fake": s_D, "g_interpolant": s_G, "d_lr": s}``, each in [0, 1]."""
        o = self.options

        def sig(value: float) -> float:
            return torch.sigmoid(torch.tensor(o.balance_slope * value)).item()

        return {
            "d_fake": min(sig(o.sigma * interp - real), o.max_fake_share),
            "g_interpolant": sig(interp - recon),
            "d_lr": sig(real - (recon + interp) / 2),
        }

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        codes = model.encoder(images)
        decoded = model.decoder(torch.cat([codes, self.mix(codes, generator)]))
        reconstructions, interpolants = decoded[: len(images)], decoded[len(images) :]
        judged = model.auxiliary["discriminator"](torch.cat([images, decoded]))
        d_real, d_recon, d_interp = judged.split([len(images), len(images), len(interpolants)])
        errors = {
            "d_real": l1_error(images, d_real),
            "d_reconstruction": l1_error(images, d_recon),
            "d_interpolant": l1_error(interpolants, d_interp),
        }
        shares = self.shares(*(error.item() for error in errors.values()))
        fake = (errors["d_reconstruction"] + errors["d_interpolant"]) / 2
        discriminator = errors["d_real"] - shares["d_fake"] * fake
        components = {
            "d_reconstruction": (1 - shares["g_interpolant"]) * errors["d_reconstruction"],
            "d_interpolant": shares["g_interpolant"] * errors["d_interpolant"],
        }
        if self.options.lambda_reconstruction > 0:
            components["reconstruction"] = self.options.lambda_reconstruction * l1_error(
                images, reconstructions
            )
        generator_loss = sum(components.values())
        if self.options.balance_learning_rates and self._optimizers:
            for name, scale in ((ADVERSARY, shares["d_lr"]), (AUTOENCODER, 1 - shares["d_lr"])):
                for group in self._optimizers[name].param_groups:
                    group["lr"] = scale * self._max_lrs[name]
        terms = {
            "reconstruction": reconstruction_loss(images, reconstructions).detach(),
            **errors,
            "discriminator": discriminator,
            "total": generator_loss,
            "d_lr_share": torch.tensor(shares["d_lr"], device=images.device),
        }
        return StepLosses(
            {AUTOENCODER: generator_loss, ADVERSARY: discriminator}, terms, components
        )
