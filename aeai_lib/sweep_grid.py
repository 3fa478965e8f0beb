"""What a sweep runs: the grid of parameter values, checked against the notebook, and each
run's file name and identity.

Values come from the command line as papermill types them (``-p``: numbers, booleans, ``None``,
strings; ``-y``: YAML for lists and other structured values). The notebook's parameters come
from papermill's inspection of its ``parameters`` cell, so a misspelt name is refused before
any run starts.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._,=+\-\[\]]")  # characters kept out of file names


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its file name, its parameters and its identity (a hex digest)."""

    name: str
    parameters: dict[str, Any]
    run_id: str


def parse_cli_values(values: Sequence[str]) -> list[Any]:
    """Command-line values typed as papermill types ``-p`` values (``papermill.cli``).

    ``True``, ``False`` and ``None``, integers and floats become Python values; anything else
    stays a string: ``["0", "0.1", "True", "pole"]`` -> ``[0, 0.1, True, "pole"]``.
    """
    from papermill.cli import _resolve_type

    return [_resolve_type(value) for value in values]


def parse_yaml_grid(text: str) -> dict[str, list[Any]]:
    """A YAML mapping of value lists, read as papermill reads ``-y`` (no date parsing).

    ``"dims: [[2, 16], [2, 64]]"`` -> ``{"dims": [[2, 16], [2, 64]]}``: two runs, each given a
    list. Raises ValueError for text that is not such a mapping.
    """
    import yaml
    from papermill.iorw import NoDatesSafeLoader

    try:
        grid = yaml.load(text, Loader=NoDatesSafeLoader)
    except yaml.YAMLError as error:
        raise ValueError(f"-y {text!r} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(grid, dict) or not all(isinstance(name, str) for name in grid):
        raise ValueError(
            f"-y takes a YAML mapping of parameter names to value lists, "
            f"e.g. -y 'dims: [[2, 16], [2, 64]]'; got {text!r}"
        )
    for name, values in grid.items():
        if not isinstance(values, list):
            raise ValueError(
                f"-y gives {name}: {values!r}, not a list of values to sweep; "
                f"write '{name}: [{values!r}]' for a single value"
            )
    return grid


def grid_from_cli(parameters: Sequence[Sequence[str]], yaml_texts: Sequence[str]) -> dict:
    """The grid from ``-p NAME VALUE...`` groups and ``-y YAML`` texts; a name given twice fails."""
    pairs = [(name, parse_cli_values(values)) for name, *values in parameters]
    pairs += [item for text in yaml_texts for item in parse_yaml_grid(text).items()]
    grid: dict[str, list[Any]] = {}
    for name, values in pairs:
        if name in grid:
            raise ValueError(f"parameter {name!r} is given twice; list all its values once")
        grid[name] = values
    return grid


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, str]]:
    """The parameters defined by the notebook's ``parameters`` cell (papermill's inspection).

    Maps each name to papermill's ``{name, inferred_type_name, default, help}``. Raises
    FileNotFoundError for a missing file and ValueError for one that is not a notebook.
    """
    from papermill import inspect_notebook

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {str(path)!r} not found; give the path to an .ipynb")
    if path.suffix != ".ipynb":
        raise ValueError(f"{str(path)!r} is not a notebook; give the path to an .ipynb")
    try:
        return inspect_notebook(str(path))
    except Exception as error:  # papermill and nbformat raise many kinds for a non-notebook
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{str(path)!r} is not a readable notebook: {reason}") from None


def check_grid(
    grid: Mapping[str, Sequence[Any]], defined: Mapping[str, Any], notebook: str
) -> None:
    """Check a grid against the notebook's parameters before any run starts.

    Raises ValueError for an empty grid, a name the ``parameters`` cell does not define (listing
    the ones it does) or an empty value list, TypeError for values that are not a list of
    JSON-serialisable values.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError("give at least one parameter to sweep: -p NAME VALUE [VALUE ...]")
    for name, values in grid.items():
        if name not in defined:
            known = ", ".join(defined) or "none (it has no cell tagged 'parameters')"
            raise ValueError(
                f"parameter {name!r} is not defined in the parameters cell of {notebook}; "
                f"its parameters are: {known}"
            )
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise TypeError(f"grid[{name!r}] must be a list of values, got {values!r}")
        if not values:
            raise ValueError(
                f"parameter {name!r} has an empty value list; give one or more: -p {name} V [V ...]"
            )
        _check_list_values(name, values, defined[name])
        for value in values:
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise TypeError(
                    f"value {value!r} of parameter {name!r} is not JSON-serialisable; "
                    "use numbers, strings, booleans, None, lists and dicts"
                ) from None


def list_hint(name: str, items: Sequence[Any]) -> str:
    """The ``-y`` form that gives one run the list ``items`` in a sweep, e.g.
    ``-y 'dims: [[2, 16]]'``: the outer list holds the runs' values, each one a list."""
    return f"-y '{name}: {json.dumps([list(items)])}'"


