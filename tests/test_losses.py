"""Tests for aeai_lib.losses on hand-made cases, and JVP velocities against finite differences."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from aeai_lib.interpolation import alpha_grid, lerp
from aeai_lib.losses import (
    cycle_consistency_loss,
    decode_with_velocity,
    discriminator_loss,
    finite_difference_smoothness,
    generator_adversarial_loss,
    reconstruction_loss,
    smoothness_loss,
)
from aeai_lib.models import Decoder, ModelConfig

# ---------------------------------------------------------------- reconstruction


def test_reconstruction_loss_is_zero_for_identical_images() -> None:
    images = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert reconstruction_loss(images, images.clone()).item() == 0.0


def test_reconstruction_loss_of_a_constant_offset_is_its_square() -> None:
    images = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert reconstruction_loss(images, images + 0.1).item() == pytest.approx(0.01, rel=1e-9)
    half = images.clone()
    half[:, :, :4] += 0.2  # half the pixels off by 0.2: mean 0.02
    assert reconstruction_loss(images, half).item() == pytest.approx(0.02, rel=1e-9)


# ---------------------------------------------------------------- adversarial


def test_generator_loss_is_minus_log_d_for_known_logits() -> None:
    # logits 0 and log 3 mean D = 1/2 and 3/4.
    logits = torch.tensor([0.0, math.log(3.0)], dtype=torch.float64)
    expected = (-math.log(0.5) - math.log(0.75)) / 2
    assert generator_adversarial_loss(logits).item() == pytest.approx(expected, rel=1e-12)


def test_generator_loss_is_small_when_fakes_fool_the_discriminator() -> None:
    assert generator_adversarial_loss(torch.tensor([20.0, 30.0])).item() < 1e-8
    assert generator_adversarial_loss(torch.tensor([-20.0])).item() == pytest.approx(20.0, rel=1e-6)


def test_discriminator_loss_for_known_logits() -> None:
    real = torch.tensor([0.0, math.log(3.0)], dtype=torch.float64)  # D = 1/2, 3/4
    fake = torch.tensor([math.log(1 / 3)], dtype=torch.float64)  # D = 1/4
    expected = (-math.log(0.5) - math.log(0.75)) / 2 - math.log(1 - 0.25)
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-12)
    # The same as binary cross-entropy with reals labelled 1 and fakes 0.
    bce = F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    assert discriminator_loss(real, fake).item() == pytest.approx(bce.item(), rel=1e-12)


def test_discriminator_loss_is_near_zero_for_a_perfect_discriminator() -> None:
    assert discriminator_loss(torch.tensor([30.0]), torch.tensor([-30.0])).item() < 1e-8
    assert discriminator_loss(torch.tensor([0.0]), torch.tensor([0.0])).item() == pytest.approx(
        2 * math.log(2)
    )


# ---------------------------------------------------------------- cycle consistency


def _orthogonal_pair(latent: int = 4, pixels: int = 6) -> tuple[nn.Linear, nn.Linear]:
    """A linear decoder z -> W z with orthonormal columns, and its inverse encoder x -> W^T x."""
    generator = torch.Generator().manual_seed(0)
    w, _ = torch.linalg.qr(torch.randn(pixels, latent, generator=generator, dtype=torch.float64))
    decoder = nn.Linear(latent, pixels, bias=False).double()
    encoder = nn.Linear(pixels, latent, bias=False).double()
    with torch.no_grad():
        decoder.weight.copy_(w)
        encoder.weight.copy_(w.T)
    return encoder, decoder


def test_cycle_loss_is_zero_when_the_encoder_inverts_the_decoder() -> None:
    encoder, decoder = _orthogonal_pair()
    codes = torch.randn(10, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert cycle_consistency_loss(codes, encoder(decoder(codes))).item() < 1e-24


def test_cycle_loss_is_positive_when_the_encoder_does_not_invert_the_decoder() -> None:
    encoder, decoder = _orthogonal_pair()
    with torch.no_grad():
        encoder.weight.mul_(0.5)  # f(g(z)) = z / 2
    codes = torch.randn(10, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    loss = cycle_consistency_loss(codes, encoder(decoder(codes))).item()
    relative = (0.5 * codes).pow(2).mean() / codes.var(dim=0).mean()
    assert loss == pytest.approx(relative.item(), rel=1e-9)
    assert loss > 0.01


def test_cycle_loss_cannot_be_lowered_by_shrinking_the_codes() -> None:
    codes = torch.randn(10, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    recycled = 0.5 * codes + 0.1
    loss = cycle_consistency_loss(codes, recycled)
    shrunk = cycle_consistency_loss(1e-3 * codes, 1e-3 * recycled)
    assert shrunk.item() == pytest.approx(loss.item(), rel=1e-9)


# ---------------------------------------------------------------- smoothness


def _path(x_i: torch.Tensor, x_j: torch.Tensor, schedule: torch.Tensor) -> torch.Tensor:
    """Images (1, M + 1, C, H, W) on the straight segment from x_i to x_j at ``schedule``."""
    s = schedule.reshape(1, -1, 1, 1, 1).to(x_i.dtype)
    return (1 - s) * x_i.unsqueeze(1) + s * x_j.unsqueeze(1)


def test_finite_difference_smoothness_of_a_straight_path() -> None:
    generator = torch.Generator().manual_seed(0)
    x_i = torch.rand(1, 1, 6, 6, generator=generator, dtype=torch.float64)
    x_j = torch.rand(1, 1, 6, 6, generator=generator, dtype=torch.float64)
    grid = alpha_grid(8).double()
    expected = (x_j - x_i).pow(2).mean().item()
    assert finite_difference_smoothness(_path(x_i, x_j, grid)).item() == pytest.approx(
        expected, rel=1e-10
    )
    # The exact velocity of the straight path is x_j - x_i at every alpha.
    velocities = (x_j - x_i).expand(9, -1, -1, -1)
    assert smoothness_loss(velocities).item() == pytest.approx(expected, rel=1e-12)


def test_constant_speed_is_smoother_than_an_uneven_path() -> None:
    generator = torch.Generator().manual_seed(0)
    x_i = torch.rand(1, 3, 4, 4, generator=generator, dtype=torch.float64)
    x_j = torch.rand(1, 3, 4, 4, generator=generator, dtype=torch.float64)
    grid = alpha_grid(16).double()
    even = finite_difference_smoothness(_path(x_i, x_j, grid)).item()
    uneven = finite_difference_smoothness(_path(x_i, x_j, grid**3)).item()
    assert uneven > 1.5 * even  # int_0^1 (3 a^2)^2 da = 9/5 times the even path's value


@pytest.mark.parametrize("shape", [(2, 5, 4, 4), (2, 1, 1, 4, 4)], ids=["4-D", "M=0"])
def test_finite_difference_smoothness_rejects_bad_paths(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"path must be \(N, M \+ 1, C, H, W\) with M >= 1"):
        finite_difference_smoothness(torch.zeros(shape))


# ---------------------------------------------------------------- JVP velocities


def _mlp_decoder(latent: int = 4, scale: float = 3.0) -> nn.Module:
    """A smooth float64 decoder z -> (2, 4, 4) images, curved enough for paths to bend."""
    torch.manual_seed(0)
    decoder = nn.Sequential(
        nn.Linear(latent, 32),
        nn.Tanh(),
        nn.Linear(32, 2 * 4 * 4),
        nn.Tanh(),
        nn.Unflatten(1, (2, 4, 4)),
    ).double()
    with torch.no_grad():
        for parameter in decoder.parameters():
            parameter.mul_(scale)
    return decoder


def _jvp_and_fd_smoothness(decoder: nn.Module, m: int) -> tuple[float, float]:
    generator = torch.Generator().manual_seed(1)
    z1 = torch.randn(3, 4, generator=generator, dtype=torch.float64)
    z2 = torch.randn(3, 4, generator=generator, dtype=torch.float64)
    codes = lerp(z1, z2, alpha_grid(m).double()).flatten(0, 1)  # (3 (M + 1), 4)
    directions = (z2 - z1).repeat_interleave(m + 1, dim=0)
    with torch.no_grad():
        images, velocities = decode_with_velocity(decoder, codes, directions)
    jvp = smoothness_loss(velocities).item()
    fd = finite_difference_smoothness(images.unflatten(0, (3, m + 1))).item()
    return jvp, fd


def _relative_gap(m: int) -> float:
    jvp, fd = _jvp_and_fd_smoothness(_mlp_decoder(), m)
    return abs(jvp - fd) / jvp


def test_jvp_and_finite_difference_smoothness_agree_on_a_fine_grid() -> None:
    fine = _relative_gap(512)
    coarse = _relative_gap(2)
    print(f"JVP vs FD smoothness relative gap: M=512 {fine:.2e}, M=2 {coarse:.2e}")
    assert fine < 0.01
    assert coarse > 0.05
    assert coarse > 10 * fine


def test_decode_with_velocity_matches_central_differences() -> None:
    decoder = _mlp_decoder()
    generator = torch.Generator().manual_seed(2)
    codes = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    directions = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    images, velocities = decode_with_velocity(decoder, codes, directions)
    eps = 1e-6
    with torch.no_grad():
        central = (decoder(codes + eps * directions) - decoder(codes - eps * directions)) / (
            2 * eps
        )
        torch.testing.assert_close(images, decoder(codes), rtol=1e-12, atol=1e-12)
    assert velocities.shape == images.shape == (5, 2, 4, 4)
    assert velocities.abs().max() > 0.1
    torch.testing.assert_close(velocities, central, rtol=1e-6, atol=1e-8)


def _assert_differentiable(decoder: nn.Module, codes: torch.Tensor, directions: torch.Tensor):
    _, velocities = decode_with_velocity(decoder, codes, directions)
    smoothness_loss(velocities).backward()
    for name, parameter in decoder.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_velocities_are_differentiable_in_the_decoder_weights() -> None:
    generator = torch.Generator().manual_seed(3)
    codes = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    directions = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    _assert_differentiable(_mlp_decoder(), codes, directions)


@pytest.fixture
def conv_decoder() -> Decoder:
    """The library's convolutional decoder (GroupNorm), in float64 and train mode."""
    torch.manual_seed(0)
    return Decoder(ModelConfig(image_size=32, channels=1, latent_dim=8)).double().train()


