"""Interrupted and failing training loses nothing and says how to go on (issue 27 rows 1-3).

Ctrl-C is a real SIGINT sent to this process at a chosen step (from the step callback, or from
the training monitor the CLI installs); a failed write is a patched ``os.fsync`` that fails
with ENOSPC, as a full disk does. After each, the newest checkpoint loads and ``--resume``
continues it to the same final weights as an uninterrupted run with the same seed.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
import signal
from pathlib import Path

import pytest
import torch
from PIL import Image

from aeai_lib import atomic, checkpoint
from aeai_lib.checkpoint import CheckpointWriteError, load_checkpoint
from aeai_lib.cli import main
from aeai_lib.data.base import ImageDataset
from aeai_lib.evaluation.lines_benchmark import training_monitor
from aeai_lib.interrupts import TrainingInterrupted, deferred_interrupts
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig
from aeai_lib.training import Monitor, TrainConfig, train

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)
TRAIN = ["train", "--method", "ae", "--steps", "6", "--batch-size", "4", "--no-progress"]


def _train(dataset: ImageDataset, steps: int, **kwargs):
    config = TrainConfig(steps=steps, batch_size=4, seed=0, device="cpu", checkpoint_every=2)
    return train(dataset, make_method("ae"), config, model_config=CONFIG, progress=False, **kwargs)


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _ctrl_c_at(step: int):
    """A step callback that presses Ctrl-C (sends SIGINT to this process) after ``step``."""

    def callback(steps_done: int, model) -> None:
        if steps_done == step:
            os.kill(os.getpid(), signal.SIGINT)

    return callback


def _images(folder: Path, n: int = 12, size: int = 32) -> Path:
    folder.mkdir(parents=True)
    for angle in range(0, 30 * n, 30):
        image = Image.new("L", (size, size), 0)
        column = int(angle / 360 * size)
        image.paste(255, (column, 0, column + 3, size))
        image.save(folder / f"obj1__{angle}.png")
    return folder


def _cli_run(tmp_path: Path, checkpoint_every: int) -> tuple[Path, list[str]]:
    """The checkpoint path and the argv of a 6-step CLI run on a folder of 12 images."""
    folder, out = _images(tmp_path / "views"), tmp_path / "run.pt"
    argv = [*TRAIN, "--dataset", f"folder:{folder}", "--out", str(out)]
    return out, [*argv, "--checkpoint-every", str(checkpoint_every)]


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---------------------------------------------------------------- row 1: Ctrl-C


def test_ctrl_c_saves_the_steps_done_and_resume_reaches_the_uninterrupted_weights(
    blob_dataset: ImageDataset, tmp_path: Path
) -> None:
    path = tmp_path / "run.pt"
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN where the suite runs in the background
    with pytest.raises(TrainingInterrupted) as stop:
        _train(blob_dataset, 6, checkpoint=path, callback=_ctrl_c_at(3))  # between checkpoints
    assert (stop.value.step, stop.value.steps, stop.value.checkpoint) == (3, 6, path)
    assert load_checkpoint(path)["step"] == 3
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    resumed = _train(blob_dataset, 6, checkpoint=path, resume=True)
    straight = _train(blob_dataset, 6)
    assert resumed.history == straight.history
    assert _same_weights(resumed.model.state_dict(), straight.model.state_dict())


def test_a_second_ctrl_c_while_saving_waits_for_the_complete_file(
    blob_dataset: ImageDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save, pressed = torch.save, []

    def save_pressing_ctrl_c(obj, file, *args, **kwargs):
        if pressed:  # the user presses Ctrl-C again while the interrupted run saves
            os.kill(os.getpid(), signal.SIGINT)
        return real_save(obj, file, *args, **kwargs)

    def ctrl_c_at_3(steps_done: int, model) -> None:
        if steps_done == 3:
            pressed.append(steps_done)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(checkpoint.torch, "save", save_pressing_ctrl_c)
    path = tmp_path / "run.pt"
    with pytest.raises(TrainingInterrupted):
        _train(blob_dataset, 6, checkpoint=path, callback=ctrl_c_at_3)
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]


def test_deferred_interrupts_record_ctrl_c_and_restore_the_handler() -> None:
    before = signal.getsignal(signal.SIGINT)
    with deferred_interrupts() as request:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
    assert (request.requested, request.count) == (True, 2)
    assert signal.getsignal(signal.SIGINT) is before


def test_an_error_in_a_step_restores_the_ctrl_c_handler(blob_dataset: ImageDataset) -> None:
    def fail(steps_done: int, model) -> None:
        raise RuntimeError("a failing step")

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(RuntimeError, match="a failing step"):
        _train(blob_dataset, 3, callback=fail)
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_in_the_cli_prints_one_line_with_the_resume_command_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, argv = _cli_run(tmp_path, checkpoint_every=0)
    pressed = []

    def monitor_pressing_ctrl_c(*args, **kwargs):  # the CLI's monitor, read every step
        def measure(model) -> dict[str, float]:
            pressed.append(1)
            if len(pressed) == 4:
                os.kill(os.getpid(), signal.SIGINT)
            return {}

        return Monitor(every=1, measure=measure)

    monkeypatch.setattr("aeai_lib.cli.training_monitor", monitor_pressing_ctrl_c)
    assert main(argv) == 130
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert f"interrupted at step 4 of 6; the checkpoint of step 4 is in '{out}'" in line
    command = re.search(r"resume with: (.*)$", line).group(1)
    assert shlex.split(command) == ["python", "-m", "aeai_lib", *argv, "--resume"]
    assert load_checkpoint(out)["step"] == 4

    monkeypatch.setattr("aeai_lib.cli.training_monitor", training_monitor)
    assert main(shlex.split(command)[3:]) == 0
    straight = tmp_path / "straight.pt"
    assert main([*argv[:-4], "--out", str(straight)]) == 0
    assert _same_weights(
        load_checkpoint(out)["model_state"], load_checkpoint(straight)["model_state"]
    )


# ---------------------------------------------------------------- row 2: a failed write


def _disk_full_on(monkeypatch: pytest.MonkeyPatch, write: int) -> None:
    """Make the ``write``-th atomic write (1 = the first) fail as a full disk does."""
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == write:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)


def test_a_failed_write_keeps_the_last_checkpoint_and_names_path_and_cause(
    blob_dataset: ImageDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.pt"
    _disk_full_on(monkeypatch, write=2)  # the step-2 checkpoint is written, step 4's fails
    with pytest.raises(CheckpointWriteError) as failure:
        _train(blob_dataset, 6, checkpoint=path)
    monkeypatch.undo()
    assert isinstance(failure.value, OSError) and failure.value.errno == errno.ENOSPC
    assert failure.value.filename == str(path)
    assert str(path) in str(failure.value) and "No space left on device" in str(failure.value)
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]  # no temporary left behind
    assert load_checkpoint(path)["step"] == 2
    resumed = _train(blob_dataset, 6, checkpoint=path, resume=True)
    straight = _train(blob_dataset, 6)
    assert _same_weights(resumed.model.state_dict(), straight.model.state_dict())


def test_a_failed_write_in_the_cli_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, argv = _cli_run(tmp_path, checkpoint_every=2)
    _disk_full_on(monkeypatch, write=2)
    assert main(argv) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"error: cannot write the checkpoint '{out}': No space left on device")
    assert load_checkpoint(out)["step"] == 2


# ---------------------------------------------------------------- row 3: resume's settings


def test_resuming_with_another_dataset_is_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    first, second = _images(tmp_path / "first"), _images(tmp_path / "second", n=10)
    out = str(tmp_path / "run.pt")
    assert main([*TRAIN, "--dataset", f"folder:{first}", "--out", out]) == 0
    capsys.readouterr()
    argv = [*TRAIN, "--steps", "8", "--dataset", f"folder:{second}", "--out", out, "--resume"]
    assert main([*argv, "--lr", "0.002"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"dataset: checkpoint 'folder:{first}', this run 'folder:{second}'" in line
    assert "lr: checkpoint 0.001, this run 0.002" in line
    assert "new --out" in line and "--steps" in line and "--threads" in line
    assert load_checkpoint(out)["step"] == 6


def test_train_help_lists_what_may_change_on_resume(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert re.search(r"--resume .*only --steps, --device, .*--threads, --no-progress", text)
