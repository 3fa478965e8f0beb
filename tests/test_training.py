"""Tests for aeai_lib.training: learning, loss history, determinism, resuming, NaN and config."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aeai_lib.checkpoint import load_checkpoint
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.folder import load_folder
from aeai_lib.inference import reconstruction_error as reconstruction_mse
from aeai_lib.methods import make_method
from aeai_lib.methods.base import Method
from aeai_lib.models import AutoencoderModel, ModelConfig
from aeai_lib.training import (
    MIN_TRAIN_IMAGES,
    NonFiniteLossError,
    TrainConfig,
    TrainingResult,
    default_model_config,
    train,
)

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)
AEAI_TERMS = {"reconstruction", "adversarial", "cycle", "smoothness", "discriminator", "total"}


def _aeai(**options) -> Method:
    """Full AEAI (all four terms, with a discriminator) on a small grid."""
    return make_method("aeai", grid_intervals=4, alphas_per_pair=2, **options)


def _config(steps: int, **kwargs) -> TrainConfig:
    return TrainConfig(steps=steps, **{"batch_size": 4, "seed": 0, "device": "cpu", **kwargs})


def _train(dataset: ImageDataset, method: Method, config: TrainConfig, **kwargs) -> TrainingResult:
    return train(dataset, method, config, model_config=CONFIG, progress=False, **kwargs)


def _assert_same_weights(a: AutoencoderModel, b: AutoencoderModel) -> None:
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for name, tensor in state_a.items():
        assert torch.equal(tensor, state_b[name]), name


def _weights_differ(a: AutoencoderModel, b: AutoencoderModel) -> bool:
    state_b = b.state_dict()
    return any(not torch.equal(t, state_b[name]) for name, t in a.state_dict().items())


# ---------------------------------------------------------------- learning


def test_an_autoencoder_overfits_a_batch_of_16(
    make_dataset: Callable[..., ImageDataset],
) -> None:
    dataset = make_dataset(n_images=16, n_test=0)  # test split = the 16 training images
    config = TrainConfig(steps=100, batch_size=16, lr=5e-3, seed=0, device="cpu")
    result = _train(dataset, make_method("ae"), config)
    first = result.history["reconstruction"][0]
    last = result.history["reconstruction"][-1]
    final = result.metrics["test_reconstruction_mse"]
    print(
        f"overfit: first MSE {first:.4g}, last {last:.4g}, eval {final:.4g}: {first / final:.0f}x"
    )
    assert first / last >= 100
    assert first / final >= 100
    assert not result.model.training  # returned in eval mode


# ---------------------------------------------------------------- history


def test_plain_autoencoder_history_has_one_value_per_step(blob_dataset: ImageDataset) -> None:
    result = _train(blob_dataset, make_method("ae"), _config(3))
    assert set(result.history) == {"reconstruction"}
    assert len(result.history["reconstruction"]) == 3
    assert all(isinstance(v, float) and v > 0 for v in result.history["reconstruction"])
    assert result.method.label == "AE"
    assert result.seconds > 0


def test_aeai_history_records_every_term_every_step(blob_dataset: ImageDataset) -> None:
    method = _aeai(lambda_adv=0.3, lambda_cycle=0.2, lambda_smooth=0.5)
    result = _train(blob_dataset, method, _config(3))
    history = result.history
    assert set(history) == AEAI_TERMS
    for name, values in history.items():
        assert len(values) == 3, name
        assert all(isinstance(v, float) and v == v for v in values), name
    for step in range(3):
        expected = (
            history["reconstruction"][step]
            + 0.3 * history["adversarial"][step]
            + 0.2 * history["cycle"][step]
            + 0.5 * history["smoothness"][step]
        )
        assert history["total"][step] == pytest.approx(expected, rel=1e-5)
    assert "discriminator" in result.model.auxiliary


def test_zero_steps_trains_nothing(blob_dataset: ImageDataset) -> None:
    result = _train(blob_dataset, make_method("ae"), _config(0))
    assert result.history == {}
    assert result.metrics["test_reconstruction_mse"] > 0


# ---------------------------------------------------------------- determinism


def test_same_seed_same_run_other_seed_other_run(blob_dataset: ImageDataset) -> None:
    first = _train(blob_dataset, _aeai(), _config(3))
    again = _train(blob_dataset, _aeai(), _config(3))
    other = _train(blob_dataset, _aeai(), _config(3, seed=1))
    assert first.history == again.history
    _assert_same_weights(first.model, again.model)
    assert first.metrics == again.metrics
    assert first.history["total"] != other.history["total"]
    assert _weights_differ(first.model, other.model)


# ---------------------------------------------------------------- resuming


def test_resumed_run_equals_an_uninterrupted_one(blob_dataset: ImageDataset, tmp_path: Path):
    straight = _train(blob_dataset, _aeai(), _config(4))
    checkpoint = tmp_path / "run.pt"
    half = _train(blob_dataset, _aeai(), _config(2), checkpoint=checkpoint)
    assert len(half.history["total"]) == 2
    resumed = _train(blob_dataset, _aeai(), _config(4), checkpoint=checkpoint, resume=True)
    assert resumed.history == straight.history
    assert set(resumed.history) == AEAI_TERMS
    _assert_same_weights(resumed.model, straight.model)  # discriminator included
    assert resumed.metrics == straight.metrics


def test_resume_after_a_crash_from_a_periodic_checkpoint(
    blob_dataset: ImageDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight = _train(blob_dataset, _aeai(), _config(4, checkpoint_every=2))
    checkpoint = tmp_path / "run.pt"
    crashing = _aeai()
    real_losses = crashing.losses

    def losses_that_crash(model, images, step, generator):
        if step == 3:
            raise KeyboardInterrupt  # interrupted after the step-2 checkpoint
        return real_losses(model, images, step, generator)

    monkeypatch.setattr(crashing, "losses", losses_that_crash)
    with pytest.raises(KeyboardInterrupt):
        _train(blob_dataset, crashing, _config(4, checkpoint_every=2), checkpoint=checkpoint)
    assert checkpoint.exists()
    resumed = _train(
        blob_dataset, _aeai(), _config(4, checkpoint_every=2), checkpoint=checkpoint, resume=True
    )
    assert resumed.history == straight.history
    _assert_same_weights(resumed.model, straight.model)


def test_resume_without_a_checkpoint_starts_afresh(blob_dataset: ImageDataset, tmp_path: Path):
    fresh = _train(blob_dataset, make_method("ae"), _config(2))
    resumed = _train(
        blob_dataset, make_method("ae"), _config(2), checkpoint=tmp_path / "new.pt", resume=True
    )
    assert resumed.history == fresh.history
    assert (tmp_path / "new.pt").exists()


def test_resuming_with_fewer_steps_is_refused_and_keeps_the_checkpoint(
    blob_dataset: ImageDataset, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "run.pt"
    _train(blob_dataset, make_method("ae"), _config(4), checkpoint=checkpoint)
    with pytest.raises(ValueError, match="already trained 4 steps.*ask for at least 4"):
        _train(blob_dataset, make_method("ae"), _config(2), checkpoint=checkpoint, resume=True)
    record = load_checkpoint(checkpoint)
    assert record["step"] == len(record["history"]["reconstruction"]) == 4


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"config": _config(4, lr=3e-3)}, "lr: checkpoint 0.001, this run 0.003"),
        ({"config": _config(4, batch_size=6)}, "batch_size: checkpoint 4, this run 6"),
        ({"config": _config(4, seed=1)}, "seed: checkpoint 0, this run 1"),
        ({"method": "other-lambda"}, "method option lambda_cycle: checkpoint 0.01, this run 0.5"),
        (
            {"model_config": replace(CONFIG, latent_dim=4)},
            "model latent_dim: checkpoint 8, this run 4",
        ),
    ],
    ids=["lr", "batch_size", "seed", "method", "model"],
)
def test_resuming_with_other_settings_raises(
    blob_dataset: ImageDataset, tmp_path: Path, change: dict, match: str
) -> None:
    checkpoint = tmp_path / "run.pt"
    _train(blob_dataset, _aeai(), _config(1), checkpoint=checkpoint)
    method = _aeai(lambda_cycle=0.5) if change.get("method") else _aeai()
    with pytest.raises(
        ValueError,
        match=rf"cannot resume .*other settings \(.*{re.escape(match)}.*\); .* new --out",
    ):
        train(
            blob_dataset,
            method,
            change.get("config", _config(4)),
            model_config=change.get("model_config", CONFIG),
            checkpoint=checkpoint,
            resume=True,
            progress=False,
        )


# ---------------------------------------------------------------- callback


def test_the_callback_sees_every_step_and_can_stop_the_run(
    blob_dataset: ImageDataset, tmp_path: Path
) -> None:
    seen: list[tuple[int, bool]] = []

    def stop_after_two(steps_done: int, model: AutoencoderModel) -> bool:
        seen.append((steps_done, model.training))
        return steps_done == 2

    checkpoint = tmp_path / "run.pt"
    stopped = _train(
        blob_dataset, _aeai(), _config(5), checkpoint=checkpoint, callback=stop_after_two
    )
    assert seen == [(1, True), (2, True)]
    assert all(len(values) == 2 for values in stopped.history.values())
    assert load_checkpoint(checkpoint)["step"] == 2
    # the stopped run resumes like any other, to the same end as an uninterrupted run
    resumed = _train(blob_dataset, _aeai(), _config(5), checkpoint=checkpoint, resume=True)
    straight = _train(blob_dataset, _aeai(), _config(5))
    assert resumed.history == straight.history
    _assert_same_weights(resumed.model, straight.model)


def test_a_callback_that_returns_nothing_changes_nothing(blob_dataset: ImageDataset) -> None:
    plain = _train(blob_dataset, _aeai(), _config(3))
    watched = _train(blob_dataset, _aeai(), _config(3), callback=lambda steps, model: None)
    assert watched.history == plain.history
    _assert_same_weights(watched.model, plain.model)


# ---------------------------------------------------------------- NaN


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_term_raises_naming_term_and_step(
    blob_dataset: ImageDataset, monkeypatch: pytest.MonkeyPatch, bad: float
) -> None:
    method = _aeai()
    real_losses = method.losses

    def losses_with_a_bad_cycle(model, images, step, generator):
        losses = real_losses(model, images, step, generator)
        if step == 2:
            losses.terms["cycle"] = torch.tensor(bad)
        return losses

    monkeypatch.setattr(method, "losses", losses_with_a_bad_cycle)
    with pytest.raises(NonFiniteLossError, match=rf"loss term 'cycle' became {bad} at step 2"):
        _train(blob_dataset, method, _config(4))
    assert issubclass(NonFiniteLossError, FloatingPointError)


def test_nan_images_are_refused_before_training(make_dataset) -> None:
    dataset = make_dataset(n_images=8)
    dataset.images[dataset.train_idx[0], 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="training images contain NaN"):
        _train(dataset, make_method("ae"), _config(1))


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any start of training (seeding, building the model) fail the test."""

    def started(*_args, **_kwargs):
        raise AssertionError("training started before the bad input was refused")

    monkeypatch.setattr("aeai_lib.training.seed_everything", started)


