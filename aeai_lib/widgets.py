"""An interactive latent explorer: two images, an interpolation, an alpha slider, and the path.

``LatentExplorer(models, dataset)`` builds an ipywidgets 8 app. Pick the endpoints x_a and
x_b (type their indices, or press A / B under a thumbnail), an interpolation and alpha; each
model's column shows

* the decoded interpolant ``g(interp(f(x_a), f(x_b), alpha))``, enlarged for visibility;
* the pixel MSE to the nearest real image of the dataset (credibility at this alpha);
* a plot of the path in a 2-D PCA projection of the model's latent space (the dataset's
  codes as a faint scatter, the current point in red) above the nearest-image MSE over alpha.

Beside the models, the ground truth: for the pole dataset the exact image rendered at the
interpolated (theta, phi), phi along the shorter arc; for other datasets with parameters the
dataset image nearest to the interpolated parameters; none for datasets without parameters.

Speed: the codes of the whole dataset (for the PCA and the endpoints) are computed once per
model at construction. A pair or method change decodes the path on ``alpha_grid(PATH_STEPS)``
and redraws the plots' backgrounds; a slider move decodes at most one code per model (frames
are cached per alpha for the current pair and method) and draws the marker onto the cached
background with PIL, which keeps it well under 100 ms at 64x64 on two CPU cores.
"""

from __future__ import annotations

import contextlib
import html
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from aeai_lib.data import pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.device import single_thread
from aeai_lib.evaluation.admissibility import nearest_images
from aeai_lib.evaluation.animation import save_gif
from aeai_lib.evaluation.protocol import (
    check_model_fits,
    encode_images,
    is_rendered,
    parameter_distance,
)
from aeai_lib.interpolation import Interpolation, alpha_grid
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import is_real_number
from aeai_lib.zoo import ZooModel

PATH_STEPS = 16
"""The path (plot, distance curve, GIF) is decoded at alpha_grid(PATH_STEPS): 17 alphas."""
DISPLAY_SIZE = 192
"""Decoded and true images are enlarged (nearest neighbour) to at least this many pixels."""
THUMBNAILS = 12
"""Number of evenly spaced dataset images offered as clickable thumbnails."""
THUMB_SIZE = 48
"""Thumbnail height and width in pixels."""
ALPHA_STEP = 0.01
"""The alpha slider's step."""
DEFAULT_GIF = "outputs/latent_explorer.gif"
"""Where "Export GIF" writes unless the path box says otherwise."""
_PLOT_SIZE = (3.0, 4.4)  # inches
_PLOT_DPI = 72
_MARKER_RADIUS = 5  # pixels
_MARKER_RGB = (220, 30, 30)
_MSE_LIMITS = (1e-5, 1.0)  # the nearest-image MSE axis (log scale)
_ERROR_STYLE = "color:#b00020"

ModelLike = AutoencoderModel | ZooModel


@dataclass(frozen=True)
class Thumbnail:
    """One clickable dataset image: ``set_a`` / ``set_b`` make it endpoint a / b."""

    index: int
    set_a: widgets.Button
    set_b: widgets.Button
    box: widgets.VBox


@dataclass(frozen=True)
class _Frame:
    """One model's interpolant at one alpha: code (D,), image (C, H, W) on the CPU, and its
    nearest dataset image (index, pixel MSE)."""

    code: torch.Tensor
    image: torch.Tensor
    nearest: int
    nearest_mse: float


