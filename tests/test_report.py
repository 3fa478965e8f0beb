"""Evaluating checkpoints of tiny models trained for two steps, and the comparison table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from aeai_lib.data import lines, pole
from aeai_lib.evaluation.lines_benchmark import N_PAIRS
from aeai_lib.evaluation.measures import measures_of
from aeai_lib.evaluation.report import (
    evaluate_checkpoint,
    format_comparison,
    manifest_runs,
    manifest_summary,
    results_table,
)
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig
from aeai_lib.training import TrainConfig, train

TINY_TRAINING = TrainConfig(steps=2, batch_size=4, checkpoint_every=0, device="cpu")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the datasets that evaluate_checkpoint loads out of the repository's cache."""
    patch = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("data")
    patch.setenv("AEAI_DATA_DIR", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="module")
def pole_checkpoints(data_dir: Path) -> list[Path]:
    """Two 2-step checkpoints on the 32 px pole: the plain AE and AE+A."""
    data = pole.dataset(size=32)
    config = ModelConfig(image_size=32, channels=3, latent_dim=8)
    paths = []
    for name, method in (("ae", make_method("ae")), ("ae_a", make_method("ae", lambda_adv=0.01))):
        path = data_dir / f"{name}.pt"
        train(data, method, TINY_TRAINING, model_config=config, checkpoint=path, progress=False)
        paths.append(path)
    return paths


def test_evaluate_checkpoint_on_the_pole(pole_checkpoints: list[Path]) -> None:
    result = evaluate_checkpoint(pole_checkpoints[1], max_pairs=4, curve_max_pairs=2)
    json.dumps(result, allow_nan=False)
    assert result["checkpoint"] == str(pole_checkpoints[1])
    assert result["method"] == "AE+A" and result["method_name"] == "aeai"
    assert result["dataset"] == "pole" and result["steps"] == 2
    assert result["benchmark"] == "protocol" and result["interpolation"] == "lerp"
    assert result["reconstruction_mse"] > 0
    for measure in measures_of("model") + measures_of("protocol") + measures_of("representation"):
        assert isinstance(result[measure.key], float), measure.key
    assert result["representation"]["targets"] == ["theta", "cos phi", "sin phi"]
    evaluation = result["evaluation"]
    assert evaluation["n_pairs"] == 4 and set(evaluation["mse_vs_interval"]) == {"phi", "theta"}


def test_evaluate_checkpoint_on_lines(data_dir: Path) -> None:
    data = lines.dataset(size=32, n_train=64, n_test=16)
    path = data_dir / "lines.pt"
    config = ModelConfig(image_size=32, channels=1, latent_dim=8)
    train(
        data, make_method("ae"), TINY_TRAINING, model_config=config, checkpoint=path, progress=False
    )
    result = evaluate_checkpoint(path)
    json.dumps(result)
    assert result["benchmark"] == "lines" and result["dataset"] == "lines"
    assert result["evaluation"]["n_interpolations"] == N_PAIRS  # ACAI's Table 1: 256
    assert isinstance(result["mean_distance"], float)
    for measure in measures_of("representation"):  # the probe to the lines' angle
        assert isinstance(result[measure.key], float), measure.key
    assert result["representation"]["targets"] == ["cos angle", "sin angle"]


def test_format_comparison_has_a_row_per_checkpoint(pole_checkpoints: list[Path]) -> None:
    results = [evaluate_checkpoint(p, max_pairs=2, curve_max_pairs=1) for p in pole_checkpoints]
    table = format_comparison(results)
    rows = table.splitlines()
    assert "recon MSE" in rows[0] and "MSE a=0.5" in rows[0] and "latent MMD" in rows[0]
    assert "Mean Distance" not in rows[0]
    assert set(rows[1]) == {"-", " "}
    assert rows[2].split()[:4] == [str(pole_checkpoints[0]), "AE", "pole", "2"]
    assert rows[3].split()[:4] == [str(pole_checkpoints[1]), "AE+A", "pole", "2"]
    assert "Lower is better" in table

    lines_row = {
        "checkpoint": "l.pt",
        "method": "AE",
        "dataset": "lines",
        "steps": 5,
        "reconstruction_mse": 0.1,
        "mean_distance": 0.2,
        "smoothness": None,
    }
    mixed = format_comparison([*results, lines_row]).splitlines()
    shown = [m for m in measures_of("lines") if m.key in lines_row]
    assert shown and all(m.header in mixed[0] for m in shown)
    assert "MD (Table 1)" not in mixed[0]  # a column only when some result has the value
    n_protocol = sum(m.report for m in measures_of("protocol"))
    n_probes = sum(m.report for m in measures_of("representation"))  # the pole rows have them
    assert mixed[4].split()[5:] == ["-"] * n_protocol + ["0.2000", "-"] + ["-"] * n_probes
    with pytest.raises(ValueError, match="results is empty"):
        format_comparison([])


