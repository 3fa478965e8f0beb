"""The AEAI paper's intuition figure (its Plots A-D), drawn as a schematic with matplotlib.

Oring et al. (2021, section 3.2) justify the four loss terms with one picture in four steps.
Two images x_i, x_j lie on the data manifold in image space; their codes z_i, z_j are joined
by a straight line in latent space, and the decoder g maps each point z(alpha) of it to an
image:

* A, reconstruction L_R: the ends come back (the boundary conditions), but nothing is asked
  of the points in between, which decode off the manifold (a blend such as the cross-fade);
* B, adversarial L_A: the decoded in-between images are pushed onto the manifold (credible),
  but the encoder f may map them back to codes far from the line (red arrows);
* C, cycle consistency L_C: re-encoding an interpolant returns its own code, so the line and
  the decoded path correspond one to one, but the decoded images are unevenly spaced;
* D, smoothness L_S: the image distance is spread evenly over alpha.

:func:`plot_loss_terms` draws the four panels, latent space above image space; the same
colour marks the same alpha in both. It is a schematic (the curves are made up), not data.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

N_POINTS = 7
"""Points drawn on each path: alpha = 0, 1/6, ..., 1."""
_ARC = (0.95 * np.pi, 0.05 * np.pi)  # the manifold: an arc of the unit circle, x_i to x_j
_PANELS = (
    ("A", "$\\mathcal{L}_R$: the ends come back", "reconstruction"),
    ("B", "$+\\,\\mathcal{L}_A$: onto the manifold", "adversarial"),
    ("C", "$+\\,\\mathcal{L}_C$: back onto the line", "cycle"),
    ("D", "$+\\,\\mathcal{L}_S$: at an even pace", "smoothness"),
)


def _on_arc(t: np.ndarray) -> np.ndarray:
    """Points (N, 2) on the manifold at arc fractions t (N,) from x_i (0) to x_j (1)."""
    angle = _ARC[0] + (_ARC[1] - _ARC[0]) * t
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _uneven(alphas: np.ndarray) -> np.ndarray:
    """A path that lingers at both ends and rushes through the middle (a plain AE's pace)."""
    return 0.5 + 0.5 * np.tanh(5 * (alphas - 0.5)) / np.tanh(2.5)


def _decoded(step: str, alphas: np.ndarray) -> np.ndarray:
    """Where the decoder sends z(alpha) in image space after ``step``'s term is added."""
    if step == "reconstruction":  # off the manifold: most of the way to the chord
        ends = _on_arc(np.array([0.0, 1.0]))
        chord = (1 - alphas)[:, None] * ends[0] + alphas[:, None] * ends[1]
        return chord + 0.25 * (_on_arc(alphas) - chord)
    return _on_arc(alphas if step == "smoothness" else _uneven(alphas))


def _latent(ax: Axes, step: str, alphas: np.ndarray, colours: np.ndarray) -> None:
    ax.plot([0, 1], [0, 0], color="0.3", linewidth=1, zorder=1)
    ax.scatter(alphas, np.zeros_like(alphas), c=colours, s=36, zorder=3, edgecolors="black")
    if step == "adversarial":  # f(g(z(alpha))) lands off the line
        inner = alphas[1:-1]
        drift = 0.35 * np.sin(np.pi * inner) * np.where(np.arange(len(inner)) % 2, 1, -0.7)
        for a, dy in zip(inner, drift, strict=True):
            ax.annotate("", (a + 0.04, dy), (a, 0), arrowprops={"arrowstyle": "->", "color": "red"})
    elif step != "reconstruction":  # f(g(z(alpha))) = z(alpha): red rings on the points
        ax.scatter(alphas, np.zeros_like(alphas), s=110, facecolors="none", edgecolors="red")
    ax.annotate("$z_i$", (0, 0), xytext=(-6, -16), textcoords="offset points")
    ax.annotate("$z_j$", (1, 0), xytext=(-2, -16), textcoords="offset points")
    ax.set(xlim=(-0.15, 1.15), ylim=(-0.45, 0.45), xticks=[], yticks=[])


def _image(ax: Axes, step: str, alphas: np.ndarray, colours: np.ndarray) -> None:
    manifold = _on_arc(np.linspace(-0.05, 1.05, 200))
    ax.plot(*manifold.T, color="black", linewidth=2, label="data manifold")
    ends = _on_arc(np.array([0.0, 1.0]))
    ax.plot(*ends.T, color="0.6", linestyle=":", label="cross-fade (chord)")
    points = _decoded(step, alphas)
    ax.plot(*points.T, color="0.4", linewidth=0.8, zorder=2)
    ax.scatter(*points.T, c=colours, s=36, zorder=3, edgecolors="black")
    ax.annotate("$x_i$", ends[0], xytext=(-14, -4), textcoords="offset points")
    ax.annotate("$x_j$", ends[1], xytext=(6, -4), textcoords="offset points")
    ax.set(xlim=(-1.3, 1.3), ylim=(-0.05, 1.15), xticks=[], yticks=[], aspect="equal")


def plot_loss_terms() -> Figure:
    """The paper's Plots A-D as one figure: 2 rows (latent space, image space) x 4 columns.

    Returns:
        a matplotlib Figure (11 x 4.4 inches); the colour of a point is its alpha
        (viridis, alpha = 0 dark), the same in both rows.
    """
    alphas = np.linspace(0, 1, N_POINTS)
    colours = colormaps["viridis"](alphas)
    figure = Figure(figsize=(11, 4.4))
    axes = figure.subplots(2, len(_PANELS), height_ratios=(0.55, 1))
    for column, (letter, title, step) in enumerate(_PANELS):
        _latent(axes[0, column], step, alphas, colours)
        _image(axes[1, column], step, alphas, colours)
        axes[0, column].set_title(f"{letter} · {title}", fontsize=10)
    axes[0, 0].set_ylabel("latent space\n$z(\\alpha)$", fontsize=9)
    axes[1, 0].set_ylabel("image space\n$g(z(\\alpha))$", fontsize=9)
    figure.suptitle(
        "What each term asks of the decoded path (schematic; colour = α, red = re-encoding)",
        fontsize=10,
    )
    handles, labels = axes[1, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncols=2, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    return figure
