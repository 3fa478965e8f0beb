"""The objects dataset: procedural 3-D objects on a turntable, viewed as in COIL-100.

COIL-100 (Nene, Nayar & Murase 1996) photographed 100 objects on a turntable against black,
one view every 5 degrees (72 per object), named ``obj<k>__<azimuth>.png``. The AEAI paper
(Oring et al. 2021) trains on the views every 10 degrees and judges interpolations between
views 80 degrees apart against the true 5 degree views between them. This dataset rebuilds
that set-up with objects whose view exists at ANY real azimuth, so the true in-between view
exists for every alpha: objects of ten kinds (:data:`aeai_lib.data.object_kinds.KINDS`: mug,
duck, car, lamp, rocket, house, snowman, teapot, robot, chair), each drawn with its own
proportions, colours, surface pattern and yaw, are ray cast by :mod:`aeai_lib.data.raycast`
(our own renderer; its docstring says why) under one fixed light, from a fixed camera 20
degrees above the turntable, on black. Object k (1-based, like COIL's) is of the kind
``kinds[(k - 1) mod len(kinds)]`` and is drawn from a generator seeded by (seed, k): the first
10 objects of ``objects:50`` are ``objects``' 10.

Spec (``load_dataset`` and ``--dataset``): ``objects`` (10 objects, one of each kind),
``objects:50`` (50: five of each kind), or options ``objects:N,key=value,...`` with the keys
``n`` (number of objects, >= 1), ``kinds`` (kind names joined by ``+``, e.g.
``kinds=mug+duck``), ``step`` (degrees between views, default 5; 360 / step must be an even
number of views, since training takes every other one) and ``seed`` (which variants, default
0). A bad option is refused with a ValueError naming it before anything is rendered.

Split: COIL-100's protocol. ``train_idx`` holds the views every ``2 * step`` degrees (0, 10,
..., 350), ``test_idx`` the views between them (5, 15, ..., 355). ``evaluate`` then pairs
held-out views 80 degrees apart and compares each interpolation with the 5 degree views
between them (``--split all`` pairs every view, as for a folder of photographs). Off-grid
in-between views, when asked for, are rendered (:func:`render`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from aeai_lib.data import raycast
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.cache import CacheDir, cached
from aeai_lib.data.object_kinds import KINDS, build_object
from aeai_lib.validation import as_angles, check_size

NAME = "objects"
"""The family name of the dataset and the start of every objects spec."""
DEFAULT_OBJECTS = 10
"""Objects in ``objects``: one of each kind."""
DEFAULT_STEP = 5.0
"""Degrees between views: COIL-100's 5 (72 views per object)."""
OPTIONS = ("n", "kinds", "step", "seed")
"""The keys of an objects spec."""
CAMERA = raycast.Camera(elevation=20.0, distance=6.0, focal=5.4)
"""The fixed camera: 20 degrees above the turntable, the objects about 70% of the height."""
LIGHT = (0.5, -0.5, 0.75)
"""Direction towards the fixed light (world frame): above, in front, on the camera's left."""
AMBIENT = 0.3
"""Fraction of the albedo seen without direct light."""
SUPERSAMPLING = 3
"""Rays per pixel along each axis (3 x 3 = 9 rays per pixel)."""
RENDERER_VERSION = 1
"""Bump when the images change: the dataset cache is keyed on it."""


