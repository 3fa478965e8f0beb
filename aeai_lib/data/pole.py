"""Procedural renderer of AEAI's "pole" dataset: a vertical pole on a ground lit by one light.

The paper rendered this scene in Unity and did not publish it; this module re-creates its
parameterisation and, unlike the paper, renders the exact image for ANY continuous
(theta, phi), so an interpolant can be compared with its true in-between image.

Scene (everything in world units; the image spans [-1, 1]^2 with x to the right and y up,
so row 0 of an image is y = +1 and column 0 is x = -1):

- camera: orthographic, looking straight down; the pole's base is at the image centre;
- light: directional, at elevation ``theta`` above the ground and azimuth ``phi`` measured
  counter-clockwise from +x; its unit direction (towards the light) is
  ``L = (cos theta cos phi, cos theta sin phi, sin theta)``;
- ground: albedo :data:`GROUND_RGB`, Lambertian: ``AMBIENT + (1 - AMBIENT) sin theta``;
- shadow: the pole (radius :data:`RADIUS`, height :data:`HEIGHT`) throws a capsule of radius
  :data:`RADIUS` from the base AWAY from the light, of length ``HEIGHT / tan(theta)``
  (= 0.7 at theta = 45, so it stays inside the image; lengths beyond :data:`MAX_SHADOW`
  leave the image anyway and are clipped so that theta = 0 stays finite). Inside it the
  ground gets the ambient term only;
- pole top: seen from above, a hemispherical dome of radius :data:`RADIUS` with albedo
  :data:`POLE_RGB`, shaded ``AMBIENT + (1 - AMBIENT) max(0, n . L)`` with the hemisphere's
  normal ``n``: its bright side faces the light (phi) and the highlight moves from the rim
  (low theta) towards the centre (high theta).

What each angle changes: phi rotates the shadow and the dome's highlight about the centre;
theta sets the shadow's length, the ground's brightness and the highlight's distance
from the dome's centre.

Edges are anti-aliased with analytic coverage ``clamp(0.5 - sdf / pixel_width, 0, 1)`` from
signed distance functions, so an image is a continuous function of (theta, phi): a
sub-degree change of either angle changes the image a little, never a jump.
"""

from __future__ import annotations

import torch

from aeai_lib.data.base import ImageDataset, random_split
from aeai_lib.data.cache import CacheDir, cached
from aeai_lib.validation import Angles, as_angles, check_positive_int, check_size

THETAS: tuple[int, ...] = tuple(range(45, 81, 5))
"""The dataset's light elevations in degrees: 45, 50, ..., 80 (8 values)."""
PHIS: tuple[int, ...] = tuple(range(0, 360, 5))
"""The dataset's light azimuths in degrees: 0, 5, ..., 355 (72 values)."""

HEIGHT = 0.7
"""Pole height in world units: the shadow is HEIGHT / tan(theta) long (0.7 at theta = 45)."""
RADIUS = 0.12
"""Pole radius in world units (the dome's radius and the shadow's half width)."""
MAX_SHADOW = 2.0
"""Shadow lengths are clipped here: beyond the image corner (sqrt 2 + RADIUS) nothing changes."""
AMBIENT = 0.25
"""Fraction of the albedo seen without direct light (in the shadow, on the dome's dark side)."""
GROUND_RGB = (0.62, 0.74, 0.46)
"""Ground albedo (a grass green)."""
POLE_RGB = (0.95, 0.38, 0.18)
"""Pole albedo (an orange red)."""

RENDERER_VERSION = 1
"""Bump when the images change: the dataset cache is keyed on it."""
_PIXELS_PER_CHUNK = 1 << 19


def _broadcast(first: torch.Tensor, second: torch.Tensor, names: str) -> list[torch.Tensor]:
    """Broadcast two 0-D/1-D angle tensors to one 1-D length, or raise for mismatched lengths."""
    first, second = first.reshape(-1), second.reshape(-1)
    if len(first) != len(second) and 1 not in (len(first), len(second)):
        raise ValueError(
            f"{names} have different lengths ({len(first)} and {len(second)}); pass one "
            "number for either, or two sequences of the same length"
        )
    return list(torch.broadcast_tensors(first, second))


def _coverage(sdf: torch.Tensor, pixel_width: float) -> torch.Tensor:
    """Analytic anti-aliasing: the fraction of a pixel inside the shape with signed distance sdf."""
    return (0.5 - sdf / pixel_width).clamp(0.0, 1.0)


