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

import hashlib
import itertools
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
from aeai_lib.series import read_summary
from aeai_lib.sweep_results import write_results_csv
from aeai_lib.validation import check_positive_int

if TYPE_CHECKING:
    from distributed import Client

RUNS_FOLDER = "runs"
RESULTS_CSV = "results.csv"
SCHEDULER_TIMEOUT_S = 5  # how long to try to reach a --scheduler before giving up
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._,=+\-\[\]]")  # characters kept out of file names
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in IPython tracebacks


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its file name, its parameters and its identity (a hex digest)."""

    name: str
    parameters: dict[str, Any]
    run_id: str


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


def parse_cli_values(values: Sequence[str]) -> list[Any]:
    """Command-line values typed as papermill types ``-p`` values (``papermill.cli``).

    ``True``, ``False`` and ``None``, integers and floats become Python values; anything else
    stays a string: ``["0", "0.1", "True", "pole"]`` -> ``[0, 0.1, True, "pole"]``.
    """
    from papermill.cli import _resolve_type

    return [_resolve_type(value) for value in values]


def parse_yaml_grid(text: str) -> dict[str, list[Any]]:
    """A YAML mapping of value lists, read as papermill reads ``-y`` (no date parsing).

    ``"dims: [[2, 16], [2, 64]]"`` -> ``{"dims": [[2, 16], [2, 64]]}``: two runs, each given a
    list. Raises ValueError for text that is not such a mapping.
    """
    import yaml
    from papermill.iorw import NoDatesSafeLoader

    try:
        grid = yaml.load(text, Loader=NoDatesSafeLoader)
    except yaml.YAMLError as error:
        raise ValueError(f"-y {text!r} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(grid, dict) or not all(isinstance(name, str) for name in grid):
        raise ValueError(
            f"-y takes a YAML mapping of parameter names to value lists, "
            f"e.g. -y 'dims: [[2, 16], [2, 64]]'; got {text!r}"
        )
    for name, values in grid.items():
        if not isinstance(values, list):
            raise ValueError(
                f"-y gives {name}: {values!r}, not a list of values to sweep; "
                f"write '{name}: [{values!r}]' for a single value"
            )
    return grid


def grid_from_cli(parameters: Sequence[Sequence[str]], yaml_texts: Sequence[str]) -> dict:
    """The grid from ``-p NAME VALUE...`` groups and ``-y YAML`` texts; a name given twice fails."""
    pairs = [(name, parse_cli_values(values)) for name, *values in parameters]
    pairs += [item for text in yaml_texts for item in parse_yaml_grid(text).items()]
    grid: dict[str, list[Any]] = {}
    for name, values in pairs:
        if name in grid:
            raise ValueError(f"parameter {name!r} is given twice; list all its values once")
        grid[name] = values
    return grid


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, str]]:
    """The parameters defined by the notebook's ``parameters`` cell (papermill's inspection).

    Maps each name to papermill's ``{name, inferred_type_name, default, help}``. Raises
    FileNotFoundError for a missing file and ValueError for one that is not a notebook.
    """
    from papermill import inspect_notebook

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {str(path)!r} not found; give the path to an .ipynb")
    try:
        return inspect_notebook(str(path))
    except Exception as error:  # papermill and nbformat raise many kinds for a non-notebook
        raise ValueError(f"{str(path)!r} is not a readable notebook: {error}") from None


def check_grid(grid: Mapping[str, Sequence[Any]], defined: Mapping[str, Any], notebook: str):
    """Check a grid against the notebook's parameters before any run starts.

    Raises ValueError for an empty grid, a name the ``parameters`` cell does not define (listing
    the ones it does) or an empty value list, TypeError for values that are not a list of
    JSON-serialisable values.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError("give at least one parameter to sweep: -p NAME VALUE [VALUE ...]")
    for name, values in grid.items():
        if name not in defined:
            known = ", ".join(defined) or "none (it has no cell tagged 'parameters')"
            raise ValueError(
                f"parameter {name!r} is not defined in the parameters cell of {notebook}; "
                f"its parameters are: {known}"
            )
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise TypeError(f"grid[{name!r}] must be a list of values, got {values!r}")
        if not values:
            raise ValueError(
                f"parameter {name!r} has an empty value list; give one or more: -p {name} V [V ...]"
            )
        for value in values:
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise TypeError(
                    f"value {value!r} of parameter {name!r} is not JSON-serialisable; "
                    "use numbers, strings, booleans, None, lists and dicts"
                ) from None


