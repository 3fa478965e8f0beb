"""The objects dataset: its ray caster against analytic views, its spec and split, COIL-100's
protocol on it, and the COIL-style folder it writes of itself."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from aeai_lib.cli import main
from aeai_lib.data import ImageDataset, load_dataset, objects, raycast
from aeai_lib.data.folder import load_folder, write_folder
from aeai_lib.data.raycast import Camera, Primitive
from aeai_lib.data.validation import (
    validation_images,
    validation_pairs_dataset,
    validation_params,
)
from aeai_lib.evaluation.ground_truth import grid_step, interval_pairs, true_paths
from aeai_lib.evaluation.protocol import view_alphas
from aeai_lib.interpolation import alpha_grid
from aeai_lib.training import default_model_config

SMALL = "objects:2,kinds=mug+car,step=10"
"""Two objects, 36 views each (training every 20 degrees, judged on the 10 degree views)."""
CAMERA = Camera(elevation=20.0, distance=6.0, focal=5.0)
WHITE_BALL = Primitive("ellipsoid", (0.9, 0.9, 0.9), colour=(1.0, 1.0, 1.0))


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.getbasetemp() / "objects_cache"
    monkeypatch.setenv("AEAI_DATA_DIR", str(folder))
    monkeypatch.delenv("AEAI_NO_CACHE", raising=False)
    return folder


@pytest.fixture(scope="module")
def small() -> ImageDataset:
    return objects.dataset(SMALL, size=32, cache_dir=False)


def _no_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    def rendered(*_args, **_kwargs):
        raise AssertionError("rendering started before the bad option was refused")

    monkeypatch.setattr(raycast, "render", rendered)


# ---------------------------------------------------------------- the ray caster


def _coverage_error(supersampling: int) -> float:
    """|image mean - analytic disc area / image area| of a white sphere seen in full light."""
    image = raycast.render(
        [WHITE_BALL], torch.tensor([0.0]), 32, CAMERA, ambient=1.0, supersampling=supersampling
    )
    radius = CAMERA.focal * 0.9 / math.sqrt(CAMERA.distance**2 - 0.9**2)  # tangent cone
    return abs(image.mean().item() - math.pi * radius**2 / 4)


def test_a_spheres_silhouette_has_its_analytic_radius() -> None:
    image = raycast.render(
        [WHITE_BALL], torch.tensor([0.0]), 64, CAMERA, ambient=1.0, supersampling=8
    )
    radius = CAMERA.focal * 0.9 / math.sqrt(CAMERA.distance**2 - 0.9**2)  # image-plane units
    middle_row = image[0, 0, 31:33].mean(0)  # the two rows either side of the centre
    assert middle_row.sum().item() * (2 / 64) == pytest.approx(2 * radius, abs=2 / 64)
    assert _coverage_error(8) < 5e-4


def test_pixel_coverage_converges_with_supersampling() -> None:
    errors = [_coverage_error(n) for n in (1, 2, 8)]
    assert errors[2] < errors[1] < errors[0]
    assert errors[2] < 0.1 * errors[0]


def test_lambert_shading_and_a_cast_shadow() -> None:
    towards_camera = (math.cos(math.radians(20)), 0.0, math.sin(math.radians(20)))
    lit = raycast.render([WHITE_BALL], torch.tensor([0.0]), 32, CAMERA, towards_camera, 0.0, 4)
    assert lit[0, :, 15:17, 15:17].mean().item() == pytest.approx(1.0, abs=3e-3)  # n . L = 1
    behind = tuple(-v for v in towards_camera)
    unlit = raycast.render([WHITE_BALL], torch.tensor([0.0]), 32, CAMERA, behind, 0.25, 1)
    assert unlit.max().item() == pytest.approx(0.25, abs=1e-6)  # the ambient term only
    plate = Primitive("box", (0.9, 0.9, 0.02), (0.0, 0.0, -0.5), colour=(0.5, 0.5, 0.5))
    block = Primitive("box", (0.2, 0.2, 0.2), colour=(1.0, 0.0, 0.0))
    origin = torch.tensor([[0.0, 0.6], [0.0, 0.0], [-0.3, -0.3]])  # under the block, beside it
    down = torch.tensor([[0.0, 0.0], [0.0, 0.0], [-1.0, -1.0]])
    up = -down
    colours = raycast.shade([plate, block], origin, down, up, 0.25)
    assert colours[:, 0].tolist() == pytest.approx([0.125] * 3)  # shadowed: ambient only
    assert colours[:, 1].tolist() == pytest.approx([0.5] * 3)  # lit from straight above


def test_a_view_at_360_degrees_is_the_view_at_0() -> None:
    views = objects.render("objects", [1] * 5, [0.0, 360.0, -360.0, 270.0, -90.0], size=32)
    assert torch.equal(views[0], views[1]) and torch.equal(views[0], views[2])
    assert torch.equal(views[3], views[4])
    assert not torch.equal(views[0], views[3])


def test_a_mirror_symmetric_object_gives_mirrored_views() -> None:
    """An object symmetric under y -> -y, lit from the camera's vertical plane: the view at
    -a is the view at a mirrored left to right (up to a sub-sample on an edge)."""
    mug = [
        Primitive(
            "frustum",
            (0.4, 0.45, 0.5),
            (0.0, 0.0, -0.3),
            colour=(0.8, 0.2, 0.1),
            pattern="patch",
            pattern_colour=(0.1, 0.2, 0.9),
        ),
        Primitive(
            "torus",
            (0.27, 0.065, 0.0),
            (0.43, 0.0, -0.25),
            raycast.frame((0, 1, 0)),
            (0.1, 0.8, 0.2),
        ),
        Primitive(
            "box", (0.1, 0.3, 0.1), (-0.3, 0.0, 0.4), colour=(0.9, 0.9, 0.1), pattern="bands"
        ),
    ]
    for azimuth in (30.0, 77.3):
        view, mirrored = raycast.render(
            mug, torch.tensor([azimuth, -azimuth]), 32, CAMERA, (0.6, 0.0, 0.8)
        )
        assert (view.flip(-1) - mirrored).abs().mean().item() < 2e-4
        assert (view.flip(-1) - mirrored).abs().max().item() < 0.12  # 1 of 9 sub-samples
        assert (view - view.flip(-1)).abs().mean().item() > 1e-2  # the view itself is not


# ---------------------------------------------------------------- the dataset and its spec


def test_specs_and_their_canonical_names() -> None:
    assert objects.parse_spec("objects") == objects.ObjectsSpec()
    assert objects.parse_spec("objects:50").name == "objects:50"
    assert objects.parse_spec("objects:n=50").name == "objects:50"
    assert objects.parse_spec("objects:n=10,step=5,seed=0").name == "objects"
    spec = objects.parse_spec("objects:3, kinds=mug+duck, step=7.5, seed=2")
    assert (spec.n_objects, spec.kinds, spec.step, spec.seed) == (3, ("mug", "duck"), 7.5, 2)
    assert spec.name == "objects:3,kinds=mug+duck,step=7.5,seed=2"
    assert objects.parse_spec(spec.name) == spec
    assert [spec.kind(k) for k in (1, 2, 3)] == ["mug", "duck", "mug"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("objects:0", r"option n \(objects\) must be >= 1, got 0"),
        ("objects:n=ten", r"option n \(objects\) must be an integer, got 'ten'"),
        ("objects:kinds=mug+dragon", r"unknown object kind 'dragon' in option kinds; choose"),
        ("objects:step=7", r"option step .* must divide 360 into an even number of views"),
        ("objects:step=24", r"option step"),  # 15 views: training every other one cannot wrap
        ("objects:step=0", r"option step"),
        ("objects:colour=red", r"unknown option 'colour=red'; the options are"),
        ("objects:n=2,n=3", r"option n is given twice"),
    ],
)
def test_bad_options_are_refused_before_any_rendering(
    spec: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_rendering(monkeypatch)
    with pytest.raises(ValueError, match=message):
        load_dataset(spec)


def test_the_split_seed_does_not_apply_to_the_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_rendering(monkeypatch)
    with pytest.raises(ValueError, match=r"seed=1 does not apply .* e.g. 'objects:50,seed=1'"):
        load_dataset("objects:50", seed=1)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--method", "ae", "--dataset", "objects:0"], r"option n \(objects\)"),
        (["train", "--method", "ae", "--dataset", "objects:step=7"], r"option step"),
        (["write-folder", "--dataset", "objects:kinds=dragon"], r"unknown object kind 'dragon'"),
    ],
)
def test_the_command_line_refuses_a_bad_option_in_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_rendering(monkeypatch)
    out = tmp_path / ("model.pt" if argv[0] == "train" else "views")
    assert main([*argv, "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: dataset spec "), lines
    assert re.search(message, lines[0]), lines[0]


def test_views_split_and_model_follow_coil_100(small) -> None:
    assert small.name == SMALL and small.size == 32 and small.channels == 3
    assert small.images.shape == (72, 3, 32, 32) and small.images.dtype == torch.float32
    assert small.images.min() >= 0.0 and small.images.max() <= 1.0
    assert small.params[:36, 0].eq(1).all() and small.params[36:, 0].eq(2).all()
    assert small.params[:36, 1].tolist() == [10.0 * k for k in range(36)]
    assert (small.params[small.train_idx, 1] % 20 == 0).all()  # every other view
    assert (small.params[small.test_idx, 1] % 20 == 10).all()  # the views between them
    assert len(small.train_idx) == len(small.test_idx) == 36
    again = objects.render(SMALL, small.params[::7, 0], small.params[::7, 1], size=32)
    assert torch.equal(again, small.images[::7])  # a view does not depend on its batch
    assert default_model_config(small).latent_dim == 256


def test_the_dataset_is_cached(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_dataset("objects:1,step=60", size=16)
    _no_rendering(monkeypatch)
    second = load_dataset("objects:1,step=60", size=16)
    assert torch.equal(first.images, second.images) and list(data_dir.glob("cache/objects-*"))


def test_no_object_looks_alike_from_two_azimuths_and_turning_reveals_parts() -> None:
    data = objects.dataset("objects:step=10", size=32, cache_dir=False)
    for k in range(10):
        views = data.images[36 * k : 36 * (k + 1)]
        distances = torch.cdist(views.flatten(1), views.flatten(1)).fill_diagonal_(math.inf)
        assert distances.min().item() ** 2 / views[0].numel() > 5e-5, f"object {k + 1}"
        start, end = views, views.roll(-8, 0)  # every pair 80 degrees apart ...
        middle = views.roll(-4, 0)  # ... and the true view half way
        crossfade = ((middle - (start + end) / 2) ** 2).flatten(1).mean(1)
        assert crossfade.min().item() > 3e-4, f"object {k + 1}"
        seen = views.amax(1) > 0.02  # the object covers the pixel
        revealed = (seen.roll(-4, 0) & ~seen & ~seen.roll(-8, 0)).flatten(1).sum(1)
        assert revealed.max().item() >= 5, f"object {k + 1}"


# ---------------------------------------------------------------- COIL-100's protocol on it


def test_true_paths_take_grid_views_and_render_between_them(small, tmp_path: Path) -> None:
    pairs = interval_pairs(small, 80, split="test", max_pairs=2)
    assert grid_step(small) == 10 and torch.equal(view_alphas(small, 80), alpha_grid(8))
    on_grid = true_paths(small, pairs, alpha_grid(8))
    expected = [small.params[pairs.sources, 1] + 10 * k for k in range(9)]
    for k, angles in enumerate(expected):
        index = (pairs.sources // 36) * 36 + (angles.remainder(360) / 10).long()
        assert torch.equal(on_grid[:, k], small.images[index])
    between = true_paths(small, pairs, alpha_grid(16))  # 5 degree steps on a 10 degree grid
    assert torch.equal(between[:, ::2], on_grid)
    off_grid = pairs.params_at(alpha_grid(16))[:, 1::2].reshape(-1, 2)
    rendered = objects.render(SMALL, off_grid[:, 0], off_grid[:, 1], size=32)
    assert torch.equal(between[:, 1::2].reshape(-1, 3, 32, 32), rendered)
    folder = load_folder(write_folder(small, tmp_path / "all"), size=32)
    with pytest.raises(ValueError, match="falls between the views"):
        true_paths(folder, interval_pairs(folder, 80, split="all", max_pairs=2), alpha_grid(16))


def test_the_folder_loads_back_the_same_images_and_pairs(small, tmp_path: Path) -> None:
    folder = load_folder(write_folder(small, tmp_path / "all"), size=32)
    assert torch.equal(folder.params, small.params)
    assert (folder.images - small.images).abs().max().item() <= 1 / 510 + 1e-6
    ours, theirs = interval_pairs(small, 80, split="all"), interval_pairs(folder, 80, split="all")
    assert len(ours) == 72 and torch.equal(ours.sources, theirs.sources)
    assert torch.equal(ours.targets, theirs.targets)
    train = write_folder(small, tmp_path / "train", split="train")
    assert sorted(p.name for p in train.iterdir())[:3] == [
        "obj1__0.png",
        "obj1__100.png",
        "obj1__120.png",
    ]
    assert len(list(train.iterdir())) == 36
    with pytest.raises(ValueError, match="is not empty; write the views into a new"):
        write_folder(small, train)
    with pytest.raises(ValueError, match=r"not \(object, angle\)"):
        write_folder(replace(small, param_names=("theta", "phi")), tmp_path / "other")


def test_validation_views_are_never_judged_views(small) -> None:
    params = validation_params(small, 200, seed=3)
    assert set(params[:, 0].tolist()) == {1.0, 2.0}
    offset = params[:, 1] % 10
    assert offset.min() >= 2.0 and offset.max() <= 8.0  # a fifth of a step off the grid
    assert validation_images(small, n=3).shape == (3, 3, 32, 32)
    validation = validation_pairs_dataset(small, n_pairs=3)
    assert len(validation.test_idx) == 6 and grid_step(validation) == 10
    pairs = interval_pairs(validation, 80, split="test")
    assert len(pairs) == 3
    path = pairs.params_at(view_alphas(validation, 80))
    assert ((path[..., 1] % 10 - 5).abs() <= 3.0).all()  # every in-between view off the grid
    truth = true_paths(validation, pairs, view_alphas(validation, 80))
    assert torch.equal(truth[:, 0], validation.images[pairs.sources])


def test_train_evaluate_and_the_folder_through_the_command_line(tmp_path: Path, capsys) -> None:
    checkpoint = tmp_path / "ae.pt"
    train = ["train", "--method", "ae", "--dataset", SMALL, "--image-size", "32"]
    tiny = ["--latent-dim", "8", "--steps", "2", "--batch-size", "4", "--checkpoint-every", "0"]
    assert main([*train, *tiny, "--no-progress", "--out", str(checkpoint)]) == 0
    small_eval = ["--max-pairs", "4", "--curve-max-pairs", "1", "--json"]
    capsys.readouterr()
    assert main(["evaluate", str(checkpoint), *small_eval]) == 0
    held_out = json.loads(capsys.readouterr().out)[0]
    assert held_out["dataset"] == SMALL and held_out["evaluation"]["split"] == "test"
    assert held_out["evaluation"]["n_pairs"] == 4 and len(held_out["evaluation"]["alphas"]) == 9
    assert (
        main(
            [
                "write-folder",
                "--dataset",
                SMALL,
                "--image-size",
                "32",
                "--out",
                str(tmp_path / "views"),
            ]
        )
        == 0
    )
    assert "wrote 72 all views of " + SMALL in capsys.readouterr().out
    results = []
    for dataset in ([], ["--dataset", f"folder:{tmp_path / 'views'}"]):
        assert main(["evaluate", str(checkpoint), *small_eval, "--split", "all", *dataset]) == 0
        results.append(json.loads(capsys.readouterr().out)[0])
    rendered, from_files = results
    assert rendered["evaluation"]["n_pairs"] == from_files["evaluation"]["n_pairs"] == 4
    assert from_files["mse_mid"] == pytest.approx(rendered["mse_mid"], rel=1e-2)
