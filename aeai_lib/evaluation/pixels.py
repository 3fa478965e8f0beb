"""Images as pixels: per-image distances, and 8-bit RGB for showing them.

Images are float tensors (..., C, H, W) with values in [0, 1]; every distance is taken over
the last three dimensions, in float64:

* ``pixel_mse(x, y)`` = mean over the C * H * W pixels of (x - y)^2;
* ``pixel_l2(x, y)`` = sqrt of the sum over the C * H * W pixels of (x - y)^2.
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
