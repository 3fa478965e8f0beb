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

Pixels are scaled to [0, 1] by each image's own bit depth: 8-bit images (and 1-, 2- and
4-bit ones, which PIL widens to 8) divide by 255, 16-bit PNGs by 65535. Transparency (an
alpha channel, a palette entry or a tRNS colour) is composited onto a uniform ``background``
grey level, black (0) by default as in COIL-100, whose objects are photographed on black:
a transparent pixel shows the background, never the colour hidden under it. Images stay
single-channel when ALL of them are grayscale (8- or 16-bit, with or without alpha), and
become RGB otherwise (grayscale ones then repeat their grey in all three channels). They are
resized to ``size x size`` with PIL's bilinear filter in floating point (which anti-aliases
when shrinking; non-square images are stretched) and sorted by (object, angle).
Loading writes nothing to disk.

:func:`write_folder` does the reverse: it writes a dataset of (object, angle) views, such as
the rendered objects, as such a folder of 8-bit PNGs, so that ``folder:`` can be tested on
images whose truth is known.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from aeai_lib.data.base import ImageDataset, random_split
from aeai_lib.validation import (
    check_choice,
    check_nonnegative,
    check_output_folder,
    check_positive_int,
    check_size,
)

COIL_PATTERN = r"obj(?P<object>\d+)__(?P<angle>\d+(\.\d+)?)\.(png|jpe?g)"
"""COIL-100's file names: ``obj<object>__<angle>.png``, e.g. ``obj12__35.png``."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
GRAYSCALE_MODES = ("1", "L", "LA", "La", "I", *SIXTEEN_BIT_MODES)
ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
COIL_BACKGROUND = 0.0
"""COIL-100's background, black, on which transparent pixels are composited by default."""
MAX_PIXELS = Image.MAX_IMAGE_PIXELS
"""Most pixels (width x height) of an image :func:`load_folder` decodes: PIL's own
decompression-bomb threshold, 89,478,485 (about 0.27 GB decoded as 24-bit RGB). Larger images
are refused from their header, before decoding, naming the file and its size."""
WRITE_SPLITS = ("all", "train", "test")
"""Which views :func:`write_folder` writes."""


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
    visible = sorted(
        p
        for p in folder.iterdir()
        if (p.is_file() or _broken_link(p)) and not p.name.startswith(".")
    )
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


def _broken_link(path: Path) -> bool:
    """Whether ``path`` is a symbolic link to nothing."""
    return path.is_symlink() and not path.exists()


class UnreadableImage(ValueError):
    """One image file that cannot be read: a broken link, no permission, damaged."""


