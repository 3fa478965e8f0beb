"""ACAI's lines benchmark: renderer, value range and dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from aeai_lib.data import lines
from aeai_lib.data.base import ImageDataset


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageDataset]:
    """The dataset, with AEAI_DATA_DIR kept in a temporary folder for the whole module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AEAI_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        patch.delenv("AEAI_NO_CACHE", raising=False)
        yield lines.dataset()


def pixel_xy(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates relative to the image centre (x right, y up), each (size, size)."""
    centres = torch.arange(size, dtype=torch.float64) + 0.5 - size / 2
    y, x = torch.meshgrid(-centres, centres, indexing="ij")
    return x, y


def angle_gap(first: float, second: float) -> float:
    return abs((first - second + math.pi) % (2 * math.pi) - math.pi)


def test_shape_dtype_and_range() -> None:
    images = lines.render([0.0, 1.0, 2.0], size=32)
    assert images.shape == (3, 1, 32, 32) and images.dtype == torch.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert (images[:, :, 0, 0] == 0).all()  # background
    assert lines.render(0.5).shape == (1, 1, 32, 32)
    assert lines.render(np.array([0.5, 1.5]), size=64).shape == (2, 1, 64, 64)


@pytest.mark.parametrize("angle", [0.0, 0.7, math.pi / 2, 2.0, 3.5, 5.9])
def test_line_starts_at_the_centre_and_points_along_the_angle(angle: float) -> None:
    image = lines.render(angle)[0, 0].double()
    x, y = pixel_xy(32)
    centroid = math.atan2((image * y).sum().item(), (image * x).sum().item())
    assert angle_gap(centroid, angle) < 0.03
    distance = torch.hypot(x, y)
    lit = image > 0.5
    assert distance[lit].min() < 1.0  # starts at the centre
    assert 14.0 < distance[lit].max() < 16.5  # reaches about half the image: the border
    width = image.sum().item() / 15.0
    assert 1.8 < width < 2.4  # 2 pixels wide


def test_angle_wraps_modulo_two_pi() -> None:
    angles = torch.tensor([1.0, 1.0 + 2 * math.pi, 1.0 - 4 * math.pi, 1.0 + 20 * math.pi])
    images = lines.render(angles)
    for image in images[1:]:
        assert torch.allclose(image, images[0], atol=1e-4, rtol=0)


def test_image_is_a_continuous_function_of_the_angle() -> None:
    base, small, large = lines.render([1.0, 1.001, 1.05])
    assert 0 < (base - small).abs().mean() < (base - large).abs().mean()


def test_to_acai_range_maps_to_minus_one_one() -> None:
    acai = lines.to_acai_range(lines.render(2.0))
    assert acai.min() == -1.0 and acai.max() == 1.0
    assert acai[0, 0, 0, 0] == -1.0
    assert torch.equal(
        lines.to_acai_range(torch.tensor([0.0, 0.5, 1.0])), torch.tensor([-1.0, 0.0, 1.0])
    )


def test_dataset_split_params_and_images(data: ImageDataset) -> None:
    assert data.name == "lines"
    assert data.images.shape == (25000, 1, 32, 32)
    assert data.params.shape == (25000, 1) and data.params.dtype == torch.float64
    assert data.param_names == ("angle",) and data.param_periods == (2 * math.pi,)
    assert torch.equal(data.train_idx, torch.arange(20000))
    assert torch.equal(data.test_idx, torch.arange(20000, 25000))
    assert data.params.min() >= 0 and data.params.max() < 2 * math.pi
    assert abs(data.params.mean().item() - math.pi) < 0.05  # uniform on [0, 2 pi)
    some = [0, 1, 19999, 24999]
    assert torch.allclose(lines.render(data.params[some, 0]), data.images[some], atol=1e-6)


def test_dataset_is_seeded(tmp_path) -> None:
    first = lines.dataset(n_train=40, n_test=10, seed=3, cache_dir=tmp_path)
    again = lines.dataset(n_train=40, n_test=10, seed=3, cache_dir=False)
    other = lines.dataset(n_train=40, n_test=10, seed=4, cache_dir=False)
    assert torch.equal(first.params, again.params)
    assert torch.equal(first.images, again.images)
    assert not torch.equal(first.params, other.params)
    assert len(first.test_idx) == 10 and len(first.train_idx) == 40


@pytest.mark.parametrize(
    ("angle", "size", "error", "match"),
    [
        ("up", 32, TypeError, r"angle_rad must be a number .* pass angle_rad as a number"),
        (
            np.zeros((2, 3)),
            32,
            ValueError,
            r"angle_rad must be a number or 1-D, got shape \(2, 3\)",
        ),
        ([0.0, float("nan")], 32, ValueError, r"angle_rad contains NaN or inf"),
        (0.0, 8, ValueError, r"size must be an int in \[16, 512\]"),
        (0.0, 32.0, TypeError, r"size must be an int"),
    ],
)
def test_bad_input_raises(angle, size, error, match) -> None:
    with pytest.raises(error, match=match):
        lines.render(angle, size=size)


def test_bad_dataset_arguments_raise() -> None:
    with pytest.raises(ValueError, match="n_test must be >= 1"):
        lines.dataset(n_test=0, cache_dir=False)
    with pytest.raises(TypeError, match="n_train must be an integer"):
        lines.dataset(n_train=10.5, cache_dir=False)
