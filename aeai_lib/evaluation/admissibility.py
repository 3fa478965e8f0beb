"""AEAI's admissibility conditions (Oring et al. 2021, section 3) as numbers measured on paths.

A *path* is one interpolation decoded on an increasing alpha grid that starts at alpha = 0 and
ends at alpha = 1: ``paths`` is a float tensor (P, A, C, H, W) of P paths of A >= 2 images
with values in [0, 1], ``sources`` and ``targets`` (P, C, H, W) are the true endpoints x_i and
x_j. Every distance here is in pixel space:

* ``mse(x, y)`` = mean over the C * H * W pixels of (x - y)^2;
* ``l2(x, y)`` = sqrt of the sum over the C * H * W pixels of (x - y)^2 (= sqrt(C H W mse)).

The four conditions and the measure each gets:

1. Boundary: x(0) = x_i and x(1) = x_j. :func:`boundary_error`: mean over pairs of
   ``mse(x(0), x_i)`` and of ``mse(x(1), x_j)``; 0 is perfect.
2. Monotonicity: along the path, the distance to x_i never decreases and the distance to
   x_j never increases. :func:`monotonicity_violations`: the fraction of the P (A - 1)
   consecutive steps n -> n + 1 where ``l2(x(a_{n+1}), x_i)`` drops below
   ``l2(x(a_n), x_i)`` OR ``l2(x(a_{n+1}), x_j)`` rises above ``l2(x(a_n), x_j)``, each by
   more than ``tolerance * l2(x_i, x_j)``; 0 is perfect, 1 the worst.
3. Smoothness (Lipschitz): :func:`speed_profile`: step lengths
   ``s_n = l2(x(a_{n+1}), x(a_n))``; the speed ratio of a pair is ``max_n s_n / min_n s_n``
   (the minimum floored at ``max_n s_n / MAX_SPEED_RATIO``), averaged over pairs: 1 is
   constant speed on an even alpha grid, large values mean the path stalls and then jumps.
4. Credibility: :func:`credibility_from_mse`: mean over all P * A interpolants of ``mse`` to
   the nearest image of a reference set (the dataset), found by :func:`nearest_images`;
   0 when every interpolant is a real image.

Why a tolerance for monotonicity: anti-aliased edges make pixel distances wiggle slightly as
a shape rotates. Measured on the exact pole images (17 alphas, all 576 start points): along an
80 degree azimuth interval no step moves the wrong way at 64 px, while at 32 px steps do by up
to 1.3% of ``l2(x_i, x_j)``; along 180 degrees the worst wiggle is 0.6% (64 px) and 2.1%
(32 px); along theta there is none. The default tolerance of 2.5% ignores such wiggles yet
flags a step back of more than 40% of an even step (1/16 = 6.25% with 17 alphas); pass
``tolerance=0`` for the paper's strict condition.
"""

from __future__ import annotations

import torch

from aeai_lib.evaluation.pixels import pixel_l2, pixel_mse

MONOTONICITY_TOLERANCE = 0.025
"""Default tolerance of :func:`monotonicity_violations`, a fraction of ``l2(x_i, x_j)``."""
MAX_SPEED_RATIO = 1e6
"""Cap of the per-pair speed ratio: a path that stops dead for a step scores this, not inf."""
_QUERIES_PER_CHUNK = 256


def check_path_shape(paths: torch.Tensor) -> None:
    """Check paths: a tensor (P, A, C, H, W) with P >= 1 and A >= 2."""
    if not isinstance(paths, torch.Tensor) or paths.dim() != 5:
        shape = tuple(paths.shape) if isinstance(paths, torch.Tensor) else type(paths).__name__
        raise ValueError(
            f"paths must be a 5-D tensor (P, A, C, H, W): P paths of A images, got {shape}"
        )
    if paths.shape[0] < 1 or paths.shape[1] < 2:
        raise ValueError(
            f"paths need at least 1 path of at least 2 images (alpha 0 and 1), got shape "
            f"{tuple(paths.shape)}"
        )


