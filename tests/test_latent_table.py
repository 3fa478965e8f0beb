"""The latent table: midpoint sets built on one pairing, measured against codes and prior."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.evaluation.latent_table import (
    LatentSet,
    format_latent_table,
    latent_table,
    midpoint_sets,
)
from aeai_lib.interpolation import lerp, normalized_lerp
from aeai_lib.priors import sample_prior


def _gaussian(n: int, seed: int, dim: int = 16) -> torch.Tensor:
    return sample_prior("gaussian", n, dim, torch.Generator().manual_seed(seed))


def test_midpoint_sets_pair_every_set_the_same_way() -> None:
    codes = {"samples": _gaussian(300, 0)}
    sets = midpoint_sets(
        codes,
        {"lerp": ("samples", lerp), "normalized": ("samples", normalized_lerp)},
        pairing_seed=5,
    )
    assert list(sets) == ["samples", "lerp midpoints", "normalized midpoints"]
    assert sets["samples"].source is None and sets["lerp midpoints"].source is codes["samples"]
    scale = 0.5**0.5  # the normalised lerp is lerp / sqrt(1/2) at alpha = 1/2, on the same pairs
    torch.testing.assert_close(
        sets["normalized midpoints"].codes * scale, sets["lerp midpoints"].codes
    )
    with pytest.raises(ValueError, match=r"code sets \['other'\] not in"):
        midpoint_sets(codes, {"lerp": ("other", lerp)}, pairing_seed=0)


def test_lerp_midpoints_of_a_gaussian_are_far_from_it_and_normalized_ones_are_not() -> None:
    codes = {"samples": _gaussian(400, 0)}
    sets = midpoint_sets(
        codes, {"lerp": ("samples", lerp), "normalized": ("samples", normalized_lerp)}, 1
    )
    critic = torch.nn.Linear(16, 1)
    table = latent_table(sets, _gaussian(400, 1), critic=critic, no_critic={"samples"})
    floor = abs(table["samples"]["mmd_prior"])  # two independent draws of the prior
    assert table["lerp midpoints"]["mmd_prior"] > 10 * max(floor, 1e-3)
    assert table["normalized midpoints"]["mmd_prior"] < 0.2 * table["lerp midpoints"]["mmd_prior"]
    ratio = table["lerp midpoints"]["norm"] / table["samples"]["norm"]
    assert ratio == pytest.approx(0.5**0.5, abs=0.03)
    assert table["samples"]["mmd_codes"] is None and table["samples"]["critic"] is None
    with torch.no_grad():
        expected = critic(sets["lerp midpoints"].codes).square().mean().item()
    assert table["lerp midpoints"]["critic"] == pytest.approx(expected)


def test_format_latent_table_shows_a_dash_for_a_missing_value() -> None:
    table = latent_table({"codes": LatentSet(_gaussian(50, 2))}, _gaussian(50, 3))
    header, row = format_latent_table(table).splitlines()
    assert "MMD² to its codes" in header and "mean D_R²" in header
    assert row.startswith("codes") and row.count("—") == 2
