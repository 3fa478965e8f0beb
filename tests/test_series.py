"""The series runner: executes notebooks in order, collects summaries, survives a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aeai_lib.series import format_summary, read_summary, run_series


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
