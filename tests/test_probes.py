"""The codes as a representation: the linear probe and k-means against known answers."""

from __future__ import annotations

import math

import pytest
import torch

from aeai_lib.data import lines, pole
from aeai_lib.evaluation.measures import MEASURES, measures_of
from aeai_lib.evaluation.probes import (
    angular_error_degrees,
    cluster_codes,
    clustering_accuracy,
    evaluate_representation,
    factor_bins,
    factor_targets,
    fit_probe,
)
from aeai_lib.evaluation.report import format_comparison
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig


@pytest.fixture(scope="module")
def pole_data():
    return pole.dataset(size=32)


def _split(values: torch.Tensor, data) -> tuple[torch.Tensor, torch.Tensor]:
    return values[data.train_idx], values[data.test_idx]


def test_factor_targets_are_theta_and_the_cosine_and_sine_of_periodic_factors(pole_data) -> None:
    targets, names = factor_targets(
        pole_data.params, pole_data.param_names, pole_data.param_periods
    )
    assert names == ["theta", "cos phi", "sin phi"] and targets.shape == (576, 3)
    phi = torch.deg2rad(pole_data.params[:, 1])
    assert torch.allclose(targets[:, 0], pole_data.params[:, 0])
    assert torch.allclose(targets[:, 1], phi.cos()) and torch.allclose(targets[:, 2], phi.sin())
    # a line is a ray from the centre: its angle has period 2 pi, so (cos a, sin a), not 2a
    angles = torch.tensor([[0.0], [math.pi]], dtype=torch.float64)
    ray, ray_names = factor_targets(angles, ("angle",), (2 * math.pi,))
    assert ray_names == ["cos angle", "sin angle"]
    assert torch.allclose(ray, torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64))


def test_a_probe_on_the_exact_factors_mixed_linearly_reads_them_back(pole_data) -> None:
    targets, _ = factor_targets(pole_data.params, pole_data.param_names, pole_data.param_periods)
    generator = torch.Generator().manual_seed(0)
    codes = targets @ torch.randn(3, 16, generator=generator, dtype=torch.float64)
    codes += 1e-4 * torch.randn(codes.shape, generator=generator, dtype=torch.float64)
    (train_codes, test_codes), (train_targets, test_targets) = (
        _split(codes, pole_data),
        _split(targets, pole_data),
    )
    result = fit_probe(train_codes, train_targets, test_codes, test_targets)
    assert result["r2"] > 0.9999 and min(result["r2_per_target"]) > 0.9999
    _, test_phi = _split(pole_data.params[:, 1], pole_data)
    assert angular_error_degrees(result["predictions"][:, 1:], test_phi, 360.0) < 0.1


def test_a_probe_on_random_codes_explains_nothing(pole_data) -> None:
    targets, _ = factor_targets(pole_data.params, pole_data.param_names, pole_data.param_periods)
    codes = torch.randn(len(pole_data), 16, generator=torch.Generator().manual_seed(1))
    (train_codes, test_codes), (train_targets, test_targets) = (
        _split(codes, pole_data),
        _split(targets, pole_data),
    )
    result = fit_probe(train_codes, train_targets, test_codes, test_targets)
    assert abs(result["r2"]) < 0.1
    _, test_phi = _split(pole_data.params[:, 1], pole_data)
    assert angular_error_degrees(result["predictions"][:, 1:], test_phi, 360.0) > 60


def test_angular_error_wraps_around_the_period() -> None:
    predicted = torch.tensor([[math.cos(math.radians(359)), math.sin(math.radians(359))]])
    assert angular_error_degrees(predicted, torch.tensor([1.0]), 360.0) == pytest.approx(2.0)
    radians = torch.tensor([[0.0, 1.0]])  # 90 degrees, the angle in radians
    assert angular_error_degrees(radians, torch.tensor([math.pi]), 2 * math.pi) == pytest.approx(
        90.0
    )


def test_k_means_recovers_well_separated_clusters_whatever_their_label_names() -> None:
    generator = torch.Generator().manual_seed(0)
    centres = 20 * torch.eye(4, 8)
    labels = torch.arange(4).repeat_interleave(30)
    codes = centres[labels] + torch.randn(120, 8, generator=generator)
    for named in (labels, (labels * 7 + 3) % 4):  # any one-to-one renaming
        result = cluster_codes(codes, named)
        assert result["n_clusters"] == 4
        assert result["accuracy"] == 1.0 and result["nmi"] == pytest.approx(1.0)
        assert result["ari"] == pytest.approx(1.0)


