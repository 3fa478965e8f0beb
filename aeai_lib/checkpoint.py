"""Checkpoints: written atomically, loaded with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors and plain Python values:

* ``format`` / ``format_version``: identify the file and the layout of this dict;
* ``library_version``: the aeai_lib version that wrote it;
* ``model_config``, ``method`` ({"name", "options"}), ``train_config``, ``dataset``;
* ``step``, ``model_state``, ``optimizer_states``, ``generator_state``: enough to resume;
* ``history``: per-step values of every loss term; ``metrics``: measures recorded after training;
* ``correction`` (optional): AdvAI's correction fitted to the model's codes after training
  (:mod:`aeai_lib.methods.advai.fitted`), offered as the interpolation ``"advai"``.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

import aeai_lib
from aeai_lib.atomic import WriteError, write_bytes_atomic
from aeai_lib.validation import check_output_file

FORMAT = "aeai_lib.checkpoint"
ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: corrupt, truncated, foreign or incompatible."""


class CheckpointWriteError(WriteError):
    """A checkpoint that could not be written (disk full, quota, I/O error): an ``OSError``
    naming the path and the cause; the previous checkpoint at that path is kept."""

    def __str__(self) -> str:
        return (
            f"cannot write the checkpoint {str(self.filename)!r}: {self.strerror}; the previous "
            "checkpoint there (if any) is kept and can be resumed: free some space or pass "
            "another --out, then rerun with --resume"
        )


def _loadable(value: Any, where: str) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and tensors, so that
    ``torch.load(weights_only=True)`` reads it back; TypeError for anything else it refuses."""
    if isinstance(value, np.generic):  # before the builtins: np.float64 subclasses float
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value))
    if value is None or type(value) in (bool, int, float, str) or isinstance(value, torch.Tensor):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        items = {key: _loadable(item, f"{where}[{key!r}]") for key, item in value.items()}
        bad_keys = [key for key in items if not isinstance(key, (str, int))]
        if bad_keys:
            raise TypeError(
                f"checkpoint value {where} has a key {bad_keys[0]!r} of type "
                f"{type(bad_keys[0]).__name__}; use str or int keys"
            )
        return OrderedDict(items) if isinstance(value, OrderedDict) else items
    if isinstance(value, (list, tuple)):
        items = [_loadable(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    raise TypeError(
        f"checkpoint value {where} is a {type(value).__name__}, which torch.load("
        "weights_only=True) cannot read back; store numbers, strings, lists, dicts or tensors"
    )


def save_checkpoint(payload: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``payload`` (plus format fields) to ``path`` atomically; return the path.

    The file is written to a temporary name in the same directory and renamed over the
    target, so a crash leaves either the old checkpoint or the new one, never half of one.
    Only what :func:`load_checkpoint` reads back is written: numpy scalars and arrays become
    Python numbers and tensors; other objects raise a TypeError naming their key, before
    anything is written.

    Raises:
        TypeError: a value ``torch.load(weights_only=True)`` would refuse.
        ValueError: ``path`` is a folder or cannot be created.
        CheckpointWriteError: an ``OSError`` (disk full, quota, I/O error) while writing; the
            message names the path and the cause, and the previous file at ``path`` is kept.
    """
    path = check_output_file(path, "checkpoint path")
    record = _loadable(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library_version": aeai_lib.__version__,
            **payload,
        },
        "checkpoint",
    )
    buffer = io.BytesIO()  # serialised first, so that a failed write is an OSError, not
    torch.save(record, buffer)  # torch's "unexpected pos" RuntimeError that hides the cause
    write_bytes_atomic(path, buffer.getbuffer(), CheckpointWriteError)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check a checkpoint written by :func:`save_checkpoint` (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}; train one with "
            f"`python -m aeai_lib train --method aeai --dataset pole --out {path}`"
        )
    with path.open("rb") as file:
        magic = file.read(4)
    if not magic:
        raise CheckpointError(f"{path} is empty; retrain it or restore a good copy")
    if magic != ZIP_MAGIC:
        raise CheckpointError(
            f"{path} is not an aeai_lib checkpoint (not a file written by torch.save); "
            "use a file written by aeai_lib's train command"
        )
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL ([\w.]+)", str(error))
        culprit = f" ({found.group(1)})" if found else ""
        raise CheckpointError(
            f"{path} holds Python objects{culprit} that weights_only=True refuses to load: it is "
            "not an aeai_lib checkpoint, not a safe one, or one exported with numpy values by "
            "aeai_lib 0.1.0 before this was checked; use a file written by aeai_lib's train"
        ) from error
    except Exception as error:  # torch raises several types for damaged archives
        raise CheckpointError(
            f"{path} is corrupt or truncated and cannot be read ({type(error).__name__}); "
            "retrain it or restore a good copy"
        ) from error
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an aeai_lib checkpoint (a foreign file or a bare state_dict); "
            "use a file written by aeai_lib's train command"
        )
    version = record.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} was written by aeai_lib {record.get('library_version', '?')} in checkpoint "
            f"format {version}, but this aeai_lib {aeai_lib.__version__} reads format "
            f"{FORMAT_VERSION}; retrain it with this version or install the version that wrote it"
        )
    return record


def model_from_record(record: dict[str, Any], device: str | torch.device = "cpu"):
    """Rebuild the trained model a checkpoint record describes, in eval mode."""
    from aeai_lib.methods import method_from_record
    from aeai_lib.models import ModelConfig

    method = method_from_record(record["method"])
    model = method.build_model(ModelConfig(**record["model_config"]))
    model.load_state_dict(record["model_state"])
    if "correction" in record:  # fitted after training: python -m aeai_lib correct
        from aeai_lib.methods.advai.fitted import FittedCorrection, attach_correction

        attach_correction(model, FittedCorrection.from_state(record["correction"]))
    return model.to(device).eval()


def load_model(path: str | os.PathLike, device: str | torch.device | None = None):
    """Load a trained model from a checkpoint: an :class:`~aeai_lib.models.AutoencoderModel`
    in eval mode, with ``encode(x)`` for x (N, C, H, W) in [0, 1] -> (N, D) and
    ``decode(z)`` -> images in [0, 1]."""
    from aeai_lib.device import pick_device

    return model_from_record(load_checkpoint(path), pick_device(device))


def export_checkpoint(
    source: str | os.PathLike, target: str | os.PathLike, metrics: dict[str, Any] | None = None
) -> Path:
    """Write a small copy of a checkpoint for shipping: float16 weights, no optimiser state.

    The copy loads with :func:`load_model` like the original (weights are cast back to
    float32 on load) but cannot be resumed. ``metrics`` (e.g. a fresh evaluation of the
    float16 model) replace the recorded ones.
    """
    record = load_checkpoint(source)
    record["model_state"] = {
        name: value.half() if value.is_floating_point() else value
        for name, value in record["model_state"].items()
    }
    for key in (
        "optimizer_states",
        "generator_state",
        "format",
        "format_version",
        "library_version",
    ):
        record.pop(key, None)
    if metrics is not None:
        record["metrics"] = metrics
    return save_checkpoint(record, target)
