"""The AEAI paper's evaluation protocol, and ACAI's lines benchmark, run on a model.

The paper (Oring et al. 2021, "Results") compares decoded interpolations with the true
in-between images, on any dataset whose images carry their parameters (the pole, folders of
views; :mod:`.ground_truth` finds the pairs and their true paths). The runners here decode
the model's interpolations (:func:`decode_paths`) and score them:

* :func:`evaluate_paths`: every per-path measure (:mod:`.measures`: MSE vs alpha and its
  spread, alpha prediction, parameter distance; :mod:`.admissibility`: boundary,
  monotonicity, speed, credibility);
* :func:`mse_vs_interval`: measure (3), the mean MSE of the in-between images (0 < a < 1,
  endpoints left out so that the reconstruction error does not dilute the in-between error)
  against the interval length;
* :func:`evaluate_model`: all of it on one model, with the latent mismatch and the summary
  scalars declared in :data:`.measures.MEASURES`, as plain floats and lists (JSON-ready);
* :func:`evaluate_lines_model`: ACAI's lines benchmark instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.evaluation.admissibility import (
    MONOTONICITY_TOLERANCE,
    boundary_error,
    credibility_from_mse,
    monotonicity_violations,
    nearest_images,
    speed_profile,
)
from aeai_lib.evaluation.ground_truth import (
    IntervalPairs,
    axis_column,
    check_interval,
    default_intervals,
    grid_step,
    interval_pairs,
    is_rendered,
    matching_pairs,
    split_indices,
    true_paths,
)
from aeai_lib.evaluation.lines_benchmark import (
    N_PAIRS,
    N_STEPS,
    benchmark_pairs,
    lines_benchmark,
    table1_reading,
)
from aeai_lib.evaluation.measures import (
    Evaluated,
    alpha_prediction,
    latent_mismatch,
    mse_vs_alpha,
    nearest_alpha_index,
    parameter_distances,
    summarise,
)
from aeai_lib.evaluation.pixels import pixel_mse
from aeai_lib.evaluation.reencoding import reencode_paths, reencoding_summary
from aeai_lib.inference import check_model_fits, decode_between, encode_images
from aeai_lib.interpolation import alpha_grid
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_alphas, check_positive_int

DEFAULT_ALPHA_INTERVALS = 16
"""The paper's alpha grid: a = n / 16, n = 0..16 (17 points)."""
CURVE_MAX_PAIRS = 16
"""Default cap on pairs per interval length in the MSE-vs-interval curves (keeps them fast)."""
CURVE_ALPHA_INTERVALS = 8
"""The pole's MSE-vs-interval curves average over the 7 interior alphas of alpha_grid(8)."""


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


def view_alphas(dataset: ImageDataset, interval: float, axis: str | None = None) -> torch.Tensor:
    """The alphas of the views on the grid between two views ``interval`` apart along ``axis``
    (None: the first periodic parameter): alpha_grid(interval / step), step the grid's spacing
    (:func:`grid_step`). COIL-100's 5 degree grid at 80 degrees gives the paper's 17 alphas."""
    step = grid_step(dataset, axis)
    return alpha_grid(max(1, round(interval / step))) if step else alpha_grid(1)


def _curve_alphas(
    dataset: ImageDataset, axis: str, interval: float, alphas: torch.Tensor | None
) -> torch.Tensor:
    """Alphas of one MSE-vs-interval point: ``alphas`` if given; else alpha_grid(8) for the
    rendered pole and, for views, the views on the grid: :func:`view_alphas`."""
    if alphas is not None:
        return check_alphas(alphas)
    if is_rendered(dataset):
        return alpha_grid(CURVE_ALPHA_INTERVALS)
    return view_alphas(dataset, interval, axis)


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
    column = axis_column(dataset, axis)
    name = dataset.param_names[column]
    indices = split_indices(dataset, split)
    means: list[float | None] = []
    counts: list[int] = []
    for interval in intervals:
        interval = check_interval(dataset, column, interval)
        curve_alphas = _curve_alphas(dataset, name, interval, alphas)
        interior = curve_alphas[(curve_alphas > 0) & (curve_alphas < 1)]
        n_pairs = len(matching_pairs(dataset, column, interval, indices)[0])
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
        alphas: increasing from 0 to 1; None: alpha_grid(16), the paper's 17 points, on the
            rendered pole, and the views on the grid (:func:`view_alphas`) on datasets of views.
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
        codes would be fewer than its 256 latent dimensions), ``"reencoding"``
        (:func:`~.reencoding.reencoding_summary` of the straight line between the pairs'
        codes, whatever ``interpolation``: the line AEAI's L_C acts on) and ``"summary"``: the
        "protocol" measures of :data:`~aeai_lib.evaluation.measures.MEASURES` (``mse_mid``,
        the mean MSE at the alpha nearest 0.5, ``mse_mean``, ``alpha_error``,
        ``boundary_error``, ``monotonicity_violations``, ``speed_ratio``, ``credibility``,
        ``latent_kl``, ``latent_mmd``) and ``mse_mid_alpha``, the alpha of ``mse_mid``.
    """
    check_model_fits(model, dataset)
    if alphas is not None:
        alphas = check_alphas(alphas)
    elif is_rendered(dataset):
        alphas = alpha_grid(DEFAULT_ALPHA_INTERVALS)
    else:
        alphas = view_alphas(dataset, interval, axis)
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
    reencoded = reencode_paths(
        model, dataset.images[pairs.sources], dataset.images[pairs.targets], alphas
    )
    result.update(
        interval=pairs.interval,
        axis=pairs.axis,
        split=split,
        interpolation=interpolation,
        n_pairs=len(pairs),
        latent=latent,
        reencoding=reencoding_summary(reencoded, alphas),
    )
    result["summary"] = {
        "mse_mid_alpha": result["alphas"][nearest_alpha_index(result["alphas"])],
        **summarise("protocol", Evaluated(model, dataset, result, decoded)),
    }
    return result


def evaluate_lines_model(
    model: AutoencoderModel,
    n_pairs: int = N_PAIRS,
    steps: int = N_STEPS,
    seed: int = 0,
    interpolation: str = "lerp",
    readings: dict[str, list[float]] | None = None,
) -> dict:
    """ACAI's lines benchmark on a model (:mod:`.lines_benchmark`).

    Draws ``n_pairs`` pairs of true lines at the model's image size
    (:func:`~aeai_lib.evaluation.lines_benchmark.benchmark_pairs`, seeded), decodes
    ``steps`` interpolants per pair from alpha 0 to 1 and scores them. With the run's
    training ``readings`` (a checkpoint's ``"readings"``, from
    :func:`~aeai_lib.evaluation.lines_benchmark.lines_monitor`) it also gives ACAI's Table 1
    reading, the median of the last 20 (:func:`~.lines_benchmark.table1_reading`).

    Returns:
        ``{"benchmark": "lines", "interpolation", "mean_distance", "smoothness" (None when
        undefined), "n_interpolations", "n_steps", "n_smoothness_scored",
        "n_smoothness_excluded", "table1" (None without readings), "summary"}``, the summary
        holding the "lines" measures of :data:`~aeai_lib.evaluation.measures.MEASURES`.
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
    scores["table1"] = table1_reading(readings) if readings else None
    summary = summarise("lines", Evaluated(model, None, scores, paths))
    return {"benchmark": "lines", "interpolation": interpolation, **scores, "summary": summary}