@contextlib.contextmanager
def _evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no_grad for the block; the previous mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _to_png(image: torch.Tensor, size: int) -> bytes:
    """Image (C, H, W) in [0, 1] -> PNG bytes, resized to size x size pixels."""
    pixels = image.detach().float().cpu().clamp(0, 1)
    if pixels.shape[0] == 1:
        pixels = pixels.expand(3, -1, -1)
    array = (pixels * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    picture = Image.fromarray(array)
    if picture.size != (size, size):
        upscale = size > picture.size[0]
        resample = Image.Resampling.NEAREST if upscale else Image.Resampling.BOX
        picture = picture.resize((size, size), resample)
    return _encode_png(picture)


def _encode_png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _wrapped_difference(
    start: torch.Tensor, end: torch.Tensor, periods: Sequence[float | None]
) -> torch.Tensor:
    """``end - start`` (K,) with periodic columns taken along the shorter arc."""
    difference = end.double() - start.double()
    for column, period in enumerate(periods):
        if period is not None:
            difference[column] = torch.remainder(difference[column] + period / 2, period) - (
                period / 2
            )
    return difference


def _params_between(
    dataset: ImageDataset, index_a: int, index_b: int, alphas: torch.Tensor
) -> torch.Tensor:
    """Parameters on the straight path from image a's to image b's: float64 (A, K),
    periodic ones along the shorter arc and wrapped into [0, period)."""
    start = dataset.params[index_a].double()
    difference = _wrapped_difference(start, dataset.params[index_b], dataset.param_periods)
    params = start + alphas.double().reshape(-1, 1) * difference
    for column, period in enumerate(dataset.param_periods):
        if period is not None:
            params[:, column] = torch.remainder(params[:, column], period)
    return params


def _describe_params(dataset: ImageDataset, params: torch.Tensor) -> str:
    """e.g. ``theta=47.5, phi=352.5``."""
    return ", ".join(
        f"{name}={value:.4g}"
        for name, value in zip(dataset.param_names, params.tolist(), strict=True)
    )


def _as_models(
    model_or_models: ModelLike | Sequence[ModelLike], labels: Sequence[str] | None
) -> list[tuple[AutoencoderModel, str]]:
    """(model, unique label) for each given model or ZooModel."""
    items = (
        list(model_or_models) if isinstance(model_or_models, (list, tuple)) else [model_or_models]
    )
    if not items:
        raise ValueError("pass a model or a list of models (e.g. [ae, aeai]) to explore")
    models = []
    for item in items:
        model = item.model if isinstance(item, ZooModel) else item
        if not isinstance(model, AutoencoderModel):
            raise TypeError(
                "expected an AutoencoderModel or a ZooModel (aeai_lib.zoo.load_or_train), got "
                f"{type(item).__name__}"
            )
        models.append(model)
    if labels is None:
        labels = [item.label if isinstance(item, ZooModel) else item.method_name for item in items]
    elif isinstance(labels, str) or len(labels) != len(models):
        raise ValueError(f"labels must be a list of {len(models)} strings, one per model")
    labels = [str(label) for label in labels]
    if len(set(labels)) < len(labels):
        labels = [f"{label} #{k + 1}" for k, label in enumerate(labels)]
    return list(zip(models, labels, strict=True))


def _check_same_images(models: Sequence[tuple[AutoencoderModel, str]]) -> None:
    shapes = {(model.config.image_size, model.config.channels) for model, _ in models}
    if len(shapes) > 1:
        described = ", ".join(
            f"{label!r}: {m.config.channels}-channel {m.config.image_size}x{m.config.image_size}"
            for m, label in models
        )
        raise ValueError(
            f"the models were built for different images ({described}); compare models "
            "trained on the same dataset at the same image size"
        )


def _check_index(name: str, value: int, n_images: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer image index, got {value!r}")
    if not 0 <= value < n_images:
        raise ValueError(
            f"{name}={value} is out of range: the dataset has {n_images} images, indices "
            f"0..{n_images - 1}"
        )
    return int(value)


class _PathPlot:
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


class _ModelPanel:
    """One model's column: decoded image, nearest-image distance, path plot; and its caches.

    Attributes:
        codes: (N, D) codes of every dataset image, on the model's device.
        mean, components: the PCA of the codes on the CPU: (D,) and (D, 2).
        grid_frames: (A, C, H, W) the current path decoded on alpha_grid(PATH_STEPS).
        grid_mse: (A,) float64 pixel MSE of each grid frame to its nearest dataset image.
    """

    frames: dict[float, _Frame]
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
        self.path_plot = _PathPlot(self.project(cpu_codes))
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

    def _frame(self, code: torch.Tensor) -> _Frame:
        with _evaluating(self.model):
            image = self.model.decode(code.unsqueeze(0)).float().cpu()
        index, mse = nearest_images(image, self.dataset.images)
        return _Frame(code, image[0], int(index[0]), float(mse[0]))

    def code_at(self, alpha: float) -> torch.Tensor:
        """The interpolated code (D,) at ``alpha`` for the current pair and method."""
        with _evaluating(self.model):
            return self.interpolate(*self.endpoints, torch.tensor([alpha]))[0, 0]

    @single_thread()
    def set_path(self, index_a: int, index_b: int, method: str) -> None:
        """Decode the path between images a and b on the grid and redraw the plot background."""
        self.interpolate = self.model.interpolation(method)
        self.endpoints = (self.codes[index_a : index_a + 1], self.codes[index_b : index_b + 1])
        alphas = alpha_grid(PATH_STEPS)
        with _evaluating(self.model):
            codes = self.interpolate(*self.endpoints, alphas)[0]
            self.grid_frames = self.model.decode(codes).float().cpu()
        nearest, self.grid_mse = nearest_images(self.grid_frames, self.dataset.images)
        self.frames = {
            round(alpha, 6): _Frame(code, image, int(index), float(mse))
            for alpha, code, image, index, mse in zip(
                alphas.tolist(), codes, self.grid_frames, nearest, self.grid_mse, strict=True
            )
        }
        self.path_plot.draw(alphas, self.project(codes), self.grid_mse)

    def frame_at(self, alpha: float) -> _Frame:
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
        self.image.value = _to_png(frame.image, max(DISPLAY_SIZE, self.dataset.size))
        where = ""
        if self.dataset.params.shape[1]:
            where = f" ({_describe_params(self.dataset, self.dataset.params[frame.nearest])})"
        self.distance.value = (
            f"nearest real image: #{frame.nearest}{where}<br>pixel MSE "
            f"<b>{frame.nearest_mse:.5f}</b> at alpha {alpha:.2f}"
        )
        self.plot.value = self.path_plot.render(self.marker_at(alpha), alpha, frame.nearest_mse)


class LatentExplorer:
    """Interactive comparison of interpolations between two dataset images, for one or more
    models side by side (same pair, method and alpha in every column).

    Args:
        model_or_models: an AutoencoderModel or ZooModel, or a list of them (one column each).
            All must be built for the same image size and channels as ``dataset``.
        dataset: the images to pick endpoints from, search nearest images in, and project.
        index_a, index_b: the starting endpoints, indices into ``dataset``.
        method: the starting interpolation, one every model offers (``.method.options``).
        alpha: the starting alpha in [0, 1].
        labels: a column title per model (default: the ZooModel's label or method name).

    Attributes (widgets; setting ``.value`` updates the app):
        index_a, index_b: IntText endpoint indices. method: Dropdown. alpha: FloatSlider.
        gif_path: Text, where "Export GIF" (``export_button``) writes. message: HTML status.
        thumbnails: the clickable :class:`Thumbnail` s. widget: the whole app (display it).

    Raises:
        ValueError: models built for other images than the dataset's or than each other, an
            index outside the dataset, an unknown method or an alpha outside [0, 1].
    """

    def __init__(
        self,
        model_or_models: ModelLike | Sequence[ModelLike],
        dataset: ImageDataset,
        *,
        index_a: int = 0,
        index_b: int = 1,
        method: str = "lerp",
        alpha: float = 0.5,
        labels: Sequence[str] | None = None,
    ) -> None:
        models = _as_models(model_or_models, labels)
        _check_same_images(models)
        check_model_fits(models[0][0], dataset)
        self.dataset = dataset
        n_images = len(dataset)
        index_a = _check_index("index_a", index_a, n_images)
        index_b = _check_index("index_b", index_b, n_images)
        offered = [
            name
            for name in models[0][0].interpolation_names
            if all(name in model.interpolation_names for model, _ in models)
        ]
        if method not in offered:
            raise ValueError(f"unknown interpolation {method!r}; the models offer {offered}")
        if not is_real_number(alpha) or not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")

        self._indices = (index_a, index_b)
        self._panels = [
            _ModelPanel(model, label, dataset, self._indices, method) for model, label in models
        ]
        self._reverting = False
        self.ground_truth: torch.Tensor | None = None

        self.index_a = widgets.IntText(value=index_a, description="image a", layout=_width(190))
        self.index_b = widgets.IntText(value=index_b, description="image b", layout=_width(190))
        self.method = widgets.Dropdown(
            options=offered,
            value=method,
            description="interpolation",
            style={"description_width": "initial"},
        )
        self.alpha = widgets.FloatSlider(
            value=alpha,
            min=0.0,
            max=1.0,
            step=ALPHA_STEP,
            description="alpha",
            readout_format=".2f",
            continuous_update=True,
        )
        self.alpha.add_class("aeai-alpha")
        self.message = widgets.HTML()
        self.gif_path = widgets.Text(value=DEFAULT_GIF, description="GIF file", layout=_width(420))
        self.export_button = widgets.Button(description="Export GIF", icon="film")
        self.export_button.on_click(lambda _: self._on_export())
        self.thumbnails = self._make_thumbnails()

        self._truth_image = widgets.Image(format="png", layout=widgets.Layout(margin="2px"))
        self._truth_caption = widgets.HTML()
        if dataset.params.shape[1] == 0:
            self._truth_image.layout.display = "none"
            self._truth_caption.value = "no ground truth: the dataset has no image parameters"
        truth_box = widgets.VBox(
            [widgets.HTML("<b>ground truth</b>"), self._truth_image, self._truth_caption],
            layout=widgets.Layout(align_items="center"),
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.index_a, self.index_b, self.method]),
                self.alpha,
                widgets.HTML(
                    "<small>press A or B under an image to make it endpoint a or b</small>"
                ),
                widgets.HBox(
                    [thumbnail.box for thumbnail in self.thumbnails],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
                widgets.HBox([*(panel.box for panel in self._panels), truth_box]),
                widgets.HBox([self.gif_path, self.export_button]),
                self.message,
            ]
        )
        self.widget.add_class("aeai-explorer")

        self._show_alpha()
        self.index_a.observe(self._on_index, names="value")
        self.index_b.observe(self._on_index, names="value")
        self.method.observe(lambda _: self._on_path_change(), names="value")
        self.alpha.observe(lambda _: self._show_alpha(), names="value")

    # ----- what the app shows now -------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """The column title of each model."""
        return [panel.label for panel in self._panels]

    @property
    def decoded_images(self) -> list[torch.Tensor]:
        """The current interpolant of each model, (C, H, W) on the CPU."""
        return [panel.frame_at(self.alpha.value).image for panel in self._panels]

    @property
    def marker(self) -> list[torch.Tensor]:
        """The current point of each model in its 2-D PCA projection, (2,)."""
        return [panel.marker_at(self.alpha.value) for panel in self._panels]

    @property
    def nearest_mse(self) -> list[float]:
        """Each model's pixel MSE from the current interpolant to its nearest dataset image."""
        return [panel.frame_at(self.alpha.value).nearest_mse for panel in self._panels]

    @property
    def path_alphas(self) -> torch.Tensor:
        """The alphas (A,) the whole path is decoded at: alpha_grid(PATH_STEPS)."""
        return alpha_grid(PATH_STEPS)

    @property
    def path_frames(self) -> list[torch.Tensor]:
        """Each model's current path on ``path_alphas``: (A, C, H, W) on the CPU."""
        return [panel.grid_frames for panel in self._panels]

    @property
    def path_nearest_mse(self) -> list[torch.Tensor]:
        """Each model's nearest-image MSE along the path on ``path_alphas``: float64 (A,)."""
        return [panel.grid_mse for panel in self._panels]

    def project(self, codes: torch.Tensor, model_index: int = 0) -> torch.Tensor:
        """Codes (N, D) of model ``model_index`` -> their 2-D PCA coordinates (N, 2)."""
        return self._panels[model_index].project(codes)

    def true_images(self, alphas: torch.Tensor) -> torch.Tensor | None:
        """The ground truth (A, C, H, W) of the current pair at ``alphas`` (A,), or None when
        the dataset has no parameters: the rendered pole image, else the nearest grid view."""
        if self.dataset.params.shape[1] == 0:
            return None
        params = _params_between(self.dataset, *self._indices, alphas)
        if is_rendered(self.dataset):
            return pole.render(params[:, 0], params[:, 1], self.dataset.size)
        return self.dataset.images[self._nearest_views(params)]

    def _nearest_views(self, params: torch.Tensor) -> torch.Tensor:
        """Indices (A,) of the dataset images nearest to parameters (A, K)."""
        distances = parameter_distance(
            params.unsqueeze(1), self.dataset.params.unsqueeze(0), self.dataset.param_periods
        )
        return distances.argmin(dim=1)

    def export_gif(self, path: str | Path | None = None) -> Path:
        """Write the current path of every model (and the ground truth) as a looping GIF.

        Args:
            path: the .gif file; None: the path in the ``gif_path`` box.

        Returns:
            the path written; the GIF has 2 PATH_STEPS frames (forth and back).
        """
        frames = {panel.label: panel.grid_frames for panel in self._panels}
        truth = self.true_images(self.path_alphas)
        return save_gif(frames, Path(path or self.gif_path.value), truth=truth)

    def _repr_mimebundle_(self, **kwargs: object) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)

    # ----- updates ----------------------------------------------------------------------
    @single_thread()
    def _make_thumbnails(self) -> list[Thumbnail]:
        n_images = len(self.dataset)
        count = min(THUMBNAILS, n_images)
        indices = torch.linspace(0, n_images - 1, count).round().long().unique().tolist()
        thumbnails = []
        for index in indices:
            picture = widgets.Image(
                value=_to_png(self.dataset.images[index], THUMB_SIZE), format="png"
            )
            set_a, set_b = (
                widgets.Button(description=name, tooltip=f"make #{index} image {name.lower()}")
                for name in ("A", "B")
            )
            for button in (set_a, set_b):
                button.layout = widgets.Layout(width=f"{THUMB_SIZE // 2}px", padding="0")
            set_a.on_click(lambda _, i=index: setattr(self.index_a, "value", i))
            set_b.on_click(lambda _, i=index: setattr(self.index_b, "value", i))
            box = widgets.VBox(
                [widgets.HTML(f"<small>#{index}</small>"), picture, widgets.HBox([set_a, set_b])],
                layout=widgets.Layout(align_items="center", margin="0 4px 0 0"),
            )
            thumbnails.append(Thumbnail(index, set_a, set_b, box))
        return thumbnails

    def _on_index(self, change: dict) -> None:
        """A typed index: out of range -> a message and the last valid index back."""
        if self._reverting:
            return
        owner, value = change["owner"], change["new"]
        try:
            _check_index(
                "image " + ("a" if owner is self.index_a else "b"), value, len(self.dataset)
            )
        except (TypeError, ValueError) as error:
            self._reverting = True
            try:
                owner.value = change["old"]
            finally:
                self._reverting = False
            self._error(f"{error}; kept #{change['old']}")
            return
        self._on_path_change()

    def _on_path_change(self) -> None:
        self._indices = (self.index_a.value, self.index_b.value)
        for panel in self._panels:
            panel.set_path(*self._indices, self.method.value)
        self._show_alpha()
        self.message.value = ""

    @single_thread()
    def _show_alpha(self) -> None:
        alpha = self.alpha.value
        for panel in self._panels:
            panel.show(alpha)
        truth = self.true_images(torch.tensor([alpha]))
        self.ground_truth = None if truth is None else truth[0]
        if truth is not None:
            self._truth_image.value = _to_png(truth[0], max(DISPLAY_SIZE, self.dataset.size))
            params = _params_between(self.dataset, *self._indices, torch.tensor([alpha]))[0]
            if is_rendered(self.dataset):
                self._truth_caption.value = f"rendered at {_describe_params(self.dataset, params)}"
            else:
                view = int(self._nearest_views(params.unsqueeze(0))[0])
                self._truth_caption.value = (
                    f"nearest grid view #{view} to {_describe_params(self.dataset, params)}"
                )

    def _on_export(self) -> None:
        try:
            written = self.export_gif()
        except (OSError, ValueError) as error:
            self._error(f"could not write the GIF: {error}")
            return
        self.message.value = (
            f"wrote {2 * PATH_STEPS} frames (#{self._indices[0]} -> #{self._indices[1]}, "
            f"{self.method.value}) to {html.escape(str(written))}"
        )

    def _error(self, text: str) -> None:
        self.message.value = f'<span style="{_ERROR_STYLE}">{html.escape(text)}</span>'


def _width(pixels: int) -> widgets.Layout:
    return widgets.Layout(width=f"{pixels}px")
