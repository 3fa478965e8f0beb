"""Tests for aeai_lib.evaluation.mismatch: the latent mismatch measures and the analytic facts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aeai_lib.evaluation.mismatch import (
    empirical_interpolant_kl,
    gaussian_kl,
    gaussian_midpoint_kl,
    histogram_distance_2d,
    interpolant_codes,
    mmd,
    norm_stats,
)
from aeai_lib.priors import sample_prior


def lerp(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """(N, D), (N, D), (A,) -> (N, A, D); alpha 0 gives z1, alpha 1 gives z2."""
    a = alphas[None, :, None]
    return (1 - a) * z1[:, None] + a * z2[:, None]


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _gaussian(n: int, dim: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    return scale * sample_prior("gaussian", n, dim, _generator(seed))


# --- analytic KL -------------------------------------------------------------------------


def test_gaussian_midpoint_kl_numbers() -> None:
    per_dim = 0.5 * (math.log(2) - 0.5)
    assert per_dim == pytest.approx(0.0965736, abs=1e-7)
    for dim in (1, 2, 16, 64):
        assert gaussian_midpoint_kl(dim) == pytest.approx(per_dim * dim, rel=1e-12)
    assert gaussian_midpoint_kl(10, alpha=0.0) == 0.0
    assert gaussian_midpoint_kl(10, alpha=1.0) == 0.0
    # symmetric in alpha and largest at the midpoint
    assert gaussian_midpoint_kl(8, 0.25) == pytest.approx(gaussian_midpoint_kl(8, 0.75))
    assert gaussian_midpoint_kl(8, 0.25) < gaussian_midpoint_kl(8, 0.5)


@pytest.mark.parametrize(("dim", "alpha"), [(0, 0.5), (2, 1.5), (2, -0.1)])
def test_gaussian_midpoint_kl_errors(dim: int, alpha: float) -> None:
    with pytest.raises(ValueError):
        gaussian_midpoint_kl(dim, alpha)


# --- Gaussian-fit KL ---------------------------------------------------------------------


def test_gaussian_kl_of_identical_samples_is_zero() -> None:
    z = _gaussian(2000, 6, seed=1)
    assert gaussian_kl(z, z) == pytest.approx(0.0, abs=1e-9)


def test_gaussian_kl_of_independent_samples_is_small() -> None:
    assert 0.0 <= gaussian_kl(_gaussian(20000, 8, 1), _gaussian(20000, 8, 2)) < 0.01


def test_gaussian_kl_matches_the_scaled_gaussian_formula() -> None:
    dim = 8
    half_variance = _gaussian(20000, dim, seed=1, scale=math.sqrt(0.5))
    estimate = gaussian_kl(half_variance, _gaussian(20000, dim, seed=2))
    assert estimate == pytest.approx(gaussian_midpoint_kl(dim), rel=0.05)


def test_gaussian_kl_sees_a_mean_shift() -> None:
    shifted = _gaussian(20000, 4, seed=1) + torch.tensor([1.0, 0.0, 0.0, 0.0])
    # KL(N(mu, I) || N(0, I)) = ||mu||^2 / 2
    assert gaussian_kl(shifted, _gaussian(20000, 4, seed=2)) == pytest.approx(0.5, rel=0.05)


def test_gaussian_kl_errors() -> None:
    with pytest.raises(ValueError, match="same dimension"):
        gaussian_kl(_gaussian(10, 2, 0), _gaussian(10, 3, 0))
    with pytest.raises(ValueError, match="2-D"):
        gaussian_kl(torch.zeros(10), _gaussian(10, 1, 0))
    with pytest.raises(ValueError, match="singular"):
        gaussian_kl(_gaussian(10, 2, 0), torch.zeros(10, 2), ridge=0.0)


@pytest.mark.parametrize(("dim", "rel"), [(2, 0.1), (16, 0.05), (64, 0.05)])
def test_empirical_lerp_kl_tracks_the_analytic_value(dim: int, rel: float) -> None:
    estimate = empirical_interpolant_kl(dim, lerp, n=20000, generator=_generator(dim))
    assert estimate == pytest.approx(gaussian_midpoint_kl(dim), rel=rel)


def test_empirical_kl_checks_the_interpolation_shape() -> None:
    with pytest.raises(ValueError, match=r"\(N, A, D\)"):
        empirical_interpolant_kl(2, lambda z1, z2, a: z1, n=100, generator=_generator())


# --- norms and interpolant codes ---------------------------------------------------------


def test_lerp_midpoints_of_a_gaussian_prior_shrink_by_sqrt_two() -> None:
    dim = 64
    prior = _gaussian(4000, dim, seed=1)
    midpoints = interpolant_codes(prior, lerp, [0.5], _generator())
    prior_stats, mid_stats = norm_stats(prior), norm_stats(midpoints)
    assert prior_stats["mean"] == pytest.approx(math.sqrt(dim), rel=0.02)
    assert mid_stats["mean"] == pytest.approx(math.sqrt(dim / 2), rel=0.02)
    assert set(prior_stats) == {"mean", "std", "q05", "q25", "q50", "q75", "q95"}
    assert prior_stats["q05"] < prior_stats["q50"] < prior_stats["q95"]


def test_interpolant_codes_pairing() -> None:
    z = torch.arange(10.0)[:, None].repeat(1, 3)
    alphas = torch.tensor([0.0, 0.5, 1.0])
    codes = interpolant_codes(z, lerp, alphas, _generator(5)).reshape(10, 3, 3)
    assert torch.equal(codes[:, 0], z)  # alpha 0 keeps every code, in order
    targets = codes[:, 2, 0]
    assert sorted(targets.tolist()) == list(range(10))  # every code is a target once
    assert not torch.equal(targets, z[:, 0])  # and never its own partner
    assert (targets != z[:, 0]).all()
    again = interpolant_codes(z, lerp, alphas, _generator(5))
    assert torch.equal(again, codes.reshape(30, 3))


def test_norm_stats_needs_two_codes() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        norm_stats(torch.ones(1, 3))


# --- MMD ---------------------------------------------------------------------------------


def test_mmd_same_distribution_is_small_and_different_is_larger() -> None:
    x, y = _gaussian(800, 8, seed=1), _gaussian(800, 8, seed=2)
    same = mmd(x, y)
    different = mmd(_gaussian(800, 8, seed=3, scale=math.sqrt(0.5)), y)
    assert abs(same) < 0.005
    assert different > 0.03
    assert different > 10 * abs(same)


def test_mmd_is_deterministic_when_subsampling() -> None:
    x, y = _gaussian(600, 4, seed=1), _gaussian(700, 4, seed=2)
    first = mmd(x, y, max_points=300)
    assert first == mmd(x, y, max_points=300)
    assert first == mmd(x, y, max_points=300, generator=_generator(0))


def test_mmd_with_explicit_bandwidths() -> None:
    x, y = _gaussian(300, 2, seed=1), _gaussian(300, 2, seed=2) + 3.0
    assert mmd(x, y, bandwidths=[1.0]) > 0.5
    with pytest.raises(ValueError, match="positive"):
        mmd(x, y, bandwidths=[0.0])


def test_mmd_of_identical_points_needs_bandwidths() -> None:
    with pytest.raises(ValueError, match="pass bandwidths"):
        mmd(torch.ones(5, 2), torch.ones(5, 2))


# --- 2-D histogram distance --------------------------------------------------------------


def test_histogram_distance_2d() -> None:
    annulus = sample_prior("annulus", 4000, 2, _generator(1))
    circles = sample_prior("nine_circles", 4000, 2, _generator(2))
    assert histogram_distance_2d(annulus, annulus) == 0.0
    resampled = histogram_distance_2d(annulus, sample_prior("annulus", 4000, 2, _generator(3)))
    assert resampled > 0.0  # sampling noise only: well below the mismatches below
    assert resampled < 0.3
    assert histogram_distance_2d(annulus, circles) > 0.8
    assert histogram_distance_2d(annulus, circles) <= 1.0
    # lerp midpoints of the annulus fill its hole: a large mismatch
    midpoints = interpolant_codes(annulus, lerp, [0.5], _generator())
    assert histogram_distance_2d(annulus, midpoints) > 0.5


def test_histogram_distance_counts_points_outside_the_range() -> None:
    inside, outside = torch.zeros(10, 2), torch.full((10, 2), 5.0)
    assert histogram_distance_2d(inside, outside, range=(-1.0, 1.0)) == 1.0


def test_histogram_distance_errors() -> None:
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        histogram_distance_2d(torch.zeros(5, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="low < high"):
        histogram_distance_2d(torch.zeros(5, 2), torch.zeros(5, 2), range=(1.0, -1.0))


def test_numpy_numbers_are_accepted() -> None:
    """Issue #16, row 5's kind: numpy scalars count as numbers (dim, alpha, ridge)."""
    assert gaussian_midpoint_kl(np.int64(8), np.float32(0.25)) == gaussian_midpoint_kl(8, 0.25)
    z = sample_prior("gaussian", 50, 3, torch.Generator().manual_seed(0))
    assert gaussian_kl(z, z, ridge=np.float32(1e-6)) == pytest.approx(0.0, abs=1e-9)
