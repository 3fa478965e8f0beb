"""The five baselines' losses on a tiny batch, against their documented forms, and their options.

Each loss is recomputed here by hand from the networks' own outputs and the same random draws
(a generator with the same seed), so a wrong sign, weight, target or pairing would show.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from aeai_lib.data.base import ImageDataset
from aeai_lib.methods import ADVERSARY, AUTOENCODER, METHODS, make_method
from aeai_lib.methods.acai import folded_alphas
from aeai_lib.methods.amr import MIXERS, mixing_weights
from aeai_lib.methods.beta_vae import kl_divergence
from aeai_lib.models import AutoencoderModel, ModelConfig

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)
BASELINES = ("aae", "acai", "beta-vae", "gaia", "amr")


def _generator(seed: int = 3) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _model(name: str, **options) -> tuple:
    method = make_method(name, **options)
    torch.manual_seed(0)
    return method, method.build_model(CONFIG)


@pytest.fixture(scope="module")
def batch(blob_dataset: ImageDataset) -> torch.Tensor:
    return blob_dataset.train_images[:8]


def bce_with_logits(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


# ---------------------------------------------------------------- registry and labels


@pytest.mark.parametrize(
    ("name", "label", "auxiliary"),
    [
        ("aae", "AAE", {"discriminator"}),
        ("acai", "ACAI", {"critic"}),
        ("beta-vae", "beta-VAE", set()),
        ("gaia", "GAIA", {"discriminator"}),
        ("amr", "AMR", {"discriminator"}),
    ],
)
def test_each_baseline_is_registered_with_its_networks(
    name: str, label: str, auxiliary: set[str]
) -> None:
    method, model = _model(name)
    assert name in METHODS and method.name == name and method.label == label
    assert model.label == label and model.method_name == name
    assert set(model.auxiliary) == auxiliary
    groups = method.parameter_groups(model)
    assert set(groups) == ({AUTOENCODER, ADVERSARY} if auxiliary else {AUTOENCODER})
    if auxiliary:  # the adversary group: the network (and the AAE's encoder, its phase)
        (network,) = model.auxiliary.values()
        expected = list(network.parameters())
        if name == "aae":
            expected += list(model.encoder.parameters())
        assert [id(p) for p in groups[ADVERSARY]] == [id(p) for p in expected]


@pytest.mark.parametrize("name", ["aae", "acai", "gaia", "amr"])
def test_optimisers_take_the_training_learning_rates(name: str) -> None:
    method, model = _model(name)
    optimizers = method.make_optimizers(method.parameter_groups(model), 3e-4, 5e-5)
    assert [o.param_groups[0]["lr"] for o in optimizers.values()] == [3e-4, 5e-5]
    betas = (0.5, 0.99) if name == "amr" else (0.9, 0.999)  # the code's, for both networks
    assert all(o.param_groups[0]["betas"] == betas for o in optimizers.values())


# ---------------------------------------------------------------- AAE


def test_aae_prior_samples_have_the_configured_shape_and_are_standard_normal() -> None:
    method = make_method("aae")
    samples = method.prior_samples(4000, 16, _generator())
    assert samples.shape == (4000, 16) and samples.dtype == torch.float32
    assert abs(samples.mean().item()) < 0.02 and abs(samples.std().item() - 1) < 0.02
    assert torch.equal(samples, method.prior_samples(4000, 16, _generator()))  # seeded


def test_aae_discriminator_is_an_mlp_of_two_hidden_layers_of_100() -> None:
    _, model = _model("aae")
    linears = [
        m for m in model.auxiliary["discriminator"].modules() if isinstance(m, torch.nn.Linear)
    ]
    assert [(m.in_features, m.out_features) for m in linears] == [(8, 100), (100, 100), (100, 1)]


def _aae_expected(model, batch: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(reconstruction, D's loss, the encoder's GAN term) by hand, with the draws of _generator."""
    codes = model.encoder(batch)
    prior = torch.randn(codes.shape, generator=_generator())  # the same draw
    discriminator = model.auxiliary["discriminator"]
    adversarial = bce_with_logits(discriminator(codes), 1.0)
    d_loss = bce_with_logits(discriminator(prior), 1.0) + bce_with_logits(discriminator(codes), 0.0)
    return F.mse_loss(model.decoder(codes), batch), d_loss, adversarial


