"""Validation images: held out from training AND from the test split, for choosing settings.

The rendered datasets can draw as many fresh images as needed, off the dataset's own grid, so
settings are chosen on images no model trained on and no reported number is measured on:

* pole: theta ~ U[45, 80] and phi ~ U[0, 360) degrees, continuous (the grid's 5 degree
  steps are hit with probability 0), rendered at the dataset's size;
* objects: the same objects at off-grid azimuths: a random object, a random view k and
  azimuth ``step * (k + u)`` with u ~ U[0.2, 0.8], so at least a fifth of a step (1 degree
  on the 5 degree grid) from every view the protocol judges, and so are the views 80
  degrees on (validation pairs), which :func:`~aeai_lib.evaluation.ground_truth.true_paths`
  renders;
* lines: angles ~ U[0, 2 pi) from a generator seeded apart from the dataset's own.

Folders of photographs have no renderer and get no validation images (None): their measures
are those of the test split.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from aeai_lib.data import lines, objects, pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.validation import check_positive_int

VALIDATION_SEED_OFFSET = 10_000
"""Validation draws use ``seed + VALIDATION_SEED_OFFSET`` so they never repeat the dataset's."""


def validation_params(dataset: ImageDataset, n: int, seed: int = 0) -> torch.Tensor | None:
    """Random generating parameters (n, P) in the dataset's units, or None without a renderer.

    Pole: (theta, phi) in degrees; objects: (object, azimuth in degrees); lines: the angle
    in radians.
    """
    check_positive_int("n", n)
    generator = torch.Generator().manual_seed(seed + VALIDATION_SEED_OFFSET)
    draws = torch.rand(n, 2, generator=generator, dtype=torch.float64)
    if dataset.name == "pole":
        low, high = min(pole.THETAS), max(pole.THETAS)
        return torch.stack([low + (high - low) * draws[:, 0], 360.0 * draws[:, 1]], dim=1)
    if dataset.name == "lines":
        return (2 * math.pi * draws[:, :1]).clone()
    if objects.is_objects(dataset.name):
        spec = objects.parse_spec(dataset.name)
        object_ids = 1 + torch.randint(spec.n_objects, (n,), generator=generator)
        views = torch.randint(spec.views, (n,), generator=generator).double()
        offsets = 0.2 + 0.6 * draws[:, 1]
        return torch.stack([object_ids.double(), spec.step * (views + offsets)], dim=1)
    return None


def render_params(dataset: ImageDataset, params: torch.Tensor) -> torch.Tensor:
    """Render parameters (n, P) of a pole, objects or lines dataset at its size:
    (n, C, H, W) in [0, 1]."""
    if dataset.name == "pole":
        return pole.render(params[:, 0], params[:, 1], dataset.size)
    if objects.is_objects(dataset.name):
        return objects.render(dataset.name, params[:, 0], params[:, 1], dataset.size)
    if dataset.name == "lines":
        return lines.render(params[:, 0], dataset.size)
    raise ValueError(
        f"dataset {dataset.name!r} has no renderer; validation images exist for pole, objects "
        "and lines"
    )


def validation_images(dataset: ImageDataset, n: int = 64, seed: int = 0) -> torch.Tensor | None:
    """``n`` fresh images (n, C, H, W) in [0, 1] off the dataset's grid, or None for folders."""
    params = validation_params(dataset, n, seed)
    return None if params is None else render_params(dataset, params)


def validation_pairs_dataset(
    dataset: ImageDataset, n_pairs: int = 32, interval: float = 80.0, seed: int = 0
) -> ImageDataset:
    """The pole or objects dataset with ``n_pairs`` off-grid validation pairs as its test split.

    Pole: each pair shares a random theta ~ U[45, 80] and starts at phi ~ U[0, 360).
    Objects: each pair is one random object from an off-grid azimuth (see the module
    docstring). The target is ``interval`` degrees further in phi (azimuth). The pairs'
    2 * n_pairs rendered images are appended to the dataset's grid images (which stay the
    reference set of the nearest-image measures, as in the test protocol) and form the test
    split, so the test protocol (:func:`aeai_lib.evaluation.protocol.evaluate_model` with
    ``split="test"``) scores validation pairs instead of test pairs; the grid images are its
    train split.

    Raises:
        ValueError: for a dataset other than pole and objects (rendered at any angle).
    """
    if dataset.name != "pole" and not objects.is_objects(dataset.name):
        raise ValueError(
            f"validation pairs are rendered for the pole and objects datasets only, got "
            f"{dataset.name!r}; lines models are validated with the lines benchmark under "
            "another seed"
        )
    check_positive_int("n_pairs", n_pairs)
    starts = validation_params(dataset, n_pairs, seed)
    ends = starts.clone()
    ends[:, 1] = torch.remainder(starts[:, 1] + interval, 360.0)
    params = torch.cat([starts, ends]).round(decimals=3)
    n_grid = len(dataset)
    return replace(
        dataset,
        images=torch.cat([dataset.images, render_params(dataset, params)]),
        params=torch.cat([dataset.params, params]),
        train_idx=torch.arange(n_grid),
        test_idx=torch.arange(n_grid, n_grid + 2 * n_pairs),
    )
