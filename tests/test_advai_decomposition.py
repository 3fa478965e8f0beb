"""Issue 26's decomposition of AdvAI-AE's result, on tiny pole checkpoints (2 training steps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aeai_lib.cli import main
from aeai_lib.correct import correct_checkpoint
from aeai_lib.evaluation.advai_decomposition import (
    decomposition,
    format_decomposition,
    mean_std,
    prior_mismatch,
)
from aeai_lib.methods.advai.correction import CorrectionOptions

TINY_RUN = [
    *("--image-size", "32", "--latent-dim", "8", "--steps", "2", "--batch-size", "4"),
    *("--checkpoint-every", "0", "--no-progress", "--dataset", "pole"),
]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("decomposition")
    paths = {name: folder / f"{name}.pt" for name in ("ae", "advai")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AEAI_DATA_DIR", str(folder / "data"))
        for name, path in paths.items():
            assert main(["train", *TINY_RUN, "--method", name, "--out", str(path)]) == 0
        small = CorrectionOptions(hidden=16, input_scale=1.0)
        for name in ("ae", "advai"):
            paths[f"{name}_fitted"], _ = correct_checkpoint(
                paths[name], folder / f"{name}_fitted.pt", steps=3, pairs=8, options=small
            )
        yield paths


def test_mean_std_over_seeds() -> None:
    assert mean_std([1.0]) == {"mean": 1.0, "std": None, "n": 1}
    assert mean_std([1.0, 3.0]) == {"mean": 2.0, "std": pytest.approx(2**0.5), "n": 2}
    with pytest.raises(ValueError, match="at least one checkpoint"):
        mean_std([])


def test_the_effects_are_the_differences_of_the_rows(checkpoints, monkeypatch) -> None:
    monkeypatch.setenv("AEAI_DATA_DIR", str(checkpoints["ae"].parent / "data"))
    result = decomposition(
        [checkpoints["ae"]],
        [checkpoints["advai_fitted"]],  # its own path is read as advai_prior
        corrected={"AE": [checkpoints["ae_fitted"]]},
        max_pairs=2,
    )
    rows, effects = result["rows"], result["effects"]
    assert result["n_seeds"] == 1
    assert set(rows) == {
        "AE, lerp",
        "AdvAI-AE, lerp",
        "AdvAI-AE, prior-trained R",
        "AE, code-trained R",
    }
    cost = effects["autoencoder cost (AdvAI-AE lerp - AE lerp), MSE at α = ½"]
    assert cost["mean"] == pytest.approx(
        rows["AdvAI-AE, lerp"]["mse_mid"]["mean"] - rows["AE, lerp"]["mse_mid"]["mean"]
    )
    assert cost["std"] is None
    fitted = effects["code-trained R effect on AE (R - lerp), latent MMD²"]["mean"]
    assert fitted == pytest.approx(
        rows["AE, code-trained R"]["latent_mmd"]["mean"] - rows["AE, lerp"]["latent_mmd"]["mean"]
    )
    prior = effects["MMD² of AdvAI-AE codes to N(0, I)"]["mean"]
    assert prior == pytest.approx(prior_mismatch(checkpoints["advai"])["mmd"])
    table = format_decomposition(result)
    assert "| AdvAI-AE, prior-trained R |" in table and "MSE at α = ½" in table


def test_unequal_seed_counts_are_refused(checkpoints) -> None:
    with pytest.raises(ValueError, match="one checkpoint per seed"):
        decomposition([checkpoints["ae"]], [checkpoints["advai"]] * 2)
