"""Pairs of dataset images and their true in-between images: the ground truth of the protocol.

The AEAI paper (Oring et al. 2021, "Results") compares decoded interpolations with the true
in-between images. That works for datasets whose images carry their generating parameters:
the pole, whose renderer gives the exact image at any (theta, phi), folders of views
(COIL-100-like), whose in-between images are the views on the grid, and the rendered
objects, views on a grid like a folder's whose view at any other azimuth is rendered.

* :func:`interval_pairs`: pairs (x_i, x_j) of images of one split whose parameters differ by
  exactly ``interval`` along one axis (wrapping with its period) and agree on the others.
* :func:`true_paths`: the true image at parameters ``p(a) = p_i + a (p_j - p_i)`` for each
  alpha, where ``p_j - p_i`` is the displacement along the axis (+interval, the way that
  wraps).
* Periodic parameters (an azimuth in degrees, an angle in radians): differences are wrapped
  into [-period / 2, period / 2) by :func:`wrap_angle` and :func:`wrap_differences`,
  positions into [0, period) by :func:`wrap_positions`; :func:`parameter_distance` is
  Euclidean over the wrapped differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from aeai_lib.data import objects, pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.validation import check_alphas, check_choice, check_positive_int, is_real_number

SPLITS = ("test", "train", "all")
"""Which images :func:`interval_pairs` pairs up."""
DEFAULT_INTERVALS: dict[str, tuple[int, ...]] = {
    "phi": tuple(range(15, 85, 5)),
    "theta": tuple(range(5, 40, 5)),
    "angle": tuple(range(15, 85, 5)),
}
"""Interval lengths (degrees) of the MSE-vs-interval curves, by axis name."""
PARAM_DECIMALS = 3
"""Parameters are matched after rounding to this many decimals (1e-3 degree)."""


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
        return wrap_positions(params, self.periods)


def wrap_angle(values: torch.Tensor, period: float) -> torch.Tensor:
    """Periodic differences (any shape) wrapped into [-period / 2, period / 2)."""
    return torch.remainder(values + period / 2, period) - period / 2


def wrap_differences(differences: torch.Tensor, periods: Sequence[float | None]) -> torch.Tensor:
    """Wrap the periodic columns of (..., K) differences into [-period / 2, period / 2)."""
    wrapped = differences.clone()
    for column, period in enumerate(periods):
        if period is not None:
            wrapped[..., column] = wrap_angle(differences[..., column], period)
    return wrapped


def wrap_positions(params: torch.Tensor, periods: Sequence[float | None]) -> torch.Tensor:
    """Wrap the periodic columns of (..., K) parameters into [0, period), in place; return them."""
    for column, period in enumerate(periods):
        if period is not None:
            params[..., column] = torch.remainder(params[..., column], period)
    return params


def parameter_distance(
    first: torch.Tensor, second: torch.Tensor, periods: Sequence[float | None]
) -> torch.Tensor:
    """Euclidean distance between parameter vectors (..., K), periodic differences wrapped."""
    return wrap_differences(first.double() - second.double(), periods).norm(dim=-1)


def _param_keys(params: torch.Tensor, periods: Sequence[float | None]) -> list[tuple[int, ...]]:
    """Hashable keys of (N, K) parameters: rounded to PARAM_DECIMALS, periodic ones wrapped."""
    scale = 10**PARAM_DECIMALS
    rounded = torch.round(params.double() * scale).long()
    for column, period in enumerate(periods):
        if period is not None:
            rounded[:, column] = torch.remainder(rounded[:, column], round(period * scale))
    return [tuple(row) for row in rounded.tolist()]


def axis_column(dataset: ImageDataset, axis: str | None) -> int:
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
    wrap-around gap counts too), or None when the axis has a single value. The objects'
    azimuth grid is the one they were rendered on (the spec's step), even when off-grid
    views were added (validation pairs)."""
    column = axis_column(dataset, axis)
    if objects.is_objects(dataset.name) and dataset.param_names[column] == "angle":
        return objects.parse_spec(dataset.name).step
    values = torch.unique(dataset.params[:, column].double().round(decimals=PARAM_DECIMALS))
    gaps = values.diff()
    period = dataset.param_periods[column]
    if period is not None and len(values):
        gaps = torch.cat([gaps, (values[:1] + period - values[-1])])
    gaps = gaps[gaps > 0]
    return gaps.min().item() if len(gaps) else None


