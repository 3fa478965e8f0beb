"""The re-encoding figure draws what reencode_paths measured, and refuses what it did not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeai_lib.evaluation.reencoding_plots import PANELS, plot_reencoding
from aeai_lib.interpolation import alpha_grid

ALPHAS = alpha_grid(4)


def _reencoded(scale: float) -> dict[str, torch.Tensor]:
    """Hand-made (3 pairs, 5 alphas) measures: pair p holds (p + 1) * scale * alpha."""
    rows = torch.arange(1, 4, dtype=torch.float32).unsqueeze(1) * scale * ALPHAS
    return {"drift": rows, "alpha_back": ALPHAS.expand(3, -1).clone(), "off_line": 2 * rows}


def test_each_panel_draws_each_models_mean_over_pairs_and_its_band() -> None:
    fig = plot_reencoding({"AE": _reencoded(1.0), "AE+C": _reencoded(0.1)}, ALPHAS)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == [title for title, _ in PANELS.values()]
    assert all("segment" in ax.get_xlabel() for ax in axes)
    drift_lines = {line.get_label(): line.get_ydata() for line in axes[0].lines}
    # the mean over pairs 1, 2, 3 times scale * alpha is 2 * scale * alpha
    np.testing.assert_allclose(drift_lines["AE"], 2 * ALPHAS.numpy(), rtol=1e-6)
    np.testing.assert_allclose(drift_lines["AE+C"], 0.2 * ALPHAS.numpy(), rtol=1e-6)
    off_line = {line.get_label(): line.get_ydata() for line in axes[2].lines}
    np.testing.assert_allclose(off_line["AE"], 4 * ALPHAS.numpy(), rtol=1e-6)
    assert len(axes[0].collections) == 2  # one interquartile band per model
    band = axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(2.5, rel=1e-6)  # upper quartile of 1, 2, 3 at alpha 1


def test_the_re_encoded_alpha_panel_draws_the_ideal_diagonal() -> None:
    fig = plot_reencoding({"AE": _reencoded(1.0)}, ALPHAS)
    labels = [line.get_label() for line in fig.axes[1].lines]
    assert labels[0].startswith("ideal")
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [0, 1])


@pytest.mark.parametrize(
    ("reencoded", "message"),
    [
        ({}, "non-empty"),
        ({"AE": {"drift": torch.zeros(3, 5)}}, "'alpha_back'"),
        ({"AE": {key: torch.zeros(3, 4) for key in PANELS}}, "has 4 alphas"),
        ({"AE": {key: torch.zeros(5) for key in PANELS}}, "(pairs, alphas) tensor"),
    ],
)
def test_bad_input_is_a_value_error_that_names_it(reencoded: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plot_reencoding(reencoded, ALPHAS)
