"""Sweep one notebook over a grid of parameters: papermill runs, in parallel on dask.distributed.

The runs are the Cartesian product of the value lists (or, with ``zip_values``, the lists taken
side by side). Each run is executed by papermill on a dask worker into ``OUT/runs/NAME.ipynb``,
NAME being its parameters (``seed=0,lambda_adv=0.01``); its outcome (status, seconds, the
notebook's ``SUMMARY`` values, a failure's error and traceback) is written atomically beside it
as ``NAME.json``, and ``OUT/results.csv`` is rewritten atomically each time a run finishes.

Resume: a run whose ``NAME.json`` records a completed run with the same identity (a hash of its
parameters and of the notebook's code cells) is not run again; failed and missing runs are.
The identity does not cover ``aeai_lib`` itself: sweep into a new folder after changing it.

By default the runs go to a ``LocalCluster`` of ``workers`` processes with one thread each;
with ``scheduler="tcp://HOST:PORT"`` they go to an existing cluster, whose workers need
``aeai_lib`` installed and must see the notebook's folder and ``out`` at the same paths.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from aeai_lib.atomic import write_text_atomic
from aeai_lib.kernels import kernel_start_failure
from aeai_lib.series import read_summary
from aeai_lib.sweep_grid import SweepRun, plan_sweep, sweep_hint
from aeai_lib.sweep_results import write_results_csv
from aeai_lib.validation import check_positive_int

if TYPE_CHECKING:
    from distributed import Client

RUNS_FOLDER = "runs"
RESULTS_CSV = "results.csv"
SCHEDULER_TIMEOUT_S = 5  # how long to try to reach a --scheduler before giving up
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in IPython tracebacks


@dataclass
class RunResult:
    """What came of one run.

    ``status`` is ``"ok"`` or ``"failed"``; ``seconds`` is the papermill wall time; ``summary``
    holds the notebook's ``SUMMARY`` values; ``error`` is one line (``ename: evalue``) and
    ``traceback`` the failing cell's traceback; ``reused`` is True when an earlier invocation
    completed the run.
    """

    name: str
    parameters: dict[str, Any]
    run_id: str
    status: str = "failed"
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    traceback: str = ""
    reused: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class RunFailed(Exception):
    """Raised by a worker for a failed run so that dask's ``retries`` apply; holds the result."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result)
        self.result = result

    def __str__(self) -> str:
        return f"run {self.result.name} failed: {self.result.error}"


def save_result(result: RunResult, runs_dir: Path) -> Path:
    """Write a run's outcome atomically as ``runs_dir/NAME.json``."""
    return write_text_atomic(runs_dir / f"{result.name}.json", json.dumps(asdict(result), indent=1))


def load_result(run: SweepRun, runs_dir: Path) -> RunResult | None:
    """The outcome of an earlier invocation that completed ``run`` (same identity), else None."""
    try:
        stored = RunResult(**json.loads((runs_dir / f"{run.name}.json").read_text()))
    except (OSError, ValueError, TypeError):  # missing, half-written by an old version, ...
        return None
    done = stored.ok and stored.run_id == run.run_id
    if not done or not (runs_dir / f"{run.name}.ipynb").is_file():
        return None
    stored.reused = True
    return stored


def execute_run(notebook_json: str, cwd: str, run: SweepRun, runs_dir: str, threads: int):
    """Execute one run with papermill (on a dask worker); write its notebook and its JSON.

    The kernel runs in ``cwd`` with ``threads`` OpenMP/MKL threads (torch's intra-op threads).
    Returns the :class:`RunResult`; raises :class:`RunFailed` holding it when the run fails.
    """
    import nbformat
    import papermill

    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    output = Path(runs_dir) / f"{run.name}.ipynb"
    result = RunResult(**asdict(run))
    started = perf_counter()
    try:
        papermill.execute_notebook(
            nbformat.reads(notebook_json, as_version=4),
            str(output),
            parameters=run.parameters,
            cwd=cwd,
            kernel_name="python3",
            progress_bar=False,
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # outcomes go to the table
        )
        result.summary, result.status = read_summary(output), "ok"
    except papermill.PapermillExecutionError as error:
        result.error = sweep_hint(f"{error.ename}: {error.evalue}".splitlines()[0])
        result.traceback = _ANSI.sub("", "\n".join(error.traceback))
    except Exception as error:  # the kernel died or timed out, a SUMMARY line is not JSON, ...
        result.error = (
            kernel_start_failure(error) or f"{type(error).__name__}: {error}".splitlines()[0]
        )
        result.traceback = traceback.format_exc()
    result.seconds = perf_counter() - started
    save_result(result, Path(runs_dir))
    if not result.ok:
        raise RunFailed(result)
    return result


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, else of a new LocalCluster of ``workers``
    single-threaded processes (closed on exit). Raises ValueError if the scheduler is
    unreachable within :data:`SCHEDULER_TIMEOUT_S` seconds."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # a failed run is reported in the table
        )
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"cannot reach the dask scheduler at {scheduler!r} ({error}); start one with "
            "`dask scheduler` and pass the address it prints, or drop --scheduler"
        ) from None
    with client:
        if not client.scheduler_info()["workers"]:
            print(f"waiting for workers: start them with `dask worker {scheduler}`", flush=True)
        yield client