def test_decode_with_velocity_matches_central_differences_of_the_real_decoder(
    conv_decoder: Decoder,
) -> None:
    generator = torch.Generator().manual_seed(4)
    codes = torch.randn(6, 8, generator=generator, dtype=torch.float64)
    directions = torch.randn(6, 8, generator=generator, dtype=torch.float64)
    images, velocities = decode_with_velocity(conv_decoder, codes, directions)
    eps = 1e-6
    with torch.no_grad():
        plus = conv_decoder(codes + eps * directions)
        minus = conv_decoder(codes - eps * directions)
        torch.testing.assert_close(images, conv_decoder(codes), rtol=1e-10, atol=1e-12)
    central = (plus - minus) / (2 * eps)
    assert velocities.abs().max() > 1e-4
    torch.testing.assert_close(velocities, central, rtol=1e-5, atol=1e-8)


def test_each_decoded_image_and_velocity_depends_on_its_own_code_only(
    conv_decoder: Decoder,
) -> None:
    # Per-image normalisation: decoding a batch equals decoding each code alone, so the
    # JVP of a batch is the per-pair derivative the smoothness term is about.
    generator = torch.Generator().manual_seed(5)
    codes = torch.randn(6, 8, generator=generator, dtype=torch.float64)
    directions = torch.randn(6, 8, generator=generator, dtype=torch.float64)
    images, velocities = decode_with_velocity(conv_decoder, codes, directions)
    for row in range(len(codes)):
        alone = decode_with_velocity(conv_decoder, codes[row : row + 1], directions[row : row + 1])
        torch.testing.assert_close(images[row : row + 1], alone[0], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(velocities[row : row + 1], alone[1], rtol=1e-10, atol=1e-12)


def test_conv_decoder_velocities_are_differentiable(conv_decoder: Decoder) -> None:
    generator = torch.Generator().manual_seed(6)
    codes = torch.randn(6, 8, generator=generator, dtype=torch.float64)
    directions = torch.randn(6, 8, generator=generator, dtype=torch.float64)
    _assert_differentiable(conv_decoder, codes, directions)
