"""The shipped checkpoints: present, small, and their recorded measures match a fresh evaluation."""

from __future__ import annotations

import json
import math

import pytest

from aeai_lib.checkpoint import load_checkpoint
from aeai_lib.evaluation.report import evaluate_checkpoint
from aeai_lib.zoo import CHECKPOINT_DIR, RUNS, checkpoint_path

MAX_TOTAL_BYTES = 25 * 2**20
MEASURES = (
    "reconstruction_mse",
    "mse_mid",
    "mse_mean",
    "alpha_error",
    "speed_ratio",
    "credibility",
    "latent_mmd",
    "mean_distance",
    "smoothness",
)


def test_every_run_is_shipped_and_all_fit_in_25_mb() -> None:
    sizes = {name: checkpoint_path(name).stat().st_size for name in RUNS}
    assert sum(sizes.values()) <= MAX_TOTAL_BYTES, sizes


def test_the_manifest_records_each_run_with_its_command() -> None:
    manifest = json.loads((CHECKPOINT_DIR / "MANIFEST.json").read_text())
    assert set(manifest) == set(RUNS)
    for name, entry in manifest.items():
        assert entry["seed"] == 0
        assert " ".join(RUNS[name].cli_args()) in entry["command"]
        assert entry["metrics"] == load_checkpoint(checkpoint_path(name))["metrics"]


@pytest.mark.parametrize("name", sorted(RUNS))
def test_recorded_measures_match_a_fresh_evaluation(name: str) -> None:
    recorded = load_checkpoint(checkpoint_path(name))["metrics"]
    fresh = evaluate_checkpoint(str(checkpoint_path(name)))
    compared = [key for key in MEASURES if key in recorded]
    assert compared, f"{name}: no measures recorded"
    for key in compared:
        assert math.isclose(fresh[key], recorded[key], rel_tol=1e-3, abs_tol=1e-7), (
            f"{name}: {key} recorded {recorded[key]}, evaluated now {fresh[key]}"
        )