def _open(path: Path) -> Image.Image:
    """Decode one image fully; :class:`UnreadableImage` naming the file when it cannot be
    read, ValueError naming its size when it has more than :data:`MAX_PIXELS` pixels."""
    if _broken_link(path):
        raise UnreadableImage(f"{path.name!r} (a broken link to {os.readlink(path)!r})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            image = Image.open(path)  # reads the header only
    except Image.DecompressionBombError:
        image = None
    except (OSError, SyntaxError, ValueError) as error:
        raise UnreadableImage(f"{path.name!r} ({_reason(error)})") from None
    width, height = image.size if image is not None else _header_size(path)
    if image is None or width * height > MAX_PIXELS:
        if image is not None:
            image.close()
        raise ValueError(
            f"image {str(path)!r} is {width}x{height} pixels ({width * height / 1e6:.0f} "
            f"megapixels), more than the {MAX_PIXELS / 1e6:.0f} megapixels this loader decodes "
            "(PIL's decompression-bomb limit; the images are shrunk to at most 512x512 anyway): "
            "shrink it first, or move it out of the folder"
        )
    try:
        with image:
            image.load()
            return image.copy()
    except (OSError, SyntaxError, ValueError) as error:
        raise UnreadableImage(f"{path.name!r} ({_reason(error)})") from None


def _reason(error: BaseException) -> str:
    """Why a file could not be read, in a few words."""
    if isinstance(error, PermissionError):
        return "permission denied"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _header_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's or JPEG's header, read by PIL's plugin without its
    decompression-bomb check; (0, 0) if neither plugin reads it."""
    for name in ("PNG", "JPEG"):
        factory, _ = Image.OPEN[name]
        try:
            with open(path, "rb") as file:
                return factory(file, str(path)).size
        except Exception:  # not this format
            continue
    return (0, 0)


def _open_all(
    files: list[Path], folder: Path, skip_unreadable: bool
) -> tuple[list[Image.Image], list[Path]]:
    """The decoded images and the files they came from; files that cannot be read are
    refused, naming them (up to 10), unless ``skip_unreadable``, which warns of their count."""
    images, kept, unreadable = [], [], []
    for file in files:
        try:
            images.append(_open(file))
            kept.append(file)
        except UnreadableImage as error:
            unreadable.append(str(error))
    if not unreadable:
        return images, kept
    named = ", ".join(unreadable[:10]) + (" ..." if len(unreadable) > 10 else "")
    share = f"{len(unreadable)} of the {len(files)} image files"
    if not skip_unreadable or not images:
        fix = "skip them with --skip-unreadable (skip_unreadable=True), or " if images else ""
        raise ValueError(
            f"cannot read image files in {str(folder)!r} ({share}): "
            f"{named}; {fix}replace or remove them"
        )
    warnings.warn(
        f"skipped {share} in {str(folder)!r}, which cannot be read: {named}", stacklevel=3
    )
    return images, kept


def _pixels(image: Image.Image, path: Path, background: float, channels: int) -> np.ndarray:
    """One image as float32 (H, W, channels) in [0, 1]: scaled by its bit depth, transparency
    composited onto ``background``."""
    if image.mode in ("I", *SIXTEEN_BIT_MODES):  # PNG's 16-bit grey (PIL reads some as "I")
        values = np.asarray(image).astype(np.float64)
        if values.min() < 0 or values.max() > 65535:
            raise ValueError(
                f"image {str(path)!r} has integer pixels outside 0..65535 (mode {image.mode}); "
                "save it as an 8- or 16-bit PNG"
            )
        colour = (values / 65535)[..., None]
        key = image.info.get("transparency")
        alpha = None if key is None else (np.asarray(image) != key).astype(np.float64)[..., None]
    elif image.mode in ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "CMYK", "YCbCr"):
        grey = image.mode in GRAYSCALE_MODES
        has_alpha = image.mode in ALPHA_MODES or "transparency" in image.info
        target = ("L" if grey else "RGB") + ("A" if has_alpha else "")
        values = np.asarray(image.convert(target), dtype=np.float64) / 255
        values = values[..., None] if values.ndim == 2 else values
        colour, alpha = (values[..., :-1], values[..., -1:]) if has_alpha else (values, None)
    else:
        raise ValueError(
            f"image {str(path)!r} has pixel mode {image.mode!r}, which this loader does not "
            "read; save it as an 8- or 16-bit grayscale or RGB(A) PNG"
        )
    if alpha is not None:
        colour = colour * alpha + background * (1 - alpha)
    if colour.shape[-1] != channels:
        colour = np.repeat(colour, channels, axis=-1)
    return colour.astype(np.float32)


def _resize(pixels: np.ndarray, size: int) -> np.ndarray:
    """Float (H, W, C) -> (C, size, size) with PIL's bilinear filter, channel by channel."""
    return np.stack(
        [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(pixels[..., c]), mode="F").resize(
                    (size, size), Image.Resampling.BILINEAR
                )
            )
            for c in range(pixels.shape[-1])
        ]
    )