def check_paths(paths: torch.Tensor, sources: torch.Tensor, targets: torch.Tensor) -> None:
    """Check paths (P, A, C, H, W) with A >= 2 and endpoints (P, C, H, W) of matching shape."""
    check_path_shape(paths)
    expected = (paths.shape[0], *paths.shape[2:])
    for name, endpoints in (("sources", sources), ("targets", targets)):
        if not isinstance(endpoints, torch.Tensor) or tuple(endpoints.shape) != expected:
            shape = (
                tuple(endpoints.shape)
                if isinstance(endpoints, torch.Tensor)
                else type(endpoints).__name__
            )
            raise ValueError(
                f"{name} must be the paths' true endpoints, shape {expected}, got {shape}"
            )


def boundary_error(
    paths: torch.Tensor, sources: torch.Tensor, targets: torch.Tensor
) -> dict[str, float]:
    """Boundary condition: how far the path's ends are from the true endpoints.

    Args:
        paths: (P, A, C, H, W) in [0, 1], step 0 at alpha 0 and step A - 1 at alpha 1.
        sources, targets: (P, C, H, W) in [0, 1], the true x_i and x_j.

    Returns:
        ``{"source": mean_p mse(x_p(0), x_i), "target": mean_p mse(x_p(1), x_j),
        "mean": their average}``, each >= 0; 0 is perfect.
    """
    check_paths(paths, sources, targets)
    source = pixel_mse(paths[:, 0], sources).mean().item()
    target = pixel_mse(paths[:, -1], targets).mean().item()
    return {"source": source, "target": target, "mean": 0.5 * (source + target)}


def monotonicity_violations(
    paths: torch.Tensor,
    sources: torch.Tensor,
    targets: torch.Tensor,
    tolerance: float = MONOTONICITY_TOLERANCE,
) -> float:
    """Monotonicity condition: fraction of consecutive steps that move the wrong way.

    With d_i(n) = l2(x(a_n), x_i), d_j(n) = l2(x(a_n), x_j) and e = l2(x_i, x_j), step
    n -> n + 1 of a pair violates when ``d_i(n+1) < d_i(n) - tolerance * e`` or
    ``d_j(n+1) > d_j(n) + tolerance * e``. A step counts once even if it breaks both.

    Args:
        paths: (P, A, C, H, W) in [0, 1], A >= 2, along increasing alpha.
        sources, targets: (P, C, H, W) in [0, 1], the true x_i and x_j.
        tolerance: >= 0, a fraction of e (default :data:`MONOTONICITY_TOLERANCE`; 0: strict).

    Returns:
        violating steps / (P (A - 1)), in [0, 1]; 0 is perfect.
    """
    check_paths(paths, sources, targets)
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0 (a fraction of l2(x_i, x_j)), got {tolerance}")
    to_source = pixel_l2(paths, sources.unsqueeze(1))  # (P, A)
    to_target = pixel_l2(paths, targets.unsqueeze(1))
    slack = tolerance * pixel_l2(sources, targets).unsqueeze(1)  # (P, 1)
    away_from_target = to_target.diff(dim=1) > slack
    back_to_source = to_source.diff(dim=1) < -slack
    return (back_to_source | away_from_target).double().mean().item()


def speed_profile(paths: torch.Tensor) -> dict[str, float | list[float]]:
    """Smoothness condition: how evenly the path's image distance is spread over its steps.

    Step lengths s_n = l2(x(a_{n+1}), x(a_n)), n = 0..A-2, per pair.

    Args:
        paths: (P, A, C, H, W), A >= 2, on an evenly spaced alpha grid.

    Returns:
        ``{"speed_ratio": mean_p max_n s_n / max(min_n s_n, max_n s_n / MAX_SPEED_RATIO)``
        (>= 1; 1 is constant speed; a pair whose steps are all 0 counts as 1),
        ``"profile"``: (A - 1) list, mean over pairs of s_n / mean_n s_n (all 1 at constant
        speed), ``"max_step"``: mean over pairs of max_n s_n / sum_n s_n (1 / (A - 1) at
        constant speed, 1 for a single jump)}.
    """
    check_path_shape(paths)
    steps = pixel_l2(paths[:, 1:], paths[:, :-1])  # (P, A - 1)
    largest = steps.max(dim=1).values
    floor = (largest / MAX_SPEED_RATIO).clamp_min(torch.finfo(torch.float64).tiny)
    ratio = torch.where(largest > 0, largest / steps.min(dim=1).values.clamp_min(floor), 1.0)
    total = steps.sum(dim=1, keepdim=True).clamp_min(torch.finfo(torch.float64).tiny)
    profile = steps / total * steps.shape[1]
    return {
        "speed_ratio": ratio.mean().item(),
        "profile": profile.mean(dim=0).tolist(),
        "max_step": (largest / total[:, 0]).mean().item(),
    }