def _check_list_values(name: str, values: Sequence[Any], parameter: Mapping[str, Any]) -> None:
    """Refuse values that are all single items for a parameter whose default is a list: each
    value of a sweep is one run's, so ``-y 'dims: [2, 16]'`` would give the runs ``dims=2``
    and ``dims=16``, each refused by the notebook (papermill's ``-y 'dims: [2, 16]'`` is one
    list; in a sweep, that list is ``-y 'dims: [[2, 16]]'``)."""
    try:
        default = ast.literal_eval(str(parameter.get("default", "")))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return
    if isinstance(default, list) and not any(isinstance(value, list) for value in values):
        raise ValueError(
            f"parameter {name!r} takes a list (its default is {default!r}), but each value a "
            f"sweep is given is one run's: {list(values)!r} would run {name}={values[0]!r} and "
            f"so on; for one run with {name} = {list(values)!r}, write "
            f"{list_hint(name, values)} (each further inner list is one more run)"
        )


_PAPERMILL_LIST_HINT = re.compile(r"-y '(\w+): \[\.\.\.\]' to papermill")


def sweep_hint(error: str) -> str:
    """A notebook's error with its papermill hint for a list parameter, ``-y 'dims: [...]'``,
    put in the form that works in a sweep, ``-y 'dims: [[...]]'`` (one list per run)."""
    return _PAPERMILL_LIST_HINT.sub(
        r"-y '\1: [[...]]' to sweep (one inner list per run, e.g. -y '\1: [[2, 16]]')", error
    )


def expand_grid(grid: Mapping[str, Sequence[Any]], zip_values: bool = False) -> list[dict]:
    """The runs' parameters: the Cartesian product of the value lists, or with ``zip_values``
    the lists taken side by side (they must then have the same length)."""
    if zip_values:
        lengths = {name: len(values) for name, values in grid.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"--zip takes the value lists side by side, so they need one length; got {lengths}"
            )
        combinations = zip(*grid.values(), strict=True)
    else:
        combinations = itertools.product(*grid.values())
    return [dict(zip(grid, values, strict=True)) for values in combinations]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def run_name(parameters: Mapping[str, Any]) -> str:
    """A file name made of a run's parameters: ``seed=0,lambda_adv=0.01``.

    Values are written as they would be typed after ``-p`` (``True``, ``None``, a string bare
    when papermill would read it back as that string, anything else as compact JSON). A name
    with characters unsafe in file names, or over 120 characters, is cut and given 8 hex
    digits of the parameters' hash, so that two different runs never share a file.
    """
    from papermill.cli import _resolve_type

    def text(value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return str(value)  # True, False, None: as typed after -p
        bare = isinstance(value, str) and _resolve_type(value) == value
        return value if bare else json.dumps(value, separators=(",", ":"))

    name = ",".join(f"{key}={text(value)}" for key, value in parameters.items())
    safe = _UNSAFE.sub("_", name)
    if safe != name or len(safe) > MAX_NAME_CHARS:
        safe = f"{safe[:MAX_NAME_CHARS]}~{_digest(dict(parameters))[:8]}"
    return safe


def plan_sweep(
    notebook: str | Path, grid: Mapping[str, Sequence[Any]], zip_values: bool = False
) -> tuple[list[SweepRun], str]:
    """Check the grid against the notebook and list its runs; nothing is executed.

    Returns the runs and the notebook without outputs, as JSON text (what workers execute).
    A run's identity hashes its parameters and the notebook's code cells (not its outputs or
    Markdown, which do not change results).
    """
    import nbformat

    defined = notebook_parameters(notebook)
    check_grid(grid, defined, str(notebook))
    code = nbformat.read(str(notebook), as_version=4)
    for cell in code.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    code_id = _digest([cell.source for cell in code.cells if cell.cell_type == "code"])
    runs = [
        SweepRun(run_name(p), p, _digest({"code": code_id, "parameters": p})[:16])
        for p in expand_grid(grid, zip_values)
    ]
    names = [run.name for run in runs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"the grid holds run {repeated[0]} more than once; drop repeated values")
    return runs, nbformat.writes(code)
