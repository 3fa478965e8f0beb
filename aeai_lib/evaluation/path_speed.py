"""The speed of a decoded interpolation, d x_hat / d alpha: exactly, and as training estimates it.

AEAI's smoothness term (Oring et al., ICML 2021) is L_S = sum_n ||d x_hat / d a||^2 at
a = n / M, with x_hat(a) = g((1 - a) z_i + a z_j). Notebook 06 measures it on trained models:

* :func:`path_velocities`: the decoded lerp paths between image pairs and their exact
  velocities ``d x_hat / d a = J_g(z(a)) (z_j - z_i)``, by a forward-mode Jacobian-vector
  product (:func:`aeai_lib.losses.decode_with_velocity`). The *speed* is a velocity's l2
  norm over the C * H * W values of [0, 1] images: pixel l2 per unit alpha;
* :func:`training_smoothness`: L_S as AEAI's training step computes it on those pairs
  (:class:`~aeai_lib.methods.aeai.AEAIOptions` ``smoothness``, ``alphas_per_pair``,
  ``grid_intervals``), once per draw of the alphas: the estimator's bias and spread against
  the exact whole-grid value;
* :func:`plot_speed_profiles`: the speed along alpha, absolute and relative to each path's
  mean, as median and quartiles over the pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from matplotlib.figure import Figure

from aeai_lib.inference import encode_images, inference
from aeai_lib.interpolation import lerp
from aeai_lib.losses import decode_with_velocity
from aeai_lib.methods import make_method
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_alphas, check_positive_int


def _check_pairs(sources: torch.Tensor, targets: torch.Tensor) -> None:
    if sources.dim() != 4 or sources.shape != targets.shape or len(sources) < 1:
        raise ValueError(
            "sources and targets must be images (P, C, H, W) of one shape with P >= 1, got "
            f"{tuple(sources.shape)} and {tuple(targets.shape)}"
        )


def path_velocities(
    model: AutoencoderModel,
    sources: torch.Tensor,
    targets: torch.Tensor,
    alphas: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The decoded lerp paths between image pairs and their exact velocities along alpha.

    Args:
        model: a trained autoencoder (run in eval mode, without gradients).
        sources, targets: x_i and x_j of P pairs, (P, C, H, W) with values in [0, 1].
        alphas: (A,) coefficients in [0, 1], e.g. ``alpha_grid(16)``.

    Returns:
        (images, velocities), both float32 (P, A, C, H, W) on the CPU: x_hat(a) =
        g((1 - a) f(x_i) + a f(x_j)) and d x_hat / d a = J_g(z(a)) (f(x_j) - f(x_i)), in
        pixel values (of [0, 1]) per unit alpha. ``velocities.flatten(2).norm(dim=2)`` is
        the speed (P, A).

    Raises:
        ValueError: sources and targets not (P, C, H, W) of one shape, alphas not in [0, 1].
    """
    _check_pairs(sources, targets)
    alphas = check_alphas(alphas)
    ends = encode_images(model, torch.cat([sources, targets]))
    starts, stops = ends[: len(sources)], ends[len(sources) :]
    codes = lerp(starts, stops, alphas.to(ends.device))  # (P, A, D)
    directions = (stops - starts).unsqueeze(1).expand_as(codes)
    with inference(model):
        images, velocities = decode_with_velocity(
            model.decoder, codes.flatten(0, 1), directions.flatten(0, 1)
        )
    shape = codes.shape[:2]
    return images.float().cpu().unflatten(0, shape), velocities.float().cpu().unflatten(0, shape)


def training_smoothness(
    model: AutoencoderModel,
    sources: torch.Tensor,
    targets: torch.Tensor,
    draws: int = 16,
    seed: int = 0,
    **options: object,
) -> torch.Tensor:
    """L_S of the pairs as AEAI's training step estimates it, once per draw of the alphas.

    The term ``losses(...).terms["smoothness"]`` of AEAI with ``options`` (e.g.
    ``smoothness="sibling"``, ``alphas_per_pair=1``; the defaults of
    :class:`~aeai_lib.methods.aeai.AEAIOptions` otherwise), on the batch
    ``cat([sources, targets])``, whose pairs are (sources[k], targets[k]). Per pixel and
    point: (pixel values per unit alpha)^2. With ``smoothness="jvp", alphas_per_pair=None``
    it is exact: the mean of ||d x_hat / d a||^2 / (C H W) over the M + 1 grid points.

    Args:
        model: a trained autoencoder (run in eval mode, without gradients).
        sources, targets: (P, C, H, W) images in [0, 1].
        draws: how many draws of the alphas (>= 1); draw k uses generator seed ``seed + k``.
        seed: the first draw's seed.
        **options: AEAI options (the weights of L_A and L_C are set to 0, L_S's to 1).

    Returns:
        float64 (draws,) on the CPU.

    Raises:
        ValueError: bad pairs, ``draws`` < 1, or options AEAIOptions refuses.
    """
    _check_pairs(sources, targets)
    check_positive_int("draws", draws)
    weights = {"lambda_adv": 0.0, "lambda_cycle": 0.0, "lambda_smooth": 1.0}
    method = make_method("aeai", **{**options, **weights})
    with inference(model) as device:
        images = torch.cat([sources, targets]).to(device)
        values = [
            method.losses(model, images, 0, torch.Generator().manual_seed(seed + draw))
            for draw in range(draws)
        ]
    return torch.stack([value.terms["smoothness"] for value in values]).double().cpu()


def plot_speed_profiles(
    profiles: Mapping[str, tuple[torch.Tensor, torch.Tensor]], reference: str = "truth"
) -> Figure:
    """Speed along alpha: absolute (left) and divided by each path's mean speed (right).

    Args:
        profiles: label -> (alphas (A,), speeds (P, A)): the speed of P paths at A alphas,
            in pixel l2 (of [0, 1] images) per unit alpha. Each curve is the median over the
            P paths with the quartiles as a band.
        reference: the label drawn as a dashed black line without a band (e.g. the true
            paths), if present.

    Returns:
        the figure (two axes), built without pyplot (display it once, or ``savefig`` it).

    Raises:
        ValueError: no profiles, or speeds that are not (P, A) for their (A,) alphas.
    """
    if not profiles:
        raise ValueError("profiles is empty; pass {label: (alphas (A,), speeds (P, A))}")
    for label, (alphas, speeds) in profiles.items():
        if alphas.dim() != 1 or speeds.dim() != 2 or speeds.shape[1] != len(alphas):
            raise ValueError(
                f"profile {label!r}: speeds must be (P, A) for alphas (A,), got "
                f"{tuple(speeds.shape)} and {tuple(alphas.shape)}"
            )
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    quartiles = torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)
    for k, (label, (alphas, speeds)) in enumerate(profiles.items()):
        speeds = speeds.double()
        for ax, values in zip(
            axes, (speeds, speeds / speeds.mean(dim=1, keepdim=True)), strict=True
        ):
            low, median, high = torch.quantile(values, quartiles, dim=0)
            if label == reference:
                ax.plot(alphas, median, "k--", label=label)
            else:
                ax.plot(alphas, median, "o-", color=f"C{k}", markersize=3, label=label)
                ax.fill_between(alphas, low, high, color=f"C{k}", alpha=0.2)
    axes[0].set(ylabel="speed ‖dx̂/dα‖ (pixel L2 per unit α)", title="Absolute speed")
    axes[1].axhline(1, color="grey", linewidth=0.5)
    axes[1].set(ylabel="speed / the path's mean speed", title="Relative speed (1: constant)")
    for ax in axes:
        ax.set_xlabel("α (0: source, 1: target)")
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    return fig
