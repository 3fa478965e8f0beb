"""The shipped checkpoints: present, small, and their recorded measures match a fresh evaluation."""

from __future__ import annotations

import json
import math

import pytest

from aeai_lib.checkpoint import load_checkpoint
from aeai_lib.evaluation.report import evaluate_checkpoint
from aeai_lib.zoo import CHECKPOINT_DIR, RUNS, SHIPPED, checkpoint_path

MAX_TOTAL_BYTES = 50 * 2**20  # all of tracked data/ stays within 50 MB (issues #10, #12)
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
    # the representation probes, once recorded (k-means' discrete scores are left out: codes
    # that differ in the last bits between processors may move a point to another cluster)
    "probe_r2",
    "probe_angle_error",
)


def test_every_shipped_run_is_there_and_all_fit_in_50_mb() -> None:
    sizes = {name: checkpoint_path(name).stat().st_size for name in SHIPPED}
    assert sum(sizes.values()) <= MAX_TOTAL_BYTES, sizes


def test_no_checkpoint_ships_for_a_run_that_is_trained_on_demand() -> None:
    shipped_files = {path.stem for path in CHECKPOINT_DIR.glob("*.pt")}
    assert shipped_files == set(SHIPPED)


def test_the_manifest_records_each_run_with_its_command() -> None:
    manifest = json.loads((CHECKPOINT_DIR / "MANIFEST.json").read_text())
    assert set(manifest) == set(SHIPPED)
    for name, entry in manifest.items():
        assert entry["seed"] == 0
        assert " ".join(RUNS[name].cli_args()) in entry["command"]
        assert entry["metrics"] == load_checkpoint(checkpoint_path(name))["metrics"]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_recorded_measures_match_a_fresh_evaluation(name: str) -> None:
    recorded = load_checkpoint(checkpoint_path(name))["metrics"]
    fresh = evaluate_checkpoint(str(checkpoint_path(name)))
    compared = [key for key in MEASURES if key in recorded]
    assert compared, f"{name}: no measures recorded"
    for key in compared:
        assert math.isclose(fresh[key], recorded[key], rel_tol=1e-3, abs_tol=1e-7), (
            f"{name}: {key} recorded {recorded[key]}, evaluated now {fresh[key]}"
        )
