"""The AEAI paper's evaluation protocol, on any dataset whose images carry their parameters.

The paper (Oring et al. 2021, "Results") compares decoded interpolations with the true
in-between images. Here that works for the pole dataset, whose renderer gives the exact image
at any (theta, phi), and for folders of views (COIL-100-like), whose in-between images are the
views on the grid. The steps:

1. :func:`interval_pairs`: pairs (x_i, x_j) of images of one split whose parameters differ by
   exactly ``interval`` along one axis (wrapping with its period) and agree on the others.
2. :func:`true_paths`: the true image at parameters ``p(a) = p_i + a (p_j - p_i)`` for each
   alpha, where ``p_j - p_i`` is the displacement along the axis (+interval, the way that
   wraps); :func:`decode_paths`: the model's ``g(interp(f(x_i), f(x_j), a))``.
3. The measures, on P pairs and A alphas (images (P, A, C, H, W) in [0, 1]):

   * ``mse(p, a)`` = mean over the C * H * W pixels of (decoded - true)^2.
   * (1) mean MSE vs alpha: ``mean_p mse(p, a)``; (2) its spread: ``std_p mse(p, a)``
     (population standard deviation, divisor P). :func:`mse_vs_alpha`.
   * (3) mean MSE vs interval length L: ``mean over pairs and the interior alphas
     (0 < a < 1) of mse(p, a)``, endpoints left out so that the reconstruction error does not
     dilute the in-between error. :func:`mse_vs_interval`.
   * (4) alpha prediction: each interpolant's nearest dataset image (pixel L2, exhaustive over
     ALL images of the dataset, train and test) has parameters q; the predicted alpha is the
     projection of q onto the pair's parameter segment, ``clamp((u . d) / (d . d), 0, 1)``
     with d = p_j - p_i and u = q - p_i, periodic coordinates of q - midpoint wrapped into
     [-period / 2, period / 2). Per true alpha: median, quartiles and IQR over pairs; the
     summary error is ``mean_a |median(a) - a|``. :func:`alpha_prediction`.
   * (5) parameter distance: ``dist(q, p_i)`` and ``dist(q, p_j)``, Euclidean over all
     parameters in their own units (degrees) with periodic differences wrapped, mean over
     pairs per alpha; the ideal is the same for the true parameters p(a): two straight lines
     a L and (1 - a) L for L <= period / 2. :func:`parameter_distances`.
   * admissibility (boundary, monotonicity, speed, credibility): :mod:`.admissibility`.
   * latent mismatch: :func:`latent_mismatch`, codes of interpolants vs real codes.

:func:`evaluate_model` runs all of it and returns plain floats and lists (JSON-ready);
:func:`evaluate_lines_model` runs ACAI's lines benchmark instead.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch

from aeai_lib.data import pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.evaluation.admissibility import (
    MONOTONICITY_TOLERANCE,
    boundary_error,
    credibility_from_mse,
    monotonicity_violations,
    nearest_images,
    speed_profile,
)
from aeai_lib.evaluation.lines_benchmark import N_PAIRS, N_STEPS, benchmark_pairs, lines_benchmark
from aeai_lib.evaluation.mismatch import gaussian_kl, interpolant_codes, mmd, norm_stats
from aeai_lib.interpolation import Interpolation, alpha_grid
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_alphas, check_choice, check_positive_int, is_real_number

SPLITS = ("test", "train", "all")
"""Which images :func:`interval_pairs` pairs up."""
DEFAULT_ALPHA_INTERVALS = 16
"""The paper's alpha grid: a = n / 16, n = 0..16 (17 points)."""
DEFAULT_INTERVALS: dict[str, tuple[int, ...]] = {
    "phi": tuple(range(15, 85, 5)),
    "theta": tuple(range(5, 40, 5)),
    "angle": tuple(range(15, 85, 5)),
}
"""Interval lengths (degrees) of the MSE-vs-interval curves, by axis name."""
CURVE_MAX_PAIRS = 16
"""Default cap on pairs per interval length in the MSE-vs-interval curves (keeps them fast)."""
CURVE_ALPHA_INTERVALS = 8
"""The pole's MSE-vs-interval curves average over the 7 interior alphas of alpha_grid(8)."""
PARAM_DECIMALS = 3
"""Parameters are matched after rounding to this many decimals (1e-3 degree)."""
_IMAGES_PER_BATCH = 256


