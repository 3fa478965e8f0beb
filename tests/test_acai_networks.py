"""ACAI's own networks (architecture "acai"): the layers of brain-research/acai's lib/layers.py."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from aeai_lib.acai_networks import ACAIDecoder, ACAIEncoder, ACAIScorer
from aeai_lib.cli import main
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig, make_critic, make_discriminator

LINES = ModelConfig(image_size=32, channels=1, latent_dim=64, architecture="acai")


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def test_the_encoder_has_acai_lines_layers_and_a_2x2_latent_of_16_channels() -> None:
    encoder = ACAIEncoder(32, 1, 64)
    convs = _convs(encoder)
    # 1x1 to depth 16; two 3x3 per scale at 16, 32, 64, 128; 3x3 to 256; 3x3 to 16 channels
    assert [c.out_channels for c in convs] == [16, 16, 16, 32, 32, 64, 64, 128, 128, 256, 16]
    assert [c.kernel_size[0] for c in convs] == [1] + [3] * 10
    assert sum(isinstance(m, nn.AvgPool2d) for m in encoder.modules()) == 4
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) for m in encoder.modules())
    assert encoder(torch.rand(5, 1, 32, 32)).shape == (5, 64)


def test_the_decoder_mirrors_it_with_nearest_upsampling_and_no_output_activation() -> None:
    decoder = ACAIDecoder(32, 1, 64)
    convs = _convs(decoder)
    assert [c.out_channels for c in convs] == [128, 128, 64, 64, 32, 32, 16, 16, 16, 1]
    ups = [m for m in decoder.modules() if isinstance(m, nn.Upsample)]
    assert len(ups) == 4 and all(u.mode == "nearest" for u in ups)
    assert not isinstance(list(decoder.features)[-1], (nn.Sigmoid, nn.Tanh))
    assert decoder(torch.randn(3, 64)).shape == (3, 1, 32, 32)


def test_networks_see_acai_pixels_in_minus_one_to_one() -> None:
    torch.manual_seed(0)
    encoder = ACAIEncoder(32, 1, 64)
    images = torch.rand(2, 1, 32, 32)
    assert torch.allclose(encoder(images), encoder.features(2 * images - 1).flatten(1))
    decoder = ACAIDecoder(32, 1, 64)
    codes = torch.randn(2, 64)
    raw = decoder.features(codes.reshape(2, 16, 2, 2))
    assert torch.allclose(decoder(codes), (raw + 1) / 2)


def test_weights_follow_acais_he_initialisation_for_slope_0_2() -> None:
    torch.manual_seed(0)
    conv = _convs(ACAIEncoder(32, 1, 64))[4]  # 3x3, 32 -> 32 channels
    expected = 1 / math.sqrt((1 + 0.2**2) * 32 * 9)
    assert conv.weight.std().item() == pytest.approx(expected, rel=0.05)
    assert torch.count_nonzero(conv.bias) == 0


def test_the_critic_is_the_encoder_averaged_to_one_score() -> None:
    torch.manual_seed(0)
    critic = make_critic(LINES)
    assert isinstance(critic, ACAIScorer)
    images = torch.rand(4, 1, 32, 32)
    assert torch.allclose(critic(images), critic.features(2 * images - 1).mean(dim=(1, 2, 3)))
    spectral = make_discriminator(LINES, spectral_norm=True)
    assert all(hasattr(c, "parametrizations") for c in _convs(spectral))


def test_every_method_builds_on_acais_networks() -> None:
    images = torch.rand(4, 1, 32, 32)
    for name in ("ae", "aeai", "acai", "aae", "beta-vae", "amr", "advai"):
        model = make_method(name).build_model(LINES)
        assert isinstance(model.encoder, ACAIEncoder) or name == "beta-vae", name
        assert model.encode(images).shape == (4, 64), name
        decoded = model.decode(torch.randn(4, 64) * 10)
        assert decoded.min() >= 0 and decoded.max() <= 1, name  # decode clamps to [0, 1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"architecture": "resnet"}, "architecture.*acai, vgg"),
        ({"architecture": "acai", "latent_dim": 30}, "multiple of 4"),
    ],
)
def test_a_bad_architecture_is_refused_naming_it(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ModelConfig(32, 1, **{"latent_dim": 64, **kwargs})


def test_the_cli_refuses_an_unknown_architecture_in_one_line_before_work(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    def started(*_args, **_kwargs):
        raise AssertionError("work started before the bad input was refused")

    monkeypatch.setattr("aeai_lib.cli.load_dataset", started)
    argv = ["train", "--method", "ae", "--dataset", "lines", "--architecture", "resnet"]
    assert main([*argv, "--out", str(tmp_path / "x.pt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "architecture" in err[0] and "acai, vgg" in err[0]


def test_an_old_model_config_without_architecture_is_the_vgg_one() -> None:
    assert ModelConfig(**{"image_size": 32, "channels": 1, "latent_dim": 32}).architecture == "vgg"
