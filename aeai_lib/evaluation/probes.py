"""Codes as a representation: a linear probe and k-means on a model's frozen codes.

ACAI (Berthelot et al. 2018, Table 2) reads the codes out with a single-layer classifier and
with k-means (clustering accuracy). Here the factors are exact (the pole's light elevation
theta and azimuth phi; the lines' angle), so the readout is a regression:

* **linear probe** (:func:`fit_probe`): ridge regression from the codes (standardised on the
  training split) to the factor targets of :func:`factor_targets` — a non-periodic factor as
  it is (theta in degrees), a periodic one as (cos, sin) of its angle (phi: cos phi, sin phi;
  lines: cos a, sin a, since a line drawn from the centre outward is a ray, period 360
  degrees, not 180). Fitted on the training split, scored on the test split: the R² of each
  target (:func:`sklearn.metrics.r2_score`, 1 perfect, 0 no better than the mean) and the
  angular error of each periodic factor, ``mean |wrap(atan2(sin_hat, cos_hat) - angle)|``
  in degrees (90 degrees for a probe that guesses at random). The ridge strength is picked
  on the training split alone by scikit-learn's :class:`~sklearn.linear_model.RidgeCV`
  (efficient leave-one-out over :data:`RIDGE_ALPHAS`).
* **k-means** (:func:`cluster_codes`): :class:`sklearn.cluster.KMeans` on the raw codes
  (the Euclidean geometry that interpolation uses) with as many clusters as factor bins
  (:func:`factor_bins`: the pole's 8 theta values; 8 equal sectors of an angle when every
  factor is periodic), scored against the bins by clustering accuracy (ACAI's Table 2
  score: the best one-to-one matching of clusters to bins, Hungarian algorithm,
  :func:`scipy.optimize.linear_sum_assignment`), normalised mutual information
  (:func:`sklearn.metrics.normalized_mutual_info_score`) and the adjusted Rand index
  (:func:`sklearn.metrics.adjusted_rand_score`). Chance accuracy is about 1 / n_bins.

scikit-learn is used rather than our own solver: a kept library with tested ridge, k-means
and scores (scipy and threadpoolctl come with it). :func:`evaluate_representation` runs both
on a model; its "summary" holds the "representation" measures of
:data:`~aeai_lib.evaluation.measures.MEASURES`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.linear_model import RidgeCV
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from aeai_lib.data.base import ImageDataset
from aeai_lib.evaluation.measures import Evaluated, summarise
from aeai_lib.inference import check_model_fits, encode_images
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_positive_int

RIDGE_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-3, 4, 15))
"""The ridge strengths RidgeCV chooses among (on standardised codes)."""
MIN_PROBE_SAMPLES = 3
"""Fewest images in each split a probe accepts (R² needs at least two test values)."""
SECTORS = 8
"""Bins of a periodic factor when no factor is on a grid (lines: 8 sectors of 45 degrees)."""
MAX_TRAIN, MAX_TEST = 4000, 1000
"""Caps on the images probed per split (the lines' 20,000 / 5,000; the pole has 461 / 115):
the first ones of each split, so the subsets are fixed."""
N_INIT = 10
"""k-means restarts (the best inertia is kept)."""
SKLEARN_THREADS = 1
"""Threads for scikit-learn's BLAS and OpenMP pools (threadpoolctl): at this size more
threads only contend (k-means on the pole's 576 codes: 0.3 s on one thread, 4.6 s on two
busy cores)."""


def _check_matrix(name: str, value: torch.Tensor, rows: int | None = None) -> np.ndarray:
    """A finite 2-D float array (N, K) as float64 numpy; ValueError naming ``name``."""
    if not isinstance(value, torch.Tensor) or value.ndim != 2:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f"{name} must be a 2-D tensor (N, K), got {shape}")
    if rows is not None and len(value) != rows:
        raise ValueError(f"{name} has {len(value)} rows but its codes have {rows}")
    array = value.detach().double().cpu().numpy()
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def factor_targets(
    params: torch.Tensor, names: tuple[str, ...], periods: tuple[float | None, ...]
) -> tuple[torch.Tensor, list[str]]:
    """The probe's targets: float64 (N, T) and their names.

    A non-periodic factor is one column (its value, e.g. theta in degrees); a periodic factor
    of period P two columns ``cos(2 pi p / P)``, ``sin(2 pi p / P)``. Pole: (theta, cos phi,
    sin phi); lines: (cos a, sin a).
    """
    params = params.double()
    columns, labels = [], []
    for k, (name, period) in enumerate(zip(names, periods, strict=True)):
        if period is None:
            columns.append(params[:, k])
            labels.append(name)
        else:
            angle = params[:, k] * (2 * math.pi / period)
            columns += [angle.cos(), angle.sin()]
            labels += [f"cos {name}", f"sin {name}"]
    return torch.stack(columns, dim=1), labels


def angular_error_degrees(predicted: torch.Tensor, angle: torch.Tensor, period: float) -> float:
    """Mean |wrap(atan2(s, c) - angle)| in degrees, for predictions (N, 2) of (cos, sin) and
    the true angles (N,) in units of ``period`` (360 degrees, or 2 pi radians)."""
    estimate = torch.atan2(predicted[:, 1], predicted[:, 0])
    difference = estimate - angle.double() * (2 * math.pi / period)
    wrapped = torch.remainder(difference + math.pi, 2 * math.pi) - math.pi
    return math.degrees(wrapped.abs().mean().item())


def fit_probe(
    train_codes: torch.Tensor,
    train_targets: torch.Tensor,
    test_codes: torch.Tensor,
    test_targets: torch.Tensor,
) -> dict[str, float | list[float] | torch.Tensor]:
    """A linear probe from codes to targets, fitted on one split and scored on the other.

    Args:
        train_codes: float (N, D) codes; train_targets: (N, T) their targets.
        test_codes: float (M, D) codes; test_targets: (M, T).
        N and M are at least :data:`MIN_PROBE_SAMPLES`.

    Returns:
        ``{"r2": mean R² over the targets, "r2_per_target": list (T,), "ridge_alpha": the
        strength RidgeCV chose, "predictions": float64 (M, T)}``.

    Raises:
        ValueError: naming the argument, for a non-2-D or non-finite input, rows that do not
            match, codes of other widths, or fewer than MIN_PROBE_SAMPLES images in a split.
    """
    x_train = _check_matrix("train_codes", train_codes)
    y_train = _check_matrix("train_targets", train_targets, len(x_train))
    x_test = _check_matrix("test_codes", test_codes)
    y_test = _check_matrix("test_targets", test_targets, len(x_test))
    for name, array in (("train_codes", x_train), ("test_codes", x_test)):
        if len(array) < MIN_PROBE_SAMPLES:
            raise ValueError(
                f"{name} has {len(array)} rows; a probe needs at least {MIN_PROBE_SAMPLES}"
            )
    if x_test.shape[1] != x_train.shape[1]:
        raise ValueError(
            f"test_codes have {x_test.shape[1]} columns, train_codes {x_train.shape[1]}"
        )
    if y_test.shape[1] != y_train.shape[1]:
        raise ValueError(
            f"test_targets have {y_test.shape[1]} columns, train_targets {y_train.shape[1]}"
        )
    probe = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
    with threadpool_limits(SKLEARN_THREADS):
        probe.fit(x_train, y_train)
        predicted = probe.predict(x_test).reshape(len(x_test), -1)
    r2 = r2_score(y_test, predicted, multioutput="raw_values")
    return {
        "r2": float(np.mean(r2)),
        "r2_per_target": [float(v) for v in r2],
        "ridge_alpha": float(probe[-1].alpha_),
        "predictions": torch.from_numpy(predicted),
    }


def factor_bins(dataset: ImageDataset) -> tuple[torch.Tensor, str]:
    """Labels (N,) int64 for k-means, and what they are.

    The first non-periodic factor's distinct values (the pole's 8 theta values); when every
    factor is periodic, :data:`SECTORS` equal sectors of the first (lines: 45 degrees each).
    """
    periods = dataset.param_periods
    for k, period in enumerate(periods):
        if period is None:
            return torch.unique(dataset.params[:, k], return_inverse=True)[1], dataset.param_names[
                k
            ]
    if not periods:
        raise ValueError(f"dataset {dataset.name!r} has no parameters to bin")
    fraction = torch.remainder(dataset.params[:, 0], periods[0]) / periods[0]
    labels = (fraction * SECTORS).long().clamp(max=SECTORS - 1)
    return labels, f"{dataset.param_names[0]} in {SECTORS} sectors"


def clustering_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """The fraction of points whose cluster maps to their label under the best one-to-one
    matching of clusters to labels (Hungarian algorithm; ACAI's Table 2 score)."""
    label_ids, label_index = np.unique(labels, return_inverse=True)
    cluster_ids, cluster_index = np.unique(clusters, return_inverse=True)
    counts = np.zeros((len(cluster_ids), len(label_ids)))
    np.add.at(counts, (cluster_index, label_index), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels))


