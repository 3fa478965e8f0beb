"""Load any dataset of the library by name: ``"pole"``, ``"lines"`` or ``"folder:PATH"``."""

from __future__ import annotations

from aeai_lib.data import folder, lines, pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.validation import check_choice

DEFAULT_SIZES = {"pole": 64, "lines": 32, "folder": 64}
"""Image size used when ``load_dataset`` gets ``size=None``."""
CHOICES = ("pole", "lines", "folder:PATH")
"""The dataset specs :func:`load_dataset` accepts."""


def load_dataset(spec: str, size: int | None = None, seed: int = 0) -> ImageDataset:
    """Load a dataset by spec.

    Args:
        spec: ``"pole"`` (rendered, 576 images), ``"lines"`` (ACAI's benchmark, 25000 images)
            or ``"folder:PATH"`` (a folder of images named like COIL-100's ``obj12__35.png``).
        size: image height and width in pixels; None for the dataset's default
            (pole 64, lines 32, folder 64).
        seed: seed of the split (pole, folder) or of the random angles (lines).

    Returns:
        The :class:`ImageDataset`, images float32 (N, C, size, size) in [0, 1].
    """
    if not isinstance(spec, str):
        raise TypeError(f"dataset spec must be a string such as 'pole', got {spec!r}")
    name = "folder" if spec.startswith("folder:") else check_choice("dataset", spec, CHOICES)
    size = DEFAULT_SIZES[name] if size is None else size
    if name == "folder":
        path = spec[len("folder:") :]
        if not path:
            raise ValueError(
                "dataset spec 'folder:' has no path; write it as 'folder:/path/to/images'"
            )
        return folder.load_folder(path, size=size, seed=seed)
    if name == "pole":
        return pole.dataset(size=size, seed=seed)
    return lines.dataset(size=size, seed=seed)
