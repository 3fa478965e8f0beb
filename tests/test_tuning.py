"""Notebook 12's yardstick: runs trained once into a file named after every setting, reused."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.methods import make_method
from aeai_lib.training import TrainConfig
from aeai_lib.tuning import run_path, seed_spread, separation, train_cached


def test_a_setting_has_one_file_and_two_settings_never_share_one(
    blob_dataset: ImageDataset, tmp_path: Path
) -> None:
    config = TrainConfig(steps=3, seed=0)
    default = run_path(make_method("aeai"), config, blob_dataset, tmp_path)
    same = make_method("aeai", lambda_adv=1e-3, lambda_cycle=0.01, lambda_smooth=3e-3)
    assert run_path(same, config, blob_dataset, tmp_path) == default
    assert default.name.startswith("tuning_ae_a_c_s_32px_3steps_seed0_")
    others = [
        run_path(make_method("aeai", lambda_adv=1e-2), config, blob_dataset, tmp_path),
        run_path(make_method("aeai"), TrainConfig(steps=3, seed=1), blob_dataset, tmp_path),
        run_path(
            make_method("aeai"), TrainConfig(steps=3, seed=0, lr=1e-4), blob_dataset, tmp_path
        ),
        run_path(make_method("ae"), config, blob_dataset, tmp_path),
    ]
    assert len({default, *others}) == 5


def test_a_finished_run_is_reused(blob_dataset: ImageDataset, tmp_path: Path) -> None:
    config = TrainConfig(steps=3, seed=0, diagnostics_every=3)
    first = train_cached(blob_dataset, make_method("ae"), config, tmp_path)
    again = train_cached(blob_dataset, make_method("ae"), config, tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    assert again.history == first.history and again.diagnostics == first.diagnostics
    weights, reloaded = first.model.state_dict(), again.model.state_dict()
    assert all(torch.equal(weights[k].cpu(), reloaded[k].cpu()) for k in weights)  # no new step


def test_seed_spread_is_the_mean_and_the_sample_standard_deviation() -> None:
    runs = [{"mse": 1.0}, {"mse": 2.0}, {"mse": 3.0}]
    assert seed_spread(runs, "mse") == pytest.approx((2.0, 1.0))
    assert seed_spread(runs[:1], "mse") == (1.0, 0.0)
    assert math.isnan(seed_spread([{"mse": float("nan")}] * 2, "mse")[0])


def test_separation_is_the_gap_in_units_of_the_two_spreads() -> None:
    assert separation((3.0, 0.5), (1.0, 0.5)) == 2.0
    assert separation((1.0, 0.5), (3.0, 0.5)) == -2.0
    assert math.isnan(separation((1.0, 0.0), (1.0, 0.0)))