def run_sweep(
    notebook: str | Path,
    grid: Mapping[str, Sequence[Any]],
    out: str | Path,
    *,
    zip_values: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 0,
    threads: int = 1,
    progress: bool = True,
) -> list[RunResult]:
    """Run ``notebook`` once for each point of ``grid`` and return one result per run.

    Args:
        notebook: the ``.ipynb`` to execute; it runs in its own folder, as in the series.
        grid: parameter name -> list of values, e.g. ``{"seed": [0, 1, 2]}``; every name must
            be defined by the notebook's ``parameters`` cell.
        out: folder for ``runs/`` (executed notebooks and their JSON) and ``results.csv``.
        zip_values: take the value lists side by side instead of their Cartesian product.
        workers: LocalCluster processes (default: the CPU count, at most the runs to do).
        scheduler: ``tcp://HOST:PORT`` of an existing dask cluster, instead of a local one.
        retries: extra attempts for a failed run (dask's task retries).
        threads: OpenMP/MKL (torch) threads per run.
        progress: show a tqdm bar of runs done / total on stderr.

    Returns:
        A :class:`RunResult` per run, in grid order; completed runs of an earlier invocation
        are reused (``reused=True``), failed and missing ones are run again.

    Raises:
        ValueError, TypeError, FileNotFoundError: bad input, before any run starts (see
        :func:`aeai_lib.sweep_grid.check_grid`), and an unreachable scheduler.
    """
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; give a folder for the sweep's results")
    if workers is not None:
        check_positive_int("workers", workers)
        if scheduler is not None:
            raise ValueError(
                "workers sizes the local cluster; with a scheduler, start workers on each "
                "machine with `dask worker ADDRESS` instead"
            )
    check_positive_int("retries", retries, minimum=0)
    check_positive_int("threads", threads)
    runs, notebook_json = plan_sweep(notebook, grid, zip_values)
    runs_dir = out / RUNS_FOLDER
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the --out folder {str(out)!r}: {error}") from None
    results = {run.name: load_result(run, runs_dir) for run in runs}
    todo = [run for run in runs if results[run.name] is None]

    def finished() -> list[RunResult]:
        return [results[run.name] for run in runs if results[run.name] is not None]

    if todo:
        from distributed import as_completed
        from tqdm.auto import tqdm

        local_workers = min(workers or os.cpu_count() or 1, len(todo))
        with (
            dask_client(local_workers, scheduler) as client,
            tqdm(
                total=len(runs), initial=len(runs) - len(todo), unit="run", disable=not progress
            ) as bar,
        ):
            code = client.scatter(notebook_json)
            cwd = str(Path(notebook).resolve().parent)
            futures = {
                client.submit(
                    execute_run,
                    code,
                    cwd,
                    run,
                    str(runs_dir),
                    threads,
                    key=f"sweep-{run.name}-{run.run_id}",
                    retries=retries,
                ): run
                for run in todo
            }
            for future in as_completed(futures):
                result = _collect(future, futures[future], runs_dir)
                if not result.ok:
                    bar.write(f"FAILED {result.name}: {result.error}", file=sys.stderr)
                results[result.name] = result
                write_results_csv(finished(), out / RESULTS_CSV)
                bar.update()
    write_results_csv(finished(), out / RESULTS_CSV)
    return finished()


def _collect(future: Any, run: SweepRun, runs_dir: Path) -> RunResult:
    """The result of a finished future; a lost worker or cluster becomes a failed run."""
    try:
        return future.result()
    except RunFailed as failure:
        return failure.result
    except Exception as error:  # KilledWorker, a closed connection, ...
        result = RunResult(**asdict(run), error=f"{type(error).__name__}: {error}".splitlines()[0])
        result.traceback = traceback.format_exc()
        save_result(result, runs_dir)
        return result
