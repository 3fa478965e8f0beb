"""Train the models of the series (aeai_lib.zoo.RUNS) for several seeds, in parallel on dask.

    .venv/bin/python scripts/train_checkpoints.py [--seeds 0 1 2] [--only pole_aeai ...]
        [--workers 2 | --scheduler tcp://HOST:PORT] [--table]

Every run is ``python -m aeai_lib train ...`` with one thread (the exact command is recorded),
dispatched to a dask ``LocalCluster`` of ``--workers`` processes, or to an existing cluster
whose workers share this folder (``--scheduler``). Full checkpoints go to
``runs/<name>_seed<k>.pt`` (git-ignored, resumable: re-running the script continues
unfinished runs). Each finished run is evaluated in its worker.
Then seed 0 of each run is exported to ``data/checkpoints/<name>.pt`` with float16 weights
and its freshly evaluated measures, and ``data/checkpoints/MANIFEST.json`` records, per run,
the command, the seed-0 measures of the shipped file and, under ``"seeds"``, every seed's
measures with its training diagnostics (validation reconstruction, the discriminator's
held-out accuracy at the end) and the settings it was trained with (method and options,
training settings, precision, library version and the commit of the tree that trained it), so
that a seed trained after a default changed is told apart. A job whose seed the manifest
already records with the settings the registry gives now is skipped, so a stopped queue,
started again with the same command, resumes with the run it was on. ``--table`` writes the
mean ± std over the recorded seeds of every run into README.md (between the results-table
markers), one table per dataset. A failing run is reported and the others go on; the exit
code is 1 if any failed. ``tests/test_shipped_checkpoints.py`` re-evaluates every shipped
checkpoint against the manifest, and ``tests/test_aeai_acceptance.py`` checks the recorded
seeds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aeai_lib.checkpoint import export_checkpoint, load_checkpoint
from aeai_lib.evaluation.measures import MEASURES
from aeai_lib.sweep import dask_client
from aeai_lib.training import TrainConfig
from aeai_lib.zoo import CHECKPOINT_DIR, RUNS, checkpoint_path, run_path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = CHECKPOINT_DIR / "MANIFEST.json"
END_FRACTION = 0.1
""""At the end" of a run: the diagnostics of its last 10% of steps are averaged."""


def train_command(name: str, seed: int) -> list[str]:
    """The exact command line that trains run ``name`` with ``seed``."""
    return [
        sys.executable, "-m", "aeai_lib", "train", *RUNS[name].cli_args(), "--seed", str(seed),
        "--out", str(run_path(name, seed).relative_to(ROOT)), "--resume", "--no-progress",
        "--threads", "1",
    ]  # fmt: skip


def tree_commit() -> str:
    """The commit of the tree this script runs in, with "+dirty" if it has uncommitted
    changes to tracked files ("unknown" outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def trained_settings(record: dict) -> dict[str, Any]:
    """What a checkpoint was trained with: method (name and every option), the training
    settings that shape the result (not the device), its precision ("bf16" or "fp32"), the
    library version, and the commit of the tree that trained it (:func:`tree_commit`)."""
    train_config = {k: v for k, v in record["train_config"].items() if k != "device"}
    return {
        "method": record["method"],
        "train_config": train_config,
        "precision": "bf16" if train_config.get("bf16") else "fp32",
        "library_version": record.get("library_version"),
        "commit": tree_commit(),
    }


def wanted_settings(name: str, seed: int) -> dict[str, Any]:
    """The method and training settings that the registry gives run ``name`` with ``seed``
    today, in the form :func:`trained_settings` records them."""
    from dataclasses import asdict

    spec = RUNS[name]
    method = spec.make_method()
    train_config = asdict(spec.train_config(seed))
    train_config.pop("device")
    return {"method": {"name": method.name, "options": method.options_dict()},
            "train_config": train_config}  # fmt: skip


def with_defaults(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Recorded ``settings`` of run ``name`` with the fields they lack (a seed trained before
    a training setting or a method option existed) at their defaults, the values that seed
    was trained with, as a resumed checkpoint's are read (:mod:`aeai_lib.resume`)."""
    from dataclasses import asdict

    options = asdict(type(RUNS[name].make_method().options)())
    defaults = {k: v for k, v in asdict(TrainConfig()).items() if k != "device"}
    method = settings.get("method", {})
    return {
        **settings,
        "method": {**method, "options": {**options, **method.get("options", {})}},
        "train_config": {**defaults, **settings.get("train_config", {})},
    }


def pending(jobs: list[tuple[str, int]], manifest: dict) -> list[tuple[str, int]]:
    """The ``jobs`` still to train: those whose seed the manifest does not record with the
    settings the registry gives today (:func:`wanted_settings`)."""

    def done(name: str, seed: int) -> bool:
        settings = manifest.get(name, {}).get("seeds", {}).get(str(seed), {}).get("settings")
        if settings is None:
            return False
        wanted = wanted_settings(name, seed)
        return all(with_defaults(name, settings).get(k) == v for k, v in wanted.items())

    return [job for job in jobs if not done(*job)]


def measures(result: dict) -> dict[str, float | None]:
    """The declared measures (aeai_lib.evaluation.measures.MEASURES) of an evaluation."""
    return {m.key: result[m.key] for m in MEASURES if m.key in result}


def diagnostics_summary(record: dict) -> dict[str, float]:
    """Collapse and balance at a glance, from a checkpoint's training diagnostics.

    ``val_reconstruction_min`` / ``_final`` (held-out images) and, for runs with an
    adversary, ``d_accuracy_end``: the discriminator's held-out accuracy averaged over the
    diagnostics of the last END_FRACTION of the steps (one reading is noisy: 128 images).
    """
    diagnostics, steps = record.get("diagnostics", {}), record["step"]
    summary = {"train_seconds": round(record.get("train_seconds", 0.0), 1)}
    if diagnostics.get("val_reconstruction"):
        summary["val_reconstruction_min"] = min(diagnostics["val_reconstruction"])
        summary["val_reconstruction_final"] = diagnostics["val_reconstruction"][-1]
    if diagnostics.get("d_accuracy"):
        late = [
            accuracy
            for step, accuracy in zip(diagnostics["step"], diagnostics["d_accuracy"], strict=True)
            if step >= (1 - END_FRACTION) * steps
        ]
        summary["d_accuracy_end"] = sum(late) / len(late)
    return summary


def train_and_measure(name: str, seed: int) -> dict:
    """Train (or finish) one run, then measure it. Runs in a dask worker.

    Raises CalledProcessError if training fails.
    """
    from aeai_lib.evaluation.report import evaluate_checkpoint

    subprocess.run(train_command(name, seed), cwd=ROOT, check=True)
    path = run_path(name, seed)
    record = load_checkpoint(path)
    return {
        **measures(evaluate_checkpoint(str(path))),
        **diagnostics_summary(record),
        "settings": trained_settings(record),
    }


def record(name: str, seeds: dict[str, dict]) -> None:
    """Record the measures of ``seeds`` (merged with those the manifest has) for run ``name``;
    when seed 0 is among them, first export it to data/checkpoints/ with fresh measures."""
    from aeai_lib.evaluation.report import evaluate_checkpoint

    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    entry = manifest.get(name, {})
    if "0" in seeds:
        target = checkpoint_path(name)
        export_checkpoint(run_path(name, 0), target)
        metrics = evaluate_checkpoint(str(target)) | {"checkpoint": str(target.relative_to(ROOT))}
        export_checkpoint(run_path(name, 0), target, metrics=metrics)
        entry = {
            "command": " ".join(["python", *train_command(name, 0)[1:]]),
            "seed": 0,
            "train_seconds": round(load_checkpoint(target)["train_seconds"], 1),
            "size_bytes": target.stat().st_size,
            "metrics": metrics,
            "seeds": entry.get("seeds", {}),
        }
    elif not entry:
        raise ValueError(f"{name}: train seed 0 first; it is the shipped checkpoint")
    entry["seeds"] = dict(sorted({**entry["seeds"], **seeds}.items()))
    manifest[name] = entry
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def remeasure(name: str) -> None:
    """Evaluate the shipped checkpoint of run ``name`` again and record its measures as the
    manifest's seed-0 measures (after the evaluation changed; the weights do not)."""
    from aeai_lib.evaluation.report import evaluate_checkpoint

    manifest = json.loads(MANIFEST.read_text())
    target = checkpoint_path(name)
    metrics = evaluate_checkpoint(str(target)) | {"checkpoint": str(target.relative_to(ROOT))}
    export_checkpoint(target, target, metrics=metrics)
    entry = manifest[name]
    entry["metrics"] = metrics
    seed0 = entry.setdefault("seeds", {}).setdefault("0", {})
    seed0.update(measures(metrics))
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


README_START, README_END = "<!-- results-table:start -->", "<!-- results-table:end -->"


def results_tables(names: list[str]) -> str:
    """The README's Markdown tables, one per dataset: each run's recorded measures, mean ± std
    over the seeds in the manifest (the value alone for one seed; a run trained before seeds
    were recorded shows its seed-0 measures); the columns are the
    measures declared for the README in aeai_lib.evaluation.measures.MEASURES."""
    from aeai_lib.evaluation.report import results_table

    manifest = json.loads(MANIFEST.read_text())
    ordered = [name for name in RUNS if name in names and name in manifest]  # registry order
    sections = []
    for dataset in dict.fromkeys(RUNS[name].dataset for name in ordered):
        runs = {}
        for name in (n for n in ordered if RUNS[n].dataset == dataset):
            label = manifest[name]["metrics"]["method"]
            seeds = manifest[name].get("seeds", {"0": manifest[name]["metrics"]})
            listed = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(sorted(seeds))}"
            runs[f"{label} (`{name}`, {listed})"] = list(seeds.values())
        sections.append(results_table(dataset, runs))
    return "\n\n".join(sections)


def write_into_readme(table: str, command: str, seeds: list[str]) -> None:
    """Replace the text between the results-table markers in README.md."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    block = f"\n\nProduced by `{command}` (seeds: {', '.join(seeds)}).\n\n{table}\n\n"
    readme.write_text(text[:start] + block + text[end:])


def parse_job(text: str) -> tuple[str, int]:
    """``"pole_aeai:1"`` -> ("pole_aeai", 1). Raises ArgumentTypeError naming ``text`` and
    the known runs for anything else."""
    name, _, seed = text.partition(":")
    if name not in RUNS or not seed.isdigit():
        raise argparse.ArgumentTypeError(
            f"--jobs: {text!r} is not RUN:SEED with SEED an integer >= 0 and RUN one of "
            f"{', '.join(sorted(RUNS))}"
        )
    return name, int(seed)


def run_queue(
    client: Any,
    jobs: list[tuple[str, int]],
    work: Callable[[str, int], dict],
    done: Callable[[str, int, dict], None],
) -> list[tuple[str, int]]:
    """Run ``work(name, seed)`` for every job on the dask ``client``'s cluster and hand each
    result to ``done(name, seed, result)`` as it arrives; return the jobs that failed.

    One job per worker thread is in flight; whenever a job ends, the cluster's thread count
    is read again and the queue topped up to it, so that workers joining later get work.
    Jobs start in the order given. A failing job (``work`` or ``done`` raising) is printed
    and the others go on.
    """
    from distributed import as_completed

    waiting, futures, failures = list(jobs), {}, []

    def top_up(running: Any = None) -> list:
        slots = max(1, sum(client.nthreads().values()))
        new = []
        while waiting and sum(not f.done() for f in futures) < slots:
            job = waiting.pop(0)
            future = client.submit(work, *job, key=f"{job[0]}-seed{job[1]}", pure=False)
            futures[future] = job
            new.append(future)
            if running is not None:
                running.add(future)
        return new

    running = as_completed(top_up())
    for future in running:
        name, seed = futures[future]
        try:
            done(name, seed, future.result())  # at once: a stopped batch keeps it
            print(f"{name} seed {seed}: done", flush=True)
        except Exception as error:  # a failed run is reported; the others go on
            print(f"{name} seed {seed}: FAILED ({error})", flush=True)
            failures.append((name, seed))
        top_up(running)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUNS), default=list(RUNS))
    parser.add_argument(
        "--jobs",
        nargs="+",
        metavar="RUN:SEED",
        help="the runs to train, in this order (instead of --only and --seeds)",
    )
    parser.add_argument("--workers", type=int, default=2, help="local training processes")
    parser.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a dask cluster")
    parser.add_argument(
        "--table", action="store_true", help="then write mean ± std over the seeds into README"
    )
    parser.add_argument(
        "--remeasure",
        nargs="+",
        choices=sorted(RUNS),
        metavar="RUN",
        help="only evaluate these shipped checkpoints again and record their seed-0 measures "
        "(after a change of the evaluation), then stop",
    )
    args = parser.parse_args()
    if args.remeasure:
        for name in args.remeasure:
            remeasure(name)
            print(f"{name}: measured again", flush=True)
        return 0
    jobs = [(name, seed) for seed in args.seeds for name in args.only]  # seed 0 of all first
    if args.jobs:
        try:
            jobs = [parse_job(text) for text in args.jobs]
        except argparse.ArgumentTypeError as error:
            parser.exit(2, f"{Path(__file__).name}: error: {error}\n")
    CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    todo = pending(jobs, manifest)
    for name, seed in (job for job in jobs if job not in todo):
        print(f"{name} seed {seed}: recorded already with today's settings, skipped", flush=True)
    failures = []
    if todo:
        with dask_client(args.workers, args.scheduler) as client:
            failures = run_queue(
                client, todo, train_and_measure, lambda n, s, r: record(n, {str(s): r})
            )
    if failures:
        return 1
    if args.table:
        table = results_tables(args.only)
        print(table)
        command = "python scripts/train_checkpoints.py " + " ".join(sys.argv[1:])
        write_into_readme(table, command, [str(s) for s in args.seeds])
    return 0


if __name__ == "__main__":
    sys.exit(main())
