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

Each column is a :class:`~aeai_lib.explorer_panel.ModelPanel`. Speed: the codes of the whole
dataset (for the PCA and the endpoints) are computed once per model at construction. A pair
or method change decodes the path on ``alpha_grid(PATH_STEPS)`` and redraws the plots'
backgrounds; a slider move decodes at most one code per model (frames are cached per alpha
for the current pair and method) and draws the marker onto the cached background with PIL,
which keeps it well under 100 ms at 64x64 on two CPU cores.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from aeai_lib.data import pole
from aeai_lib.data.base import ImageDataset
from aeai_lib.device import single_thread
from aeai_lib.evaluation.animation import save_gif
from aeai_lib.evaluation.ground_truth import is_rendered, parameter_distance, params_between
from aeai_lib.evaluation.pixels import to_rgb_uint8
from aeai_lib.explorer_panel import DISPLAY_SIZE, PATH_STEPS, ModelPanel, describe_params, to_png
from aeai_lib.inference import check_model_fits
from aeai_lib.interpolation import alpha_grid
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import is_real_number
from aeai_lib.zoo import ZooModel

THUMBNAILS = 12
"""Number of evenly spaced dataset images offered as clickable thumbnails."""
THUMB_SIZE = 48
"""Thumbnail height and width in pixels."""
ALPHA_STEP = 0.01
"""The alpha slider's step."""
DEFAULT_GIF = "outputs/latent_explorer.gif"
"""Where "Export GIF" writes unless the path box says otherwise."""
_ERROR_STYLE = "color:#b00020"

ModelLike = AutoencoderModel | ZooModel


@dataclass(frozen=True)
class Thumbnail:
    """One clickable dataset image: ``set_a`` / ``set_b`` make it endpoint a / b."""

    index: int
    set_a: widgets.Button
    set_b: widgets.Button
    box: widgets.VBox


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
        labels = [item.label for item in items]
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
        labels: a column title per model (default: each model's label, e.g. "AE+A").

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
            ModelPanel(model, label, dataset, self._indices, method) for model, label in models
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
        params = params_between(self.dataset, *self._indices, alphas)
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

    def snapshot(self) -> Figure:
        """A still of the app as it stands, for pages that cannot run widgets (GitHub).

        Returns:
            a matplotlib Figure: per model, the decoded interpolant above its path plot
            (latent PCA, nearest-image MSE over alpha, the current alpha in red), and the
            ground truth in the last column; the title names the pair, method and alpha.
        """
        alpha, columns = self.alpha.value, len(self._panels) + 1
        figure = Figure(figsize=(2.4 * columns, 6.0))
        axes = figure.subplots(2, columns, height_ratios=(1, 1.5), squeeze=False)
        for ax, panel in zip(axes.T, self._panels, strict=False):
            frame = panel.frame_at(alpha)
            ax[0].imshow(to_rgb_uint8(frame.image))
            ax[0].set_title(f"{panel.label}\nnearest-image MSE {frame.nearest_mse:.1e}", fontsize=9)
            ax[1].imshow(np.asarray(Image.open(io.BytesIO(panel.plot_png(alpha)))))
        if self.ground_truth is not None:
            axes[0, -1].imshow(to_rgb_uint8(self.ground_truth))
            axes[0, -1].set_title("ground truth", fontsize=9)
        for ax in axes.flat:
            ax.set_axis_off()
        figure.suptitle(
            f"#{self._indices[0]} -> #{self._indices[1]}, {self.method.value}, alpha {alpha:.2f}"
        )
        figure.tight_layout()
        return figure

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
                value=to_png(self.dataset.images[index], THUMB_SIZE), format="png"
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
            self._truth_image.value = to_png(truth[0], max(DISPLAY_SIZE, self.dataset.size))
            params = params_between(self.dataset, *self._indices, torch.tensor([alpha]))[0]
            if is_rendered(self.dataset):
                self._truth_caption.value = f"rendered at {describe_params(self.dataset, params)}"
            else:
                view = int(self._nearest_views(params.unsqueeze(0))[0])
                self._truth_caption.value = (
                    f"nearest grid view #{view} to {describe_params(self.dataset, params)}"
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
