"""Input checks shared by the whole library.

Every check raises :class:`ValueError` or :class:`TypeError` with a message that names the
problem and the fix, so that a learner's mistake reads as a sentence, not a stack of shapes.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

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
    """Return interpolation coefficients as a 1-D float32 tensor, checking they lie in [0, 1].

    Accepts a number, or a 1-D list, tuple, range, numpy array or tensor of real numbers.

    Raises:
        TypeError: anything else (a string, booleans, complex numbers), naming what is expected.
        ValueError: two or more dimensions, a ragged list, NaN or inf, values outside [0, 1].
    """
    fix = (
        "pass a number in [0, 1] or a 1-D list, numpy array or tensor of them, e.g. alpha_grid(16)"
    )
    tensor = real_tensor(alphas, "alphas", fix).float()
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


def is_real_number(value: object) -> bool:
    """True for a single real number of any type (int, float, numpy scalar), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_nonnegative(name: str, value: float) -> float:
    """Check a weight such as a lambda: a finite real number >= 0 (numpy scalars too)."""
    if not is_real_number(value):
        raise TypeError(f"{name} must be a number >= 0, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} must be a finite number >= 0, got {value}; use 0 to switch the term off"
        )
    return float(value)


def check_integer(name: str, value: int, minimum: int | None = None) -> int:
    """Check an integer of any integral type (int, numpy integer, 0-d integer tensor);
    return it as a Python int. Booleans and floats (even 16.0) are refused.

    Raises:
        TypeError: not an integer, naming the types accepted.
        ValueError: below ``minimum``.
    """
    at_least = f" >= {minimum}" if minimum is not None else ""
    refused = TypeError(
        f"{name} must be an integer{at_least} (int or numpy integer), got {value!r} "
        f"({type(value).__name__}); pass e.g. {name.split()[0]}={max(minimum or 0, 1)}"
    )
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, torch.Tensor) and value.dtype == torch.bool
    ):
        raise refused
    try:
        number = operator.index(value)
    except TypeError:
        raise refused from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {number}")
    return number


