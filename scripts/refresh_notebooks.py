"""Re-execute notebooks in place so that their stored outputs are current (for maintainers).

    .venv/bin/python scripts/refresh_notebooks.py [notebooks/03_*.ipynb ...]
    .venv/bin/python scripts/refresh_notebooks.py --summary-only [notebooks/03_*.ipynb ...]

Runs each notebook top to bottom with its default parameters in a fresh kernel, from the
notebooks/ folder, and writes it back with outputs. Commit the result: readers see the outputs
on GitHub and nbval checks them against a fresh execution.

``--summary-only`` executes nothing: it rewrites a summary cell's stored ``SUMMARY {json}``
line (what ``report_summary`` printed before it showed nothing) as the output it makes today,
the same values in the metadata of an output with no data (``aeai_lib.notebook``).
"""

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from aeai_lib.kernels import kernel_manager_options
from aeai_lib.notebook import SUMMARY_METADATA_KEY, SUMMARY_PREFIX
from aeai_lib.series import list_notebooks


def refresh(path: Path) -> float:
    """Execute the notebook at ``path`` in place; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        **kernel_manager_options(),
    ).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def summary_to_metadata(path: Path) -> int:
    """Rewrite the printed SUMMARY lines of ``path``'s summary cell in place; return how many."""
    notebook = nbformat.read(path, as_version=4)
    converted = 0
    for cell in notebook.cells:
        if "summary" not in cell.get("metadata", {}).get("tags", []):
            continue
        outputs = []
        for output in cell.get("outputs", []):
            lines = output.get("text", "").splitlines() if output.output_type == "stream" else []
            values = [
                json.loads(x[len(SUMMARY_PREFIX) :]) for x in lines if x.startswith(SUMMARY_PREFIX)
            ]
            if not values:
                outputs.append(output)
                continue
            for value in values:
                outputs.append(
                    nbformat.v4.new_output(
                        "display_data", data={}, metadata={SUMMARY_METADATA_KEY: value}
                    )
                )
                converted += 1
        cell.outputs = outputs
    nbformat.write(notebook, path)
    return converted


if __name__ == "__main__":
    summary_only = "--summary-only" in sys.argv
    paths = [Path(p) for p in sys.argv[1:] if p != "--summary-only"] or list_notebooks()
    for notebook_path in paths:
        if summary_only:
            print(f"{notebook_path.name}: {summary_to_metadata(notebook_path)} summary line(s)")
        else:
            print(f"{notebook_path.name}: {refresh(notebook_path):.1f} s", flush=True)
