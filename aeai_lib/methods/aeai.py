"""AEAI (Oring et al., ICML 2021): the plain autoencoder plus three interpolation terms.

    L = L_R + lambda_A L_A + lambda_C L_C + lambda_S L_S

With every lambda at 0 this is the plain autoencoder, so AE, AE+A, AE+A+C and the full
AE+A+C+S are one argument apart. Terms whose lambda is 0 are not computed at all.

Choices where the paper is silent (see the ``AEAIOptions`` docstring for each default):

* Pairs: a batch of B images gives B // 2 pairs, (x[k], x[k + B // 2]).
* Alphas: the paper's text samples one alpha per pair, its formulas sum over the grid
  n / M. ``alphas_per_pair`` chooses: ``None`` uses every interior grid point, an integer K
  draws K distinct interior grid points per pair. The endpoints a = 0 and 1 are the
  reconstructions, decoded anyway, so they enter the cycle and smoothness terms for free.
* Vectorised: reconstructions and all interpolants go through the decoder in one call and
  are re-encoded in one call; real images and interpolants go
  through the discriminator in one call.
* Smoothness: forward-mode JVP (exact derivative, any alphas) or finite differences (needs
  the whole grid).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from aeai_lib.losses import (
    cycle_consistency_loss,
    decode_with_velocity,
    discriminator_loss,
    finite_difference_smoothness,
    generator_adversarial_loss,
    reconstruction_loss,
    smoothness_loss,
)
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, Method, StepLosses
from aeai_lib.models import AutoencoderModel, Discriminator, ModelConfig
from aeai_lib.validation import check_choice, check_nonnegative, check_positive_int

SMOOTHNESS_ESTIMATORS = ("jvp", "finite_difference")


@dataclass(frozen=True)
class AEAIOptions:
    """AEAI's weights and the choices the paper leaves open.

    Attributes:
        lambda_adv: weight of the adversarial term L_A (paper: 0.01).
        lambda_cycle: weight of the cycle-consistency term L_C (paper: 0.01).
        lambda_smooth: weight of the smoothness term L_S (default 0.01; paper: 0.1). The
            terms here are per-pixel means, not the paper's sums, so the paper's numbers are
            not the same weights. At 0.1 the pole model collapsed twice (measured: after ~800
            steps the decoder's paths flattened, reconstruction MSE rose from 0.0016 to 0.015
            and the discriminator won). At 0.01 it trained well for ~1200 steps, then the
            discriminator won too (reconstruction 0.0010 -> 0.0074 by step 2000): adversarial
            training is the open stability problem. Pass 0.1 for the paper's value.
        grid_intervals: M, the alpha grid is n / M, n = 0..M (default 16: the paper's
            evaluation uses 17 points, a = n / 16).
        alphas_per_pair: K interior grid points drawn per pair each step, or None for all
            M - 1 of them. Default 2: twice the paper's text (one alpha per pair), and the
            AEAI step stays within 4x a plain AE step (benchmarks/train_step.py: K = 4 costs
            5x); over a few hundred steps every grid point is visited thousands of times.
            None follows the paper's formulas literally (about 15x an AE step at M = 16).
        smoothness: "jvp" (exact d x_hat / d a by forward-mode autodiff, default) or
            "finite_difference" (on the grid; needs alphas_per_pair=None).
        endpoints_as_fakes: whether reconstructions (a = 0, 1) count as fakes for the
            discriminator and in L_A. Default False: the discriminator separates real
            images from in-between images, which is the credibility condition; blur at the
            endpoints is L_R's business.
        discriminator_every: update the discriminator every this many steps (default 1:
            every step; the paper's "after each epoch" is steps-per-epoch).
    """

    lambda_adv: float = 0.01
    lambda_cycle: float = 0.01
    lambda_smooth: float = 0.01
    grid_intervals: int = 16
    alphas_per_pair: int | None = 2
    smoothness: str = "jvp"
    endpoints_as_fakes: bool = False
    discriminator_every: int = 1

    def __post_init__(self) -> None:
        check_nonnegative("lambda_adv", self.lambda_adv)
        check_nonnegative("lambda_cycle", self.lambda_cycle)
        check_nonnegative("lambda_smooth", self.lambda_smooth)
        check_positive_int("grid_intervals (M)", self.grid_intervals)
        check_choice("smoothness estimator", self.smoothness, SMOOTHNESS_ESTIMATORS)
        check_positive_int("discriminator_every", self.discriminator_every)
        interior = self.grid_intervals - 1
        if self.uses_path and interior < 1:
            raise ValueError(
                "grid_intervals (M) = 1 leaves no interpolant between the endpoints; use M >= 2"
            )
        if self.alphas_per_pair is not None:
            check_positive_int("alphas_per_pair", self.alphas_per_pair)
            if self.uses_path and self.alphas_per_pair > interior:
                raise ValueError(
                    f"alphas_per_pair = {self.alphas_per_pair} exceeds the M - 1 = {interior} "
                    "interior grid points; lower it or use alphas_per_pair=None for the whole grid"
                )
        if self.smoothness == "finite_difference" and self.alphas_per_pair is not None:
            raise ValueError(
                "smoothness='finite_difference' needs the whole alpha grid; "
                "set alphas_per_pair=None or use smoothness='jvp'"
            )

    @property
    def uses_path(self) -> bool:
        """Whether any term needs decoded interpolants."""
        return self.lambda_adv > 0 or self.lambda_cycle > 0 or self.lambda_smooth > 0


class AEAI(Method):
    """The AEAI method; with all lambdas 0, the plain autoencoder."""

    name = "aeai"
    Options = AEAIOptions

    def __init__(self, options: AEAIOptions | None = None) -> None:
        super().__init__(options or AEAIOptions())

    @property
    def label(self) -> str:
        """ "AE", "AE+A", "AE+A+C", "AE+A+C+S" (full AEAI), ... after the terms switched on."""
        o = self.options
        parts = ["AE"] + [
            letter
            for letter, weight in (
                ("A", o.lambda_adv),
                ("C", o.lambda_cycle),
                ("S", o.lambda_smooth),
            )
            if weight > 0
        ]
        return "+".join(parts)

    def build_model(self, config: ModelConfig) -> AutoencoderModel:
        model = super().build_model(config)
        if self.options.lambda_adv > 0:
            model.auxiliary["discriminator"] = Discriminator(config)
        return model

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[torch.nn.Parameter]]:
        groups = super().parameter_groups(model)
        if "discriminator" in model.auxiliary:
            groups[ADVERSARY] = list(model.auxiliary["discriminator"].parameters())
        return groups

    def sample_alphas(self, n_pairs: int, generator: torch.Generator) -> torch.Tensor:
        """Interior grid alphas per pair, (n_pairs, K), each in {1/M, ..., (M-1)/M}."""
        m = self.options.grid_intervals
        interior = torch.arange(1, m, dtype=torch.float32) / m
        if self.options.alphas_per_pair is None:
            return interior.expand(n_pairs, -1)
        order = torch.rand(n_pairs, m - 1, generator=generator).argsort(dim=1)
        return interior[order[:, : self.options.alphas_per_pair]]

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        o = self.options
        codes = model.encoder(images)
        if not o.uses_path:
            loss = reconstruction_loss(images, model.decoder(codes))
            return StepLosses({AUTOENCODER: loss}, {"reconstruction": loss})

        n_pairs = len(images) // 2
        if n_pairs < 1:
            raise ValueError("AEAI needs a batch of at least 2 images to form pairs")
        sources, targets = codes[:n_pairs], codes[n_pairs : 2 * n_pairs]
        alphas = self.sample_alphas(n_pairs, generator).to(codes.device).unsqueeze(-1)  # (P, K, 1)
        n_alphas = alphas.shape[1]
        path_codes = ((1 - alphas) * sources.unsqueeze(1) + alphas * targets.unsqueeze(1)).flatten(
            0, 1
        )
        all_codes = torch.cat([codes, path_codes])  # (B + P*K, D): reconstructions first

        if o.lambda_smooth > 0 and o.smoothness == "jvp":
            direction = targets - sources  # d z / d a for pair k
            leftover = torch.zeros_like(codes[2 * n_pairs :])  # an odd image has no pair
            directions = torch.cat(
                [direction, direction, leftover, direction.repeat_interleave(n_alphas, dim=0)]
            )
            decoded, velocities = decode_with_velocity(model.decoder, all_codes, directions)
        else:
            decoded = model.decoder(all_codes)
        reconstructions, path_images = decoded[: len(images)], decoded[len(images) :]

        terms = {"reconstruction": reconstruction_loss(images, reconstructions)}
        objective = terms["reconstruction"]
        objectives = {}

        if o.lambda_adv > 0:
            fakes = path_images
            if o.endpoints_as_fakes:
                fakes = torch.cat([reconstructions[: 2 * n_pairs], path_images])
            logits = model.auxiliary["discriminator"](torch.cat([images, fakes]))
            real_logits, fake_logits = logits[: len(images)], logits[len(images) :]
            terms["adversarial"] = generator_adversarial_loss(fake_logits)
            terms["discriminator"] = discriminator_loss(real_logits, fake_logits)
            objective = objective + o.lambda_adv * terms["adversarial"]
            if step % o.discriminator_every == 0:
                objectives[ADVERSARY] = terms["discriminator"]

        if o.lambda_cycle > 0:
            grid_images = torch.cat([reconstructions[: 2 * n_pairs], path_images])
            grid_codes = torch.cat([codes[: 2 * n_pairs], path_codes])
            terms["cycle"] = cycle_consistency_loss(grid_codes, model.encoder(grid_images))
            objective = objective + o.lambda_cycle * terms["cycle"]

        if o.lambda_smooth > 0:
            if o.smoothness == "jvp":
                skip = slice(2 * n_pairs, len(images))  # rows of an unpaired odd image
                grid_velocities = torch.cat([velocities[: skip.start], velocities[skip.stop :]])
                terms["smoothness"] = smoothness_loss(grid_velocities)
            else:
                path = torch.cat(
                    [
                        reconstructions[:n_pairs].unsqueeze(1),
                        path_images.unflatten(0, (n_pairs, n_alphas)),
                        reconstructions[n_pairs : 2 * n_pairs].unsqueeze(1),
                    ],
                    dim=1,
                )
                terms["smoothness"] = finite_difference_smoothness(path)
            objective = objective + o.lambda_smooth * terms["smoothness"]

        terms["total"] = objective
        objectives[AUTOENCODER] = objective
        return StepLosses(objectives, terms)
