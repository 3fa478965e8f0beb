"""Re-encoding measures (AEAI's cycle-consistency condition) on models whose answer is known."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aeai_lib.evaluation.reencoding import reencode_paths, reencoding_summary
from aeai_lib.interpolation import alpha_grid
from aeai_lib.models import AutoencoderModel, ModelConfig

CONFIG = ModelConfig(image_size=16 * 2, channels=1, latent_dim=32 * 32)


class _Pixels(nn.Module):
    """The image's pixels are its code, and back: f and g invert each other everywhere."""

    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(()))  # inference() reads the device from one

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) if x.dim() == 4 else x.reshape(len(x), 1, 32, 32)


class _Snap(nn.Module):
    """A decoder that draws the source image for every code before the midpoint, else the
    target's: the round trip jumps to an endpoint."""

    def __init__(self, source: torch.Tensor, target: torch.Tensor) -> None:
        super().__init__()
        self.source, self.target = source.flatten(), target.flatten()

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        along = ((codes - self.source) @ (self.target - self.source)) / (
            self.target - self.source
        ).square().sum()
        images = torch.where((along < 0.5).unsqueeze(1), self.source, self.target)
        return images.reshape(len(codes), 1, 32, 32)


def _images() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.rand(2, 1, 1, 32, 32, generator=generator).unbind(0)


def test_an_exact_inverse_has_no_drift_and_recovers_alpha() -> None:
    model = AutoencoderModel(CONFIG, _Pixels(), _Pixels())
    alphas = alpha_grid(8)
    source, target = _images()
    summary = reencoding_summary(reencode_paths(model, source, target, alphas), alphas)
    assert summary["drift"] == pytest.approx(0.0, abs=1e-6)
    assert summary["drift_mid"] == pytest.approx(0.0, abs=1e-6)
    assert summary["alpha_back_error"] == pytest.approx(0.0, abs=1e-6)
    assert summary["off_line"] == pytest.approx(0.0, abs=1e-5)


def test_a_decoder_that_snaps_to_the_endpoints_scores_the_distance_to_them() -> None:
    source, target = _images()
    model = AutoencoderModel(CONFIG, _Pixels(), _Snap(source, target))
    alphas = alpha_grid(8)
    reencoded = reencode_paths(model, source, target, alphas)
    expected_back = (alphas >= 0.5).float()
    assert torch.allclose(reencoded["alpha_back"][0], expected_back, atol=1e-5)
    summary = reencoding_summary(reencoded, alphas)
    interior = alphas[1:-1]
    assert summary["alpha_back_error"] == pytest.approx(
        (expected_back[1:-1] - interior).abs().mean().item(), abs=1e-5
    )
    assert summary["drift_mid"] == pytest.approx(0.5, abs=1e-5)  # z(1/2) re-encodes as z_j
