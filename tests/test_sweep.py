"""Parameter sweeps: papermill runs of a tiny notebook on a real dask LocalCluster of 2 workers.

The notebook (written here) defines ``a``, ``b``, ``pause``, ``check_torch`` and ``flaky_marker``
in its ``parameters`` cell, refuses a negative ``a`` and prints ``SUMMARY`` values computed from
them, so that each row's numbers can be checked. It does not import torch unless asked (kernels
start faster).
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from distributed import LocalCluster

from aeai_lib.cli import main
from aeai_lib.sweep import RESULTS_CSV, RUNS_FOLDER, RunResult, run_sweep
from aeai_lib.sweep_grid import expand_grid, grid_from_cli, parse_yaml_grid, plan_sweep, run_name
from aeai_lib.sweep_results import format_table, summary_statistics

ROOT = Path(__file__).resolve().parent.parent

PARAMETERS = "a = 1\nb = 'x'\npause = 0.0\ncheck_torch = False\nflaky_marker = ''"
BODY = """\
import json, os, time
if a < 0:
    raise ValueError(f"a must be >= 0, got {a}")
if flaky_marker and not os.path.exists(flaky_marker):
    open(flaky_marker, "w").close()
    raise RuntimeError("flaky: fails on the first try only")
time.sleep(pause)
summary = {"product": a * len(b), "pid": os.getpid()}
if check_torch:
    import torch
    summary["torch_threads"] = torch.get_num_threads()
print("SUMMARY " + json.dumps(summary))
"""


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory, write_notebook: Callable) -> Path:
    parameters = nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]})
    markdown = nbformat.v4.new_markdown_cell("A tiny notebook to sweep.")
    return write_notebook(tmp_path_factory.mktemp("nb") / "tiny.ipynb", markdown, parameters, BODY)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a LocalCluster of 2 single-threaded worker processes."""
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as local:
        yield local.scheduler_address


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / RESULTS_CSV, newline="") as file:
        return list(csv.DictReader(file))


def _stamps(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted((out / RUNS_FOLDER).iterdir())}


# --- the grid, without running anything ---------------------------------------------------


def test_values_are_typed_as_papermill_types_them() -> None:
    grid = grid_from_cli(
        [["a", "0", "-2", "0.5", "1e-3"], ["b", "True", "None", "pole"]],
        ["dims: [[2, 16], [2, 64]]"],
    )
    assert grid == {"a": [0, -2, 0.5, 1e-3], "b": [True, None, "pole"], "dims": [[2, 16], [2, 64]]}
    assert [type(v) for v in grid["a"]] == [int, int, float, float]


def test_cartesian_product_and_zip() -> None:
    grid = {"a": [1, 2], "b": ["x", "yy"]}
    assert expand_grid(grid) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "yy"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "yy"},
    ]
    assert expand_grid(grid, zip_values=True) == [{"a": 1, "b": "x"}, {"a": 2, "b": "yy"}]


def test_run_names_read_like_the_command_line_and_never_collide() -> None:
    assert run_name({"seed": 0, "lambda_adv": 0.01}) == "seed=0,lambda_adv=0.01"
    assert run_name({"dims": [2, 16], "dataset": "pole"}) == "dims=[2,16],dataset=pole"
    # the string "1" is not the number 1, and a name with a slash or space is made safe
    assert run_name({"b": "1"}) != run_name({"b": 1})
    for unsafe in ({"b": "a/b"}, {"b": "a b"}, {"b": "x" * 300}):
        name = run_name(unsafe)
        assert "/" not in name and " " not in name and len(name) <= 130
    assert run_name({"b": "a/b"}) != run_name({"b": "a_b"})


