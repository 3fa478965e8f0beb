"""AdvAI's correction fitted post hoc to a trained model's codes (issue 26): API and CLI.

A tiny AE (8-D codes of 32x32 blobs) trained for a few steps stands in for a trained model;
R and D_R are small (64 hidden units) so that a fit takes seconds on one CPU thread.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from conftest import make_image_dataset

from aeai_lib.checkpoint import load_checkpoint, load_model, save_checkpoint
from aeai_lib.cli import main
from aeai_lib.correct import fit_correction
from aeai_lib.evaluation.measures import latent_mismatch
from aeai_lib.inference import encode_images
from aeai_lib.interpolation import lerp
from aeai_lib.methods import make_method
from aeai_lib.methods.advai.correction import CorrectionOptions
from aeai_lib.methods.advai.fitted import FittedCorrection, attach_correction, model_fingerprint
from aeai_lib.models import ModelConfig
from aeai_lib.training import TrainConfig, train

SMALL = CorrectionOptions(hidden=64, input_scale=1.0)
CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)


@pytest.fixture(scope="module")
def dataset():
    return make_image_dataset(64)


@pytest.fixture(scope="module")
def model(dataset):
    """A tiny AE trained for 30 steps: its codes are an AE's, not a prior's."""
    config = TrainConfig(steps=30, batch_size=16, seed=0)
    return train(dataset, make_method("ae"), config, model_config=CONFIG, progress=False).model


@pytest.fixture(scope="module")
def fitted(model, dataset) -> FittedCorrection:
    return fit_correction(model, dataset, steps=200, pairs=64, seed=0, options=SMALL)


def test_the_fitted_path_is_closer_to_the_codes_than_lerp(model, dataset, fitted) -> None:
    """The paper's claim, on the model's own codes: midpoints nearer the real codes by MMD."""
    codes = encode_images(model, dataset.images)  # all images, as evaluate's latent MMD
    lerp_mmd = latent_mismatch(codes, lerp)["mmd"]
    fitted_mmd = latent_mismatch(codes, fitted.interpolate)["mmd"]
    assert lerp_mmd > 0.03  # lerp's midpoints are measurably off the codes
    assert fitted_mmd < 0.5 * lerp_mmd, (lerp_mmd, fitted_mmd)
    assert fitted.mmd_fitted < 0.5 * fitted.mmd_lerp  # recorded on the training codes


def test_endpoints_are_exact_and_the_shape_is_the_librarys(model, dataset, fitted) -> None:
    codes = encode_images(model, dataset.images[:6])
    z1, z2 = codes[:3], codes[3:]
    path = fitted.interpolate(z1, z2, torch.tensor([0.0, 0.5, 1.0]))
    assert path.shape == (3, 3, 8)
    assert torch.equal(path[:, 0], z1) and torch.equal(path[:, 2], z2)
    assert not torch.allclose(path[:, 1], lerp(z1, z2, torch.tensor([0.5]))[:, 0])


def test_the_autoencoder_stays_frozen_and_the_fit_repeats(model, dataset) -> None:
    before = {key: value.clone() for key, value in model.state_dict().items()}
    model.train()
    first = fit_correction(model, dataset, steps=3, pairs=8, seed=5, options=SMALL)
    again = fit_correction(model, dataset, steps=3, pairs=8, seed=5, options=SMALL)
    assert model.training  # its mode restored
    model.eval()
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    for (key, a), b in zip(
        first.network.state_dict().items(), again.network.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), key
    assert len(first.history["correction"]) == 3


def test_the_fingerprint_follows_the_encoder_weights(model) -> None:
    other = make_method("ae").build_model(CONFIG)
    other.load_state_dict(model.state_dict())
    assert model_fingerprint(other) == model_fingerprint(model)
    with torch.no_grad():
        other.encoder.state_dict()[next(iter(other.encoder.state_dict()))].add_(1e-3)
    assert model_fingerprint(other) != model_fingerprint(model)


def test_a_correction_fitted_to_another_model_is_refused(fitted) -> None:
    stranger = make_method("ae").build_model(CONFIG)
    with pytest.raises(ValueError, match="fitted to the codes of another model"):
        attach_correction(stranger, fitted)


def test_models_without_an_encoder_are_refused(dataset) -> None:
    with pytest.raises(ValueError, match="model has no encoder"):
        fit_correction(torch.nn.Linear(8, 8), dataset)


def test_missing_unreadable_and_encoderless_checkpoints_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^model '.*missing\.pt': no such file"):
        fit_correction(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="^model: .*not an aeai_lib checkpoint"):
        fit_correction(junk)
    empty = save_checkpoint({"model_state": {}, "dataset": "pole"}, tmp_path / "empty.pt")
    with pytest.raises(ValueError, match="^model .*holds no encoder weights"):
        fit_correction(empty)


def test_the_state_round_trips_and_damage_is_named(model, fitted) -> None:
    again = FittedCorrection.from_state(fitted.state())
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    alphas = torch.linspace(0, 1, 5)
    assert torch.equal(
        again.interpolate(z, z.flip(0), alphas), fitted.interpolate(z, z.flip(0), alphas)
    )
    assert again.fingerprint == model_fingerprint(model)
    damaged = {**fitted.state(), "network_state": {}}
    with pytest.raises(ValueError, match="correction is damaged"):
        FittedCorrection.from_state(damaged)
    with pytest.raises(ValueError, match="not a fitted AdvAI correction"):
        FittedCorrection.from_state({"kind": "something else"})


def test_an_advai_model_keeps_its_own_path_as_advai_prior(dataset) -> None:
    advai = make_method("advai").build_model(CONFIG).eval()
    own = advai.interpolation("advai")
    correction = fit_correction(advai, dataset, steps=2, pairs=8, options=SMALL)
    attach_correction(advai, correction)
    assert advai.interpolation("advai") == correction.interpolate
    assert advai.interpolation("advai_prior") == own
    attach_correction(advai, correction)  # again: the prior-trained path is not lost
    assert advai.interpolation("advai_prior") == own


# ---------------------------------------------------------------- the command line

TINY_RUN = [
    *("--image-size", "32", "--latent-dim", "8", "--steps", "2", "--batch-size", "4"),
    *("--checkpoint-every", "0", "--no-progress", "--method", "ae", "--dataset", "pole"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("correct_cli")


@pytest.fixture(scope="module")
def pole_checkpoint(workspace: Path) -> Path:
    path = workspace / "pole.pt"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AEAI_DATA_DIR", str(workspace / "data"))
        assert main(["train", *TINY_RUN, "--out", str(path)]) == 0
    return path


def test_correct_writes_a_checkpoint_that_evaluate_reads_as_advai(
    pole_checkpoint: Path, workspace: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("AEAI_DATA_DIR", str(workspace / "data"))
    out = workspace / "corrected.pt"
    argv = ["correct", str(pole_checkpoint), "--out", str(out), "--steps", "20", "--pairs", "16"]
    assert main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert re.search(r"lerp \d\.\d{4}, advai \d\.\d{4}; wrote .*corrected\.pt", printed)
    record = torch.load(out, weights_only=True)
    assert record["correction"]["fit"]["steps"] == 20
    assert record["model_state"].keys() == load_checkpoint(pole_checkpoint)["model_state"].keys()
    model = load_model(out, "cpu")
    assert "advai" in model.interpolation_names
    assert "advai" not in load_model(pole_checkpoint, "cpu").interpolation_names
    evaluate = ["evaluate", str(out), "--interpolation", "advai", "--json"]
    assert main([*evaluate, "--max-pairs", "2", "--curve-max-pairs", "1"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert result["interpolation"] == "advai" and result["latent_mmd"] is not None


def _fails_with_one_line(argv: list[str], capsys: pytest.CaptureFixture, match: str) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert re.search(match, lines[0]), lines[0]


def test_correct_refuses_bad_input_in_one_line(
    tmp_path: Path, pole_checkpoint: Path, capsys, monkeypatch
) -> None:
    out = str(tmp_path / "out.pt")
    _fails_with_one_line(["correct", str(tmp_path / "no.pt"), "--out", out], capsys, "no such file")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00" * 10)
    _fails_with_one_line(["correct", str(junk), "--out", out], capsys, "not an aeai_lib checkpoint")
    bare = save_checkpoint({"model_state": {}, "dataset": "pole"}, tmp_path / "bare.pt")
    _fails_with_one_line(["correct", str(bare), "--out", out], capsys, "no encoder weights")
    _fails_with_one_line(
        ["correct", str(pole_checkpoint), "--out", str(tmp_path)], capsys, "existing folder"
    )
    _fails_with_one_line(
        ["correct", str(pole_checkpoint), "--out", out, "--steps", "0"], capsys, "--steps"
    )
    for flag, value in (("--lr", "0"), ("--average", "1")):
        argv = ["correct", str(pole_checkpoint), "--out", out, flag, value]
        _fails_with_one_line(argv, capsys, flag)
    # a correction copied into another model's checkpoint is refused when loaded
    record = load_checkpoint(pole_checkpoint)
    stranger = make_method("ae").build_model(ModelConfig(**record["model_config"]))
    correction = fit_correction(stranger, _pole_like(stranger), steps=1, pairs=4, options=SMALL)
    record["correction"] = correction.state()
    for key in ("format", "format_version", "library_version"):
        record.pop(key)
    forged = save_checkpoint(record, tmp_path / "forged.pt")
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path / "data"))
    _fails_with_one_line(
        ["evaluate", str(forged), "--interpolation", "advai"], capsys, "another model"
    )
    assert not Path(out).exists()


def _pole_like(model):
    """A few random images at the model's size and channels, to fit a stranger's correction."""
    dataset = make_image_dataset(8, size=model.config.image_size, channels=model.config.channels)
    return dataset


def test_the_weight_average_is_returned_and_its_decay_checked(model, dataset) -> None:
    last = fit_correction(model, dataset, steps=5, pairs=8, average=0.0, options=SMALL)
    mean = fit_correction(model, dataset, steps=5, pairs=8, average=0.9, options=SMALL)
    assert last.average == 0.0 and mean.average == 0.9
    weights = [
        (a - b).abs().max()
        for a, b in zip(last.network.parameters(), mean.network.parameters(), strict=True)
    ]
    assert max(weights) > 0  # the same run, another R
    with pytest.raises(ValueError, match=r"average must lie in \[0, 1\)"):
        fit_correction(model, dataset, steps=1, average=1.0)
