"""ACAI's lines benchmark read during training (Monitor) and its Table 1 reading."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import median

import pytest
import torch

from aeai_lib.checkpoint import load_checkpoint
from aeai_lib.data import load_dataset
from aeai_lib.data.lines import dataset as lines_dataset
from aeai_lib.evaluation.lines_benchmark import lines_monitor, table1_reading, training_monitor
from aeai_lib.evaluation.report import evaluate_checkpoint
from aeai_lib.methods import make_method
from aeai_lib.training import Monitor, TrainConfig, default_model_config, train


@pytest.fixture(scope="module")
def small_lines(tmp_path_factory: pytest.TempPathFactory):
    return lines_dataset(n_train=64, n_test=16, cache_dir=tmp_path_factory.mktemp("cache"))


def _run(data, steps: int, path: Path | None = None, monitor: Monitor | None = None, **kw):
    config = TrainConfig(steps=steps, batch_size=8, seed=3, diagnostics_every=0, **kw)
    return train(data, make_method("ae"), config, checkpoint=path, progress=False,
                 monitor=monitor, resume=path is not None)  # fmt: skip


def test_a_monitored_run_trains_exactly_as_an_unmonitored_one(small_lines) -> None:
    plain = _run(small_lines, 6)
    watched = _run(small_lines, 6, monitor=lines_monitor(2, n_pairs=4))
    for a, b in zip(plain.model.parameters(), watched.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert watched.readings["step"] == [2.0, 4.0, 6.0]
    assert len(watched.readings["mean_distance"]) == 3
    assert all(0 <= d <= 2 for d in watched.readings["mean_distance"])
    assert plain.readings == {}


def test_the_readings_are_kept_in_the_checkpoint_and_continued_on_resume(
    small_lines, tmp_path: Path
) -> None:
    whole = _run(small_lines, 6, monitor=lines_monitor(2, n_pairs=4))
    path = tmp_path / "run.pt"
    _run(small_lines, 4, path, monitor=lines_monitor(2, n_pairs=4))
    resumed = _run(small_lines, 6, path, monitor=lines_monitor(2, n_pairs=4))
    assert resumed.readings == whole.readings
    assert load_checkpoint(path)["readings"] == whole.readings


def test_a_monitor_with_a_start_reads_only_from_that_step_on_and_after_the_last(small_lines):
    watched = _run(small_lines, 7, monitor=lines_monitor(2, n_pairs=4, start=4))
    assert watched.readings["step"] == [4.0, 6.0, 7.0]
    with pytest.raises(ValueError, match="start"):
        Monitor(2, lambda model: {}, start=-1)


def test_the_monitor_reads_the_model_in_eval_mode_and_returns_it_to_training(small_lines):
    modes = []

    def measure(model):
        modes.append(model.training)
        return {"x": 1.0}

    _run(small_lines, 2, monitor=Monitor(1, measure))
    assert modes == [False, False]


def test_table1_is_the_median_of_the_last_20_readings() -> None:
    steps = [float(500 * k) for k in range(1, 31)]
    readings = {
        "step": steps,
        "mean_distance": [float(k) for k in range(30)],  # last 20: 10..29, median 19.5
        "smoothness": [math.nan] * 10 + [0.1] * 19 + [math.nan],
    }
    table = table1_reading(readings)
    assert table["mean_distance"] == 19.5 and table["smoothness"] == pytest.approx(0.1)
    assert (table["n_readings"], table["first_step"], table["last_step"]) == (20, 5500, 15000)
    assert table1_reading({}) is None
    assert table1_reading({**readings, "smoothness": [math.nan] * 30})["smoothness"] is None


def test_evaluate_reports_the_table1_reading_of_a_monitored_lines_run(
    small_lines, tmp_path: Path
) -> None:
    path = tmp_path / "lines.pt"
    _run(small_lines, 4, path, monitor=lines_monitor(1, n_pairs=4))
    result = evaluate_checkpoint(str(path))
    readings = load_checkpoint(path)["readings"]
    assert result["table1_mean_distance"] == pytest.approx(median(readings["mean_distance"]))


def test_only_lines_runs_get_a_monitor(tmp_path: Path) -> None:
    assert training_monitor(load_dataset("pole", size=32)) is None
    lines = lines_dataset(n_train=8, n_test=8, cache_dir=tmp_path)
    assert training_monitor(lines).every == 500 and training_monitor(lines, 0) is None
    assert training_monitor(lines, 100, 8100).start == 8100
    assert default_model_config(lines, architecture="acai").latent_dim == 64
