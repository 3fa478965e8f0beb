"""One model's column of the latent explorer (:mod:`aeai_lib.widgets`) and its path plot.

A :class:`ModelPanel` holds one model's caches (the codes of the whole dataset and their PCA,
the current path decoded on ``alpha_grid(PATH_STEPS)``, frames per alpha) and its widgets:
the decoded interpolant, enlarged; the pixel MSE to the nearest real image; and a
:class:`PathPlot` of the path in a 2-D PCA projection of the latent space above the
nearest-image MSE over alpha. The plot's background is drawn once per path with matplotlib,
the current point with PIL on every alpha, which keeps a slider move fast.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from aeai_lib.data.base import ImageDataset
from aeai_lib.device import single_thread
from aeai_lib.evaluation.admissibility import nearest_images
from aeai_lib.evaluation.pixels import to_rgb_uint8
from aeai_lib.inference import encode_images, inference
from aeai_lib.interpolation import Interpolation, alpha_grid
from aeai_lib.models import AutoencoderModel

PATH_STEPS = 16
"""The path (plot, distance curve, GIF) is decoded at alpha_grid(PATH_STEPS): 17 alphas."""
DISPLAY_SIZE = 192
"""Decoded and true images are enlarged (nearest neighbour) to at least this many pixels."""
_PLOT_SIZE = (3.0, 4.4)  # inches
_PLOT_DPI = 72
_MARKER_RADIUS = 5  # pixels
_MARKER_RGB = (220, 30, 30)
_MSE_LIMITS = (1e-5, 1.0)  # the nearest-image MSE axis (log scale)


@dataclass(frozen=True)
class Frame:
    """One model's interpolant at one alpha: code (D,), image (C, H, W) on the CPU, and its
    nearest dataset image (index, pixel MSE)."""

    code: torch.Tensor
    image: torch.Tensor
    nearest: int
    nearest_mse: float


def to_png(image: torch.Tensor, size: int) -> bytes:
    """Image (C, H, W) in [0, 1] -> PNG bytes, resized to size x size pixels."""
    picture = Image.fromarray(to_rgb_uint8(image))
    if picture.size != (size, size):
        upscale = size > picture.size[0]
        resample = Image.Resampling.NEAREST if upscale else Image.Resampling.BOX
        picture = picture.resize((size, size), resample)
    return _encode_png(picture)


def _encode_png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def describe_params(dataset: ImageDataset, params: torch.Tensor) -> str:
    """e.g. ``theta=47.5, phi=352.5``."""
    return ", ".join(
        f"{name}={value:.4g}"
        for name, value in zip(dataset.param_names, params.tolist(), strict=True)
    )


class PathPlot:
    """The path in a 2-D latent projection above the nearest-image MSE over alpha.

    One matplotlib figure, kept alive, in three layers: the static axes with the dataset's
    codes as a faint scatter (rendered once, and again only when a path leaves the axes'
    limits); the path and its curve (blitted onto the static layer by :meth:`draw`, once per
    path); the current point (drawn with PIL by :meth:`render` on every alpha). The MSE axis
    is logarithmic with fixed limits, so that curves of different models compare at a glance.
    """

    def __init__(self, points: torch.Tensor) -> None:
        """points: (N, 2) the dataset's projected codes, drawn as a faint scatter."""
        self.points = points.numpy()
        self.figure = Figure(figsize=_PLOT_SIZE, dpi=_PLOT_DPI)
        self.figure.subplots_adjust(left=0.2, right=0.95, top=0.97, bottom=0.1, hspace=0.25)
        self.canvas = FigureCanvasAgg(self.figure)
        self.latent, self.curve = self.figure.subplots(2, 1, height_ratios=(3, 2))
        self.latent.scatter(
            self.points[:, 0], self.points[:, 1], s=3, c="0.6", alpha=0.3, linewidths=0
        )
        self.latent.set(xticks=[], yticks=[])  # PCA coordinates have no meaningful units
        self.latent.set_xlabel("latent PC 1 (dots: dataset codes)", fontsize=8)
        self.latent.set_ylabel("latent PC 2", fontsize=8)
        (self.path_line,) = self.latent.plot(
            [], [], "-o", color="C0", markersize=2.5, animated=True
        )
        self.ends = [
            self.latent.annotate(
                name, (0, 0), xytext=(3, 3), textcoords="offset points", animated=True
            )
            for name in ("a", "b")
        ]
        (self.curve_line,) = self.curve.plot([], [], "-", color="C1", animated=True)
        self.curve.set(xlim=(0, 1), xticks=[0, 0.25, 0.5, 0.75, 1], yscale="log", ylim=_MSE_LIMITS)
        self.curve.set_xlabel("alpha", fontsize=8)
        self.curve.set_ylabel("nearest-image MSE", fontsize=8)
        self.curve.tick_params(labelsize=7)
        self._set_limits(self.points)
        self.background = np.zeros((1, 1, 3), np.uint8)

    def _set_limits(self, points: np.ndarray) -> None:
        """Fit the latent axes to points (N, 2) with a margin and render the static layer."""
        low, high = points.min(axis=0), points.max(axis=0)
        margin = 0.08 * np.maximum(high - low, 1e-6)
        self.latent.set(xlim=(low[0] - margin[0], high[0] + margin[0]))
        self.latent.set(ylim=(low[1] - margin[1], high[1] + margin[1]))
        self.canvas.draw()
        self.static = self.canvas.copy_from_bbox(self.figure.bbox)

    def draw(self, alphas: torch.Tensor, path: torch.Tensor, mse: torch.Tensor) -> None:
        """Render the background for a path: alphas (A,), path (A, 2) projected, mse (A,)."""
        path = path.numpy()
        (x0, x1), (y0, y1) = self.latent.get_xlim(), self.latent.get_ylim()
        inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
        if not inside.all():
            self._set_limits(np.concatenate([self.points, path]))
        self.canvas.restore_region(self.static)
        self.path_line.set_data(path[:, 0], path[:, 1])
        for annotation, point in zip(self.ends, (path[0], path[-1]), strict=True):
            annotation.xy = tuple(point.tolist())
        self.curve_line.set_data(alphas.numpy(), mse.clamp_min(_MSE_LIMITS[0]).numpy())
        for artist in (self.path_line, *self.ends, self.curve_line):
            artist.axes.draw_artist(artist)
        self.background = np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def _pixel(self, axes: Axes, x: float, y: float) -> tuple[float, float]:
        """Data (x, y) of ``axes`` -> image pixel (column, row), clipped into the axes."""
        column, height = axes.transData.transform((x, y))
        box = axes.bbox
        column, height = np.clip(column, box.x0, box.x1), np.clip(height, box.y0, box.y1)
        return float(column), float(self.background.shape[0] - height)

    def render(self, marker: torch.Tensor, alpha: float, mse: float) -> bytes:
        """PNG of the background with the current point: marker (2,), (alpha, mse)."""
        picture = Image.fromarray(self.background)
        draw = ImageDraw.Draw(picture)
        x, y = self._pixel(self.latent, *marker.tolist())
        r = _MARKER_RADIUS
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_MARKER_RGB, outline=(0, 0, 0))
        box = self.curve.bbox
        x, y = self._pixel(self.curve, alpha, max(mse, _MSE_LIMITS[0]))
        draw.line(((x, picture.height - box.y0), (x, picture.height - box.y1)), fill=_MARKER_RGB)
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=_MARKER_RGB)
        return _encode_png(picture)