def test_k_means_on_noise_scores_near_chance() -> None:
    codes = torch.randn(400, 8, generator=torch.Generator().manual_seed(2))
    labels = torch.arange(4).repeat(100)
    result = cluster_codes(codes, labels)
    assert result["accuracy"] < 0.4 and result["nmi"] < 0.05


def test_clustering_accuracy_takes_the_best_one_to_one_matching() -> None:
    import numpy as np

    labels = np.array([0, 0, 0, 1, 1, 2])
    clusters = np.array([5, 5, 9, 9, 9, 9])  # 2 clusters for 3 labels: at most 2 matched
    assert clustering_accuracy(labels, clusters) == pytest.approx(4 / 6)


def test_factor_bins_are_the_theta_values_or_angle_sectors(pole_data) -> None:
    labels, what = factor_bins(pole_data)
    assert what == "theta" and labels.unique().tolist() == list(range(8))
    assert (labels == 0).sum() == 72  # 72 azimuths at each elevation
    data = lines.dataset(size=32, n_train=64, n_test=16)
    sectors, what = factor_bins(data)
    assert what == "angle in 8 sectors"
    expected = (data.params[:, 0] / (2 * math.pi) * 8).long()
    assert torch.equal(sectors, expected)


def _z(*shape: int) -> torch.Tensor:
    return torch.zeros(shape)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ((_z(2, 4), _z(2, 1), _z(5, 4), _z(5, 1)), "train_codes"),  # too few to fit
        ((_z(5, 4), _z(5, 1), _z(2, 4), _z(2, 1)), "test_codes"),  # too few to score
        ((_z(5), _z(5, 1), _z(5, 4), _z(5, 1)), "train_codes"),  # not (N, D)
        ((_z(5, 4), _z(4, 1), _z(5, 4), _z(5, 1)), "train_targets"),  # rows differ
        ((_z(5, 4), _z(5, 1), _z(5, 3), _z(5, 1)), "test_codes"),  # other code width
        ((_z(5, 4), _z(5, 1), _z(5, 4), _z(5, 2)), "test_targets"),  # other targets
        ((torch.full((5, 4), math.nan), _z(5, 1), _z(5, 4), _z(5, 1)), "train_codes"),
    ],
)
def test_bad_probe_input_is_named(arguments: tuple, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        fit_probe(*arguments)


def test_bad_clustering_input_is_named() -> None:
    codes = torch.randn(6, 3)
    with pytest.raises(ValueError, match="labels"):
        cluster_codes(codes, torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="n_clusters"):
        cluster_codes(codes, torch.zeros(6, dtype=torch.long))  # one label: one cluster
    with pytest.raises(ValueError, match="n_clusters=8"):
        cluster_codes(codes, torch.arange(6), n_clusters=8)
    with pytest.raises(ValueError, match="codes"):
        cluster_codes(torch.randn(6), torch.arange(6))


def test_evaluate_representation_gives_each_declared_measure(pole_data) -> None:
    torch.manual_seed(0)
    model = make_method("ae").build_model(ModelConfig(image_size=32, latent_dim=8))
    result = evaluate_representation(model, pole_data)
    assert result["targets"] == ["theta", "cos phi", "sin phi"]
    assert (result["n_train"], result["n_test"]) == (461, 115)
    keys = {m.key for m in measures_of("representation")}
    assert set(result["summary"]) == keys
    assert all(isinstance(result["summary"][key], float) for key in keys)
    assert 0 <= result["summary"]["kmeans_accuracy"] <= 1
    assert 0 <= result["summary"]["probe_angle_error"] <= 180
    assert evaluate_representation(model, pole_data) == result  # seeded: the same again


def test_evaluate_representation_refuses_data_without_exact_factors(make_dataset) -> None:
    model = make_method("ae").build_model(ModelConfig(image_size=32, channels=1, latent_dim=8))
    with pytest.raises(ValueError, match="no exact factors"):
        evaluate_representation(model, make_dataset())


def test_the_comparison_says_which_columns_are_better_higher() -> None:
    result = {"checkpoint": "x.pt", **{m.key: 0.5 for m in MEASURES}}
    table = format_comparison([result])
    assert "probe R2" in table and "k-means acc" in table
    assert "(higher is better)" in table and "probe R2, probe angle err" not in table
