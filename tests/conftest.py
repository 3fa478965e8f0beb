"""Shared fixtures: tiny synthetic image datasets that an autoencoder can learn in seconds.

The images are smooth Gaussian blobs at varying positions (and, with 3 channels, varying
colours) on a dark background: 32x32 by default, values in [0, 1], built directly as an
:class:`~aeai_lib.data.base.ImageDataset` so that these tests depend on no data generator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from aeai_lib.data.base import ImageDataset
from aeai_lib.models import ModelConfig

BLOB_SIGMA = 3.0  # pixels


# The tests' tensors are tiny: on 2 cores one thread beats two, whose synchronisation costs
# more than it saves (and much more when another process shares the cores).
torch.set_num_threads(1)


def blob_images(n_images: int, size: int = 32, channels: int = 1, seed: int = 0) -> torch.Tensor:
    """(n_images, channels, size, size) float32 Gaussian blobs at seeded random centres."""
    generator = torch.Generator().manual_seed(seed)
    margin = size / 6
    centres = margin + (size - 2 * margin) * torch.rand(n_images, 2, generator=generator)
    grid = torch.arange(size, dtype=torch.float32)
    dy = (grid.reshape(1, size, 1) - centres[:, 0].reshape(-1, 1, 1)) ** 2
    dx = (grid.reshape(1, 1, size) - centres[:, 1].reshape(-1, 1, 1)) ** 2
    blobs = torch.exp(-(dx + dy) / (2 * BLOB_SIGMA**2))  # (N, H, W), peak 1
    colours = 0.5 + 0.5 * torch.rand(n_images, channels, generator=generator)
    images = colours.reshape(n_images, channels, 1, 1) * blobs.unsqueeze(1)
    return images.clamp(0.0, 1.0).contiguous()


def make_image_dataset(
    n_images: int = 48,
    size: int = 32,
    channels: int = 1,
    seed: int = 0,
    n_test: int | None = None,
    name: str = "blobs",
) -> ImageDataset:
    """An ImageDataset of blobs; the last ``n_test`` images (default n // 4) are the test split.

    ``n_test=0`` makes the test split the whole training set (for overfitting checks).
    """
    images = blob_images(n_images, size=size, channels=channels, seed=seed)
    n_test = n_images // 4 if n_test is None else n_test
    all_idx = torch.arange(n_images)
    if n_test == 0:
        train_idx, test_idx = all_idx, all_idx.clone()
    else:
        train_idx, test_idx = all_idx[:-n_test], all_idx[-n_test:]
    return ImageDataset(
        name=name,
        images=images,
        params=torch.zeros(n_images, 0, dtype=torch.float64),
        param_names=(),
        param_periods=(),
        train_idx=train_idx,
        test_idx=test_idx,
    )


@pytest.fixture
def make_dataset() -> Callable[..., ImageDataset]:
    """Factory fixture: ``make_dataset(n_images=48, size=32, channels=1, seed=0, n_test=None)``."""
    return make_image_dataset


@pytest.fixture(scope="session")
def blob_dataset() -> ImageDataset:
    """48 single-channel 32x32 blob images: 36 for training, 12 for testing."""
    return make_image_dataset()


@pytest.fixture(scope="session")
def tiny_config() -> ModelConfig:
    """The model for ``blob_dataset``: 32x32, 1 channel, an 8-dimensional latent space."""
    return ModelConfig(image_size=32, channels=1, latent_dim=8)


def _write_notebook(path: Path, *cells: str | dict) -> Path:
    """Write a Python 3 notebook to ``path``: a string is a code cell, a dict an nbformat cell."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="session")
def write_notebook() -> Callable[..., Path]:
    """Factory fixture: ``write_notebook(path, *cells)`` writes a small Python 3 notebook."""
    return _write_notebook
