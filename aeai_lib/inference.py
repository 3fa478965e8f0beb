"""Running a trained model on data: eval mode, no gradients, batches, the model's device.

Every place that encodes or decodes for measuring or showing (the evaluation, the training
loop's test measure, the latent explorer) goes through :func:`inference`, so that a model
is never measured in training mode and its mode is restored afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from aeai_lib.data.base import ImageDataset
from aeai_lib.losses import reconstruction_loss
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_alphas

IMAGES_PER_BATCH = 256
"""Images (or codes) encoded or decoded per call."""


@contextlib.contextmanager
def inference(model: nn.Module) -> Iterator[torch.device]:
    """Eval mode and no_grad for the block (the previous mode is restored); yields the
    device of the model's parameters."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield next(model.parameters()).device
    finally:
        model.train(was_training)


def check_model_fits(model: AutoencoderModel, dataset: ImageDataset) -> None:
    """Raise ValueError when the model's image size or channels differ from the dataset's."""
    size, channels = model.config.image_size, model.config.channels
    if (size, channels) != (dataset.size, dataset.channels):
        raise ValueError(
            f"the model was built for {channels}-channel {size}x{size} images but dataset "
            f"{dataset.name!r} has {dataset.channels}-channel {dataset.size}x{dataset.size} "
            f"images; load the dataset at the model's size (load_dataset(..., size={size})) "
            "or evaluate a model trained on this data"
        )


def encode_images(model: AutoencoderModel, images: torch.Tensor) -> torch.Tensor:
    """Codes (N, D) of images (N, C, H, W) in [0, 1], in eval mode, on the model's device."""
    with inference(model) as device:
        return torch.cat(
            [
                model.encode(images[start : start + IMAGES_PER_BATCH].to(device))
                for start in range(0, len(images), IMAGES_PER_BATCH)
            ]
        )


def decode_between(
    model: AutoencoderModel,
    sources: torch.Tensor,
    targets: torch.Tensor,
    alphas: torch.Tensor | Sequence[float],
    interpolation: str = "lerp",
) -> torch.Tensor:
    """Encode endpoint images (P, C, H, W), interpolate at ``alphas`` (A,), decode.

    Runs in eval mode under no_grad. Returns float32 (P, A, C, H, W) on the CPU.

    Raises:
        ValueError: when a decoded image contains NaN (the weights have diverged).
    """
    alphas = check_alphas(alphas)
    interpolate = model.interpolation(interpolation)
    ends = encode_images(model, torch.cat([sources, targets]))
    codes = interpolate(ends[: len(sources)], ends[len(sources) :], alphas).flatten(0, 1)
    with inference(model):
        decoded = torch.cat(
            [
                model.decode(codes[start : start + IMAGES_PER_BATCH]).float().cpu()
                for start in range(0, len(codes), IMAGES_PER_BATCH)
            ]
        )
    bad = torch.isnan(decoded).flatten(1).any(dim=1)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} of {len(decoded)} decoded images contain NaN: the model's weights "
            "or codes are not finite (training diverged?); retrain with a lower learning rate"
        )
    return decoded.reshape(len(sources), len(alphas), *decoded.shape[1:])


def reconstruction_error(
    model: AutoencoderModel, dataset: ImageDataset, batch_size: int = IMAGES_PER_BATCH
) -> float:
    """Mean squared reconstruction error per pixel on the dataset's test split."""
    total, count = 0.0, 0
    with inference(model) as device:
        for start in range(0, len(dataset.test_idx), batch_size):
            images = dataset.images[dataset.test_idx[start : start + batch_size]].to(device)
            total += reconstruction_loss(images, model(images)).item() * len(images)
            count += len(images)
    return total / max(count, 1)
