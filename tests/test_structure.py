"""The library's shape: small modules, and imports that only go down the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aeai_lib"
MAX_LINES = 500

# module (or package) -> layer; a module may import only from its own layer or lower ones.
LAYERS = {
    "aeai_lib": 0,  # the package root, for its __version__
    "aeai_lib.validation": 0,
    "aeai_lib.device": 0,
    "aeai_lib.interpolation": 0,
    "aeai_lib.priors": 0,
    "aeai_lib.notebook": 0,
    "aeai_lib.atomic": 0,
    "aeai_lib.data": 1,
    "aeai_lib.models": 1,
    "aeai_lib.losses": 1,
    "aeai_lib.methods": 2,
    "aeai_lib.inference": 3,
    "aeai_lib.checkpoint": 3,
    "aeai_lib.training": 3,
    "aeai_lib.evaluation": 4,
    "aeai_lib.zoo": 5,
    "aeai_lib.correct": 5,
    "aeai_lib.tuning": 5,
    "aeai_lib.series": 5,
    "aeai_lib.notebook_parameters": 5,
    "aeai_lib.sweep": 5,
    "aeai_lib.sweep_grid": 5,
    "aeai_lib.sweep_results": 5,
    "aeai_lib.explorer_panel": 6,
    "aeai_lib.widgets": 6,
    "aeai_lib.explore_app": 6,
    "aeai_lib.cli_options": 6,
    "aeai_lib.cli": 6,
    "aeai_lib.__main__": 6,
}


def _layer(module: str) -> int:
    """The layer of the longest entry of LAYERS that ``module`` is or lies in."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    raise AssertionError(f"{module} has no layer: add it to LAYERS in {__file__}")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def _imports(path: Path) -> set[str]:
    """Every aeai_lib module the file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name.split(".")[0] == "aeai_lib"}


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_no_module_imports_from_a_higher_layer(module: str, path: Path) -> None:
    if module == "aeai_lib":
        return  # the root re-exports load_model and pick_device for users
    upward = [name for name in _imports(path) if _layer(name) > _layer(module)]
    assert not upward, f"{module} (layer {_layer(module)}) imports {upward} from above"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_every_module_is_short(module: str, path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job"


def test_the_layer_check_would_see_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from aeai_lib.evaluation import mismatch\n")
    assert _imports(module) == {"aeai_lib.evaluation"}
    assert _layer("aeai_lib.evaluation") > _layer("aeai_lib.methods.advai.correction")
