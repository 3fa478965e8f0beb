"""The training diagnostics of a run, drawn: what explains its balance, and whether it collapsed.

:func:`aeai_lib.training.diagnose` records, every ``diagnostics_every`` steps, the gradient
norm of each weighted loss term on the encoder and on the decoder, the reconstruction error of
held-out images and, for a run with a discriminator, the discriminator's accuracy and mean
D(x) on held-out real images and their interpolants. A balanced run has D's accuracy between
chance (0.5: D has learned nothing, or the autoencoder undoes each of its steps) and 1 (D wins,
its gradient swamps reconstruction) and a validation error that keeps falling; a collapse shows
as the accuracy pinned at 1 while the validation error climbs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

TERM_COLOURS = {"reconstruction": "C0", "adversarial": "C3", "cycle": "C2", "smoothness": "C1"}


def plot_diagnostics(diagnostics: Mapping[str, Sequence[float]], title: str = "") -> Figure:
    """Gradient norms per term, held-out reconstruction and the discriminator, against step.

    Args:
        diagnostics: a checkpoint's or TrainingResult's ``diagnostics``: ``"step"`` and, at
            each of those steps, ``"grad/<encoder|decoder>/<term>"``, ``"val_reconstruction"``
            and (with a discriminator) ``"d_accuracy"``, ``"d_real"``, ``"d_fake"``.
        title: the figure's title (e.g. the model's label).

    Returns:
        a figure of 2 to 4 panels: gradient norms on the decoder and on the encoder (log y),
        the validation reconstruction MSE (log y) when recorded, and D's held-out accuracy
        with its mean D(x) on real images and on interpolants when recorded.

    Raises:
        ValueError: when ``diagnostics`` holds no steps (a run with diagnostics_every=0).
    """
    if not diagnostics.get("step"):
        raise ValueError(
            "diagnostics are empty: train with TrainConfig(diagnostics_every=100) (the default)"
        )
    steps = np.asarray(diagnostics["step"])
    panels = ["decoder", "encoder"]
    panels += ["val_reconstruction"] if "val_reconstruction" in diagnostics else []
    panels += ["discriminator"] if "d_accuracy" in diagnostics else []
    fig = Figure(figsize=(4.0 * len(panels), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, panel in zip(axes, panels, strict=True):
        if panel in ("decoder", "encoder"):
            prefix = f"grad/{panel}/"
            for key in (k for k in diagnostics if k.startswith(prefix)):
                term = key[len(prefix) :]
                values = np.maximum(np.asarray(diagnostics[key]), 1e-12)
                ax.plot(steps, values, color=TERM_COLOURS.get(term), label=term)
            ax.set(yscale="log", xlabel="step", ylabel="‖∇ weighted term‖",
                   title=f"gradient norms on the {panel}")  # fmt: skip
            ax.legend(fontsize="small")
        elif panel == "val_reconstruction":
            ax.plot(steps, diagnostics["val_reconstruction"], color="C0")
            ax.set(yscale="log", xlabel="step", ylabel="MSE per pixel",
                   title="held-out reconstruction")  # fmt: skip
        else:
            ax.plot(steps, diagnostics["d_accuracy"], color="k", label="D accuracy")
            ax.plot(steps, diagnostics["d_real"], color="C0", label="mean D(real)")
            ax.plot(steps, diagnostics["d_fake"], color="C3", label="mean D(interpolant)")
            ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
            ax.set(ylim=(-0.02, 1.02), xlabel="step", title="discriminator, held-out")
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