# ------------------------------------------------ the manifest's table (notebook 11)


def _manifest(tmp_path: Path) -> Path:
    """Three runs: a pole AE with three recorded seeds, a pole AEAI and a lines AE with none."""
    metrics = {"method": "AE", "dataset": "pole", "mse_mid": 2.0e-3, "reconstruction_mse": 1e-4}
    manifest = {
        "lines_ae": {"metrics": {"method": "AE", "dataset": "lines", "mean_distance": 0.004}},
        "pole_ae": {
            "metrics": metrics,
            "seeds": {
                str(s): {"mse_mid": v, "reconstruction_mse": 1e-4} for s, v in enumerate((1, 2, 3))
            },
        },
        "pole_aeai": {"metrics": {**metrics, "method": "AE+A+C+S", "mse_mid": 5.0e-3}},
        "pole_copy": {"metrics": {**metrics, "mse_mid": 4.0e-3}},
    }
    path = tmp_path / "MANIFEST.json"
    path.write_text(json.dumps(manifest))
    return path


def test_manifest_runs_group_the_seeds_by_dataset_and_label(tmp_path: Path) -> None:
    runs = manifest_runs(_manifest(tmp_path), order=["pole_aeai", "pole_ae"])
    assert list(runs) == ["pole", "lines"]
    assert list(runs["pole"]) == ["AE+A+C+S", "AE", "AE (pole_copy)"]  # the order, then the rest
    assert [seed["mse_mid"] for seed in runs["pole"]["AE"]] == [1, 2, 3]
    assert runs["pole"]["AE+A+C+S"][0]["mse_mid"] == 5.0e-3  # no seeds: the shipped metrics
    table = results_table("pole", runs["pole"])
    assert "| AE | 1.00e-04 ± 0.00e+00 | 2.00e+00 ± 1.00e+00 |" in table  # mean ± std of 3 seeds


def test_manifest_summary_has_a_mean_a_spread_and_a_count(tmp_path: Path) -> None:
    values = manifest_summary(manifest_runs(_manifest(tmp_path)))
    assert values["pole_ae_mse_mid"] == pytest.approx(2.0)
    assert values["pole_ae_mse_mid_std"] == pytest.approx(1.0)
    assert values["pole_ae_seeds"] == 3 and values["pole_ae_a_c_s_seeds"] == 1
    assert "pole_ae_a_c_s_mse_mid_std" not in values
    assert values["lines_ae_mean_distance"] == pytest.approx(0.004)


def test_a_bad_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the manifest"):
        manifest_runs(tmp_path / "missing.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(ValueError, match="must be a JSON object"):
        manifest_runs(tmp_path / "list.json")
    (tmp_path / "bare.json").write_text('{"pole_ae": {"seed": 0}}')
    with pytest.raises(ValueError, match="run 'pole_ae' has no metrics"):
        manifest_runs(tmp_path / "bare.json")


def test_manifest_runs_take_a_row_label_for_a_named_run(tmp_path: Path) -> None:
    runs = manifest_runs(_manifest(tmp_path), labels={"pole_ae": "AE, a lesson"})
    assert [seed["mse_mid"] for seed in runs["pole"]["AE, a lesson"]] == [1, 2, 3]
    assert runs["pole"]["AE"][0]["mse_mid"] == 4.0e-3  # the other AE run keeps the method's label
