"""Interpolation in latent space, batched over pairs and over a grid of alphas.

Every interpolation has the same signature::

    interpolate(z1: (N, D), z2: (N, D), alphas: (A,)) -> (N, A, D)

with alpha = 0 giving the source ``z1`` and alpha = 1 the target ``z2`` (AEAI's convention;
AdvAI's paper writes the opposite, a z1 + (1 - a) z2, and this library converts it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch

from aeai_lib.validation import as_codes, check_alphas, check_choice, check_positive_int

Interpolation = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def alpha_grid(m: int) -> torch.Tensor:
    """The M + 1 evenly spaced alphas n / M, n = 0..M, as a float32 tensor (M + 1,).

    ``m`` is an integer >= 1 of any integral type (int, numpy integer).
    """
    m = check_positive_int("M (the number of grid intervals)", m)
    return torch.arange(m + 1, dtype=torch.float32) / m


def _prepare(
    z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor | Iterable[float] | float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate the pair batches; return (z1, z2, alphas shaped (1, A, 1)) in one float dtype
    (the wider of the two codes' dtypes; integer codes become float32)."""
    z1, z2 = as_codes(z1, "z1"), as_codes(z2, "z2")
    if z1.shape != z2.shape:
        raise ValueError(
            f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if z1.device != z2.device:
        raise ValueError(
            f"z1 is on {z1.device} but z2 on {z2.device}; move both to one device with .to(...)"
        )
    dtype = torch.promote_types(z1.dtype, z2.dtype)
    alphas = check_alphas(alphas).to(device=z1.device, dtype=dtype)
    return z1.to(dtype), z2.to(dtype), alphas.reshape(1, -1, 1)


def lerp(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """Linear interpolation (1 - a) z1 + a z2: (N, D), (N, D), (A,) -> (N, A, D)."""
    z1, z2, a = _prepare(z1, z2, alphas)
    return (1 - a) * z1.unsqueeze(1) + a * z2.unsqueeze(1)


def angle_between(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """The angle in radians, in [0, pi], between paired codes (N, D), (N, D) -> float64 (N,).

    Computed in float64 as 2 atan2(|u - v|, |u + v|) of the unit vectors u, v (Kahan's
    formula), which stays accurate near 0 and pi where arccos of the cosine does not: in
    float32, arccos turns a rounding error of 1e-7 in the cosine of antiparallel codes into
    an angle 3e-4 short of pi. NaN where either code is zero (no direction).
    """
    z1, z2 = z1.double(), z2.double()
    n1, n2 = z1.norm(dim=1, keepdim=True), z2.norm(dim=1, keepdim=True)
    u, v = z1 / n1, z2 / n2
    return 2 * torch.atan2((u - v).norm(dim=1), (u + v).norm(dim=1))


SLERP_MIN_ANGLE = 1e-3
"""Radians (about 0.06 degrees). :func:`slerp` returns lerp for pairs whose angle is within
this of 0 ((near-)identical directions) or of pi ((near-)antiparallel codes), or with a zero
code. There the slerp formula divides by sin(angle) ~ 0: for antiparallel codes the great
circle is not defined at all, and for codes of unequal norm the formula's midpoint grows as
1 / (pi - angle), e.g. 1000 times longer than either code for (z, -2 z) in float32. Above
the threshold the weights are at most 1000, so float32 rounding stays below 1e-4 relative."""


def slerp(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (White 2016): (N, D), (N, D), (A,) -> (N, A, D).

    sin((1 - a) W) / sin(W) z1 + sin(a W) / sin(W) z2, W the angle between z1 and z2
    (:func:`angle_between`, computed in float64 whatever the codes' dtype).

    Lerp fallback: where W is within :data:`SLERP_MIN_ANGLE` of 0 or pi ((near-)identical
    or (near-)antiparallel codes, e.g. (z, 2 z) or (z, -c z) for any c > 0), or either code
    is zero, the pair is interpolated with lerp, (1 - a) z1 + a z2, whose points stay between
    the two codes (for (z, -c z) it passes through the origin).
    """
    z1, z2, a = _prepare(z1, z2, alphas)
    omega = angle_between(z1, z2).reshape(-1, 1, 1)
    a64 = a.double()
    stable = (omega > SLERP_MIN_ANGLE) & (omega < math.pi - SLERP_MIN_ANGLE)  # False for NaN
    safe_omega = torch.where(stable, omega, torch.ones_like(omega))
    w1 = torch.where(stable, torch.sin((1 - a64) * safe_omega) / torch.sin(safe_omega), 1 - a64)
    w2 = torch.where(stable, torch.sin(a64 * safe_omega) / torch.sin(safe_omega), a64)
    return w1.to(z1.dtype) * z1.unsqueeze(1) + w2.to(z1.dtype) * z2.unsqueeze(1)


def normalized_lerp(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """Distribution-preserving lerp (Agustsson et al. 2019): (N, D), (N, D), (A,) -> (N, A, D).

    ((1 - a) z1 + a z2) / sqrt((1 - a)^2 + a^2). For independent z1, z2 ~ N(0, I) the result
    is again N(0, I) for every a, so the interpolants match a Gaussian prior exactly.
    """
    _, _, a = _prepare(z1, z2, alphas)
    return lerp(z1, z2, alphas) / torch.sqrt((1 - a) ** 2 + a**2)


INTERPOLATIONS: dict[str, Interpolation] = {
    "lerp": lerp,
    "slerp": slerp,
    "normalized": normalized_lerp,
}


def get_interpolation(name: str) -> Interpolation:
    """Look up an interpolation by name: one of ``INTERPOLATIONS``."""
    check_choice("interpolation", name, INTERPOLATIONS)
    return INTERPOLATIONS[name]