def load_folder(
    path: str | Path,
    size: int = 64,
    pattern: str = COIL_PATTERN,
    seed: int = 0,
    background: float = COIL_BACKGROUND,
    skip_unreadable: bool = False,
) -> ImageDataset:
    """Load every image in ``path`` with its (object, angle) parsed from the file name.

    Args:
        path: a folder of images named by ``pattern`` (default: COIL-100's ``obj12__35.png``).
        size: output height and width in pixels, an int in [16, 512].
        pattern: regular expression for the whole file name (case-insensitive) with named
            groups ``angle`` (degrees) and optionally ``object`` (an id; 0 when absent).
        seed: seed of the 80/20 train/test split.
        background: grey level in [0, 1] that transparent pixels are composited onto
            (default 0, black, COIL-100's background).
        skip_unreadable: skip image files that cannot be read (broken links, no permission,
            damaged), with a warning that counts and names them, instead of refusing.

    Returns:
        ImageDataset named ``"folder:"`` + the folder's absolute path (so that a checkpoint
        records where its images are, whatever the working directory): images float32
        (N, C, size, size) in [0, 1] with C = 3, or 1 when every source image is grayscale;
        params float64 (N, 2) = (object, angle) sorted by object then angle; angle has
        period 360.

    Raises:
        ValueError: a missing or empty folder, a file name the pattern does not parse, an
            unreadable image (all of them named; see ``skip_unreadable``), an image of more
            than :data:`MAX_PIXELS` pixels (named, with its size), an unsupported pixel mode,
            images of different sizes, a repeated (object, angle), or a background outside
            [0, 1].
    """
    check_size(size)
    check_positive_int("seed", seed, minimum=0)
    background = check_nonnegative("background", background)
    if background > 1:
        raise ValueError(f"background must be a grey level in [0, 1], got {background}")
    regex = _compile(pattern)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder path (str or pathlib.Path), got {path!r}")
    folder = Path(os.path.abspath(path))
    files = _image_files(folder, pattern)
    parsed = sorted((_parse(file, regex), file) for file in files)
    for (first_key, first), (second_key, second) in pairwise(parsed):
        if first_key == second_key:
            raise ValueError(
                f"{first.name!r} and {second.name!r} both hold object {first_key[0]:g} at angle "
                f"{first_key[1]:g}; remove one of them"
            )
    images, kept = _open_all([file for _, file in parsed], folder, skip_unreadable)
    kept_files = set(kept)
    parsed = [item for item in parsed if item[1] in kept_files]
    first_size = images[0].size
    for image, (_, file) in zip(images, parsed, strict=True):
        if image.size != first_size:
            raise ValueError(
                f"images must share one size: {parsed[0][1].name!r} is "
                f"{first_size[0]}x{first_size[1]} but {file.name!r} is "
                f"{image.size[0]}x{image.size[1]}; resize the source images to one size first"
            )
    channels = 1 if all(image.mode in GRAYSCALE_MODES for image in images) else 3
    pixels = torch.from_numpy(
        np.stack(
            [
                _resize(_pixels(image, file, background, channels), size)
                for image, (_, file) in zip(images, parsed, strict=True)
            ]
        )
    ).clamp_(0.0, 1.0)
    params = torch.tensor([key for key, _ in parsed], dtype=torch.float64)
    train_idx, test_idx = random_split(len(parsed), 0.2, seed)
    return ImageDataset(
        name=f"folder:{folder}",
        images=pixels,
        params=params,
        param_names=("object", "angle"),
        param_periods=(None, 360.0),
        train_idx=train_idx,
        test_idx=test_idx,
    )


def coil_name(object_id: float, angle: float) -> str:
    """COIL-100's file name of a view, e.g. ``obj12__35.png`` (``obj3__2.5.png`` off degrees)."""
    return f"obj{int(object_id)}__{angle:g}.png"


def check_new_folder(path: str | Path, name: str = "folder") -> Path:
    """Check, before any work, that ``path`` is a new or empty folder that can be created.

    Raises:
        TypeError: not a path. ValueError: a file, a folder that is not empty, or not creatable.
    """
    folder = check_output_folder(path, name)
    if folder.is_dir() and any(folder.iterdir()):
        raise ValueError(
            f"{name} {str(folder)!r} is not empty; write the views into a new or empty folder"
        )
    return folder


def write_folder(dataset: ImageDataset, path: str | Path, split: str = "all") -> Path:
    """Write the views of a dataset with (object, angle) parameters as a COIL-100-style folder.

    One 8-bit RGB (or grey, for 1-channel images) PNG per view, named :func:`coil_name`,
    pixels ``round(255 x)``: :func:`load_folder` reads them back to within 1/510 of the
    dataset's images, in the same order. The files are written into a temporary folder
    beside ``path`` that then takes its place, so an interrupted write leaves no half folder.

    Args:
        dataset: e.g. ``load_dataset("objects")``; its params must be (object, angle).
        path: a new or empty folder.
        split: "all" views, or the "train" or "test" ones (for COIL-100's protocol: a folder
            of the "train" views to train on, one of "all" views to evaluate on).

    Returns:
        The folder's path.

    Raises:
        ValueError: a dataset without (object, angle) parameters, a path that is a file or a
            folder that is not empty, or an unknown split.
    """
    if tuple(dataset.param_names) != ("object", "angle"):
        raise ValueError(
            f"dataset {dataset.name!r} has parameters {list(dataset.param_names)}, not "
            "(object, angle); only views of objects can be written as a COIL-100 folder"
        )
    check_choice("split", split, WRITE_SPLITS)
    folder = check_new_folder(path)
    indices = {
        "all": range(len(dataset)),
        "train": dataset.train_idx.tolist(),
        "test": dataset.test_idx.tolist(),
    }[split]
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        pixels = (dataset.images * 255).round().clamp(0, 255).to(torch.uint8)
        for index in indices:
            array = pixels[index].permute(1, 2, 0).numpy()
            image = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
            object_id, angle = dataset.params[index].tolist()
            image.save(temporary / coil_name(object_id, angle))
        if folder.is_dir():
            folder.rmdir()
        os.replace(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return folder
