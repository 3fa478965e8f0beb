"""The re-encoding round trip drawn along the path: where f(g(z(a))) lands, model by model.

:func:`~aeai_lib.evaluation.reencoding.reencode_paths` gives, for P pairs and A alphas, the
drift, the re-encoded alpha and the distance off the line; :func:`plot_reencoding` draws the
three against alpha, one colour per model (``C0``, ``C1``, ... in the mapping's order), the
mean over pairs as a line and the interquartile range over pairs as a band. Like
:mod:`.plots`, the figure is built without pyplot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.figure import Figure

from aeai_lib.evaluation.plots import BAND_ALPHA, IDEAL_STYLE
from aeai_lib.validation import check_alphas

PANELS = {
    "drift": ("Re-encoding drift", "‖f(g(z(α))) − z(α)‖ / ‖z_j − z_i‖ (segment lengths)"),
    "alpha_back": ("Re-encoded α̂ (ideal: the diagonal)", "α̂: projection of f(g(z(α))) on the line"),
    "off_line": ("Re-encoded codes off the line", "distance off the line (segment lengths)"),
}  # fmt: skip
"""Key of :func:`reencode_paths`'s dict -> (panel title, y-axis label with its unit)."""


def _check(reencoded: Mapping[str, Mapping[str, torch.Tensor]], n_alphas: int) -> None:
    """Raise ValueError unless every model has (P, n_alphas) tensors under every panel key."""
    if not isinstance(reencoded, Mapping) or not reencoded:
        raise ValueError(
            "reencoded must be a non-empty dict label -> reencode_paths(...) result, e.g. "
            '{"AE": reencode_paths(ae, sources, targets, alphas)}'
        )
    for label, result in reencoded.items():
        for key in PANELS:
            values = result.get(key) if isinstance(result, Mapping) else None
            if not isinstance(values, torch.Tensor) or values.dim() != 2:
                raise ValueError(
                    f"reencoded[{label!r}][{key!r}] must be a (pairs, alphas) tensor: pass what "
                    "reencode_paths returns"
                )
            if values.shape[1] != n_alphas:
                raise ValueError(
                    f"reencoded[{label!r}][{key!r}] has {values.shape[1]} alphas, alphas has "
                    f"{n_alphas}: pass the alphas the paths were re-encoded at"
                )


def plot_reencoding(
    reencoded: Mapping[str, Mapping[str, torch.Tensor]],
    alphas: torch.Tensor | Sequence[float],
) -> Figure:
    """Drift, re-encoded alpha and distance off the line against alpha, one line per model.

    Args:
        reencoded: label -> the dict :func:`~aeai_lib.evaluation.reencoding.reencode_paths`
            returned; its ``"drift"``, ``"alpha_back"`` and ``"off_line"`` are (P, A) tensors
            (drift and off-line distance in lengths of the segment ``||z_j - z_i||``, >= 0;
            alpha_back unitless, 0 at z_i and 1 at z_j, outside [0, 1] when the round trip
            overshoots).
        alphas: the A alphas the paths were re-encoded at, in [0, 1].

    Returns:
        a figure of three panels (:data:`PANELS` order): each model's mean over pairs with
        its interquartile range over pairs as a band; the re-encoded alpha's panel also draws
        the ideal diagonal a_hat = a (red dotted).

    Raises:
        ValueError: an empty mapping, a model without one of the three (P, A) tensors, or
            tensors whose A differs from ``len(alphas)``.
    """
    alphas = check_alphas(alphas).numpy()
    _check(reencoded, len(alphas))
    fig = Figure(figsize=(13.5, 3.8), layout="constrained")
    axes = fig.subplots(1, len(PANELS))
    axes[1].plot([0, 1], [0, 1], label="ideal: α̂ = α", **IDEAL_STYLE)
    quartiles = torch.tensor([0.25, 0.75])
    for ax, (key, (title, ylabel)) in zip(axes, PANELS.items(), strict=True):
        for k, (label, result) in enumerate(reencoded.items()):
            values = result[key].detach().float().cpu()
            low, high = torch.quantile(values, quartiles, dim=0).numpy()
            ax.plot(alphas, values.mean(0).numpy(), "o-", color=f"C{k}", label=label, markersize=3)
            ax.fill_between(alphas, low, high, color=f"C{k}", alpha=BAND_ALPHA)
        ax.set(title=title, xlabel="α (position on the latent segment)", ylabel=ylabel)
        ax.legend(fontsize="small")
    return fig
