"""Latent priors as samplers: the toy distributions of the distribution-mismatch experiments.

``sample_prior(name, n, dim, generator)`` returns a float32 tensor (n, dim). The priors are:

- ``"uniform"``: every coordinate independent and uniform on [-1, 1].
- ``"gaussian"``: the standard normal N(0, I).
- ``"annulus"`` (AdvAI's "circle"): in the plane, a radius drawn *uniformly* from
  [0.8, 1.0] (so the density per unit area is higher near the inner edge) times a uniform
  direction.
- ``"nine_circles"``: in the plane, one of nine discs of radius 0.1 chosen with equal
  probability, centred on the 3x3 grid {-1, 0, 1}^2, and a point uniform over its area.

The two planar priors are defined on coordinate pairs: for ``dim`` > 2 each consecutive pair
(0, 1), (2, 3), ... is an independent draw of the 2-D prior, so ``dim`` must be even.
"""

from __future__ import annotations

import math

import torch

from aeai_lib.validation import check_choice, check_positive_int

PRIORS: tuple[str, ...] = ("uniform", "gaussian", "annulus", "nine_circles")
"""The prior names :func:`sample_prior` accepts."""

PAIRED_PRIORS: tuple[str, ...] = ("annulus", "nine_circles")
"""Priors defined on coordinate pairs: they need an even ``dim``."""

ANNULUS_RADII: tuple[float, float] = (0.8, 1.0)
"""Inner and outer radius of the annulus; the radius is uniform between them."""

NINE_CIRCLES_RADIUS: float = 0.1
"""Radius of each of the nine discs."""

NINE_CIRCLES_CENTRES: torch.Tensor = torch.tensor(
    [[x, y] for x in (-1.0, 0.0, 1.0) for y in (-1.0, 0.0, 1.0)]
)
"""The nine disc centres, (9, 2): the grid {-1, 0, 1}^2."""


def sample_prior(name: str, n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """Draw ``n`` codes of dimension ``dim`` from the prior ``name`` (one of :data:`PRIORS`).

    Args:
        name: the prior, see the module docstring for the definitions.
        n: number of samples, >= 1.
        dim: code dimension, >= 1; even for ``"annulus"`` and ``"nine_circles"``.
        generator: a CPU :class:`torch.Generator`; the same seed gives the same samples.

    Returns:
        float32 tensor (n, dim). ``"uniform"`` lies in [-1, 1], ``"annulus"`` has every
        coordinate pair at radius in [0.8, 1.0], ``"nine_circles"`` in [-1.1, 1.1];
        ``"gaussian"`` is unbounded.
    """
    check_choice("prior", name, PRIORS)
    check_positive_int("n", n)
    check_positive_int("dim", dim)
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator, got {type(generator).__name__}; "
            "pass torch.Generator().manual_seed(seed)"
        )
    if name in PAIRED_PRIORS and dim % 2:
        raise ValueError(
            f"prior {name!r} is defined on coordinate pairs, so dim must be even, got {dim}; "
            "use dim=2 (or another even dim), or the 'uniform' or 'gaussian' prior"
        )
    if name == "uniform":
        return torch.rand(n, dim, generator=generator) * 2.0 - 1.0
    if name == "gaussian":
        return torch.randn(n, dim, generator=generator)
    pairs = n * dim // 2
    if name == "annulus":
        inner, outer = ANNULUS_RADII
        radius = inner + (outer - inner) * torch.rand(pairs, generator=generator)
        points = radius[:, None] * _unit_directions(pairs, generator)
    else:
        centre = torch.randint(len(NINE_CIRCLES_CENTRES), (pairs,), generator=generator)
        # sqrt of a uniform radius fraction makes the point uniform over the disc's area
        radius = NINE_CIRCLES_RADIUS * torch.rand(pairs, generator=generator).sqrt()
        points = NINE_CIRCLES_CENTRES[centre] + radius[:, None] * _unit_directions(pairs, generator)
    return points.reshape(n, dim)


def _unit_directions(count: int, generator: torch.Generator) -> torch.Tensor:
    """Uniform directions in the plane: float32 (count, 2) unit vectors."""
    angle = 2.0 * math.pi * torch.rand(count, generator=generator)
    return torch.stack((angle.cos(), angle.sin()), dim=1)
