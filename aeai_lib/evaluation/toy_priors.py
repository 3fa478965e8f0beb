"""AdvAI's toy-prior experiment: train R and D_R on samples of a prior, then measure the path.

Beside the mismatch measures it uses: lerp between two samples of a prior leaves the prior
(:mod:`.mismatch`); AdvAI's correction R (:mod:`aeai_lib.methods.advai.correction`) learns
to bend the path back. :func:`train_correction` trains R against its alpha regressor D_R on
samples of one of the toy priors of :mod:`aeai_lib.priors` (uniform, Gaussian, annulus, nine
circles, as in the authors' toy code), and :func:`distance_to_prior` measures how far any
interpolation's interpolants are from the prior: the number that says whether R helped
(``benchmarks/advai_priors.py`` prints it for lerp and AdvAI on every prior).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from aeai_lib.device import single_thread
from aeai_lib.evaluation.mismatch import histogram_distance_2d, interpolant_codes, mmd
from aeai_lib.interpolation import Interpolation
from aeai_lib.methods.advai.correction import (
    AlphaRegressor,
    CorrectionNetwork,
    CorrectionOptions,
    adversarial_losses,
)
from aeai_lib.methods.base import ADVERSARY_BETAS
from aeai_lib.priors import PRIORS, sample_prior
from aeai_lib.validation import check_alphas, check_choice, check_positive_int

MEASURES: tuple[str, ...] = ("mmd", "histogram")
"""The measures :func:`distance_to_prior` offers."""

STEPS = 3000
"""Default length of :func:`train_correction`: enough for every toy prior (see the benchmark)."""


@dataclass
class TrainedCorrection:
    """R and D_R trained on a toy prior, with the per-step loss history.

    Attributes:
        prior: the prior's name; dim: the latent size; options: as trained.
        correction: R (eval mode); ``correction.interpolate`` is the AdvAI interpolation.
        regressor: D_R (eval mode).
        history: ``{"correction": [...], "alpha_regressor": [...]}``, one value per step.
    """

    prior: str
    dim: int
    options: CorrectionOptions
    correction: CorrectionNetwork
    regressor: AlphaRegressor
    history: dict[str, list[float]] = field(default_factory=dict)


def _check_prior(prior: str, dim: int) -> None:
    check_choice("prior", prior, PRIORS)
    check_positive_int("dim", dim)


def train_correction(
    prior: str,
    dim: int,
    steps: int = STEPS,
    batch_size: int = 256,
    seed: int = 0,
    options: CorrectionOptions | None = None,
    lr: float = 1e-3,
) -> TrainedCorrection:
    """Train R and D_R adversarially on samples of a toy prior (CPU, deterministic in ``seed``).

    Each step draws ``batch_size`` pairs (z1, z2) and ``batch_size`` real codes from the prior,
    one alpha ~ U[0, 1] per pair, and takes one Adam step (rate ``lr``, betas (0.5, 0.999) as
    the library's adversaries) on R and on D_R simultaneously. ``seed`` sets the initial
    weights and every draw. It runs on one thread, a few ms a step: more threads gain nothing
    on networks this small and can cost 20x on a busy machine.

    Defaults: 3000 steps of 256 pairs bring every 2-D toy prior measurably closer than lerp on
    both measures of :func:`distance_to_prior` (benchmarks/advai_priors.py); 128 pairs left
    the nine circles unbalanced between discs for some seeds. Like any GAN the pair then
    oscillates rather than converges: the annulus is closest after a few hundred steps, the
    nine circles' discs need thousands.

    Args:
        prior: one of :data:`aeai_lib.priors.PRIORS`.
        dim: the latent size >= 1 (even for the planar priors).
        steps: optimiser steps >= 1; batch_size: pairs per step >= 2.
        options: architecture and losses (None: ``CorrectionOptions()``); lr: learning rate
            of both networks.

    Returns:
        R and D_R in eval mode with the per-step losses of both.
    """
    _check_prior(prior, dim)
    check_positive_int("steps", steps)
    check_positive_int("batch_size", batch_size, minimum=2)
    options = options if options is not None else CorrectionOptions()
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        correction, regressor = options.networks(dim)
    optimizers = [
        torch.optim.Adam(net.parameters(), lr=lr, betas=ADVERSARY_BETAS)
        for net in (correction, regressor)
    ]
    history: dict[str, list[float]] = {"correction": [], "alpha_regressor": []}
    with single_thread():
        for _ in range(steps):
            z1, z2, real = sample_prior(prior, 3 * batch_size, dim, generator).split(batch_size)
            alphas = torch.rand(batch_size, generator=generator)
            _, r_loss, d_loss = adversarial_losses(
                correction, regressor, z1, z2, alphas, real, options
            )
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            r_loss.backward(inputs=list(correction.parameters()), retain_graph=True)
            d_loss.backward(inputs=list(regressor.parameters()))
            for optimizer in optimizers:
                optimizer.step()
            history["correction"].append(r_loss.item())
            history["alpha_regressor"].append(d_loss.item())
    return TrainedCorrection(prior, dim, options, correction.eval(), regressor.eval(), history)


def prior_interpolants(
    interpolate: Interpolation,
    prior: str,
    dim: int,
    n: int = 2000,
    seed: int = 0,
    alphas: torch.Tensor | Sequence[float] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The two sets :func:`distance_to_prior` compares (same arguments, same draws).

    Returns:
        (interpolants, reference): float tensors (n * A, dim), the interpolants of ``n``
        prior codes paired cyclically at random, and as many fresh prior codes.
    """
    return _draw(interpolate, prior, dim, n, torch.Generator().manual_seed(seed), alphas)


def _draw(
    interpolate: Interpolation,
    prior: str,
    dim: int,
    n: int,
    generator: torch.Generator,
    alphas: torch.Tensor | Sequence[float] | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    _check_prior(prior, dim)
    check_positive_int("n", n, minimum=2)
    if alphas is None:
        alphas = (torch.arange(16) + torch.rand(16, generator=generator)) / 16
    alphas = check_alphas(alphas)
    codes = sample_prior(prior, n, dim, generator)
    with torch.no_grad():
        interpolants = interpolant_codes(codes, interpolate, alphas, generator)
    return interpolants, sample_prior(prior, len(interpolants), dim, generator)


def distance_to_prior(
    interpolate: Interpolation,
    prior: str,
    dim: int,
    n: int = 2000,
    seed: int = 0,
    measure: str = "mmd",
    alphas: torch.Tensor | Sequence[float] | None = None,
) -> float:
    """How far interpolants between prior samples are from fresh prior samples.

    Draws ``n`` prior codes, pairs them cyclically at random (each code is a source once and
    a target once, :func:`~aeai_lib.evaluation.mismatch.interpolant_codes`), interpolates every
    pair at every alpha, and compares the ``n * A`` interpolants with ``n * A`` new prior codes
    (the two sets :func:`prior_interpolants` returns, to draw them).

    Args:
        interpolate: ``f(z1 (N, D), z2 (N, D), alphas (A,)) -> (N, A, D)``.
        prior: one of :data:`aeai_lib.priors.PRIORS`; dim: its latent size >= 1.
        n: prior codes (= pairs) >= 2; seed: seeds every draw.
        measure: ``"mmd"`` (squared MMD, median-heuristic bandwidths, 2000 points per set,
            :func:`~aeai_lib.evaluation.mismatch.mmd`) or ``"histogram"`` (total variation
            between 40 x 40 histograms on [-1.5, 1.5]^2, in [0, 1]; needs dim = 2).
        alphas: the A alphas in [0, 1]; by default 16 stratified uniform draws, one in each
            of [k / 16, (k + 1) / 16), so the interpolants follow alpha ~ U[0, 1].

    Returns:
        the distance: near 0 for interpolants distributed like the prior, larger when not.
    """
    check_choice("measure", measure, MEASURES)
    if measure == "histogram" and dim != 2:
        raise ValueError(f"measure 'histogram' needs 2-D codes, got dim = {dim}; use 'mmd'")
    generator = torch.Generator().manual_seed(seed)
    interpolants, reference = _draw(interpolate, prior, dim, n, generator, alphas)
    if measure == "histogram":
        return histogram_distance_2d(interpolants, reference)
    return mmd(interpolants, reference, generator=generator)


def fresh_samples(prior: str, seed: int = 0) -> Interpolation:
    """An "interpolation" that ignores its endpoints and returns fresh samples of ``prior``.

    Its interpolants ARE prior samples, so :func:`distance_to_prior` of it is the noise
    floor of the measure: the distance a perfect interpolation would still score with this
    many points (see :func:`noise_floor`). Each call draws new samples from one generator
    seeded with ``seed``.
    """
    check_choice("prior", prior, PRIORS)
    generator = torch.Generator().manual_seed(seed)

    def interpolate(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
        n, dim = z1.shape
        draws = sample_prior(prior, n * len(alphas), dim, generator)
        return draws.reshape(n, len(alphas), dim)

    return interpolate


def noise_floor(
    prior: str, dim: int, n: int = 2000, seed: int = 0, measure: str = "mmd", floor_seed: int = 1
) -> float:
    """:func:`distance_to_prior` of :func:`fresh_samples` (seeded ``floor_seed``): what the
    measure reads for interpolants distributed exactly like the prior, with the same ``n``,
    ``seed`` and ``measure``. A histogram TV floor is positive (finite samples never fill
    two histograms alike); an MMD² floor scatters around 0, by about ±0.002 at n = 2000.
    """
    return distance_to_prior(fresh_samples(prior, floor_seed), prior, dim, n, seed, measure)
