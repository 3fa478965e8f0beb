"""Why AdvAI-AE's images are worse than the plain AE's: its result split into three parts.

Issue 26, point 1. AdvAI-AE's learned path decodes worse midpoints than the plain AE's lerp;
the difference has two parts and a cause to check:

* **the autoencoder's cost**: AdvAI-AE's lerp against the AE's lerp (the MMD-to-prior and
  critic terms change the autoencoder before any path is bent);
* **the correction's effect**: AdvAI-AE's learned path against its own lerp (same decoder);
* **the prior assumption**: the MMD² of AdvAI-AE's codes to N(0, I), the prior R was trained
  on (:mod:`aeai_lib.methods.advai.method`, schedule "pretrained"); the AE's as a contrast.

Each part is a difference measured within one seed (both checkpoints of a seed share the data
split, pairs and seed), then averaged over seeds: mean ± sample std (std None for one seed).
:func:`decomposition` measures it from checkpoints with
:func:`~aeai_lib.evaluation.report.evaluate_checkpoint` (the ``evaluate`` command's
measures), optionally with checkpoints corrected by ``python -m aeai_lib correct`` (their
``advai`` path: R trained on the model's own codes, :mod:`aeai_lib.methods.advai.fitted`);
:func:`format_decomposition` prints it as Markdown.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from aeai_lib.checkpoint import load_checkpoint, model_from_record
from aeai_lib.data.registry import load_checkpoint_dataset
from aeai_lib.evaluation.mismatch import mmd, norm_stats
from aeai_lib.evaluation.report import evaluate_checkpoint
from aeai_lib.inference import encode_images
from aeai_lib.priors import sample_prior

MEASURES: tuple[tuple[str, str, str], ...] = (
    ("mse_mid", "MSE at α = ½", ".2e"),
    ("alpha_error", "α error", ".3f"),
    ("speed_ratio", "speed ratio", ".2f"),
    ("latent_mmd", "latent MMD²", ".4f"),
    ("reconstruction_mse", "recon MSE", ".2e"),
)
"""(key of evaluate's result, header, format) of the measures of each (model, path) row."""

Checkpoints = Sequence[str | os.PathLike]


def mean_std(values: Sequence[float]) -> dict[str, float | int | None]:
    """``{"mean", "std", "n"}`` of values over seeds; std is the sample std (None for n = 1)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("no values to average: pass at least one checkpoint per model")
    mean = sum(values) / len(values)
    std = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        if len(values) > 1
        else None
    )
    return {"mean": mean, "std": std, "n": len(values)}


def prior_mismatch(path: str | os.PathLike, seed: int = 0) -> dict[str, Any]:
    """How far a checkpoint's codes of ALL its dataset's images are from N(0, I).

    Returns:
        ``{"mmd": MMD² (median heuristic, :func:`~.mismatch.mmd`) between the N codes and N
        samples of N(0, I_D) drawn with ``seed``, "codes": norm_stats of the codes,
        "prior": norm_stats of the samples}``; norms as :func:`~.mismatch.norm_stats`.
    """
    record = load_checkpoint(path)
    model = model_from_record(record)
    dataset = load_checkpoint_dataset(record["dataset"], path, size=model.config.image_size)
    codes = encode_images(model, dataset.images).double().cpu()
    generator = torch.Generator().manual_seed(seed)
    prior = sample_prior("gaussian", len(codes), codes.shape[1], generator).double()
    return {
        "mmd": mmd(codes, prior, generator=torch.Generator().manual_seed(seed)),
        "codes": norm_stats(codes),
        "prior": norm_stats(prior),
    }


def _evaluate(path, interpolation: str, evaluate: Mapping[str, Any]) -> dict[str, float]:
    result = evaluate_checkpoint(path, interpolation, **evaluate)
    return {key: float(result[key]) for key, _, _ in MEASURES if result.get(key) is not None}


def decomposition(
    ae: Checkpoints,
    advai: Checkpoints,
    *,
    corrected: Mapping[str, Checkpoints] | None = None,
    max_pairs: int | None = 32,
    curve_max_pairs: int | None = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """The decomposition of AdvAI-AE's result over seeds, from checkpoints.

    Args:
        ae, advai: the plain AE's and AdvAI-AE's checkpoints, one per seed, in seed order.
        corrected: label -> checkpoints (one per seed) written by ``python -m aeai_lib
            correct``, e.g. ``{"AE": [...], "AdvAI-AE": [...]}``; each adds a row of its
            ``advai`` path (the code-trained R) and its effect against that model's lerp.
        max_pairs: of evaluate's protocol (the issue's table: 32).
        curve_max_pairs: of evaluate's MSE-vs-interval curves, which this table does not show
            (1 keeps them cheap; MSE at α = ½ does not depend on it).
        seed: evaluate's seed and the prior samples' seed.

    Returns:
        ``{"rows": {row label: {measure key: mean_std}}, "effects": {effect label: mean_std
        of the per-seed difference of MSE at α = ½, or an MMD²}, "n_seeds": n}``. Effects:
        ``"autoencoder cost (AdvAI-AE lerp - AE lerp)"``, ``"correction effect (AdvAI-AE
        prior-trained R - its lerp)"``, the same on latent MMD², ``"MMD² of AdvAI-AE codes
        to N(0, I)"``, ``"MMD² of AE codes to N(0, I)"``, and per corrected label
        ``"code-trained R effect on LABEL (R - lerp)"`` on MSE and on latent MMD².

    Raises:
        ValueError: unequal numbers of checkpoints (seeds) per model, none at all.
    """
    corrected = dict(corrected or {})
    counts = {"ae": len(ae), "advai": len(advai), **{k: len(v) for k, v in corrected.items()}}
    if len(set(counts.values())) != 1 or not len(ae):
        raise ValueError(f"one checkpoint per seed for every model, got {counts}")
    evaluate = {"max_pairs": max_pairs, "curve_max_pairs": curve_max_pairs, "seed": seed}
    per_seed: dict[str, list[dict[str, float]]] = {}
    effects: dict[str, list[float]] = {}

    def add(label: str, row: dict[str, float]) -> dict[str, float]:
        per_seed.setdefault(label, []).append(row)
        return row

    def effect(label: str, value: float) -> None:
        effects.setdefault(label, []).append(value)

    for k in range(len(ae)):
        ae_lerp = add("AE, lerp", _evaluate(ae[k], "lerp", evaluate))
        ad_lerp = add("AdvAI-AE, lerp", _evaluate(advai[k], "lerp", evaluate))
        own = "advai_prior" if "correction" in load_checkpoint(advai[k]) else "advai"
        ad_r = add("AdvAI-AE, prior-trained R", _evaluate(advai[k], own, evaluate))
        effect(
            "autoencoder cost (AdvAI-AE lerp - AE lerp), MSE at α = ½",
            ad_lerp["mse_mid"] - ae_lerp["mse_mid"],
        )
        effect(
            "correction effect (prior-trained R - lerp), MSE at α = ½",
            ad_r["mse_mid"] - ad_lerp["mse_mid"],
        )
        effect(
            "correction effect (prior-trained R - lerp), latent MMD²",
            ad_r["latent_mmd"] - ad_lerp["latent_mmd"],
        )
        effect("MMD² of AdvAI-AE codes to N(0, I)", prior_mismatch(advai[k], seed)["mmd"])
        effect("MMD² of AE codes to N(0, I)", prior_mismatch(ae[k], seed)["mmd"])
        for label, paths in corrected.items():
            lerp_row = _evaluate(paths[k], "lerp", evaluate)
            fitted = add(f"{label}, code-trained R", _evaluate(paths[k], "advai", evaluate))
            effect(
                f"code-trained R effect on {label} (R - lerp), MSE at α = ½",
                fitted["mse_mid"] - lerp_row["mse_mid"],
            )
            effect(
                f"code-trained R effect on {label} (R - lerp), latent MMD²",
                fitted["latent_mmd"] - lerp_row["latent_mmd"],
            )
    rows = {
        label: {key: mean_std([r[key] for r in runs]) for key in runs[0]}
        for label, runs in per_seed.items()
    }
    return {
        "rows": rows,
        "effects": {label: mean_std(values) for label, values in effects.items()},
        "n_seeds": len(ae),
    }


def _cell(value: Mapping[str, Any] | None, spec: str) -> str:
    if value is None:
        return "–"
    text = format(value["mean"], spec)
    return text if value["std"] is None else f"{text} ± {format(value['std'], spec)}"


def format_decomposition(result: Mapping[str, Any]) -> str:
    """:func:`decomposition`'s result as two Markdown tables: the rows, then the effects."""
    header = "| model, path | " + " | ".join(h for _, h, _ in MEASURES) + " |"
    lines = [
        f"{result['n_seeds']} seed(s); mean ± sample std where more than one",
        "",
        header,
        "|" + "---|" * (len(MEASURES) + 1),
    ]
    for label, row in result["rows"].items():
        cells = " | ".join(_cell(row.get(key), spec) for key, _, spec in MEASURES)
        lines.append(f"| {label} | {cells} |")
    lines += ["", "| effect | value |", "|---|---|"]
    for label, value in result["effects"].items():
        lines.append(f"| {label} | {_cell(value, '.2e' if 'MSE' in label else '.4f')} |")
    return "\n".join(lines)