def test_identity_follows_code_and_parameters_not_outputs(notebook: Path, tmp_path: Path) -> None:
    runs, _ = plan_sweep(notebook, {"a": [1, 2]})
    assert len({run.run_id for run in runs}) == 2
    copy = nbformat.read(notebook, as_version=4)
    copy.cells[2].outputs = [nbformat.v4.new_output("stream", text="old output\n")]
    copy.cells[0].source = "Other Markdown."
    nbformat.write(copy, tmp_path / "outputs.ipynb")
    assert plan_sweep(tmp_path / "outputs.ipynb", {"a": [1, 2]})[0] == runs
    copy.cells[2].source += "\nprint('changed')"
    nbformat.write(copy, tmp_path / "code.ipynb")
    changed, _ = plan_sweep(tmp_path / "code.ipynb", {"a": [1, 2]})
    assert [r.run_id for r in changed] != [r.run_id for r in runs]


def test_summary_statistics_are_mean_and_sample_std_over_the_other_parameters() -> None:
    def run(a: int, seed: int, value: float, status: str = "ok") -> RunResult:
        parameters = {"a": a, "seed": seed}
        return RunResult(f"a={a},seed={seed}", parameters, "id", status, 1.0, {"y": value})

    results = [run(10, 0, 1.0), run(10, 1, 3.0), run(2, 0, 5.0), run(2, 1, 99.0, "failed")]
    assert summary_statistics(results, "y", "a") == [(2, 5.0, 0.0, 1), (10, 2.0, 2**0.5, 2)]
    with pytest.raises(ValueError, match="they report: \\['y'\\]"):
        summary_statistics(results, "z", "a")


# --- sweeps on the cluster ----------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_sweep(
    notebook: Path, cluster: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[RunResult]]:
    out = tmp_path_factory.mktemp("grid")
    grid = {"a": [1, 2], "b": ["x", "yy"], "check_torch": [True]}
    return out, run_sweep(notebook, grid, out, scheduler=cluster, progress=False)


