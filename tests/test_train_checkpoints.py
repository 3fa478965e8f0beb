"""scripts/train_checkpoints.py: the job list it accepts and the README table it writes."""

from __future__ import annotations

import argparse
import importlib.util
import json
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
