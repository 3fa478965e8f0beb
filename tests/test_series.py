"""The series runner: executes notebooks in order, collects summaries, survives a failure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from aeai_lib.notebook import SUMMARY_METADATA_KEY
from aeai_lib.series import (
    HEADLINES,
    REPORT_WIDTH,
    NotebookRun,
    format_summary,
    headlines,
    list_notebooks,
    read_summary,
    run_series,
)


def test_a_failing_notebook_does_not_stop_the_others(
    tmp_path: Path, write_notebook: Callable[..., Path]
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    good = write_notebook(
        source / "00_good.ipynb",
        "from aeai_lib.notebook import report_summary",
        "report_summary(answer=42, ratio=1 / 3)",
    )
    bad = write_notebook(source / "01_bad.ipynb", "raise RuntimeError('boom')")
    after = write_notebook(source / "02_after.ipynb", "print('SUMMARY {\"ran\": true}')")

    runs = run_series(tmp_path / "out", [good, bad, after])

    assert [run.ok for run in runs] == [True, False, True]
    assert runs[0].summary == {"answer": 42, "ratio": 0.333333}
    assert "boom" in runs[1].error
    assert runs[2].summary == {"ran": True}
    assert (tmp_path / "out" / "summary.json").exists()
    assert read_summary(tmp_path / "out" / "02_after.ipynb") == {"ran": True}
    table = format_summary(runs)
    assert "FAILED" in table and "answer=42" in table
    # in a kernel the values are in an output's metadata, and the learner sees no output
    (cell,) = json.loads((tmp_path / "out" / "00_good.ipynb").read_text())["cells"][1:]
    (output,) = cell["outputs"]
    assert output["data"] == {} and output["metadata"][SUMMARY_METADATA_KEY]["answer"] == 42


def test_the_report_is_one_line_per_notebook_with_its_headlines_within_120_columns() -> None:
    runs = [NotebookRun(p.stem, True, 12.3, read_summary(p)) for p in list_notebooks()]
    runs.append(NotebookRun("13_broken", False, 1.0, error="the kernel died: " + "why " * 60))
    lines = format_summary(runs).splitlines()
    assert max(len(line) for line in lines) <= REPORT_WIDTH
    for run in runs[:-1]:
        (line,) = [line for line in lines if line.startswith(run.name + " ")]
        said = headlines(run.name, run.summary)
        assert run.name in HEADLINES and said, f"{run.name}: no headline from {sorted(run.summary)}"
        assert said[0] in line and "…" not in line, line
        assert not re.search(r"\b[a-z]+_[a-z_]+=", line), f"a summary key, not a headline: {line}"
    assert "why why" in lines[-1] and lines[-1].startswith("    ")  # the error, wrapped


def test_the_report_leaves_out_a_headline_the_summary_lacks_and_cuts_an_overlong_one() -> None:
    summary = {"pole_aeai_mse_mid": 1.19e-3, "pole_ae_mse_mid": 2.5e-3}
    (line,) = format_summary([NotebookRun("07_full_aeai", True, 1.0, summary)]).splitlines()[1:]
    assert line.endswith("AEAI vs AE: MSE at α=½ 1.19e-3 vs 2.50e-3")  # no lines headline
    (cut,) = format_summary([NotebookRun("07_full_aeai", True, 1.0, summary)], 60).splitlines()[1:]
    assert len(cut) == 60 and cut.endswith("…")
    assert headlines("99_unknown", {"a": 1, "b": 2}) == ["a=1", "b=2"]


def test_no_kernel_transport_warning_reaches_the_terminal(
    tmp_path: Path,
    write_notebook: Callable[..., Path],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notebook = write_notebook(tmp_path / "00_quiet.ipynb", "print(1)")
    run_series(tmp_path / "out", [notebook])
    assert "without encryption" not in "".join(capfd.readouterr())
    # the planted fault: papermill's default kernel manager, over TCP, warns at each start
    monkeypatch.setattr("aeai_lib.series.kernel_manager_options", lambda: {})
    run_series(tmp_path / "out", [notebook])
    assert "Kernel is running over TCP without encryption" in capfd.readouterr().err


def test_an_output_folder_that_is_a_file_is_refused_before_any_notebook_runs(
    tmp_path: Path, write_notebook: Callable[..., Path]
) -> None:
    """Issue #16, row 6: series --out FILE raised a raw FileExistsError."""
    ran = tmp_path / "ran"
    notebook = write_notebook(tmp_path / "00_touch.ipynb", f"open({str(ran)!r}, 'w').close()")
    (tmp_path / "out").write_text("")
    with pytest.raises(ValueError, match=r"output folder '.*out' is an existing file, not a"):
        run_series(tmp_path / "out", [notebook])
    with pytest.raises(ValueError, match=r"'.*out' is a file, not a folder"):
        run_series(tmp_path / "out" / "sub", [notebook])
    assert not ran.exists()


# ------------------------------------ a kernel that dies at start (issue 27 row 8, papermill#761)


@pytest.fixture
def kernel_without_ipykernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make kernel "python3" a kernelspec whose interpreter (a fresh venv) has no ipykernel."""
    import json
    import subprocess
    import sys

    venv = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    interpreter = venv / "bin" / "python"
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [str(interpreter), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "bare", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched first
    return interpreter


def test_a_kernel_that_dies_at_start_is_reported_with_its_error_interpreter_and_fix(
    tmp_path: Path, write_notebook: Callable[..., Path], kernel_without_ipykernel: Path
) -> None:
    notebook = write_notebook(tmp_path / "00_any.ipynb", "print(1)")
    (run,) = run_series(tmp_path / "out", [notebook])
    assert not run.ok
    assert "No module named ipykernel_launcher" in run.error
    assert f"its interpreter: {kernel_without_ipykernel}" in run.error
    assert f"{kernel_without_ipykernel} -m pip install ipykernel" in run.error
    assert "choose another kernel" in run.error and "\n" not in run.error


def test_sweep_reports_a_kernel_that_dies_at_start_the_same_way(
    tmp_path: Path, write_notebook: Callable[..., Path], kernel_without_ipykernel: Path
) -> None:
    import nbformat

    from aeai_lib.sweep import RunFailed, execute_run
    from aeai_lib.sweep_grid import plan_sweep

    notebook = write_notebook(tmp_path / "any.ipynb", "a = 1")
    tagged = nbformat.read(notebook, as_version=4)
    tagged.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(tagged, notebook)
    (run,), code = plan_sweep(notebook, {"a": [2]})
    (tmp_path / "runs").mkdir()
    with pytest.raises(RunFailed) as failure:  # as a dask worker runs it
        execute_run(code, str(tmp_path), run, str(tmp_path / "runs"), threads=1)
    error = failure.value.result.error
    assert "No module named ipykernel_launcher" in error
    assert f"its interpreter: {kernel_without_ipykernel}" in error
