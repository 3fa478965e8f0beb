"""Figures of the AEAI paper's results, for several methods on shared axes.

Each ``plot_*`` function takes ``results``: a mapping label -> the dict that
:func:`~aeai_lib.evaluation.protocol.evaluate_model` returns (e.g. ``{"AE": ..., "AE+A+C+S":
...}``), draws every method in its own colour (``C0``, ``C1``, ... in the mapping's order)
and returns a :class:`matplotlib.figure.Figure`. Figures are built without pyplot: nothing is
shown or kept in pyplot's global state; a notebook displays a returned figure once, and
``fig.savefig("name.png")`` writes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aeai_lib.evaluation.pixels import to_rgb_uint8

BAND_ALPHA = 0.2
"""Opacity of the spread bands (std, IQR)."""
MSE_LABEL = "MSE per pixel (images in [0, 1])"
"""The unit of every MSE axis: the mean over pixels of squared differences of [0, 1] values."""
IDEAL_STYLE = {"color": "red", "linestyle": ":", "linewidth": 1.5, "zorder": 3}
"""How the ideal curves (diagonal, straight distance lines) are drawn: on top of the methods."""


def _check_results(results: Mapping[str, dict], key: str) -> None:
    """Check ``results`` is a non-empty mapping of label -> evaluation dict holding ``key``."""
    if not isinstance(results, Mapping) or not results:
        raise ValueError(
            "results must be a non-empty dict label -> evaluate_model(...) result, e.g. "
            '{"AE": evaluate_model(ae, data)}'
        )
    for label, result in results.items():
        if not isinstance(result, Mapping) or key not in result:
            raise ValueError(
                f"results[{label!r}] has no {key!r}: pass what evaluate_model returns "
                "(for a report of evaluate_checkpoint, its 'evaluation' entry)"
            )


def _floats(values: Sequence[float | None]) -> np.ndarray:
    """A list with None for missing values -> float array with NaN (drawn as gaps)."""
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def plot_mse_vs_alpha(results: Mapping[str, dict]) -> Figure:
    """Paper figure "MSE vs alpha": left, mean MSE per alpha with a +-1 std band; right, the
    std of the MSE over pairs per alpha. One line per method on each axes."""
    _check_results(results, "mse_vs_alpha")
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    mean_ax, std_ax = fig.subplots(1, 2)
    for k, (label, result) in enumerate(results.items()):
        alphas = np.array(result["alphas"])
        mean = np.array(result["mse_vs_alpha"]["mean"])
        std = np.array(result["mse_vs_alpha"]["std"])
        mean_ax.plot(alphas, mean, "o-", color=f"C{k}", label=label, markersize=3)
        mean_ax.fill_between(alphas, mean - std, mean + std, color=f"C{k}", alpha=BAND_ALPHA)
        std_ax.plot(alphas, std, "o-", color=f"C{k}", label=label, markersize=3)
    mean_ax.set(title="Mean MSE vs alpha (band: ±1 std)", xlabel="alpha", ylabel=MSE_LABEL)
    std_ax.set(title="Std of MSE vs alpha", xlabel="alpha", ylabel=f"std of the {MSE_LABEL}")
    mean_ax.legend()
    return fig


def plot_mse_vs_interval(results: Mapping[str, dict]) -> Figure:
    """Paper figure "MSE vs interval length": one panel per axis (pole: phi, theta), the mean
    MSE of the in-between images per interval, one line per method; gaps where no pair."""
    _check_results(results, "mse_vs_interval")
    axes_names = list(dict.fromkeys(n for r in results.values() for n in r["mse_vs_interval"]))
    if not axes_names:
        raise ValueError("the results hold no MSE-vs-interval curve; evaluate with intervals=...")
    fig = Figure(figsize=(5 * len(axes_names), 3.8), layout="constrained")
    panels = np.atleast_1d(fig.subplots(1, len(axes_names)))
    for ax, name in zip(panels, axes_names, strict=True):
        for k, (label, result) in enumerate(results.items()):
            curve = result["mse_vs_interval"].get(name)
            if curve is not None:
                ax.plot(
                    curve["intervals"], _floats(curve["mean_mse"]), "o-", color=f"C{k}", label=label
                )
        ax.set(
            title=f"Mean in-between MSE vs interval ({name})",
            xlabel=f"interval along {name} (degrees)",
            ylabel=MSE_LABEL,
        )
        ax.legend()
    return fig


def plot_alpha_prediction(results: Mapping[str, dict]) -> Figure:
    """Paper figure "predicting alpha": the median alpha predicted from each interpolant's
    nearest dataset image vs the true alpha, with the interquartile range as a band, and the
    ideal diagonal."""
    _check_results(results, "alpha_prediction")
    fig = Figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="ideal", **IDEAL_STYLE)
    for k, (label, result) in enumerate(results.items()):
        alphas = np.array(result["alphas"])
        prediction = result["alpha_prediction"]
        ax.plot(alphas, prediction["median"], "o-", color=f"C{k}", label=label, markersize=4)
        ax.fill_between(
            alphas, prediction["q25"], prediction["q75"], color=f"C{k}", alpha=BAND_ALPHA
        )
    ax.set(
        title="Alpha predicted from the nearest image (median, IQR)",
        xlabel="true alpha",
        ylabel="predicted alpha",
        xlim=(0, 1),
        ylim=(-0.02, 1.02),
    )
    ax.legend()
    return fig


def plot_parameter_distance(results: Mapping[str, dict]) -> Figure:
    """Paper figure "source/target distance": mean parameter distance from each interpolant's
    nearest dataset image to the source (solid) and the target (dashed), per method, with the
    ideal straight lines of the first result (red dotted)."""
    _check_results(results, "parameter_distance")
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    first = next(iter(results.values()))
    for end in ("source", "target"):
        ideal = first["parameter_distance"][f"ideal_{end}"]
        ax.plot(first["alphas"], ideal, label=f"ideal ({end})", **IDEAL_STYLE)
    for k, (label, result) in enumerate(results.items()):
        distance = result["parameter_distance"]
        for end, style in (("source", "-"), ("target", "--")):
            ax.plot(
                result["alphas"], distance[end], style, color=f"C{k}", label=f"{label}: to {end}"
            )
    ax.set(
        title="Parameter distance of the nearest image to source / target",
        xlabel="alpha",
        ylabel="parameter distance (degrees)",
    )
    ax.legend(fontsize="small")
    return fig


def _strip(frames: torch.Tensor, gap: int) -> np.ndarray:
    """(A, C, H, W) in [0, 1] -> one uint8 (H, A W + (A - 1) gap, 3) RGB array, white gaps."""
    rgb = to_rgb_uint8(frames)
    height = rgb.shape[1]
    columns = []
    for k, frame in enumerate(rgb):
        if k:
            columns.append(np.full((height, gap, 3), 255, np.uint8))
        columns.append(frame)
    return np.concatenate(columns, axis=1)


def plot_strips(
    paths: Mapping[str, torch.Tensor],
    truth: torch.Tensor | None = None,
    alphas: Sequence[float] | torch.Tensor | None = None,
) -> Figure:
    """Interpolation strips, one row per method, the ground truth in the last row.

    Args:
        paths: label -> (A, C, H, W) images in [0, 1] along alpha (C = 1 or 3).
        truth: (A, C, H, W) true in-between images, drawn beneath, or None.
        alphas: the A alphas, written under the last row, or None.

    Returns:
        a figure with one axes per row (len(paths) + 1 with ``truth``).
    """
    rows = dict(paths)
    if truth is not None:
        rows["truth"] = truth
    if not rows:
        raise ValueError("paths is empty; pass {label: decoded (A, C, H, W)}")
    shapes = {label: tuple(images.shape) for label, images in rows.items()}
    first_shape = next(iter(shapes.values()))
    if len(first_shape) != 4 or any(shape != first_shape for shape in shapes.values()):
        raise ValueError(f"every strip must be one (A, C, H, W) shape, got {shapes}")
    n_frames, _, height, width = first_shape
    gap = max(1, width // 16)
    fig = Figure(figsize=(max(4.0, 0.75 * n_frames), 0.9 * len(rows) + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(rows), 1))
    centres = np.arange(n_frames) * (width + gap) + width / 2 - 0.5
    for ax, (label, images) in zip(axes, rows.items(), strict=True):
        ax.imshow(_strip(images, gap), interpolation="nearest")
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
        ax.set_yticks([])
        ax.set_xticks([])
    if alphas is not None:
        axes[-1].set_xticks(centres, [f"{float(a):.2g}" for a in alphas], fontsize="small")
        axes[-1].set_xlabel("alpha")
    return fig


def plot_history(history: Mapping[str, Sequence[float]], window: int | None = None) -> Figure:
    """Training losses: one panel per term, raw values (light) and a moving average.

    Args:
        history: term -> per-step values (a checkpoint's or TrainingResult's ``history``).
        window: moving-average length in steps; None: max(1, steps // 50).

    Returns:
        a figure with one axes per term (3 per row), log-scale y (symlog when a term has
        values <= 0, e.g. a discriminator's signed loss).
    """
    terms = {name: np.asarray(values, dtype=float) for name, values in history.items()}
    terms = {name: values for name, values in terms.items() if values.size}
    if not terms:
        raise ValueError("history is empty: pass the per-step losses of a training run")
    n_cols = min(3, len(terms))
    n_rows = math.ceil(len(terms) / n_cols)
    fig = Figure(figsize=(4.2 * n_cols, 3.0 * n_rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for ax, (name, values) in zip(axes, terms.items(), strict=False):
        steps = np.arange(1, len(values) + 1)
        length = window or max(1, len(values) // 50)
        kernel = np.ones(min(length, len(values))) / min(length, len(values))
        smooth = np.convolve(values, kernel, mode="valid")
        ax.plot(steps, values, color="C0", alpha=0.3, linewidth=0.8)
        ax.plot(steps[len(kernel) - 1 :], smooth, color="C0")
        if (values > 0).all():
            ax.set_yscale("log")
        else:
            nonzero = np.abs(values[values != 0])
            ax.set_yscale("symlog", linthresh=nonzero.min() if nonzero.size else 1.0)
        ax.set(title=name, xlabel="step")
    for ax in axes[len(terms) :]:
        ax.remove()
    return fig
