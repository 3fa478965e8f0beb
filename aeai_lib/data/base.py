"""The container every dataset in the library returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ImageDataset:
    """Images with the parameters that generated them and a fixed train/test split.

    Attributes:
        name: short identifier, e.g. ``"pole"``, ``"lines"`` or ``"folder:/path"``.
        images: float32 tensor (N, C, H, W) with values in [0, 1].
        params: float64 tensor (N, P) of generating parameters (e.g. theta, phi in degrees),
            or an empty (N, 0) tensor when the images carry none.
        param_names: the P column names of ``params``, e.g. ``("theta", "phi")``.
        param_periods: for each column, its period (e.g. 360.0 for an azimuth in degrees)
            or ``None`` when the parameter does not wrap. Distances in parameter space use it.
        train_idx: int64 tensor of training-image indices.
        test_idx: int64 tensor of test-image indices, disjoint from ``train_idx``.
    """

    name: str
    images: torch.Tensor
    params: torch.Tensor
    param_names: tuple[str, ...]
    param_periods: tuple[float | None, ...]
    train_idx: torch.Tensor
    test_idx: torch.Tensor

    @property
    def size(self) -> int:
        """Image height (= width) in pixels."""
        return int(self.images.shape[-1])

    @property
    def channels(self) -> int:
        """Number of image channels (1 or 3)."""
        return int(self.images.shape[1])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def train_images(self) -> torch.Tensor:
        """The training images, (N_train, C, H, W)."""
        return self.images[self.train_idx]

    @property
    def test_images(self) -> torch.Tensor:
        """The test images, (N_test, C, H, W)."""
        return self.images[self.test_idx]


def random_split(
    n_items: int, test_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded random split of ``range(n_items)`` into sorted (train_idx, test_idx)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    permutation = torch.randperm(n_items, generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(test_fraction * n_items))
    test_idx = permutation[:n_test].sort().values
    train_idx = permutation[n_test:].sort().values
    return train_idx, test_idx
