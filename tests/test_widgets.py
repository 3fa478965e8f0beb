"""The latent explorer without a browser: widget values in, images, truth and markers out."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from aeai_lib.data import pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.inference import encode_images
from aeai_lib.interpolation import get_interpolation
from aeai_lib.methods import make_method
from aeai_lib.models import AutoencoderModel, ModelConfig
from aeai_lib.widgets import PATH_STEPS, LatentExplorer

SIZE = 32


def _model(seed: int, **config: int) -> AutoencoderModel:
    torch.manual_seed(seed)
    model = make_method("ae").build_model(ModelConfig(image_size=SIZE, latent_dim=16, **config))
    return model.eval()


@pytest.fixture(scope="module")
def dataset() -> ImageDataset:
    """Every 8th pole image at 32x32: 72 images, theta 45..80, phi 0..355 in 40-degree steps."""
    full = pole.dataset(size=SIZE)
    keep = torch.arange(0, len(full), 8)
    return dataclasses.replace(
        full,
        images=full.images[keep],
        params=full.params[keep],
        train_idx=torch.arange(len(keep)),
        test_idx=torch.arange(len(keep)),
    )


@pytest.fixture(scope="module")
def model() -> AutoencoderModel:
    return _model(0)


def _index(dataset: ImageDataset, theta: float, phi: float) -> int:
    matches = ((dataset.params - torch.tensor([theta, phi])).abs().sum(dim=1) < 1e-6).nonzero()
    return int(matches[0, 0])


def _decoded(
    model: AutoencoderModel, dataset: ImageDataset, a: int, b: int, alpha: float, method="lerp"
) -> torch.Tensor:
    """model.decode of the interpolated code of images a and b at alpha: (C, H, W)."""
    codes = encode_images(model, dataset.images[[a, b]])
    code = get_interpolation(method)(codes[:1], codes[1:], torch.tensor([alpha]))[0]
    with torch.no_grad():
        return model.decode(code)[0]


def test_alpha_and_method_update_the_decoded_image(dataset, model):
    explorer = LatentExplorer(model, dataset, index_a=3, index_b=40, alpha=0.3)
    first, first_png = explorer.decoded_images[0], explorer._panels[0].image.value
    assert first.shape == (3, SIZE, SIZE)
    torch.testing.assert_close(first, _decoded(model, dataset, 3, 40, 0.3), atol=1e-5, rtol=0)

    explorer.alpha.value = 0.73  # off the path grid: one code decoded
    second = explorer.decoded_images[0]
    assert not torch.equal(first, second)
    assert explorer._panels[0].image.value != first_png
    torch.testing.assert_close(second, _decoded(model, dataset, 3, 40, 0.73), atol=1e-5, rtol=0)

    explorer.method.value = "slerp"
    expected = _decoded(model, dataset, 3, 40, 0.73, "slerp")
    torch.testing.assert_close(explorer.decoded_images[0], expected, atol=1e-5, rtol=0)

    explorer.index_b.value = 50
    expected = _decoded(model, dataset, 3, 50, 0.73, "slerp")
    torch.testing.assert_close(explorer.decoded_images[0], expected, atol=1e-5, rtol=0)
    assert explorer.message.value == ""
    assert explorer.nearest_mse[0] >= 0


def test_ground_truth_is_rendered_at_the_interpolated_angles(dataset, model):
    a, b = _index(dataset, 50, 320), _index(dataset, 70, 40)  # phi: 320 -> 40 the short way
    explorer = LatentExplorer(model, dataset, index_a=a, index_b=b, alpha=0.0)
    torch.testing.assert_close(explorer.ground_truth, dataset.images[a], atol=1e-6, rtol=0)
    explorer.alpha.value = 0.25
    expected = pole.render(55.0, 340.0, SIZE)[0]
    torch.testing.assert_close(explorer.ground_truth, expected, atol=1e-6, rtol=0)
    explorer.alpha.value = 0.5
    torch.testing.assert_close(explorer.ground_truth, pole.render(60.0, 0.0, SIZE)[0])
    explorer.alpha.value = 1.0
    torch.testing.assert_close(explorer.ground_truth, dataset.images[b], atol=1e-6, rtol=0)


def test_marker_follows_the_path_in_the_projection(dataset, model):
    explorer = LatentExplorer(model, dataset, index_a=5, index_b=60, alpha=0.0)
    start = explorer.project(encode_images(model, dataset.images[[5]]))[0]
    torch.testing.assert_close(explorer.marker[0], start, atol=1e-5, rtol=0)
    explorer.alpha.value = 0.61
    end = explorer.project(encode_images(model, dataset.images[[60]]))[0]
    torch.testing.assert_close(explorer.marker[0], start + 0.61 * (end - start), atol=1e-5, rtol=0)
    assert explorer.marker[0].shape == (2,)


def test_two_models_side_by_side_share_pair_method_and_alpha(dataset, model):
    other = _model(1)
    explorer = LatentExplorer([model, other], dataset, index_a=1, index_b=2, labels=["x", "y"])
    explorer.alpha.value = 0.42
    assert explorer.labels == ["x", "y"]
    for decoded, each in zip(explorer.decoded_images, (model, other), strict=True):
        torch.testing.assert_close(decoded, _decoded(each, dataset, 1, 2, 0.42), atol=1e-5, rtol=0)
    assert not torch.equal(*explorer.decoded_images)
    assert len(explorer.marker) == len(explorer.path_frames) == 2
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_columns_are_titled_with_the_methods_labels(dataset, model):
    ae_a = make_method("ae", lambda_adv=0.01).build_model(ModelConfig(image_size=SIZE))
    explorer = LatentExplorer([model, ae_a.eval(), model], dataset)
    assert explorer.labels == ["AE #1", "AE+A #2", "AE #3"]


def test_thumbnail_buttons_set_the_endpoints(dataset, model):
    explorer = LatentExplorer(model, dataset)
    thumbnail = explorer.thumbnails[3]
    thumbnail.set_b.click()
    assert explorer.index_b.value == thumbnail.index
    torch.testing.assert_close(
        explorer.decoded_images[0],
        _decoded(model, dataset, 0, thumbnail.index, 0.5),
        atol=1e-5,
        rtol=0,
    )


def test_gif_export_writes_the_path(dataset, model, tmp_path):
    explorer = LatentExplorer([model, _model(1)], dataset, index_a=0, index_b=30)
    explorer.gif_path.value = str(tmp_path / "sub" / "path.gif")
    explorer.export_button.click()
    assert "wrote" in explorer.message.value
    with Image.open(tmp_path / "sub" / "path.gif") as gif:
        assert gif.n_frames == 2 * PATH_STEPS

    explorer.gif_path.value = str(tmp_path / "path.gif" / "")
    (tmp_path / "path.gif").mkdir()
    explorer.export_button.click()
    assert "could not write the GIF" in explorer.message.value


def test_dataset_without_parameters_has_no_ground_truth(make_dataset, tmp_path):
    blobs = make_dataset(n_images=12, size=SIZE, channels=3)
    explorer = LatentExplorer(_model(0), blobs, alpha=0.2)
    assert explorer.ground_truth is None
    assert "no ground truth" in explorer._truth_caption.value
    assert explorer.decoded_images[0].shape == (3, SIZE, SIZE)
    with Image.open(explorer.export_gif(tmp_path / "blobs.gif")) as gif:
        assert gif.n_frames == 2 * PATH_STEPS


def test_views_dataset_shows_the_nearest_grid_view(dataset, model):
    views = dataclasses.replace(dataset, name="views")
    a, b = _index(dataset, 50, 0), _index(dataset, 50, 80)
    explorer = LatentExplorer(model, views, index_a=a, index_b=b, alpha=0.5)  # phi 40: a view
    torch.testing.assert_close(explorer.ground_truth, dataset.images[_index(dataset, 50, 40)])
    assert "nearest grid view" in explorer._truth_caption.value


def test_mismatched_models_and_indices_raise(dataset, model):
    with pytest.raises(ValueError, match=r"64x64.*32x32.*size=64"):
        LatentExplorer(make_method("ae").build_model(ModelConfig(image_size=64)), dataset)
    with pytest.raises(ValueError, match="1-channel"):
        LatentExplorer(_model(0, channels=1), dataset)
    big = make_method("ae").build_model(ModelConfig(image_size=64))
    with pytest.raises(ValueError, match="different images"):
        LatentExplorer([model, big], dataset)
    with pytest.raises(ValueError, match=r"index_b=72 is out of range.*0\.\.71"):
        LatentExplorer(model, dataset, index_b=72)
    with pytest.raises(ValueError, match="advai"):
        LatentExplorer(model, dataset, method="advai")
    with pytest.raises(ValueError, match="alpha"):
        LatentExplorer(model, dataset, alpha=1.5)


def test_out_of_range_index_typed_into_the_widget_keeps_the_last_image(dataset, model):
    explorer = LatentExplorer(model, dataset, index_a=4, index_b=9)
    before, png = explorer.decoded_images[0], explorer._panels[0].image.value
    explorer.index_a.value = 500
    assert "out of range" in explorer.message.value and "kept #4" in explorer.message.value
    assert explorer.index_a.value == 4
    assert torch.equal(explorer.decoded_images[0], before)
    assert explorer._panels[0].image.value == png
    explorer.index_b.value = -1
    assert "image b=-1 is out of range" in explorer.message.value
    explorer.index_b.value = 10
    assert explorer.message.value == ""


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_model_on_the_gpu_is_shown_on_the_cpu(dataset, model):
    explorer = LatentExplorer(copy.deepcopy(model).cuda(), dataset, index_a=3, index_b=40)
    explorer.method.value = "slerp"
    explorer.alpha.value = 0.37
    decoded, marker = explorer.decoded_images[0], explorer.marker[0]
    assert decoded.device.type == marker.device.type == "cpu"
    expected = _decoded(model, dataset, 3, 40, 0.37, "slerp")
    torch.testing.assert_close(decoded, expected, atol=1e-4, rtol=0)


def test_snapshot_is_a_still_of_the_app(dataset, model):
    explorer = LatentExplorer([model, _model(1)], dataset, index_a=3, index_b=40, alpha=0.25)
    figure = explorer.snapshot()
    images = [ax.images[0].get_array() for ax in figure.axes if ax.images]
    assert len(figure.axes) == 6 and len(images) == 5  # 2 x (interpolant, path plot) + truth
    assert "#3 -> #40, lerp, alpha 0.25" in figure._suptitle.get_text()
    shown = torch.from_numpy(np.asarray(images[0])).float().permute(2, 0, 1) / 255
    torch.testing.assert_close(shown, explorer.decoded_images[0], atol=1 / 255, rtol=0)
    truth = torch.from_numpy(np.asarray(images[2])).float().permute(2, 0, 1) / 255  # row 1, last
    torch.testing.assert_close(truth, explorer.ground_truth, atol=1 / 255, rtol=0)
