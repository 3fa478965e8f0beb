"""Convolutional encoder, decoder and image discriminator (VGG-like, as in the AEAI paper).

The encoder has one block per halving of the image, from 16 feature maps up to 128:
``Conv3x3 -> GroupNorm -> ReLU -> MaxPool2``, until the feature map is 4x4, then a fully
connected layer to the latent code. The decoder mirrors it with stride-2 transposed
convolutions and ends in a sigmoid, so decoded images lie in [0, 1]. 32x32 images get 3 blocks
(16, 32, 64), 64x64 get 4 (16..128) and 128x128 get 5 (16..128, 128).

Normalisation is per image (GroupNorm), not BatchNorm as in the paper. AEAI sends real images
and decoded interpolants through the same networks; with BatchNorm, each output depends on
the rest of its batch, and under the adversarial term the decoder learned to rely on that: an
AE+A trained here reconstructed test images 15x worse (MSE 0.0045 vs 0.0003) outside the mixed
batches it was trained on. Per-image normalisation makes each decoded image a function of its
own code alone, which is also what the Jacobian-vector product of the smoothness term and the
evaluation assume.

``ModelConfig(architecture="acai")`` builds ACAI's own networks instead
(:mod:`aeai_lib.acai_networks`: leaky ReLU, average pooling and nearest-neighbour upsampling,
a 2x2 spatial latent, no normalisation), the setting of ACAI's lines benchmark;
:func:`make_encoder`, :func:`make_decoder`, :func:`make_discriminator` and :func:`make_critic`
build the networks a config asks for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from aeai_lib import acai_networks
from aeai_lib.interpolation import INTERPOLATIONS, Interpolation, get_interpolation
from aeai_lib.validation import as_codes, check_choice, check_images, check_positive_int

SUPPORTED_SIZES = (32, 64, 128)
NORM_GROUPS = 8
ARCHITECTURES = ("vgg", "acai")
"""The network families: the library's VGG-like networks (this module) and ACAI's own
(:mod:`aeai_lib.acai_networks`)."""


@dataclass(frozen=True)
class ModelConfig:
    """What a model is built for: image size and channels, the latent size, and the
    architecture ("vgg": this module's networks; "acai": ACAI's, whose latent_dim must be a
    multiple of 4, a 2x2 map)."""

    image_size: int = 64
    channels: int = 3
    latent_dim: int = 256
    architecture: str = "vgg"

    def __post_init__(self) -> None:
        if self.image_size not in SUPPORTED_SIZES:
            raise ValueError(
                f"image_size must be one of {SUPPORTED_SIZES}, got {self.image_size}; "
                "resize the dataset (e.g. load_dataset(..., size=64))"
            )
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        check_positive_int("latent_dim", self.latent_dim)
        check_choice("architecture", self.architecture, ARCHITECTURES)
        if self.architecture == "acai":
            acai_networks.latent_channels(self.latent_dim)

    @property
    def block_widths(self) -> tuple[int, ...]:
        """Feature maps of the conv blocks, e.g. (16, 32, 64, 128) for 64x64 images."""
        n_blocks = int(math.log2(self.image_size // 4))
        return tuple(min(16 * 2**i, 128) for i in range(n_blocks))

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _norm(channels: int) -> nn.Module:
    """Per-image normalisation (GroupNorm, 8 groups): no statistics shared across a batch."""
    return nn.GroupNorm(NORM_GROUPS, channels)


def _conv_block(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1), _norm(out_channels), nn.ReLU()]


class Encoder(nn.Module):
    """Images (N, C, H, W) in [0, 1] -> codes (N, latent_dim)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = config.channels
        for width in config.block_widths:
            layers += [*_conv_block(in_channels, width), nn.MaxPool2d(2)]
            in_channels = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 16, config.latent_dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