def smoothness_factors(paths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split the finite-difference smoothness of each path into its timing and shape factors.

    With step lengths s_n = l2(x(a_{n+1}), x(a_n)), n = 0..M-1 (M = A - 1 steps), length
    L = sum_n s_n and chord c = l2(x(1), x(0)):

        M sum_n s_n^2 = timing * shape * c^2,  timing = M sum_n s_n^2 / L^2,  shape = L^2 / c^2.

    By Cauchy-Schwarz timing >= 1, with equality exactly at constant speed; by the triangle
    inequality shape >= 1, with equality exactly for a straight path in pixel space (the
    cross-fade). ``M sum_n s_n^2`` is, up to the number of pixels, the smoothness term L_S of
    :func:`aeai_lib.losses.finite_difference_smoothness` (notebook 06 derives the split).

    Args:
        paths: (P, A, C, H, W), A >= 2, on an evenly spaced alpha grid.

    Returns:
        (timing, shape): two float64 tensors (P,); a path whose ends coincide has an infinite
        shape factor, one that does not move at all a timing factor of NaN.
    """
    check_path_shape(paths)
    steps = pixel_l2(paths[:, 1:], paths[:, :-1])  # (P, M)
    chord = pixel_l2(paths[:, -1], paths[:, 0])  # (P,)
    length = steps.sum(dim=1)
    return steps.shape[1] * steps.square().sum(dim=1) / length**2, length**2 / chord**2


def nearest_images(
    queries: torch.Tensor, references: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query image, the reference image nearest in pixel l2 (equivalently mse).

    Exhaustive search, in chunks of queries, ranking by ``||r||^2 - 2 q . r`` in float32;
    the mse to the chosen image is then computed exactly, in float64 (0 for an exact copy).

    Args:
        queries: (N, C, H, W) images.
        references: (M, C, H, W) images, M >= 1 (e.g. the whole dataset).

    Returns:
        (indices int64 (N,) into ``references``, mse float64 (N,) to that nearest image).
    """
    if queries.dim() != 4 or references.dim() != 4 or queries.shape[1:] != references.shape[1:]:
        raise ValueError(
            "queries and references must be (N, C, H, W) and (M, C, H, W) images of one shape, "
            f"got {tuple(queries.shape)} and {tuple(references.shape)}"
        )
    if references.shape[0] == 0:
        raise ValueError("references is empty; pass at least one image to search")
    flat_refs = references.float().flatten(1)
    ref_norms = flat_refs.square().sum(dim=1)
    indices = [
        (
            ref_norms
            - 2.0 * queries[start : start + _QUERIES_PER_CHUNK].float().flatten(1) @ flat_refs.T
        ).argmin(dim=1)
        for start in range(0, queries.shape[0], _QUERIES_PER_CHUNK)
    ]
    index = torch.cat(indices) if indices else torch.empty(0, dtype=torch.int64)
    return index, pixel_mse(queries, references[index])


def credibility_from_mse(nearest_mse: torch.Tensor) -> dict[str, float | list[float]]:
    """Credibility condition: how far each interpolant is from the nearest real image.

    Args:
        nearest_mse: (P, A) the mse of each interpolant to its nearest reference image, as
            :func:`nearest_images` gives it for the flattened paths.

    Returns:
        ``{"mean": mean over the P * A interpolants, "by_alpha": (A,) list, the same mean per
        step}``; 0 when every interpolant is a real image.
    """
    return {"mean": nearest_mse.mean().item(), "by_alpha": nearest_mse.mean(dim=0).tolist()}