def _render_chunk(theta: torch.Tensor, phi: torch.Tensor, size: int) -> torch.Tensor:
    """Render radian angles theta, phi (N,) float64 into (N, 3, size, size) float64 in [0, 1]."""
    pixel_width = 2.0 / size
    centres = -1.0 + pixel_width * (torch.arange(size, dtype=torch.float64) + 0.5)
    x = centres.view(1, 1, size)
    y = centres.flip(0).view(1, size, 1)
    cos_t, sin_t = theta.cos().view(-1, 1, 1), theta.sin().view(-1, 1, 1)
    cos_p, sin_p = phi.cos().view(-1, 1, 1), phi.sin().view(-1, 1, 1)

    # Shadow: capsule from the base (0, 0) to tip = -length * (cos phi, sin phi).
    length = (HEIGHT * cos_t / sin_t).clamp(max=MAX_SHADOW)  # sin theta = 0 gives inf -> clipped
    along = (-(x * cos_p + y * sin_p) / length).clamp(0.0, 1.0) * length
    shadow_sdf = torch.hypot(x + along * cos_p, y + along * sin_p) - RADIUS
    in_shadow = _coverage(shadow_sdf, pixel_width).unsqueeze(1)

    # Dome: hemisphere normal n = (x / r, y / r, sqrt(1 - rho^2 / r^2)), Lambertian with L.
    rho = torch.hypot(x, y)
    nx, ny = x / RADIUS, y / RADIUS
    nz = (1.0 - (rho / RADIUS) ** 2).clamp(min=0.0).sqrt()
    n_dot_l = (nx * cos_t * cos_p + ny * cos_t * sin_p + nz * sin_t).clamp(min=0.0)
    on_dome = _coverage(rho - RADIUS, pixel_width).unsqueeze(1)

    ground = torch.tensor(GROUND_RGB, dtype=torch.float64).view(1, 3, 1, 1)
    pole = torch.tensor(POLE_RGB, dtype=torch.float64).view(1, 3, 1, 1)
    lit_ground = ground * (AMBIENT + (1.0 - AMBIENT) * sin_t.unsqueeze(1))
    floor = lit_ground + (ground * AMBIENT - lit_ground) * in_shadow
    dome = pole * (AMBIENT + (1.0 - AMBIENT) * n_dot_l.unsqueeze(1))
    return floor + (dome - floor) * on_dome


def render(theta_deg: Angles, phi_deg: Angles, size: int = 64) -> torch.Tensor:
    """Render pole images for light elevations ``theta_deg`` and azimuths ``phi_deg``.

    Args:
        theta_deg: light elevation(s) in degrees, in [0, 90): a number, or a 1-D list, numpy
            array or tensor of length N.
        phi_deg: light azimuth(s) in degrees, counter-clockwise from +x; any finite real
            (wraps modulo 360). A single number broadcasts against a 1-D ``theta_deg``
            and vice versa.
        size: image height and width in pixels, an int in [16, 512].

    Returns:
        float32 tensor (N, 3, size, size) of RGB values in [0, 1] (N = 1 for two numbers).
    """
    check_size(size)
    theta, phi = _broadcast(
        as_angles(theta_deg, "theta_deg"), as_angles(phi_deg, "phi_deg"), "theta_deg and phi_deg"
    )
    if len(theta) and (theta.min() < 0 or theta.max() >= 90):
        raise ValueError(
            f"theta_deg must lie in [0, 90) degrees (the light's elevation above the ground), got "
            f"range [{theta.min().item():.4g}, {theta.max().item():.4g}]; use angles from 0 up to, "
            "not including, 90"
        )
    theta, phi = torch.deg2rad(theta), torch.deg2rad(torch.remainder(phi, 360.0))
    chunk = max(1, _PIXELS_PER_CHUNK // (size * size))
    images = [
        _render_chunk(theta[start : start + chunk], phi[start : start + chunk], size)
        for start in range(0, len(theta), chunk)
    ]
    if not images:
        return torch.empty(0, 3, size, size)
    return torch.cat(images).clamp(0.0, 1.0).float()


def grid() -> torch.Tensor:
    """The dataset's (theta, phi) grid in degrees, float64 (576, 2), theta-major."""
    thetas = torch.tensor(THETAS, dtype=torch.float64)
    phis = torch.tensor(PHIS, dtype=torch.float64)
    return torch.cartesian_prod(thetas, phis)


def dataset(size: int = 64, seed: int = 0, *, cache_dir: CacheDir = None) -> ImageDataset:
    """The 576-image pole dataset (theta 45..80 x phi 0..355, 5 degree steps) with an 80/20 split.

    Images are ordered theta-major: the 72 azimuths of theta = 45, then those of theta = 50, ...
    ``params`` holds (theta, phi) in degrees; phi has period 360. ``seed`` only sets the
    split. The images go through :func:`aeai_lib.data.cache.cached` (``cache_dir`` as there).

    Returns:
        ImageDataset named "pole": images float32 (576, 3, size, size) in [0, 1],
        params float64 (576, 2), 461 training and 115 test indices.
    """
    check_size(size)
    check_positive_int("seed", seed, minimum=0)

    def build() -> dict[str, torch.Tensor]:
        params = grid()
        return {"images": render(params[:, 0], params[:, 1], size), "params": params}

    key = {"renderer": RENDERER_VERSION, "size": size, "thetas": THETAS, "phis": PHIS}
    tensors = cached("pole", key, build, cache_dir=cache_dir)
    train_idx, test_idx = random_split(len(tensors["params"]), 0.2, seed)
    return ImageDataset(
        name="pole",
        images=tensors["images"],
        params=tensors["params"],
        param_names=("theta", "phi"),
        param_periods=(None, 360.0),
        train_idx=train_idx,
        test_idx=test_idx,
    )
