"""The admissibility measures on hand-made paths with known answers."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.data import pole
from aeai_lib.evaluation.admissibility import (
    MAX_SPEED_RATIO,
    MONOTONICITY_TOLERANCE,
    boundary_error,
    credibility_from_mse,
    monotonicity_violations,
    nearest_images,
    smoothness_factors,
    speed_profile,
)
from aeai_lib.evaluation.pixels import cross_fade
from aeai_lib.interpolation import alpha_grid


def scalar_paths(values: list[list[float]]) -> torch.Tensor:
    """Paths of 1x1x1 images with the given values: (P, A, 1, 1, 1)."""
    return torch.tensor(values, dtype=torch.float32).reshape(len(values), -1, 1, 1, 1)


def endpoints(value: float, n_pairs: int = 1) -> torch.Tensor:
    return torch.full((n_pairs, 1, 1, 1), value)


def test_boundary_error_is_mse_at_the_ends() -> None:
    paths = scalar_paths([[0.1, 0.5, 0.8]])
    result = boundary_error(paths, endpoints(0.0), endpoints(1.0))
    assert result["source"] == pytest.approx(0.01)
    assert result["target"] == pytest.approx(0.04)
    assert result["mean"] == pytest.approx(0.025)
    exact = boundary_error(scalar_paths([[0.0, 0.3, 1.0]]), endpoints(0.0), endpoints(1.0))
    assert exact == {"source": 0.0, "target": 0.0, "mean": 0.0}


def test_monotonicity_counts_steps_that_go_back() -> None:
    source, target = endpoints(0.0), endpoints(1.0)
    forward = scalar_paths([[0.0, 0.25, 0.5, 0.75, 1.0]])
    assert monotonicity_violations(forward, source, target) == 0.0
    backward = scalar_paths([[1.0, 0.75, 0.5, 0.25, 0.0]])
    assert monotonicity_violations(backward, source, target) == 1.0
    # one step of five goes back by 0.1 (10% of the endpoint distance)
    wobble = scalar_paths([[0.0, 0.25, 0.5, 0.4, 0.75, 1.0]])
    assert monotonicity_violations(wobble, source, target, tolerance=0.0) == pytest.approx(0.2)
    assert monotonicity_violations(wobble, source, target, tolerance=0.2) == 0.0


def test_true_pole_paths_along_phi_are_monotone() -> None:
    """Exact pole paths over 80 degrees of azimuth: strictly monotone at 64 px, within the
    default tolerance at 32 px (anti-aliasing wiggles), and close to constant speed."""
    alphas = alpha_grid(16).double()
    thetas = torch.tensor(pole.THETAS, dtype=torch.float64).repeat_interleave(4)
    starts = torch.tensor([0.0, 95.0, 200.0, 305.0]).repeat(len(pole.THETAS))
    phis = starts[:, None] + 80 * alphas[None, :]
    for size, tolerance in ((64, 0.0), (32, MONOTONICITY_TOLERANCE)):
        images = pole.render(thetas.repeat_interleave(17), phis.reshape(-1), size)
        paths = images.reshape(len(thetas), 17, 3, size, size)
        violations = monotonicity_violations(paths, paths[:, 0], paths[:, -1], tolerance)
        assert violations == 0.0
        assert speed_profile(paths)["speed_ratio"] < 1.2


def test_speed_ratio_constant_uneven_and_abrupt() -> None:
    fade = cross_fade(torch.rand(3, 1, 4, 4), torch.rand(3, 1, 4, 4), alpha_grid(8))
    speed = speed_profile(fade)
    assert speed["speed_ratio"] == pytest.approx(1.0, abs=1e-4)
    assert speed["profile"] == pytest.approx([1.0] * 8, abs=1e-4)
    assert speed["max_step"] == pytest.approx(1 / 8, abs=1e-5)

    uneven = speed_profile(scalar_paths([[0.0, 0.25, 0.5, 1.0]]))
    assert uneven["speed_ratio"] == pytest.approx(2.0)
    assert uneven["profile"] == pytest.approx([0.75, 0.75, 1.5])
    assert uneven["max_step"] == pytest.approx(0.5)

    abrupt = speed_profile(scalar_paths([[0.0, 0.0, 1.0, 1.0]]))
    assert abrupt["speed_ratio"] == pytest.approx(MAX_SPEED_RATIO)
    assert abrupt["max_step"] == pytest.approx(1.0)
    assert speed_profile(scalar_paths([[0.5, 0.5]]))["speed_ratio"] == 1.0


def credibility(paths: torch.Tensor, references: torch.Tensor) -> dict:
    """Credibility of paths (P, A, C, H, W) as the protocol measures it."""
    _, nearest_mse = nearest_images(paths.flatten(0, 1), references)
    return credibility_from_mse(nearest_mse.reshape(paths.shape[:2]))


def test_nearest_images_and_credibility() -> None:
    references = torch.rand(10, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    order = torch.tensor([3, 7, 0, 9])
    index, mse = nearest_images(references[order], references)
    assert index.tolist() == order.tolist()
    assert mse.tolist() == [0.0] * 4
    paths = references[order].reshape(2, 2, 3, 8, 8)
    assert credibility(paths, references) == {"mean": 0.0, "by_alpha": [0.0, 0.0]}
    shifted = credibility(paths + 0.01, references)
    assert shifted["mean"] == pytest.approx(1e-4, rel=1e-4)


def test_the_four_conditions_of_a_cross_fade() -> None:
    source, target = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    fade = cross_fade(source, target, alpha_grid(4))
    assert boundary_error(fade, source, target)["mean"] == 0.0
    assert monotonicity_violations(fade, source, target) == 0.0
    assert speed_profile(fade)["speed_ratio"] == pytest.approx(1.0)
    by_alpha = credibility(fade, torch.cat([source, target]))["by_alpha"]
    assert by_alpha == pytest.approx([0, 1 / 16, 1 / 4, 1 / 16, 0])


def test_shape_errors_name_the_expected_shape() -> None:
    with pytest.raises(ValueError, match=r"\(P, A, C, H, W\)"):
        boundary_error(torch.zeros(2, 3, 4), endpoints(0.0), endpoints(1.0))
    with pytest.raises(ValueError, match="at least 2 images"):
        speed_profile(torch.zeros(1, 1, 1, 2, 2))
    with pytest.raises(ValueError, match="sources must be"):
        monotonicity_violations(torch.zeros(2, 3, 1, 2, 2), torch.zeros(1, 1, 2, 2), None)
    with pytest.raises(ValueError, match="empty"):
        nearest_images(torch.zeros(1, 1, 2, 2), torch.zeros(0, 1, 2, 2))


# ------------------------------------------------ the timing and shape factors of L_S


def test_smoothness_factors_split_the_finite_difference_sum() -> None:
    """M sum s_n^2 = timing * shape * chord^2, with both factors 1 for an evenly paced line."""
    straight = scalar_paths([[0.0, 0.25, 0.5, 0.75, 1.0]])  # constant speed, straight
    uneven = scalar_paths([[0.0, 0.05, 0.5, 0.95, 1.0]])  # straight, stalls at the ends
    timing, shape = smoothness_factors(torch.cat([straight, uneven]))
    torch.testing.assert_close(shape, torch.ones(2, dtype=torch.float64))
    assert timing[0].item() == pytest.approx(1.0)
    assert timing[1].item() > 1.5
    truth = true_paths_for_test()  # a rotating shadow: far longer than its chord
    timing, shape = smoothness_factors(truth)
    steps = (truth[:, 1:] - truth[:, :-1]).double().flatten(2).norm(dim=2)
    chord = (truth[:, -1] - truth[:, 0]).double().flatten(1).norm(dim=1)
    total = steps.shape[1] * steps.square().sum(dim=1)
    torch.testing.assert_close(total, timing * shape * chord**2)
    assert (shape > 2).all() and (timing < 1.1).all()


def true_paths_for_test() -> torch.Tensor:
    """Two exact pole paths, 80 degrees of phi at theta 50 and 70, 17 alphas: (2, 17, 3, 32, 32)."""
    alphas = alpha_grid(16)
    phis = 20.0 + 80.0 * alphas
    return torch.stack([pole.render(theta, phis, size=32) for theta in (50.0, 70.0)]).float()


def test_smoothness_factors_refuse_a_path_of_one_image() -> None:
    with pytest.raises(ValueError):
        smoothness_factors(torch.zeros(1, 1, 1, 4, 4))


def test_cross_fade_blends_the_endpoints() -> None:
    sources, targets = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    fade = cross_fade(sources, targets, torch.tensor([0.0, 0.25, 1.0]))
    assert fade.shape == (2, 3, 1, 2, 2)
    torch.testing.assert_close(fade[:, :, 0, 0, 0], torch.tensor([[0.0, 0.25, 1.0]] * 2))
    with pytest.raises(ValueError, match="one shape"):
        cross_fade(sources, targets[:1], torch.tensor([0.5]))
    with pytest.raises(ValueError, match="alphas must be 1-D"):
        cross_fade(sources, targets, torch.zeros(2, 2))