@dataclass(frozen=True)
class IntervalPairs:
    """P pairs of dataset images ``interval`` apart along ``axis``.

    Attributes:
        sources: int64 (P,) dataset indices of the x_i (alpha 0).
        targets: int64 (P,) dataset indices of the x_j (alpha 1).
        start_params: float64 (P, K) parameters of the sources.
        end_params: float64 (P, K) parameters of the targets.
        displacement: float64 (P, K) the path in parameter space, ``+interval`` on the axis
            and 0 elsewhere (not wrapped: phi 340 -> 60 has displacement +80).
        periods: the K parameter periods (None for a parameter that does not wrap).
        axis: the parameter name the pairs differ along.
        interval: the interval length in the parameter's units.
        split: the split the images come from ("test", "train" or "all").
    """

    sources: torch.Tensor
    targets: torch.Tensor
    start_params: torch.Tensor
    end_params: torch.Tensor
    displacement: torch.Tensor
    periods: tuple[float | None, ...]
    axis: str
    interval: float
    split: str

    def __len__(self) -> int:
        return int(self.sources.shape[0])

    def params_at(self, alphas: torch.Tensor) -> torch.Tensor:
        """Parameters along the paths, ``start + a * displacement``: float64 (P, A, K),
        periodic columns wrapped into [0, period)."""
        alphas = check_alphas(alphas).double().reshape(1, -1, 1)
        params = self.start_params.unsqueeze(1) + alphas * self.displacement.unsqueeze(1)
        for column, period in enumerate(self.periods):
            if period is not None:
                params[..., column] = torch.remainder(params[..., column], period)
        return params


def _wrap(differences: torch.Tensor, periods: Sequence[float | None]) -> torch.Tensor:
    """Wrap the periodic columns of (..., K) differences into [-period / 2, period / 2)."""
    wrapped = differences.clone()
    for column, period in enumerate(periods):
        if period is not None:
            wrapped[..., column] = (
                torch.remainder(differences[..., column] + period / 2, period) - period / 2
            )
    return wrapped


def parameter_distance(
    first: torch.Tensor, second: torch.Tensor, periods: Sequence[float | None]
) -> torch.Tensor:
    """Euclidean distance between parameter vectors (..., K), periodic differences wrapped."""
    return _wrap(first.double() - second.double(), periods).norm(dim=-1)


def _param_keys(params: torch.Tensor, periods: Sequence[float | None]) -> list[tuple[int, ...]]:
    """Hashable keys of (N, K) parameters: rounded to PARAM_DECIMALS, periodic ones wrapped."""
    scale = 10**PARAM_DECIMALS
    rounded = torch.round(params.double() * scale).long()
    for column, period in enumerate(periods):
        if period is not None:
            rounded[:, column] = torch.remainder(rounded[:, column], round(period * scale))
    return [tuple(row) for row in rounded.tolist()]


def _axis_column(dataset: ImageDataset, axis: str | None) -> int:
    """Index of ``axis`` in the dataset's parameters; None picks the first periodic one."""
    if dataset.params.shape[1] == 0:
        raise ValueError(
            f"dataset {dataset.name!r} has no image parameters, so there are no true in-between "
            "images; use the pole dataset or a folder of views (for lines: evaluate_lines_model)"
        )
    if axis is None:
        periodic = [k for k, period in enumerate(dataset.param_periods) if period is not None]
        return periodic[0] if periodic else 0
    if axis not in dataset.param_names:
        raise ValueError(
            f"dataset {dataset.name!r} has no parameter {axis!r}; its parameters are "
            f"{list(dataset.param_names)}"
        )
    return dataset.param_names.index(axis)


def split_indices(dataset: ImageDataset, split: str) -> torch.Tensor:
    """The dataset indices of ``split``: "test", "train" or "all"; int64 (S,)."""
    check_choice("split", split, SPLITS)
    if split == "all":
        return torch.arange(len(dataset))
    return dataset.test_idx if split == "test" else dataset.train_idx


def grid_step(dataset: ImageDataset, axis: str | None = None) -> float | None:
    """The smallest positive spacing of the parameter values along ``axis`` (periodic: the
    wrap-around gap counts too), or None when the axis has a single value."""
    column = _axis_column(dataset, axis)
    values = torch.unique(dataset.params[:, column].double().round(decimals=PARAM_DECIMALS))
    gaps = values.diff()
    period = dataset.param_periods[column]
    if period is not None and len(values):
        gaps = torch.cat([gaps, (values[:1] + period - values[-1])])
    gaps = gaps[gaps > 0]
    return gaps.min().item() if len(gaps) else None