def test_aae_joint_schedule_is_acais_weighted_sum(batch: torch.Tensor) -> None:
    method, model = _model("aae", schedule="joint")
    assert method.options.lambda_adv == 0.25  # ACAI's 1, on images in [-1, 1], over 4
    assert method.adversary_steps == 1
    losses = method.losses(model, batch, 0, _generator())
    reconstruction, d_loss, adversarial = _aae_expected(model, batch)
    torch.testing.assert_close(losses.terms["adversarial"], adversarial)
    torch.testing.assert_close(losses.objectives[ADVERSARY], d_loss)
    torch.testing.assert_close(losses.objectives[AUTOENCODER], reconstruction + 0.25 * adversarial)


def test_aae_phases_optimise_reconstruction_and_regularisation_apart(batch: torch.Tensor) -> None:
    method, model = _model("aae")
    assert method.options.schedule == "phases" and method.adversary_steps == 2
    groups = method.parameter_groups(model)
    encoder = list(model.encoder.parameters())
    assert [id(p) for p in groups[ADVERSARY][-len(encoder) :]] == [id(p) for p in encoder]
    reconstruction, d_loss, adversarial = _aae_expected(model, batch)

    phase = method.losses(model, batch, 0, _generator())  # the reconstruction phase
    assert set(phase.objectives) == {AUTOENCODER}
    torch.testing.assert_close(phase.objectives[AUTOENCODER], reconstruction)
    torch.testing.assert_close(phase.terms["adversarial"], adversarial)  # recorded only

    regularisation = method.adversary_losses(model, batch, 0, _generator())
    objective = regularisation.objectives[ADVERSARY]
    torch.testing.assert_close(objective, d_loss + adversarial)
    objective.backward(inputs=groups[ADVERSARY])
    d_params = list(model.auxiliary["discriminator"].parameters())
    expected_d = torch.autograd.grad(d_loss, d_params, retain_graph=True)  # D: its own loss only
    expected_encoder = torch.autograd.grad(adversarial, encoder)  # encoder: the GAN term only
    for param, grad in zip(d_params + encoder, expected_d + expected_encoder, strict=True):
        torch.testing.assert_close(param.grad, grad)
    assert all(p.grad is None for p in model.decoder.parameters())


# ---------------------------------------------------------------- ACAI


def test_acai_alphas_are_uniform_folded_to_half() -> None:
    alphas = folded_alphas(20000, _generator())
    assert alphas.min() >= 0 and alphas.max() <= 0.5
    assert abs(alphas.mean().item() - 0.25) < 0.005  # U(0, 0.5)


def test_acai_critic_regresses_the_folded_alpha_and_zero_on_the_gamma_blend(
    batch: torch.Tensor,
) -> None:
    method, model = _model("acai")
    assert (method.options.gamma, method.options.lambda_critic) == (0.2, 0.125)
    losses = method.losses(model, batch, 0, _generator())
    codes = model.encoder(batch)
    alphas = folded_alphas(len(batch), _generator())
    mixes = alphas[:, None] * codes + (1 - alphas[:, None]) * codes.flip(0)  # reversed partner
    critic = model.auxiliary["critic"]
    mixed_scores = critic(model.decoder(mixes))
    blend = 0.2 * batch + 0.8 * model.decoder(codes)
    expected_critic = (mixed_scores - alphas).square().mean() + critic(blend).square().mean()
    torch.testing.assert_close(losses.objectives[ADVERSARY], expected_critic)
    torch.testing.assert_close(losses.terms["critic_ae"], mixed_scores.square().mean())
    reconstruction = F.mse_loss(model.decoder(codes), batch)
    torch.testing.assert_close(
        losses.objectives[AUTOENCODER], reconstruction + 0.125 * mixed_scores.square().mean()
    )


def test_acai_mix_pairs_each_code_with_the_batch_reversed() -> None:
    method = make_method("acai")
    codes = torch.arange(12.0).reshape(4, 3)
    alphas, mixes = method.mix(codes, _generator())
    for k in range(4):
        torch.testing.assert_close(mixes[k], alphas[k] * codes[k] + (1 - alphas[k]) * codes[3 - k])