def cluster_codes(
    codes: torch.Tensor, labels: torch.Tensor, n_clusters: int | None = None, seed: int = 0
) -> dict[str, float | int]:
    """k-means on codes (N, D), scored against labels (N,).

    Args:
        codes: float (N, D). labels: int (N,), the true groups (e.g. theta bins).
        n_clusters: how many clusters; None: as many as distinct labels (at least 2).
        seed: k-means' random state (:data:`N_INIT` restarts).

    Returns:
        ``{"accuracy", "nmi", "ari", "n_clusters"}``: clustering accuracy
        (:func:`clustering_accuracy`), normalised mutual information and adjusted Rand index.

    Raises:
        ValueError: naming the argument, for codes that are not (N, D) or labels not (N,),
            fewer than 2 clusters, or fewer codes than clusters.
    """
    x = _check_matrix("codes", codes)
    if not isinstance(labels, torch.Tensor) or labels.shape != (len(x),):
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must be a tensor of shape ({len(x)},), got {shape}")
    y = labels.cpu().numpy()
    n_clusters = len(np.unique(y)) if n_clusters is None else n_clusters
    check_positive_int("n_clusters", n_clusters, minimum=2)
    if len(x) < n_clusters:
        raise ValueError(f"codes has {len(x)} rows, fewer than n_clusters={n_clusters}")
    kmeans = KMeans(n_clusters=n_clusters, n_init=N_INIT, random_state=seed)
    with threadpool_limits(SKLEARN_THREADS):
        clusters = kmeans.fit_predict(x)
    return {
        "accuracy": clustering_accuracy(y, clusters),
        "nmi": float(normalized_mutual_info_score(y, clusters)),
        "ari": float(adjusted_rand_score(y, clusters)),
        "n_clusters": int(n_clusters),
    }


