"""The one place that picks the compute device and seeds the random number generators."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV_VAR = "AEAI_DEVICE"


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on.

    Order of precedence: the ``device`` argument, then the ``AEAI_DEVICE`` environment
    variable, then the best available of cuda, mps and cpu.
    """
    requested = device if device is not None else os.environ.get(DEVICE_ENV_VAR) or None
    if requested is not None:
        chosen = torch.device(requested)
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"device {str(chosen)!r} was requested but CUDA is not available; "
                f"use 'cpu' or unset {DEVICE_ENV_VAR}"
            )
        if chosen.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError("device 'mps' was requested but is not available; use 'cpu'")
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch, and return a CPU ``torch.Generator`` seeded alike.

    Library code that draws random numbers takes such a generator explicitly, so that a
    result depends on its seed and not on what ran before it.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (seeds user code that uses the legacy API)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
