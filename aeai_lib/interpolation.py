"""Interpolation in latent space, batched over pairs and over a grid of alphas.

Every interpolation has the same signature::

    interpolate(z1: (N, D), z2: (N, D), alphas: (A,)) -> (N, A, D)

with alpha = 0 giving the source ``z1`` and alpha = 1 the target ``z2`` (AEAI's convention;
AdvAI's paper writes the opposite, a z1 + (1 - a) z2, and this library converts it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from aeai_lib.validation import check_alphas, check_choice

Interpolation = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def alpha_grid(m: int) -> torch.Tensor:
    """The M + 1 evenly spaced alphas n / M, n = 0..M, as a float32 tensor (M + 1,)."""
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"M (the number of grid intervals) must be an integer >= 1, got {m!r}")
    return torch.arange(m + 1, dtype=torch.float32) / m


def _prepare(
    z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor | Iterable[float] | float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate the pair batches and return (z1, z2, alphas shaped (1, A, 1))."""
    for name, codes in (("z1", z1), ("z2", z2)):
        if not isinstance(codes, torch.Tensor) or codes.dim() != 2:
            raise ValueError(f"{name} must be a 2-D tensor (N, D) of codes")
    if z1.shape != z2.shape:
        raise ValueError(
            f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    alphas = check_alphas(alphas).to(device=z1.device, dtype=z1.dtype)
    return z1, z2, alphas.reshape(1, -1, 1)


def lerp(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """Linear interpolation (1 - a) z1 + a z2: (N, D), (N, D), (A,) -> (N, A, D)."""
    z1, z2, a = _prepare(z1, z2, alphas)
    return (1 - a) * z1.unsqueeze(1) + a * z2.unsqueeze(1)


def slerp(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (White 2016): (N, D), (N, D), (A,) -> (N, A, D).

    sin((1 - a) W) / sin(W) z1 + sin(a W) / sin(W) z2, W the angle between z1 and z2.
    Where W is (nearly) 0 or pi the formula is unstable, and lerp is returned instead.
    """
    z1, z2, a = _prepare(z1, z2, alphas)
    cosine = torch.nn.functional.cosine_similarity(z1, z2, dim=1, eps=1e-12).clamp(-1, 1)
    omega = torch.arccos(cosine).reshape(-1, 1, 1)
    sin_omega = torch.sin(omega)
    stable = sin_omega.abs() > 1e-4
    safe_sin = torch.where(stable, sin_omega, torch.ones_like(sin_omega))
    w1 = torch.where(stable, torch.sin((1 - a) * omega) / safe_sin, 1 - a)
    w2 = torch.where(stable, torch.sin(a * omega) / safe_sin, a)
    return w1 * z1.unsqueeze(1) + w2 * z2.unsqueeze(1)


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
