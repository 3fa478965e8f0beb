"""Re-execute notebooks in place so that their stored outputs are current (for maintainers).

    .venv/bin/python scripts/refresh_notebooks.py [notebooks/03_*.ipynb ...]

Runs each notebook top to bottom with its default parameters in a fresh kernel, from the
notebooks/ folder, and writes it back with outputs. Commit the result: readers see the outputs
on GitHub and nbval checks them in the test suite.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

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
    ).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or list_notebooks()
    for notebook_path in paths:
        print(f"{notebook_path.name}: {refresh(notebook_path):.1f} s", flush=True)
