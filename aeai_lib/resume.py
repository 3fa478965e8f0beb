"""Which settings a resumed run may change, and a refusal that names each one that differs.

A checkpoint continues only the run that wrote it: the data, the model, the method and its
options, the seed and every other training setting must be the checkpoint's, or the resumed
steps would train another model than the one recorded (the checkpoint records one dataset,
one set of options). Only what does not change the trained weights may differ:
:data:`RESUME_MAY_CHANGE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

RESUME_MAY_CHANGE = (
    "steps",
    "device",
    "checkpoint_every",
    "diagnostics_every",
    "compile",
    "channels_last",
)
"""Fields of :class:`~aeai_lib.training.TrainConfig` that a resumed run may change: more steps
(never fewer than done, and only at a constant learning rate, since a schedule's curve depends
on the length), the device, how often checkpoints and diagnostics are written, and the speed
options that leave the arithmetic as it is (:mod:`aeai_lib.speed`)."""


class _NotSet:
    def __repr__(self) -> str:
        return "(not set)"


NOT_SET = _NotSet()
"""The value of a setting one side does not record."""
RESUME_MAY_CHANGE_CLI = ("threads", "no-progress", "benchmark-every", "benchmark-from")
"""Command-line flags of ``train`` that a resumed run may change (besides those above)."""


def resume_may_change_help() -> str:
    """The flags a resumed run may change, as ``train --help`` lists them."""
    flags = [name.replace("_", "-") for name in RESUME_MAY_CHANGE] + list(RESUME_MAY_CHANGE_CLI)
    return ", ".join(f"--{flag}" for flag in flags)


def _settings(
    dataset: Any, method: Mapping[str, Any], model: Mapping[str, Any], train: Mapping[str, Any]
) -> dict[str, Any]:
    """One flat ``setting name -> value`` view of a run, in the words of the CLI."""
    settings: dict[str, Any] = {"dataset": dataset, "method": method.get("name")}
    settings.update({f"method option {k}": v for k, v in dict(method.get("options", {})).items()})
    settings.update({f"model {k}": v for k, v in model.items()})
    settings.update({k: v for k, v in train.items() if k not in RESUME_MAY_CHANGE})
    return settings


def resume_differences(
    record: Mapping[str, Any],
    dataset_name: str,
    method: Mapping[str, Any],
    model_config: Mapping[str, Any],
    config: Any,
) -> list[tuple[str, Any, Any]]:
    """(setting, checkpoint's value, this run's value) for each setting that differs.

    ``record`` is a loaded checkpoint; ``method`` is ``{"name", "options"}``, ``model_config``
    a :class:`~aeai_lib.models.ModelConfig` dict, ``config`` the run's ``TrainConfig``. A
    setting the checkpoint does not record (an older file, a newer field) is compared with
    this run's value only when the checkpoint records it.
    """
    saved_train = {**asdict(type(config)()), **record["train_config"]}  # missing: default
    saved = _settings(record.get("dataset", dataset_name), record["method"],
                      record["model_config"], saved_train)  # fmt: skip
    wanted = _settings(dataset_name, method, model_config, asdict(config))
    if config.lr_schedule != "constant":  # the schedule's curve depends on the length
        saved["steps"], wanted["steps"] = saved_train["steps"], config.steps
    names = list(saved)
    return [
        (name, saved[name], wanted.get(name, NOT_SET))
        for name in names
        if name in saved and saved[name] != wanted.get(name, NOT_SET)
    ]


def check_resumable(
    path: Any,
    record: Mapping[str, Any],
    dataset_name: str,
    method: Mapping[str, Any],
    model_config: Mapping[str, Any],
    config: Any,
) -> None:
    """Refuse to resume ``record`` (read from ``path``) with other settings.

    Raises:
        ValueError: naming each differing setting with the checkpoint's value and this
            run's, the fix (the checkpoint's values, or a new ``--out``), and what may change.
    """
    differences = resume_differences(record, dataset_name, method, model_config, config)
    if not differences:
        return
    listed = "; ".join(
        f"{name}: checkpoint {saved!r}, this run {wanted!r}" for name, saved, wanted in differences
    )
    raise ValueError(
        f"cannot resume {str(path)!r}: it was trained with other settings ({listed}); pass the "
        "checkpoint's values to continue it, or train this setting to a new --out. Only "
        f"{resume_may_change_help()} may change on resume"
    )
