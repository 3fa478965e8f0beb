"""Scoring images with a trained discriminator (aeai_lib.evaluation.discriminator)."""

from __future__ import annotations

import pytest
import torch

from aeai_lib.evaluation.discriminator import discriminator_scores, plot_path_scores
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig

CONFIG = ModelConfig(image_size=32, channels=1, latent_dim=8)


def _model_with_discriminator():
    torch.manual_seed(0)
    return make_method("ae", lambda_adv=1e-3).build_model(CONFIG)


def test_scores_are_the_sigmoid_of_the_logits_in_the_images_leading_shape() -> None:
    model = _model_with_discriminator()
    images = torch.rand(3, 5, 1, 32, 32)
    scores = discriminator_scores(model, images)
    discriminator = model.auxiliary["discriminator"].eval()
    with torch.no_grad():
        expected = torch.sigmoid(discriminator(images.flatten(0, 1))).reshape(3, 5)
    assert scores.shape == (3, 5) and scores.dtype == torch.float32
    assert torch.allclose(scores, expected, atol=1e-6)
    assert ((scores > 0) & (scores < 1)).all()


def test_scores_batch_across_calls_and_restore_the_training_mode(monkeypatch) -> None:
    model = _model_with_discriminator()
    images = torch.rand(10, 1, 32, 32)
    whole = discriminator_scores(model, images)
    monkeypatch.setattr("aeai_lib.evaluation.discriminator.IMAGES_PER_BATCH", 4)
    model.train()
    assert torch.allclose(discriminator_scores(model, images), whole, atol=1e-6)
    assert model.auxiliary["discriminator"].training


def test_a_model_without_discriminator_is_refused_by_name() -> None:
    model = make_method("ae").build_model(CONFIG)
    with pytest.raises(ValueError, match="has no discriminator.*lambda_adv"):
        discriminator_scores(model, torch.rand(2, 1, 32, 32))


def test_images_of_another_shape_are_refused() -> None:
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 1, 32, 32\)"):
        discriminator_scores(_model_with_discriminator(), torch.rand(2, 3, 32, 32))


def test_the_path_plot_draws_one_line_per_label_and_the_reference() -> None:
    alphas = torch.linspace(0, 1, 5)
    scores = {"AE+A": torch.rand(4, 5), "truth": torch.rand(4, 5)}
    ax = plot_path_scores(scores, alphas, real_score=0.7).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"AE+A", "truth", "real held-out images (mean)"} <= set(lines)
    assert lines["AE+A"].get_ydata() == pytest.approx(scores["AE+A"].mean(dim=0).tolist())
    assert lines["truth"].get_linestyle() == "--"


def test_the_path_plot_refuses_scores_that_do_not_match_the_alphas() -> None:
    with pytest.raises(ValueError, match=r"scores\['AE'\] must have shape \(paths, 5\)"):
        plot_path_scores({"AE": torch.rand(4, 6)}, torch.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="scores is empty"):
        plot_path_scores({}, [0.0, 1.0])
