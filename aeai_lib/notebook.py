"""Small helpers the notebooks share: parameter checks and the machine-readable summary.

A notebook checks its papermill parameters with one call right after its ``parameters`` cell
(:func:`check_parameters`, with the specs of :mod:`aeai_lib.notebook_parameters`), and ends
with a collapsed cell tagged ``summary`` that calls :func:`report_summary`; the series runner
(:mod:`aeai_lib.series`), the sweeps and ``tests/test_notebook_prose.py`` read that line from
the executed notebook.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SUMMARY_PREFIX = "SUMMARY "
"""The prefix of a summary printed as text (outside a kernel, and by older notebooks)."""
SUMMARY_METADATA_KEY = "aeai_summary"
"""Where :func:`report_summary` leaves the values in a kernel: the metadata of an output whose
data is empty, so that JupyterLab, nbviewer and GitHub show nothing to a learner while the
executed notebook (read by :func:`aeai_lib.series.read_summary`) holds them."""
INJECTED_HEADER = "# Parameters"
"""The first line of the cell papermill injects after a notebook's ``parameters`` cell (its
Python translator's ``codify``), followed by one ``name = value`` line per parameter."""


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


def check_list_parameter(
    name: str,
    value: Any,
    item_kind: type | tuple[type, ...],
    *,
    min_length: int = 1,
    distinct: bool = True,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: Iterable[Any] | None = None,
) -> None:
    """Check a list-valued papermill parameter (e.g. ``dims: [2, 8]``); raise
    :class:`ParameterError` naming it for a non-list, fewer than ``min_length`` items,
    repeated items (with ``distinct``), or an item that fails :func:`check_parameter`
    (``item_kind``, ``minimum``, ``maximum``, ``choices``).
    """
    kinds = item_kind if isinstance(item_kind, tuple) else (item_kind,)
    expected = " or ".join(k.__name__ for k in kinds)
    example = f"-y '{name}: [...]'"
    if not isinstance(value, list):
        raise ParameterError(
            f"parameter {name!r} must be a list of {expected}, got {value!r} "
            f"({type(value).__name__}); pass e.g. {example} to papermill"
        )
    if len(value) < min_length:
        raise ParameterError(
            f"parameter {name!r} must list at least {min_length} {expected} value(s), got "
            f"{value!r}; pass e.g. {example} to papermill"
        )
    for index, item in enumerate(value):
        check_parameter(
            f"{name}[{index}]", item, kinds, minimum=minimum, maximum=maximum, choices=choices
        )
    if distinct and len(set(value)) != len(value):
        raise ParameterError(f"parameter {name!r} must not repeat a value, got {value!r}")


@dataclass(frozen=True)
class Parameter:
    """What one papermill parameter accepts: the arguments of :func:`check_parameter`, or of
    :func:`check_list_parameter` for a list (``is_list``; ``kind`` is then the items' type)."""

    kind: type | tuple[type, ...]
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    is_list: bool = False

    def check(self, name: str, value: Any) -> None:
        """Raise :class:`ParameterError` naming ``name`` when ``value`` does not fit."""
        limits = {"minimum": self.minimum, "maximum": self.maximum, "choices": self.choices}
        if self.is_list:
            check_list_parameter(name, value, self.kind, **limits)
        else:
            check_parameter(name, value, self.kind, **limits)


def injected_parameters(namespace: Mapping[str, Any]) -> list[str]:
    """The names papermill injected into a running notebook, in order, read from the cell it
    injected (first line :data:`INJECTED_HEADER`) in IPython's input history (``In`` in the
    notebook's ``globals()``); empty outside papermill or outside IPython."""
    history = namespace.get("In", [])
    names: list[str] = []
    for source in history if isinstance(history, list) else []:
        if not (isinstance(source, str) and source.startswith(INJECTED_HEADER + "\n")):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


def check_parameters(namespace: Mapping[str, Any], specs: Mapping[str, Parameter]) -> None:
    """Check every parameter of ``specs`` as ``namespace`` (a notebook's ``globals()``) holds it.

    Raises:
        ParameterError: a name papermill injected (:func:`injected_parameters`) that
            ``specs`` lacks, e.g. a misspelt ``-p seeed 3`` that papermill only warns about
            (all such names, and the parameters there are); else the first parameter of the
            wrong type or out of range, naming it.
        ValueError: when ``namespace`` lacks a parameter of ``specs`` (the notebook and its
            specs disagree: a bug, not bad input).
    """
    unknown = [name for name in injected_parameters(namespace) if name not in specs]
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}: this notebook has no "
            f"such parameter (papermill only warned 'Passed unknown parameter'); its "
            f"parameters are: {', '.join(specs)}; check the spelling"
        )
    missing = [name for name in specs if name not in namespace]
    if missing:
        raise ValueError(f"the notebook does not define the parameter(s) {missing}")
    for name, spec in specs.items():
        spec.check(name, namespace[name])


def report_summary(**values: Any) -> None:
    """Record the notebook's key results, showing nothing to the reader.

    Floats are rounded to 6 significant digits. In a kernel (where NaN and infinities, which
    JSON lacks, become None), the values go into the metadata
    (key :data:`SUMMARY_METADATA_KEY`) of one output whose data is empty: a notebook front end
    has nothing to draw, and the executed notebook keeps them for the series runner, the sweeps
    and the test of the notebooks' prose (:func:`aeai_lib.series.read_summary`). Outside a
    kernel (a script, a test) it prints one ``SUMMARY {json}`` line instead. Returns nothing.
    """
    rounded = {k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in values.items()}
    shell = _kernel_shell()
    if shell is None:
        print(SUMMARY_PREFIX + json.dumps(rounded, sort_keys=True))
        return
    finite = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in rounded.items()
    }
    shell.display_pub.publish(data={}, metadata={SUMMARY_METADATA_KEY: finite})


def _kernel_shell() -> Any:
    """The running IPython kernel's shell, or None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None
