"""ACAI's own networks (Berthelot et al. 2018, code ``brain-research/acai``, ``lib/layers.py``).

ACAI's lines benchmark was run with these networks (``runs/acai.sh``: ``--dataset=lines32
--latent_width=2 --depth=16 --latent=16``); :class:`~aeai_lib.models.ModelConfig` with
``architecture="acai"`` builds them instead of the library's VGG-like networks:

* encoder: a 1x1 convolution to ``depth`` channels (no activation); per scale, two 3x3
  convolutions of ``depth * 2**scale`` channels with leaky ReLU (slope 0.2), then 2x2 average
  pooling, down to a 2x2 map; a 3x3 convolution to ``depth * 2**scales`` channels (leaky ReLU)
  and a linear 3x3 convolution to ``latent_dim / 4`` channels. The code is that 2x2 map,
  flattened (C, H, W): 64 values for ACAI's 16 channels.
* decoder: the mirror, with nearest-neighbour upsampling, and a last linear 3x3 convolution
  to the image's channels: no output activation.
* critic (:class:`ACAIScorer`): the encoder's architecture, its output map averaged over
  channels, height and width to one number per image.

'same' padding, weights drawn from N(0, 1 / ((1 + 0.2^2) fan_in)) (ACAI's
``HeModifiedNormalInitializer(0.2)``), zero biases, no normalisation layers.

Value range: ACAI's networks see images in [-1, 1]. The library's images are in [0, 1], so
the encoder and the scorer map their input with ``2 x - 1`` and the decoder returns
``(y + 1) / 2`` of its raw output y: the same networks on the same pixels as ACAI's. The raw
output is unbounded, as in ACAI (training losses see it as it is);
:meth:`aeai_lib.models.AutoencoderModel.decode` clamps it to [0, 1] for the images it hands out.
"""

from __future__ import annotations

import math

import torch
from torch import nn

DEPTH = 16
"""Channels of the first scale (ACAI's lines run: ``--depth=16``)."""
LATENT_WIDTH = 2
"""Height and width of the latent map (ACAI's lines run: ``--latent_width=2``)."""
SLOPE = 0.2
"""Leaky ReLU slope (TensorFlow's ``tf.nn.leaky_relu`` default, which ACAI uses)."""


def latent_channels(latent_dim: int) -> int:
    """Channels of the 2x2 latent map holding ``latent_dim`` values.

    Raises:
        ValueError: ``latent_dim`` is not a multiple of LATENT_WIDTH ** 2 = 4.
    """
    cells = LATENT_WIDTH**2
    if latent_dim % cells:
        raise ValueError(
            f"latent_dim must be a multiple of {cells} for architecture 'acai' (a "
            f"{LATENT_WIDTH}x{LATENT_WIDTH} latent map), got {latent_dim}; ACAI's lines run "
            "uses 64 (16 channels)"
        )
    return latent_dim // cells


def scales(image_size: int) -> int:
    """Number of 2x poolings from ``image_size`` down to the 2x2 latent map (32 px: 4)."""
    return int(math.log2(image_size // LATENT_WIDTH))


def _conv(in_channels: int, out_channels: int, kernel: int) -> nn.Conv2d:
    """A 'same' convolution with ACAI's initialisation (module docstring)."""
    conv = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2)
    std = 1.0 / math.sqrt((1.0 + SLOPE**2) * in_channels * kernel * kernel)
    nn.init.normal_(conv.weight, 0.0, std)
    nn.init.zeros_(conv.bias)
    return conv


def _activated(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [_conv(in_channels, out_channels, 3), nn.LeakyReLU(SLOPE)]


def _encoder_layers(channels: int, image_size: int, out_channels: int) -> nn.Sequential:
    """ACAI's ``layers.encoder``: images (N, channels, S, S) in [-1, 1] -> (N, out, 2, 2)."""
    n = scales(image_size)
    layers: list[nn.Module] = [_conv(channels, DEPTH, 1)]
    width = DEPTH
    for scale in range(n):
        layers += _activated(width, DEPTH << scale) + _activated(DEPTH << scale, DEPTH << scale)
        layers.append(nn.AvgPool2d(2))
        width = DEPTH << scale
    layers += [*_activated(width, DEPTH << n), _conv(DEPTH << n, out_channels, 3)]
    return nn.Sequential(*layers)


class ACAIEncoder(nn.Module):
    """Images (N, C, S, S) in [0, 1] -> codes (N, latent_dim): the 2x2 latent map, flattened."""

    def __init__(self, image_size: int, channels: int, latent_dim: int) -> None:
        super().__init__()
        self.features = _encoder_layers(channels, image_size, latent_channels(latent_dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(2.0 * images - 1.0).flatten(1)


class ACAIDecoder(nn.Module):
    """Codes (N, latent_dim) -> images (N, C, S, S), ``(y + 1) / 2`` of ACAI's unbounded
    output y (about [0, 1] once trained; not clamped here, see the module docstring)."""

    def __init__(self, image_size: int, channels: int, latent_dim: int) -> None:
        super().__init__()
        self.latent_channels = latent_channels(latent_dim)
        layers: list[nn.Module] = []
        width = self.latent_channels
        for scale in range(scales(image_size) - 1, -1, -1):
            layers += _activated(width, DEPTH << scale) + _activated(DEPTH << scale, DEPTH << scale)
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
            width = DEPTH << scale
        layers += [*_activated(width, DEPTH), _conv(DEPTH, channels, 3)]
        self.features = nn.Sequential(*layers)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        grid = codes.reshape(len(codes), self.latent_channels, LATENT_WIDTH, LATENT_WIDTH)
        return (self.features(grid) + 1.0) / 2.0


class ACAIScorer(nn.Module):
    """Images (N, C, S, S) in [0, 1] -> one unbounded score per image (N,): ACAI's critic, the
    encoder's architecture with its output map averaged over channels, height and width
    (``acai.py``: ``disc``; ``--advdepth`` defaults to ``--depth``). With ``spectral_norm``
    every convolution is divided by its largest singular value (Miyato et al. 2018), as the
    library's discriminator offers."""

    def __init__(
        self, image_size: int, channels: int, latent_dim: int, spectral_norm: bool = False
    ) -> None:
        super().__init__()
        self.features = _encoder_layers(channels, image_size, latent_channels(latent_dim))
        if spectral_norm:
            for index, layer in enumerate(self.features):
                if isinstance(layer, nn.Conv2d):
                    self.features[index] = nn.utils.parametrizations.spectral_norm(layer)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(2.0 * images - 1.0).mean(dim=(1, 2, 3))
