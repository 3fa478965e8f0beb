"""Tests for aeai_lib.priors: shapes, sample statistics, determinism and errors."""

from __future__ import annotations

import math

import pytest
import torch

from aeai_lib.priors import (
    ANNULUS_RADII,
    NINE_CIRCLES_CENTRES,
    NINE_CIRCLES_RADIUS,
    PRIORS,
    sample_prior,
)


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", PRIORS)
@pytest.mark.parametrize("dim", [2, 8])
def test_shape_and_dtype(name: str, dim: int) -> None:
    z = sample_prior(name, 50, dim, _generator())
    assert z.shape == (50, dim)
    assert z.dtype == torch.float32
    assert torch.isfinite(z).all()


@pytest.mark.parametrize("name", PRIORS)
def test_same_seed_same_samples(name: str) -> None:
    first = sample_prior(name, 100, 4, _generator(3))
    assert torch.equal(first, sample_prior(name, 100, 4, _generator(3)))
    assert not torch.equal(first, sample_prior(name, 100, 4, _generator(4)))


def test_uniform_statistics() -> None:
    z = sample_prior("uniform", 20000, 3, _generator())
    assert z.min() >= -1.0 and z.max() <= 1.0
    assert z.min() < -0.99 and z.max() > 0.99
    assert z.mean(dim=0).abs().max() < 0.03
    assert torch.allclose(z.var(dim=0), torch.full((3,), 1 / 3), atol=0.02)


def test_gaussian_statistics() -> None:
    z = sample_prior("gaussian", 20000, 5, _generator())
    assert z.mean(dim=0).abs().max() < 0.03
    assert torch.allclose(z.std(dim=0), torch.ones(5), atol=0.03)


@pytest.mark.parametrize("dim", [2, 6])
def test_annulus_radii_within_bounds(dim: int) -> None:
    inner, outer = ANNULUS_RADII
    pairs = sample_prior("annulus", 5000, dim, _generator()).reshape(-1, 2)
    radius = pairs.norm(dim=1)
    assert radius.min() >= inner - 1e-6 and radius.max() <= outer + 1e-6
    # radius uniform in [inner, outer]: mean at the midpoint, both halves populated
    assert abs(radius.mean().item() - (inner + outer) / 2) < 0.005
    angle = torch.atan2(pairs[:, 1], pairs[:, 0])
    counts = torch.histc(angle, bins=4, min=-math.pi, max=math.pi)
    assert (counts / len(angle) - 0.25).abs().max() < 0.03


@pytest.mark.parametrize("dim", [2, 4])
def test_nine_circles_points_near_one_of_the_centres(dim: int) -> None:
    pairs = sample_prior("nine_circles", 9000, dim, _generator()).reshape(-1, 2)
    distance, nearest = torch.cdist(pairs, NINE_CIRCLES_CENTRES).min(dim=1)
    assert distance.max() <= NINE_CIRCLES_RADIUS + 1e-6
    counts = torch.bincount(nearest, minlength=9).double() / len(nearest)
    assert (counts - 1 / 9).abs().max() < 0.02
    # uniform over each disc's area: half the points lie within radius / sqrt(2)
    inside = (distance < NINE_CIRCLES_RADIUS / math.sqrt(2)).double().mean().item()
    assert abs(inside - 0.5) < 0.03


def test_unknown_prior_lists_choices() -> None:
    with pytest.raises(ValueError, match="unknown prior 'laplace'.*annulus.*gaussian"):
        sample_prior("laplace", 10, 2, _generator())


@pytest.mark.parametrize(("n", "dim"), [(0, 2), (10, 0), (-1, 2)])
def test_counts_must_be_positive(n: int, dim: int) -> None:
    with pytest.raises(ValueError, match=">= 1"):
        sample_prior("gaussian", n, dim, _generator())


@pytest.mark.parametrize("name", ["annulus", "nine_circles"])
def test_planar_priors_need_even_dim(name: str) -> None:
    with pytest.raises(ValueError, match="dim must be even, got 3"):
        sample_prior(name, 10, 3, _generator())


def test_generator_must_be_a_generator() -> None:
    with pytest.raises(TypeError, match="torch.Generator"):
        sample_prior("gaussian", 10, 2, 0)  # type: ignore[arg-type]