# ---------------------------------------------------------------- beta-VAE


def test_kl_is_zero_at_the_prior_and_known_elsewhere() -> None:
    zeros = torch.zeros(3, 5)
    assert torch.equal(kl_divergence(zeros, zeros), torch.zeros(3))
    torch.testing.assert_close(kl_divergence(torch.ones(3, 5), zeros), torch.full((3,), 2.5))
    log_variance = torch.full((1, 4), 2.0)  # sigma^2 = e^2: 1/2 (e^2 - 1 - 2) per coordinate
    expected = 0.5 * 4 * (torch.e**2 - 3)
    torch.testing.assert_close(kl_divergence(torch.zeros(1, 4), log_variance)[0].item(), expected)


def test_beta_vae_loss_is_bernoulli_nll_plus_beta_kl_per_pixel(batch: torch.Tensor) -> None:
    method, model = _model("beta-vae", beta=4.0)
    losses = method.losses(model, batch, 0, _generator())
    mean, log_variance = model.encoder.distribution(batch)
    noise = torch.randn(mean.shape, generator=_generator())
    decoded = model.decoder(mean + (0.5 * log_variance).exp() * noise)
    nll = F.binary_cross_entropy(decoded, batch)
    kl = kl_divergence(mean, log_variance).mean()
    torch.testing.assert_close(losses.terms["nll"], nll)
    torch.testing.assert_close(losses.terms["kl"], kl)
    torch.testing.assert_close(losses.objectives[AUTOENCODER], nll + 4.0 * kl / (32 * 32))
    with torch.no_grad():  # interpolation codes are the means
        torch.testing.assert_close(model.encode(batch), mean)


def test_beta_vae_capacity_schedule(batch: torch.Tensor) -> None:
    method, model = _model("beta-vae", capacity=25.0, capacity_steps=100, capacity_weight=1000.0)
    assert [method.capacity_at(s) for s in (0, 50, 100, 400)] == [0.0, 12.5, 25.0, 25.0]
    losses = method.losses(model, batch, 50, _generator())
    kl, nll = losses.terms["kl"], losses.terms["nll"]
    torch.testing.assert_close(
        losses.objectives[AUTOENCODER], nll + 1000.0 * (kl - 12.5).abs() / (32 * 32)
    )
    method.check_schedule(100)
    with pytest.raises(ValueError, match="capacity_steps = 100 is longer than the run's 99"):
        method.check_schedule(99)
    make_method("beta-vae", capacity_steps=10**6).check_schedule(10)  # unused without capacity


# ---------------------------------------------------------------- GAIA


def test_gaia_interpolates_batch_halves_with_coefficients_around_a_half() -> None:
    method = make_method("gaia")
    codes = torch.arange(8.0).reshape(4, 2)  # halves [0, 1] and [2, 3]
    mixes = method.mix(codes, _generator())
    m = 0.5 + 0.25 * torch.randn(4, 1, generator=_generator())
    first = torch.stack([codes[0], codes[1], codes[1], codes[0]])  # as is, then reversed
    second = torch.stack([codes[2], codes[3], codes[2], codes[3]])
    torch.testing.assert_close(mixes, m * first + (1 - m) * second)
    coefficients = 0.5 + 0.25 * torch.randn(20000, generator=_generator())
    assert (coefficients > 1).any() and (coefficients < 0).any()  # not clipped: extrapolates


