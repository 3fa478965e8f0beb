"""Notebook 12's yardstick: a setting's validation scores beside those of the plain AE and of
AEAI's default setting, trained the same way over several seeds.

A score on validation pairs means little alone: the same pairs score :data:`YARDSTICK` (AE,
and AEAI with the defaults of :class:`~aeai_lib.methods.AEAIOptions`) at the same image size
and length, one run per seed, and their mean and spread over the seeds say how large a
difference between settings must be to mean anything. Every run is trained once into
``runs/`` (:func:`train_cached`), so that a sweep over settings, or a notebook executed again,
reuses the yardstick instead of training it again.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aeai_lib.data.base import ImageDataset
from aeai_lib.evaluation.protocol import evaluate_model
from aeai_lib.methods import Method, make_method
from aeai_lib.training import TrainConfig, TrainingResult, train

RUNS_DIR = Path(__file__).resolve().parent.parent / "runs"
YARDSTICK = {"AE": "ae", "AEAI": "aeai"}
"""Label -> the method preset scored beside a setting: the plain AE and AEAI's defaults."""


def run_path(method: Method, config: TrainConfig, dataset: ImageDataset, runs_dir: Path) -> Path:
    """``runs_dir/tuning_<label>_<size>px_<steps>steps_seed<seed>_<digest>.pt``; the digest is of
    every option of ``method`` and every field of ``config``, so that two settings never share
    a file and the same setting always finds its own."""
    settings = {
        "method": type(method).__name__,
        "options": asdict(method.options),
        "config": asdict(config),
        "dataset": dataset.name,
        "size": tuple(dataset.images.shape[1:]),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    label = method.label.lower().replace("+", "_")
    size = dataset.images.shape[-1]
    name = (
        f"tuning_{label}_{size}px_{config.steps}steps_seed{config.seed}_{digest.hexdigest()[:10]}"
    )
    return runs_dir / f"{name}.pt"


def train_cached(
    dataset: ImageDataset, method: Method, config: TrainConfig, runs_dir: Path = RUNS_DIR
) -> TrainingResult:
    """Train ``method`` on ``dataset`` into :func:`run_path`, or reuse the finished run there."""
    path = run_path(method, config, dataset, runs_dir)
    return train(dataset, method, config, checkpoint=path, resume=True, progress=False)


def yardstick_scores(
    dataset: ImageDataset,
    validation: ImageDataset,
    seeds: Iterable[int],
    steps: int,
    runs_dir: Path = RUNS_DIR,
) -> dict[str, list[dict[str, Any]]]:
    """Label of :data:`YARDSTICK` -> the validation summary of each seed's run (the protocol of
    :func:`~aeai_lib.evaluation.protocol.evaluate_model` on ``validation``'s test pairs)."""
    scores: dict[str, list[dict[str, Any]]] = {}
    for label, preset in YARDSTICK.items():
        scores[label] = []
        for seed in seeds:
            config = TrainConfig(steps=steps, seed=seed, diagnostics_every=min(100, steps))
            result = train_cached(dataset, make_method(preset), config, runs_dir)
            summary = evaluate_model(result.model, validation, intervals={}, split="test")
            scores[label].append(summary["summary"])
    return scores


def seed_spread(runs: list[dict[str, Any]], key: str) -> tuple[float, float]:
    """Mean and sample standard deviation of ``key`` over ``runs`` (0 for one run)."""
    values = [float(run[key]) for run in runs]
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def separation(first: tuple[float, float], second: tuple[float, float]) -> float:
    """How far apart two (mean, standard deviation) pairs of :func:`seed_spread` are: the gap
    ``first - second`` in units of the sum of the two deviations (beyond 1: more than the
    seeds' spread); NaN when both deviations are 0."""
    spread = first[1] + second[1]
    return (first[0] - second[0]) / spread if spread > 0 else math.nan
