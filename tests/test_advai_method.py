"""Tests for the AdvAI training method: terms, parameter groups, schedules, checkpoints."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.checkpoint import load_model
from aeai_lib.data.base import ImageDataset
from aeai_lib.losses import mmd_squared
from aeai_lib.methods import METHODS, AdvAI, make_method
from aeai_lib.models import ModelConfig
from aeai_lib.training import TrainConfig, train

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)
TERMS = {
    "reconstruction",
    "prior_mmd",
    "critic_ae",
    "correction",
    "alpha_regressor",
    "critic",
    "total",
}


def _small(**options) -> AdvAI:
    return make_method("advai", hidden=16, **options)


def _dataset(n_images: int = 16) -> ImageDataset:
    """Smooth random 32x32 grey images in [0, 1]: 3/4 for training, 1/4 for testing."""
    noise = torch.rand(n_images, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    images = torch.nn.functional.interpolate(noise, size=32, mode="bilinear")
    n_train = 3 * n_images // 4
    return ImageDataset(
        name="synthetic",
        images=images,
        params=torch.zeros(n_images, 0, dtype=torch.float64),
        param_names=(),
        param_periods=(),
        train_idx=torch.arange(n_train),
        test_idx=torch.arange(n_train, n_images),
    )


def _batch(n: int = 8) -> torch.Tensor:
    return _dataset(n).images


def test_advai_is_registered() -> None:
    assert METHODS["advai"][0] is AdvAI
    method = make_method("advai")
    assert method.name == "advai" and method.label == "AdvAI"


def test_training_records_every_term_and_the_checkpoint_round_trips(tmp_path) -> None:
    dataset = _dataset()
    path = tmp_path / "advai.pt"
    result = train(
        dataset,
        _small(),
        TrainConfig(steps=3, batch_size=8, device="cpu", checkpoint_every=0),
        model_config=CONFIG,
        checkpoint=path,
        progress=False,
    )
    assert set(result.history) == TERMS
    for name, values in result.history.items():
        assert len(values) == 3 and all(torch.isfinite(torch.tensor(values))), name

    loaded = load_model(path, device="cpu")
    assert "advai" in loaded.interpolation_names
    z1, z2 = torch.randn(4, 8), torch.randn(4, 8)
    alphas = torch.linspace(0, 1, 5)
    with torch.no_grad():
        expected = result.model.interpolation("advai")(z1, z2, alphas)
        assert torch.equal(loaded.interpolation("advai")(z1, z2, alphas), expected)
    assert torch.equal(expected[:, 0], z1) and torch.equal(expected[:, -1], z2)


def test_parameter_groups_split_every_parameter_once() -> None:
    method = _small()
    model = method.build_model(CONFIG)
    groups = method.parameter_groups(model)
    assert set(groups) == {"autoencoder", "correction", "adversary"}
    ids = [id(p) for params in groups.values() for p in params]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert {id(p) for p in model.auxiliary["correction"].parameters()} == {
        id(p) for p in groups["correction"]
    }


@pytest.mark.parametrize(
    ("options", "step", "groups"),
    [
        ({"schedule": "joint"}, 0, {"autoencoder", "correction", "adversary"}),
        ({"schedule": "joint"}, 5000, {"autoencoder", "correction", "adversary"}),
        # R and D_R train on prior samples for pretrain_steps, alongside the autoencoder
        ({"pretrain_steps": 2}, 1, {"autoencoder", "correction", "adversary"}),
        ({"pretrain_steps": 2}, 2, {"autoencoder", "adversary"}),
        ({"schedule": "pretrained", "lambda_critic": 0.0}, 1000, {"autoencoder"}),
    ],
)
def test_the_schedule_decides_which_groups_train(options: dict, step: int, groups: set) -> None:
    method = _small(**options)
    model = method.build_model(CONFIG)
    losses = method.losses(model, _batch(), step, torch.Generator().manual_seed(0))
    assert set(losses.objectives) == groups
    expected_terms = TERMS if method.options.lambda_critic > 0 else TERMS - {"critic", "critic_ae"}
    assert set(losses.terms) == expected_terms


def test_no_critic_without_its_weight() -> None:
    model = _small(lambda_critic=0.0).build_model(CONFIG)
    assert set(model.auxiliary) == {"correction", "alpha_regressor"}


def test_each_objective_reaches_only_its_own_networks() -> None:
    method = _small()
    model = method.build_model(CONFIG)
    losses = method.losses(model, _batch(), 0, torch.Generator().manual_seed(0))
    groups = method.parameter_groups(model)
    for name, objective in losses.objectives.items():
        grads = torch.autograd.grad(objective, groups[name], retain_graph=True, allow_unused=True)
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name


def test_prior_mmd_is_small_for_the_prior_and_differentiable() -> None:
    generator = torch.Generator().manual_seed(0)
    prior = torch.randn(64, 8, generator=generator)
    codes = (3 * torch.randn(64, 8, generator=generator) + 2).requires_grad_()
    far = mmd_squared(codes, prior).clamp_min(0.0)  # AdvAI's prior term
    far.backward()
    assert torch.isfinite(codes.grad).all() and codes.grad.abs().sum() > 0
    near = mmd_squared(torch.randn(64, 8, generator=generator), prior).clamp_min(0.0)
    assert 0 <= near.item() < 0.1 * far.item()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lambda_prior": -1}, "lambda_prior must be a finite number >= 0"),
        ({"lambda_critic": -0.5}, "lambda_critic must be a finite number >= 0"),
        ({"gamma": 1.5}, r"gamma must lie in \[0, 1\]"),
        ({"schedule": "later"}, "unknown schedule 'later'"),
        ({"schedule": "pretrained", "lambda_prior": 0.0}, "set lambda_prior > 0"),
        ({"alphas_per_pair": 0}, "alphas_per_pair must be >= 1"),
        ({"prior_pairs": 1}, "prior_pairs must be >= 2"),
        ({"loss": "huber"}, "unknown loss 'huber'"),
    ],
)
def test_bad_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_method("advai", **options)


def test_a_batch_too_small_for_pairs_is_refused() -> None:
    method = _small()
    model = method.build_model(CONFIG)
    with pytest.raises(ValueError, match="at least 4 images"):
        method.losses(model, _batch(3), 0, torch.Generator().manual_seed(0))