class ModelPanel:
    """One model's column: decoded image, nearest-image distance, path plot; and its caches.

    Attributes:
        codes: (N, D) codes of every dataset image, on the model's device.
        mean, components: the PCA of the codes on the CPU: (D,) and (D, 2).
        grid_frames: (A, C, H, W) the current path decoded on alpha_grid(PATH_STEPS).
        grid_mse: (A,) float64 pixel MSE of each grid frame to its nearest dataset image.
    """

    frames: dict[float, Frame]
    grid_frames: torch.Tensor
    grid_mse: torch.Tensor
    endpoints: tuple[torch.Tensor, torch.Tensor]
    interpolate: Interpolation

    def __init__(
        self,
        model: AutoencoderModel,
        label: str,
        dataset: ImageDataset,
        pair: tuple[int, int],
        method: str,
    ) -> None:
        self.model, self.label, self.dataset = model, label, dataset
        self.codes = encode_images(model, dataset.images)
        cpu_codes = self.codes.float().cpu()
        self.mean = cpu_codes.mean(dim=0)
        _, _, basis = torch.linalg.svd(cpu_codes - self.mean, full_matrices=False)
        components = basis[:2].T  # (D, <=2)
        signs = torch.sign(components.gather(0, components.abs().argmax(0, keepdim=True)))
        components = components * torch.where(signs == 0, 1.0, signs)
        padding = torch.zeros(components.shape[0], 2 - components.shape[1])
        self.components = torch.cat([components, padding], dim=1)
        self.path_plot = PathPlot(self.project(cpu_codes))
        self.image = widgets.Image(format="png", layout=widgets.Layout(margin="2px"))
        self.image.add_class("aeai-decoded")
        self.distance = widgets.HTML()
        self.plot = widgets.Image(format="png")
        self.box = widgets.VBox(
            [
                widgets.HTML(f"<b>{html.escape(label)}</b>"),
                self.image,
                self.distance,
                self.plot,
            ],
            layout=widgets.Layout(align_items="center", margin="0 12px 0 0"),
        )
        self.set_path(*pair, method)

    def project(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes (N, D) -> their 2-D PCA coordinates (N, 2) on the CPU."""
        return (codes.float().cpu() - self.mean) @ self.components

    def _frame(self, code: torch.Tensor) -> Frame:
        with inference(self.model):
            image = self.model.decode(code.unsqueeze(0)).float().cpu()
        index, mse = nearest_images(image, self.dataset.images)
        return Frame(code, image[0], int(index[0]), float(mse[0]))

    def code_at(self, alpha: float) -> torch.Tensor:
        """The interpolated code (D,) at ``alpha`` for the current pair and method."""
        with inference(self.model):
            return self.interpolate(*self.endpoints, torch.tensor([alpha]))[0, 0]

    @single_thread()
    def set_path(self, index_a: int, index_b: int, method: str) -> None:
        """Decode the path between images a and b on the grid and redraw the plot background."""
        self.interpolate = self.model.interpolation(method)
        self.endpoints = (self.codes[index_a : index_a + 1], self.codes[index_b : index_b + 1])
        alphas = alpha_grid(PATH_STEPS)
        with inference(self.model):
            codes = self.interpolate(*self.endpoints, alphas)[0]
            self.grid_frames = self.model.decode(codes).float().cpu()
        nearest, self.grid_mse = nearest_images(self.grid_frames, self.dataset.images)
        self.frames = {
            round(alpha, 6): Frame(code, image, int(index), float(mse))
            for alpha, code, image, index, mse in zip(
                alphas.tolist(), codes, self.grid_frames, nearest, self.grid_mse, strict=True
            )
        }
        self.path_plot.draw(alphas, self.project(codes), self.grid_mse)

    def frame_at(self, alpha: float) -> Frame:
        """The interpolant at ``alpha``: from the cache, or one decoded code (then cached)."""
        key = round(alpha, 6)
        if key not in self.frames:
            self.frames[key] = self._frame(self.code_at(alpha))
        return self.frames[key]

    def marker_at(self, alpha: float) -> torch.Tensor:
        """The projected point (2,) of the interpolated code at ``alpha``."""
        return self.project(self.frame_at(alpha).code.unsqueeze(0))[0]

    @single_thread()
    def show(self, alpha: float) -> None:
        """Show the frame at ``alpha``, its nearest-image distance and the plot's current point."""
        frame = self.frame_at(alpha)
        self.image.value = to_png(frame.image, max(DISPLAY_SIZE, self.dataset.size))
        where = ""
        if self.dataset.params.shape[1]:
            where = f" ({describe_params(self.dataset, self.dataset.params[frame.nearest])})"
        self.distance.value = (
            f"nearest real image: #{frame.nearest}{where}<br>pixel MSE "
            f"<b>{frame.nearest_mse:.5f}</b> at alpha {alpha:.2f}"
        )
        self.plot.value = self.plot_png(alpha)

    def plot_png(self, alpha: float) -> bytes:
        """PNG of the path plot with the point at ``alpha`` marked."""
        frame = self.frame_at(alpha)
        return self.path_plot.render(self.marker_at(alpha), alpha, frame.nearest_mse)
