"""The kinds of object on the objects dataset's turntable, each a seeded recipe of primitives.

Every kind builds one object from a numpy ``Generator``: its proportions jittered by up to
about 10%, its colours drawn from :data:`PALETTE`, its surface pattern from the kind's own
list of :data:`~aeai_lib.data.raycast.PATTERNS`, and the whole object turned by a random yaw
on the turntable, so that two objects of a kind differ and none faces the camera at 0
degrees in the same way. Objects stand on the turntable at z = :data:`FLOOR` and fit in a
cylinder of radius 0.9 about the turntable's axis (the camera sees about 1.2 units either
side of the axis).

No object looks the same from two azimuths: each kind has parts off the axis (a mug's
handle, a duck's head and beak, a car's cabin and lights, a lamp's arm and shade, a rocket's
uneven fins and porthole, a house's chimney and door, a snowman's nose and arms, a teapot's
spout and handle, a robot's face and raised arm, a chair's back), and most patterns are not
periodic about the axis either. Turning reveals what the endpoints of an interval hide: the
handle behind the mug, the face on the robot's front, the door on one wall.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from aeai_lib.data.raycast import IDENTITY, Primitive, Vector, frame

FLOOR = -0.85
"""Height of the turntable's surface in world units (the objects stand on it)."""
PALETTE: tuple[Vector, ...] = (
    (0.85, 0.15, 0.12),  # red
    (0.95, 0.50, 0.10),  # orange
    (0.95, 0.85, 0.20),  # yellow
    (0.20, 0.70, 0.25),  # green
    (0.10, 0.60, 0.60),  # teal
    (0.15, 0.30, 0.85),  # blue
    (0.55, 0.20, 0.75),  # purple
    (0.95, 0.45, 0.65),  # pink
    (0.92, 0.92, 0.90),  # white
    (0.55, 0.35, 0.20),  # brown
)
"""Albedos the objects' colours are drawn from."""
DARK: Vector = (0.12, 0.12, 0.14)
"""Albedo of eyes, tyres, doors and other dark details."""

Parts = list[Primitive]


class _Draw:
    """The random choices of one object: jittered sizes, distinct colours, a pattern."""

    def __init__(self, generator: np.random.Generator) -> None:
        self.generator = generator
        self.colours = [PALETTE[i] for i in generator.permutation(len(PALETTE))]

    def jitter(self, value: float, spread: float = 0.1) -> float:
        return float(value * (1.0 + self.generator.uniform(-spread, spread)))

    def colour(self, index: int) -> Vector:
        """The object's ``index``-th colour (distinct colours for distinct indices)."""
        return self.colours[index % len(self.colours)]

    def paint(self, patterns: tuple[str, ...], index: int = 0) -> dict:
        """Primitive keywords of a drawn pattern: colour ``index``, pattern colour ``index + 1``."""
        return {
            "colour": self.colour(index),
            "pattern": str(self.generator.choice(patterns)),
            "pattern_colour": self.colour(index + 1),
            "frequency": float(self.generator.uniform(3.0, 6.0)),
        }


Look = dict
"""Primitive keywords of a surface: ``colour`` and optionally ``pattern``, ``pattern_colour``,
``frequency`` (from :meth:`_Draw.paint`, or :func:`_plain`)."""
ALONG_X = frame((1.0, 0.0, 0.0), (0.0, 0.0, 1.0))
ALONG_Y = frame((0.0, 1.0, 0.0))


def _plain(colour: Vector) -> Look:
    return {"colour": colour}


def _ball(radius: float, centre: Vector, look: Look) -> Primitive:
    return Primitive("ellipsoid", (radius, radius, radius), centre, **look)


def _blob(size: Vector, centre: Vector, look: Look) -> Primitive:
    return Primitive("ellipsoid", size, centre, **look)


def _block(size: Vector, centre: Vector, look: Look, axes: tuple = IDENTITY) -> Primitive:
    return Primitive("box", size, centre, axes, **look)


def _cone(
    radii: tuple[float, float], half: float, centre: Vector, look: Look, axes: tuple = IDENTITY
) -> Primitive:
    """A frustum of bottom and top ``radii`` and half height ``half`` along the local z."""
    return Primitive("frustum", (radii[0], radii[1], half), centre, axes, **look)


def _ring(
    major: float, tube: float, centre: Vector, look: Look, axes: tuple = IDENTITY
) -> Primitive:
    return Primitive("torus", (major, tube, 0.0), centre, axes, **look)


