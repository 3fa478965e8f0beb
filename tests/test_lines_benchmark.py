"""Tests for aeai_lib.evaluation.lines_benchmark: ACAI's Mean Distance and Smoothness."""

from __future__ import annotations

import math

import pytest
import torch

from aeai_lib.data.lines import render
from aeai_lib.evaluation.lines_benchmark import (
    N_REFERENCE,
    LinePairs,
    benchmark_pairs,
    lines_benchmark,
    mean_distance,
    nearest_lines,
    reference_lines,
    smoothness,
    true_interpolation,
)

STEPS = 16


@pytest.fixture(scope="module")
def pairs() -> LinePairs:
    return benchmark_pairs(16, generator=torch.Generator().manual_seed(0))


def _cross_fade(pairs: LinePairs) -> torch.Tensor:
    """Pixel-space blend (1 - t) start + t end: (P, S, 1, H, W)."""
    t = torch.linspace(0.0, 1.0, STEPS).view(1, STEPS, 1, 1, 1)
    return (1 - t) * pairs.start_images[:, None] + t * pairs.end_images[:, None]


def _abrupt_switch(pairs: LinePairs) -> torch.Tensor:
    """First half of the steps the start line, second half the end line: (P, S, 1, H, W)."""
    half = STEPS // 2
    start = pairs.start_images[:, None].expand(-1, half, -1, -1, -1)
    end = pairs.end_images[:, None].expand(-1, STEPS - half, -1, -1, -1)
    return torch.cat((start, end), dim=1)


def test_benchmark_pairs(pairs: LinePairs) -> None:
    assert pairs.start_images.shape == pairs.end_images.shape == (16, 1, 32, 32)
    assert pairs.start_angles.shape == (16,)
    assert ((pairs.start_angles >= 0) & (pairs.start_angles < 2 * math.pi)).all()
    again = benchmark_pairs(16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again.end_angles, pairs.end_angles)
    assert torch.equal(pairs.start_images, render(pairs.start_angles, 32))


def test_reference_lines_are_evenly_spaced() -> None:
    images, angles = reference_lines(8, size=32)
    assert images.shape == (8, 1, 32, 32)
    assert torch.allclose(angles, torch.arange(8, dtype=torch.float64) * math.pi / 4)


def test_nearest_lines_finds_the_rendered_angle() -> None:
    angles = torch.tensor([0.0, 1.0, 2.5, 6.0], dtype=torch.float64)
    distance, nearest = nearest_lines(render(angles, 32))
    assert distance.shape == nearest.shape == (4,)
    assert distance.max() < 1e-4
    assert (nearest - angles).abs().max() <= math.pi / N_REFERENCE + 1e-9


def test_true_path_scores_about_zero(pairs: LinePairs) -> None:
    true_path = true_interpolation(pairs.start_angles, pairs.end_angles, STEPS)
    assert true_path.shape == (16, STEPS, 1, 32, 32)
    result = lines_benchmark(true_path)
    assert result["mean_distance"] < 1e-5
    assert result["smoothness"] < 0.01
    assert result["n_interpolations"] == 16 and result["n_steps"] == STEPS
    assert result["n_smoothness_scored"] == 16 and result["n_smoothness_excluded"] == 0
    assert mean_distance(true_path) == result["mean_distance"]
    assert smoothness(true_path) == result["smoothness"]


def test_cross_fade_is_clearly_worse_on_mean_distance(pairs: LinePairs) -> None:
    true_path = true_interpolation(pairs.start_angles, pairs.end_angles, STEPS)
    faded = mean_distance(_cross_fade(pairs))
    assert faded > 1e-3
    assert faded > 100 * mean_distance(true_path)


def test_abrupt_switch_scores_badly_on_smoothness(pairs: LinePairs) -> None:
    switch = _abrupt_switch(pairs)
    assert smoothness(switch) == pytest.approx(1 - 1 / (STEPS - 1), abs=1e-9)
    assert mean_distance(switch) < 1e-5  # every step is a true line


def test_constant_interpolations_are_excluded_and_counted(pairs: LinePairs) -> None:
    true_path = true_interpolation(pairs.start_angles, pairs.end_angles, STEPS)
    constant = pairs.start_images[:4, None].expand(-1, STEPS, -1, -1, -1)
    result = lines_benchmark(torch.cat((true_path[:4], constant)))
    assert result["n_smoothness_scored"] == 4 and result["n_smoothness_excluded"] == 4
    assert result["smoothness"] == pytest.approx(smoothness(true_path[:4]))


def test_smoothness_undefined_when_every_start_equals_its_end(pairs: LinePairs) -> None:
    constant = pairs.start_images[:, None].expand(-1, STEPS, -1, -1, -1)
    with pytest.raises(ValueError, match="start and end on the same"):
        smoothness(constant)
    with pytest.raises(ValueError, match="start and end on the same"):
        lines_benchmark(constant)
    assert mean_distance(constant) < 1e-5


@pytest.mark.parametrize(
    "shape",
    [(16, 1, 32, 32), (2, 4, 3, 32, 32), (2, 1, 1, 32, 32), (0, 4, 1, 32, 32)],
)
def test_wrong_shapes_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\(P, S, 1, H, W\)|at least"):
        lines_benchmark(torch.zeros(shape))


def test_values_outside_unit_range_are_rejected(pairs: LinePairs) -> None:
    acai_range = 2 * _cross_fade(pairs) - 1
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mean_distance(acai_range)


def test_non_square_images_are_rejected() -> None:
    with pytest.raises(ValueError, match="square"):
        nearest_lines(torch.zeros(2, 1, 32, 16))
