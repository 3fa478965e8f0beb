"""scripts/train_checkpoints.py: the job list it accepts and the README table it writes."""

from __future__ import annotations

import argparse
import importlib.util
import json
import threading
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "train_checkpoints.py"
_spec = importlib.util.spec_from_file_location("train_checkpoints", SCRIPT)
train_checkpoints = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train_checkpoints)


def test_a_job_is_a_run_and_a_seed() -> None:
    assert train_checkpoints.parse_job("pole_aeai:2") == ("pole_aeai", 2)


@pytest.mark.parametrize("text", ["pole_aeai", "pole_aeai:x", "pole_vae:0", "pole_aeai:-1"])
def test_a_malformed_job_is_refused_naming_it(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        train_checkpoints.parse_job(text)


def test_the_readme_table_gives_mean_and_spread_over_the_recorded_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measures = {"reconstruction_mse": 1e-4, "mse_mid": 2e-3, "alpha_error": 0.1}
    manifest = {
        "pole_ae": {
            "metrics": {"method": "AE", **measures},
            "seeds": {str(s): {**measures, "mse_mid": 1e-3 * (s + 1)} for s in range(3)},
        },
        "pole_aeai": {
            "metrics": {"method": "AE+A+C+S", **measures},
            "seeds": {"0": measures},
        },
    }
    path = tmp_path / "MANIFEST.json"
    path.write_text(json.dumps(manifest))
    monkeypatch.setattr(train_checkpoints, "MANIFEST", path)

    rows = train_checkpoints.results_tables(["pole_ae", "pole_aeai"]).splitlines()
    assert rows[0].startswith("| pole |")
    ae, aeai = rows[2], rows[3]
    assert ae.startswith("| AE (`pole_ae`, seeds 0, 1, 2) |") and "2.00e-03 ± 1.00e-03" in ae
    assert aeai.startswith("| AE+A+C+S (`pole_aeai`, seed 0) |") and "±" not in aeai


def test_a_bad_job_stops_the_script_with_one_line_and_exit_2() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--jobs", "pole_aeai:1", "pole_vae:0"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'pole_vae:0'" in lines[0] and "pole_aeai" in lines[0]
    assert done.stdout == ""


def test_a_job_recorded_with_todays_settings_is_skipped_and_others_are_not() -> None:
    wanted = train_checkpoints.wanted_settings("pole_ae", 1)
    stale = {**wanted, "train_config": {**wanted["train_config"], "lr": 0.5}}
    manifest = {
        "pole_ae": {
            "seeds": {
                "0": {"mse_mid": 1.0},  # recorded before settings were: trained again
                "1": {"mse_mid": 1.0, "settings": {**wanted, "commit": "abc"}},
                "2": {"mse_mid": 1.0, "settings": stale},  # another default: trained again
            }
        }
    }
    jobs = [("pole_ae", 0), ("pole_ae", 1), ("pole_ae", 2), ("pole_aeai", 1)]
    assert train_checkpoints.pending(jobs, manifest) == [
        ("pole_ae", 0),
        ("pole_ae", 2),
        ("pole_aeai", 1),
    ]


def test_a_seed_recorded_before_a_setting_existed_was_trained_with_its_default() -> None:
    wanted = train_checkpoints.wanted_settings("pole_aeai", 0)
    older = {
        "method": {**wanted["method"], "options": dict(wanted["method"]["options"])},
        "train_config": dict(wanted["train_config"]),
    }
    del older["method"]["options"]["r1_every"], older["train_config"]["lr_schedule"]
    manifest = {"pole_aeai": {"seeds": {"0": {"settings": older}}}}
    assert train_checkpoints.pending([("pole_aeai", 0)], manifest) == []
    older["train_config"]["lr"] = 0.5  # a recorded value is compared as it is
    assert train_checkpoints.pending([("pole_aeai", 0)], manifest) == [("pole_aeai", 0)]


def test_the_shipped_seeds_count_as_trained_with_todays_settings() -> None:
    manifest = json.loads(train_checkpoints.MANIFEST.read_text())
    jobs = [
        (name, int(seed)) for name, entry in manifest.items() for seed in entry.get("seeds", {})
    ]
    assert jobs and train_checkpoints.pending(jobs, manifest) == []


def test_the_settings_recorded_are_those_the_registry_asks_for() -> None:
    from dataclasses import asdict

    from aeai_lib.zoo import RUNS

    spec = RUNS["pole_ae_a"]
    record = {
        "method": {"name": spec.make_method().name, "options": spec.make_method().options_dict()},
        "train_config": asdict(spec.train_config(2)),
        "library_version": "0.1.0",
    }
    settings = train_checkpoints.trained_settings(record)
    assert settings["precision"] == "fp32" and settings["commit"]
    assert train_checkpoints.pending([("pole_ae_a", 2)], {"pole_ae_a": {"seeds": {"2": {
        "settings": settings}}}}) == []  # fmt: skip


def _square(name: str, seed: int) -> dict:
    if seed == 1:
        raise RuntimeError("boom")
    return {"value": seed * seed}


def test_the_queue_runs_every_job_in_order_and_a_failure_does_not_stop_it() -> None:
    from distributed import Client

    finished = []
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as c:
        jobs = [("a", 0), ("b", 1), ("c", 2), ("d", 3)]
        failures = train_checkpoints.run_queue(
            c, jobs, _square, lambda name, seed, result: finished.append((name, result))
        )
    assert failures == [("b", 1)]
    assert finished == [("a", {"value": 0}), ("c", {"value": 4}), ("d", {"value": 9})]


_C_STARTED = threading.Event()
_B_SAW_C: list[bool] = []


def _wait_for_c(name: str, seed: int) -> dict:
    if name == "c":
        _C_STARTED.set()
    if name == "b":  # holds its worker until c runs beside it, on the worker that joined
        _B_SAW_C.append(_C_STARTED.wait(10))
    return {}


def test_the_queue_tops_up_to_workers_that_join_later() -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                     dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):  # fmt: skip

        def done(name: str, seed: int, result: dict) -> None:
            if name == "a":  # after the first job, a second worker joins the cluster
                cluster.scale(2)
                client.wait_for_workers(2, timeout=10)

        jobs = [("a", 0), ("b", 0), ("c", 0), ("d", 0)]
        assert train_checkpoints.run_queue(client, jobs, _wait_for_c, done) == []
    assert _B_SAW_C == [True]