def _rod(start: Vector, end: Vector, radius: float, look: Look) -> Primitive:
    """A cylinder from ``start`` to ``end`` (an arm, a leg, a stem)."""
    a, b = np.asarray(start), np.asarray(end)
    axis = b - a
    towards = (1.0, 0.0, 0.0) if abs(axis[0]) < 0.9 * np.linalg.norm(axis) else (0.0, 1.0, 0.0)
    middle = tuple(float(v) for v in (a + b) / 2)
    return _cone(
        (radius, radius), float(np.linalg.norm(axis)) / 2, middle, look, frame(tuple(axis), towards)
    )


def _mug(draw: _Draw) -> Parts:
    radius, half = draw.jitter(0.45), draw.jitter(0.5)
    z = FLOOR + half
    return [
        _cone(
            (radius * 0.9, radius),
            half,
            (0, 0, z),
            draw.paint(("waves", "dots", "checker", "spiral")),
        ),
        _cone((radius * 0.92, radius * 0.92), 0.01, (0, 0, z + half + 0.005), _plain(DARK)),
        _ring(0.27, 0.065, (radius * 0.95, 0, z + 0.05), _plain(draw.colour(2)), ALONG_Y),
    ]


def _duck(draw: _Draw) -> Parts:
    body = (draw.jitter(0.55), draw.jitter(0.38), draw.jitter(0.3))
    z, head = FLOOR + body[2], draw.jitter(0.22)
    hx, hz = body[0] * 0.62, z + body[2] + head * 0.55
    return [
        _blob(body, (0, 0, z), draw.paint(("dots", "bands", "plain"))),
        _ball(head, (hx, 0, hz), _plain(draw.colour(1))),
        _cone(
            (0.08, 0.0),
            0.1,
            (hx + head + 0.05, 0, hz - 0.03),
            _plain(draw.colour(2)),
            frame((1.0, 0.0, -0.2), (0.0, 0.0, 1.0)),
        ),
        _ball(0.04, (hx + head * 0.7, head * 0.6, hz + 0.07), _plain(DARK)),
        _ball(0.04, (hx + head * 0.7, -head * 0.6, hz + 0.07), _plain(DARK)),
        _cone(
            (0.14, 0.0),
            0.14,
            (-body[0] - 0.05, 0, z + 0.12),
            _plain(draw.colour(1)),
            frame((-1.0, 0.0, 0.8), (0.0, 0.0, 1.0)),
        ),
        _blob(
            (body[0] * 0.55, 0.06, body[2] * 0.55),
            (-0.05, body[1] * 0.95, z + 0.05),
            _plain(draw.colour(3)),
        ),
    ]


def _car(draw: _Draw) -> Parts:
    length, width, height = draw.jitter(0.7), draw.jitter(0.33), draw.jitter(0.17)
    wheel = draw.jitter(0.17)
    z = FLOOR + wheel + height * 0.6
    glass = {
        "colour": draw.colour(2),
        "pattern": "bands",
        "pattern_colour": (0.3, 0.4, 0.5),
        "frequency": 3.0,
    }
    tyre = {
        "colour": DARK,
        "pattern": "spiral",
        "pattern_colour": (0.6, 0.6, 0.6),
        "frequency": 1.0,
    }
    lamp = _plain((1.0, 0.95, 0.6))
    return [
        _block(
            (length, width, height), (0, 0, z), draw.paint(("bands", "checker", "dots", "plain"))
        ),
        _block(
            (length * 0.45, width * 0.9, height * 0.8), (-length * 0.15, 0, z + height * 1.7), glass
        ),
        _blob((0.03, 0.07, 0.05), (length, width * 0.6, z + 0.03), lamp),
        _blob((0.03, 0.07, 0.05), (length, -width * 0.6, z + 0.03), lamp),
        *(
            _cone((wheel, wheel), 0.05, (x, y, FLOOR + wheel), tyre, ALONG_Y)
            for x in (length * 0.62, -length * 0.62)
            for y in (width + 0.03, -width - 0.03)
        ),
    ]


