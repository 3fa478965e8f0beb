"""The measures of an interpolation, and the one table that declares each of them.

Curves (lists over alpha), on P pairs and A alphas (images (P, A, C, H, W) in [0, 1]),
with ``mse(p, a)`` = :func:`~aeai_lib.evaluation.pixels.pixel_mse` of the decoded and the
true image:

* (1) mean MSE vs alpha: ``mean_p mse(p, a)``; (2) its spread: ``std_p mse(p, a)``
  (population standard deviation, divisor P). :func:`mse_vs_alpha`.
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
* latent mismatch: :func:`latent_mismatch`, codes of interpolants vs real codes.

(Measure (3), MSE vs interval length, decodes new pairs: :mod:`.protocol`.)

**The table.** :data:`MEASURES` declares every scalar measure once: its key, column header,
one-line note, number format, whether lower is better, which benchmark computes it, and the
function that computes it from an :class:`Evaluated`. The evaluation's summaries
(:func:`summarise`), the comparison table of ``python -m aeai_lib evaluate``, the README's
results table and ``scripts/train_checkpoints.py`` all read it. Adding a measure is one
:class:`Measure` in :data:`MEASURES` and its function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.evaluation.ground_truth import IntervalPairs, parameter_distance, wrap_differences
from aeai_lib.evaluation.mismatch import gaussian_kl, interpolant_codes, mmd, norm_stats
from aeai_lib.evaluation.pixels import pixel_mse
from aeai_lib.inference import reconstruction_error
from aeai_lib.interpolation import Interpolation
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_alphas, check_choice


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
    relative = wrap_differences(
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


def nearest_alpha_index(alphas: list[float], target: float = 0.5) -> int:
    """The index of the alpha nearest ``target`` (the first of two equally near)."""
    return min(range(len(alphas)), key=lambda k: abs(alphas[k] - target))


BENCHMARKS: tuple[str, ...] = ("model", "protocol", "lines", "representation")
"""What computes a measure: "model", a property of the model alone, measured for every
checkpoint (:func:`aeai_lib.evaluation.report.evaluate_checkpoint`); "protocol", the paper's
protocol on a dataset with true in-between images (:func:`.protocol.evaluate_model`);
"lines", ACAI's lines benchmark (:func:`.protocol.evaluate_lines_model`); "representation",
the codes read out by a linear probe and k-means, on datasets with exact factors (pole,
lines: :func:`.probes.evaluate_representation`)."""


@dataclass(frozen=True)
class Evaluated:
    """What a measure's function reads.

    Attributes:
        model: the model evaluated.
        dataset: its dataset (None for the lines benchmark, which draws fresh pairs).
        result: what the benchmark computed, JSON-ready: for "protocol" the dict of
            :func:`.protocol.evaluate_paths` with "mse_vs_interval" and "latent" added, for
            "lines" the scores of :func:`.lines_benchmark.lines_benchmark`, for
            "representation" the dict of :func:`.probes.evaluate_representation`; empty for
            "model".
        decoded: float32 (P, A, C, H, W) the interpolations scored, on the CPU (None for
            "model").
    """

    model: AutoencoderModel
    dataset: ImageDataset | None
    result: dict[str, Any]
    decoded: torch.Tensor | None = None


@dataclass(frozen=True)
class Measure:
    """One scalar measure, declared once for the evaluation, the tables and the README.

    Attributes:
        key: its key in summaries and in :func:`~.report.evaluate_checkpoint`'s dict.
        header: its column header (short, ASCII).
        note: one line under the comparison table saying what it is.
        benchmark: one of :data:`BENCHMARKS`, which computes it.
        compute: Evaluated -> the value (a float, or None where it is undefined).
        fmt: how a value is printed, a ``str.format`` pattern.
        lower_is_better: which way is better (False for the probes' R² and k-means scores).
        report: a column of ``python -m aeai_lib evaluate``'s table.
        readme: a column of the README's results table.
    """

    key: str
    header: str
    note: str
    benchmark: str
    compute: Callable[[Evaluated], float | None]
    fmt: str = "{:.4g}"
    lower_is_better: bool = True
    report: bool = True
    readme: bool = True

    def __post_init__(self) -> None:
        check_choice("benchmark", self.benchmark, BENCHMARKS)

    def format(self, value: float | None) -> str:
        """A table cell: the value in :attr:`fmt`, or "-" when it is missing or undefined."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        return self.fmt.format(value)


def _mse_mid(evaluated: Evaluated) -> float:
    """Mean MSE at the alpha nearest 0.5."""
    result = evaluated.result
    return result["mse_vs_alpha"]["mean"][nearest_alpha_index(result["alphas"])]


def _mse_mean(evaluated: Evaluated) -> float:
    """Mean MSE over all pairs and alphas."""
    means = evaluated.result["mse_vs_alpha"]["mean"]
    return sum(means) / len(means)


def _test_reconstruction(evaluated: Evaluated) -> float:
    """Mean squared reconstruction error per pixel on the dataset's test split."""
    return reconstruction_error(evaluated.model, evaluated.dataset)


MEASURES: tuple[Measure, ...] = (
    Measure(
        "reconstruction_mse", "recon MSE", "test reconstruction MSE per pixel", "model",
        _test_reconstruction, "{:.2e}",
    ),
    Measure(
        "mse_mid", "MSE a=0.5", "mean MSE vs the true in-between image at alpha 0.5",
        "protocol", _mse_mid, "{:.2e}",
    ),
    Measure(
        "mse_mean", "mean MSE", "mean MSE vs the true images over all alphas", "protocol",
        _mse_mean, "{:.2e}",
    ),
    Measure(
        "alpha_error", "alpha err", "mean |median predicted alpha - alpha| (nearest dataset image)",
        "protocol", lambda e: e.result["alpha_prediction"]["error"], "{:.3f}",
    ),
    Measure(
        "boundary_error", "boundary MSE", "MSE of the decoded endpoints to x_i and x_j",
        "protocol", lambda e: e.result["admissibility"]["boundary_error"]["mean"], "{:.2e}",
        report=False, readme=False,
    ),
    Measure(
        "monotonicity_violations", "monotonic viol",
        "fraction of steps moving back to x_i or away from x_j", "protocol",
        lambda e: e.result["admissibility"]["monotonicity_violations"], "{:.3f}", readme=False,
    ),
    Measure(
        "speed_ratio", "speed ratio", "max / min image step per path (1: constant speed)",
        "protocol", lambda e: e.result["admissibility"]["speed"]["speed_ratio"], "{:.2f}",
    ),
    Measure(
        "credibility", "credibility", "mean MSE of interpolants to the nearest dataset image",
        "protocol", lambda e: e.result["admissibility"]["credibility"]["mean"], "{:.2e}",
    ),
    Measure(
        "drift_mid", "drift a=0.5",
        "re-encoding drift ||f(g(z)) - z|| / ||z_j - z_i|| at alpha 0.5 (lerp)", "protocol",
        lambda e: e.result["reencoding"]["drift_mid"], "{:.3f}",
    ),
    Measure(
        "alpha_back_error", "re-enc alpha err",
        "mean |a_hat - a|, a_hat the projection of f(g(z(a))) on the line (lerp)", "protocol",
        lambda e: e.result["reencoding"]["alpha_back_error"], "{:.3f}",
    ),
    Measure(
        "latent_kl", "latent KL", "KL of Gaussian fits, midpoint codes vs real codes (nats)",
        "protocol", lambda e: e.result["latent"]["gaussian_kl"], "{:.3g}",
        report=False, readme=False,
    ),
    Measure(
        "latent_mmd", "latent MMD", "MMD^2 of midpoint codes vs real codes", "protocol",
        lambda e: e.result["latent"]["mmd"], "{:.4f}", readme=False,
    ),
    Measure(
        "mean_distance", "Mean Distance", "cosine distance to the nearest true line (ACAI)",
        "lines", lambda e: e.result["mean_distance"], "{:.4f}",
    ),
    Measure(
        "smoothness", "Smoothness", "ACAI smoothness of the nearest lines' angles", "lines",
        lambda e: e.result["smoothness"], "{:.3f}",
    ),
    Measure(
        "table1_mean_distance", "MD (Table 1)",
        "Mean Distance as ACAI's Table 1 reads it: median of the run's last 20 readings",
        "lines", lambda e: (e.result.get("table1") or {}).get("mean_distance"), "{:.4f}",
    ),
    Measure(
        "table1_smoothness", "Smooth. (Table 1)",
        "Smoothness as ACAI's Table 1 reads it: median of the run's last 20 readings",
        "lines", lambda e: (e.result.get("table1") or {}).get("smoothness"), "{:.3f}",
    ),
    Measure(
        "probe_r2", "probe R2",
        "linear probe from frozen codes: test R2, mean over theta, cos phi, sin phi "
        "(lines: cos, sin of the angle)", "representation", lambda e: e.result["r2"], "{:.4f}",
        lower_is_better=False,
    ),
    Measure(
        "probe_angle_error", "probe angle err",
        "that probe's test error of phi (lines: of the angle), degrees", "representation",
        lambda e: next(iter(e.result["angle_error"].values())), "{:.2f}",
    ),
    Measure(
        "kmeans_accuracy", "k-means acc",
        "k-means on the codes vs the theta bins (lines: 8 angle sectors): clustering accuracy "
        "(ACAI Table 2)", "representation", lambda e: e.result["clusters"]["accuracy"],
        "{:.3f}", lower_is_better=False,
    ),
    Measure(
        "kmeans_nmi", "k-means NMI", "the same clusters: normalised mutual information",
        "representation", lambda e: e.result["clusters"]["nmi"], "{:.3f}",
        lower_is_better=False, readme=False,
    ),
)  # fmt: skip
"""Every scalar measure, in the order of the tables."""


def measures_of(benchmark: str) -> list[Measure]:
    """The declared measures that ``benchmark`` computes, in table order."""
    check_choice("benchmark", benchmark, BENCHMARKS)
    return [measure for measure in MEASURES if measure.benchmark == benchmark]


def summarise(benchmark: str, evaluated: Evaluated) -> dict[str, float | None]:
    """``{key: value}`` of every measure of ``benchmark``, computed from ``evaluated``."""
    return {measure.key: measure.compute(evaluated) for measure in measures_of(benchmark)}