@pytest.mark.parametrize("lambda_reconstruction", [0.0, 3.0])
def test_gaia_losses_and_balance_match_their_documented_form(
    batch: torch.Tensor, lambda_reconstruction: float
) -> None:
    method, model = _model("gaia", lambda_reconstruction=lambda_reconstruction)
    groups = method.parameter_groups(model)
    optimizers = method.make_optimizers(groups, lr=1e-4, adversary_lr=2e-4)
    losses = method.losses(model, batch, 0, _generator())
    codes = model.encoder(batch)
    interpolants = model.decoder(method.mix(codes, _generator()))
    reconstructions = model.decoder(codes)
    d = model.auxiliary["discriminator"]
    e_x = (batch - d(batch)).abs().mean()
    e_r = (batch - d(reconstructions)).abs().mean()  # judged against x itself
    e_i = (interpolants - d(interpolants)).abs().mean()
    for key, value in (("d_real", e_x), ("d_reconstruction", e_r), ("d_interpolant", e_i)):
        torch.testing.assert_close(losses.terms[key], value)
    s_d = min(torch.sigmoid(20 * (0.5 * e_i - e_x)).item(), 0.9)
    s_g = torch.sigmoid(20 * (e_i - e_r)).item()
    s = torch.sigmoid(20 * (e_x - (e_r + e_i) / 2)).item()
    torch.testing.assert_close(losses.objectives[ADVERSARY], e_x - s_d * (e_r + e_i) / 2)
    direct = lambda_reconstruction * (batch - reconstructions).abs().mean()
    torch.testing.assert_close(losses.objectives[AUTOENCODER], s_g * e_i + (1 - s_g) * e_r + direct)
    assert optimizers[ADVERSARY].param_groups[0]["lr"] == pytest.approx(s * 2e-4)
    assert optimizers[AUTOENCODER].param_groups[0]["lr"] == pytest.approx((1 - s) * 1e-4)
    assert losses.terms["d_lr_share"].item() == pytest.approx(s)


def test_gaia_without_balanced_rates_keeps_the_maxima(batch: torch.Tensor) -> None:
    method, model = _model("gaia", balance_learning_rates=False)
    optimizers = method.make_optimizers(method.parameter_groups(model), 1e-4, 2e-4)
    method.losses(model, batch, 0, _generator())
    assert optimizers[AUTOENCODER].param_groups[0]["lr"] == 1e-4
    assert optimizers[ADVERSARY].param_groups[0]["lr"] == 2e-4


def test_gaia_shares_follow_the_players_errors() -> None:
    method = make_method("gaia")
    losing_d = method.shares(real=0.2, recon=0.05, interp=0.05)  # D reconstructs real badly
    assert losing_d["d_lr"] > 0.9  # so D gets nearly all the learning rate
    assert method.shares(real=0.01, recon=0.5, interp=0.5)["d_fake"] == 0.9  # the ceiling


# ---------------------------------------------------------------- AMR


@pytest.mark.parametrize("mixer", MIXERS)
def test_amr_mixing_weights(mixer: str) -> None:
    weights = mixing_weights(mixer, 64, 10, _generator())
    assert weights.shape == ((64, 1) if mixer == "mixup" else (64, 10))
    assert weights.min() >= 0 and weights.max() <= 1
    binary = set(weights.unique().tolist()) <= {0.0, 1.0}
    assert binary == mixer.startswith("bernoulli")
    if mixer == "bernoulli_batch_p":  # one p for the batch: the share of ones is about p
        p = torch.rand(1, generator=_generator()).item()
        assert abs(weights.mean().item() - p) < 0.1