@dataclass(frozen=True)
class ObjectsSpec:
    """Which objects and views: see the module docstring for the spec syntax."""

    n_objects: int = DEFAULT_OBJECTS
    kinds: tuple[str, ...] = tuple(KINDS)
    step: float = DEFAULT_STEP
    seed: int = 0

    @property
    def name(self) -> str:
        """The canonical spec, e.g. ``"objects"`` or ``"objects:50,step=10"``: parsing it
        gives this spec back, and a checkpoint records it as its dataset."""
        parts = [] if self.n_objects == DEFAULT_OBJECTS else [str(self.n_objects)]
        if self.kinds != tuple(KINDS):
            parts.append("kinds=" + "+".join(self.kinds))
        if self.step != DEFAULT_STEP:
            parts.append(f"step={self.step:g}")
        if self.seed != 0:
            parts.append(f"seed={self.seed}")
        return NAME + (":" + ",".join(parts) if parts else "")

    @property
    def views(self) -> int:
        """Views per object, 360 / step."""
        return round(360.0 / self.step)

    @property
    def azimuths(self) -> torch.Tensor:
        """The views' azimuths in degrees, float64 (views,): 0, step, ..., 360 - step."""
        return torch.arange(self.views, dtype=torch.float64) * self.step

    def kind(self, object_id: int) -> str:
        """The kind of object ``object_id`` (1-based)."""
        return self.kinds[(object_id - 1) % len(self.kinds)]

    def scene(self, object_id: int) -> tuple[raycast.Primitive, ...]:
        """The primitives of object ``object_id`` (1-based)."""
        return build_object(self.kind(object_id), self.seed, object_id)


def is_objects(name: str) -> bool:
    """Whether a dataset name or spec is an objects one (``objects`` or ``objects:...``)."""
    return isinstance(name, str) and (name == NAME or name.startswith(NAME + ":"))


def _refuse(spec: str, problem: str) -> ValueError:
    return ValueError(
        f"dataset spec {spec!r}: {problem} (write e.g. 'objects:50,kinds=mug+duck,step=5,seed=0')"
    )