@pytest.mark.parametrize(("n_images", "n_train"), [(1, 0), (2, 1)])
def test_too_few_training_images_are_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n_images: int, n_train: int
) -> None:
    """Issue #16, row 3: a folder of one image failed deep in torch ('random_ expects 'from'
    to be less than 'to''); now refused with the split's counts and the number needed."""
    for angle in range(n_images):
        Image.new("L", (32, 32), 40 * angle).save(tmp_path / f"obj1__{angle}.png")
    dataset = load_folder(tmp_path, size=32)
    _no_work(monkeypatch)
    message = (
        rf"has {n_images} image\(s\) and its train/test split left {n_train} for training "
        rf"\({n_images - n_train} for testing\); training needs at least {MIN_TRAIN_IMAGES}"
    )
    with pytest.raises(ValueError, match=message):
        train(dataset, make_method("ae"), _config(2), progress=False)


def test_a_folder_as_the_checkpoint_is_refused_before_training(
    blob_dataset: ImageDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #16, row 6: training ran every step, then failed with IsADirectoryError."""
    _no_work(monkeypatch)
    with pytest.raises(ValueError, match="is an existing folder, not a file"):
        _train(blob_dataset, make_method("ae"), _config(2), checkpoint=tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        _train(blob_dataset, make_method("ae"), _config(2), checkpoint=tmp_path / "file" / "m.pt")


def test_an_unavailable_device_is_refused_before_training(
    blob_dataset: ImageDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_work(monkeypatch)
    with pytest.raises(ValueError, match="unknown device 'gpu'; available here: cpu"):
        _train(blob_dataset, make_method("ae"), _config(2, device="gpu"))


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": -1}, ValueError, "steps must be >= 0, got -1"),
        ({"steps": 2.5}, TypeError, "steps must be an integer"),
        ({"batch_size": 1}, ValueError, "batch_size must be >= 2, got 1"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 2"),
        ({"lr": -1e-3}, ValueError, "lr must be a finite number >= 0"),
        ({"adversary_lr": float("nan")}, ValueError, "adversary_lr must be a finite number"),
        ({"checkpoint_every": -1}, ValueError, "checkpoint_every must be >= 0"),
    ],
)
def test_bad_train_config_values_raise(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        TrainConfig(**kwargs)


def test_bf16_on_a_cpu_without_it_is_refused(
    blob_dataset: ImageDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 22: CPU bf16 where it is native (tests/test_speed.py), refused where it is not
    monkeypatch.setenv("AEAI_CPU_BF16", "unsupported")
    with pytest.raises(ValueError, match="bf16: this CPU has neither AVX512-BF16 nor AMX"):
        _config(2, bf16=True)
    result = _train(blob_dataset, make_method("ae"), _config(2, bf16=None))
    plain = _train(blob_dataset, make_method("ae"), _config(2))
    assert result.history == plain.history  # None: float32 where bf16 is not native


def test_images_that_do_not_fit_the_model_config_raise(blob_dataset: ImageDataset) -> None:
    with pytest.raises(ValueError, match="training images have 1 channels but the model"):
        train(
            blob_dataset,
            make_method("ae"),
            _config(1),
            model_config=ModelConfig(image_size=32, channels=3, latent_dim=8),
            progress=False,
        )


@pytest.mark.parametrize(
    ("latent_dim", "error", "match"),
    [
        (0, ValueError, "latent_dim must be >= 1, got 0"),
        (-4, ValueError, "latent_dim must be >= 1, got -4"),
        (8.0, TypeError, "latent_dim must be an integer >= 1"),
    ],
)
def test_latent_dim_zero_is_refused_not_taken_as_unset(
    make_dataset, latent_dim: object, error: type, match: str
) -> None:
    """Issue #16, row 11: latent_dim=0 silently trained with the default size 256."""
    with pytest.raises(error, match=match):
        default_model_config(make_dataset(n_images=4), latent_dim=latent_dim)


def test_default_model_config_follows_the_dataset(make_dataset) -> None:
    blobs = make_dataset(n_images=4, channels=3)
    assert default_model_config(blobs) == ModelConfig(image_size=32, channels=3, latent_dim=256)
    assert default_model_config(blobs, latent_dim=16).latent_dim == 16
    assert default_model_config(blobs, latent_dim=np.int64(16)).latent_dim == 16
    lines = make_dataset(n_images=4, name="lines")
    assert default_model_config(lines) == ModelConfig(image_size=32, channels=1, latent_dim=32)


def test_test_reconstruction_mse_is_the_mean_over_the_test_split(
    blob_dataset: ImageDataset,
) -> None:
    torch.manual_seed(0)
    model = AutoencoderModel(CONFIG)
    with torch.no_grad():
        model.eval()
        test = blob_dataset.test_images
        expected = (model(test) - test).pow(2).mean().item()
    assert reconstruction_mse(model, blob_dataset) == pytest.approx(expected, rel=1e-5)
    assert reconstruction_mse(model, blob_dataset, batch_size=5) == pytest.approx(
        expected, rel=1e-5
    )
    assert not model.training


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_with_bf16(blob_dataset: ImageDataset) -> None:
    result = _train(blob_dataset, _aeai(), _config(3, device="cuda", bf16=True))
    assert set(result.history) == AEAI_TERMS
    assert all(len(v) == 3 for v in result.history.values())
    assert next(result.model.parameters()).device.type == "cuda"
    assert result.metrics["test_reconstruction_mse"] < 1


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_step_waits_for_the_gpu_once(blob_dataset: ImageDataset) -> None:
    """The data stay on the GPU: each step's only synchronisation is the one transfer of its
    logged loss terms (CUDA's sync debug mode warns at every synchronising call)."""

    def synchronisations(steps: int) -> int:
        config = _config(steps, device="cuda", diagnostics_every=0)
        torch.cuda.set_sync_debug_mode("warn")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _train(blob_dataset, _aeai(smoothness="sibling", alphas_per_pair=1), config)
        finally:
            torch.cuda.set_sync_debug_mode("default")
        return sum("synchroniz" in str(w.message) for w in caught)

    synchronisations(2)  # warm-up: pinned memory, cuDNN, lazy initialisation
    assert synchronisations(8) - synchronisations(4) == 4
