"""ACAI's lines benchmark (Berthelot et al. 2018): Mean Distance and Smoothness of interpolations.

An interpolation between two line images is scored by comparing every decoded image with
``n_reference`` = 10,000 true lines rendered at the evenly spaced angles 2 pi k / n_reference:

- Mean Distance: the cosine distance from each decoded image to its nearest true line,
  averaged over all P x S images of the P interpolations of S steps. Images from the models
  lie in [0, 1]; the cosine distance is taken in ACAI's [-1, 1] range, after ``2 x - 1``
  (:func:`aeai_lib.data.lines.to_acai_range`): with a 0 background every pair of lines
  would look alike. Cosine distance = 1 - <u, v> / (||u|| ||v||), in [0, 2]; an image whose
  norm in [-1, 1] is below 1e-8 (a uniform grey 0.5) is at distance 1 from every line.
- Smoothness: per interpolation, the angles of the nearest true lines of its S steps are
  unwrapped (``np.unwrap``) into a_0..a_{S-1}, and the score is
  ``max_s |a_{s+1} - a_s| / |a_{S-1} - a_0| - 1 / (S - 1)``: 0 when the angle moves in S - 1
  equal steps, 1 - 1/(S - 1) when it jumps all at once. The score is undefined when the first
  and last steps have the same nearest line (|a_{S-1} - a_0| below half the reference
  spacing); such interpolations are left out of the average and counted, and if every
  interpolation is left out :func:`smoothness` raises ValueError.

Lower is better for both. ACAI's protocol: interpolations of 16 steps between test pairs
(:func:`benchmark_pairs`), images 32 x 32; its Table 1 scores 256 interpolations
(``lib/train.py``, ``eval_custom_lines32``) every 1,024 steps during training and reports
each run's median over its last 20 evaluations (:func:`lines_monitor`,
:func:`table1_reading`). ACAI averages Smoothness over all interpolations, counting an
undefined one as 0 (``lib/eval.py``, ``line_eval``); here the undefined ones are left out
and counted, which differs only when some are (a pair of nearly equal angles).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.data.lines import render, to_acai_range
from aeai_lib.evaluation.ground_truth import wrap_angle
from aeai_lib.inference import decode_between
from aeai_lib.interpolation import alpha_grid
from aeai_lib.models import AutoencoderModel
from aeai_lib.training import Monitor
from aeai_lib.validation import check_images, check_positive_int

N_REFERENCE = 10000
"""Number of true lines the decoded images are compared with (ACAI: 10,000)."""
N_PAIRS = 256
"""Interpolations per benchmark run (ACAI's Table 1 evaluation, ``eval_custom_lines32``: 256;
the 16 of its summary images are too few: their Mean Distance varies by about 10% between
draws)."""
TABLE1_READINGS = 20
"""ACAI's Table 1: the median of each run's last 20 evaluations."""
LINES_BENCHMARK_EVERY = 500
"""Steps between readings of the benchmark while a lines model trains (ACAI: 1,024 steps of
batch 64; runs here are shorter, so that the last 20 readings span the last 10,000 steps)."""
N_STEPS = 16
"""Steps per interpolation, endpoints included (ACAI: 16)."""
_ZERO_NORM = 1e-8
_IMAGES_PER_CHUNK = 1024


@dataclass(frozen=True)
class LinePairs:
    """Endpoints of the benchmark's interpolations: P pairs of true lines.

    Attributes:
        start_images: float32 (P, 1, size, size) in [0, 1], the source lines.
        end_images: float32 (P, 1, size, size) in [0, 1], the target lines.
        start_angles: float64 (P,) source angles in radians, in [0, 2 pi).
        end_angles: float64 (P,) target angles in radians, in [0, 2 pi).
    """

    start_images: torch.Tensor
    end_images: torch.Tensor
    start_angles: torch.Tensor
    end_angles: torch.Tensor


def benchmark_pairs(
    n_pairs: int = N_PAIRS, *, size: int = 32, generator: torch.Generator
) -> LinePairs:
    """Draw the test pairs: 2 P independent angles uniform in [0, 2 pi), rendered as lines.

    Lines at random angles are exactly the distribution of the lines dataset's test images,
    so fresh draws stand in for ACAI's pairs of test images. Encode ``start_images`` and
    ``end_images``, interpolate the codes at N_STEPS alphas from 0 to 1 and decode to get the
    (P, S, 1, size, size) tensor that :func:`lines_benchmark` scores.

    Args:
        n_pairs: number of pairs P >= 1 (ACAI: 16).
        size: image size in pixels (ACAI: 32).
        generator: seeds the angles; the same seed gives the same pairs.
    """
    check_positive_int("n_pairs", n_pairs)
    angles = torch.rand(2, n_pairs, generator=generator, dtype=torch.float64) * (2 * math.pi)
    return LinePairs(
        start_images=render(angles[0], size),
        end_images=render(angles[1], size),
        start_angles=angles[0],
        end_angles=angles[1],
    )


def true_interpolation(
    start_angles: torch.Tensor, end_angles: torch.Tensor, steps: int = N_STEPS, size: int = 32
) -> torch.Tensor:
    """The ideal interpolation: true lines rotating at constant speed along the shorter arc.

    Step s of pair p is the line at angle ``start + s / (steps - 1) * delta``, where delta is
    ``end - start`` wrapped into [-pi, pi). It scores about 0 on both metrics.

    Args:
        start_angles: (P,) source angles in radians.
        end_angles: (P,) target angles in radians.
        steps: S >= 2, endpoints included.
        size: image size in pixels.

    Returns:
        float32 (P, S, 1, size, size) in [0, 1].
    """
    check_positive_int("steps", steps, minimum=2)
    start = torch.as_tensor(start_angles, dtype=torch.float64).reshape(-1)
    end = torch.as_tensor(end_angles, dtype=torch.float64).reshape(-1)
    if start.shape != end.shape:
        raise ValueError(
            f"start_angles and end_angles must have the same length, got {len(start)} and "
            f"{len(end)}; pass one end angle per start angle"
        )
    delta = wrap_angle(end - start, 2 * math.pi)
    fractions = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)
    angles = start[:, None] + fractions[None, :] * delta[:, None]
    return render(angles.reshape(-1), size).reshape(len(start), steps, 1, size, size)


def reference_lines(n: int = N_REFERENCE, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """The true lines the metrics compare with, at the evenly spaced angles 2 pi k / n.

    Returns:
        (images float32 (n, 1, size, size) in [0, 1], angles float64 (n,) in [0, 2 pi)).
    """
    check_positive_int("n", n)
    angles = torch.arange(n, dtype=torch.float64) * (2 * math.pi / n)
    return render(angles, size), angles


def nearest_lines(
    images: torch.Tensor, n_reference: int = N_REFERENCE
) -> tuple[torch.Tensor, torch.Tensor]:
    """Find the nearest true line of each image by cosine distance in ACAI's [-1, 1] range.

    Both the images and the reference lines are mapped with ``2 x - 1``, flattened and scaled
    to unit norm; one matrix product per chunk of images gives all cosine similarities.

    Args:
        images: float (N, 1, H, W) with values in [0, 1] and H == W.
        n_reference: number of reference lines (see :func:`reference_lines`).

    Returns:
        (cosine distance float32 (N,) in [0, 2], angle of the nearest line float64 (N,) in
        [0, 2 pi)).
    """
    check_images(images)
    check_positive_int("n_reference", n_reference)
    if images.shape[1] != 1 or images.shape[-1] != images.shape[-2]:
        raise ValueError(
            f"images must be single-channel and square (N, 1, H, H), got shape "
            f"{tuple(images.shape)}; the lines benchmark compares with square grey-scale lines"
        )
    reference, angles = _unit_reference(n_reference, images.shape[-1])
    distances, indices = [], []
    for start in range(0, images.shape[0], _IMAGES_PER_CHUNK):
        similarity = _unit_rows(images[start : start + _IMAGES_PER_CHUNK]) @ reference.T
        best, index = similarity.max(dim=1)
        distances.append((1.0 - best).clamp(0.0, 2.0))
        indices.append(index)
    if not distances:
        return torch.empty(0), torch.empty(0, dtype=torch.float64)
    return torch.cat(distances), angles[torch.cat(indices)]


def mean_distance(interpolations: torch.Tensor, n_reference: int = N_REFERENCE) -> float:
    """Mean Distance: mean cosine distance of all P * S decoded images to their nearest true line.

    Args:
        interpolations: float (P, S, 1, H, W) in [0, 1]: P interpolations of S steps.
        n_reference: number of reference lines.

    Returns:
        the mean cosine distance in [0, 2]; lower is better.
    """
    return lines_benchmark(interpolations, n_reference, require_smoothness=False)["mean_distance"]


def smoothness(interpolations: torch.Tensor, n_reference: int = N_REFERENCE) -> float:
    """Smoothness, averaged over the interpolations where it is defined (module docstring).

    Args:
        interpolations: float (P, S, 1, H, W) in [0, 1], S >= 2.
        n_reference: number of reference lines.

    Returns:
        the mean score, >= 0 (lower is better); it exceeds 1 - 1/(S - 1) when the angle goes
        back and forth, so that one step is larger than the net change.

    Raises:
        ValueError: when every interpolation starts and ends on the same nearest line.
    """
    return lines_benchmark(interpolations, n_reference)["smoothness"]


def lines_benchmark(
    interpolations: torch.Tensor,
    n_reference: int = N_REFERENCE,
    *,
    require_smoothness: bool = True,
) -> dict[str, float | int]:
    """Both metrics of ACAI's lines benchmark, from one nearest-line search.

    Args:
        interpolations: float (P, S, 1, H, W) in [0, 1]: P interpolations of S >= 2 steps,
            step 0 decoded at the source and step S - 1 at the target.
        n_reference: number of reference lines.
        require_smoothness: when False, an undefined Smoothness (every interpolation
            starts and ends on the same line) gives NaN instead of raising ValueError.

    Returns:
        ``{"mean_distance", "smoothness", "n_interpolations" (P), "n_steps" (S),
        "n_smoothness_scored", "n_smoothness_excluded"}``; scored + excluded = P.
    """
    _check_interpolations(interpolations)
    n_pairs, steps = interpolations.shape[:2]
    distance, angle = nearest_lines(interpolations.flatten(0, 1), n_reference)
    unwrapped = np.unwrap(angle.reshape(n_pairs, steps).numpy(), axis=1)
    total = np.abs(unwrapped[:, -1] - unwrapped[:, 0])
    scored = total > 0.5 * (2 * math.pi / n_reference)
    if scored.any():
        largest_step = np.abs(np.diff(unwrapped[scored], axis=1)).max(axis=1)
        score = float(np.mean(largest_step / total[scored])) - 1.0 / (steps - 1)
    elif require_smoothness:
        raise ValueError(
            f"Smoothness is undefined: all {n_pairs} interpolations start and end on the same "
            "nearest true line; interpolate between pairs of different lines "
            "(see benchmark_pairs)"
        )
    else:
        score = math.nan
    return {
        "mean_distance": distance.double().mean().item(),
        "smoothness": score,
        "n_interpolations": n_pairs,
        "n_steps": steps,
        "n_smoothness_scored": int(scored.sum()),
        "n_smoothness_excluded": int((~scored).sum()),
    }


def lines_monitor(
    every: int, size: int = 32, n_pairs: int = N_PAIRS, seed: int = 0, start: int = 0
) -> Monitor:
    """The lines benchmark read during training (:class:`aeai_lib.training.Monitor`), as
    ACAI reads it for its Table 1: ``n_pairs`` interpolations of N_STEPS steps (lerp) between
    fixed pairs of true lines drawn with ``seed``, scored every ``every`` steps from ``start``
    steps done on (and after the last step).

    Returns:
        a Monitor whose readings are ``mean_distance`` and ``smoothness`` (NaN when undefined).
    """
    pairs = benchmark_pairs(n_pairs, size=size, generator=torch.Generator().manual_seed(seed))
    alphas = alpha_grid(N_STEPS - 1)

    def measure(model: AutoencoderModel) -> dict[str, float]:
        paths = decode_between(model, pairs.start_images, pairs.end_images, alphas, "lerp")
        scores = lines_benchmark(paths, require_smoothness=False)
        return {"mean_distance": scores["mean_distance"], "smoothness": scores["smoothness"]}

    return Monitor(every, measure, start)


def training_monitor(
    dataset: ImageDataset, every: int = LINES_BENCHMARK_EVERY, start: int = 0
) -> Monitor | None:
    """The monitor a training run on ``dataset`` gets: :func:`lines_monitor` every ``every``
    steps from ``start`` on, on the lines dataset; None on other data or when ``every`` is 0."""
    if dataset.name != "lines" or every == 0:
        return None
    return lines_monitor(every, dataset.size, start=start)


def table1_reading(
    readings: dict[str, list[float]], n: int = TABLE1_READINGS
) -> dict[str, float | None] | None:
    """ACAI's Table 1 reading of one run: the median of its last ``n`` readings of each score
    (from :func:`lines_monitor`, kept in a checkpoint's ``"readings"``).

    Returns:
        ``{"mean_distance", "smoothness", "n_readings", "first_step", "last_step"}`` (the
        medians, how many readings they are over and the steps they span; undefined (NaN)
        Smoothness readings are left out, and the median is None if all are), or None when
        the run has no readings.
    """
    steps = readings.get("step", [])
    if not steps or "mean_distance" not in readings:
        return None
    last = slice(-n, None)
    smooth = [v for v in readings["smoothness"][last] if math.isfinite(v)]
    return {
        "mean_distance": float(np.median(readings["mean_distance"][last])),
        "smoothness": float(np.median(smooth)) if smooth else None,
        "n_readings": len(steps[last]),
        "first_step": int(steps[last][0]),
        "last_step": int(steps[-1]),
    }


@functools.lru_cache(maxsize=2)
def _unit_reference(n: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference lines as unit rows in [-1, 1] range, float32 (n, size * size), and angles (n,)."""
    images, angles = reference_lines(n, size)
    return _unit_rows(images), angles


def _unit_rows(images: torch.Tensor) -> torch.Tensor:
    """Map (N, 1, H, W) images in [0, 1] to [-1, 1], flatten, scale to unit norm: (N, H * W)."""
    rows = to_acai_range(images.float()).flatten(1)
    return rows / rows.norm(dim=1, keepdim=True).clamp_min(_ZERO_NORM)


def _check_interpolations(interpolations: torch.Tensor) -> None:
    """Check the (P, S, 1, H, W) shape with P >= 1 and S >= 2; values are checked later."""
    if not isinstance(interpolations, torch.Tensor):
        raise TypeError(
            "interpolations must be a torch.Tensor (P, S, 1, H, W), got "
            f"{type(interpolations).__name__}"
        )
    if interpolations.dim() != 5 or interpolations.shape[2] != 1:
        raise ValueError(
            "interpolations must be 5-D (P, S, 1, H, W): P interpolations of S single-channel "
            f"images, got shape {tuple(interpolations.shape)}; stack the decoded steps with "
            "torch.stack(steps, dim=1)"
        )
    if interpolations.shape[0] < 1 or interpolations.shape[1] < 2:
        raise ValueError(
            f"interpolations need at least 1 interpolation of at least 2 steps, got shape "
            f"{tuple(interpolations.shape)}"
        )
