"""The five baselines trained: 20 steps, exact resume, checkpoints that round-trip, and the
command line (``--method NAME --set option=value``), with bad option values refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from aeai_lib.checkpoint import load_checkpoint, load_model
from aeai_lib.cli import main
from aeai_lib.data.base import ImageDataset
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig
from aeai_lib.training import TrainConfig, train

BASELINES = ("aae", "acai", "beta-vae", "gaia", "amr")
CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)
STEPS = 20


def _config(steps: int) -> TrainConfig:
    return TrainConfig(
        steps=steps, batch_size=8, seed=1, device="cpu", checkpoint_every=0, diagnostics_every=7
    )


def _train(dataset: ImageDataset, name: str, steps: int, **kwargs):
    return train(
        dataset, make_method(name), _config(steps), model_config=CONFIG, progress=False, **kwargs
    )


@pytest.fixture(scope="module")
def dataset(blob_dataset: ImageDataset) -> ImageDataset:
    return blob_dataset


@pytest.mark.parametrize("name", BASELINES)
def test_trains_twenty_steps_and_resumes_exactly(
    name: str, dataset: ImageDataset, tmp_path: Path
) -> None:
    straight = _train(dataset, name, STEPS)
    assert all(len(values) == STEPS for values in straight.history.values())
    assert all(torch.isfinite(torch.tensor(v)).all() for v in straight.history.values())
    assert straight.diagnostics["step"] == [0.0, 7.0, 14.0, 19.0]

    path = tmp_path / f"{name}.pt"
    _train(dataset, name, STEPS // 2, checkpoint=path)
    resumed = _train(dataset, name, STEPS, checkpoint=path, resume=True)
    expected, got = straight.model.state_dict(), resumed.model.state_dict()
    assert expected.keys() == got.keys()
    for key in expected:
        assert torch.equal(expected[key], got[key]), f"{name}: {key} differs after resuming"
    assert resumed.history == straight.history

    record = load_checkpoint(path)
    assert record["method"] == {"name": name, "options": make_method(name).options_dict()}
    assert record["step"] == STEPS


@pytest.mark.parametrize("name", BASELINES)
def test_checkpoints_round_trip(name: str, dataset: ImageDataset, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.pt"
    trained = _train(dataset, name, 3, checkpoint=path)
    loaded = load_model(path, device="cpu")
    assert loaded.label == trained.model.label and loaded.method_name == name
    assert not loaded.training
    original = trained.model.state_dict()
    assert all(torch.equal(value, original[key]) for key, value in loaded.state_dict().items())
    images = dataset.test_images[:4]
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), trained.model(images), rtol=0, atol=0)
        codes = loaded.encode(images)
    assert codes.shape == (4, CONFIG.latent_dim)


# ---------------------------------------------------------------- the command line

TINY_RUN = [
    *("--dataset", "pole", "--image-size", "32", "--latent-dim", "8"),
    *("--steps", "2", "--batch-size", "4", "--checkpoint-every", "0", "--no-progress"),
]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize(
    ("name", "setting", "option", "value"),
    [
        ("aae", "hidden_units=16", "hidden_units", 16),
        ("acai", "gamma=0.3", "gamma", 0.3),
        ("beta-vae", "beta=4", "beta", 4.0),
        ("gaia", "balance_learning_rates=false", "balance_learning_rates", False),
        ("amr", "mixer=bernoulli", "mixer", "bernoulli"),
    ],
)
def test_the_command_line_trains_each_baseline_with_set(
    name: str,
    setting: str,
    option: str,
    value: object,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = data_dir / f"{name}.pt"
    assert main(["train", "--method", name, "--set", setting, *TINY_RUN, "--out", str(path)]) == 0
    label = make_method(name).label
    assert f"trained {label} on pole for 2 steps" in capsys.readouterr().out
    assert load_checkpoint(path)["method"]["options"][option] == value


@pytest.mark.parametrize(
    ("name", "setting", "message"),
    [
        ("aae", "lambda_adv=-1", "lambda_adv must be a finite number >= 0"),
        ("acai", "gamma=1.5", "gamma must lie in [0, 1], got 1.5"),
        ("beta-vae", "capacity_steps=0", "capacity_steps must be >= 1"),
        ("gaia", "max_fake_share=2", "max_fake_share must lie in [0, 1]"),
        ("amr", "mixer=fm3", "unknown mixer 'fm3'; choose one of: bernoulli"),
        ("amr", "discriminator_steps=x", "option discriminator_steps expects int, got 'x'"),
        ("beta-vae", "capacity=5", "capacity_steps = 100000 is longer than the run's 2 steps"),
    ],
)
def test_the_command_line_refuses_bad_values_in_one_line(
    name: str, setting: str, message: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = data_dir / "bad.pt"
    assert main(["train", "--method", name, "--set", setting, *TINY_RUN, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()