def _check_interval(dataset: ImageDataset, column: int, interval: float) -> float:
    """Check an interval length is positive and fits the axis' range; return it as a float."""
    name = dataset.param_names[column]
    if not is_real_number(interval):
        raise TypeError(f"interval must be a number (in {name}'s units), got {interval!r}")
    if not (math.isfinite(interval) and interval > 0):
        raise ValueError(f"interval must be a positive number, got {interval}")
    period = dataset.param_periods[column]
    values = dataset.params[:, column]
    if period is not None and interval >= period:
        raise ValueError(
            f"interval {interval:g} along {name} is a full turn or more ({name} has period "
            f"{period:g}); use an interval below {period:g}"
        )
    span = (values.max() - values.min()).item()
    if period is None and interval > span + 10**-PARAM_DECIMALS:
        raise ValueError(
            f"interval {interval:g} along {name} is longer than the grid allows: {name} runs "
            f"from {values.min().item():g} to {values.max().item():g}, at most {span:g} apart; "
            f"use an interval up to {span:g}"
        )
    return float(interval)


def _matching_pairs(
    dataset: ImageDataset, column: int, interval: float, indices: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (i, j) among ``indices`` with p_j = p_i + interval along ``column``, others equal."""
    lookup = {
        key: int(index)
        for key, index in zip(
            _param_keys(dataset.params[indices], dataset.param_periods), indices, strict=True
        )
    }
    shifted = dataset.params[indices].double().clone()
    shifted[:, column] += interval
    keys = _param_keys(shifted, dataset.param_periods)
    found = [(int(i), lookup[key]) for i, key in zip(indices, keys, strict=True) if key in lookup]
    if not found:
        return torch.empty(0, dtype=torch.int64), torch.empty(0, dtype=torch.int64)
    sources, targets = torch.tensor(found, dtype=torch.int64).T
    return sources, targets


def _intervals_with_pairs(
    dataset: ImageDataset, column: int, indices: torch.Tensor, limit: int = 8
) -> list[float]:
    """Up to ``limit`` multiples of the grid step along ``column`` that have pairs."""
    step = grid_step(dataset, dataset.param_names[column])
    if step is None:
        return []
    period = dataset.param_periods[column]
    values = dataset.params[:, column]
    longest = period - step if period is not None else (values.max() - values.min()).item()
    found = []
    for multiple in range(1, int(round(longest / step)) + 1):
        if len(_matching_pairs(dataset, column, multiple * step, indices)[0]):
            found.append(multiple * step)
        if len(found) == limit:
            break
    return found


def interval_pairs(
    dataset: ImageDataset,
    interval: float,
    axis: str | None = None,
    split: str = "test",
    max_pairs: int | None = None,
    seed: int = 0,
) -> IntervalPairs:
    """Find the pairs of ``split`` images exactly ``interval`` apart along ``axis``.

    A pair (i, j) has ``p_j[axis] = p_i[axis] + interval`` (modulo the period for a periodic
    axis: phi 340 -> 60 for interval 80) and equal other parameters (same theta for the pole,
    same object for a folder). Each ordered pair appears once, in the + direction.

    Args:
        dataset: images with parameters (pole, folder).
        interval: the interval length in the axis' units, > 0; below the period for a
            periodic axis, at most the axis' range otherwise (pole theta: 35).
        axis: a parameter name ("phi", "theta", "angle"...); None: the first periodic one.
        split: "test" (both images held out; the paper's choice), "train" or "all".
        max_pairs: keep a seeded random subset of at most this many pairs (None: all).
        seed: seeds that subset.

    Returns:
        :class:`IntervalPairs`, sorted by source index.

    Raises:
        ValueError: interval out of range, empty split, or no pair found (the message lists
            intervals that have pairs).
    """
    column = _axis_column(dataset, axis)
    name = dataset.param_names[column]
    interval = _check_interval(dataset, column, interval)
    indices = split_indices(dataset, split)
    if len(indices) == 0:
        raise ValueError(
            f"the {split} split of dataset {dataset.name!r} is empty; pass split='all'"
        )
    sources, targets = _matching_pairs(dataset, column, interval, indices)
    if len(sources) == 0:
        others = [other for other in dataset.param_names if other != name]
        available = _intervals_with_pairs(dataset, column, indices)
        raise ValueError(
            f"no two {split} images of {dataset.name!r} are exactly {interval:g} apart along "
            f"{name} with equal {', '.join(others) or 'other parameters'}; intervals with "
            f"{split} pairs: {[round(v, PARAM_DECIMALS) for v in available] or 'none'}; pass "
            "one of those, or split='all'"
        )
    if max_pairs is not None and len(sources) > check_positive_int("max_pairs", max_pairs):
        generator = torch.Generator().manual_seed(seed)
        keep = torch.randperm(len(sources), generator=generator)[:max_pairs].sort().values
        sources, targets = sources[keep], targets[keep]
    start, end = dataset.params[sources].double(), dataset.params[targets].double()
    displacement = torch.zeros_like(start)
    displacement[:, column] = interval
    return IntervalPairs(
        sources=sources,
        targets=targets,
        start_params=start,
        end_params=end,
        displacement=displacement,
        periods=tuple(dataset.param_periods),
        axis=name,
        interval=interval,
        split=split,
    )


def is_rendered(dataset: ImageDataset) -> bool:
    """True for the pole dataset, whose true images exist at any continuous parameters."""
    return dataset.name == "pole" and tuple(dataset.param_names) == ("theta", "phi")


def true_paths(
    dataset: ImageDataset, pairs: IntervalPairs, alphas: torch.Tensor | Sequence[float]
) -> torch.Tensor:
    """The exact in-between images at parameters ``p(a) = p_i + a * displacement``.

    The pole is rendered with :func:`aeai_lib.data.pole.render` at the dataset's size (theta
    linear, phi along the signed interval). Other datasets (folders of views) take the
    dataset image whose parameters equal p(a) (to PARAM_DECIMALS), already resized like the
    dataset; an alpha that falls between views raises ValueError.

    Returns:
        float32 (P, A, C, H, W) in [0, 1]; alpha 0 and 1 give the dataset's x_i and x_j.
    """
    alphas = check_alphas(alphas)
    params = pairs.params_at(alphas)  # (P, A, K)
    n_pairs, n_alphas = params.shape[:2]
    flat = params.reshape(n_pairs * n_alphas, -1)
    if is_rendered(dataset):
        images = pole.render(flat[:, 0], flat[:, 1], dataset.size)
    else:
        lookup = {
            key: index
            for index, key in enumerate(_param_keys(dataset.params, dataset.param_periods))
        }
        keys = _param_keys(flat, dataset.param_periods)
        missing = [position for position, key in enumerate(keys) if key not in lookup]
        if missing:
            alpha = alphas[missing[0] % n_alphas].item()
            where = ", ".join(
                f"{name}={value:g}"
                for name, value in zip(dataset.param_names, flat[missing[0]].tolist(), strict=True)
            )
            step = grid_step(dataset, pairs.axis)
            views = round(pairs.interval / step) if step else 1
            raise ValueError(
                f"alpha {alpha:g} falls between the views of {dataset.name!r}: no image has "
                f"{where}; use alphas that land on the grid, e.g. alpha_grid({views}) for an "
                f"interval of {pairs.interval:g} on a {step or 0:g} {pairs.axis} grid"
            )
        images = dataset.images[torch.tensor([lookup[key] for key in keys], dtype=torch.int64)]
    return images.reshape(n_pairs, n_alphas, *images.shape[1:])


def check_model_fits(model: AutoencoderModel, dataset: ImageDataset) -> None:
    """Raise ValueError when the model's image size or channels differ from the dataset's."""
    size, channels = model.config.image_size, model.config.channels
    if (size, channels) != (dataset.size, dataset.channels):
        raise ValueError(
            f"the model was built for {channels}-channel {size}x{size} images but dataset "
            f"{dataset.name!r} has {dataset.channels}-channel {dataset.size}x{dataset.size} "
            f"images; load the dataset at the model's size (load_dataset(..., size={size})) "
            "or evaluate a model trained on this data"
        )


@contextlib.contextmanager
def _inference(model: AutoencoderModel) -> Iterator[torch.device]:
    """Eval mode and no_grad for the block (the previous mode is restored); yields the device."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield next(model.parameters()).device
    finally:
        model.train(was_training)


def encode_images(model: AutoencoderModel, images: torch.Tensor) -> torch.Tensor:
    """Codes (N, D) of images (N, C, H, W) in [0, 1], in eval mode, on the model's device."""
    with _inference(model) as device:
        return torch.cat(
            [
                model.encode(images[start : start + _IMAGES_PER_BATCH].to(device))
                for start in range(0, len(images), _IMAGES_PER_BATCH)
            ]
        )


def decode_between(
    model: AutoencoderModel,
    sources: torch.Tensor,
    targets: torch.Tensor,
    alphas: torch.Tensor | Sequence[float],
    interpolation: str = "lerp",
) -> torch.Tensor:
    """Encode endpoint images (P, C, H, W), interpolate at ``alphas`` (A,), decode.

    Runs in eval mode under no_grad. Returns float32 (P, A, C, H, W) on the CPU.

    Raises:
        ValueError: when a decoded image contains NaN (the weights have diverged).
    """
    alphas = check_alphas(alphas)
    interpolate = model.interpolation(interpolation)
    ends = encode_images(model, torch.cat([sources, targets]))
    codes = interpolate(ends[: len(sources)], ends[len(sources) :], alphas).flatten(0, 1)
    with _inference(model):
        decoded = torch.cat(
            [
                model.decode(codes[start : start + _IMAGES_PER_BATCH]).float().cpu()
                for start in range(0, len(codes), _IMAGES_PER_BATCH)
            ]
        )
    bad = torch.isnan(decoded).flatten(1).any(dim=1)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} of {len(decoded)} decoded images contain NaN: the model's weights "
            "or codes are not finite (training diverged?); retrain with a lower learning rate"
        )
    return decoded.reshape(len(sources), len(alphas), *decoded.shape[1:])


