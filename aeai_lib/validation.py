"""Input checks shared by the whole library.

Every check raises :class:`ValueError` or :class:`TypeError` with a message that names the
problem and the fix, so that a learner's mistake reads as a sentence, not a stack of shapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import torch

MIN_SIZE, MAX_SIZE = 16, 512
Angles = float | int | Sequence[float] | np.ndarray | torch.Tensor


def check_images(
    images: torch.Tensor,
    *,
    name: str = "images",
    size: int | None = None,
    channels: int | None = None,
) -> None:
    """Check a batch of images: a float tensor (N, C, H, W) with finite values in [0, 1].

    ``size`` and ``channels``, when given, are what the model was built for.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (N, C, H, W), got {type(images).__name__}"
        )
    if images.dim() != 4:
        raise ValueError(
            f"{name} must be 4-D (N, C, H, W), got shape {tuple(images.shape)}; "
            "add a batch dimension with images.unsqueeze(0) for a single image"
        )
    if not images.is_floating_point():
        raise TypeError(
            f"{name} must be a float tensor with values in [0, 1], got dtype {images.dtype}"
        )
    if channels is not None and images.shape[1] != channels:
        raise ValueError(
            f"{name} have {images.shape[1]} channels but the model was built for {channels}; "
            "convert the images or train a model for this channel count"
        )
    if size is not None and tuple(images.shape[-2:]) != (size, size):
        raise ValueError(
            f"{name} are {images.shape[-2]}x{images.shape[-1]} but the model was built for "
            f"{size}x{size}; resize the images or train a model with --image-size "
            f"{images.shape[-1]}"
        )
    if images.numel() == 0:
        return
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} contain NaN or inf values; clean the input before encoding it")
    low, high = images.min().item(), images.max().item()
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{name} must have values in [0, 1], got range [{low:.3g}, {high:.3g}]; "
            "divide 8-bit images by 255 (or map [-1, 1] data with (x + 1) / 2)"
        )


def check_alphas(alphas: torch.Tensor | Iterable[float] | float) -> torch.Tensor:
    """Return interpolation coefficients as a 1-D float tensor, checking they lie in [0, 1]."""
    tensor = torch.as_tensor(alphas, dtype=torch.float32)
    if tensor.dim() == 0:
        tensor = tensor.reshape(1)
    if tensor.dim() != 1:
        raise ValueError(
            f"alphas must be a number or a 1-D sequence, got shape {tuple(tensor.shape)}"
        )
    if not torch.isfinite(tensor).all():
        raise ValueError("alphas contain NaN or inf; use values in [0, 1]")
    if tensor.numel() and (tensor.min() < 0 or tensor.max() > 1):
        raise ValueError(
            f"alpha must lie in [0, 1] (0 is the source, 1 the target), got range "
            f"[{tensor.min().item():.3g}, {tensor.max().item():.3g}]"
        )
    return tensor


def check_nonnegative(name: str, value: float) -> float:
    """Check a weight such as a lambda: a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} must be a finite number >= 0, got {value}; use 0 to switch the term off"
        )
    return float(value)


def check_positive_int(name: str, value: int, minimum: int = 1) -> int:
    """Check a count such as the number of steps or M: an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices`` (e.g. a method or dataset name)."""
    options = sorted(choices)
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(options)}")
    return value


def check_size(size: int) -> int:
    """Check an image size: an int in [MIN_SIZE, MAX_SIZE] = [16, 512] pixels."""
    expected = f"size must be an int in [{MIN_SIZE}, {MAX_SIZE}] pixels"
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"{expected}, got {size!r}; pass e.g. size=64")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"{expected}, got {size}; pass e.g. size=64")
    return size


def as_angles(value: Angles, name: str) -> torch.Tensor:
    """Return angles given as a number, list, 1-D numpy array or tensor as a float64 tensor.

    The result is 1-D, or 0-D when ``value`` was a single number (so callers can broadcast it).
    Raises TypeError for non-numbers (strings, booleans, complex) and ValueError for
    arrays of two or more dimensions, ragged lists and NaN or infinite values.
    """
    fix = f"pass {name} as a number or a 1-D list, numpy array or tensor of numbers"
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bool or value.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a {value.dtype} tensor; {fix}")
        tensor = value.detach().to("cpu", torch.float64)
    elif isinstance(value, (int, float, np.integer, np.floating, np.ndarray, list, tuple)) and (
        not isinstance(value, (bool, np.bool_))
    ):
        try:
            array = np.asarray(value)
        except ValueError as error:
            raise ValueError(f"{name} is a ragged sequence ({error}); {fix}") from None
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}; {fix}")
        tensor = torch.from_numpy(array.astype(np.float64))
    else:
        raise TypeError(f"{name} must be a number or 1-D array of numbers, got {value!r}; {fix}")
    if tensor.dim() > 1:
        raise ValueError(f"{name} must be a number or 1-D, got shape {tuple(tensor.shape)}; {fix}")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or inf; pass finite angles")
    return tensor
