"""The procedural pole renderer and the 576-image pole dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from aeai_lib.data import pole
from aeai_lib.data.base import ImageDataset


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageDataset]:
    """The dataset, with AEAI_DATA_DIR kept in a temporary folder for the whole module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AEAI_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        patch.delenv("AEAI_NO_CACHE", raising=False)
        yield pole.dataset()


def mean_abs(first: torch.Tensor, second: torch.Tensor) -> float:
    return (first - second).abs().mean().item()


def pixel_xy(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """World coordinates (x right, y up) of the pixel centres, each (size, size)."""
    centres = -1.0 + (torch.arange(size, dtype=torch.float64) + 0.5) * 2.0 / size
    y, x = torch.meshgrid(centres.flip(0), centres, indexing="ij")
    return x, y


def shadow_mask(image: torch.Tensor, theta: float) -> torch.Tensor:
    """Ground pixels (outside the dome) darker than halfway between lit and shadowed ground."""
    size = image.shape[-1]
    x, y = pixel_xy(size)
    green = pole.GROUND_RGB[1]
    lit = green * (pole.AMBIENT + (1 - pole.AMBIENT) * math.sin(math.radians(theta)))
    threshold = (lit + green * pole.AMBIENT) / 2
    outside_dome = torch.hypot(x, y) > pole.RADIUS + 2.0 / size
    return (image[1].double() < threshold) & outside_dome


def test_grid_has_576_images_with_their_parameters_theta_major(data: ImageDataset) -> None:
    assert data.name == "pole"
    assert data.images.shape == (576, 3, 64, 64)
    assert data.images.dtype == torch.float32
    assert data.params.dtype == torch.float64
    assert data.param_names == ("theta", "phi")
    assert data.param_periods == (None, 360.0)
    assert pole.THETAS == (45, 50, 55, 60, 65, 70, 75, 80)
    assert list(pole.PHIS) == list(range(0, 360, 5))
    expected = [(theta, phi) for theta in pole.THETAS for phi in pole.PHIS]
    assert data.params.tolist() == [[float(t), float(p)] for t, p in expected]


def test_grid_images_are_pairwise_distinct(data: ImageDataset) -> None:
    flat = data.images.reshape(len(data), -1).double()
    distances = torch.cdist(flat, flat) / math.sqrt(flat.shape[1])
    distances.fill_diagonal_(float("inf"))
    assert distances.min().item() > 1e-3


def test_values_lie_in_unit_interval(data: ImageDataset) -> None:
    assert data.images.min() >= 0 and data.images.max() <= 1
    extremes = pole.render([0.0, 1e-3, 89.999], [10.0, 20.0, 30.0], size=32)
    assert torch.isfinite(extremes).all()
    assert extremes.min() >= 0 and extremes.max() <= 1


def test_render_equals_dataset_images_at_grid_points(data: ImageDataset) -> None:
    indices = [0, 1, 71, 72, 300, 575]
    thetas, phis = data.params[indices, 0], data.params[indices, 1]
    assert torch.allclose(pole.render(thetas, phis), data.images[indices], atol=1e-6, rtol=0)
    single = pole.render(float(thetas[4]), float(phis[4]))
    assert torch.allclose(single[0], data.images[300], atol=1e-6, rtol=0)


def test_input_forms_agree() -> None:
    reference = pole.render(torch.tensor([50.0, 50.0]), torch.tensor([10.0, 20.0]), size=16)
    variants = [
        pole.render(50, [10, 20], size=16),
        pole.render([50.0], np.array([10.0, 20.0]), size=16),
        pole.render(np.array([50, 50]), (10.0, 20.0), size=16),
        pole.render(np.float32(50.0), torch.tensor([10, 20]), size=16),
    ]
    for variant in variants:
        assert torch.allclose(variant, reference, atol=1e-6, rtol=0)
    assert pole.render(60, 30, size=16).shape == (1, 3, 16, 16)


@pytest.mark.parametrize("theta", [45.0, 62.5, 80.0])
def test_phi_wraps_modulo_360(theta: float) -> None:
    images = pole.render(theta, [0.0, 360.0, -360.0, 720.0], size=32)
    for image in images[1:]:
        assert torch.allclose(image, images[0], atol=1e-5, rtol=0)
    assert torch.allclose(*pole.render(theta, [5.0, 725.0], size=32), atol=1e-5, rtol=0)


@pytest.mark.parametrize(("theta", "phi"), [(45.0, 0.0), (60.0, 123.0), (79.0, 250.0)])
def test_image_changes_a_little_for_sub_degree_steps(theta: float, phi: float) -> None:
    base, phi_small, phi_large, theta_small, theta_large = pole.render(
        [theta, theta, theta, theta + 0.5, theta + 5.0],
        [phi, phi + 0.5, phi + 5.0, phi, phi],
    )
    assert 0 < mean_abs(base, phi_small) < mean_abs(base, phi_large)
    assert 0 < mean_abs(base, theta_small) < mean_abs(base, theta_large)


@pytest.mark.parametrize("phi", [0.0, 90.0, 200.0, 315.0])
@pytest.mark.parametrize("theta", [45.0, 60.0])
def test_shadow_points_away_from_the_light_with_length_h_over_tan_theta(
    theta: float, phi: float
) -> None:
    size = 128
    mask = shadow_mask(pole.render(theta, phi, size=size)[0], theta)
    x, y = pixel_xy(size)
    direction = math.degrees(math.atan2(y[mask].mean().item(), x[mask].mean().item()))
    assert abs((direction - (phi + 180.0) + 180.0) % 360.0 - 180.0) < 2.0
    reach = torch.hypot(x[mask], y[mask]).max().item()
    expected = pole.HEIGHT / math.tan(math.radians(theta)) + pole.RADIUS
    assert abs(reach - expected) < 2 * 2.0 / size


def test_shadow_shrinks_as_the_light_rises() -> None:
    thetas = [45.0, 60.0, 80.0]
    images = pole.render(thetas, 30.0, size=64)
    areas = [
        shadow_mask(image, theta).sum().item() for image, theta in zip(images, thetas, strict=True)
    ]
    assert areas[0] > areas[1] > areas[2] > 0


def test_shadow_stays_inside_the_image_at_45_degrees() -> None:
    for phi in (0.0, 45.0, 90.0, 180.0):
        mask = shadow_mask(pole.render(45.0, phi, size=64)[0], 45.0)
        border = torch.cat([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
        assert mask.any() and not border.any()


@pytest.mark.parametrize("phi", [0.0, 90.0, 225.0])
def test_dome_is_brightest_on_the_light_side(phi: float) -> None:
    size = 256
    image = pole.render(45.0, phi, size=size)[0]
    x, y = pixel_xy(size)
    inside = torch.hypot(x, y) < pole.RADIUS * 0.9
    red = torch.where(inside, image[0].double(), torch.tensor(-1.0, dtype=torch.float64))
    brightest = red.flatten().argmax()
    angle = math.degrees(math.atan2(y.flatten()[brightest], x.flatten()[brightest]))
    assert abs((angle - phi + 180.0) % 360.0 - 180.0) < 10.0


def test_ground_and_pole_have_distinct_colours(data: ImageDataset) -> None:
    image = data.images[0]
    corner, centre = image[:, 2, 2], image[:, 32, 32]
    assert corner[1] > corner[0]  # green ground
    assert centre[0] > centre[1]  # orange-red pole


def test_split_is_80_20_disjoint_covering_and_seeded(data: ImageDataset) -> None:
    train, test = set(data.train_idx.tolist()), set(data.test_idx.tolist())
    assert len(test) == round(0.2 * 576) and len(train) == 576 - len(test)
    assert train.isdisjoint(test) and train | test == set(range(576))
    same = pole.dataset(seed=0)
    other = pole.dataset(seed=1)
    assert torch.equal(same.test_idx, data.test_idx)
    assert not torch.equal(other.test_idx, data.test_idx)
    assert torch.equal(other.images, data.images)


def test_dataset_goes_through_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AEAI_NO_CACHE", raising=False)
    first = pole.dataset(size=16)
    files = list((tmp_path / "cache").glob("pole-*.pt"))
    assert len(files) == 1
    assert torch.equal(pole.dataset(size=16).images, first.images)


@pytest.mark.parametrize(
    ("theta", "phi", "size", "error", "match"),
    [
        ("45", 0.0, 64, TypeError, r"theta_deg must be a number .* pass theta_deg as a number"),
        (45.0, "north", 64, TypeError, r"phi_deg must be a number"),
        (45.0, ["a", "b"], 64, TypeError, r"phi_deg must hold real numbers"),
        (True, 0.0, 64, TypeError, r"theta_deg must be a number"),
        (np.zeros((2, 2)), 0.0, 64, ValueError, r"theta_deg must be a number or 1-D, got shape"),
        ([[45.0, 50.0]], 0.0, 64, ValueError, r"got shape \(1, 2\)"),
        ([45.0, 50.0], [0.0, 5.0, 10.0], 64, ValueError, r"different lengths \(2 and 3\)"),
        (float("nan"), 0.0, 64, ValueError, r"theta_deg contains NaN or inf; pass finite"),
        (45.0, [0.0, float("inf")], 64, ValueError, r"phi_deg contains NaN or inf"),
        (90.0, 0.0, 64, ValueError, r"theta_deg must lie in \[0, 90\).*not including, 90"),
        (-0.5, 0.0, 64, ValueError, r"theta_deg must lie in \[0, 90\)"),
        (45.0, 0.0, 8, ValueError, r"size must be an int in \[16, 512\].*got 8; pass e.g."),
        (45.0, 0.0, 513, ValueError, r"size must be an int in \[16, 512\].*got 513"),
        (45.0, 0.0, 64.0, TypeError, r"size must be an int in \[16, 512\].*got 64.0"),
    ],
)
def test_bad_input_raises_naming_problem_and_fix(theta, phi, size, error, match) -> None:
    with pytest.raises(error, match=match):
        pole.render(theta, phi, size=size)


def test_bad_dataset_arguments_raise() -> None:
    with pytest.raises(ValueError, match=r"size must be an int in \[16, 512\]"):
        pole.dataset(size=4)
    with pytest.raises(ValueError, match=r"seed must be >= 0"):
        pole.dataset(seed=-1)
