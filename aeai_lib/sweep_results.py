"""A sweep's results as people read them: ``results.csv``, a printed table, a plot.

Every function takes the :class:`~aeai_lib.sweep.RunResult` list that
:func:`~aeai_lib.sweep.run_sweep` returns. Columns: ``name``, one per parameter, ``status``,
``seconds``, one per summary value (a summary value named like one of the other columns is
prefixed ``summary.``), then ``error``, ``traceback`` and ``run_id``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from aeai_lib.atomic import write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:
    from aeai_lib.sweep import RunResult

LOG_X_SPAN = 100  # a positive numeric x spanning this factor or more is plotted on a log axis


def _columns(results: Sequence[RunResult]) -> tuple[list[str], list[str]]:
    """The parameter names (in grid order) and the summary keys (sorted) over all runs."""
    parameters = list(dict.fromkeys(name for r in results for name in r.parameters))
    summaries = sorted({key for r in results for key in r.summary})
    return parameters, summaries


def _summary_column(key: str, taken: set[str]) -> str:
    return f"summary.{key}" if key in taken else key


def _cell(value: Any) -> str:
    """A value as written in the CSV: strings bare, scalars as Python writes them, else JSON."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value)


def results_rows(results: Sequence[RunResult]) -> list[dict[str, Any]]:
    """One dict per run with the columns of ``results.csv`` (values not yet turned to text)."""
    parameters, summaries = _columns(results)
    taken = {"name", "status", "seconds", "error", "traceback", "run_id", *parameters}
    rows = []
    for r in results:
        row: dict[str, Any] = {"name": r.name}
        row |= {name: r.parameters.get(name, "") for name in parameters}
        row |= {"status": r.status, "seconds": round(r.seconds, 3)}
        row |= {_summary_column(key, taken): r.summary.get(key, "") for key in summaries}
        row |= {"error": r.error, "traceback": r.traceback, "run_id": r.run_id}
        rows.append(row)
    return rows


def write_results_csv(results: Sequence[RunResult], path: str | Path) -> Path:
    """Write ``results.csv`` atomically (one row per run); return its path."""
    rows = results_rows(results)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return write_text_atomic(path, buffer.getvalue())


def _short(value: Any) -> str:
    """A value for the printed table: floats to 4 significant digits, lists element-wise."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return _cell(value)


def format_table(results: Sequence[RunResult]) -> str:
    """A plain-text table: parameters, status, seconds, summary values, and any error."""
    rows = results_rows(results)
    if not rows:
        return "(no runs)"
    hidden = {"name", "traceback", "run_id"}
    if all(not row["error"] for row in rows):
        hidden.add("error")
    columns = [key for key in rows[0] if key not in hidden]
    cells = [[_short(row[key]) for key in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def summary_statistics(
    results: Sequence[RunResult], y: str, x: str
) -> list[tuple[Any, float, float, int]]:
    """``(x value, mean, std, runs)`` of summary value ``y`` per value of parameter ``x``.

    Only completed runs count; ``std`` is the sample standard deviation (0 for a single run).
    Numeric ``x`` values come sorted, others in grid order. Raises ValueError when no run
    completed, ``x`` is no parameter, or ``y`` is no numeric summary value of the completed runs.
    """
    done = [r for r in results if r.ok]
    if not done:
        raise ValueError("no run completed, so there is nothing to plot")
    parameters, summaries = _columns(done)
    if x not in parameters:
        raise ValueError(f"--x {x!r} is not a swept parameter; choose one of: {parameters}")
    if y not in summaries:
        raise ValueError(
            f"--plot {y!r} is not a summary value of the completed runs; they report: {summaries}"
        )
    groups: dict[str, list[float]] = {}
    x_values: dict[str, Any] = {}
    for r in done:
        value = r.summary.get(y)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"--plot {y!r} is {value!r} in run {r.name}, not a number")
        key = json.dumps(r.parameters[x], sort_keys=True)
        groups.setdefault(key, []).append(float(value))
        x_values[key] = r.parameters[x]
    keys = sorted(groups, key=x_values.__getitem__) if _numeric(x_values.values()) else list(groups)
    return [
        (
            x_values[k],
            float(np.mean(groups[k])),
            float(np.std(groups[k], ddof=1)) if len(groups[k]) > 1 else 0.0,
            len(groups[k]),
        )
        for k in keys
    ]


def _numeric(values: Iterable[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def plot_summary(results: Sequence[RunResult], y: str, x: str, path: str | Path) -> Path:
    """Plot :func:`summary_statistics`: summary value ``y`` against parameter ``x``, mean ± std
    over the other parameters, and write it as a PNG (atomically); return the path.

    A numeric ``x`` is a line (on a log axis when positive and spanning a factor of 100 or more,
    as for a λ sweep); any other ``x`` is categorical. Raises ValueError as
    :func:`summary_statistics` does.
    """
    points = summary_statistics(results, y, x)
    x_values, means, stds, counts = zip(*points, strict=True)
    numeric = _numeric(x_values)
    positions = list(x_values) if numeric else list(range(len(points)))

    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    ax.errorbar(positions, means, yerr=stds, marker="o", capsize=4, ls="-" if numeric else "none")
    if numeric and min(positions) > 0 and max(positions) >= LOG_X_SPAN * min(positions):
        ax.set_xscale("log")
    if not numeric:
        ax.set_xticks(positions, [_short(v) for v in x_values])
        ax.set_xlim(-0.5, len(positions) - 0.5)
    runs = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"
    done = [r for r in results if r.ok]
    varied = [p for p in _columns(done)[0] if len({_cell(r.parameters[p]) for r in done}) > 1]
    others = ", ".join(p for p in varied if p != x) or "nothing else"
    title = f"{y} against {x}\nmean ± std over {others} ({runs} completed run(s) per point)"
    ax.set(xlabel=x, ylabel=y, title=title)
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return write_bytes_atomic(path, buffer.getvalue())