def decode_paths(
    model: AutoencoderModel,
    dataset: ImageDataset,
    pairs: IntervalPairs,
    alphas: torch.Tensor | Sequence[float],
    interpolation: str = "lerp",
) -> torch.Tensor:
    """The model's interpolations between the pairs' images: float32 (P, A, C, H, W) on CPU.

    ``g(interp(f(x_i), f(x_j), a))`` with ``interpolation`` one of ``model.interpolation_names``.

    Raises:
        ValueError: the model's image size or channels differ from the dataset's, or a
            decoded image contains NaN.
    """
    check_model_fits(model, dataset)
    return decode_between(
        model,
        dataset.images[pairs.sources],
        dataset.images[pairs.targets],
        alphas,
        interpolation,
    )


def pixel_mse(decoded: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Per-image MSE: mean over (C, H, W) of (decoded - truth)^2. (P, A, C, H, W) -> (P, A),
    float64."""
    if decoded.shape != truth.shape:
        raise ValueError(
            f"decoded and true paths differ in shape: {tuple(decoded.shape)} vs "
            f"{tuple(truth.shape)}"
        )
    return (decoded.double() - truth.double()).square().flatten(2).mean(dim=2)


def mse_vs_alpha(decoded: torch.Tensor, truth: torch.Tensor) -> dict[str, list[float]]:
    """Measures (1) and (2): ``{"mean": mean_p mse, "std": std_p mse}``, lists (A,).

    mse is :func:`pixel_mse`; std is the population standard deviation (divisor P).
    """
    errors = pixel_mse(decoded, truth)
    return {
        "mean": errors.mean(dim=0).tolist(),
        "std": errors.std(dim=0, correction=0).tolist(),
    }


def predicted_alphas(nearest_params: torch.Tensor, pairs: IntervalPairs) -> torch.Tensor:
    """Project parameters (P, A, K) onto each pair's parameter segment: alphas (P, A) in [0, 1].

    ``clamp((u . d) / (d . d), 0, 1)`` with d the pair's displacement and
    ``u = wrap(q - p_i - d / 2) + d / 2`` (periodic coordinates wrapped about the segment's
    midpoint, so a point just past the target does not wrap to before the source).
    """
    half = pairs.displacement.unsqueeze(1) / 2
    relative = _wrap(
        nearest_params.double() - pairs.start_params.unsqueeze(1) - half, pairs.periods
    )
    along = ((relative + half) * pairs.displacement.unsqueeze(1)).sum(dim=-1)
    return (along / pairs.displacement.square().sum(dim=-1, keepdim=True)).clamp(0.0, 1.0)


def alpha_prediction(
    nearest_params: torch.Tensor, pairs: IntervalPairs, alphas: torch.Tensor
) -> dict[str, float | list[float]]:
    """Measure (4): the alpha predicted from each interpolant's nearest dataset image.

    Args:
        nearest_params: float64 (P, A, K), the parameters of each interpolant's nearest image.
        pairs: the pairs the interpolants connect.
        alphas: the A true alphas.

    Returns:
        ``{"median", "q25", "q75", "iqr"}``: lists (A,) over pairs of :func:`predicted_alphas`
        (linear-interpolated quantiles), and ``"error"``: ``mean_a |median(a) - a|`` (0 is
        perfect).
    """
    predicted = predicted_alphas(nearest_params, pairs)
    quartiles = torch.quantile(
        predicted, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64), dim=0
    )
    true = check_alphas(alphas).double()
    return {
        "median": quartiles[1].tolist(),
        "q25": quartiles[0].tolist(),
        "q75": quartiles[2].tolist(),
        "iqr": (quartiles[2] - quartiles[0]).tolist(),
        "error": (quartiles[1] - true).abs().mean().item(),
    }


def parameter_distances(
    nearest_params: torch.Tensor, pairs: IntervalPairs, alphas: torch.Tensor
) -> dict[str, list[float]]:
    """Measure (5): mean over pairs of the parameter distance from the nearest image to x_i, x_j.

    Distances are :func:`parameter_distance` (Euclidean, periodic differences wrapped).

    Returns:
        ``{"source", "target"}``: lists (A,) for the nearest images' parameters (P, A, K), and
        ``{"ideal_source", "ideal_target"}``: the same for the true parameters p(a), the
        straight lines a L and (1 - a) L of a perfect interpolation.
    """
    ideal = pairs.params_at(alphas)
    result = {}
    for prefix, params in (("", nearest_params), ("ideal_", ideal)):
        for end, end_params in (("source", pairs.start_params), ("target", pairs.end_params)):
            distance = parameter_distance(params, end_params.unsqueeze(1), pairs.periods)
            result[prefix + end] = distance.mean(dim=0).tolist()
    return result


def evaluate_paths(
    decoded: torch.Tensor,
    truth: torch.Tensor,
    pairs: IntervalPairs,
    dataset: ImageDataset,
    alphas: torch.Tensor | Sequence[float],
    tolerance: float = MONOTONICITY_TOLERANCE,
) -> dict:
    """Every per-path measure of decoded paths against the true ones.

    Args:
        decoded: float (P, A, C, H, W) in [0, 1], the interpolations to score.
        truth: float (P, A, C, H, W), :func:`true_paths` of the same pairs and alphas.
        pairs: the pairs; ``dataset.images[pairs.sources]`` are the true x_i.
        dataset: searched (all images) for each interpolant's nearest image.
        alphas: (A,) increasing from 0 to 1 (the admissibility measures need both ends).
        tolerance: of :func:`~aeai_lib.evaluation.admissibility.monotonicity_violations`.

    Returns:
        ``{"alphas", "mse_vs_alpha", "alpha_prediction", "parameter_distance",
        "admissibility": {"boundary_error", "monotonicity_violations", "speed",
        "credibility"}}`` of plain floats and lists.
    """
    alphas = check_alphas(alphas)
    if len(alphas) < 2 or alphas[0] != 0 or alphas[-1] != 1 or (alphas.diff() <= 0).any():
        raise ValueError(
            f"alphas must increase from 0 to 1 (e.g. alpha_grid(16)), got {alphas.tolist()}"
        )
    nearest, nearest_mse = nearest_images(decoded.flatten(0, 1), dataset.images)
    nearest_params = dataset.params[nearest].double().reshape(*decoded.shape[:2], -1)
    sources, targets = dataset.images[pairs.sources], dataset.images[pairs.targets]
    return {
        "alphas": alphas.tolist(),
        "mse_vs_alpha": mse_vs_alpha(decoded, truth),
        "alpha_prediction": alpha_prediction(nearest_params, pairs, alphas),
        "parameter_distance": parameter_distances(nearest_params, pairs, alphas),
        "admissibility": {
            "boundary_error": boundary_error(decoded, sources, targets),
            "monotonicity_violations": monotonicity_violations(
                decoded, sources, targets, tolerance
            ),
            "speed": speed_profile(decoded),
            "credibility": credibility_from_mse(nearest_mse.reshape(decoded.shape[:2])),
        },
    }


def _curve_alphas(
    dataset: ImageDataset, axis: str, interval: float, alphas: torch.Tensor | None
) -> torch.Tensor:
    """Alphas of one MSE-vs-interval point: ``alphas`` if given; else alpha_grid(8) for the
    rendered pole and, for views, the views on the grid: alpha_grid(interval / step)."""
    if alphas is not None:
        return check_alphas(alphas)
    if is_rendered(dataset):
        return alpha_grid(CURVE_ALPHA_INTERVALS)
    step = grid_step(dataset, axis)
    return alpha_grid(max(1, round(interval / step))) if step else alpha_grid(1)


def mse_vs_interval(
    model: AutoencoderModel,
    dataset: ImageDataset,
    intervals: Sequence[float],
    axis: str | None = None,
    alphas: torch.Tensor | Sequence[float] | None = None,
    interpolation: str = "lerp",
    split: str = "test",
    max_pairs: int | None = CURVE_MAX_PAIRS,
    seed: int = 0,
) -> dict[str, str | list]:
    """Measure (3): mean MSE of the in-between images vs the interval length.

    For each interval L: pairs :func:`interval_pairs` (L, ``axis``, ``split``, at most
    ``max_pairs``), and the mean of :func:`pixel_mse` over the pairs and the interior
    alphas 0 < a < 1. Alphas default to alpha_grid(8) for the pole (7 interior points) and to
    the views on the grid for datasets of views (alpha_grid(L / step)).

    Returns:
        ``{"axis", "intervals", "mean_mse", "n_pairs"}``: ``mean_mse[k]`` is None when the
        split has no pair at ``intervals[k]`` (n_pairs 0) or no interior alpha.
    """
    column = _axis_column(dataset, axis)
    name = dataset.param_names[column]
    indices = split_indices(dataset, split)
    means: list[float | None] = []
    counts: list[int] = []
    for interval in intervals:
        interval = _check_interval(dataset, column, interval)
        curve_alphas = _curve_alphas(dataset, name, interval, alphas)
        interior = curve_alphas[(curve_alphas > 0) & (curve_alphas < 1)]
        n_pairs = len(_matching_pairs(dataset, column, interval, indices)[0])
        counts.append(min(n_pairs, max_pairs) if max_pairs is not None else n_pairs)
        if n_pairs == 0 or len(interior) == 0:
            means.append(None)
            continue
        pairs = interval_pairs(dataset, interval, name, split, max_pairs, seed)
        decoded = decode_paths(model, dataset, pairs, interior, interpolation)
        means.append(pixel_mse(decoded, true_paths(dataset, pairs, interior)).mean().item())
    return {
        "axis": name,
        "intervals": [float(v) for v in intervals],
        "mean_mse": means,
        "n_pairs": counts,
    }


def default_intervals(dataset: ImageDataset) -> dict[str, list[float]]:
    """The MSE-vs-interval lengths per axis: :data:`DEFAULT_INTERVALS` for the dataset's axes,
    keeping the lengths that are multiples of the axis' grid step and fit its range."""
    result = {}
    for name, lengths in DEFAULT_INTERVALS.items():
        if name not in dataset.param_names:
            continue
        column = dataset.param_names.index(name)
        step = grid_step(dataset, name)
        period = dataset.param_periods[column]
        values = dataset.params[:, column]
        longest = (
            period - step if period is not None and step else (values.max() - values.min()).item()
        )
        kept = [
            float(length)
            for length in lengths
            if step and abs(length / step - round(length / step)) < 1e-6 and length <= longest
        ]
        if kept:
            result[name] = kept
    return result


def latent_mismatch(
    codes: torch.Tensor, interpolation: Interpolation, alpha: float = 0.5, seed: int = 0
) -> dict[str, float | dict[str, float]]:
    """How far interpolated codes are from the real codes (:mod:`.mismatch`).

    Every code is interpolated at ``alpha`` towards a random partner
    (:func:`~aeai_lib.evaluation.mismatch.interpolant_codes`, seeded), giving N interpolants.

    Args:
        codes: float (N, D) codes of real images, N >= 2.
        interpolation: ``f(z1, z2, alphas) -> (N, A, D)``, e.g. ``model.interpolation("lerp")``.
        alpha: the interpolation coefficient (0.5: the midpoints, where lerp's mismatch peaks).
        seed: seeds the pairing and the MMD subsampling.

    Returns:
        ``{"real_norms", "interpolated_norms"}``: :func:`norm_stats` of each set;
        ``"gaussian_kl"``: KL(fit(interpolants) || fit(real)) in nats (biased upwards by about
        (D^2 + 3 D) / (2 N) when N is not >> D); ``"mmd"``: unbiased MMD^2 with the median
        heuristic.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        interpolants = interpolant_codes(codes, interpolation, [alpha], generator)
    codes, interpolants = codes.detach().double().cpu(), interpolants.double().cpu()
    return {
        "alpha": alpha,
        "real_norms": norm_stats(codes),
        "interpolated_norms": norm_stats(interpolants),
        "gaussian_kl": gaussian_kl(interpolants, codes),
        "mmd": mmd(interpolants, codes, generator=torch.Generator().manual_seed(seed)),
    }


def _nearest_alpha_index(alphas: list[float], target: float = 0.5) -> int:
    return min(range(len(alphas)), key=lambda k: abs(alphas[k] - target))


def evaluate_model(
    model: AutoencoderModel,
    dataset: ImageDataset,
    interpolation: str = "lerp",
    interval: float = 80,
    axis: str | None = None,
    alphas: torch.Tensor | Sequence[float] | None = None,
    intervals: Mapping[str, Sequence[float]] | None = None,
    split: str = "test",
    max_pairs: int | None = None,
    curve_max_pairs: int | None = CURVE_MAX_PAIRS,
    seed: int = 0,
    tolerance: float = MONOTONICITY_TOLERANCE,
) -> dict:
    """The whole protocol on one model: paths at one interval, curves over intervals, latents.

    Args:
        model: an autoencoder built for the dataset's image size and channels.
        dataset: pole or a folder of views (any dataset with parameters).
        interpolation: one of ``model.interpolation_names`` ("lerp", "slerp", ...).
        interval: the interval of the main measures (paper: 80 degrees).
        axis: the parameter the pairs differ along; None: the first periodic one (pole phi,
            folder angle).
        alphas: increasing from 0 to 1; None: alpha_grid(16), the paper's 17 points.
        intervals: axis -> interval lengths of the MSE-vs-interval curves; None:
            :func:`default_intervals` (pole: phi 15..80 and theta 5..35, step 5).
        split: which images are paired (default "test": both endpoints held out).
        max_pairs: cap on the main pairs (None: all; the pole's test split has about 20).
        curve_max_pairs: cap on pairs per interval length of the curves.
        seed: seeds the pair subsets and the latent measures.
        tolerance: of the monotonicity measure.

    Returns:
        :func:`evaluate_paths`'s dict plus ``"interval", "axis", "split", "interpolation",
        "n_pairs", "mse_vs_interval"`` (axis -> :func:`mse_vs_interval`), ``"latent"``
        (:func:`latent_mismatch` on the codes of ALL dataset images: the pole's 115 test
        codes would be fewer than its 256 latent dimensions) and ``"summary"``: the key
        scalars ``mse_mid`` (mean MSE at the alpha nearest 0.5, ``mse_mid_alpha``),
        ``mse_mean`` (mean over all pairs and alphas), ``alpha_error``, ``boundary_error``,
        ``monotonicity_violations``, ``speed_ratio``, ``credibility``, ``latent_kl``,
        ``latent_mmd``.
    """
    check_model_fits(model, dataset)
    alphas = alpha_grid(DEFAULT_ALPHA_INTERVALS) if alphas is None else check_alphas(alphas)
    pairs = interval_pairs(dataset, interval, axis, split, max_pairs, seed)
    decoded = decode_paths(model, dataset, pairs, alphas, interpolation)
    result = evaluate_paths(
        decoded, true_paths(dataset, pairs, alphas), pairs, dataset, alphas, tolerance
    )
    curves = default_intervals(dataset) if intervals is None else intervals
    result["mse_vs_interval"] = {
        name: mse_vs_interval(
            model, dataset, lengths, name, None, interpolation, split, curve_max_pairs, seed
        )
        for name, lengths in curves.items()
    }
    latent = latent_mismatch(
        encode_images(model, dataset.images), model.interpolation(interpolation), seed=seed
    )
    mid = _nearest_alpha_index(result["alphas"])
    admissible = result["admissibility"]
    result.update(
        interval=pairs.interval,
        axis=pairs.axis,
        split=split,
        interpolation=interpolation,
        n_pairs=len(pairs),
        latent=latent,
        summary={
            "mse_mid": result["mse_vs_alpha"]["mean"][mid],
            "mse_mid_alpha": result["alphas"][mid],
            "mse_mean": sum(result["mse_vs_alpha"]["mean"]) / len(alphas),
            "alpha_error": result["alpha_prediction"]["error"],
            "boundary_error": admissible["boundary_error"]["mean"],
            "monotonicity_violations": admissible["monotonicity_violations"],
            "speed_ratio": admissible["speed"]["speed_ratio"],
            "credibility": admissible["credibility"]["mean"],
            "latent_kl": latent["gaussian_kl"],
            "latent_mmd": latent["mmd"],
        },
    )
    return result


def evaluate_lines_model(
    model: AutoencoderModel,
    n_pairs: int = N_PAIRS,
    steps: int = N_STEPS,
    seed: int = 0,
    interpolation: str = "lerp",
) -> dict:
    """ACAI's lines benchmark on a model (:mod:`.lines_benchmark`).

    Draws ``n_pairs`` pairs of true lines at the model's image size
    (:func:`~aeai_lib.evaluation.lines_benchmark.benchmark_pairs`, seeded), decodes
    ``steps`` interpolants per pair from alpha 0 to 1 and scores them.

    Returns:
        ``{"benchmark": "lines", "interpolation", "mean_distance", "smoothness" (None when
        undefined), "n_interpolations", "n_steps", "n_smoothness_scored",
        "n_smoothness_excluded", "summary": {"mean_distance", "smoothness"}}``.
    """
    if model.config.channels != 1:
        raise ValueError(
            f"the lines benchmark needs a single-channel model, got {model.config.channels} "
            "channels; evaluate a model trained on the lines dataset"
        )
    check_positive_int("steps", steps, minimum=2)
    generator = torch.Generator().manual_seed(seed)
    pairs = benchmark_pairs(n_pairs, size=model.config.image_size, generator=generator)
    paths = decode_between(
        model, pairs.start_images, pairs.end_images, alpha_grid(steps - 1), interpolation
    )
    scores = lines_benchmark(paths, require_smoothness=False)
    if math.isnan(scores["smoothness"]):
        scores["smoothness"] = None
    return {
        "benchmark": "lines",
        "interpolation": interpolation,
        **scores,
        "summary": {key: scores[key] for key in ("mean_distance", "smoothness")},
    }