def _lamp(draw: _Draw) -> Parts:
    top = np.array([draw.jitter(0.3), 0.0, draw.jitter(0.35)])
    z = FLOOR + 0.05
    unit = np.array([0.7, 0.0, -1.0]) / np.linalg.norm([0.7, 0.0, -1.0])
    shade, bulb = top + 0.22 * unit, top + 0.39 * unit
    arm = _plain(draw.colour(2))
    return [
        _cone((0.42, 0.38), 0.05, (0, 0, z), draw.paint(("checker", "bands", "plain"))),
        _rod((-0.15, 0, z), (-0.15, 0, 0), 0.05, arm),
        _rod((-0.15, 0, 0), tuple(top), 0.045, arm),
        _ball(0.08, (-0.15, 0, 0), _plain(draw.colour(3))),
        _cone(
            (0.28, 0.09),
            0.18,
            tuple(shade),
            draw.paint(("plain", "spiral", "dots"), 1),
            frame(tuple(-unit)),
        ),
        _ball(0.1, tuple(bulb), _plain((1.0, 0.95, 0.55))),
    ]


def _rocket(draw: _Draw) -> Parts:
    radius, half = draw.jitter(0.22), draw.jitter(0.45)
    z = FLOOR + 0.25 + half
    fins = (0.0, 1.9 + draw.jitter(0.2), 4.0 + draw.jitter(0.3))  # uneven on purpose
    return [
        _cone(
            (radius, radius), half, (0, 0, z), draw.paint(("spiral", "waves", "checker", "dots"))
        ),
        _cone((radius, 0.0), 0.2, (0, 0, z + half + 0.2), _plain(draw.colour(2))),
        _ball(0.09, (radius - 0.03, 0, z + half * 0.45), _plain((0.6, 0.85, 1.0))),
        *(
            _block(
                (0.2, 0.025, 0.2),
                (
                    radius * 1.2 * math.cos(fin + 0.5),
                    radius * 1.2 * math.sin(fin + 0.5),
                    FLOOR + 0.3,
                ),
                _plain(draw.colour(3)),
                frame((0, 0, 1), (math.cos(fin + 0.5), math.sin(fin + 0.5), 0)),
            )
            for fin in fins
        ),
    ]


def _house(draw: _Draw) -> Parts:
    length, width, height = draw.jitter(0.5), draw.jitter(0.4), draw.jitter(0.32)
    z = FLOOR + height
    roof = {
        "colour": draw.colour(2),
        "pattern": "bands",
        "pattern_colour": draw.colour(3),
        "frequency": 8.0,
    }
    return [
        _block((length, width, height), (0, 0, z), draw.paint(("patch", "bands", "dots", "plain"))),
        _block(
            (length * 1.05, width * 0.75, width * 0.75),
            (0, 0, z + height),
            roof,
            frame((0.0, 1.0, 1.0)),
        ),
        _block(
            (0.07, 0.07, 0.2),
            (length * 0.5, width * 0.4, z + height + 0.35),
            _plain(draw.colour(4)),
        ),
        _block((0.02, 0.1, 0.17), (length + 0.01, width * 0.3, FLOOR + 0.17), _plain(DARK)),
        _block(
            (0.12, 0.02, 0.08), (-length * 0.4, width + 0.01, z + 0.05), _plain((0.6, 0.85, 1.0))
        ),
    ]


def _snowman(draw: _Draw) -> Parts:
    low, mid, head = draw.jitter(0.38), draw.jitter(0.28), draw.jitter(0.2)
    z0 = FLOOR + low
    z1 = z0 + low + mid * 0.7
    z2 = z1 + mid + head * 0.7
    snow = _plain((0.92, 0.92, 0.9))
    hat = {
        "colour": draw.colour(0),
        "pattern": "bands",
        "pattern_colour": draw.colour(1),
        "frequency": 2.5,
    }
    stick = _plain(draw.colour(9))
    return [
        _ball(low, (0, 0, z0), {**draw.paint(("dots",), 8), **snow}),
        _ball(mid, (0, 0, z1), snow),
        _ball(head, (0, 0, z2), snow),
        _cone((0.05, 0.0), 0.1, (head + 0.08, 0, z2), _plain((0.95, 0.5, 0.1)), ALONG_X),
        _cone((head * 0.8, head * 0.75), 0.12, (0, 0, z2 + head + 0.05), hat),
        _ring(mid * 0.75, 0.06, (0, 0, z1 + mid * 0.65), _plain(draw.colour(1))),
        _rod((0, mid * 0.9, z1), (0.1, mid + 0.35, z1 + 0.3), 0.025, stick),
        _rod((0, -mid * 0.9, z1), (0.15, -mid - 0.3, z1 - 0.15), 0.025, stick),
        _ball(0.035, (mid * 0.98, 0, z1 - 0.05), _plain(DARK)),
    ]


