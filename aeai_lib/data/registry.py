"""Load any dataset of the library by spec: ``"pole"``, ``"lines"``, ``"objects[:OPTIONS]"``
or ``"folder:PATH"``."""

from __future__ import annotations

import os
from dataclasses import replace

from aeai_lib.data import folder, lines, objects, pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.validation import check_choice

DEFAULT_SIZES = {"pole": 64, "lines": 32, "objects": 64, "folder": 64}
"""Image size used when ``load_dataset`` gets ``size=None``, by dataset family."""
CHOICES = ("pole", "lines", "objects", "objects:OPTIONS", "folder:PATH")
"""The dataset specs :func:`load_dataset` accepts."""


def family(spec: str) -> str:
    """The family of a dataset spec or name: ``"folder:/a"`` -> ``"folder"``,
    ``"objects:50"`` -> ``"objects"``, ``"pole"`` -> ``"pole"``."""
    return spec.split(":", 1)[0]


def load_dataset(
    spec: str, size: int | None = None, seed: int = 0, *, skip_unreadable: bool = False
) -> ImageDataset:
    """Load a dataset by spec.

    Args:
        spec: ``"pole"`` (rendered, 576 images), ``"lines"`` (ACAI's benchmark, 25000 images),
            ``"objects"`` (rendered turntable objects, 10 x 72 views; ``"objects:50"`` for 50,
            other options in :mod:`aeai_lib.data.objects`) or ``"folder:PATH"`` (a folder
            of images named like COIL-100's ``obj12__35.png``).
        size: image height and width in pixels; None for the dataset's default
            (pole 64, lines 32, objects 64, folder 64).
        seed: seed of the split (pole, folder) or of the random angles (lines). The objects
            have COIL-100's fixed split and take their own seed in the spec
            (``"objects:seed=1"``), so that a checkpoint's recorded spec names them.
        skip_unreadable: for a folder, skip image files that cannot be read, with a warning
            (:func:`aeai_lib.data.folder.load_folder`); other datasets ignore it.

    Returns:
        The :class:`ImageDataset`, images float32 (N, C, size, size) in [0, 1].
    """
    if not isinstance(spec, str):
        raise TypeError(f"dataset spec must be a string such as 'pole', got {spec!r}")
    if spec.startswith("folder:"):
        name = "folder"
    elif objects.is_objects(spec):
        name = "objects"
    else:
        name = check_choice("dataset", spec, CHOICES)
    size = DEFAULT_SIZES[name] if size is None else size
    if name == "folder":
        path = spec[len("folder:") :]
        if not path:
            raise ValueError(
                "dataset spec 'folder:' has no path; write it as 'folder:/path/to/images'"
            )
        return folder.load_folder(path, size=size, seed=seed, skip_unreadable=skip_unreadable)
    if name == "objects":
        objects_spec = objects.parse_spec(spec)
        if seed != 0:
            raise ValueError(
                f"seed={seed} does not apply to {spec!r}: the objects have COIL-100's fixed "
                f"split; choose other objects in the spec, e.g. "
                f"{replace(objects_spec, seed=seed).name!r}"
            )
        return objects.dataset(objects_spec, size=size)
    if name == "pole":
        return pole.dataset(size=size, seed=seed)
    return lines.dataset(size=size, seed=seed)


def load_checkpoint_dataset(
    spec: str, checkpoint: str | os.PathLike, size: int | None = None
) -> ImageDataset:
    """Load the dataset a checkpoint records (its ``"dataset"`` spec) to evaluate it.

    Folder datasets are recorded with their absolute path; a relative one (written by
    aeai_lib 0.1.0) is taken relative to the working directory.

    Raises:
        ValueError: the recorded image folder is missing or cannot be loaded; the message
            names the checkpoint, the path tried and why.
    """
    if not (isinstance(spec, str) and spec.startswith("folder:")):
        return load_dataset(spec, size=size)
    recorded = spec[len("folder:") :]
    tried = os.path.abspath(recorded)
    relative = "" if os.path.isabs(recorded) else " (recorded as a relative path)"
    if not os.path.isdir(tried):
        raise ValueError(
            f"checkpoint {str(checkpoint)!r} was trained on the image folder {tried!r}"
            f"{relative}, which does not exist here; put the images back at that path, or "
            "retrain on their new location"
        )
    try:
        return load_dataset(f"folder:{tried}", size=size)
    except ValueError as error:
        raise ValueError(
            f"checkpoint {str(checkpoint)!r}: its image folder {tried!r} cannot be loaded: {error}"
        ) from None
