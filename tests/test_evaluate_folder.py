"""The paper's COIL-100 protocol on a user's folder: ``evaluate CKPT --dataset folder:PATH``.

The folder is written here: objects seen from every view of a regular grid, each view a
distinct picture, named like COIL-100 (``obj1__35.png``). The numbers the command prints are
recomputed from the model and the files themselves.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from aeai_lib.checkpoint import load_model
from aeai_lib.cli import main
from aeai_lib.data.folder import load_folder
from aeai_lib.evaluation.ground_truth import interval_pairs
from aeai_lib.evaluation.pixels import pixel_mse
from aeai_lib.inference import decode_between
from aeai_lib.interpolation import alpha_grid

TINY_RUN = [
    *("--image-size", "32", "--latent-dim", "8", "--steps", "2", "--batch-size", "4"),
    *("--checkpoint-every", "0", "--no-progress"),
]
SMALL = ["--max-pairs", "4", "--curve-max-pairs", "1"]


def write_views(folder: Path, step: int, objects: int = 2, mode: str = "RGB") -> Path:
    """``objects`` x (360 / step) views, 40x40 PNGs: a square circling the centre, an angle bar."""
    folder.mkdir(parents=True)
    for obj in range(1, objects + 1):
        for angle in range(0, 360, step):
            image = Image.new(mode, (40, 40), (60 * obj, 30, 90) if mode == "RGB" else 40 * obj)
            draw = ImageDraw.Draw(image)
            x = 20 + 12 * math.cos(math.radians(angle))
            y = 20 - 12 * math.sin(math.radians(angle))
            draw.rectangle((x - 4, y - 4, x + 4, y + 4), fill="white")
            draw.rectangle((2, 36, 2 + angle // 10, 38), fill="black")
            image.save(folder / f"obj{obj}__{angle}.png")
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("coil_protocol")


@pytest.fixture(scope="module")
def checkpoint(workspace: Path) -> Path:
    """A 3-channel 32x32 model trained for 2 steps on the pole."""
    path = workspace / "pole.pt"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AEAI_DATA_DIR", str(workspace / "data"))
        argv = ["train", "--method", "ae", "--dataset", "pole", *TINY_RUN, "--out", str(path)]
        assert main(argv) == 0
    return path


def _pixels(path: Path) -> np.ndarray:
    """A view as the folder loader reads it at 32x32: RGB, bilinear, (32, 32, 3) uint8."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR))


def _evaluate(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["evaluate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_views_80_degrees_apart_are_compared_with_the_true_views(
    checkpoint: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_views(workspace / "coil5", step=5)
    spec = f"folder:{folder}"
    code, out, err = _evaluate(str(checkpoint), "--dataset", spec, "--json", *SMALL, capsys=capsys)
    assert code == 0, err
    (result,) = json.loads(out)
    evaluation = result["evaluation"]
    assert (result["dataset"], result["trained_on"]) == (spec, "pole")
    assert result["benchmark"] == "protocol"
    assert (evaluation["interval"], evaluation["axis"], evaluation["split"]) == (80, "angle", "all")
    assert evaluation["alphas"] == alpha_grid(16).tolist()  # the 17 views on the 5 degree grid
    assert evaluation["n_pairs"] == 4
    assert 0 <= result["alpha_error"] <= 1 and result["mse_mid"] > 0

    # Recompute MSE vs alpha from the model and the files: view k of a pair is the file
    # of the same object at the source's angle + 5 k degrees.
    dataset = load_folder(folder, size=32)
    pairs = interval_pairs(dataset, 80, split="all", max_pairs=4, seed=0)
    model = load_model(checkpoint, device="cpu")
    decoded = decode_between(
        model, dataset.images[pairs.sources], dataset.images[pairs.targets], alpha_grid(16)
    )
    truth = []
    for obj, angle in pairs.start_params.tolist():
        views = [folder / f"obj{obj:g}__{(angle + 5 * k) % 360:g}.png" for k in range(17)]
        pictures = np.stack([_pixels(view) for view in views])
        truth.append(torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 255)
    expected = pixel_mse(decoded, torch.stack(truth)).mean(dim=0)
    # the loader resizes in floating point, this check through 8-bit PIL: 0.1% apart at most
    torch.testing.assert_close(
        torch.tensor(evaluation["mse_vs_alpha"]["mean"]), expected.float(), rtol=1e-3, atol=1e-6
    )

    code, out, _ = _evaluate(str(checkpoint), "--dataset", spec, *SMALL, capsys=capsys)
    row = out.splitlines()[2].split()
    assert code == 0 and row[:4] == [str(checkpoint), "AE", spec, "2"]


def test_the_alphas_follow_the_folders_grid(
    checkpoint: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_views(workspace / "coil10", step=10, objects=1)
    code, out, err = _evaluate(
        str(checkpoint), "--dataset", f"folder:{folder}", "--json", *SMALL, capsys=capsys
    )
    assert code == 0, err
    (result,) = json.loads(out)
    assert result["evaluation"]["alphas"] == alpha_grid(8).tolist()  # 80 / 10 steps
    code, out, err = _evaluate(
        str(checkpoint), "--dataset", f"folder:{folder}", "--interval", "40", "--split", "train",
        "--json", *SMALL, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    evaluation = json.loads(out)[0]["evaluation"]
    assert evaluation["split"] == "train" and evaluation["alphas"] == alpha_grid(4).tolist()


@pytest.mark.parametrize(
    ("step", "mode", "extra", "message"),
    [
        (30, "RGB", [], "exactly 80 apart along angle"),  # 80 is no multiple of 30
        (7, "RGB", [], "falls between the views"),  # 280 -> 0 exist, not the views between
        (5, "L", [], "the model was built for 3-channel 32x32 images"),
        (5, "RGB", ["--interval", "360"], "interval 360 along angle is a full turn"),
    ],
)
def test_unusable_folders_are_refused_in_one_line(
    step: int,
    mode: str,
    extra: list[str],
    message: str,
    checkpoint: Path,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = workspace / f"bad_{step}_{mode}_{len(extra)}"
    write_views(folder, step=step, objects=1, mode=mode)
    argv = (str(checkpoint), "--dataset", f"folder:{folder}", *extra)
    code, _, err = _evaluate(*argv, capsys=capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_a_missing_folder_is_refused(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _evaluate(str(checkpoint), "--dataset", "folder:/no/such/views", capsys=capsys)
    assert code == 2 and "does not exist" in err