def _integer(spec: str, key: str, text: str, minimum: int, meaning: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _refuse(spec, f"option {key} ({meaning}) must be an integer, got {text!r}") from None
    if value < minimum:
        raise _refuse(spec, f"option {key} ({meaning}) must be >= {minimum}, got {value}")
    return value


def _step(spec: str, text: str) -> float:
    try:
        step = float(text)
    except ValueError:
        step = math.nan
    views = 360.0 / step if math.isfinite(step) and step > 0 else math.nan
    if not (math.isfinite(views) and abs(views - round(views)) < 1e-9 and round(views) % 2 == 0):
        raise _refuse(
            spec,
            f"option step (degrees between views) must divide 360 into an even number of "
            f"views, since training takes every other one; got {text!r} (5 gives COIL-100's "
            "72 views; 10, 2.5 and 7.5 also work)",
        )
    return step


def parse_spec(spec: str) -> ObjectsSpec:
    """Read an objects spec (``objects``, ``objects:50``, ``objects:n=50,kinds=mug+duck``).

    Raises:
        ValueError: a spec that does not start with ``objects``, an unknown or repeated
            option, a number of objects below 1, an unknown kind, or a step that does not
            divide 360 into an even number of views; the message names the option.
    """
    if not is_objects(spec):
        raise ValueError(f"{spec!r} is not an objects spec; write e.g. 'objects' or 'objects:50'")
    options: dict[str, str] = {}
    items = spec[len(NAME) + 1 :].split(",") if spec != NAME else []
    for position, item in enumerate(items):
        key, equals, value = item.strip().partition("=")
        if not equals and position == 0:
            key, value = "n", key
        if key not in OPTIONS:
            raise _refuse(
                spec, f"unknown option {item.strip()!r}; the options are {', '.join(OPTIONS)}"
            )
        if key in options:
            raise _refuse(spec, f"option {key} is given twice")
        options[key] = value.strip()
    kinds = tuple(KINDS)
    if "kinds" in options:
        kinds = tuple(options["kinds"].split("+"))
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown:
            raise _refuse(
                spec,
                f"unknown object kind {unknown[0]!r} in option kinds; choose from "
                f"{', '.join(KINDS)}, joined by '+'",
            )
    return ObjectsSpec(
        n_objects=_integer(spec, "n", options.get("n", str(DEFAULT_OBJECTS)), 1, "objects"),
        kinds=kinds,
        step=_step(spec, options["step"]) if "step" in options else DEFAULT_STEP,
        seed=_integer(spec, "seed", options.get("seed", "0"), 0, "which variants"),
    )


def _as_spec(spec: ObjectsSpec | str) -> ObjectsSpec:
    return spec if isinstance(spec, ObjectsSpec) else parse_spec(spec)


def render(
    spec: ObjectsSpec | str,
    object_ids: torch.Tensor | list[int],
    azimuths_deg: torch.Tensor | list[float] | float,
    size: int = 64,
) -> torch.Tensor:
    """The exact views of objects ``object_ids`` (N,) (1-based, at most ``n_objects``) at
    azimuths (N,) in degrees, any real (wraps modulo 360; one number broadcasts).

    Returns:
        float32 (N, 3, size, size) in [0, 1], black background.

    Raises:
        ValueError: an object id that is not an integer in [1, n_objects], mismatched lengths.
    """
    spec = _as_spec(spec)
    check_size(size)
    ids = as_angles(object_ids, "object_ids").reshape(-1)
    azimuths = as_angles(azimuths_deg, "azimuths_deg").reshape(-1)
    if len(azimuths) == 1 and len(ids) != 1:
        azimuths = azimuths.expand(len(ids))
    if len(ids) != len(azimuths):
        raise ValueError(
            f"object_ids and azimuths_deg have different lengths ({len(ids)} and "
            f"{len(azimuths)}); pass one azimuth, or one per object id"
        )
    bad = (ids != ids.round()) | (ids < 1) | (ids > spec.n_objects)
    if bad.any():
        raise ValueError(
            f"object id {ids[bad][0].item():g} is not one of {spec.name}'s objects 1.."
            f"{spec.n_objects}"
        )
    images = torch.empty(len(ids), 3, size, size)
    for object_id in torch.unique(ids).long().tolist():
        where = torch.nonzero(ids == object_id).squeeze(-1)
        images[where] = raycast.render(
            spec.scene(object_id),
            azimuths[where],
            size,
            CAMERA,
            LIGHT,
            AMBIENT,
            SUPERSAMPLING,
        )
    return images


def grid(spec: ObjectsSpec | str) -> torch.Tensor:
    """Every view's (object, azimuth), float64 (n_objects * views, 2), object-major."""
    spec = _as_spec(spec)
    objects = torch.arange(1, spec.n_objects + 1, dtype=torch.float64)
    return torch.cartesian_prod(objects, spec.azimuths)


def split(spec: ObjectsSpec | str) -> tuple[torch.Tensor, torch.Tensor]:
    """COIL-100's protocol: (train_idx, test_idx) of :func:`grid`'s views, the views every
    ``2 * step`` degrees (even view numbers) and those between them (odd ones)."""
    spec = _as_spec(spec)
    view = torch.arange(spec.n_objects * spec.views) % spec.views
    return torch.nonzero(view % 2 == 0).squeeze(-1), torch.nonzero(view % 2 == 1).squeeze(-1)


def dataset(
    spec: ObjectsSpec | str = NAME, size: int = 64, *, cache_dir: CacheDir = None
) -> ImageDataset:
    """The objects dataset: every object's views, with COIL-100's train/test split.

    The spec is checked before anything is rendered; the images go through
    :func:`aeai_lib.data.cache.cached` (``cache_dir`` as there).

    Returns:
        ImageDataset named by the canonical spec (``ObjectsSpec.name``): images float32
        (n_objects * views, 3, size, size) in [0, 1], ordered by object then azimuth (as a
        folder of the same views loads); params float64 (N, 2) = (object, angle), the angle
        in degrees with period 360; train/test split of :func:`split`.
    """
    spec = _as_spec(spec)
    check_size(size)
    params = grid(spec)

    def build() -> dict[str, torch.Tensor]:
        return {"images": render(spec, params[:, 0], params[:, 1], size)}

    key = {
        "renderer": RENDERER_VERSION,
        "size": size,
        "n": spec.n_objects,
        "kinds": list(spec.kinds),
        "step": spec.step,
        "seed": spec.seed,
        "supersampling": SUPERSAMPLING,
    }
    images = cached(NAME, key, build, cache_dir=cache_dir)["images"]
    train_idx, test_idx = split(spec)
    return ImageDataset(
        name=spec.name,
        images=images,
        params=params,
        param_names=("object", "angle"),
        param_periods=(None, 360.0),
        train_idx=train_idx,
        test_idx=test_idx,
    )