def test_amr_losses_match_their_documented_form(batch: torch.Tensor) -> None:
    method, model = _model("amr")
    assert method.options.lambda_reconstruction == 100.0  # the code's 50 on [-1, 1], times 2
    assert method.adversary_steps == 5
    losses = method.losses(model, batch, 0, _generator())
    codes = model.encoder(batch)
    generator = _generator()
    partners = torch.randperm(len(batch), generator=generator)
    m = torch.rand(len(batch), 1, generator=generator)
    mixed = model.decoder(m * codes + (1 - m) * codes[partners])
    reconstructions = model.decoder(codes)
    d = model.auxiliary["discriminator"]
    expected_d = (
        bce_with_logits(d(batch), 1.0)
        + bce_with_logits(d(reconstructions), 0.0)
        + bce_with_logits(d(mixed), 0.0)
    )
    l1 = (reconstructions - batch).abs().mean()
    expected_g = (
        100.0 * l1 + bce_with_logits(d(reconstructions), 1.0) + bce_with_logits(d(mixed), 1.0)
    )
    torch.testing.assert_close(losses.objectives[ADVERSARY], expected_d, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(losses.objectives[AUTOENCODER], expected_g, rtol=1e-4, atol=1e-5)


def test_amr_options_change_the_terms(batch: torch.Tensor) -> None:
    method, model = _model("amr", gan_on_reconstructions=False, lambda_consistency=1.0)
    losses = method.losses(model, batch, 0, _generator())
    assert "consistency" in losses.terms and losses.terms["consistency"] > 0
    extra = method.adversary_losses(model, batch, 0, _generator())
    assert set(extra.objectives) == {ADVERSARY}
    extra.objectives[ADVERSARY].backward()  # reaches D only: the fakes were decoded without grad
    assert all(p.grad is not None for p in model.auxiliary["discriminator"].parameters())
    assert all(p.grad is None for p in [*model.encoder.parameters(), *model.decoder.parameters()])


def test_amr_optimisers_and_spectral_norm() -> None:
    method, model = _model("amr")
    optimizers = method.make_optimizers(method.parameter_groups(model), 1e-4, 1e-4)
    for optimizer in optimizers.values():
        (group,) = optimizer.param_groups
        assert group["betas"] == (0.5, 0.99) and group["weight_decay"] == 1e-5
    names = [name for name, _ in model.auxiliary["discriminator"].named_parameters()]
    assert any("parametrizations.weight.original" in name for name in names)


# ---------------------------------------------------------------- options


BAD_OPTIONS: dict[str, list[tuple[str, object]]] = {
    "aae": [
        ("schedule", "alternating"),
        ("lambda_adv", -1.0),
        ("hidden_units", 0),
        ("hidden_layers", -1),
    ],
    "acai": [("lambda_critic", -0.1), ("gamma", 1.5), ("gamma", float("nan"))],
    "beta-vae": [
        ("beta", -1.0),
        ("capacity", -1.0),
        ("capacity_steps", 0),
        ("capacity_weight", float("inf")),
    ],
    "gaia": [
        ("mix_mean", 1.5),
        ("mix_std", -0.1),
        ("balance_slope", -1.0),
        ("sigma", -1.0),
        ("max_fake_share", 2.0),
        ("balance_learning_rates", "yes"),
        ("lambda_reconstruction", -1.0),
    ],
    "amr": [
        ("lambda_reconstruction", -1.0),
        ("mixer", "fm3"),
        ("lambda_consistency", -1.0),
        ("gan_on_reconstructions", 1),
        ("discriminator_steps", 0),
        ("spectral_norm", "no"),
        ("adam_beta1", 1.0),
        ("adam_beta2", -0.1),
        ("weight_decay", -1e-5),
    ],
}


def test_every_option_of_every_baseline_has_a_refused_value() -> None:
    for name in BASELINES:
        fields = {f.name for f in dataclasses.fields(METHODS[name][0].Options)}
        assert fields == {option for option, _ in BAD_OPTIONS[name]}, name


@pytest.mark.parametrize(
    ("name", "option", "value"),
    [(name, option, value) for name, cases in BAD_OPTIONS.items() for option, value in cases],
)
def test_bad_option_values_are_refused_by_name(name: str, option: str, value: object) -> None:
    with pytest.raises((ValueError, TypeError), match=option):
        make_method(name, **{option: value})


@pytest.mark.parametrize("name", BASELINES)
def test_defaults_are_accepted_and_unknown_options_refused(name: str) -> None:
    defaults = METHODS[name][0].Options()
    assert make_method(name).options == defaults
    with pytest.raises(ValueError, match=rf"unknown option\(s\) \['lambda_smooth'\].*{name}"):
        make_method(name, lambda_smooth=0.1)


def test_models_keep_the_shared_architecture() -> None:
    """Every baseline's decoder is the library's; only the beta-VAE's encoder head differs."""
    reference = AutoencoderModel(CONFIG)
    for name in BASELINES:
        _, model = _model(name)
        decoder_shapes = [p.shape for p in model.decoder.parameters()]
        assert decoder_shapes == [p.shape for p in reference.decoder.parameters()], name
        encoder_shapes = [p.shape for p in model.encoder.parameters()]
        reference_shapes = [p.shape for p in reference.encoder.parameters()]
        if name == "beta-vae":  # mean and log-variance: a head twice as wide
            assert encoder_shapes[:-2] == reference_shapes[:-2]
            assert encoder_shapes[-1] == (2 * CONFIG.latent_dim,)
        else:
            assert encoder_shapes == reference_shapes, name
