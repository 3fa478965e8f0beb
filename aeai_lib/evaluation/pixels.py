"""Images as pixels: per-image distances, and 8-bit RGB for showing them.

Images are float tensors (..., C, H, W) with values in [0, 1]; every distance is taken over
the last three dimensions, in float64:

* ``pixel_mse(x, y)`` = mean over the C * H * W pixels of (x - y)^2;
* ``pixel_l2(x, y)`` = sqrt of the sum over the C * H * W pixels of (x - y)^2.

And the interpolation that needs no model, the pixel cross-fade :func:`cross_fade`.
"""

from __future__ import annotations

import numpy as np
import torch


def pixel_mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image MSE of images of one shape (..., C, H, W) -> float64 (...), e.g. decoded and
    true paths (P, A, C, H, W) -> (P, A).

    Raises:
        ValueError: the two shapes differ.
    """
    if x.shape != y.shape:
        raise ValueError(
            f"the two sets of images differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}; "
            "compare images one to one (e.g. decoded and true paths of the same pairs)"
        )
    return (x.double() - y.double()).square().flatten(-3).mean(dim=-1)


def cross_fade(sources: torch.Tensor, targets: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """The pixel cross-fade ``(1 - a) x_i + a x_j``: the baseline every interpolation must beat.

    It meets the boundary conditions exactly and moves at constant speed, but each in-between
    image is a double exposure of the two endpoints.

    Args:
        sources, targets: images (P, C, H, W) of one shape, x_i and x_j of P pairs.
        alphas: (A,) coefficients (0 gives the source, 1 the target).

    Returns:
        (P, A, C, H, W) in the images' dtype.

    Raises:
        ValueError: sources and targets of different shapes, or alphas that are not 1-D.
    """
    if sources.shape != targets.shape or sources.dim() != 4:
        raise ValueError(
            f"sources and targets must be (P, C, H, W) of one shape, got {tuple(sources.shape)} "
            f"and {tuple(targets.shape)}"
        )
    if alphas.dim() != 1:
        raise ValueError(f"alphas must be 1-D (A,), got shape {tuple(alphas.shape)}")
    a = alphas.to(sources.dtype).reshape(1, -1, 1, 1, 1)
    return (1 - a) * sources.unsqueeze(1) + a * targets.unsqueeze(1)


def pixel_l2(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image l2 distance of broadcastable images (..., C, H, W) -> float64 (...)."""
    return (x.double() - y.double()).flatten(-3).norm(dim=-1)


def to_rgb_uint8(images: torch.Tensor) -> np.ndarray:
    """Images (..., C, H, W) in [0, 1] with C = 1 or 3 -> uint8 RGB (..., H, W, 3) on the CPU.

    Values outside [0, 1] are clipped; a single channel is repeated as grey.
    """
    pixels = images.detach().float().cpu().clamp(0, 1)
    if pixels.shape[-3] == 1:
        pixels = pixels.expand(*pixels.shape[:-3], 3, *pixels.shape[-2:])
    return (pixels * 255).round().to(torch.uint8).movedim(-3, -1).numpy()
