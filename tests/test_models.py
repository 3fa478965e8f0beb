"""Tests for aeai_lib.models: shapes, block widths, value ranges and input errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aeai_lib.methods.advai.correction import AlphaRegressor, CorrectionNetwork
from aeai_lib.models import AutoencoderModel, Discriminator, ModelConfig

LATENT = 8


def _model(size: int = 32, channels: int = 1, latent_dim: int = LATENT) -> AutoencoderModel:
    torch.manual_seed(0)
    return AutoencoderModel(ModelConfig(image_size=size, channels=channels, latent_dim=latent_dim))


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_encode_decode_shapes_and_range(size: int, channels: int) -> None:
    model = _model(size, channels).eval()
    images = torch.rand(2, channels, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        codes = model.encode(images)
        decoded = model.decode(codes)
        reconstructed = model(images)
    assert codes.shape == (2, LATENT)
    assert torch.isfinite(codes).all()
    assert decoded.shape == (2, channels, size, size)
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0
    assert torch.equal(reconstructed, decoded)


@pytest.mark.parametrize(
    ("size", "widths"),
    [
        (32, (16, 32, 64)),
        (64, (16, 32, 64, 128)),
        (128, (16, 32, 64, 128, 128)),
    ],
)
def test_block_widths_go_from_16_to_128(size: int, widths: tuple[int, ...]) -> None:
    config = ModelConfig(image_size=size, channels=3, latent_dim=LATENT)
    assert config.block_widths == widths
    model = AutoencoderModel(config)
    encoder_convs = [m.out_channels for m in model.encoder.modules() if isinstance(m, nn.Conv2d)]
    assert tuple(encoder_convs) == widths
    pools = [m for m in model.encoder.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == len(widths)  # one halving per block, down to 4x4
    assert size // 2 ** len(widths) == 4
    decoder_convs = [
        m.out_channels for m in model.decoder.modules() if isinstance(m, nn.ConvTranspose2d)
    ]
    assert tuple(decoder_convs) == widths[::-1][1:] + (3,)  # mirror, ending in the channels


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_discriminator_gives_one_logit_per_image(size: int, channels: int) -> None:
    torch.manual_seed(0)
    discriminator = Discriminator(ModelConfig(image_size=size, channels=channels))
    images = torch.rand(5, channels, size, size)
    logits = discriminator(images)
    assert logits.shape == (5,)
    assert torch.isfinite(logits).all()
    # Each image is scored on its own: no batch statistics.
    assert torch.allclose(discriminator(images[:2]), logits[:2], atol=1e-6)


def test_model_config_defaults_and_dict() -> None:
    config = ModelConfig()
    assert (config.image_size, config.channels, config.latent_dim) == (64, 3, 256)
    assert ModelConfig(**config.to_dict()) == config


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image_size": 48}, ValueError, r"image_size must be one of \(32, 64, 128\), got 48"),
        ({"image_size": 256}, ValueError, "image_size must be one of"),
        ({"channels": 2}, ValueError, "channels must be 1 or 3, got 2"),
        ({"channels": 4}, ValueError, "channels must be 1 or 3"),
        ({"latent_dim": 0}, ValueError, "latent_dim must be >= 1"),
        ({"latent_dim": 2.5}, TypeError, "latent_dim must be an integer"),
    ],
)
def test_model_config_rejects_unsupported_values(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        ModelConfig(**kwargs)


@pytest.fixture(scope="module")
def small_model() -> AutoencoderModel:
    return _model(32, 1).eval()


@pytest.mark.parametrize(
    ("images", "error", "match"),
    [
        (torch.rand(1, 32, 32), ValueError, r"must be 4-D \(N, C, H, W\), got shape \(1, 32, 32\)"),
        (torch.rand(2, 1, 32, 32) * 2, ValueError, r"values in \[0, 1\], got range"),
        (torch.rand(2, 1, 32, 32) - 1, ValueError, r"values in \[0, 1\]"),
        (
            torch.full((2, 1, 32, 32), float("nan")),
            ValueError,
            "contain NaN or inf values",
        ),
        (torch.rand(2, 1, 64, 64), ValueError, "are 64x64 but the model was built for 32x32"),
        (torch.rand(2, 3, 32, 32), ValueError, "have 3 channels but the model was built for 1"),
        (torch.ones(2, 1, 32, 32, dtype=torch.uint8), TypeError, "must be a float tensor"),
        ([[0.5]], TypeError, r"must be a torch.Tensor of shape \(N, C, H, W\), got list"),
    ],
    ids=["3-D", "above-1", "below-0", "nan", "wrong-size", "wrong-channels", "uint8", "list"],
)
def test_encode_rejects_bad_images(
    small_model: AutoencoderModel, images: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        small_model.encode(images)


def test_encode_rejects_a_single_nan_pixel(small_model: AutoencoderModel) -> None:
    images = torch.rand(2, 1, 32, 32)
    images[1, 0, 5, 7] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        small_model.encode(images)


@pytest.mark.parametrize(
    ("codes", "match"),
    [
        (torch.zeros(LATENT), r"codes must be a 2-D tensor \(N, D\).* got shape \(8,\)"),
        (torch.zeros(2, 1, LATENT), r"must be a 2-D tensor .* got shape \(2, 1, 8\)"),
        (torch.zeros(2, LATENT + 1), "codes have 9 dimensions but the model's latent size is 8"),
    ],
    ids=["1-D", "3-D", "wrong-latent"],
)
def test_decode_rejects_bad_codes(small_model: AutoencoderModel, codes: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        small_model.decode(codes)


def test_plain_autoencoder_has_no_auxiliary_networks(small_model: AutoencoderModel) -> None:
    assert len(small_model.auxiliary) == 0
    assert small_model.method_name == "ae"


def test_an_interpolation_the_model_does_not_offer_is_named(
    small_model: AutoencoderModel,
) -> None:
    assert small_model.interpolation_names == ("lerp", "slerp", "normalized")
    with pytest.raises(ValueError, match=r"'advai' for this AE model; choose one of: lerp, slerp"):
        small_model.interpolation("advai")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.int64])
def test_decode_casts_codes_to_the_models_dtype(
    small_model: AutoencoderModel, dtype: torch.dtype
) -> None:
    """Issue #16, row 9: float64 or float16 codes raised torch's raw dtype-mismatch error."""
    codes = torch.tensor([[1, -2, 0, 3, 1, 0, -1, 2]], dtype=torch.float32).repeat(2, 1)
    with torch.no_grad():
        expected = small_model.decode(codes)
        images = small_model.decode(codes.to(dtype))
    assert images.dtype == torch.float32
    torch.testing.assert_close(images, expected)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_encode_casts_images_to_the_models_dtype(
    small_model: AutoencoderModel, dtype: torch.dtype
) -> None:
    """Issue #16, row 9: encoding half (or double) images raised a raw dtype error."""
    images = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    images = images.to(dtype).float()  # representable exactly in the other dtype
    with torch.no_grad():
        expected = small_model.encode(images)
        codes = small_model.encode(images.to(dtype))
    assert codes.dtype == torch.float32
    torch.testing.assert_close(codes, expected)


