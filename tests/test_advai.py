"""Tests for AdvAI's correction R: the path, its networks, toy-prior training and the distance."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.evaluation.mismatch import histogram_distance_2d
from aeai_lib.evaluation.toy_priors import (
    distance_to_prior,
    fresh_samples,
    noise_floor,
    prior_interpolants,
    train_correction,
)
from aeai_lib.interpolation import lerp, normalized_lerp
from aeai_lib.methods.advai.correction import (
    AlphaRegressor,
    CorrectionNetwork,
    CorrectionOptions,
    adversarial_losses,
)
from aeai_lib.priors import sample_prior


def _codes(n: int, dim: int, seed: int) -> torch.Tensor:
    return sample_prior("gaussian", n, dim, torch.Generator().manual_seed(seed))


def _randomised(network: torch.nn.Module, std: float = 3.0) -> torch.nn.Module:
    """The network with every weight redrawn large and random (none left at zero)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.copy_(std * torch.randn(parameter.shape, generator=generator))
    return network


# --- the path -----------------------------------------------------------------------------


@pytest.mark.parametrize("per_coordinate", [False, True])
def test_endpoints_are_exact_whatever_r_outputs(per_coordinate: bool) -> None:
    correction = _randomised(CorrectionNetwork(3, hidden=16, per_coordinate=per_coordinate))
    z1, z2 = _codes(5, 3, seed=1), _codes(5, 3, seed=2)
    with torch.no_grad():
        path = correction.interpolate(z1, z2, torch.tensor([0.0, 0.5, 1.0]))
    assert path.shape == (5, 3, 3)
    assert torch.equal(path[:, 0], z1)
    assert torch.equal(path[:, 2], z2)
    # R is far from 0, so the midpoint is far from lerp's: the exactness is not trivial
    assert (path[:, 1] - (z1 + z2) / 2).abs().max() > 0.1


def test_a_fresh_correction_starts_at_lerp() -> None:
    z1, z2 = _codes(4, 6, seed=1), _codes(4, 6, seed=2)
    alphas = torch.linspace(0, 1, 7)
    with torch.no_grad():
        path = CorrectionNetwork(6).interpolate(z1, z2, alphas)
    torch.testing.assert_close(path, lerp(z1, z2, alphas))


def test_the_path_backwards_is_the_path_between_swapped_codes() -> None:
    correction = _randomised(CorrectionNetwork(4, hidden=16), std=0.5)
    z1, z2 = _codes(6, 4, seed=1), _codes(6, 4, seed=2)
    alphas = torch.linspace(0, 1, 9)
    with torch.no_grad():
        forward = correction.interpolate(z1, z2, alphas)
        backward = correction.interpolate(z2, z1, alphas.flip(0))
    torch.testing.assert_close(forward, backward)


def test_interpolate_accepts_a_float_and_a_list() -> None:
    correction = CorrectionNetwork(2, hidden=8)
    z1, z2 = _codes(3, 2, seed=1), _codes(3, 2, seed=2)
    with torch.no_grad():
        assert correction.interpolate(z1, z2, 0.25).shape == (3, 1, 2)
        assert correction.interpolate(z1, z2, [0.0, 1.0]).shape == (3, 2, 2)


# --- D_R and R training ------------------------------------------------------------------


def test_alpha_regressor_learns_alpha_from_lerp_interpolants() -> None:
    """On a 64-D Gaussian the lerp midpoint is short (norm / sqrt 2), so D_R can tell alpha.

    Chance is the best constant: c = E[t] / 2 with t = min(alpha, 1 - alpha) ~ U[0, 0.5]
    scores Var(t) + E[t]^2 / 2 = 1/48 + 1/32 on D_R's loss (interpolants and real codes).
    """
    dim, batch = 64, 256
    options = CorrectionOptions(hidden=64, input_scale=1.0)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    correction, regressor = options.networks(dim)  # a fresh R: the path is lerp
    optimizer = torch.optim.Adam(regressor.parameters(), lr=1e-3)

    def regressor_loss(n: int) -> torch.Tensor:
        z1, z2, real = sample_prior("gaussian", 3 * n, dim, generator).split(n)
        alphas = torch.rand(n, generator=generator)
        return adversarial_losses(correction, regressor, z1, z2, alphas, real, options)[2]

    for _ in range(200):
        optimizer.zero_grad()
        regressor_loss(batch).backward(inputs=list(regressor.parameters()))
        optimizer.step()
    with torch.no_grad():
        held_out = regressor_loss(2000).item()
    chance = 1 / 48 + 1 / 32
    assert held_out < 0.7 * chance


def test_training_is_deterministic_in_the_seed() -> None:
    runs = [train_correction("uniform", 2, steps=5, batch_size=16, seed=3) for _ in range(2)]
    assert runs[0].history == runs[1].history
    assert len(runs[0].history["correction"]) == 5
    assert set(runs[0].history) == {"correction", "alpha_regressor"}
    assert not runs[0].correction.training and not runs[0].regressor.training


