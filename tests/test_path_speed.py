"""The speed of decoded paths (notebook 06): exact velocities, the training estimators of L_S
measured on pairs, and the speed-profile figure."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.evaluation.path_speed import (
    path_velocities,
    plot_speed_profiles,
    training_smoothness,
)
from aeai_lib.interpolation import alpha_grid
from aeai_lib.losses import finite_difference_smoothness, smoothness_loss
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig


@pytest.fixture(scope="module")
def model_and_pairs(blob_dataset):
    torch.manual_seed(0)
    model = make_method("ae").build_model(ModelConfig(image_size=32, channels=1, latent_dim=8))
    images = blob_dataset.test_images[:8]
    return model, images[:4], images[4:]


def test_velocities_are_the_derivative_of_the_decoded_path(model_and_pairs) -> None:
    model, sources, targets = model_and_pairs
    h = 1e-3
    images, velocities = path_velocities(
        model, sources, targets, torch.tensor([0.5 - h, 0.5, 0.5 + h])
    )
    assert images.shape == velocities.shape == (4, 3, 1, 32, 32)
    central = (images[:, 2] - images[:, 0]) / (2 * h)
    error = (central - velocities[:, 1]).norm() / velocities[:, 1].norm()
    assert error < 0.02
    with torch.no_grad():
        ends = model.decode(model.encode(torch.cat([sources, targets])))
    start, _ = path_velocities(model, sources, targets, torch.tensor([0.0]))
    assert torch.allclose(start[:, 0], ends[:4], atol=1e-6)


def test_the_exact_training_estimate_is_the_jvp_over_the_whole_grid(model_and_pairs) -> None:
    model, sources, targets = model_and_pairs
    images, velocities = path_velocities(model, sources, targets, alpha_grid(8))
    exact = training_smoothness(
        model, sources, targets, draws=2, smoothness="jvp", alphas_per_pair=None, grid_intervals=8
    )
    assert exact[0].item() == pytest.approx(smoothness_loss(velocities).item(), rel=1e-4)
    assert exact[0] == exact[1]  # nothing is drawn
    # the whole-grid finite difference of the same decoded grid estimates the same integral
    whole = training_smoothness(
        model, sources, targets, draws=1, smoothness="finite_difference", alphas_per_pair=None,
        grid_intervals=8,
    )  # fmt: skip
    assert whole.item() == pytest.approx(finite_difference_smoothness(images).item(), rel=1e-4)


def test_the_sibling_estimate_varies_with_the_draw_and_agrees_on_average(model_and_pairs) -> None:
    model, sources, targets = model_and_pairs
    sibling = training_smoothness(model, sources, targets, draws=24, smoothness="sibling")
    exact = training_smoothness(
        model, sources, targets, draws=1, smoothness="jvp", alphas_per_pair=None
    )
    assert sibling.shape == (24,) and sibling.dtype == torch.float64
    assert sibling.std() > 0  # one drawn point per pair: each draw sees other alphas
    assert abs(sibling.mean() / exact - 1) < 0.25
    again = training_smoothness(model, sources, targets, draws=24, smoothness="sibling")
    assert torch.equal(sibling, again)  # seeded


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m, s, t: training_smoothness(m, s, t, draws=0), "draws"),
        (lambda m, s, t: training_smoothness(m, s, t, smoothness="spline"), "smoothness"),
        (lambda m, s, t: path_velocities(m, s, t[:2], alpha_grid(4)), "one shape"),
        (lambda m, s, t: path_velocities(m, s, t, torch.tensor([1.5])), "alpha"),
    ],
)
def test_bad_input_is_refused_with_its_name(model_and_pairs, call, match) -> None:
    model, sources, targets = model_and_pairs
    with pytest.raises(ValueError, match=match):
        call(model, sources, targets)


def test_the_figure_shows_absolute_and_relative_speed_with_units() -> None:
    alphas = alpha_grid(4)
    speeds = torch.tensor([[1.0, 2.0, 3.0, 2.0, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0]])
    fig = plot_speed_profiles({"model": (alphas, speeds), "truth": (alphas, speeds[1:])})
    absolute, relative = fig.axes
    assert "per unit α" in absolute.get_ylabel()
    assert "mean speed" in relative.get_ylabel()
    # the median over the two paths at alpha = 0: absolute 1.5; relative (1/1.8 + 1) / 2
    assert absolute.lines[0].get_ydata()[0] == pytest.approx(1.5)
    assert relative.lines[0].get_ydata()[0] == pytest.approx((1 / 1.8 + 1) / 2)
    assert len(absolute.collections) == 1  # a band for the model, none for the reference
    with pytest.raises(ValueError, match="speeds must be"):
        plot_speed_profiles({"model": (alphas, speeds[:, :3])})
    with pytest.raises(ValueError, match="empty"):
        plot_speed_profiles({})