class Decoder(nn.Module):
    """Codes (N, latent_dim) -> images (N, C, H, W) in [0, 1].

    The mirror of the encoder: a fully connected layer to a 4x4 feature map, then one
    ``ConvTranspose4x4(stride 2) -> GroupNorm -> ReLU`` block per halving of the encoder, the
    last one to C channels with a sigmoid. Transposed convolutions upsample and convolve in
    one layer, 2.5x faster than upsampling followed by a 3x3 convolution (measured on 2 CPU
    cores), which keeps AEAI trainable on a laptop.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        widths = config.block_widths[::-1]
        self.start_channels = widths[0]
        self.head = nn.Sequential(nn.Linear(config.latent_dim, widths[0] * 16), nn.ReLU())
        layers: list[nn.Module] = []
        for in_channels, out_channels in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1),
                _norm(out_channels),
                nn.ReLU(),
            ]
        layers += [
            nn.ConvTranspose2d(widths[-1], config.channels, 4, stride=2, padding=1),
            nn.Sigmoid(),
        ]
        self.features = nn.Sequential(*layers)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        hidden = self.head(codes).reshape(len(codes), self.start_channels, 4, 4)
        return self.features(hidden)


class Discriminator(nn.Module):
    """Images (N, C, H, W) in [0, 1] -> logits (N,); D(x) = sigmoid(logit) is P(x is real).

    Strided 4x4 convolutions with LeakyReLU and no normalisation, so that each image is
    scored on its own (no batch statistics mixing real and interpolated images).

    With ``spectral_norm=True`` every convolution and the linear layer are divided by their
    largest singular value (Miyato et al. 2018, one power iteration per forward pass in
    training mode), so D is at most 1-Lipschitz per layer and cannot sharpen faster than the
    autoencoder can follow.
    """

    def __init__(self, config: ModelConfig, spectral_norm: bool = False) -> None:
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        in_channels = config.channels
        for width in config.block_widths:
            layers += [
                wrap(nn.Conv2d(in_channels, width, 4, stride=2, padding=1)),
                nn.LeakyReLU(0.2),
            ]
            in_channels = width
        layers += [nn.Flatten(), wrap(nn.Linear(in_channels * 16, 1))]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).squeeze(1)


class Critic(Discriminator):
    """Images (N, C, H, W) in [0, 1] -> unbounded scores (N,) that regress a number.

    The discriminator's architecture, trained to answer a quantity rather than to tell real
    from fake: ACAI's critic (Berthelot et al. 2018) regresses the (folded) mixing
    coefficient of a decoded interpolant and answers 0 for real images
    (:func:`aeai_lib.losses.critic_losses`).
    """


def make_encoder(config: ModelConfig) -> nn.Module:
    """The encoder ``config.architecture`` names: images (N, C, H, W) in [0, 1] -> (N, D)."""
    if config.architecture == "acai":
        return acai_networks.ACAIEncoder(config.image_size, config.channels, config.latent_dim)
    return Encoder(config)


def make_decoder(config: ModelConfig) -> nn.Module:
    """The decoder ``config.architecture`` names: codes (N, D) -> images (N, C, H, W)."""
    if config.architecture == "acai":
        return acai_networks.ACAIDecoder(config.image_size, config.channels, config.latent_dim)
    return Decoder(config)


def make_discriminator(config: ModelConfig, spectral_norm: bool = False) -> nn.Module:
    """An image discriminator for ``config``: images -> logits (N,). "acai": ACAI's critic
    network (:class:`~aeai_lib.acai_networks.ACAIScorer`), its mean output read as a logit."""
    if config.architecture == "acai":
        return acai_networks.ACAIScorer(
            config.image_size, config.channels, config.latent_dim, spectral_norm
        )
    return Discriminator(config, spectral_norm)


def make_critic(config: ModelConfig) -> nn.Module:
    """An image critic for ``config``: images -> unbounded scores (N,) (ACAI's critic)."""
    if config.architecture == "acai":
        return acai_networks.ACAIScorer(config.image_size, config.channels, config.latent_dim)
    return Critic(config)


LearnedInterpolations = Callable[["AutoencoderModel"], dict[str, Interpolation]]
"""A method's hook: the interpolations a trained model offers beyond lerp, slerp, normalized."""


class AutoencoderModel(nn.Module):
    """An encoder-decoder pair plus the auxiliary networks its training method needs.

    Args:
        config: image size, channels and latent size.
        encoder: images (N, C, H, W) in [0, 1] -> codes (N, latent_dim); default
            :class:`Encoder`. A method may supply its own (e.g. one that also offers a
            log-variance), as long as calling it gives the codes to interpolate.
        decoder: codes (N, latent_dim) -> images in [0, 1]; default :class:`Decoder`.
        method_name: the name of the method that trains the model (checkpoints record it).
        label: the name a person reads in titles and tables, e.g. "AE+A+C+S".
        learned_interpolations: the training method's hook giving the interpolations that
            the model's own networks define, e.g. AdvAI's ``{"advai": correction.interpolate}``.

    ``auxiliary`` holds e.g. AEAI's discriminator or AdvAI's correction network; it is empty
    for a plain autoencoder.
    """

    def __init__(
        self,
        config: ModelConfig,
        encoder: nn.Module | None = None,
        decoder: nn.Module | None = None,
        *,
        method_name: str = "ae",
        label: str = "AE",
        learned_interpolations: LearnedInterpolations | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.method_name = method_name
        self.label = label
        self.encoder = encoder if encoder is not None else make_encoder(config)
        self.decoder = decoder if decoder is not None else make_decoder(config)
        self.auxiliary = nn.ModuleDict()
        self._learned_interpolations = learned_interpolations
        self._attached: dict[str, Interpolation] = {}

    def _weights(self) -> torch.Tensor:
        return next(self.parameters())

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) with values in [0, 1] -> codes (N, latent_dim).

        Images of another float dtype (float64, float16) are cast to the model's dtype.

        Raises:
            TypeError: not a float tensor. ValueError: wrong shape, size, channel count or
                value range, or on another device than the model.
        """
        check_images(images, size=self.config.image_size, channels=self.config.channels)
        weights = self._weights()
        if images.device != weights.device:
            raise ValueError(
                f"images are on {images.device} but the model is on {weights.device}; move "
                f"them with images.to({str(weights.device)!r})"
            )
        return self.encoder(images.to(weights.dtype))

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes (N, latent_dim) -> images (N, C, H, W) with values in [0, 1].

        Codes of another dtype (float64, float16, integers) are cast to the model's dtype.
        A decoder with unbounded output (architecture "acai") is clamped to [0, 1] here.

        Raises:
            TypeError: not a tensor of real numbers. ValueError: not (N, latent_dim), or on
                another device than the model.
        """
        weights = self._weights()
        codes = as_codes(
            codes, dim=self.config.latent_dim, dtype=weights.dtype, device=weights.device
        )
        images = self.decoder(codes)
        return images if self.config.architecture == "vgg" else images.clamp(0.0, 1.0)

    def method_interpolations(self) -> dict[str, Interpolation]:
        """The interpolations the training method's networks define (AdvAI's "advai"), by
        name, without those attached later."""
        hook = self._learned_interpolations
        return hook(self) if hook is not None else {}

    def _learned(self) -> dict[str, Interpolation]:
        return {**self.method_interpolations(), **self._attached}

    def attach_interpolation(self, name: str, interpolate: Interpolation) -> None:
        """Offer ``interpolate`` as ``interpolation(name)``, e.g. a correction fitted after
        training (:func:`aeai_lib.methods.advai.fitted.attach_correction`); it wins over a
        learned one of that name. Not part of the state dict: a checkpoint stores it apart."""
        if name in INTERPOLATIONS:
            raise ValueError(f"{name!r} is a built-in interpolation; attach under another name")
        self._attached[name] = interpolate

    @property
    def interpolation_names(self) -> tuple[str, ...]:
        """The interpolations this model offers: lerp, slerp, normalized and the learned ones
        of its method (e.g. advai)."""
        return (*INTERPOLATIONS, *self._learned())

    def interpolation(self, name: str) -> Interpolation:
        """The interpolation called ``name``: (N, D), (N, D), (A,) -> (N, A, D).

        Raises:
            ValueError: a name the model does not offer; the message lists those it does.
        """
        if name in INTERPOLATIONS:
            return get_interpolation(name)
        learned = self._learned()
        if name not in learned:
            hint = (
                "; a learned one such as 'advai' comes with its method (--method advai) or "
                "with a fitted correction (python -m aeai_lib correct CHECKPOINT --out NEW.pt)"
            )
            raise ValueError(
                f"unknown interpolation {name!r} for this {self.label} model; choose one of: "
                f"{', '.join(self.interpolation_names)}{'' if learned else hint}"
            )
        return learned[name]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Reconstruct images: decode(encode(images))."""
        return self.decode(self.encode(images))