def has_exact_factors(dataset: ImageDataset) -> bool:
    """Whether the probes apply: the pole (theta, phi) or the lines (angle), whose factors
    are continuous and exact (a folder's object index is a category, not a factor)."""
    return tuple(dataset.param_names) in {("theta", "phi"), ("angle",)} and dataset.name in {
        "pole",
        "lines",
    }


def evaluate_representation(model: AutoencoderModel, dataset: ImageDataset, seed: int = 0) -> dict:
    """The probe and k-means on a model's codes of the dataset (pole or lines).

    The probe is fitted on (at most :data:`MAX_TRAIN`) training images and scored on (at most
    :data:`MAX_TEST`) test images; k-means clusters the codes of both together (it sees no
    labels). On the 64x64 pole: 576 codes, well under a second.

    Returns:
        ``{"targets": names, "r2", "r2_per_target", "ridge_alpha", "angle_error": {factor:
        degrees} for each periodic factor, "value_error": {factor: mean |error|} for each
        other factor (theta: degrees), "clusters": :func:`cluster_codes` plus "bins" (what
        was binned), "n_train", "n_test", "summary"}``, the summary holding the
        "representation" measures of :data:`~aeai_lib.evaluation.measures.MEASURES`.

    Raises:
        ValueError: a dataset without exact factors (:func:`has_exact_factors`), or one the
            model was not built for.
    """
    if not has_exact_factors(dataset):
        raise ValueError(
            f"dataset {dataset.name!r} has no exact factors to probe; the probes run on the "
            "pole (theta, phi) and the lines (angle)"
        )
    check_model_fits(model, dataset)
    train, test = dataset.train_idx[:MAX_TRAIN], dataset.test_idx[:MAX_TEST]
    codes = encode_images(model, dataset.images[torch.cat([train, test])]).flatten(1).cpu()
    targets, names = factor_targets(
        dataset.params[torch.cat([train, test])], dataset.param_names, dataset.param_periods
    )
    n = len(train)
    probe = fit_probe(codes[:n], targets[:n], codes[n:], targets[n:])
    predicted, test_params = probe.pop("predictions"), dataset.params[test].double()
    angle_error, value_error, column = {}, {}, 0
    for k, (name, period) in enumerate(
        zip(dataset.param_names, dataset.param_periods, strict=True)
    ):
        if period is None:
            value_error[name] = (predicted[:, column] - test_params[:, k]).abs().mean().item()
            column += 1
        else:
            pair = predicted[:, column : column + 2]
            angle_error[name] = angular_error_degrees(pair, test_params[:, k], period)
            column += 2
    labels, binned = factor_bins(dataset)
    clusters = cluster_codes(codes, labels[torch.cat([train, test])], seed=seed)
    result = {
        "targets": names,
        **probe,
        "angle_error": angle_error,
        "value_error": value_error,
        "clusters": {**clusters, "bins": binned},
        "n_train": n,
        "n_test": len(test),
    }
    result["summary"] = summarise("representation", Evaluated(model, dataset, result))
    return result
