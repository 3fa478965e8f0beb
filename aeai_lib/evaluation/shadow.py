"""Where the shadow of a pole image lies: a direction profile, to measure ghosting.

A faithful interpolant of two pole images 80 degrees of azimuth apart has ONE shadow, turned
halfway between the endpoints' shadows; a cross-fade has two half-dark shadows along the
endpoints' directions (a double exposure). :func:`shadow_profile` splits an image's shadow
darkness by direction around the pole; :func:`share_near` reads off how much of it lies near a
given direction. Notebook 02 measures ghosting with both.

Geometry (:mod:`aeai_lib.data.pole`): the image spans [-1, 1]^2 with x to the right and y up,
the pole stands at the centre, and a light at azimuth phi throws the shadow towards
``(phi + 180) mod 360`` degrees, counter-clockwise from +x (:func:`shadow_direction`).
"""

from __future__ import annotations

import torch

from aeai_lib.data.pole import RADIUS

RING = (RADIUS + 0.04, 0.95)
"""Inner and outer radius (image half-widths) of the ring the profile reads: just outside the
pole's dome (radius RADIUS = 0.12), which is lit, not shadowed, out to near the border."""
BINS = 72
"""Default number of direction bins: 5 degrees each."""


def shadow_direction(phi: torch.Tensor) -> torch.Tensor:
    """The direction (degrees in [0, 360)) a light at azimuth ``phi`` (degrees) casts the shadow."""
    return (phi + 180.0) % 360.0


def shadow_profile(images: torch.Tensor, bins: int = BINS) -> torch.Tensor:
    """Share of each image's shadow darkness in each of ``bins`` directions around the pole.

    Darkness is how far a pixel's grey level lies below the lit ground's (the image's median:
    most pixels are lit ground), on the ring :data:`RING` around the pole; bin k covers the
    directions ``[k, k + 1) * 360 / bins`` degrees, counter-clockwise from +x.

    Args:
        images: (N, C, H, W) pole images in [0, 1], square, the pole at the centre.
        bins: number of direction bins (>= 1).

    Returns:
        (N, bins) float, each row summing to 1 (a row of zeros for an image with no darkness).

    Raises:
        ValueError: images that are not (N, C, H, W) and square, or ``bins`` < 1.
    """
    if images.dim() != 4 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"images must be (N, C, H, W) and square, got {tuple(images.shape)}")
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    size = images.shape[-1]
    centres = (torch.arange(size, dtype=images.dtype) + 0.5) * 2 / size - 1
    y, x = torch.meshgrid(-centres, centres, indexing="ij")  # row 0 is y = +1
    radius = x.hypot(y)
    ring = ((radius > RING[0]) & (radius < RING[1])).to(images.dtype)
    grey = images.mean(dim=-3)
    lit = grey.flatten(1).median(dim=1).values.reshape(-1, 1, 1)
    darkness = ((lit - grey).clamp(min=0) * ring).flatten(1)
    direction = (torch.rad2deg(torch.atan2(y, x)) % 360).flatten()
    index = (direction // (360 / bins)).long().clamp(max=bins - 1)
    profile = torch.zeros(len(images), bins, dtype=images.dtype).index_add_(1, index, darkness)
    return profile / profile.sum(dim=1, keepdim=True).clamp_min(torch.finfo(images.dtype).tiny)


def share_near(
    profile: torch.Tensor, directions: torch.Tensor, width: float = 20.0
) -> torch.Tensor:
    """Share of each profile within ``width`` degrees either side of its direction.

    Args:
        profile: (N, bins) from :func:`shadow_profile`.
        directions: (N,) degrees, one per profile (any real value; taken modulo 360).
        width: half-width of the window in degrees, > 0.

    Returns:
        (N,) shares in [0, 1]: 1 when all the darkness lies in the window.
    """
    if profile.dim() != 2 or directions.shape != (profile.shape[0],):
        raise ValueError(
            f"profile must be (N, bins) and directions (N,), got {tuple(profile.shape)} and "
            f"{tuple(directions.shape)}"
        )
    if not width > 0:
        raise ValueError(f"width must be > 0 degrees, got {width}")
    bins = profile.shape[1]
    centres = (torch.arange(bins, dtype=profile.dtype) + 0.5) * 360 / bins
    gap = (centres.reshape(1, -1) - directions.to(profile.dtype).reshape(-1, 1) + 180) % 360 - 180
    return (profile * (gap.abs() <= width)).sum(dim=1)