def _teapot(draw: _Draw) -> Parts:
    body = (draw.jitter(0.45), draw.jitter(0.45), draw.jitter(0.35))
    z = FLOOR + body[2]
    trim = _plain(draw.colour(2))
    return [
        _blob(body, (0, 0, z), draw.paint(("dots", "checker", "waves", "spiral"))),
        _blob((body[0] * 0.55, body[1] * 0.55, 0.1), (0, 0, z + body[2]), trim),
        _ball(0.06, (0.05, 0, z + body[2] + 0.12), _plain(draw.colour(3))),
        _cone(
            (0.1, 0.05),
            0.22,
            (body[0] + 0.08, 0, z + 0.12),
            trim,
            frame((1.0, 0.0, 1.2), (0.0, 0.0, 1.0)),
        ),
        _ring(0.22, 0.05, (-body[0] * 0.95, 0, z + 0.05), trim, ALONG_Y),
    ]


def _robot(draw: _Draw) -> Parts:
    torso = (draw.jitter(0.22), draw.jitter(0.32), draw.jitter(0.28))
    z = FLOOR + 0.32 + torso[2]
    head, shoulder = z + torso[2] + 0.2, torso[1] + 0.06
    eye, limb = _plain((1.0, 0.3, 0.2)), _plain(draw.colour(3))
    return [
        _block(torso, (0, 0, z), draw.paint(("patch", "checker", "plain"))),
        _block((0.18, 0.18, 0.16), (0, 0, head), _plain(draw.colour(2))),
        _ball(0.04, (0.18, 0.07, head + 0.03), eye),
        _ball(0.04, (0.18, -0.07, head + 0.03), eye),
        _rod((0, 0.06, head + 0.16), (-0.05, 0.1, head + 0.38), 0.015, _plain(DARK)),
        _ball(0.05, (-0.05, 0.1, head + 0.4), limb),
        _rod((0, shoulder, z + 0.2), (0.35, shoulder, z + 0.35), 0.06, limb),
        _rod((0, -shoulder, z + 0.2), (0, -shoulder - 0.05, z - 0.3), 0.06, limb),
        _block((0.1, 0.09, 0.16), (0, 0.14, FLOOR + 0.16), _plain(DARK)),
        _block((0.1, 0.09, 0.16), (0, -0.14, FLOOR + 0.16), _plain(DARK)),
    ]


def _chair(draw: _Draw) -> Parts:
    half, seat = draw.jitter(0.38), draw.jitter(-0.3)
    leg = _plain(draw.colour(2))
    return [
        _block(
            (half, half, 0.05),
            (0, 0, seat + 0.05),
            draw.paint(("checker", "dots", "bands", "plain")),
        ),
        _block(
            (0.04, half, draw.jitter(0.4)),
            (-half + 0.04, 0, seat + 0.45),
            draw.paint(("checker", "bands", "patch", "spiral"), 1),
        ),
        *(
            _rod((x, y, FLOOR), (x, y, seat), 0.035, leg)
            for x in (half * 0.85, -half * 0.85)
            for y in (half * 0.85, -half * 0.85)
        ),
    ]


KINDS: dict[str, Callable[[_Draw], Parts]] = {
    "mug": _mug,
    "duck": _duck,
    "car": _car,
    "lamp": _lamp,
    "rocket": _rocket,
    "house": _house,
    "snowman": _snowman,
    "teapot": _teapot,
    "robot": _robot,
    "chair": _chair,
}
"""The object kinds by name, in the order objects are dealt (object k is of the
((k - 1) mod len(kinds))-th kind of the dataset's list)."""


def _turned(primitive: Primitive, yaw: float) -> Primitive:
    """The primitive turned by ``yaw`` radians about the turntable's axis."""
    cos, sin = math.cos(yaw), math.sin(yaw)
    centre, *axes = (
        (x * cos - y * sin, x * sin + y * cos, z) for x, y, z in (primitive.centre, *primitive.axes)
    )
    return replace(primitive, centre=centre, axes=tuple(axes))


def build_object(kind: str, seed: int, object_id: int) -> tuple[Primitive, ...]:
    """Object ``object_id`` of kind ``kind``, drawn from a generator seeded by (seed, id)."""
    generator = np.random.default_rng([seed, object_id])
    parts = KINDS[kind](_Draw(generator))
    yaw = float(generator.uniform(0.0, 2 * math.pi))
    return tuple(_turned(part, yaw) for part in parts)
