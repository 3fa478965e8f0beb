"""The model zoo: a run for every method on both datasets, and quick runs at another size."""

from __future__ import annotations

from pathlib import Path

import pytest

from aeai_lib import zoo
from aeai_lib.checkpoint import load_checkpoint
from aeai_lib.training import Monitor
from aeai_lib.zoo import RUNS, RunSpec, load_or_train, run_path

BASELINES = {"aae": "aae", "acai": "acai", "beta_vae": "beta-vae", "gaia": "gaia", "amr": "amr"}


def test_every_baseline_has_a_pole_and_a_lines_run_with_the_aes_training_settings() -> None:
    for suffix, method in BASELINES.items():
        for dataset in ("pole", "lines"):
            spec = RUNS[f"{dataset}_{suffix}"]
            assert (spec.dataset, spec.method) == (dataset, method)
            reference = RUNS[f"{dataset}_ae"]
            assert spec.train_config() == reference.train_config()  # only the method differs


def test_the_objects_runs_compare_ae_ae_a_c_and_aeai_at_two_sizes_with_one_setting() -> None:
    for prefix, dataset in (("objects", "objects"), ("objects50", "objects:50")):
        runs = {suffix: RUNS[f"{prefix}_{suffix}"] for suffix in ("ae", "ae_a_c", "aeai")}
        assert {spec.dataset for spec in runs.values()} == {dataset}
        assert [spec.method for spec in runs.values()] == ["ae", "ae", "aeai"]
        assert runs["ae_a_c"].options == RUNS["pole_ae_a_c"].options
        configs = {spec.train_config() for spec in runs.values()}
        assert configs == {RUNS["pole_ae"].train_config()}  # only the losses differ


def test_the_acai_setting_lines_runs_read_table1_over_their_last_2000_steps() -> None:
    runs = {m: RUNS[f"lines10k_{m}"] for m in ("ae", "acai", "aeai")}
    assert [spec.method for spec in runs.values()] == ["ae", "acai", "aeai"]
    configs = {spec.train_config() for spec in runs.values()}
    assert len(configs) == 1  # only the method differs
    (config,) = configs
    assert (config.batch_size, config.lr, config.adversary_lr) == (64, 1e-4, 1e-4)  # ACAI's
    for spec in runs.values():
        monitor = Monitor(spec.benchmark_every, dict, spec.benchmark_from)
        readings = [step for step in range(1, spec.steps + 1) if monitor.due(step, spec.steps)]
        assert len(readings) == 20 and readings[-1] == spec.steps  # Table 1: the last 20
        assert "--benchmark-from=8100" in spec.cli_args()


def test_quick_runs_have_files_of_their_own() -> None:
    assert run_path("pole_acai", 1) == zoo.RUNS_DIR / "pole_acai_seed1.pt"
    assert run_path("pole_acai", 1, 32, 50) == zoo.RUNS_DIR / "pole_acai_seed1_32px_50steps.pt"
    steps = RUNS["pole_acai"].steps
    assert run_path("pole_acai", 0, 32) == zoo.RUNS_DIR / f"pole_acai_seed0_32px_{steps}steps.pt"
    with pytest.raises(ValueError, match="unknown model 'pole_vae'"):
        run_path("pole_vae", 0)


@pytest.fixture
def isolated_zoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A zoo whose data cache, runs and shipped checkpoints live under tmp_path."""
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(zoo, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setattr(zoo, "CHECKPOINT_DIR", tmp_path / "shipped")
    return tmp_path


def test_load_or_train_at_another_size_trains_once_and_reuses_the_run(
    isolated_zoo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(RUNS, "pole_tiny", RunSpec("pole", "acai", settings={"batch_size": 4}))

    entry = load_or_train("pole_tiny", steps=2, image_size=32, progress=False)
    assert entry.model.config.image_size == 32 and entry.label == "ACAI"
    assert entry.path == isolated_zoo / "runs" / "pole_tiny_seed0_32px_2steps.pt"
    record = load_checkpoint(entry.path)
    assert record["step"] == 2 and record["model_config"]["image_size"] == 32

    again = load_or_train("pole_tiny", steps=2, image_size=32, progress=False)  # reused
    assert len(again.history["reconstruction"]) == 2
    weights = entry.model.state_dict()
    assert all(value.equal(weights[key]) for key, value in again.model.state_dict().items())


def test_a_run_that_does_not_ship_is_trained_even_over_a_stale_file(
    isolated_zoo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_zoo / "shipped").mkdir()
    (isolated_zoo / "shipped" / "lines_tiny.pt").write_bytes(b"stale")  # would fail to load
    spec = RunSpec("lines", "ae", steps=1, settings={"batch_size": 4}, shipped=False)
    monkeypatch.setitem(RUNS, "lines_tiny", spec)

    entry = load_or_train("lines_tiny", progress=False)
    assert entry.path == isolated_zoo / "runs" / "lines_tiny_seed0.pt"
    assert load_checkpoint(entry.path)["step"] == 1
