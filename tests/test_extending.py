"""Adding a method, or a measure, is one declaration: shown with throw-away examples.

Each example is what a newcomer would write in its own file (here, in this test), registered
with the one line the registry needs (here, a monkeypatch), and then trained through the
command line, evaluated and listed in the report, with no change to cli.py, zoo.py or the
scripts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import nn

from aeai_lib.checkpoint import load_checkpoint, load_model
from aeai_lib.cli import main
from aeai_lib.evaluation import measures
from aeai_lib.evaluation.measures import Evaluated, Measure
from aeai_lib.evaluation.report import results_table
from aeai_lib.losses import reconstruction_loss
from aeai_lib.methods import AUTOENCODER, METHODS, Method, StepLosses
from aeai_lib.models import AutoencoderModel, Encoder, ModelConfig
from aeai_lib.validation import check_nonnegative

TINY_RUN = [
    *("--dataset", "pole", "--image-size", "32", "--latent-dim", "8"),
    *("--steps", "3", "--batch-size", "4", "--checkpoint-every", "0", "--no-progress"),
]
SMALL_EVALUATION = ["--max-pairs", "2", "--curve-max-pairs", "1"]


# ---------------------------------------------------------------- a method in one file


@dataclass(frozen=True)
class TinyVAEOptions:
    """Attributes:
    beta: weight of the KL term (Higgins et al. 2017: > 1 disentangles).
    """

    beta: float = 1.0

    def __post_init__(self) -> None:
        check_nonnegative("beta", self.beta)


class GaussianEncoder(nn.Module):
    """Images -> codes (the means) when called; :meth:`distribution` gives the log-variance too."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.net = Encoder(ModelConfig(config.image_size, config.channels, 2 * config.latent_dim))

    def distribution(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_variance = self.net(images).chunk(2, dim=1)
        return mean, log_variance

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.distribution(images)[0]


class TinyVAE(Method):
    """A beta-VAE in a few lines: its own encoder, options, label and losses."""

    name = "tiny-vae"
    Options = TinyVAEOptions

    @property
    def label(self) -> str:
        return f"VAE(beta={self.options.beta:g})"

    def build_encoder(self, config: ModelConfig) -> nn.Module:
        return GaussianEncoder(config)

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        mean, log_variance = model.encoder.distribution(images)
        noise = torch.randn(mean.shape, generator=generator).to(mean)
        codes = mean + (0.5 * log_variance).exp() * noise
        kl = 0.5 * (mean.square() + log_variance.exp() - 1 - log_variance).sum(1).mean()
        reconstruction = reconstruction_loss(images, model.decoder(codes))
        total = reconstruction + self.options.beta * kl
        terms = {"reconstruction": reconstruction, "kl": kl, "total": total}
        return StepLosses({AUTOENCODER: total}, terms)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep the pole images the runs render out of the repository's cache."""
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path


def test_a_new_method_is_a_file_and_a_registry_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(METHODS, "tiny-vae", (TinyVAE, {}))  # the one registry line
    path = data_dir / "vae.pt"
    assert (
        main(["train", "--method", "tiny-vae", "--set", "beta=0.5", *TINY_RUN, "--out", str(path)])
        == 0
    )
    assert "trained VAE(beta=0.5) on pole for 3 steps" in capsys.readouterr().out

    record = load_checkpoint(path)
    assert record["method"] == {"name": "tiny-vae", "options": {"beta": 0.5}}
    assert set(record["history"]) == {"reconstruction", "kl", "total"}
    assert all(len(values) == 3 for values in record["history"].values())
    model = load_model(path, device="cpu")
    assert model.label == "VAE(beta=0.5)" and model.method_name == "tiny-vae"
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():  # codes to interpolate are the means
        assert torch.equal(model.encode(images), model.encoder.distribution(images)[0])

    assert main(["evaluate", str(path), *SMALL_EVALUATION]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2].split()[:4] == [str(path), "VAE(beta=0.5)", "pole", "3"]
    assert main(["evaluate", str(path), "--json", *SMALL_EVALUATION]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["method"] == "VAE(beta=0.5)" and result["method_name"] == "tiny-vae"
    assert result["reconstruction_mse"] > 0 and result["mse_mid"] > 0


def test_a_new_method_refuses_bad_options_by_name(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(METHODS, "tiny-vae", (TinyVAE, {}))
    out = str(data_dir / "bad.pt")
    assert main(["train", "--method", "tiny-vae", "--set", "beta=-1", *TINY_RUN, "--out", out]) == 2
    assert "beta must be a finite number >= 0" in capsys.readouterr().err
    assert main(["train", "--method", "tiny-vae", "--beta", "x", *TINY_RUN, "--out", out]) == 2
    assert "option beta expects float, got 'x'" in capsys.readouterr().err
    assert not Path(out).exists()


# ---------------------------------------------------------------- a measure in one declaration


def mse_at_the_ends(evaluated: Evaluated) -> float:
    """Mean MSE to the truth at alpha 0 and 1 (the boundary condition, against the truth)."""
    curve = evaluated.result["mse_vs_alpha"]["mean"]
    return (curve[0] + curve[-1]) / 2


END_MSE = Measure(
    "mse_ends", "MSE ends", "mean MSE vs the truth at alpha 0 and 1", "protocol", mse_at_the_ends
)


def test_a_new_measure_is_one_declaration(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(measures, "MEASURES", (*measures.MEASURES, END_MSE))  # the declaration
    path = data_dir / "ae.pt"
    assert main(["train", "--method", "ae", *TINY_RUN, "--out", str(path)]) == 0
    capsys.readouterr()

    assert main(["evaluate", str(path), "--json", *SMALL_EVALUATION]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    curve = result["evaluation"]["mse_vs_alpha"]["mean"]
    assert result["mse_ends"] == pytest.approx((curve[0] + curve[-1]) / 2)
    assert result["evaluation"]["summary"]["mse_ends"] == result["mse_ends"]

    assert main(["evaluate", str(path), *SMALL_EVALUATION]) == 0
    table = capsys.readouterr().out
    header, _, row = table.splitlines()[:3]
    # the protocol's columns come before the representation probes' (BENCHMARKS' order)
    column = header.index("MSE ends") + len("MSE ends")  # cells are right-aligned
    assert row[:column].split()[-1] == END_MSE.format(result["mse_ends"])
    assert "  MSE ends: mean MSE vs the truth at alpha 0 and 1" in table

    readme = results_table("pole", {"AE": [result, result]})
    headers = [cell.strip() for cell in readme.splitlines()[0].split("|")]
    cells = [cell.strip() for cell in readme.splitlines()[2].split("|")]
    assert cells[headers.index("MSE ends")] == f"{END_MSE.format(result['mse_ends'])} ± 0"
