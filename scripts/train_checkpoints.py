"""Train the models the notebooks use (aeai_lib.zoo.RUNS); optionally write the results table.

    .venv/bin/python scripts/train_checkpoints.py [--seeds 0 1 2] [--only pole_aeai ...] [--table]

Every run is ``python -m aeai_lib train ...`` (the exact command is recorded). Full
checkpoints go to ``runs/<name>_seed<k>.pt`` (git-ignored, resumable: re-running the script
continues unfinished runs); seed 0 of each run is exported to ``data/checkpoints/<name>.pt``
with float16 weights and its freshly evaluated measures, and
``data/checkpoints/MANIFEST.json`` records the command, seed, training time and measures.
Each run uses one thread, so that several can run side by side (``--only`` splits the list).
``--table`` then evaluates every run for every seed and writes the mean ± std of the measures
declared for the README (aeai_lib.evaluation.measures.MEASURES) into README.md, one table per
dataset (between the results-table markers).
A failing run is reported and the others go on; the exit code is 1 if any failed.
``tests/test_shipped_checkpoints.py`` re-evaluates every shipped checkpoint against them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from aeai_lib.checkpoint import export_checkpoint, load_checkpoint
from aeai_lib.zoo import CHECKPOINT_DIR, RUNS, checkpoint_path, run_path

ROOT = Path(__file__).resolve().parent.parent


def train_command(name: str, seed: int) -> list[str]:
    """The exact command line that trains run ``name`` with ``seed``."""
    return [
        sys.executable, "-m", "aeai_lib", "train", *RUNS[name].cli_args(), "--seed", str(seed),
        "--out", str(run_path(name, seed).relative_to(ROOT)), "--resume", "--no-progress",
        "--threads", "1",
    ]  # fmt: skip


def train_run(name: str, seed: int) -> None:
    """Train (or finish) one run. Raises CalledProcessError if training fails."""
    subprocess.run(train_command(name, seed), cwd=ROOT, check=True)


def ship(name: str) -> None:
    """Export seed 0 of ``name`` to data/checkpoints/ with fresh measures; update the manifest."""
    from aeai_lib.evaluation.report import evaluate_checkpoint

    target = checkpoint_path(name)
    export_checkpoint(run_path(name, 0), target)
    metrics = evaluate_checkpoint(str(target)) | {"checkpoint": str(target.relative_to(ROOT))}
    export_checkpoint(run_path(name, 0), target, metrics=metrics)
    command = train_command(name, 0)
    manifest_path = CHECKPOINT_DIR / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[name] = {
        "command": " ".join(["python", *command[1:]]),
        "seed": 0,
        "train_seconds": round(load_checkpoint(target)["train_seconds"], 1),
        "size_bytes": target.stat().st_size,
        "metrics": metrics,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


README_START, README_END = "<!-- results-table:start -->", "<!-- results-table:end -->"


def results_tables(names: list[str], seeds: list[int]) -> str:
    """The README's Markdown tables, one per dataset: each run's measures, mean ± std over
    ``seeds`` (the value alone for one seed); the columns are the measures declared for the
    README in aeai_lib.evaluation.measures.MEASURES."""
    from aeai_lib.evaluation.report import evaluate_checkpoint, results_table

    ordered = [name for name in RUNS if name in names]  # the registry's order
    sections = []
    for dataset in dict.fromkeys(RUNS[name].dataset for name in ordered):
        runs = {}
        for name in (n for n in ordered if RUNS[n].dataset == dataset):
            results = [evaluate_checkpoint(str(run_path(name, seed))) for seed in seeds]
            label = results[0]["method"]
            runs[label if label not in runs else f"{label} ({name})"] = results
        sections.append(results_table(dataset, runs))
    return "\n\n".join(sections)


def write_into_readme(table: str, command: str, seeds: list[int]) -> None:
    """Replace the text between the results-table markers in README.md."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    block = f"\n\nProduced by `{command}` (seeds: {seeds}).\n\n{table}\n\n"
    readme.write_text(text[:start] + block + text[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUNS), default=sorted(RUNS))
    parser.add_argument(
        "--table", action="store_true", help="then write mean ± std over --seeds into README.md"
    )
    args = parser.parse_args()
    CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)
    failures = []
    for name in args.only:
        for seed in args.seeds:
            try:
                train_run(name, seed)
            except subprocess.CalledProcessError as error:
                print(f"{name} seed {seed}: FAILED ({error})", flush=True)
                failures.append((name, seed))
                continue
            if seed == 0:
                ship(name)
    if failures:
        return 1
    if args.table:
        table = results_tables(args.only, args.seeds)
        print(table)
        command = "python scripts/train_checkpoints.py " + " ".join(sys.argv[1:])
        write_into_readme(table, command, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
