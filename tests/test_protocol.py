"""The paper's protocol: pairs, true paths, decoded paths and every measure, on known cases.

The exact ground truth, fed in as if a model had decoded it, must score perfectly; a pixel
cross-fade between the endpoints must score worse. Models are tiny and untrained.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from aeai_lib.data import pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.folder import load_folder
from aeai_lib.evaluation.ground_truth import (
    default_intervals,
    grid_step,
    interval_pairs,
    true_paths,
)
from aeai_lib.evaluation.measures import measures_of, predicted_alphas
from aeai_lib.evaluation.protocol import (
    decode_paths,
    evaluate_lines_model,
    evaluate_model,
    evaluate_paths,
    mse_vs_interval,
)
from aeai_lib.interpolation import alpha_grid
from aeai_lib.models import AutoencoderModel, ModelConfig

ALPHAS = alpha_grid(16)


@pytest.fixture(scope="module")
def pole32() -> ImageDataset:
    return pole.dataset(size=32, cache_dir=False)


@pytest.fixture(scope="module")
def tiny_model() -> AutoencoderModel:
    torch.manual_seed(0)
    return AutoencoderModel(ModelConfig(image_size=32, channels=3, latent_dim=8))


def cross_fade(dataset: ImageDataset, pairs, alphas: torch.Tensor) -> torch.Tensor:
    """The pixel cross-fade (1 - a) x_i + a x_j: (P, A, C, H, W)."""
    a = alphas.reshape(1, -1, 1, 1, 1)
    source = dataset.images[pairs.sources].unsqueeze(1)
    return (1 - a) * source + a * dataset.images[pairs.targets].unsqueeze(1)


def write_coil_folder(folder: Path) -> Path:
    """2 objects x 8 views at 45 degree steps, 40x40 PNGs, each view a distinct pattern."""
    folder.mkdir()
    for obj, background in ((1, (200, 40, 40)), (2, (40, 40, 200))):
        for step in range(8):
            image = Image.new("RGB", (40, 40), background)
            draw = ImageDraw.Draw(image)
            angle = math.radians(45 * step)
            x, y = 20 + 12 * math.cos(angle), 20 - 12 * math.sin(angle)
            draw.rectangle((x - 5, y - 5, x + 5, y + 5), fill=(255, 255, 255))
            draw.rectangle((2, 2, 2 + 4 * step, 5), fill=(0, 0, 0))
            image.save(folder / f"obj{obj}__{45 * step}.png")
    return folder


@pytest.fixture(scope="module")
def coil(tmp_path_factory: pytest.TempPathFactory) -> ImageDataset:
    return load_folder(write_coil_folder(tmp_path_factory.mktemp("coil") / "views"), size=32)


# --- pairs --------------------------------------------------------------------------------


def test_interval_pairs_are_exactly_interval_apart_with_wraparound(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80, "phi", split="all")
    start, end = pairs.start_params, pairs.end_params
    assert len(pairs) == 576  # every image has a partner 80 degrees on
    assert torch.equal(start[:, 0], end[:, 0])
    assert torch.equal(torch.remainder(end[:, 1] - start[:, 1], 360), torch.full((576,), 80.0))
    wrapped = (start[:, 1] == 340) & (end[:, 1] == 60)
    assert wrapped.sum() == 8  # one per theta
    assert torch.equal(pairs.displacement[:, 1], torch.full((576,), 80.0))
    assert torch.equal(pairs.params_at(torch.tensor([1.0]))[:, 0], end)


def test_interval_pairs_default_axis_split_and_subset(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80)  # phi, test split
    assert pairs.axis == "phi" and pairs.split == "test" and len(pairs) > 5
    test = set(pole32.test_idx.tolist())
    assert all(i in test for i in pairs.sources.tolist() + pairs.targets.tolist())
    subset = interval_pairs(pole32, 80, max_pairs=3, seed=1)
    assert len(subset) == 3
    assert set(subset.sources.tolist()) <= set(pairs.sources.tolist())
    assert torch.equal(subset.sources, interval_pairs(pole32, 80, max_pairs=3, seed=1).sources)


def test_interval_pairs_along_theta(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 35, "theta", split="all")
    assert len(pairs) == 72
    assert torch.equal(pairs.start_params[:, 0], torch.full((72,), 45.0))
    assert torch.equal(pairs.end_params[:, 0], torch.full((72,), 80.0))
    assert torch.equal(pairs.start_params[:, 1], pairs.end_params[:, 1])


def test_interval_pairs_errors(pole32: ImageDataset) -> None:
    with pytest.raises(ValueError, match="longer than the grid allows.*45 to 80"):
        interval_pairs(pole32, 40, "theta")
    with pytest.raises(ValueError, match="full turn"):
        interval_pairs(pole32, 360, "phi")
    with pytest.raises(ValueError, match="no parameter 'angle'"):
        interval_pairs(pole32, 80, "angle")
    empty = dataclasses.replace(pole32, test_idx=torch.empty(0, dtype=torch.int64))
    with pytest.raises(ValueError, match="test split .* is empty"):
        interval_pairs(empty, 80)
    lonely = dataclasses.replace(pole32, test_idx=torch.tensor([0, 1]))  # phi 0 and 5
    with pytest.raises(
        ValueError, match=r"no two test images .* 80 apart.*\[5.0, 355.0\].*split='all'"
    ):
        interval_pairs(lonely, 80)


# --- true and decoded paths -----------------------------------------------------------------


def test_true_paths_endpoints_are_the_dataset_images(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80, split="all", max_pairs=12)
    truth = true_paths(pole32, pairs, ALPHAS)
    assert truth.shape == (12, 17, 3, 32, 32)
    assert torch.equal(truth[:, 0], pole32.images[pairs.sources])
    assert torch.equal(truth[:, -1], pole32.images[pairs.targets])
    # on-grid alphas land on dataset images; off-grid ones are rendered in between
    theta_row, phi_column = pairs.sources // 72, pairs.sources % 72
    assert torch.equal(truth[:, 8], pole32.images[theta_row * 72 + (phi_column + 8) % 72])
    between = true_paths(pole32, pairs, [0.03125])[:, 0]
    start = pairs.start_params
    expected = pole.render(start[:, 0], start[:, 1] + 2.5, 32)
    assert torch.allclose(between, expected)


def test_true_paths_across_the_wrap(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80, split="all")
    keep = (pairs.start_params[:, 1] == 340).nonzero()[:1, 0]
    truth = true_paths(pole32, dataclasses.replace(pairs, **_take(pairs, keep)), [0.25])
    theta = pairs.start_params[keep, 0]
    assert torch.allclose(truth[:, 0], pole.render(theta, 0.0, 32))


def _take(pairs, keep: torch.Tensor) -> dict:
    fields = ("sources", "targets", "start_params", "end_params", "displacement")
    return {name: getattr(pairs, name)[keep] for name in fields}


def test_decode_paths_shape_mode_and_errors(
    pole32: ImageDataset, tiny_model: AutoencoderModel
) -> None:
    pairs = interval_pairs(pole32, 80, max_pairs=3)
    tiny_model.train()
    decoded = decode_paths(tiny_model, pole32, pairs, alpha_grid(4))
    assert decoded.shape == (3, 5, 3, 32, 32) and decoded.device.type == "cpu"
    assert tiny_model.training  # the mode is restored
    big = AutoencoderModel(ModelConfig(image_size=64, channels=3, latent_dim=8))
    with pytest.raises(ValueError, match=r"64x64.*32x32.*size=64"):
        decode_paths(big, pole32, pairs, ALPHAS)
    broken = AutoencoderModel(ModelConfig(image_size=32, channels=3, latent_dim=8))
    with torch.no_grad():
        broken.decoder.head[0].weight.fill_(math.nan)
    with pytest.raises(ValueError, match="contain NaN"):
        decode_paths(broken, pole32, pairs, ALPHAS)


# --- measures ---------------------------------------------------------------------------------


def test_exact_ground_truth_scores_perfectly(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80)
    truth = true_paths(pole32, pairs, ALPHAS)
    result = evaluate_paths(truth, truth, pairs, pole32, ALPHAS)
    alphas = ALPHAS.tolist()
    assert result["mse_vs_alpha"] == {"mean": [0.0] * 17, "std": [0.0] * 17}
    prediction = result["alpha_prediction"]
    assert prediction["median"] == pytest.approx(alphas, abs=1e-12)
    assert prediction["iqr"] == [0.0] * 17 and prediction["error"] == pytest.approx(0, abs=1e-12)
    distance = result["parameter_distance"]
    assert distance["source"] == pytest.approx([80 * a for a in alphas])
    assert distance["target"] == pytest.approx([80 * (1 - a) for a in alphas])
    assert distance["source"] == pytest.approx(distance["ideal_source"])
    admissible = result["admissibility"]
    assert admissible["boundary_error"]["mean"] == 0.0
    assert admissible["monotonicity_violations"] == 0.0
    assert 1.0 <= admissible["speed"]["speed_ratio"] < 1.2
    assert admissible["credibility"]["mean"] == 0.0


def test_cross_fade_scores_worse_than_the_truth(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80)
    truth = true_paths(pole32, pairs, ALPHAS)
    fade = evaluate_paths(cross_fade(pole32, pairs, ALPHAS), truth, pairs, pole32, ALPHAS)
    assert fade["mse_vs_alpha"]["mean"][8] > 1e-3  # 0 for the truth
    assert fade["mse_vs_alpha"]["mean"][0] == 0.0  # the endpoints are exact
    assert fade["alpha_prediction"]["error"] > 0.1
    assert fade["admissibility"]["credibility"]["mean"] > 1e-4
    ideal = fade["parameter_distance"]["ideal_source"]
    assert fade["parameter_distance"]["source"] != pytest.approx(ideal)


def test_predicted_alpha_projects_onto_the_segment(pole32: ImageDataset) -> None:
    pairs = interval_pairs(pole32, 80, split="all")
    keep = (pairs.start_params[:, 1] == 340).nonzero()[:1, 0]
    one = dataclasses.replace(pairs, **_take(pairs, keep))  # phi 340 -> 60
    theta = one.start_params[0, 0].item()
    nearest = torch.tensor(
        [[[theta, 0.0], [theta + 5, 20.0], [theta, 100.0], [theta, 300.0], [theta, 330.0]]],
        dtype=torch.float64,
    )
    assert predicted_alphas(nearest, one).tolist() == [[0.25, 0.5, 1.0, 0.0, 0.0]]


def test_mse_vs_interval_and_defaults(pole32: ImageDataset, tiny_model: AutoencoderModel) -> None:
    assert default_intervals(pole32) == {
        "phi": [float(v) for v in range(15, 85, 5)],
        "theta": [float(v) for v in range(5, 40, 5)],
    }
    lonely = dataclasses.replace(pole32, test_idx=torch.tensor([0, 1, 72]))
    curve = mse_vs_interval(tiny_model, lonely, [5, 10], "theta", max_pairs=2)
    assert curve["n_pairs"] == [1, 0] and curve["mean_mse"][1] is None
    assert curve["mean_mse"][0] > 0


def test_evaluate_model_end_to_end_on_the_pole(
    pole32: ImageDataset, tiny_model: AutoencoderModel
) -> None:
    result = evaluate_model(
        tiny_model,
        pole32,
        max_pairs=4,
        intervals={"phi": [15, 80], "theta": [5, 35]},
        curve_max_pairs=2,
    )
    json.dumps(result, allow_nan=False)
    assert result["n_pairs"] == 4 and result["axis"] == "phi" and result["interval"] == 80
    assert len(result["mse_vs_alpha"]["mean"]) == 17
    assert set(result["mse_vs_interval"]) == {"phi", "theta"}
    assert set(result["summary"]) == {
        "mse_mid",
        "mse_mid_alpha",
        "mse_mean",
        "alpha_error",
        "boundary_error",
        "monotonicity_violations",
        "speed_ratio",
        "credibility",
        "latent_kl",
        "latent_mmd",
        "drift_mid",
        "alpha_back_error",
    }
    assert result["summary"]["mse_mid_alpha"] == 0.5
    assert set(result["latent"]) >= {"real_norms", "interpolated_norms", "gaussian_kl", "mmd"}


# --- folders of views -------------------------------------------------------------------------


def test_folder_true_paths_take_views_from_the_grid(coil: ImageDataset) -> None:
    assert grid_step(coil) == 45.0
    pairs = interval_pairs(coil, 90, split="all")
    assert len(pairs) == 16  # 2 objects x 8 views, wrapping
    truth = true_paths(coil, pairs, alpha_grid(2))
    middle = pairs.start_params.clone()
    middle[:, 1] = torch.remainder(middle[:, 1] + 45, 360)
    for path, (obj, angle) in zip(truth, middle.tolist(), strict=True):
        view = ((coil.params[:, 0] == obj) & (coil.params[:, 1] == angle)).nonzero().item()
        assert torch.equal(path[1], coil.images[view])
    assert torch.equal(truth[:, 0], coil.images[pairs.sources])
    with pytest.raises(ValueError, match=r"falls between the views.*alpha_grid\(2\)"):
        true_paths(coil, pairs, alpha_grid(4))


def test_evaluate_model_end_to_end_on_a_folder(
    coil: ImageDataset, tiny_model: AutoencoderModel
) -> None:
    result = evaluate_model(
        tiny_model,
        coil,
        interval=90,
        alphas=alpha_grid(2),
        intervals={"angle": [90, 135, 180]},
        split="all",
    )
    json.dumps(result, allow_nan=False)
    assert result["axis"] == "angle" and result["n_pairs"] == 16
    assert all(isinstance(v, float) for v in result["mse_vs_interval"]["angle"]["mean_mse"])
    truth = true_paths(coil, interval_pairs(coil, 90, split="all"), alpha_grid(2))
    exact = evaluate_paths(truth, truth, interval_pairs(coil, 90, split="all"), coil, [0, 0.5, 1])
    assert exact["alpha_prediction"]["median"] == [0.0, 0.5, 1.0]


def test_evaluate_lines_model() -> None:
    model = AutoencoderModel(ModelConfig(image_size=32, channels=1, latent_dim=8))
    result = evaluate_lines_model(model, n_pairs=3, steps=5)
    json.dumps(result)
    assert result["n_interpolations"] == 3 and result["n_steps"] == 5
    assert set(result["summary"]) == {m.key for m in measures_of("lines")}
    assert result["table1"] is None  # no training readings, so no Table 1 reading
    assert result["summary"]["table1_mean_distance"] is None
    assert result["summary"]["mean_distance"] == result["mean_distance"]
    with pytest.raises(ValueError, match="single-channel"):
        evaluate_lines_model(AutoencoderModel(ModelConfig(image_size=32, channels=3)))


def test_numpy_numbers_are_accepted_as_the_interval(pole32: ImageDataset) -> None:
    """Issue #16, row 5's kind: a numpy integer or float is a number like any other."""
    expected = interval_pairs(pole32, 80, axis="phi", split="test")
    for interval in (np.int64(80), np.float32(80.0)):
        pairs = interval_pairs(pole32, interval, axis="phi", split="test")
        assert torch.equal(pairs.sources, expected.sources)
