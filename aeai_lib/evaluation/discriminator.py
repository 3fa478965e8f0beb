"""A trained discriminator as a judge: its scores D(x) for any images, and along paths.

A run with the adversarial term L_A (AE+A, full AEAI) keeps its discriminator in
``model.auxiliary["discriminator"]``; it returns logits, and D(x) = sigmoid(logit) in [0, 1]
is its probability that x is a real image (AEAI, section 3; REFERENCE.md's notation). Scored
on held-out images it shows what the adversarial game taught it: a discriminator at chance
gives every image about 1/2; one that learned puts real images above 1/2 and interpolants
below, and then a path whose middle looks fake dips in the middle (a U shape).

D is no measure of credibility on its own (it judges with whatever it learned in one run);
:func:`aeai_lib.evaluation.admissibility.nearest_images` measures credibility without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aeai_lib.inference import IMAGES_PER_BATCH, inference
from aeai_lib.models import AutoencoderModel

DISCRIMINATOR = "discriminator"
"""The key of AEAI's discriminator in ``model.auxiliary``."""


def discriminator_scores(model: AutoencoderModel, images: torch.Tensor) -> torch.Tensor:
    """D(x) of ``model``'s discriminator for images (..., C, H, W) in [0, 1].

    Runs in eval mode under no_grad, in batches of ``IMAGES_PER_BATCH``, on the model's device.

    Returns:
        float32 scores of shape (...) (the images' leading dimensions) on the CPU, in [0, 1].

    Raises:
        ValueError: the model has no discriminator (it was trained without L_A), or the
            images' last three dimensions are not the model's (C, H, W).
    """
    if DISCRIMINATOR not in model.auxiliary:
        raise ValueError(
            f"model {model.label!r} has no discriminator: only runs with the adversarial "
            "term have one (lambda_adv > 0, e.g. load_or_train('pole_ae_a'))"
        )
    config = model.config
    expected = (config.channels, config.image_size, config.image_size)
    if images.dim() < 3 or tuple(images.shape[-3:]) != expected:
        raise ValueError(
            f"images must have shape (..., {', '.join(map(str, expected))}) for this model, "
            f"got {tuple(images.shape)}"
        )
    discriminator = model.auxiliary[DISCRIMINATOR]
    flat = images.reshape(-1, *expected)
    with inference(discriminator) as device:
        logits = [
            discriminator(flat[start : start + IMAGES_PER_BATCH].to(device)).float().cpu()
            for start in range(0, len(flat), IMAGES_PER_BATCH)
        ]
    scores = torch.sigmoid(torch.cat(logits)) if logits else torch.zeros(0)
    return scores.reshape(images.shape[:-3])


def plot_path_scores(
    scores: Mapping[str, torch.Tensor],
    alphas: torch.Tensor | Sequence[float],
    real_score: float | None = None,
    title: str = "",
) -> Figure:
    """D along interpolation paths: the mean over paths against alpha, with the quartile band.

    Args:
        scores: label -> D(x_hat(alpha)) of shape (P, A) (P paths, A alphas), e.g.
            ``discriminator_scores(model, paths)`` of paths (P, A, C, H, W). A label
            ``"truth"`` is drawn dashed in black (the true in-between images).
        alphas: the A alphas, in [0, 1].
        real_score: mean D of real held-out images, drawn as a dotted line (None: none).
        title: the axes' title.

    Returns:
        a figure with one line per label (y: D in [0, 1], probability "real").

    Raises:
        ValueError: empty ``scores``, or a score tensor that is not (P, A) for the A alphas.
    """
    alphas = np.asarray(alphas, dtype=float)
    if not scores:
        raise ValueError("scores is empty: pass {label: D of shape (paths, alphas)}")
    for label, score in scores.items():
        if score.dim() != 2 or score.shape[1] != len(alphas):
            raise ValueError(
                f"scores[{label!r}] must have shape (paths, {len(alphas)}) for the "
                f"{len(alphas)} alphas, got {tuple(score.shape)}"
            )
    fig = Figure(figsize=(6.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for n, (label, score) in enumerate(scores.items()):
        style = {"color": "black", "linestyle": "--"} if label == "truth" else {"color": f"C{n}"}
        quartiles = torch.quantile(score.double(), torch.tensor([0.25, 0.75]).double(), dim=0)
        ax.plot(alphas, score.double().mean(dim=0), marker="o", markersize=3, label=label, **style)
        ax.fill_between(alphas, quartiles[0], quartiles[1], alpha=0.15, color=style["color"])
    if real_score is not None:
        ax.axhline(real_score, color="grey", linestyle=":", label="real held-out images (mean)")
    ax.axhline(0.5, color="grey", linewidth=0.8)
    ax.set(xlabel="α (fraction of the path)", ylabel="D(x) (probability 'real')",
           ylim=(-0.02, 1.02), title=title)  # fmt: skip
    ax.legend(fontsize="small")
    return fig
