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

from aeai_lib.device import to_device
from aeai_lib.losses import (
    cycle_consistency_loss,
    decode_with_velocity,
    discriminator_loss,
    finite_difference_smoothness,
    generator_adversarial_loss,
    r1_penalty,
    reconstruction_loss,
    smoothness_loss,
)
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, Method, StepLosses
from aeai_lib.models import AutoencoderModel, ModelConfig, make_discriminator
from aeai_lib.validation import check_choice, check_nonnegative, check_positive_int

SMOOTHNESS_ESTIMATORS = ("jvp", "sibling", "finite_difference")


LOSS_CONVENTIONS = ("mean", "sum")


@dataclass(frozen=True)
class AEAIOptions:
    """AEAI's weights, the choices the paper leaves open, and the adversarial stabilisers.

    Attributes:
        lambda_adv: weight of the adversarial term L_A. Default 1e-3 (the paper's 0.01 is a
            weight of its per-pair sums: 6.9e-6 of these means at 64x64, see the table).
            Measured (pole 32x32, 1500 steps, seed 0, validation pairs; the sweep is in the
            closing note of issue #10): at 0.01 the discriminator either stays at chance
            (adversary lr 2e-4: each autoencoder step undoes the discriminator's last step,
            its margin moving +0.0009 and -0.0009 per step) or wins and reconstruction
            collapses (adversary lr 1e-3: test MSE 1.0e-2 vs AE's 1.8e-4). With 1e-3, R1 and
            an adversary as fast as the autoencoder, D's held-out accuracy settles near 0.6.
        lambda_cycle: weight of the cycle-consistency term L_C (default 0.01, the paper's
            number; here L_C is relative to the codes' variance). Alone it cuts the
            alpha-prediction error from 0.16-0.19 (AE, 3 seeds) to 0.069; 0.03 gives 0.022
            but reconstructs 2.6x worse than AE.
        lambda_smooth: weight of the smoothness term L_S (default 3e-3; paper: 0.1, i.e.
            0.85 of these means). 0.01 undid what L_C bought (alpha error 0.185 in full
            AEAI); 3e-3 still evens the speed alone (max/min 2.32 vs AE's 2.8-3.6).
        loss_convention: how the lambdas are read. ``"mean"``: every term is a mean (per
            pixel, per latent coordinate, per grid point), the lambdas weight those means.
            ``"sum"``: the paper's per-pair sums (L_R over the 2 endpoints' pixels, L_A, L_C
            and L_S over the M + 1 grid points, L_C over the D coordinates and L_S over the
            pixels); the objective is then divided by L_R's factor 2 C H W, so the lambdas act
            like these "mean" weights (see :meth:`mean_weights`):

            ====  ==========================  ===========================================
            term  "mean" weight equal to      paper's lambda, 64x64x3, M = 16, D = 256
            ====  ==========================  ===========================================
            L_A   lambda_A (M + 1) / (2 CHW)  0.01 -> 6.9e-6
            L_C   lambda_C (M + 1) D / (2 CHW) 0.01 -> 1.8e-3
            L_S   lambda_S (M + 1) / 2        0.1 -> 0.85
            ====  ==========================  ===========================================

        grid_intervals: M, the alpha grid is n / M, n = 0..M (default 16: the paper's
            evaluation uses 17 points, a = n / 16).
        alphas_per_pair: K interior grid points drawn per pair each step, or None for all
            M - 1 of them. Default 1, the paper's text (one alpha per pair), which with the
            sibling estimator decodes 2 interpolants per pair; over a few hundred steps every
            grid point is visited thousands of times. None follows the paper's formulas
            literally (about 15x an AE step at M = 16).
        smoothness: how d x_hat / d a is estimated. "jvp": exactly, by forward-mode autodiff
            at every decoded point. "sibling" (default): each of the K drawn grid points
            n / M (n = 1..M-2) comes with its sibling (n + 1) / M, decoded in the same batch;
            the derivative is M (x_hat((n+1)/M) - x_hat(n/M)), the paper's grid finite
            difference, and both points also serve L_A and L_C (2 K interpolants per pair,
            no extra pass; with alphas_per_pair=None every n = 1..M-2 and its sibling). It
            agrees with the JVP to 3.5% at M = 16 on a trained pole AE
            (tests/test_smoothness_estimators.py) and makes the AEAI step 2.97x an AE step
            against 4.76x for the JVP with K = 2 (benchmarks/train_step.py, 1 thread).
            "finite_difference": the same difference over the whole grid (needs
            alphas_per_pair=None).
        endpoints_as_fakes: whether reconstructions (a = 0, 1) count as fakes for the
            discriminator and in L_A. Default False: the discriminator separates real
            images from in-between images, which is the credibility condition; blur at the
            endpoints is L_R's business.
        discriminator_every: update the discriminator every this many steps (default 1:
            every step; the paper's "after each epoch" is steps-per-epoch).
        discriminator_steps: discriminator updates per autoencoder update (default 1). The
            extra updates each draw a fresh batch and decode its interpolants without
            gradients for the autoencoder (as AMR's 5 steps per generator step).
        r1_weight: gamma of the R1 penalty (gamma / 2) E ||grad_x logit D(x)||^2 on real
            images (Mescheder et al. 2018); 0 turns it off. Default 1: without it the same
            settings reconstructed 3x worse (test MSE 9.8e-4 vs 3.3e-4) as D won (held-out
            accuracy 0.84).
        r1_every: lazy R1 (StyleGAN2, Karras et al. 2020): the penalty only at steps that
            are multiples of this interval, weighted by it (r1_every * r1_weight), so its
            mean push is unchanged while its double backward runs once in r1_every steps.
            Default 1: every step.
        spectral_norm: spectral normalisation of every discriminator layer (Miyato et al.
            2018).
        adversarial_warmup: L_A's weight rises linearly from 0 to lambda_adv over this many
            steps (0: from the start), so the autoencoder learns to reconstruct before it
            is asked to fool the discriminator.
    """

    lambda_adv: float = 1e-3
    lambda_cycle: float = 0.01
    lambda_smooth: float = 3e-3
    loss_convention: str = "mean"
    grid_intervals: int = 16
    alphas_per_pair: int | None = 1
    smoothness: str = "sibling"
    endpoints_as_fakes: bool = False
    discriminator_every: int = 1
    discriminator_steps: int = 1
    r1_weight: float = 1.0
    r1_every: int = 1
    spectral_norm: bool = False
    adversarial_warmup: int = 0

    def __post_init__(self) -> None:
        check_nonnegative("lambda_adv", self.lambda_adv)
        check_nonnegative("lambda_cycle", self.lambda_cycle)
        check_nonnegative("lambda_smooth", self.lambda_smooth)
        check_nonnegative("r1_weight", self.r1_weight)
        check_positive_int("r1_every (lazy R1 interval)", self.r1_every)
        check_choice("loss_convention", self.loss_convention, LOSS_CONVENTIONS)
        check_positive_int("grid_intervals (M)", self.grid_intervals)
        check_choice("smoothness estimator", self.smoothness, SMOOTHNESS_ESTIMATORS)
        check_positive_int("discriminator_every", self.discriminator_every)
        check_positive_int("discriminator_steps", self.discriminator_steps)
        check_positive_int("adversarial_warmup", self.adversarial_warmup, minimum=0)
        interior = self.grid_intervals - 1
        if self.uses_path and interior < 1:
            raise ValueError(
                "grid_intervals (M) = 1 leaves no interpolant between the endpoints; use M >= 2"
            )
        sibling = self.smoothness == "sibling"
        if sibling and self.uses_path and interior < 2:
            raise ValueError(
                "smoothness='sibling' needs two neighbouring interior grid points; use "
                "grid_intervals (M) >= 3"
            )
        if self.alphas_per_pair is not None:
            check_positive_int("alphas_per_pair", self.alphas_per_pair)
            drawable = interior - 1 if sibling else interior  # (M-1)/M has no interior sibling
            if self.uses_path and self.alphas_per_pair > drawable:
                raise ValueError(
                    f"alphas_per_pair = {self.alphas_per_pair} exceeds the {drawable} interior "
                    f"grid points that can be drawn (M = {self.grid_intervals}"
                    f"{', sibling smoothness' if sibling else ''}); lower it or use "
                    "alphas_per_pair=None for the whole grid"
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

    def mean_weights(self, pixels: int, latent_dim: int) -> dict[str, float]:
        """The weights of the mean terms that these options amount to, for images of
        ``pixels`` = C * H * W values and codes of ``latent_dim`` coordinates.

        Returns ``{"adversarial", "cycle", "smoothness"}``; L_R's weight is 1. Under the
        "mean" convention these are the lambdas themselves; under "sum" the conversions of
        the table above.
        """
        if self.loss_convention == "mean":
            return {
                "adversarial": self.lambda_adv,
                "cycle": self.lambda_cycle,
                "smoothness": self.lambda_smooth,
            }
        points, endpoint_pixels = self.grid_intervals + 1, 2 * pixels
        return {
            "adversarial": self.lambda_adv * points / endpoint_pixels,
            "cycle": self.lambda_cycle * points * latent_dim / endpoint_pixels,
            "smoothness": self.lambda_smooth * points / 2,
        }


class AEAI(Method):
    """The AEAI method; with all lambdas 0, the plain autoencoder."""

    name = "aeai"
    Options = AEAIOptions
    default_adversary_lr = 1e-3
    """The discriminator's Adam learning rate: the autoencoder's. At DCGAN's 2e-4 (5x slower
    than the autoencoder) the discriminator never left chance (accuracy 0.50 at every
    diagnostic of a 1500-step AE+A run)."""

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
            model.auxiliary["discriminator"] = make_discriminator(
                config, self.options.spectral_norm
            )
        return model

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[torch.nn.Parameter]]:
        groups = super().parameter_groups(model)
        if "discriminator" in model.auxiliary:
            groups[ADVERSARY] = list(model.auxiliary["discriminator"].parameters())
        return groups

    @property
    def adversary_steps(self) -> int:
        """Discriminator updates per autoencoder update (1 without a discriminator)."""
        return self.options.discriminator_steps if self.options.lambda_adv > 0 else 1

    def check_schedule(self, steps: int) -> None:
        if self.options.adversarial_warmup > steps:
            raise ValueError(
                f"adversarial_warmup = {self.options.adversarial_warmup} steps is longer than "
                f"the run's {steps} steps; lower it to at most {steps} or train longer"
            )

    def adversarial_weight(self, step: int, pixels: int, latent_dim: int) -> float:
        """L_A's mean weight at ``step``: ramped linearly over ``adversarial_warmup`` steps."""
        weight = self.options.mean_weights(pixels, latent_dim)["adversarial"]
        warmup = self.options.adversarial_warmup
        return weight * min(1.0, (step + 1) / warmup) if warmup else weight

    def sample_alphas(self, n_pairs: int, generator: torch.Generator) -> torch.Tensor:
        """Interior grid alphas per pair, each in {1/M, ..., (M-1)/M}: (n_pairs, K), or with
        ``smoothness="sibling"`` (n_pairs, 2 K), the K drawn points then their siblings."""
        m = self.options.grid_intervals
        sibling = self.options.smoothness == "sibling"
        interior = torch.arange(1, m - 1 if sibling else m, dtype=torch.float32) / m
        if self.options.alphas_per_pair is None:
            grid = torch.cat([interior, interior + 1 / m]) if sibling else interior
            return grid.expand(n_pairs, -1)
        order = torch.rand(n_pairs, len(interior), generator=generator).argsort(dim=1)
        alphas = interior[order[:, : self.options.alphas_per_pair]]
        return torch.cat([alphas, alphas + 1 / m], dim=1) if sibling else alphas

    def path_codes(
        self, codes: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pairs (x[k], x[k + B // 2]) of a batch's codes (B, D) and their interpolated codes.

        Returns (alphas (P, K, 1), path codes (P * K, D)), pair-major.
        """
        n_pairs = len(codes) // 2
        if n_pairs < 1:
            raise ValueError("AEAI needs a batch of at least 2 images to form pairs")
        sources, targets = codes[:n_pairs], codes[n_pairs : 2 * n_pairs]
        alphas = to_device(self.sample_alphas(n_pairs, generator), codes.device).unsqueeze(-1)
        path = (1 - alphas) * sources.unsqueeze(1) + alphas * targets.unsqueeze(1)
        return alphas, path.flatten(0, 1)

    def discriminator_objective(
        self,
        discriminator: torch.nn.Module,
        real: torch.Tensor,
        fakes: torch.Tensor,
        step: int = 0,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Score real images and fakes in one pass.

        Returns (fake logits, the discriminator's loss, its objective: the loss plus
        (r1_every * r1_weight / 2) R1 at steps that are multiples of r1_every, else the loss:
        lazy R1). The fakes keep their graph, so the fake logits also serve L_A.
        """
        logits = discriminator(torch.cat([real, fakes]))
        fake_logits = logits[len(real) :]
        loss = discriminator_loss(logits[: len(real)], fake_logits)
        o = self.options
        if o.r1_weight > 0 and step % o.r1_every == 0:
            penalty = r1_penalty(discriminator, real)
            return fake_logits, loss, loss + 0.5 * o.r1_every * o.r1_weight * penalty
        return fake_logits, loss, loss

    def adversary_losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        """One extra discriminator update: the batch's interpolants decoded without gradients."""
        with torch.no_grad():
            codes = model.encoder(images)
            _, path = self.path_codes(codes, generator)
            fakes = model.decoder(path)
            if self.options.endpoints_as_fakes:
                fakes = torch.cat([model.decoder(codes[: 2 * (len(codes) // 2)]), fakes])
        _, loss, objective = self.discriminator_objective(
            model.auxiliary["discriminator"], images, fakes, step
        )
        return StepLosses({ADVERSARY: objective}, {"discriminator": loss})

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        o = self.options
        codes = model.encoder(images)
        if not o.uses_path:
            loss = reconstruction_loss(images, model.decoder(codes))
            return StepLosses(
                {AUTOENCODER: loss}, {"reconstruction": loss}, {"reconstruction": loss}
            )

        n_pairs = len(images) // 2
        pixels, latent_dim = images[0].numel(), codes.shape[1]
        weights = o.mean_weights(pixels, latent_dim)
        weights["adversarial"] = self.adversarial_weight(step, pixels, latent_dim)
        alphas, path_codes = self.path_codes(codes, generator)
        sources, targets = codes[:n_pairs], codes[n_pairs : 2 * n_pairs]
        n_alphas = alphas.shape[1]
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
        components = {"reconstruction": terms["reconstruction"]}
        objectives = {}

        if o.lambda_adv > 0:
            fakes = path_images
            if o.endpoints_as_fakes:
                fakes = torch.cat([reconstructions[: 2 * n_pairs], path_images])
            fake_logits, terms["discriminator"], adversary_objective = self.discriminator_objective(
                model.auxiliary["discriminator"], images, fakes, step
            )
            terms["adversarial"] = generator_adversarial_loss(fake_logits)
            components["adversarial"] = weights["adversarial"] * terms["adversarial"]
            if step % o.discriminator_every == 0:
                objectives[ADVERSARY] = adversary_objective

        if o.lambda_cycle > 0:
            grid_images = torch.cat([reconstructions[: 2 * n_pairs], path_images])
            grid_codes = torch.cat([codes[: 2 * n_pairs], path_codes])
            terms["cycle"] = cycle_consistency_loss(grid_codes, model.encoder(grid_images))
            components["cycle"] = weights["cycle"] * terms["cycle"]

        if o.lambda_smooth > 0:
            if o.smoothness == "jvp":
                skip = slice(2 * n_pairs, len(images))  # rows of an unpaired odd image
                grid_velocities = torch.cat([velocities[: skip.start], velocities[skip.stop :]])
                terms["smoothness"] = smoothness_loss(grid_velocities)
            elif o.smoothness == "sibling":
                points, siblings = path_images.unflatten(0, (n_pairs, n_alphas)).chunk(2, dim=1)
                velocities = (siblings - points) * o.grid_intervals
                terms["smoothness"] = smoothness_loss(velocities)
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
            components["smoothness"] = weights["smoothness"] * terms["smoothness"]

        objective = sum(components.values())
        terms["total"] = objective
        objectives[AUTOENCODER] = objective
        return StepLosses(objectives, terms, components)

    def heldout_diagnostics(
        self, model: AutoencoderModel, images: torch.Tensor, generator: torch.Generator
    ) -> dict[str, float]:
        """The discriminator on held-out images (B, C, H, W) and on their interpolants.

        Returns ``d_real`` and ``d_fake`` (mean D(x), in [0, 1]), ``d_accuracy_real`` (share
        of real images with D > 1/2), ``d_accuracy_fake`` (share of interpolants with
        D < 1/2) and ``d_accuracy`` (their mean: 0.5 is chance, 1 a discriminator that wins);
        empty without a discriminator. Run under no_grad in the model's current mode.
        """
        if "discriminator" not in model.auxiliary:
            return {}
        discriminator = model.auxiliary["discriminator"]
        with torch.no_grad():
            _, path = self.path_codes(model.encoder(images), generator)
            real = torch.sigmoid(discriminator(images))
            fake = torch.sigmoid(discriminator(model.decoder(path)))
        accuracy_real, accuracy_fake = (real > 0.5).float().mean(), (fake < 0.5).float().mean()
        measures = {
            "d_real": real.mean(),
            "d_fake": fake.mean(),
            "d_accuracy_real": accuracy_real,
            "d_accuracy_fake": accuracy_fake,
            "d_accuracy": 0.5 * (accuracy_real + accuracy_fake),
        }
        values = torch.stack([value.float() for value in measures.values()]).tolist()
        return dict(zip(measures, values, strict=True))  # one transfer to the host
