"""Evaluate trained checkpoints and compare them in one plain-text table.

:func:`evaluate_checkpoint` loads a checkpoint with its dataset and runs the measure that fits:
the paper's protocol (:func:`~aeai_lib.evaluation.protocol.evaluate_model`) on datasets with
parameters (pole, folders of views), ACAI's lines benchmark
(:func:`~aeai_lib.evaluation.protocol.evaluate_lines_model`) on "lines". Its dict is
JSON-ready: identification keys, the test reconstruction MSE, the summary scalars at the top
level and the full evaluation (curves for :mod:`.plots`) under ``"evaluation"``.
:func:`format_comparison` lays several such dicts side by side, and :func:`results_table`
averages them over seeds into the README's Markdown table. Both take their columns, headers,
notes and number formats from :data:`aeai_lib.evaluation.measures.MEASURES`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from aeai_lib.checkpoint import load_checkpoint, model_from_record
from aeai_lib.data.registry import load_checkpoint_dataset, load_dataset
from aeai_lib.evaluation.measures import BENCHMARKS, Evaluated, Measure, measures_of, summarise
from aeai_lib.evaluation.probes import evaluate_representation, has_exact_factors
from aeai_lib.evaluation.protocol import CURVE_MAX_PAIRS, evaluate_lines_model, evaluate_model

IDENTITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("checkpoint", "checkpoint"),
    ("method", "method"),
    ("dataset", "dataset"),
    ("steps", "steps"),
)
"""(header, key) of the columns that say which model a row is; the measures follow."""


def _same_data(spec: str, other: str) -> bool:
    """Whether two dataset specs name the same data (folder paths compared resolved)."""
    if spec.startswith("folder:") and other.startswith("folder:"):
        return Path(spec[len("folder:") :]).resolve() == Path(other[len("folder:") :]).resolve()
    return spec == other


def evaluate_checkpoint(
    path: str | os.PathLike,
    interpolation: str = "lerp",
    *,
    interval: float = 80,
    max_pairs: int | None = None,
    curve_max_pairs: int | None = CURVE_MAX_PAIRS,
    seed: int = 0,
    dataset: str | None = None,
    split: str | None = None,
) -> dict:
    """Load a checkpoint and a dataset and measure its interpolations.

    Args:
        path: a checkpoint written by :func:`aeai_lib.training.train`.
        interpolation: one of the model's interpolations ("lerp", "slerp", "normalized",
            "advai" for AdvAI models).
        interval: the main interval of the protocol (paper: 80 degrees); unused for lines.
        max_pairs: cap on the protocol's main pairs (None: all test pairs).
        curve_max_pairs: cap on pairs per interval length of the MSE-vs-interval curves.
        seed: seeds pair subsets, the latent measures and the lines benchmark's pairs.
        dataset: the data to measure on, e.g. ``"folder:PATH"`` for the paper's COIL-100
            protocol on a folder of views named like ``obj12__35.png``: pairs of views
            ``interval`` degrees apart, compared with the true views on the grid between
            them; loaded at the model's image size. None: the data the model was trained on.
        split: which images are paired, "test", "train" or "all"; None: "test" on the data
            the model was trained on (both endpoints held out), "all" on other data.

    Returns:
        ``{"checkpoint", "method" (label, e.g. "AE+A+C+S"), "method_name", "dataset" (the
        data measured on), "trained_on", "steps", "benchmark" ("protocol" or "lines"),
        "interpolation"}``, the value of every measure of
        :data:`~aeai_lib.evaluation.measures.MEASURES` that the model and its benchmark
        compute (``reconstruction_mse``; protocol: ``mse_mid``, ``mse_mean``,
        ``alpha_error``, ...; lines: ``mean_distance``, ``smoothness``; on the pole and the
        lines also the "representation" measures: ``probe_r2``, ``probe_angle_error``,
        ``kmeans_accuracy``, ``kmeans_nmi``), ``"evaluation"``: the full result, and on the
        pole and the lines ``"representation"``: the full
        :func:`~aeai_lib.evaluation.probes.evaluate_representation`.

    Raises:
        ValueError: data the model cannot read (other channels), or without pairs
            ``interval`` apart in ``split`` (the message lists the intervals that have some).
    """
    record = load_checkpoint(path)
    model = model_from_record(record)
    spec = record["dataset"] if dataset is None else dataset
    split = split or ("test" if _same_data(spec, record["dataset"]) else "all")
    size = model.config.image_size
    dataset = (
        load_checkpoint_dataset(spec, path, size=size)
        if spec == record["dataset"]
        else load_dataset(spec, size=size)
    )
    if dataset.name == "lines":
        benchmark = "lines"
        evaluation = evaluate_lines_model(
            model, seed=seed, interpolation=interpolation, readings=record.get("readings")
        )
    else:
        benchmark = "protocol"
        evaluation = evaluate_model(
            model,
            dataset,
            interpolation,
            interval=interval,
            max_pairs=max_pairs,
            split=split,
            curve_max_pairs=curve_max_pairs,
            seed=seed,
        )
    representation = (
        evaluate_representation(model, dataset, seed=seed) if has_exact_factors(dataset) else None
    )
    return {
        "checkpoint": str(path),
        "method": model.label,
        "method_name": model.method_name,
        "dataset": spec,
        "trained_on": record["dataset"],
        "steps": int(record["step"]),
        "benchmark": benchmark,
        "interpolation": interpolation,
        **summarise("model", Evaluated(model, dataset, {})),
        **evaluation["summary"],
        **(representation["summary"] if representation else {}),
        "evaluation": evaluation,
        **({"representation": representation} if representation else {}),
    }


def _shown(results: Sequence[dict], select: str) -> list[Measure]:
    """The measures a table shows (``select``: "report" or "readme"): those of "model", then
    of each benchmark at least one result has a value for."""
    return [
        measure
        for benchmark in BENCHMARKS
        for measure in measures_of(benchmark)
        if getattr(measure, select)
        and (benchmark == "model" or any(measure.key in result for result in results))
    ]


def format_comparison(results: Sequence[dict]) -> str:
    """A plain-text table, one row per :func:`evaluate_checkpoint` result.

    The columns are the identity of the model, then the measures of
    :data:`~aeai_lib.evaluation.measures.MEASURES` marked for the report: the model's always,
    a benchmark's measure when at least one result has it; a cell a result lacks reads "-". A
    note per measure
    follows the table.

    Returns:
        the table as one string (header, rule, one line per result, notes).
    """
    if not results:
        raise ValueError("results is empty; pass the dicts evaluate_checkpoint returns")
    measures = _shown(results, "report")
    rows = [[header for header, _ in IDENTITY_COLUMNS] + [m.header for m in measures]]
    for result in results:
        identity = [str(result.get(key, "-")) for _, key in IDENTITY_COLUMNS]
        rows.append(identity + [m.format(result.get(m.key)) for m in measures])
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    numeric = [key == "steps" for _, key in IDENTITY_COLUMNS] + [True] * len(measures)

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    table = [line(rows[0]), "  ".join("-" * width for width in widths)]
    table += [line(row) for row in rows[1:]]
    notes = [f"  {m.header}: {m.note}" for m in measures]
    return "\n".join([*table, "", _better(measures), *notes])


def _better(measures: Sequence[Measure]) -> str:
    """The sentence that says which way each measure column is better."""
    higher = [m.header for m in measures if not m.lower_is_better]
    if not higher:
        return "Lower is better in every measure column."
    return f"Lower is better in every measure column but {', '.join(higher)} (higher is better)."


def results_table(title: str, runs: Mapping[str, Sequence[dict]]) -> str:
    """A Markdown table of the README's measures: one row per run, mean ± std over its seeds.

    Args:
        title: the first header cell (e.g. the dataset's name).
        runs: row label (e.g. the method's label) -> the :func:`evaluate_checkpoint` results
            of its seeds. The columns are the measures of
            :data:`~aeai_lib.evaluation.measures.MEASURES` marked for the README, of "model"
            and of the results' benchmark, each in its declared format.

    Returns:
        the table; a cell is the mean over seeds, with "± std" (sample std) for several seeds,
        and "-" where no seed has a value.
    """
    measures = _shown([r for results in runs.values() for r in results], "readme")
    rows = [f"| {title} | " + " | ".join(m.header for m in measures) + " |"]
    rows.append("|---" * (len(measures) + 1) + "|")
    for label, results in runs.items():
        cells = []
        for measure in measures:
            values = [r[measure.key] for r in results if r.get(measure.key) is not None]
            values = torch.tensor(values, dtype=torch.float64)
            cell = measure.format(values.mean().item() if len(values) else None)
            if len(values) > 1:
                cell += f" ± {measure.format(values.std().item())}"
            cells.append(cell)
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def manifest_runs(
    path: str | os.PathLike, order: Sequence[str] = (), labels: Mapping[str, str] | None = None
) -> dict[str, dict[str, list[dict]]]:
    """The measures recorded in a checkpoint manifest, grouped for :func:`results_table`:
    dataset -> row label -> one dict of measures per recorded seed.

    Args:
        path: ``data/checkpoints/MANIFEST.json`` (``aeai_lib.zoo.CHECKPOINT_DIR``), written
            by ``scripts/train_checkpoints.py``: a JSON object, run name ->
            ``{"metrics": {...}, ...}``. ``"metrics"`` holds the shipped
            (seed 0) checkpoint's evaluation, with its ``"method"`` label and ``"dataset"``;
            an optional ``"seeds"`` maps each trained seed to its measures.
        order: run names in the order the rows should take (e.g. ``list(zoo.RUNS)``); runs
            it does not name follow in the manifest's (alphabetical) order.
        labels: run name -> its row label, for runs whose method label alone would mislead
            (e.g. ``{"pole_collapse": "AE+A, collapse lesson"}``).

    Returns:
        a row is the method's label (e.g. "AE+A+C+S"), or
        ``"label (run name)"`` when two runs of a dataset share a label. Its list holds every
        recorded seed's measures, or the shipped checkpoint's alone when no seed is recorded.

    Raises:
        ValueError: a file that is missing or not a JSON object, or a run whose metrics
            lack "method" or "dataset".
    """
    try:
        manifest = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the manifest {str(path)!r}: {error}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"the manifest {str(path)!r} must be a JSON object of runs")
    grouped: dict[str, dict[str, list[dict]]] = {}
    names = [name for name in order if name in manifest]
    for name in names + [name for name in manifest if name not in names]:
        entry = manifest[name]
        metrics = entry.get("metrics", {})
        if "method" not in metrics or "dataset" not in metrics:
            raise ValueError(
                f"manifest run {name!r} has no metrics with 'method' and 'dataset'; "
                "re-run scripts/train_checkpoints.py for it"
            )
        rows = grouped.setdefault(metrics["dataset"], {})
        label = (labels or {}).get(name, metrics["method"])
        label = label if label not in rows else f"{label} ({name})"
        seeds = entry.get("seeds") or {"0": metrics}
        rows[label] = [seeds[seed] for seed in sorted(seeds, key=int)]
    return grouped


def manifest_summary(runs: Mapping[str, Mapping[str, Sequence[dict]]]) -> dict[str, float | int]:
    """Flatten :func:`manifest_runs` into summary values for a notebook's ``SUMMARY`` line.

    Returns:
        for every dataset, row and README measure with a value: ``{slug}_{measure}`` (the mean
        over seeds) and, with several seeds, ``{slug}_{measure}_std`` (sample std), plus
        ``{slug}_seeds`` (how many); ``slug`` is ``{dataset}_{label}`` in lower case with
        every run of other characters made one "_" (``"AE+A+C+S"`` on pole:
        ``pole_ae_a_c_s``).
    """
    values: dict[str, float | int] = {}
    for dataset, rows in runs.items():
        for label, seeds in rows.items():
            slug = re.sub(r"[^a-z0-9]+", "_", f"{dataset}_{label}".lower()).strip("_")
            values[f"{slug}_seeds"] = len(seeds)
            for measure in _shown([r for results in rows.values() for r in results], "readme"):
                found = torch.tensor(
                    [r[measure.key] for r in seeds if r.get(measure.key) is not None],
                    dtype=torch.float64,
                )
                if len(found):
                    values[f"{slug}_{measure.key}"] = found.mean().item()
                if len(found) > 1:
                    values[f"{slug}_{measure.key}_std"] = found.std().item()
    return values
