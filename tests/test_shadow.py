"""The shadow profile of pole images: one shadow where the light says, two in a cross-fade."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.data import pole
from aeai_lib.evaluation.pixels import cross_fade
from aeai_lib.evaluation.shadow import BINS, shadow_direction, shadow_profile, share_near


def test_the_shadow_of_a_rendered_pole_points_away_from_the_light() -> None:
    phis = torch.tensor([0.0, 50.0, 130.0, 300.0])
    images = pole.render(torch.full((4,), 50.0), phis, size=64).float()
    profile = shadow_profile(images)
    assert profile.shape == (4, BINS)
    torch.testing.assert_close(profile.sum(dim=1), torch.ones(4))
    peak = (profile.argmax(dim=1).float() + 0.5) * 360 / BINS
    gap = (peak - shadow_direction(phis) + 180) % 360 - 180
    assert gap.abs().max() <= 2 * 360 / BINS  # within two 5-degree bins (pixels)
    assert (share_near(profile, shadow_direction(phis)) > 0.8).all()


def test_a_cross_fade_splits_the_shadow_between_the_endpoints_directions() -> None:
    ends = pole.render(torch.tensor([50.0, 50.0]), torch.tensor([50.0, 130.0]), size=64).float()
    middle = cross_fade(ends[:1], ends[1:], torch.tensor([0.5]))[:, 0]
    profile = shadow_profile(middle)
    directions = shadow_direction(torch.tensor([50.0, 130.0, 90.0]))
    at_ends = [share_near(profile, d.reshape(1))[0].item() for d in directions[:2]]
    assert min(at_ends) > 0.3 and sum(at_ends) > 0.8  # two shadows, each about half
    assert share_near(profile, directions[2:])[0] < 0.1  # and none in between


def test_share_near_wraps_around_zero_degrees() -> None:
    profile = torch.zeros(1, BINS)
    profile[0, 0] = profile[0, -1] = 0.5  # darkness at 2.5 and 357.5 degrees
    assert share_near(profile, torch.tensor([0.0]), width=5.0).item() == 1.0
    assert share_near(profile, torch.tensor([180.0])).item() == 0.0


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="images must be"):
        shadow_profile(torch.zeros(3, 64, 64))
    with pytest.raises(ValueError, match="bins must be >= 1"):
        shadow_profile(torch.zeros(1, 3, 8, 8), bins=0)
    with pytest.raises(ValueError, match="profile must be"):
        share_near(torch.zeros(2, BINS), torch.zeros(3))
    with pytest.raises(ValueError, match="width must be > 0"):
        share_near(torch.zeros(1, BINS), torch.zeros(1), width=0)
