"""Execute the notebook series with papermill and collect each notebook's summary.

A notebook that fails is reported and the others still run; the caller gets one
:class:`NotebookRun` per notebook and decides the exit code.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aeai_lib.kernels import kernel_start_failure
from aeai_lib.notebook import SUMMARY_PREFIX
from aeai_lib.validation import check_output_folder

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    name: str
    ok: bool
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def list_notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The series' notebooks, ``NN_name.ipynb``, in order."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def read_summary(notebook_path: Path) -> dict[str, Any]:
    """The ``SUMMARY {json}`` lines printed by an executed notebook, merged into one dict."""
    notebook = json.loads(Path(notebook_path).read_text())
    summary: dict[str, Any] = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            lines = text.splitlines() if isinstance(text, str) else "".join(text).splitlines()
            for line in lines:
                if line.startswith(SUMMARY_PREFIX):
                    summary.update(json.loads(line[len(SUMMARY_PREFIX) :]))
    return summary


def run_notebook(
    path: Path, out_dir: Path, parameters: dict[str, Any] | None = None
) -> NotebookRun:
    """Execute one notebook into ``out_dir`` with papermill; never raises for a failing notebook."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    output_path = out_dir / path.name
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path),
            str(output_path),
            parameters=parameters or {},
            cwd=str(path.parent),
            progress_bar=False,
            kernel_name="python3",
        )
    except Exception as error:  # papermill raises PapermillExecutionError and others
        message = str(error).strip().splitlines()
        return NotebookRun(
            path.stem,
            False,
            time.perf_counter() - started,
            error=kernel_start_failure(error) or (message[-1] if message else type(error).__name__),
        )
    return NotebookRun(path.stem, True, time.perf_counter() - started, read_summary(output_path))


def run_series(
    out_dir: Path,
    notebooks: list[Path] | None = None,
    parameters: dict[str, Any] | None = None,
) -> list[NotebookRun]:
    """Execute ``notebooks`` (default: the whole series) in order and write ``summary.json``.

    ``parameters`` are injected into every notebook after its ``parameters`` cell: each
    must be a parameter of every notebook, as each notebook's check refuses names its
    ``parameters`` cell does not define (:func:`aeai_lib.notebook.injected_parameters`).

    Raises:
        ValueError: before any notebook runs, when ``out_dir`` is an existing file or
            cannot be created.
    """
    out_dir = check_output_folder(out_dir, "output folder")
    runs = []
    for path in notebooks or list_notebooks():
        run = run_notebook(path, out_dir, parameters)
        status = "ok" if run.ok else f"FAILED: {run.error}"
        print(f"{run.name:<32} {run.seconds:6.1f} s  {status}", flush=True)
        runs.append(run)
    (out_dir / "summary.json").write_text(json.dumps([asdict(r) for r in runs], indent=2))
    return runs


def format_summary(runs: list[NotebookRun]) -> str:
    """A plain-text table of what ran and the key results of each notebook."""
    lines = [f"{'notebook':<32} {'status':<7} {'seconds':>8}  key results"]
    for run in runs:
        results = ", ".join(f"{k}={v}" for k, v in run.summary.items()) or run.error
        lines.append(
            f"{run.name:<32} {'ok' if run.ok else 'FAILED':<7} {run.seconds:8.1f}  {results}"
        )
    return "\n".join(lines)
