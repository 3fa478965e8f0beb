"""ACAI's "lines" benchmark (Berthelot et al. 2018): a line from the image centre at a random angle.

Each image is size x size (32 x 32 in ACAI), single channel: a line 2 pixels wide from the
image centre outward to the border (``size / 2 - 1`` pixels long plus its round cap, so
about half the image), at an angle measured counter-clockwise from +x (x to the right,
y up; row 0 is the top of the image). The line is drawn as a capsule (segment distance
minus a 1 pixel radius) with analytic anti-aliasing, ``clamp(0.5 - sdf / pixel, 0, 1)``.

Value range: ACAI's own images lie in [-1, 1] (background -1, line +1). Every model in this
library sees images in [0, 1], so :func:`render` returns background 0 and line 1, and
:func:`to_acai_range` maps them back with ``2 x - 1``. The benchmark's Mean Distance (cosine
distance to the nearest true line) must be computed in ACAI's [-1, 1] range to be comparable
with ACAI's numbers: cosine distance does not survive the shift ``2 x - 1`` (in [-1, 1] the
shared background of -1 counts as agreement, so distances are much smaller than in [0, 1]).
"""

from __future__ import annotations

import math

import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.data.cache import CacheDir, cached
from aeai_lib.validation import Angles, as_angles, check_positive_int, check_size

HALF_WIDTH = 1.0
"""Half the line's width in pixels (ACAI: 2 pixels wide)."""
RENDERER_VERSION = 1
"""Bump when the images change: the dataset cache is keyed on it."""
_PIXELS_PER_CHUNK = 1 << 18


def _render_chunk(angle: torch.Tensor, size: int) -> torch.Tensor:
    """Render radian angles (N,) into (N, 1, size, size) float32 line coverage in [0, 1].

    float32 is exact enough here (coordinates are at most 256 pixels) and much faster.
    """
    centres = torch.arange(size, dtype=torch.float32) + 0.5 - size / 2
    x = centres.view(1, 1, size)
    y = -centres.view(1, size, 1)
    cos_a = angle.cos().float().view(-1, 1, 1)
    sin_a = angle.sin().float().view(-1, 1, 1)
    along = (x * cos_a + y * sin_a).clamp_(0.0, size / 2 - HALF_WIDTH)
    sdf = torch.hypot(x - along * cos_a, y - along * sin_a).sub_(HALF_WIDTH)
    return sdf.neg_().add_(0.5).clamp_(0.0, 1.0).unsqueeze(1)


def render(angle_rad: Angles, size: int = 32) -> torch.Tensor:
    """Render lines from the image centre at angles ``angle_rad``.

    Args:
        angle_rad: angle(s) in radians, counter-clockwise from +x; any finite real (wraps
            modulo 2 pi): a number, or a 1-D list, numpy array or tensor of length N.
        size: image height and width in pixels, an int in [16, 512] (ACAI: 32).

    Returns:
        float32 tensor (N, 1, size, size) in [0, 1]: background 0, line 1
        (see :func:`to_acai_range` for ACAI's [-1, 1]).
    """
    check_size(size)
    angle = torch.remainder(as_angles(angle_rad, "angle_rad").reshape(-1), 2 * math.pi)
    chunk = max(1, _PIXELS_PER_CHUNK // (size * size))
    images = [
        _render_chunk(angle[start : start + chunk], size) for start in range(0, len(angle), chunk)
    ]
    if not images:
        return torch.empty(0, 1, size, size)
    return torch.cat(images)


def to_acai_range(images: torch.Tensor) -> torch.Tensor:
    """Map images from this library's [0, 1] to ACAI's [-1, 1]: ``2 x - 1`` (same shape)."""
    return 2.0 * images - 1.0


def dataset(
    size: int = 32,
    n_train: int = 20000,
    n_test: int = 5000,
    seed: int = 0,
    *,
    cache_dir: CacheDir = None,
) -> ImageDataset:
    """Random lines: angles uniform in [0, 2 pi) from a generator seeded with ``seed``.

    The first ``n_train`` images are the training set, the last ``n_test`` the test set.
    The images go through :func:`aeai_lib.data.cache.cached` (``cache_dir`` as there).

    Returns:
        ImageDataset named "lines": images float32 (n_train + n_test, 1, size, size) in [0, 1],
        params float64 (N, 1) = the angle in radians (period 2 pi).
    """
    check_size(size)
    check_positive_int("n_train", n_train)
    check_positive_int("n_test", n_test)
    check_positive_int("seed", seed, minimum=0)
    total = n_train + n_test

    def build() -> dict[str, torch.Tensor]:
        generator = torch.Generator().manual_seed(seed)
        angles = torch.rand(total, generator=generator, dtype=torch.float64) * (2 * math.pi)
        return {"images": render(angles, size), "params": angles.unsqueeze(1)}

    key = {
        "renderer": RENDERER_VERSION,
        "size": size,
        "n_train": n_train,
        "n_test": n_test,
        "seed": seed,
    }
    tensors = cached("lines", key, build, cache_dir=cache_dir)
    return ImageDataset(
        name="lines",
        images=tensors["images"],
        params=tensors["params"],
        param_names=("angle",),
        param_periods=(2 * math.pi,),
        train_idx=torch.arange(n_train),
        test_idx=torch.arange(n_train, total),
    )