@pytest.mark.parametrize(
    ("codes", "match"),
    [
        ([[0.0] * LATENT], "got list"),
        (torch.zeros(2, LATENT, dtype=torch.bool), "got dtype torch.bool"),
        (torch.zeros(2, LATENT, dtype=torch.complex64), "got dtype torch.complex64"),
    ],
    ids=["list", "bool", "complex"],
)
def test_decode_names_the_dtype_expected(
    small_model: AutoencoderModel, codes: object, match: str
) -> None:
    expected = r"codes must be a float tensor \(N, D\) of codes of dtype torch.float32, "
    with pytest.raises(TypeError, match=expected + match):
        small_model.decode(codes)


def test_advai_correction_takes_codes_of_any_float_dtype() -> None:
    """Every public function taking codes: AdvAI's interpolation (model.interpolation
    ("advai")) and its alpha regressor cast float64 / float16 codes too."""
    correction, regressor = CorrectionNetwork(4), AlphaRegressor(4)
    z1 = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    z2 = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = correction.interpolate(z1, z2, [0.0, 0.5, 1.0])
        torch.testing.assert_close(
            correction.interpolate(z1.double(), z2.double(), [0.0, 0.5, 1.0]), expected
        )
        torch.testing.assert_close(regressor(z1.double()), regressor(z1))