def check_positive_int(name: str, value: int, minimum: int = 1) -> int:
    """Check a count such as the number of steps or M: an integer >= ``minimum`` of any
    integral type (see :func:`check_integer`); return it as a Python int."""
    return check_integer(name, value, minimum)


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices`` (e.g. a method or dataset name)."""
    options = sorted(choices)
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(options)}")
    return value


def check_size(size: int) -> int:
    """Check an image size: an integer in [MIN_SIZE, MAX_SIZE] = [16, 512] pixels."""
    expected = f"size must be an int in [{MIN_SIZE}, {MAX_SIZE}] pixels"
    try:
        size = check_integer("size", size)
    except TypeError:
        raise TypeError(f"{expected}, got {size!r}; pass e.g. size=64") from None
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"{expected}, got {size}; pass e.g. size=64")
    return size


def real_tensor(value: object, name: str, fix: str) -> torch.Tensor:
    """Return real numbers given as a number, list, tuple, range, numpy array or tensor as a
    float64 CPU tensor of the same shape (0-D for a single number).

    Raises TypeError naming ``name`` and ``fix`` for anything else (strings, booleans,
    complex numbers, None) and ValueError for ragged lists.
    """
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bool or value.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a {value.dtype} tensor; {fix}")
        return value.detach().to("cpu", torch.float64)
    if not (is_real_number(value) or isinstance(value, (np.ndarray, list, tuple, range))):
        raise TypeError(
            f"{name} must be a number or a 1-D sequence of numbers, got {value!r} "
            f"({type(value).__name__}); {fix}"
        )
    try:
        array = np.asarray(value)
    except ValueError as error:
        raise ValueError(f"{name} is a ragged sequence ({error}); {fix}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}; {fix}")
    return torch.from_numpy(array.astype(np.float64))


def as_angles(value: Angles, name: str) -> torch.Tensor:
    """Return angles given as a number, list, 1-D numpy array or tensor as a float64 tensor.

    The result is 1-D, or 0-D when ``value`` was a single number (so callers can broadcast it).
    Raises TypeError for non-numbers (strings, booleans, complex) and ValueError for
    arrays of two or more dimensions, ragged lists and NaN or infinite values.
    """
    fix = f"pass {name} as a number or a 1-D list, numpy array or tensor of numbers"
    tensor = real_tensor(value, name, fix)
    if tensor.dim() > 1:
        raise ValueError(f"{name} must be a number or 1-D, got shape {tuple(tensor.shape)}; {fix}")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or inf; pass finite angles")
    return tensor


def as_codes(
    codes: torch.Tensor,
    name: str = "codes",
    *,
    dim: int | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Check latent codes: a real tensor (N, D), D = ``dim`` when given; return them as
    ``dtype`` (floating codes of another precision, e.g. float64 or float16, are cast to it;
    integer codes become floats, since a code is a point in a continuous space).

    Raises:
        TypeError: not a tensor, or booleans or complex numbers; the message names the dtype
            expected.
        ValueError: not 2-D, D not ``dim``, or on another device than ``device`` (the
            message gives the ``.to(...)`` that fixes it).
    """
    expected = f"a float tensor (N, D) of codes{f' of dtype {dtype}' if dtype else ''}"
    if not isinstance(codes, torch.Tensor):
        raise TypeError(f"{name} must be {expected}, got {type(codes).__name__}")
    if codes.dtype == torch.bool or codes.is_complex():
        raise TypeError(f"{name} must be {expected}, got dtype {codes.dtype}")
    if codes.dim() != 2:
        raise ValueError(
            f"{name} must be a 2-D tensor (N, D), one code per row, got shape "
            f"{tuple(codes.shape)}; add a batch dimension with {name}.unsqueeze(0) for one code"
        )
    if dim is not None and codes.shape[1] != dim:
        raise ValueError(
            f"{name} have {codes.shape[1]} dimensions but the model's latent size is {dim}"
        )
    if device is not None and codes.device != device:
        raise ValueError(
            f"{name} are on {codes.device} but the model is on {device}; "
            f"move them with {name}.to({str(device)!r})"
        )
    if dtype is not None:
        return codes.to(dtype)
    return codes if codes.is_floating_point() else codes.float()


def _check_writable_parent(path: Path, name: str) -> None:
    """The nearest existing folder above ``path`` must be a folder we can write to."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(
            f"{name} {str(path)!r} cannot be created: {str(ancestor)!r} is a file, not a "
            "folder; choose another path"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(
            f"{name} {str(path)!r} cannot be created: no permission to write in "
            f"{str(ancestor)!r}; choose a writable location"
        )


def _as_path(path: str | os.PathLike, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise TypeError(f"{name} must be a non-empty path (str or pathlib.Path), got {path!r}")
    return Path(path)


def check_output_file(path: str | os.PathLike, name: str = "output file") -> Path:
    """Check, before any work starts, that a file can be written at ``path`` (missing
    parent folders are created later): it is not an existing folder and sits under a
    writable folder. Returns it as a Path.

    Raises:
        TypeError: not a path. ValueError: an existing folder, or not creatable.
    """
    path = _as_path(path, name)
    if path.is_dir():
        raise ValueError(
            f"{name} {str(path)!r} is an existing folder, not a file; pass a file path such "
            f"as {str(path / 'model.pt')!r}"
        )
    _check_writable_parent(path, name)
    return path


def check_output_folder(path: str | os.PathLike, name: str = "output folder") -> Path:
    """Check, before any work starts, that ``path`` is a folder or can be created as one
    under a writable folder. Returns it as a Path.

    Raises:
        TypeError: not a path. ValueError: an existing file, or not creatable.
    """
    path = _as_path(path, name)
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"{name} {str(path)!r} is an existing file, not a folder; pass a folder path "
            "(it is created if missing)"
        )
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(
                f"{name} {str(path)!r}: no permission to write in it; choose a writable folder"
            )
        return path
    _check_writable_parent(path, name)
    return path