@pytest.mark.parametrize(
    ("prior", "measure"),
    [
        ("uniform", "histogram"),
        ("gaussian", "mmd"),
        ("annulus", "histogram"),
        ("nine_circles", "mmd"),
    ],
)
def test_trained_correction_is_closer_to_the_prior_than_lerp(prior: str, measure: str) -> None:
    """300 steps (seconds) already get under 0.7 x lerp on these measures, with seeds 0-2
    at most 0.6 x. The nine circles' histogram needs thousands of steps, see
    benchmarks/advai_priors.py, which checks both measures on every prior."""
    trained = train_correction(prior, 2, steps=300, seed=0)
    baseline = distance_to_prior(lerp, prior, 2, measure=measure)
    advai = distance_to_prior(trained.correction.interpolate, prior, 2, measure=measure)
    assert advai < 0.7 * baseline


def test_distance_to_prior_ranks_lerp_far_and_the_exact_map_near() -> None:
    far = distance_to_prior(lerp, "gaussian", 2, measure="histogram")
    near = distance_to_prior(normalized_lerp, "gaussian", 2, measure="histogram")
    assert near < 0.8 * far


# --- errors ------------------------------------------------------------------------------


def test_unknown_prior_lists_the_priors() -> None:
    with pytest.raises(ValueError, match="annulus, gaussian, nine_circles, uniform"):
        train_correction("cauchy", 2, steps=1)
    with pytest.raises(ValueError, match="unknown prior 'cauchy'"):
        distance_to_prior(lerp, "cauchy", 2)


@pytest.mark.parametrize("dim", [0, -2])
def test_latent_size_below_one_is_refused(dim: int) -> None:
    with pytest.raises(ValueError, match="dim must be >= 1"):
        train_correction("gaussian", dim, steps=1)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        CorrectionNetwork(dim)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        distance_to_prior(lerp, "gaussian", dim)


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_alpha_outside_the_unit_interval_is_refused(alpha: float) -> None:
    z = _codes(2, 2, seed=0)
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        CorrectionNetwork(2).interpolate(z, z, [0.5, alpha])


def test_codes_of_another_latent_size_are_refused() -> None:
    z = _codes(3, 5, seed=0)
    with pytest.raises(ValueError, match="module built for latent size 4, got 5"):
        CorrectionNetwork(4).interpolate(z, z, [0.5])
    with pytest.raises(ValueError, match="module built for latent size 4, got 5"):
        AlphaRegressor(4)(z)


def test_weights_for_another_latent_size_are_refused() -> None:
    """Per-coordinate weights fit any latent size, so the size itself is checked."""
    trained_for_two = CorrectionNetwork(2, hidden=8, per_coordinate=True).state_dict()
    with pytest.raises(ValueError, match="module built for latent size 4, got 2"):
        CorrectionNetwork(4, hidden=8, per_coordinate=True).load_state_dict(trained_for_two)
    regressor = AlphaRegressor(2, hidden=8, per_coordinate=True).state_dict()
    with pytest.raises(ValueError, match="module built for latent size 4, got 2"):
        AlphaRegressor(4, hidden=8, per_coordinate=True).load_state_dict(regressor)


def test_bad_options_and_measures_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown loss 'huber'"):
        CorrectionOptions(loss="huber")
    with pytest.raises(ValueError, match="input_scale must be > 0"):
        CorrectionOptions(input_scale=0.0)
    with pytest.raises(ValueError, match="unknown measure 'kl'"):
        distance_to_prior(lerp, "gaussian", 2, measure="kl")
    with pytest.raises(ValueError, match="needs 2-D codes"):
        distance_to_prior(lerp, "gaussian", 16, measure="histogram")


def test_the_noise_floor_is_what_prior_samples_score() -> None:
    """fresh_samples' interpolants are prior samples: their histogram TV is the floor, far
    below lerp's, and their MMD² is at 0 within the estimate's scatter."""
    floor = noise_floor("annulus", 2, measure="histogram")
    assert 0 < floor < 0.5 * distance_to_prior(lerp, "annulus", 2, measure="histogram")
    assert abs(noise_floor("annulus", 2, measure="mmd")) < 0.005
    draws = fresh_samples("uniform", seed=3)(torch.zeros(5, 2), torch.zeros(5, 2), torch.rand(4))
    assert draws.shape == (5, 4, 2) and draws.abs().max() <= 1 and draws.std() > 0.3


def test_prior_interpolants_are_the_sets_distance_to_prior_compares() -> None:
    interpolants, reference = prior_interpolants(lerp, "nine_circles", 2, n=300, seed=4)
    assert interpolants.shape == reference.shape == (300 * 16, 2)
    expected = distance_to_prior(lerp, "nine_circles", 2, n=300, seed=4, measure="histogram")
    assert histogram_distance_2d(interpolants, reference) == expected
