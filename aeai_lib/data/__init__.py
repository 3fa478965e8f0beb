"""Datasets: the rendered pole scene, ACAI's lines benchmark, rendered turntable objects and
folders of the user's images.

``load_dataset("pole" | "lines" | "objects" | "objects:50" | "folder:PATH")`` returns an
:class:`ImageDataset` (images float32 (N, C, H, W) in [0, 1], generating parameters and a
train/test split).
"""

from aeai_lib.data import folder, lines, objects, pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.registry import load_dataset

__all__ = ["ImageDataset", "folder", "lines", "load_dataset", "objects", "pole"]
