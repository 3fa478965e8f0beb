"""Tests for aeai_lib.methods: labels, option checks, the loss terms and their weighting."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.interpolation import alpha_grid, lerp
from aeai_lib.losses import (
    cycle_consistency_loss,
    decode_with_velocity,
    discriminator_loss,
    generator_adversarial_loss,
    reconstruction_loss,
    smoothness_loss,
)
from aeai_lib.methods import (
    ADVERSARY,
    AEAI,
    AUTOENCODER,
    AEAIOptions,
    make_method,
    method_from_record,
)
from aeai_lib.models import AutoencoderModel, ModelConfig

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _model(method: AEAI, seed: int = 0) -> AutoencoderModel:
    torch.manual_seed(seed)
    return method.build_model(CONFIG)


@pytest.fixture(scope="module")
def batch(blob_dataset: ImageDataset) -> torch.Tensor:
    """8 training images: 4 pairs."""
    return blob_dataset.train_images[:8]


# ---------------------------------------------------------------- names, labels, networks


def test_plain_autoencoder() -> None:
    method = make_method("ae")
    assert isinstance(method, AEAI)
    assert method.label == "AE"
    assert (method.options.lambda_adv, method.options.lambda_cycle) == (0.0, 0.0)
    assert method.options.lambda_smooth == 0.0
    model = _model(method)
    assert "discriminator" not in model.auxiliary
    assert set(method.parameter_groups(model)) == {AUTOENCODER}


def test_aeai_defaults_are_the_swept_ones() -> None:
    method = make_method("aeai")
    assert method.label == "AE+A+C+S"
    o = method.options
    assert (o.lambda_adv, o.lambda_cycle, o.lambda_smooth) == (1e-3, 0.01, 3e-3)
    assert (o.r1_weight, o.smoothness, o.alphas_per_pair) == (1.0, "sibling", 1)
    assert method.default_adversary_lr == 1e-3
    model = _model(method)
    assert "discriminator" in model.auxiliary
    groups = method.parameter_groups(model)
    assert set(groups) == {AUTOENCODER, ADVERSARY}
    n_discriminator = sum(p.numel() for p in model.auxiliary["discriminator"].parameters())
    assert sum(p.numel() for p in groups[ADVERSARY]) == n_discriminator
    n_autoencoder = sum(
        p.numel() for p in [*model.encoder.parameters(), *model.decoder.parameters()]
    )
    assert sum(p.numel() for p in groups[AUTOENCODER]) == n_autoencoder


@pytest.mark.parametrize(
    ("options", "label"),
    [
        ({}, "AE"),
        ({"lambda_adv": 0.01}, "AE+A"),
        ({"lambda_adv": 0.01, "lambda_cycle": 0.01}, "AE+A+C"),
        ({"lambda_adv": 0.01, "lambda_cycle": 0.01, "lambda_smooth": 0.1}, "AE+A+C+S"),
        ({"lambda_smooth": 0.1}, "AE+S"),
        ({"lambda_cycle": 0.5}, "AE+C"),
    ],
)
def test_labels_follow_the_terms_switched_on(options: dict, label: str) -> None:
    method = make_method("ae", **options)
    assert method.label == label
    assert ("discriminator" in _model(method).auxiliary) == ("lambda_adv" in options)


def test_aeai_with_a_lambda_switched_off() -> None:
    assert make_method("aeai", lambda_smooth=0.0).label == "AE+A+C"


def test_method_from_record_round_trip() -> None:
    method = make_method("aeai", lambda_cycle=0.5, grid_intervals=8, alphas_per_pair=None)
    rebuilt = method_from_record({"name": method.name, "options": method.options_dict()})
    assert rebuilt.options == method.options
    assert rebuilt.label == method.label
    plain = make_method("ae")
    assert method_from_record({"name": plain.name, "options": plain.options_dict()}).label == "AE"


# ---------------------------------------------------------------- option errors


@pytest.mark.parametrize(
    ("name", "options", "error", "match"),
    [
        ("aeai", {"lambda_adv": -0.1}, ValueError, "lambda_adv must be a finite number >= 0"),
        ("aeai", {"lambda_cycle": float("nan")}, ValueError, "lambda_cycle must be a finite"),
        ("aeai", {"lambda_smooth": -1}, ValueError, "lambda_smooth must be a finite number >= 0"),
        ("aeai", {"lambda_smooth": "0.1"}, TypeError, "lambda_smooth must be a number"),
        ("aeai", {"grid_intervals": 0}, ValueError, r"grid_intervals \(M\) must be >= 1, got 0"),
        ("aeai", {"grid_intervals": 1}, ValueError, r"M\) = 1 leaves no interpolant"),
        ("ae", {"grid_intervals": 1, "lambda_smooth": 0.1}, ValueError, "leaves no interpolant"),
        (
            "aeai",
            {"grid_intervals": 4, "alphas_per_pair": 4, "smoothness": "jvp"},
            ValueError,
            r"alphas_per_pair = 4 exceeds the 3 interior grid points that can be drawn \(M = 4\)",
        ),
        (
            "aeai",
            {"grid_intervals": 4, "alphas_per_pair": 3},
            ValueError,
            r"exceeds the 2 interior grid points that can be drawn \(M = 4, sibling smoothness",
        ),
        ("aeai", {"alphas_per_pair": 0}, ValueError, "alphas_per_pair must be >= 1"),
        (
            "aeai",
            {"smoothness": "finite_difference"},
            ValueError,
            "smoothness='finite_difference' needs the whole alpha grid",
        ),
        (
            "aeai",
            {"smoothness": "autograd"},
            ValueError,
            "unknown smoothness estimator 'autograd'; choose one of: finite_difference, jvp, "
            "sibling",
        ),
        ("aeai", {"discriminator_every": 0}, ValueError, "discriminator_every must be >= 1"),
        (
            "vae",
            {},
            ValueError,
            "unknown method 'vae'; choose one of: aae, acai, advai, ae, aeai, amr, beta-vae, gaia",
        ),
        (
            "aeai",
            {"lamda_adv": 0.01},
            ValueError,
            r"unknown option\(s\) \['lamda_adv'\] for method 'aeai'; known: .*'lambda_adv'",
        ),
    ],
)
def test_bad_options_raise(name: str, options: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make_method(name, **options)


def test_m_of_one_is_fine_without_interpolation_terms() -> None:
    assert make_method("ae", grid_intervals=1).label == "AE"


# ---------------------------------------------------------------- sampled alphas


def test_sampled_alphas_are_distinct_interior_grid_points() -> None:
    method = make_method("aeai", grid_intervals=8, alphas_per_pair=3, smoothness="jvp")
    alphas = method.sample_alphas(200, _generator())
    assert alphas.shape == (200, 3)
    steps = alphas * 8
    assert torch.allclose(steps, steps.round(), atol=1e-5)  # on the grid n / M
    assert steps.round().min() >= 1 and steps.round().max() <= 7  # interior only
    for row in steps.round():
        assert len(set(row.tolist())) == 3
    assert len({tuple(row.tolist()) for row in steps.round()}) > 50  # pairs differ
    assert set(steps.round().flatten().tolist()) == set(range(1, 8))  # every point is visited
    assert torch.equal(alphas, method.sample_alphas(200, _generator()))  # seeded
    assert not torch.equal(alphas, method.sample_alphas(200, _generator(1)))


def test_the_whole_grid_when_alphas_per_pair_is_none() -> None:
    method = make_method("aeai", grid_intervals=4, alphas_per_pair=None, smoothness="jvp")
    alphas = method.sample_alphas(3, _generator())
    assert torch.equal(alphas, torch.tensor([[0.25, 0.5, 0.75]] * 3))
    sibling = make_method("aeai", grid_intervals=4, alphas_per_pair=None)
    assert torch.equal(  # every point with its sibling: (1/4, 2/4) and (2/4, 3/4)
        sibling.sample_alphas(3, _generator()), torch.tensor([[0.25, 0.5, 0.5, 0.75]] * 3)
    )


# ---------------------------------------------------------------- the loss terms


def test_all_lambdas_zero_is_exactly_the_reconstruction_loss(batch: torch.Tensor) -> None:
    method = AEAI(AEAIOptions(lambda_adv=0.0, lambda_cycle=0.0, lambda_smooth=0.0))
    model = _model(method).train()
    losses = method.losses(model, batch, 0, _generator())
    expected = reconstruction_loss(batch, model.decoder(model.encoder(batch)))
    assert set(losses.terms) == {"reconstruction"}
    assert set(losses.objectives) == {AUTOENCODER}
    assert torch.equal(losses.objectives[AUTOENCODER], expected)
    assert torch.equal(losses.terms["reconstruction"], expected)


@pytest.mark.parametrize(
    ("options", "terms"),
    [
        ({}, {"reconstruction"}),
        ({"lambda_adv": 0.01}, {"reconstruction", "adversarial", "discriminator", "total"}),
        ({"lambda_cycle": 0.01}, {"reconstruction", "cycle", "total"}),
        ({"lambda_smooth": 0.1}, {"reconstruction", "smoothness", "total"}),
        (
            {"lambda_adv": 0.01, "lambda_cycle": 0.01},
            {"reconstruction", "adversarial", "discriminator", "cycle", "total"},
        ),
        (
            {"lambda_adv": 0.01, "lambda_cycle": 0.01, "lambda_smooth": 0.1},
            {"reconstruction", "adversarial", "discriminator", "cycle", "smoothness", "total"},
        ),
    ],
    ids=["AE", "AE+A", "AE+C", "AE+S", "AE+A+C", "AE+A+C+S"],
)
def test_terms_for_each_configuration(batch: torch.Tensor, options: dict, terms: set) -> None:
    method = make_method("ae", grid_intervals=4, alphas_per_pair=2, r1_weight=0.0, **options)
    losses = method.losses(_model(method), batch, 0, _generator())
    assert set(losses.terms) == terms
    expected_groups = {AUTOENCODER, ADVERSARY} if "lambda_adv" in options else {AUTOENCODER}
    assert set(losses.objectives) == expected_groups
    for name, value in losses.terms.items():
        assert value.dim() == 0, name
        assert torch.isfinite(value), name
        assert value.item() >= 0, name
    if "total" in terms:
        assert losses.objectives[AUTOENCODER] is losses.terms["total"]
    if ADVERSARY in expected_groups:
        assert losses.objectives[ADVERSARY] is losses.terms["discriminator"]


def test_total_is_reconstruction_plus_weighted_terms(batch: torch.Tensor) -> None:
    lambdas = {"lambda_adv": 0.3, "lambda_cycle": 0.2, "lambda_smooth": 0.5}
    method = make_method("aeai", grid_intervals=4, alphas_per_pair=2, **lambdas)
    terms = method.losses(_model(method), batch, 0, _generator()).terms
    expected = (
        terms["reconstruction"]
        + 0.3 * terms["adversarial"]
        + 0.2 * terms["cycle"]
        + 0.5 * terms["smoothness"]
    )
    assert terms["total"].item() == pytest.approx(expected.item(), rel=1e-6)
    assert terms["total"].item() > terms["reconstruction"].item()


def test_terms_match_a_hand_computation(batch: torch.Tensor) -> None:
    """Pairs (x[k], x[k + B/2]), the whole grid with its endpoints, eval mode (no batch stats)."""
    method = make_method(
        "aeai", grid_intervals=4, alphas_per_pair=None, lambda_cycle=0.2, smoothness="jvp"
    )
    model = _model(method).eval()
    with torch.no_grad():
        terms = method.losses(model, batch, 0, _generator()).terms
        codes = model.encoder(batch)
        z1, z2 = codes[:4], codes[4:]
        grid = lerp(z1, z2, alpha_grid(4))  # (4 pairs, 5, D)
        interior = grid[:, 1:-1].flatten(0, 1)
        reconstructions = model.decoder(codes)
        path_images = model.decoder(interior)
        discriminator = model.auxiliary["discriminator"]
        real_logits, fake_logits = discriminator(batch), discriminator(path_images)
        all_grid_codes = torch.cat([codes, interior])
        recycled = model.encoder(torch.cat([reconstructions, path_images]))
        directions = (z2 - z1).unsqueeze(1).expand(-1, 5, -1).flatten(0, 1)
        _, velocities = decode_with_velocity(model.decoder, grid.flatten(0, 1), directions)
    expected = {
        "reconstruction": reconstruction_loss(batch, reconstructions),
        "adversarial": generator_adversarial_loss(fake_logits),
        "discriminator": discriminator_loss(real_logits, fake_logits),
        "cycle": cycle_consistency_loss(all_grid_codes, recycled),
        "smoothness": smoothness_loss(velocities),
    }
    for name, value in expected.items():
        assert terms[name].item() == pytest.approx(value.item(), rel=1e-4, abs=1e-9), name


def test_endpoints_as_fakes_adds_the_reconstructions_to_the_fakes(batch: torch.Tensor) -> None:
    method = make_method(
        "aeai", grid_intervals=4, alphas_per_pair=None, endpoints_as_fakes=True, smoothness="jvp"
    )
    model = _model(method).eval()
    with torch.no_grad():
        terms = method.losses(model, batch, 0, _generator()).terms
        codes = model.encoder(batch)
        interior = lerp(codes[:4], codes[4:], alpha_grid(4)[1:-1]).flatten(0, 1)
        fakes = torch.cat([model.decoder(codes), model.decoder(interior)])
        fake_logits = model.auxiliary["discriminator"](fakes)
    expected = generator_adversarial_loss(fake_logits).item()
    assert terms["adversarial"].item() == pytest.approx(expected, rel=1e-4)


def test_an_unpaired_odd_image_is_left_out_of_the_path_terms(batch: torch.Tensor) -> None:
    method = make_method("aeai", grid_intervals=4, alphas_per_pair=None, smoothness="jvp")
    model = _model(method).eval()  # eval: every image is processed on its own
    five = torch.cat([batch[:2], batch[4:6], batch[7:8]])  # pairs (0, 2), (1, 3) + image 4
    four = five[:4]
    with torch.no_grad():
        odd = method.losses(model, five, 0, _generator()).terms
        even = method.losses(model, four, 0, _generator()).terms
    for name in ("smoothness", "cycle", "adversarial"):
        assert odd[name].item() == pytest.approx(even[name].item(), rel=1e-4), name
    assert odd["reconstruction"].item() != pytest.approx(even["reconstruction"].item(), rel=1e-6)


def test_a_single_image_cannot_form_pairs(batch: torch.Tensor) -> None:
    method = make_method("aeai", grid_intervals=4, alphas_per_pair=1)
    with pytest.raises(ValueError, match="at least 2 images to form pairs"):
        method.losses(_model(method), batch[:1], 0, _generator())


def test_finite_difference_smoothness_is_close_to_the_jvp_one(batch: torch.Tensor) -> None:
    smooth_only = {"lambda_adv": 0.0, "lambda_cycle": 0.0, "grid_intervals": 8}
    jvp = make_method("aeai", alphas_per_pair=None, smoothness="jvp", **smooth_only)
    fd = make_method("aeai", alphas_per_pair=None, smoothness="finite_difference", **smooth_only)
    model = _model(jvp).train()
    jvp_value = jvp.losses(model, batch, 0, _generator()).terms["smoothness"].item()
    fd_value = fd.losses(model, batch, 0, _generator()).terms["smoothness"].item()
    print(f"smoothness at M=8: JVP {jvp_value:.4g}, finite differences {fd_value:.4g}")
    assert jvp_value > 0 and fd_value > 0
    assert fd_value == pytest.approx(jvp_value, rel=0.1)


def test_discriminator_every_two_skips_the_adversary_on_odd_steps(batch: torch.Tensor) -> None:
    method = make_method("aeai", grid_intervals=4, alphas_per_pair=1, discriminator_every=2)
    model = _model(method)
    for step, updated in [(0, True), (1, False), (2, True), (3, False)]:
        losses = method.losses(model, batch, step, _generator())
        assert (ADVERSARY in losses.objectives) is updated, step
        assert "discriminator" in losses.terms  # still recorded every step
        assert AUTOENCODER in losses.objectives


def test_losses_use_the_generator_for_alphas(batch: torch.Tensor) -> None:
    method = make_method("aeai", lambda_adv=0.0, grid_intervals=8, alphas_per_pair=1)
    model = _model(method).eval()
    with torch.no_grad():
        first = method.losses(model, batch, 0, _generator(0)).terms["cycle"]
        again = method.losses(model, batch, 0, _generator(0)).terms["cycle"]
        other = method.losses(model, batch, 0, _generator(5)).terms["cycle"]
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
