"""Small helpers the notebooks share: parameter checks and the machine-readable summary.

Each notebook ends with a cell tagged ``summary`` that calls :func:`report_summary`; the
series runner (:mod:`aeai_lib.series`) reads it from the executed notebook.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

SUMMARY_PREFIX = "SUMMARY "


class ParameterError(ValueError):
    """A notebook parameter of the wrong type or out of range."""


def check_parameter(
    name: str,
    value: Any,
    kind: type | tuple[type, ...],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: Iterable[Any] | None = None,
) -> None:
    """Check one papermill parameter; raise :class:`ParameterError` naming it.

    ``kind`` is the expected type (``int`` does not accept ``bool``; ``float`` accepts ints).
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    accepted = kinds + ((int,) if float in kinds else ())
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, accepted):
        expected = " or ".join(k.__name__ for k in kinds)
        raise ParameterError(
            f"parameter {name!r} must be {expected}, got {value!r} ({type(value).__name__}); "
            f"pass e.g. -p {name} <{expected}> to papermill"
        )
    if minimum is not None and value < minimum:
        raise ParameterError(f"parameter {name!r} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"parameter {name!r} must be <= {maximum}, got {value!r}")
    if choices is not None:
        options = list(choices)
        if value not in options:
            raise ParameterError(f"parameter {name!r} must be one of {options}, got {value!r}")


def report_summary(**values: Any) -> dict[str, Any]:
    """Print the notebook's key results as one ``SUMMARY {json}`` line and return them.

    Floats are rounded to 6 significant digits so that stored outputs stay stable.
    """
    rounded = {k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in values.items()}
    print(SUMMARY_PREFIX + json.dumps(rounded, sort_keys=True))
    return rounded
