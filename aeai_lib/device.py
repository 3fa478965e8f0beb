"""The one place that picks the compute device, seeds the random number generators and moves
small host tensors to the device."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

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


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run PyTorch on one intra-op CPU thread inside the block, then restore the count.

    For small work (a tiny network, one decoded image): threads that wait for each other cost
    more than they share, badly so on a busy machine (one 64x64 decode took 500 ms on 2
    threads and 1 ms on 1 with both cores loaded). Usable as a decorator too.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A small host tensor (a batch's indices, its alphas) on ``device``, without a stall.

    A plain ``.to("cuda")`` of a pageable CPU tensor waits until the GPU has finished all
    the work queued before it, once per copy: the CPU then cannot queue the next step while
    the GPU computes this one. On CUDA the tensor is pinned and copied asynchronously (the
    pinned block is not reused before the copy is done); on any other device this is
    ``tensor.to(device)``, so CPU results are unchanged.
    """
    if device.type == "cuda" and tensor.device.type == "cpu":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)
