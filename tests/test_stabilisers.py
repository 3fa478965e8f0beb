"""AEAI's adversarial stabilisers, loss conventions and the training diagnostics (issue #10).

Each option is tested for what it does, not only that it runs: spectral normalisation bounds
D's layers, R1 is the gradient norm it claims to be, extra discriminator steps step only D,
the warm-up ramps L_A, the "sum" convention is the paper's objective rescaled, and recording
diagnostics leaves a training run bit-identical.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aeai_lib.data import lines
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.validation import validation_images, validation_pairs_dataset
from aeai_lib.losses import r1_penalty
from aeai_lib.methods import ADVERSARY, AUTOENCODER, AEAIOptions, make_method
from aeai_lib.models import Discriminator, ModelConfig
from aeai_lib.training import TrainConfig, diagnose, train

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)


def _config(steps: int, **kwargs) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=8, seed=0, device="cpu", **kwargs)


# ---------------------------------------------------------------- spectral normalisation


def _layers(discriminator: nn.Module) -> list[nn.Module]:
    return [m for m in discriminator.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def _sigma(layer: nn.Module) -> float:
    return torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2).item()


def test_spectral_norm_bounds_every_layer_of_the_discriminator() -> None:
    torch.manual_seed(0)
    normalised, plain = Discriminator(CONFIG, spectral_norm=True), Discriminator(CONFIG)
    with torch.no_grad():  # make every raw weight 10x too large
        for name, parameter in [*normalised.named_parameters(), *plain.named_parameters()]:
            if name.endswith("weight") or name.endswith("original"):
                parameter.mul_(10.0)
    normalised.train()
    images = torch.rand(4, 1, 32, 32)
    for _ in range(30):  # the power iteration converges over forward passes
        normalised(images)
    assert len(_layers(normalised)) == len(CONFIG.block_widths) + 1
    assert [_sigma(layer) for layer in _layers(normalised)] == pytest.approx(
        [1.0] * len(_layers(normalised)), abs=0.05
    )
    assert min(_sigma(layer) for layer in _layers(plain)) > 3.0


def test_the_option_builds_a_spectrally_normalised_discriminator() -> None:
    model = make_method("aeai", spectral_norm=True).build_model(CONFIG)
    names = [name for name, _ in model.auxiliary["discriminator"].named_parameters()]
    assert any("parametrizations" in name for name in names)


# ---------------------------------------------------------------- R1


class _Linear(nn.Module):
    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return (images.flatten(1) * self.weight).sum(dim=1) ** 2


def test_r1_is_the_mean_squared_input_gradient_norm() -> None:
    weight = torch.randn(1 * 4 * 4)
    images = torch.rand(3, 1, 4, 4)
    # logit = (w . x)^2, so d logit / dx = 2 (w . x) w and ||.||^2 = 4 (w . x)^2 ||w||^2
    expected = (4 * (images.flatten(1) @ weight) ** 2 * weight.square().sum()).mean()
    penalty = r1_penalty(_Linear(weight), images)
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    assert not images.requires_grad
    penalty.backward()  # differentiable with respect to the discriminator's weights


def test_r1_is_zero_for_a_discriminator_that_ignores_its_input() -> None:
    assert r1_penalty(_Linear(torch.zeros(16)), torch.rand(2, 1, 4, 4)).item() == 0.0


def test_r1_weight_adds_half_gamma_r1_to_the_discriminators_objective(
    blob_dataset: ImageDataset,
) -> None:
    batch = blob_dataset.train_images[:8]
    results = {}
    for gamma in (0.0, 4.0):
        method = make_method("ae", lambda_adv=0.01, r1_weight=gamma)
        torch.manual_seed(0)
        model = method.build_model(CONFIG)
        losses = method.losses(model, batch, 0, torch.Generator().manual_seed(0))
        results[gamma] = (losses.objectives[ADVERSARY], losses.terms["discriminator"], model)
    objective, loss, model = results[4.0]
    penalty = r1_penalty(model.auxiliary["discriminator"], batch)
    assert objective.item() == pytest.approx(loss.item() + 2.0 * penalty.item(), rel=1e-5)
    assert results[0.0][0].item() == pytest.approx(results[0.0][1].item())


# ---------------------------------------------------------------- discriminator steps


def test_discriminator_steps_count_in_the_optimisers(blob_dataset: ImageDataset, tmp_path) -> None:
    from aeai_lib.checkpoint import load_checkpoint

    path = tmp_path / "run.pt"
    method = make_method("ae", lambda_adv=0.01, discriminator_steps=3)
    assert method.adversary_steps == 3
    result = train(
        blob_dataset, method, _config(4), model_config=CONFIG, checkpoint=path, progress=False
    )
    assert len(result.history["discriminator"]) == 4  # one record per autoencoder step
    states = load_checkpoint(path)["optimizer_states"]
    adversary_steps = {float(s["step"]) for s in states[ADVERSARY]["state"].values()}
    autoencoder_steps = {float(s["step"]) for s in states[AUTOENCODER]["state"].values()}
    assert adversary_steps == {12.0}
    assert autoencoder_steps == {4.0}


# ---------------------------------------------------------------- warm-up


def test_adversarial_warmup_ramps_the_weight_linearly() -> None:
    method = make_method("aeai", lambda_adv=0.01, adversarial_warmup=4)
    weights = [method.adversarial_weight(step, 3 * 32 * 32, 8) for step in range(6)]
    assert weights == pytest.approx([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])
    unramped = make_method("aeai", lambda_adv=0.01)
    assert unramped.adversarial_weight(0, 3 * 32 * 32, 8) == pytest.approx(0.01)


def test_warmup_scales_the_adversarial_component(blob_dataset: ImageDataset) -> None:
    batch = blob_dataset.train_images[:8]
    method = make_method("ae", lambda_adv=0.01, adversarial_warmup=10)
    torch.manual_seed(0)
    model = method.build_model(CONFIG)
    losses = method.losses(model, batch, 0, torch.Generator().manual_seed(0))
    expected = 0.001 * losses.terms["adversarial"].item()
    assert losses.components["adversarial"].item() == pytest.approx(expected, rel=1e-6)


def test_a_warmup_longer_than_the_run_is_refused_before_training(
    blob_dataset: ImageDataset,
) -> None:
    method = make_method("aeai", adversarial_warmup=50)
    with pytest.raises(ValueError, match="adversarial_warmup = 50 steps is longer than the run"):
        train(blob_dataset, method, _config(10), model_config=CONFIG, progress=False)


# ---------------------------------------------------------------- loss conventions


def test_sum_convention_converts_the_papers_lambdas() -> None:
    options = AEAIOptions(lambda_adv=0.01, lambda_cycle=0.01, lambda_smooth=0.1,
                          loss_convention="sum")  # fmt: skip
    weights = options.mean_weights(pixels=3 * 64 * 64, latent_dim=256)
    assert weights["adversarial"] == pytest.approx(0.01 * 17 / (2 * 12288))
    assert weights["cycle"] == pytest.approx(0.01 * 17 * 256 / (2 * 12288))
    assert weights["smoothness"] == pytest.approx(0.85)
    paper = AEAIOptions(lambda_adv=0.01, lambda_cycle=0.01, lambda_smooth=0.01)
    assert paper.mean_weights(12288, 256) == {
        "adversarial": 0.01,
        "cycle": 0.01,
        "smoothness": 0.01,
    }


def test_sum_convention_objective_equals_mean_convention_with_converted_weights(
    blob_dataset: ImageDataset,
) -> None:
    batch = blob_dataset.train_images[:8]
    paper = {"lambda_adv": 0.01, "lambda_cycle": 0.01, "lambda_smooth": 0.1}
    summed = make_method("aeai", loss_convention="sum", **paper)
    converted = summed.options.mean_weights(batch[0].numel(), CONFIG.latent_dim)
    mean = make_method(
        "aeai",
        lambda_adv=converted["adversarial"],
        lambda_cycle=converted["cycle"],
        lambda_smooth=converted["smoothness"],
    )
    values = []
    for method in (summed, mean):
        torch.manual_seed(0)
        model = method.build_model(CONFIG)
        values.append(method.losses(model, batch, 0, torch.Generator().manual_seed(0)))
    assert values[0].objectives[AUTOENCODER].item() == pytest.approx(
        values[1].objectives[AUTOENCODER].item(), rel=1e-6
    )


# ---------------------------------------------------------------- bad options


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"lambda_adv": -0.1}, "lambda_adv"),
        ({"lambda_smooth": -1.0}, "lambda_smooth"),
        ({"r1_weight": -1.0}, "r1_weight"),
        ({"loss_convention": "median"}, "loss_convention"),
        ({"discriminator_steps": 0}, "discriminator_steps"),
        ({"adversarial_warmup": -5}, "adversarial_warmup"),
    ],
)
def test_bad_stabiliser_options_name_the_option(options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_method("aeai", **options)


# ---------------------------------------------------------------- diagnostics


def test_diagnostics_do_not_change_the_run(blob_dataset: ImageDataset) -> None:
    method = make_method("aeai", discriminator_steps=2, r1_weight=1.0)
    runs = [
        train(
            blob_dataset,
            method,
            _config(6, diagnostics_every=every),
            model_config=CONFIG,
            progress=False,
        )  # fmt: skip
        for every in (0, 2)
    ]
    for a, b in zip(runs[0].model.parameters(), runs[1].model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert runs[0].history == runs[1].history
    assert runs[0].diagnostics == {}
    assert runs[1].diagnostics["step"] == [0.0, 2.0, 4.0, 5.0]


def test_diagnostics_measure_each_terms_gradient(blob_dataset: ImageDataset) -> None:
    method = make_method("aeai")
    result = train(
        blob_dataset, method, _config(3, diagnostics_every=1), model_config=CONFIG,
        progress=False,
    )  # fmt: skip
    for term in ("reconstruction", "adversarial", "cycle", "smoothness"):
        for part in ("encoder", "decoder"):
            norms = result.diagnostics[f"grad/{part}/{term}"]
            assert len(norms) == 3 and all(n > 0 for n in norms)
    assert "val_reconstruction" not in result.diagnostics  # blobs have no renderer


def test_diagnose_gradient_norm_matches_autograd() -> None:
    method = make_method("ae")
    torch.manual_seed(0)
    model = method.build_model(CONFIG)
    images = torch.rand(4, 1, 32, 32)
    losses = method.losses(model, images, 0, torch.Generator())
    result = diagnose(method, model, losses.components, None, 0)
    losses.objectives[AUTOENCODER].backward()
    expected = torch.cat([p.grad.flatten() for p in model.decoder.parameters()]).norm().item()
    assert result["grad/decoder/reconstruction"] == pytest.approx(expected, rel=1e-5)


def test_heldout_diagnostics_on_lines(tmp_path) -> None:
    dataset = lines.dataset(size=32, n_train=64, n_test=16, cache_dir=tmp_path)
    method = make_method("ae", lambda_adv=0.01)
    result = train(dataset, method, _config(4, diagnostics_every=2), progress=False)
    diagnostics = result.diagnostics
    assert len(diagnostics["val_reconstruction"]) == 3
    assert all(0 < v < 1 for v in diagnostics["val_reconstruction"])
    for key in ("d_accuracy", "d_real", "d_fake", "d_accuracy_real", "d_accuracy_fake"):
        assert all(0.0 <= v <= 1.0 for v in diagnostics[key])


def test_discriminator_accuracy_reads_a_perfect_discriminator() -> None:
    """A discriminator that says 'real' iff the image is exactly a line image scores 1."""
    method = make_method("ae", lambda_adv=0.01)
    torch.manual_seed(0)
    model = method.build_model(CONFIG)
    images = lines.render(torch.linspace(0, 6, 8), 32)
    reference = images.clone()

    class Oracle(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            distance = torch.cdist(x.flatten(1), reference.flatten(1)).min(dim=1).values
            return torch.where(distance < 1e-4, 10.0, -10.0)

    model.auxiliary["discriminator"] = Oracle()
    result = method.heldout_diagnostics(model, images, torch.Generator().manual_seed(0))
    assert result["d_accuracy_real"] == 1.0
    assert result["d_accuracy_fake"] == 1.0  # a decoded interpolant is never exactly real
    assert result["d_accuracy"] == 1.0


# ---------------------------------------------------------------- validation images


def test_validation_images_are_fresh_renders_off_the_grid(tmp_path) -> None:
    from aeai_lib.data import pole

    dataset = pole.dataset(size=32, cache_dir=tmp_path)
    images = validation_images(dataset, n=8)
    assert images.shape == (8, 3, 32, 32)
    distances = torch.cdist(images.flatten(1), dataset.images.flatten(1)).min(dim=1).values
    assert (distances > 1e-3).all()
    assert torch.equal(images, validation_images(dataset, n=8))  # seeded
    assert (
        validation_images(
            ImageDataset(
                "folder:x", images, torch.zeros(8, 0), (), (), torch.arange(8), torch.arange(0)
            )  # fmt: skip
        )
        is None
    )


def test_validation_pairs_are_the_test_split_of_a_pole_copy(tmp_path) -> None:
    from aeai_lib.data import pole
    from aeai_lib.evaluation.protocol import interval_pairs

    dataset = pole.dataset(size=32, cache_dir=tmp_path)
    validation = validation_pairs_dataset(dataset, n_pairs=5)
    assert len(validation) == 576 + 10
    assert torch.equal(validation.train_idx, torch.arange(576))
    pairs = interval_pairs(validation, 80, "phi", "test")
    assert len(pairs) == 5
    assert set(pairs.sources.tolist()) | set(pairs.targets.tolist()) == set(range(576, 586))
    with pytest.raises(ValueError, match="pole and objects datasets only"):
        validation_pairs_dataset(lines.dataset(size=32, n_train=8, n_test=8, cache_dir=tmp_path))


# ---------------------------------------------------------------- the diagnostics plot


def test_plot_diagnostics_draws_every_recorded_panel(tmp_path) -> None:
    from aeai_lib.evaluation.training_plots import plot_diagnostics

    dataset = lines.dataset(size=32, n_train=64, n_test=16, cache_dir=tmp_path)
    method = make_method("aeai")
    result = train(dataset, method, _config(4, diagnostics_every=2), progress=False)
    figure = plot_diagnostics(result.diagnostics, title="AEAI")
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == [
        "gradient norms on the decoder",
        "gradient norms on the encoder",
        "held-out reconstruction",
        "discriminator, held-out",
    ]
    labels = {line.get_label() for line in figure.axes[0].get_lines()}
    assert labels == {"reconstruction", "adversarial", "cycle", "smoothness"}
    assert len(figure.axes[0].get_lines()[0].get_xdata()) == 3  # steps 0, 2, 3
    with pytest.raises(ValueError, match="diagnostics are empty"):
        plot_diagnostics({})
