"""benchmarks/gpu_check.sh, the GPU path in one script (issue #15), checked without a GPU: its
arguments, and every stage's command line through the benchmarks' own --dry-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
STAGES = (
    "tests",
    "step float32",
    "quality float32",
    "step bf16",
    "quality bf16",
    "step bf16 compiled",
    "step float32 compiled",
    "quality bf16 compiled",
)


def gpu_check(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(tmp_path)}
    return subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_dry_run_has_every_stage_check_its_arguments(tmp_path: Path) -> None:
    result = gpu_check("--dry-run", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    planned = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if "would run" in line]
    assert planned == list(STAGES)
    assert "every stage accepts its arguments (budget 480 s)" in result.stdout


def test_an_option_a_stage_refuses_is_one_line_naming_stage_and_option(tmp_path: Path) -> None:
    result = gpu_check("--dry-run", "--aeai-options", '{"smoothness": "nope"}', tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "stage 'step float32' refuses its arguments" in result.stderr
    assert "smoothness estimator 'nope'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "soon"], "--budget must be a whole number of seconds >= 60, got 'soon'"),
        (["--budget", "30"], "--budget must be a whole number of seconds >= 60, got '30'"),
        (["--budget"], "--budget needs a value"),
        (["--fast"], "unknown argument '--fast'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str, tmp_path) -> None:
    result = gpu_check(*args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA"
)
def test_without_cuda_it_refuses_to_run_and_says_how_to_check(tmp_path: Path) -> None:
    result = gpu_check(tmp_path=tmp_path)
    assert result.returncode == 2
    assert "sees no CUDA device" in result.stderr and "--dry-run" in result.stderr
    assert not (tmp_path / "gpu_check.log").exists()