def check_interval(dataset: ImageDataset, column: int, interval: float) -> float:
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


def matching_pairs(
    dataset: ImageDataset, column: int, interval: float, indices: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (i, j) among ``indices`` with p_j = p_i + interval along ``column`` and equal
    other parameters: int64 (P,) sources i and targets j."""
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
        if len(matching_pairs(dataset, column, multiple * step, indices)[0]):
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
    column = axis_column(dataset, axis)
    name = dataset.param_names[column]
    interval = check_interval(dataset, column, interval)
    indices = split_indices(dataset, split)
    if len(indices) == 0:
        raise ValueError(
            f"the {split} split of dataset {dataset.name!r} is empty; pass split='all'"
        )
    sources, targets = matching_pairs(dataset, column, interval, indices)
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
    """True for the pole dataset, a continuous scene whose protocol renders the truth at every
    alpha. The objects, rendered too, are judged like a folder: on their grid of views
    (:func:`true_paths` renders only the alphas that fall between views)."""
    return dataset.name == "pole" and tuple(dataset.param_names) == ("theta", "phi")


def true_paths(
    dataset: ImageDataset, pairs: IntervalPairs, alphas: torch.Tensor | Sequence[float]
) -> torch.Tensor:
    """The exact in-between images at parameters ``p(a) = p_i + a * displacement``.

    The pole is rendered with :func:`aeai_lib.data.pole.render` at the dataset's size (theta
    linear, phi along the signed interval). Datasets of views take the dataset image whose
    parameters equal p(a) (to PARAM_DECIMALS), already resized like the dataset; an alpha
    that falls between views is rendered for the objects (:func:`aeai_lib.data.objects.render`)
    and raises ValueError for a folder.

    Returns:
        float32 (P, A, C, H, W) in [0, 1]; alpha 0 and 1 give the dataset's x_i and x_j.
    """
    alphas = check_alphas(alphas)
    params = pairs.params_at(alphas)  # (P, A, K)
    n_pairs, n_alphas = params.shape[:2]
    flat = params.reshape(n_pairs * n_alphas, -1)
    if is_rendered(dataset):
        images = pole.render(flat[:, 0], flat[:, 1], dataset.size)
        return images.reshape(n_pairs, n_alphas, *images.shape[1:])
    lookup = {
        key: index for index, key in enumerate(_param_keys(dataset.params, dataset.param_periods))
    }
    keys = _param_keys(flat, dataset.param_periods)
    missing = [position for position, key in enumerate(keys) if key not in lookup]
    if missing and not objects.is_objects(dataset.name):
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
    images = dataset.images[torch.tensor([lookup.get(key, 0) for key in keys], dtype=torch.int64)]
    if missing:
        off_grid = flat[missing]  # the objects' views between views: rendered
        images[missing] = objects.render(dataset.name, off_grid[:, 0], off_grid[:, 1], dataset.size)
    return images.reshape(n_pairs, n_alphas, *images.shape[1:])


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


def params_between(
    dataset: ImageDataset, index_a: int, index_b: int, alphas: torch.Tensor
) -> torch.Tensor:
    """Parameters on the straight path from image a's to image b's: float64 (A, K) for alphas
    (A,), periodic ones along the shorter arc and wrapped into [0, period)."""
    start = dataset.params[index_a].double()
    difference = wrap_differences(dataset.params[index_b].double() - start, dataset.param_periods)
    params = start + alphas.double().reshape(-1, 1) * difference
    return wrap_positions(params, dataset.param_periods)
