"""The one place that picks the compute device, seeds the random number generators and moves
small host tensors to the device."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

from aeai_lib.validation import check_integer

DEVICE_ENV_VAR = "AEAI_DEVICE"


def available_devices() -> list[str]:
    """The devices this machine offers torch, e.g. ``["cpu"]`` or ``["cpu", "cuda:0", "mps"]``."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{index}" for index in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on.

    Order of precedence: the ``device`` argument, then the ``AEAI_DEVICE`` environment
    variable, then the best available of cuda, mps and cpu.

    Raises:
        ValueError: a device that is not a torch device name (e.g. "gpu") or that this
            machine lacks (e.g. "cuda" without CUDA); the one-line message lists
            :func:`available_devices`.
        TypeError: ``device`` neither a string nor a torch.device.
    """
    from_env = device is None and bool(os.environ.get(DEVICE_ENV_VAR))
    requested = os.environ[DEVICE_ENV_VAR] if from_env else device
    if requested is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(requested, (str, torch.device)):
        raise TypeError(f"device must be a string such as 'cpu' or a torch.device, got {device!r}")
    where = f" (from the {DEVICE_ENV_VAR} environment variable)" if from_env else ""
    available = f"available here: {', '.join(available_devices())}"
    try:
        chosen = torch.device(requested)
    except (RuntimeError, ValueError):
        raise ValueError(f"unknown device {str(requested)!r}{where}; {available}") from None
    if chosen.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (chosen.index is not None and chosen.index >= count):
            lacks = "has no CUDA device" if count == 0 else f"has {count} CUDA device(s)"
            raise ValueError(
                f"device {str(chosen)!r}{where} requested, but this machine {lacks}; {available}"
            )
    elif chosen.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(
                f"device 'mps'{where} requested, but MPS is not available; {available}"
            )
    elif chosen.type != "cpu":
        raise ValueError(f"device {str(chosen)!r}{where} is not supported; {available}")
    return chosen


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch, and return a CPU ``torch.Generator`` seeded alike.

    Library code that draws random numbers takes such a generator explicitly, so that a
    result depends on its seed and not on what ran before it.
    """
    seed = check_integer("seed", seed)
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
