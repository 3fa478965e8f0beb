"""Evaluate trained checkpoints and compare them in one plain-text table.

:func:`evaluate_checkpoint` loads a checkpoint with its dataset and runs the measure that fits:
the paper's protocol (:func:`~aeai_lib.evaluation.protocol.evaluate_model`) on datasets with
parameters (pole, folders of views), ACAI's lines benchmark
(:func:`~aeai_lib.evaluation.protocol.evaluate_lines_model`) on "lines". Its dict is
JSON-ready: identification keys, the test reconstruction MSE, the summary scalars at the top
level and the full evaluation (curves for :mod:`.plots`) under ``"evaluation"``.
:func:`format_comparison` lays several such dicts side by side.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from aeai_lib.checkpoint import load_checkpoint, model_from_record
from aeai_lib.data.registry import load_checkpoint_dataset
from aeai_lib.evaluation.protocol import CURVE_MAX_PAIRS, evaluate_lines_model, evaluate_model
from aeai_lib.methods import method_from_record
from aeai_lib.training import reconstruction_error

IDENTITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("checkpoint", "checkpoint"),
    ("method", "method"),
    ("dataset", "dataset"),
    ("steps", "steps"),
    ("recon MSE", "reconstruction_mse"),
)
"""(header, key) of the columns every row has."""
TEXT_KEYS = ("checkpoint", "method", "dataset")
"""Left-aligned columns; the others hold numbers and are right-aligned."""
PROTOCOL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("MSE a=0.5", "mse_mid"),
    ("mean MSE", "mse_mean"),
    ("alpha err", "alpha_error"),
    ("monotonic viol", "monotonicity_violations"),
    ("speed ratio", "speed_ratio"),
    ("credibility", "credibility"),
    ("latent MMD", "latent_mmd"),
)
"""(header, key) of the paper's protocol (pole, folders)."""
LINES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("mean dist", "mean_distance"),
    ("smoothness", "smoothness"),
)
"""(header, key) of ACAI's lines benchmark."""
COLUMN_NOTES: dict[str, str] = {
    "recon MSE": "test reconstruction MSE per pixel",
    "MSE a=0.5": "mean MSE vs the true in-between image at alpha 0.5",
    "mean MSE": "mean MSE vs the true images over all alphas",
    "alpha err": "mean |median predicted alpha - alpha| (nearest dataset image)",
    "monotonic viol": "fraction of steps moving back to x_i or away from x_j",
    "speed ratio": "max / min image step per path (1: constant speed)",
    "credibility": "mean MSE of interpolants to the nearest dataset image",
    "latent MMD": "MMD^2 of midpoint codes vs real codes",
    "mean dist": "cosine distance to the nearest true line",
    "smoothness": "ACAI smoothness of the nearest lines' angles",
}
"""One line per column, printed under the table. Lower is better everywhere."""


def evaluate_checkpoint(
    path: str | os.PathLike,
    interpolation: str = "lerp",
    *,
    interval: float = 80,
    max_pairs: int | None = None,
    curve_max_pairs: int | None = CURVE_MAX_PAIRS,
    seed: int = 0,
) -> dict:
    """Load a checkpoint and its dataset and measure its interpolations.

    Args:
        path: a checkpoint written by :func:`aeai_lib.training.train`.
        interpolation: one of the model's interpolations ("lerp", "slerp", "normalized",
            "advai" for AdvAI models).
        interval: the main interval of the protocol (paper: 80 degrees); unused for lines.
        max_pairs: cap on the protocol's main pairs (None: all test pairs).
        curve_max_pairs: cap on pairs per interval length of the MSE-vs-interval curves.
        seed: seeds pair subsets, the latent measures and the lines benchmark's pairs.

    Returns:
        ``{"checkpoint", "method" (label, e.g. "AE+A+C+S"), "method_name", "dataset",
        "steps", "benchmark" ("protocol" or "lines"), "interpolation",
        "reconstruction_mse"}``, the evaluation's summary scalars (protocol: ``mse_mid``,
        ``mse_mean``, ``alpha_error``, ``boundary_error``, ``monotonicity_violations``,
        ``speed_ratio``, ``credibility``, ``latent_kl``, ``latent_mmd``; lines:
        ``mean_distance``, ``smoothness``) and ``"evaluation"``: the full result.
    """
    record = load_checkpoint(path)
    model = model_from_record(record)
    method = method_from_record(record["method"])
    dataset = load_checkpoint_dataset(record["dataset"], path, size=model.config.image_size)
    if dataset.name == "lines":
        benchmark = "lines"
        evaluation = evaluate_lines_model(model, seed=seed, interpolation=interpolation)
    else:
        benchmark = "protocol"
        evaluation = evaluate_model(
            model,
            dataset,
            interpolation,
            interval=interval,
            max_pairs=max_pairs,
            curve_max_pairs=curve_max_pairs,
            seed=seed,
        )
    return {
        "checkpoint": str(path),
        "method": method.label,
        "method_name": method.name,
        "dataset": record["dataset"],
        "steps": int(record["step"]),
        "benchmark": benchmark,
        "interpolation": interpolation,
        "reconstruction_mse": reconstruction_error(model, dataset),
        **evaluation["summary"],
        "evaluation": evaluation,
    }


def _cell(value: object) -> str:
    """A table cell: 4 significant digits for floats, '-' for missing or undefined values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_comparison(results: Sequence[dict]) -> str:
    """A plain-text table, one row per :func:`evaluate_checkpoint` result.

    The protocol's and the lines benchmark's columns appear when at least one result has
    them; a cell a result lacks reads "-". A note per column follows the table.

    Returns:
        the table as one string (header, rule, one line per result, notes).
    """
    if not results:
        raise ValueError("results is empty; pass the dicts evaluate_checkpoint returns")
    columns = list(IDENTITY_COLUMNS)
    for group in (PROTOCOL_COLUMNS, LINES_COLUMNS):
        if any(key in result for result in results for _, key in group):
            columns += group
    rows = [[header for header, _ in columns]]
    rows += [[_cell(result.get(key)) for _, key in columns] for result in results]
    widths = [max(len(row[k]) for row in rows) for k in range(len(columns))]
    numeric = [key not in TEXT_KEYS for _, key in columns]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    table = [line(rows[0]), "  ".join("-" * width for width in widths)]
    table += [line(row) for row in rows[1:]]
    notes = [
        f"  {header}: {COLUMN_NOTES[header]}" for header, _ in columns if header in COLUMN_NOTES
    ]
    return "\n".join([*table, "", "Lower is better in every measure column.", *notes])


def checkpoint_label(result: dict) -> str:
    """A short legend label for plots: ``"<method> (<file name>)"``."""
    return f"{result['method']} ({Path(result['checkpoint']).name})"
