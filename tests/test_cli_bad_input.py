"""The command line on bad input: one line on stderr, exit code 2, before any work starts.

Issue #16 rows 3, 6, 8, 11 and 12, as a new user would type them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from aeai_lib.checkpoint import load_checkpoint
from aeai_lib.cli import main
from aeai_lib.data.registry import load_checkpoint_dataset

TRAIN = ["train", "--method", "ae", "--steps", "2", "--batch-size", "4", "--no-progress"]


def _fails_with_one_line(argv: list[str], capsys: pytest.CaptureFixture, match: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err + captured.out
    assert re.search(match, lines[0]), lines[0]
    return lines[0]


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command loads data or trains before refusing its input."""

    def started(*_args, **_kwargs):
        raise AssertionError("work started before the bad input was refused")

    for name in ("load_dataset", "train", "run_series"):
        monkeypatch.setattr(f"aeai_lib.cli.{name}", started, raising=False)
    monkeypatch.setattr("aeai_lib.series.run_series", started)


def _images(folder: Path, angles: range, objects: int = 1, size: int = 32) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for object_id in range(1, objects + 1):
        for angle in angles:
            image = Image.new("L", (size, size), 0)
            column = int(angle / 360 * size)
            image.paste(255 // object_id, (column, 0, column + 3, size))  # moves with the angle
            image.save(folder / f"obj{object_id}__{angle}.png")
    return folder


# ---------------------------------------------------------------- row 6: output paths


def test_train_out_an_existing_folder(tmp_path: Path, capsys, no_work) -> None:
    _fails_with_one_line(
        [*TRAIN, "--dataset", "pole", "--out", str(tmp_path)],
        capsys,
        r"--out '.*' is an existing folder, not a file; pass a file path such as",
    )


def test_train_out_below_a_file(tmp_path: Path, capsys, no_work) -> None:
    (tmp_path / "notes.txt").write_text("")
    _fails_with_one_line(
        [*TRAIN, "--dataset", "pole", "--out", str(tmp_path / "notes.txt" / "m.pt")],
        capsys,
        r"cannot be created: '.*notes.txt' is a file, not a folder",
    )


def test_series_out_an_existing_file(tmp_path: Path, capsys, no_work) -> None:
    (tmp_path / "report").write_text("")
    _fails_with_one_line(
        ["series", "--out", str(tmp_path / "report")],
        capsys,
        r"--out '.*report' is an existing file, not a folder",
    )


def test_series_out_below_a_file(tmp_path: Path, capsys, no_work) -> None:
    (tmp_path / "report").write_text("")
    _fails_with_one_line(
        ["series", "--out", str(tmp_path / "report" / "runs")],
        capsys,
        r"'.*report' is a file, not a folder",
    )


# ---------------------------------------------------------------- row 8: devices


@pytest.mark.parametrize("device", ["gpu", "cuda:99"])
def test_train_on_a_device_this_machine_lacks(tmp_path: Path, capsys, no_work, device) -> None:
    line = _fails_with_one_line(
        [*TRAIN, "--dataset", "pole", "--out", str(tmp_path / "m.pt"), "--device", device],
        capsys,
        rf"'{device}'.*; available here: cpu",
    )
    assert not (tmp_path / "m.pt").exists()
    assert "Expected one of" not in line  # torch's raw device-string error


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_train_on_cuda_without_cuda(tmp_path: Path, capsys, no_work) -> None:
    _fails_with_one_line(
        [*TRAIN, "--dataset", "pole", "--out", str(tmp_path / "m.pt"), "--device", "cuda"],
        capsys,
        r"^error: device 'cuda' requested, but this machine has no CUDA device; "
        r"available here: cpu$",
    )


# ---------------------------------------------------------------- row 11: --latent-dim 0


def test_latent_dim_zero_is_refused(tmp_path: Path, capsys) -> None:
    _fails_with_one_line(
        [*TRAIN, "--dataset", f"folder:{_images(tmp_path / 'im', range(0, 360, 60))}"]
        + ["--out", str(tmp_path / "m.pt"), "--latent-dim", "0"],
        capsys,
        "latent_dim must be >= 1, got 0",
    )
    assert not (tmp_path / "m.pt").exists()


# ---------------------------------------------------------------- row 3: too few images


@pytest.mark.parametrize("n_images", [1, 2])
def test_train_on_a_folder_of_too_few_images(tmp_path: Path, capsys, n_images: int) -> None:
    folder = _images(tmp_path / "few", range(0, 10 * n_images, 10))
    _fails_with_one_line(
        [*TRAIN, "--dataset", f"folder:{folder}", "--out", str(tmp_path / "m.pt")],
        capsys,
        rf"split left {n_images - 1} for training .*training needs at least 2 training images",
    )
    assert not (tmp_path / "m.pt").exists()


# ---------------------------------------------------------------- row 12: relative folders


def test_a_relative_folder_is_recorded_absolute_and_evaluates_from_elsewhere(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _images(tmp_path / "work" / "views", range(0, 360, 5), objects=2)
    monkeypatch.chdir(tmp_path / "work")
    argv = [*TRAIN, "--dataset", "folder:views", "--image-size", "32", "--out", "run/m.pt"]
    assert main(argv) == 0
    checkpoint = tmp_path / "work" / "run" / "m.pt"
    assert load_checkpoint(checkpoint)["dataset"] == f"folder:{folder}"
    capsys.readouterr()

    monkeypatch.chdir(tmp_path)  # another working directory
    assert main(["evaluate", str(checkpoint), "--json"]) == 0, capsys.readouterr().err
    assert f'"dataset": "folder:{folder}"' in capsys.readouterr().out

    folder.rename(tmp_path / "moved")
    _fails_with_one_line(
        ["evaluate", str(checkpoint)],
        capsys,
        rf"checkpoint '{checkpoint}' was trained on the image folder '{folder}', which does "
        r"not exist here; put the images back at that path, or retrain",
    )


def test_an_old_relative_record_names_the_checkpoint_and_the_path_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ValueError,
        match=rf"checkpoint 'old.pt' was trained on the image folder '{tmp_path}/views' "
        r"\(recorded as a relative path\), which does not exist here",
    ):
        load_checkpoint_dataset("folder:views", "old.pt")
