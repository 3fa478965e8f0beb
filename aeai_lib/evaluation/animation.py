"""GIF animations of interpolations, like the AEAI project page's: forth and back, side by side."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from aeai_lib.evaluation.pixels import to_rgb_uint8

GAP = 4
"""White pixels between panels."""
LABEL_HEIGHT = 14
"""Height in pixels of the white band above the panels that holds the labels."""
MIN_PANEL = 96
"""With ``scale=None``, images are enlarged (nearest neighbour) to at least this many pixels."""


def _check_frames(label: str, frames: torch.Tensor) -> None:
    if not isinstance(frames, torch.Tensor) or frames.dim() != 4 or frames.shape[1] not in (1, 3):
        shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(
            f"{label}: frames must be a tensor (A, C, H, W) with C = 1 or 3, got {shape}"
        )


def _to_rgb(frames: torch.Tensor, scale: int) -> np.ndarray:
    """(A, C, H, W) in [0, 1] -> uint8 (A, H scale, W scale, 3)."""
    return to_rgb_uint8(frames).repeat(scale, axis=1).repeat(scale, axis=2)


def gif_frame_order(n_steps: int) -> list[int]:
    """Step indices of the forth-and-back loop: 0..A-1 then A-2..1 (2A - 2 frames; 1 if A = 1)."""
    return list(range(n_steps)) + list(range(n_steps - 2, 0, -1))


def save_gif(
    paths: Mapping[str, torch.Tensor] | torch.Tensor,
    path: str | os.PathLike,
    fps: float = 8.0,
    truth: torch.Tensor | None = None,
    labels: bool = True,
    scale: int | None = None,
) -> Path:
    """Write an interpolation animation: each frame shows one alpha, going forth and back.

    Args:
        paths: label -> (A, C, H, W) images in [0, 1] along alpha, or one such tensor.
            Several methods are placed side by side in the mapping's order.
        path: the .gif file to write; written to a temporary file in the same folder first and
            then renamed over ``path`` (os.replace), so a reader never sees half a file.
        fps: frames per second, > 0.
        truth: (A, C, H, W) true in-between images, shown as a last panel "truth", or None.
        labels: write each panel's label above it (a white band of LABEL_HEIGHT pixels).
        scale: integer enlargement (nearest neighbour); None: the smallest making panels
            at least MIN_PANEL pixels.

    Returns:
        the path written. The GIF loops forever with :func:`gif_frame_order` (A) frames, 2A - 2
        for A >= 2 (Pillow merges identical consecutive frames into one longer frame).
    """
    panels = {"": paths} if isinstance(paths, torch.Tensor) else dict(paths)
    if truth is not None:
        panels["truth"] = truth
    if not panels:
        raise ValueError("paths is empty; pass {label: decoded (A, C, H, W)} or a tensor")
    for label, frames in panels.items():
        _check_frames(label or "paths", frames)
    shapes = {tuple(frames.shape[0:1]) + tuple(frames.shape[2:]) for frames in panels.values()}
    if len(shapes) != 1:
        raise ValueError(f"every panel needs the same (A, H, W), got {sorted(shapes)}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    n_steps, height, width = shapes.pop()
    if scale is None:
        scale = max(1, -(-MIN_PANEL // max(height, width)))
    rgb = [_to_rgb(frames, scale) for frames in panels.values()]
    band = LABEL_HEIGHT if labels and any(panels) else 0
    panel_w, panel_h = width * scale, height * scale
    canvas_w = len(rgb) * panel_w + (len(rgb) - 1) * GAP
    header = Image.new("RGB", (canvas_w, band), "white")
    draw = ImageDraw.Draw(header)
    for k, label in enumerate(panels):
        draw.text((k * (panel_w + GAP) + 2, 1), label, fill="black")
    frames = []
    for step in gif_frame_order(n_steps):
        canvas = Image.new("RGB", (canvas_w, band + panel_h), "white")
        canvas.paste(header, (0, 0))
        for k, images in enumerate(rgb):
            canvas.paste(Image.fromarray(images[step]), (k * (panel_w + GAP), band))
        frames.append(canvas)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp_path, "xb") as tmp_file:
            frames[0].save(
                tmp_file,
                format="GIF",
                save_all=True,
                append_images=frames[1:],
                duration=round(1000 / fps),
                loop=0,
            )
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path
