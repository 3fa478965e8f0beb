"""Figures and GIFs: the expected axes, lines and frames, written to disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image, ImageSequence

from aeai_lib.data import pole
from aeai_lib.evaluation.animation import gif_frame_order, save_gif
from aeai_lib.evaluation.ground_truth import interval_pairs, true_paths
from aeai_lib.evaluation.plots import (
    plot_alpha_prediction,
    plot_history,
    plot_mse_vs_alpha,
    plot_mse_vs_interval,
    plot_parameter_distance,
    plot_strips,
)
from aeai_lib.evaluation.protocol import evaluate_paths
from aeai_lib.evaluation.schematic import _decoded, plot_loss_terms
from aeai_lib.interpolation import alpha_grid

ALPHAS = alpha_grid(8)


@pytest.fixture(scope="module")
def paths() -> dict[str, torch.Tensor]:
    """Exact and cross-faded paths of 4 test pairs of the 32 px pole, plus their truth."""
    data = pole.dataset(size=32, cache_dir=False)
    pairs = interval_pairs(data, 80, max_pairs=4)
    truth = true_paths(data, pairs, ALPHAS)
    a = ALPHAS.reshape(1, -1, 1, 1, 1)
    fade = (1 - a) * truth[:, :1] + a * truth[:, -1:]
    return {"data": data, "pairs": pairs, "truth": truth, "fade": fade}


@pytest.fixture(scope="module")
def results(paths: dict) -> dict[str, dict]:
    """Two evaluation results with hand-made MSE-vs-interval curves (one gap)."""
    out = {}
    for label, decoded in (("exact", paths["truth"]), ("cross-fade", paths["fade"])):
        result = evaluate_paths(decoded, paths["truth"], paths["pairs"], paths["data"], ALPHAS)
        result["mse_vs_interval"] = {
            "phi": {"intervals": [15.0, 80.0], "mean_mse": [0.001, 0.003], "n_pairs": [2, 2]},
            "theta": {"intervals": [5.0, 35.0], "mean_mse": [0.002, None], "n_pairs": [2, 0]},
        }
        out[label] = result
    return out


def saved(fig: Figure, path: Path) -> Path:
    fig.savefig(path)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 100
    return path


def test_mse_vs_alpha(results: dict, tmp_path: Path) -> None:
    fig = plot_mse_vs_alpha(results)
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert len(fig.axes[0].collections) == 2  # the std bands
    saved(fig, tmp_path / "mse_alpha.png")


def test_mse_vs_interval(results: dict, tmp_path: Path) -> None:
    fig = plot_mse_vs_interval(results)
    assert [ax.get_xlabel() for ax in fig.axes] == [
        "interval along phi (degrees)",
        "interval along theta (degrees)",
    ]
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    saved(fig, tmp_path / "mse_interval.png")


def test_alpha_prediction(results: dict, tmp_path: Path) -> None:
    fig = plot_alpha_prediction(results)
    (ax,) = fig.axes
    assert len(ax.lines) == 3  # ideal diagonal + one median per method
    assert len(ax.collections) == 2  # IQR bands
    exact = ax.lines[1].get_ydata()
    assert list(exact) == pytest.approx(ALPHAS.tolist())
    saved(fig, tmp_path / "alpha.png")


def test_parameter_distance(results: dict, tmp_path: Path) -> None:
    fig = plot_parameter_distance(results)
    (ax,) = fig.axes
    assert len(ax.lines) == 2 + 2 * 2  # two ideal lines, source + target per method
    saved(fig, tmp_path / "distance.png")


def test_plot_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_mse_vs_alpha({})
    with pytest.raises(ValueError, match="evaluate_model"):
        plot_alpha_prediction({"AE": {"summary": {}}})


def test_strips(paths: dict, tmp_path: Path) -> None:
    decoded = {"exact": paths["truth"][0], "cross-fade": paths["fade"][0]}
    fig = plot_strips(decoded, truth=paths["truth"][0], alphas=ALPHAS)
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["exact", "cross-fade", "truth"]
    assert all(len(ax.images) == 1 for ax in fig.axes)
    saved(fig, tmp_path / "strips.png")
    grey = plot_strips({"AE": torch.rand(4, 1, 16, 16)})
    assert len(grey.axes) == 1
    with pytest.raises(ValueError, match="one \\(A, C, H, W\\) shape"):
        plot_strips({"a": torch.rand(4, 1, 16, 16), "b": torch.rand(5, 1, 16, 16)})


def test_history(tmp_path: Path) -> None:
    steps = torch.arange(1, 201, dtype=torch.float64)
    history = {
        "reconstruction": (1 / steps).tolist(),
        "adversarial": (0.7 + 0.01 * torch.sin(steps)).tolist(),
        "cycle": (0.1 / steps).tolist(),
        "discriminator_margin": torch.sin(steps / 10).tolist(),  # signed: symlog
    }
    fig = plot_history(history)
    assert len(fig.axes) == 4
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log", "log", "symlog"]
    assert all(len(ax.lines) == 2 for ax in fig.axes)
    saved(fig, tmp_path / "history.png")
    with pytest.raises(ValueError, match="history is empty"):
        plot_history({})


def test_gif_frames_go_forth_and_back(paths: dict, tmp_path: Path) -> None:
    decoded = {"exact": paths["truth"][0], "cross-fade": paths["fade"][0]}
    target = tmp_path / "anim" / "pole.gif"
    written = save_gif(decoded, target, fps=10, truth=paths["truth"][0])
    assert written == target
    with Image.open(target) as gif:
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(gif)]
        assert gif.info["duration"] == 100 and gif.info["loop"] == 0
    n_steps = len(ALPHAS)
    assert len(frames) == 2 * n_steps - 2 == len(gif_frame_order(n_steps))
    assert frames[0].size[0] > 3 * 96  # three panels, enlarged from 32 px
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind

    single = save_gif(paths["truth"][1], tmp_path / "anim" / "pole.gif", labels=False)
    with Image.open(single) as gif:
        assert gif.n_frames == 2 * n_steps - 2
        assert gif.size == (96, 96)
    assert gif_frame_order(3) == [0, 1, 2, 1] and gif_frame_order(1) == [0]
    with pytest.raises(ValueError, match="same \\(A, H, W\\)"):
        save_gif({"a": torch.rand(3, 1, 8, 8), "b": torch.rand(4, 1, 8, 8)}, tmp_path / "x.gif")


def test_the_loss_terms_schematic_draws_what_each_term_asks() -> None:
    """Plots A-D: A decodes off the manifold, B-D on it; only D moves at an even pace."""
    figure = plot_loss_terms()
    assert isinstance(figure, Figure) and len(figure.axes) == 8
    titles = [ax.get_title() for ax in figure.axes[:4]]
    assert [title[0] for title in titles] == ["A", "B", "C", "D"]
    alphas = np.linspace(0, 1, 7)
    steps = {}
    for step in ("reconstruction", "adversarial", "cycle", "smoothness"):
        points = _decoded(step, alphas)
        radius = np.linalg.norm(points, axis=1)
        on_manifold = np.allclose(radius, 1.0)
        assert on_manifold == (step != "reconstruction"), step
        assert np.allclose(radius[[0, -1]], 1.0)  # the ends always come back
        steps[step] = np.linalg.norm(np.diff(points, axis=0), axis=1)
    assert steps["smoothness"].max() / steps["smoothness"].min() == pytest.approx(1.0)
    assert steps["cycle"].max() / steps["cycle"].min() > 3