def test_a_2x2_grid_gives_4_notebooks_and_4_rows(grid_sweep: tuple[Path, list]) -> None:
    out, results = grid_sweep
    names = ["a=1,b=x", "a=1,b=yy", "a=2,b=x", "a=2,b=yy"]
    assert [r.name for r in results] == [f"{n},check_torch=True" for n in names]
    assert all(r.ok and not r.reused and r.seconds > 0 for r in results)
    assert sorted(p.name for p in (out / RUNS_FOLDER).glob("*.ipynb")) == [
        f"{r.name}.ipynb" for r in results
    ]
    rows = _rows(out)
    assert [(row["a"], row["b"], row["status"], row["product"]) for row in rows] == [
        ("1", "x", "ok", "1"),
        ("1", "yy", "ok", "2"),
        ("2", "x", "ok", "2"),
        ("2", "yy", "ok", "4"),
    ]
    assert {row["torch_threads"] for row in rows} == {"1"}  # one torch thread per run
    assert len({row["pid"] for row in rows}) == 4  # each run in its own kernel
    executed = nbformat.read(out / RUNS_FOLDER / f"{results[3].name}.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "a = 2" in injected[0].source and 'b = "yy"' in injected[0].source


def test_a_second_invocation_runs_nothing_new(
    grid_sweep: tuple[Path, list], notebook: Path, cluster: str
) -> None:
    out, first = grid_sweep
    before = _stamps(out)
    grid = {"a": [1, 2], "b": ["x", "yy"], "check_torch": [True]}
    again = run_sweep(notebook, grid, out, scheduler=cluster, progress=False)
    assert all(r.reused for r in again)
    assert [(r.name, r.summary) for r in again] == [(r.name, r.summary) for r in first]
    assert _stamps(out) == before  # no notebook or JSON written again
    assert len(_rows(out)) == 4


def test_zip_takes_the_values_side_by_side(notebook: Path, cluster: str, tmp_path: Path) -> None:
    grid = {"a": [1, 3], "b": ["xy", "xyz"]}
    results = run_sweep(
        notebook, grid, tmp_path, zip_values=True, scheduler=cluster, progress=False
    )
    assert [(r.name, r.summary["product"]) for r in results] == [("a=1,b=xy", 2), ("a=3,b=xyz", 9)]
    assert len(_rows(tmp_path)) == 2


def test_a_bad_value_fails_one_run_and_the_others_complete(
    notebook: Path, cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["sweep", str(notebook), "-p", "a", "1", "2", "-1", "3", "--out", str(tmp_path)]
    code = main([*argv, "--scheduler", cluster, "--plot", "product", "--x", "a"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 run(s) failed: a=-1" in captured.err
    assert "ValueError: a must be >= 0, got -1" in captured.out  # in the printed table
    rows = {row["a"]: row for row in _rows(tmp_path)}
    assert [rows[a]["status"] for a in ("1", "2", "-1", "3")] == ["ok", "ok", "failed", "ok"]
    assert rows["-1"]["error"] == "ValueError: a must be >= 0, got -1"
    assert "raise ValueError" in rows["-1"]["traceback"]
    failed = nbformat.read(tmp_path / RUNS_FOLDER / "a=-1.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in failed.cells for o in c.get("outputs", []))
    assert (tmp_path / "product_vs_a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the same command again runs the failed run only
    before = _stamps(tmp_path)
    again = run_sweep(notebook, {"a": [1, 2, -1, 3]}, tmp_path, scheduler=cluster, progress=False)
    assert [r.reused for r in again] == [True, True, False, True]
    changed = {name for name, stamp in _stamps(tmp_path).items() if before[name] != stamp}
    assert changed == {"a=-1.ipynb", "a=-1.json"}


def test_retries_rerun_a_flaky_run(notebook: Path, cluster: str, tmp_path: Path) -> None:
    grid = {"flaky_marker": [str(tmp_path / "tried")]}
    (result,) = run_sweep(
        notebook, grid, tmp_path / "out", scheduler=cluster, retries=1, progress=False
    )
    assert result.ok and (tmp_path / "tried").exists()


def test_a_killed_sweep_resumes(notebook: Path, tmp_path: Path) -> None:
    """SIGKILL the command (a local cluster of 2 workers) after its first run, then run it again."""
    out = tmp_path / "out"
    grid = ["-p", "a", "1", "2", "3", "-p", "pause", "1.0", "--out", str(out), "--workers", "2"]
    command = [sys.executable, "-m", "aeai_lib", "sweep", str(notebook), *grid]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not list((out / RUNS_FOLDER).glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(3)  # the orphaned workers notice their parent is gone and exit
    finished = {p.stem: p.stat().st_mtime_ns for p in (out / RUNS_FOLDER).glob("*.json")}
    assert 1 <= len(finished) < 3, "the sweep was not killed mid-way"

    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"3 runs ({len(finished)} reused from earlier, 0 failed)" in done.stdout
    assert [row["status"] for row in _rows(out)] == ["ok"] * 3
    for name, stamp in finished.items():  # what had finished was not run again
        assert (out / RUNS_FOLDER / f"{name}.json").stat().st_mtime_ns == stamp


# --- bad input: one line, exit code 2, nothing run -----------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BAD_INPUT = {
    "unknown notebook": (["missing.ipynb", "-p", "a", "1"], "'missing.ipynb' not found"),
    "not a notebook": (["TEXT", "-p", "a", "1"], "text.ipynb' is not a readable notebook"),
    "undefined parameter": (
        ["NB", "-p", "alpha", "1"],
        "parameter 'alpha' is not defined in the parameters cell of",
    ),
    "empty value list": (["NB", "-p", "a"], "parameter 'a' has an empty value list"),
    "empty yaml list": (["NB", "-y", "a: []"], "parameter 'a' has an empty value list"),
    "yaml value not a list": (["NB", "-y", "a: 3"], "write 'a: [3]' for a single value"),
    "parameter given twice": (["NB", "-p", "a", "1", "-y", "a: [2]"], "'a' is given twice"),
    "no parameter": (["NB"], "give at least one parameter to sweep"),
    "workers 0": (["NB", "-p", "a", "1", "--workers", "0"], "workers must be >= 1, got 0"),
    "zip of unequal lists": (["NB", "-p", "a", "1", "2", "-p", "b", "x", "--zip"], "one length"),
    "plot without x": (["NB", "-p", "a", "1", "--plot", "product"], "--plot Y and --x NAME go"),
    "x not swept": (["NB", "-p", "a", "1", "--plot", "p", "--x", "b"], "--x 'b' is not a swept"),
    "repeated value": (["NB", "-p", "a", "1", "1"], "holds run a=1 more than once"),
    "workers and scheduler": (
        ["NB", "-p", "a", "1", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"],
        "start workers on each machine with `dask worker ADDRESS`",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_and_exit_code_2(
    case: str, notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    arguments, message = BAD_INPUT[case]
    (tmp_path / "text.ipynb").write_text("not JSON\nat all")
    paths = {"NB": str(notebook), "TEXT": str(tmp_path / "text.ipynb")}
    arguments = [paths.get(a, a) for a in arguments]
    assert main(["sweep", *arguments, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_an_undefined_parameter_error_lists_the_notebooks_parameters(
    notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["sweep", str(notebook), "-p", "alpha", "1", "--out", str(tmp_path)]) == 2
    assert "its parameters are: a, b, pause, check_torch, flaky_marker" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("out", "message"),
    [("taken", "is a file; give a folder"), ("taken/sweep", "cannot create the --out folder")],
)
def test_an_output_folder_that_is_a_file_is_refused(
    out: str, message: str, notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "taken").write_text("not a folder")
    assert main(["sweep", str(notebook), "-p", "a", "1", "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert (tmp_path / "taken").read_text() == "not a folder"


def test_an_unreachable_scheduler_is_refused_within_seconds(
    notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    arguments = ["-p", "a", "1", "--out", str(tmp_path / "o"), "--scheduler", address]
    code = main(["sweep", str(notebook), *arguments])
    assert code == 2 and time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot reach the dask scheduler at '{address}'" in err


def test_parse_yaml_grid_refuses_what_is_not_a_mapping_of_lists() -> None:
    with pytest.raises(ValueError, match="mapping of parameter names"):
        parse_yaml_grid("[1, 2]")
    with pytest.raises(ValueError, match="not valid YAML"):
        parse_yaml_grid("a: [1, 2")


def test_format_table_shows_the_error_only_when_a_run_failed() -> None:
    ok = RunResult("a=1", {"a": 1}, "id", "ok", 1.5, {"y": 0.123456})
    failed = RunResult("a=-1", {"a": -1}, "id2", "failed", 0.5, error="ValueError: no")
    assert format_table([ok]).splitlines() == [
        "a  status  seconds  y",
        "1  ok      1.5      0.1235",
    ]
    assert format_table([ok, failed]).splitlines()[0].split() == [
        "a",
        "status",
        "seconds",
        "y",
        "error",
    ]


# --- a list parameter (issue 27 row 7, nteract/papermill#396) ------------------------------


def test_a_list_given_as_papermill_gives_it_is_refused_with_the_sweep_form(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    notebook = ROOT / "notebooks" / "01_distribution_mismatch.ipynb"
    out = tmp_path / "out"
    assert main(["sweep", str(notebook), "-y", "dims: [2, 16]", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "parameter 'dims' takes a list" in err and "write -y 'dims: [[2, 16]]'" in err
    assert not out.exists()  # refused before any run
    runs, _ = plan_sweep(notebook, parse_yaml_grid("dims: [[2, 16]]"))  # the hint's form works
    assert [run.parameters for run in runs] == [{"dims": [2, 16]}]


def test_a_runs_papermill_list_hint_is_given_in_the_sweep_form() -> None:
    from aeai_lib.notebook import ParameterError, check_list_parameter
    from aeai_lib.sweep_grid import sweep_hint

    with pytest.raises(ParameterError) as error:
        check_list_parameter("dims", 2, int)  # the notebook's own hint, for papermill
    assert "-y 'dims: [...]' to papermill" in str(error.value)
    hint = sweep_hint(f"ParameterError: {error.value}")
    assert "-y 'dims: [[...]]' to sweep" in hint and "-y 'dims: [[2, 16]]'" in hint
    assert "to papermill" not in hint