def expand_grid(grid: Mapping[str, Sequence[Any]], zip_values: bool = False) -> list[dict]:
    """The runs' parameters: the Cartesian product of the value lists, or with ``zip_values``
    the lists taken side by side (they must then have the same length)."""
    if zip_values:
        lengths = {name: len(values) for name, values in grid.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"--zip takes the value lists side by side, so they need one length; got {lengths}"
            )
        combinations = zip(*grid.values(), strict=True)
    else:
        combinations = itertools.product(*grid.values())
    return [dict(zip(grid, values, strict=True)) for values in combinations]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def run_name(parameters: Mapping[str, Any]) -> str:
    """A file name made of a run's parameters: ``seed=0,lambda_adv=0.01``.

    Values are written as they would be typed after ``-p`` (a string bare when papermill would
    read it back as that string, anything else as compact JSON). A name with characters unsafe
    in file names, or over 120 characters, is cut and given 8 hex digits of the parameters'
    hash, so that two different runs never share a file.
    """
    from papermill.cli import _resolve_type

    def text(value: Any) -> str:
        bare = isinstance(value, str) and _resolve_type(value) == value
        return value if bare else json.dumps(value, separators=(",", ":"))

    name = ",".join(f"{key}={text(value)}" for key, value in parameters.items())
    safe = _UNSAFE.sub("_", name)
    if safe != name or len(safe) > MAX_NAME_CHARS:
        safe = f"{safe[:MAX_NAME_CHARS]}~{_digest(dict(parameters))[:8]}"
    return safe


def plan_sweep(
    notebook: str | Path, grid: Mapping[str, Sequence[Any]], zip_values: bool = False
) -> tuple[list[RunSpec], str]:
    """Check the grid against the notebook and list its runs; nothing is executed.

    Returns the runs and the notebook without outputs, as JSON text (what workers execute).
    A run's identity hashes its parameters and the notebook's code cells (not its outputs or
    Markdown, which do not change results).
    """
    import nbformat

    defined = notebook_parameters(notebook)
    check_grid(grid, defined, str(notebook))
    code = nbformat.read(str(notebook), as_version=4)
    for cell in code.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    code_id = _digest([cell.source for cell in code.cells if cell.cell_type == "code"])
    runs = [
        RunSpec(run_name(p), p, _digest({"code": code_id, "parameters": p})[:16])
        for p in expand_grid(grid, zip_values)
    ]
    names = [run.name for run in runs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"the grid holds run {repeated[0]} more than once; drop repeated values")
    return runs, nbformat.writes(code)


def save_result(result: RunResult, runs_dir: Path) -> Path:
    """Write a run's outcome atomically as ``runs_dir/NAME.json``."""
    return write_text_atomic(runs_dir / f"{result.name}.json", json.dumps(asdict(result), indent=1))


def load_result(run: RunSpec, runs_dir: Path) -> RunResult | None:
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


def execute_run(notebook_json: str, cwd: str, run: RunSpec, runs_dir: str, threads: int):
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
        result.error = f"{error.ename}: {error.evalue}".splitlines()[0]
        result.traceback = _ANSI.sub("", "\n".join(error.traceback))
    except Exception as error:  # the kernel died or timed out, a SUMMARY line is not JSON, ...
        result.error = f"{type(error).__name__}: {error}".splitlines()[0]
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
        :func:`check_grid`), and an unreachable scheduler.
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
    runs_dir.mkdir(parents=True, exist_ok=True)
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


def _collect(future: Any, run: RunSpec, runs_dir: Path) -> RunResult:
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
