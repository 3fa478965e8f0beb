"""The series runner: executes notebooks in order, collects summaries, survives a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
