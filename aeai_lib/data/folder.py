"""Load a folder of the user's own images whose file names carry (object, angle), e.g. COIL-100.

COIL-100 names its views ``obj12__35.png``: object 12 seen at 35 degrees. The default
:data:`COIL_PATTERN` parses exactly that (extension png, jpg or jpeg in any case). Pass another
regular expression with named groups ``object`` (optional; 0 when absent) and ``angle``
(degrees) for other naming schemes; it must match the whole file name and is applied
case-insensitively.

Which files are read: the folder's own files (not sub-folders) whose extension is .png, .jpg
or .jpeg, in any case, and whose names do not start with a dot; other files (READMEs, .txt)
are ignored. Every one of those images must parse, decode and share one size, and no
(object, angle) may appear twice: otherwise a ValueError names the file(s) and the fix.

Images become RGB, or stay single-channel when ALL of them are grayscale (PIL modes 1, L, LA),
are resized to ``size x size`` with PIL's bilinear filter (which anti-aliases when shrinking;
non-square images are stretched), scaled to [0, 1] and sorted by (object, angle).
Nothing is written to disk.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from aeai_lib.data.base import ImageDataset, random_split
from aeai_lib.validation import check_positive_int, check_size

COIL_PATTERN = r"obj(?P<object>\d+)__(?P<angle>\d+(\.\d+)?)\.(png|jpe?g)"
"""COIL-100's file names: ``obj<object>__<angle>.png``, e.g. ``obj12__35.png``."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
GRAYSCALE_MODES = ("1", "L", "LA")


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile a file-name pattern, checking it has an ``angle`` group."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regular expression string, got {pattern!r}")
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(
            f"pattern {pattern!r} is not a valid regular expression: {error}"
        ) from None
    if "angle" not in regex.groupindex:
        raise ValueError(
            f"pattern {pattern!r} has no named group 'angle'; write it as (?P<angle>\\d+) "
            "(and (?P<object>\\d+) for the object id), e.g. the default "
            f"{COIL_PATTERN!r}"
        )
    return regex


def _image_files(folder: Path, pattern: str) -> list[Path]:
    """The folder's visible image files, or a ValueError when there are none."""
    if not folder.exists():
        raise ValueError(f"image folder {str(folder)!r} does not exist; check the path")
    if not folder.is_dir():
        raise ValueError(f"{str(folder)!r} is a file, not a folder; pass the folder that holds it")
    visible = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    files = [p for p in visible if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        seen = f"e.g. {visible[0].name!r}" if visible else "nothing"
        raise ValueError(
            f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {str(folder)!r} (saw {seen}); "
            f"expected names matching {pattern!r}, e.g. 'obj1__0.png' for the default pattern"
        )
    return files


def _parse(path: Path, regex: re.Pattern[str]) -> tuple[float, float]:
    """(object, angle) from a file name, or a ValueError naming the file and the pattern."""
    match = regex.fullmatch(path.name)
    if match is None:
        raise ValueError(
            f"cannot parse object and angle from file name {path.name!r}: it does not match the "
            f"pattern {regex.pattern!r}; rename the file, move it out, or pass pattern=..."
        )
    try:
        object_id = float(match.group("object")) if "object" in regex.groupindex else 0.0
        angle = float(match.group("angle"))
    except (TypeError, ValueError):
        raise ValueError(
            f"file name {path.name!r} matches pattern {regex.pattern!r} but its object or angle "
            "is not a number; make the groups match digits only, e.g. (?P<angle>\\d+)"
        ) from None
    return object_id, angle


def _open(path: Path) -> Image.Image:
    """Decode one image fully, or raise a ValueError naming the file."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(
            f"cannot read image {str(path)!r} ({error}); replace or remove the file"
        ) from None


def load_folder(
    path: str | Path, size: int = 64, pattern: str = COIL_PATTERN, seed: int = 0
) -> ImageDataset:
    """Load every image in ``path`` with its (object, angle) parsed from the file name.

    Args:
        path: a folder of images named by ``pattern`` (default: COIL-100's ``obj12__35.png``).
        size: output height and width in pixels, an int in [16, 512].
        pattern: regular expression for the whole file name (case-insensitive) with named
            groups ``angle`` (degrees) and optionally ``object`` (an id; 0 when absent).
        seed: seed of the 80/20 train/test split.

    Returns:
        ImageDataset named ``f"folder:{path}"``: images float32 (N, C, size, size) in [0, 1]
        with C = 3, or 1 when every source image is grayscale; params float64 (N, 2) =
        (object, angle) sorted by object then angle; angle has period 360.
    """
    check_size(size)
    check_positive_int("seed", seed, minimum=0)
    regex = _compile(pattern)
    files = _image_files(Path(path), pattern)
    parsed = sorted((_parse(file, regex), file) for file in files)
    for (first_key, first), (second_key, second) in pairwise(parsed):
        if first_key == second_key:
            raise ValueError(
                f"{first.name!r} and {second.name!r} both hold object {first_key[0]:g} at angle "
                f"{first_key[1]:g}; remove one of them"
            )
    images = [_open(file) for _, file in parsed]
    first_size = images[0].size
    for image, (_, file) in zip(images, parsed, strict=True):
        if image.size != first_size:
            raise ValueError(
                f"images must share one size: {parsed[0][1].name!r} is "
                f"{first_size[0]}x{first_size[1]} but {file.name!r} is "
                f"{image.size[0]}x{image.size[1]}; resize the source images to one size first"
            )
    mode = "L" if all(image.mode in GRAYSCALE_MODES for image in images) else "RGB"
    arrays = [
        np.asarray(image.convert(mode).resize((size, size), Image.Resampling.BILINEAR))
        for image in images
    ]
    pixels = torch.from_numpy(np.stack(arrays)).float().div(255.0)
    pixels = pixels.unsqueeze(1) if mode == "L" else pixels.permute(0, 3, 1, 2).contiguous()
    params = torch.tensor([key for key, _ in parsed], dtype=torch.float64)
    train_idx, test_idx = random_split(len(parsed), 0.2, seed)
    return ImageDataset(
        name=f"folder:{path}",
        images=pixels,
        params=params,
        param_names=("object", "angle"),
        param_periods=(None, 360.0),
        train_idx=train_idx,
        test_idx=test_idx,
    )
