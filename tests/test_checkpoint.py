"""Tests for aeai_lib.checkpoint: round trips, safe loading, damaged files and atomic writes."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

import aeai_lib
from aeai_lib.checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    CheckpointError,
    export_checkpoint,
    load_checkpoint,
    load_model,
    save_checkpoint,
)
from aeai_lib.data.base import ImageDataset
from aeai_lib.methods import make_method
from aeai_lib.models import AutoencoderModel, ModelConfig
from aeai_lib.training import TrainConfig, TrainingResult, train

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)
TRAIN_CONFIG = TrainConfig(steps=2, batch_size=8, seed=0, device="cpu")


@pytest.fixture(scope="module")
def trained(blob_dataset: ImageDataset, tmp_path_factory) -> tuple[TrainingResult, Path]:
    """A full AEAI model trained for 2 steps, and its checkpoint."""
    path = tmp_path_factory.mktemp("checkpoint") / "aeai.pt"
    method = make_method("aeai", grid_intervals=4, alphas_per_pair=2)
    result = train(
        blob_dataset, method, TRAIN_CONFIG, model_config=CONFIG, checkpoint=path, progress=False
    )
    return result, path


# ---------------------------------------------------------------- round trip


def test_load_model_gives_the_trained_models_outputs(
    trained: tuple[TrainingResult, Path], blob_dataset: ImageDataset
) -> None:
    result, path = trained
    loaded = load_model(path, device="cpu")
    assert isinstance(loaded, AutoencoderModel)
    assert not loaded.training and not result.model.training
    assert loaded.config == CONFIG
    assert "discriminator" in loaded.auxiliary
    images = blob_dataset.test_images
    with torch.no_grad():
        assert torch.equal(loaded.encode(images), result.model.encode(images))
        assert torch.equal(loaded(images), result.model(images))
        logits = loaded.auxiliary["discriminator"](images)
        assert torch.equal(logits, result.model.auxiliary["discriminator"](images))
    for name, tensor in result.model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name


def test_checkpoint_records_history_config_and_metrics(trained: tuple[TrainingResult, Path]):
    result, path = trained
    record = load_checkpoint(path)
    assert record["format"] == FORMAT
    assert record["format_version"] == FORMAT_VERSION
    assert record["library_version"] == aeai_lib.__version__
    assert record["history"] == result.history
    assert len(record["history"]["total"]) == 2
    assert record["step"] == 2
    assert record["train_config"] == asdict(TRAIN_CONFIG)
    assert record["model_config"] == CONFIG.to_dict()
    assert record["method"] == {"name": "aeai", "options": result.method.options_dict()}
    assert record["method"]["options"]["grid_intervals"] == 4
    assert record["dataset"] == "blobs"
    mse = record["metrics"]["test_reconstruction_mse"]
    assert mse == result.metrics["test_reconstruction_mse"]
    assert 0 < mse < 1
    assert set(record["optimizer_states"]) == {"autoencoder", "adversary"}


def test_plain_autoencoder_round_trip(blob_dataset: ImageDataset, tmp_path: Path) -> None:
    path = tmp_path / "ae.pt"
    result = train(
        blob_dataset,
        make_method("ae"),
        TrainConfig(steps=1, batch_size=4, device="cpu"),
        model_config=CONFIG,
        checkpoint=path,
        progress=False,
    )
    loaded = load_model(path, device="cpu")
    assert len(loaded.auxiliary) == 0
    codes = torch.randn(3, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(loaded.decode(codes), result.model.decode(codes))


def test_save_checkpoint_creates_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.pt"
    assert save_checkpoint({"step": 3}, path) == path
    assert load_checkpoint(path)["step"] == 3


# ------------------------------------------- nothing written that cannot be loaded (#16, row 7)


class _Unloadable:
    """A plain object that torch.save pickles but weights_only=True refuses."""


def test_exported_numpy_metrics_load_back_as_python_numbers(
    trained: tuple[TrainingResult, Path], tmp_path: Path
) -> None:
    """export_checkpoint(..., metrics={"mse": numpy.float64(1e-3)}) wrote a file that
    load_model then refused as "not an aeai_lib checkpoint"."""
    _, path = trained
    metrics = {
        "mse": np.float64(1e-3),
        "ratio": np.float32(0.5),
        "steps": np.int64(7),
        "ok": np.bool_(True),
        "per_alpha": np.array([0.25, 0.5]),
        "nested": {"values": [np.float64(2.0), (np.int32(1),)]},
    }
    target = export_checkpoint(path, tmp_path / "small.pt", metrics=metrics)
    assert isinstance(load_model(target, device="cpu"), AutoencoderModel)
    loaded = load_checkpoint(target)["metrics"]
    assert loaded["mse"] == 1e-3 and type(loaded["mse"]) is float
    assert loaded["ratio"] == 0.5 and type(loaded["steps"]) is int and loaded["ok"] is True
    assert torch.equal(loaded["per_alpha"], torch.tensor([0.25, 0.5], dtype=torch.float64))
    assert loaded["nested"] == {"values": [2.0, (1,)]}


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({1, 2}, r"checkpoint\['metrics'\]\['bad'\] is a set"),
        (_Unloadable(), r"checkpoint\['metrics'\]\['bad'\] is a _Unloadable"),
        ([complex(1, 2)], r"checkpoint\['metrics'\]\['bad'\]\[0\] is a complex"),
    ],
    ids=["set", "object", "complex"],
)
def test_values_weights_only_refuses_are_refused_before_writing(
    tmp_path: Path, value: object, where: str
) -> None:
    path = tmp_path / "model.pt"
    with pytest.raises(TypeError, match=where + ".*weights_only=True"):
        save_checkpoint({"metrics": {"bad": value}}, path)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_as_the_checkpoint_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is an existing folder, not a file"):
        save_checkpoint({"step": 1}, tmp_path)
    with pytest.raises(ValueError, match=r"is a file, not a folder"):
        save_checkpoint({"step": 1}, _touch(tmp_path / "file") / "model.pt")


def _touch(path: Path) -> Path:
    path.write_text("")
    return path


# ---------------------------------------------------------------- safe loading


_unpickled: list[str] = []


def _record_unpickling() -> str:
    _unpickled.append("code ran")
    return "payload"


class _Payload:
    """An arbitrary Python object: unpickling it would run ``_record_unpickling``."""

    def __reduce__(self):
        return (_record_unpickling, ())


def test_arbitrary_python_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "format_version": FORMAT_VERSION, "x": _Payload()}, path)
    with pytest.raises(CheckpointError, match="weights_only=True refuses"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError):
        load_model(path, device="cpu")
    assert _unpickled == []  # weights_only: nothing was executed


# ---------------------------------------------------------------- damaged and foreign files


def test_missing_file_names_the_train_command(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.pt"
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at .*nowhere\.pt; train one with"):
        load_checkpoint(path)
    with pytest.raises(FileNotFoundError, match=r"python -m aeai_lib train .*--out .*nowhere\.pt"):
        load_model(path)


def test_a_folder_is_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path)


def test_truncated_file_is_reported_as_corrupt(
    trained: tuple[TrainingResult, Path], tmp_path: Path
) -> None:
    data = trained[1].read_bytes()
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="is corrupt or truncated.*retrain it or restore"):
        load_checkpoint(path)


def test_empty_file_is_reported_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="is empty; retrain it or restore"):
        load_checkpoint(path)


def test_bare_state_dict_is_not_an_aeai_lib_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "state_dict.pt"
    torch.save(AutoencoderModel(CONFIG).state_dict(), path)
    with pytest.raises(CheckpointError, match="is not an aeai_lib checkpoint"):
        load_checkpoint(path)


def test_other_pickled_values_are_not_aeai_lib_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(2), 3], path)
    with pytest.raises(CheckpointError, match="is not an aeai_lib checkpoint"):
        load_checkpoint(path)


def test_text_file_is_not_an_aeai_lib_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a checkpoint\n")
    with pytest.raises(CheckpointError, match="not an aeai_lib checkpoint"):
        load_checkpoint(path)


def test_future_format_version_names_the_version_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "future.pt"
    save_checkpoint({"format_version": 999, "library_version": "9.9.9"}, path)
    assert torch.load(path, weights_only=True)["format_version"] == 999
    with pytest.raises(
        CheckpointError,
        match=r"written by aeai_lib 9\.9\.9 in checkpoint format 999, but this aeai_lib .* "
        r"reads format 1; retrain it with this version or install the version that wrote it",
    ):
        load_checkpoint(path)


# ---------------------------------------------------------------- atomic writes


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    save_checkpoint({"step": 1}, path)
    save_checkpoint({"step": 2}, path)  # overwrite
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
    assert load_checkpoint(path)["step"] == 2


def test_a_failing_save_keeps_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.pt"
    save_checkpoint({"step": 1, "weights": torch.arange(10.0)}, path)
    before = path.read_bytes()
    real_save = torch.save

    def save_then_fail(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        f.seek(0)
        f.write(b"half-written garbage")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"step": 2, "weights": torch.zeros(10)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
    assert load_checkpoint(path)["step"] == 1


def test_an_interrupted_save_keeps_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.pt"
    save_checkpoint({"step": 1}, path)
    before = path.read_bytes()

    def interrupted(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"step": 2}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
