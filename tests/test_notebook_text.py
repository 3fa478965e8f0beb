"""What a learner reads holds together: no development history, references that resolve,
an overview that lists every notebook, parameters that stay parameters, and summary cells that
show nothing.

Checked on every committed notebook (source and stored outputs, nothing executed):

* **history**: no Markdown cell tells how the series was built: issue numbers (``issue #10``,
  ``#13``), ``this session's compute``, ``old version``, ``the old shipped``, ``shipped yet``,
  ``trained yet``, ``CI``, ``test suite``, ``nbval``, ``pytest`` or a test file
  (``tests/...``). HTML comments (the marks of ``tests/test_notebook_prose.py``) are not read:
  no reader sees them. A notebook whose subject is how the series is tested would be exempt
  by name (:data:`HISTORY_EXEMPT`); none of the series is one today;
* **references**: a README section named as ``README, *Section*`` is a heading of README.md;
  a notebook named as ``NN_name`` or ``notebook NN`` exists; a library name in backticks
  resolves: ``aeai_lib.x.y`` imports, a call ``name(...)`` or ``module.name`` names something
  defined in ``aeai_lib`` (or a builtin), a path such as ``aeai_lib/x.py``, ``scripts/...``,
  ``benchmarks/...`` or ``data/checkpoints/...`` exists;
* **overview**: the table of ``00_overview`` lists every notebook of ``notebooks/``, and no
  other;
* **parameters**: no name the cell tagged ``parameters`` assigns is bound again by a later code
  cell (an assignment, a loop or ``with`` target, an import, a ``def``), so that re-running any
  cell leaves the parameters as papermill set them;
* **summary output**: the cell tagged ``summary`` shows nothing: its outputs carry no data a
  front end draws (no text, no picture), only the values in their metadata
  (:func:`aeai_lib.notebook.report_summary`), which :func:`aeai_lib.series.read_summary` reads.

Every check is also run on a small notebook with the fault planted, and must report it.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from aeai_lib.notebook import SUMMARY_METADATA_KEY
from aeai_lib.series import NOTEBOOK_DIR

ROOT = NOTEBOOK_DIR.parent
LIBRARY = ROOT / "aeai_lib"
HISTORY_EXEMPT: set[str] = set()
"""Notebooks whose subject is how the series is tested, where the history phrases are the
lesson (none of the series teaches that today); name one here to exempt it."""

HISTORY = [
    (re.compile(r"\b[Ii]ssues?\s*#?\s*\d+|(?<![\w&])#\d{1,4}\b"), "an issue number"),
    (
        re.compile(r"\bthis\s+session\b(?:'s\s+compute)?|\bthis\s+\w+'s\s+compute\b", re.I),
        "what the compute allowed so far",
    ),
    (re.compile(r"\bold\s+(?:version|shipped|AE)", re.IGNORECASE), "an older version"),
    (
        re.compile(r"\b(?:ship(?:ped|s)?|trained)\s+yet\b", re.I),
        "what is not shipped or trained yet",
    ),
    (re.compile(r"\bCI\b"), "CI"),
    (re.compile(r"\btest suite\b", re.IGNORECASE), "the test suite"),
    (re.compile(r"\bnbval\b|\bpytest\b", re.IGNORECASE), "the test tools"),
    (re.compile(r"(?<![\w/])tests/"), "a test file"),
]
"""A phrase of the series' history in a learner's text, and what it names."""

COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
FENCE = re.compile(r"```.*?```", re.DOTALL)
BACKTICKS = re.compile(r"`([^`\n]+)`")
README_SECTION = re.compile(r"README(?:'s)?[,:]?\s+(?:section\s+)?\*([^*]+)\*")
NOTEBOOK_NAME = re.compile(r"\b(\d\d_[a-z]+(?:_[a-z]+)*)\b")
NOTEBOOK_NUMBER = re.compile(r"\bnotebooks?\s+(\d\d)(?:\s*[–-]\s*(\d\d))?\b")
PATH = re.compile(r"(?<![\w/])((?:aeai_lib|scripts|benchmarks|data|notebooks)/[\w./*-]*)")
DOTTED = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(\(|$)")
FILE_NAME = re.compile(r"\.(?:csv|json|pt|py|png|gif|ipynb|yml|yaml|txt|md|cfg|toml|sh)$")
"""A token that names a file (``results.csv``), not a Python object."""
EXTERNAL = {"torch", "numpy", "np", "plt", "matplotlib", "papermill", "dask", "PIL", "scipy"}
"""First components of dotted names that are not this library's."""


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _prose(cell: dict) -> str:
    """A Markdown cell's text as a reader sees it: without the HTML comments."""
    return COMMENT.sub("", _source(cell))


def _markdown(cells: list[dict]) -> list[tuple[int, str]]:
    return [(i, _prose(c)) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def _excerpt(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 40) : end + 40].split())


# ------------------------------------------------------------------------------ the checks


def check_history(name: str, cells: list[dict]) -> list[str]:
    """Each phrase of the series' history in the Markdown of notebook ``name``."""
    if name in HISTORY_EXEMPT:
        return []
    problems = []
    for index, text in _markdown(cells):
        for pattern, what in HISTORY:
            for match in pattern.finditer(text):
                excerpt = _excerpt(text, match.start(), match.end())
                problems.append(f"{name}, cell {index}: {what} ({match[0]!r}): …{excerpt}…")
    return problems


@cache
def _readme_sections() -> frozenset[str]:
    headings = re.findall(r"^#+\s+(.*)$", (ROOT / "README.md").read_text(), re.MULTILINE)
    return frozenset(h.replace("`", "").strip().lower() for h in headings)


@cache
def _library_names() -> frozenset[str]:
    """Every name ``aeai_lib`` defines anywhere: functions, classes, methods, module and class
    attributes (``x = ...``, ``x: T``), attributes set on ``self``."""
    names: set[str] = set()
    for path in LIBRARY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
                    elif isinstance(leaf, ast.Attribute):
                        names.add(leaf.attr)
        names.add(path.stem)
    return frozenset(names)


@cache
def _file_modules() -> dict[str, str]:
    """The last name of each module file of ``aeai_lib`` (not packages) -> its dotted name."""
    modules = {}
    for path in LIBRARY.rglob("*.py"):
        if path.stem != "__init__":
            relative = path.relative_to(ROOT).with_suffix("")
            modules[path.stem] = ".".join(relative.parts)
    return modules


def _resolves_in_library(dotted: str) -> bool:
    """Whether ``aeai_lib.a.b.c`` imports (a module, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def _unresolved_code(token: str) -> str | None:
    """Why a backticked token does not resolve, or None (also for tokens that name no library
    object: parameters, values, shell commands)."""
    match = DOTTED.match(token.strip())
    if match is None or FILE_NAME.search(match[1]):
        return None
    dotted, call = match[1], match[2] == "("
    parts = dotted.split(".")
    if parts[0] == "aeai_lib":
        return None if _resolves_in_library(dotted) else f"`{dotted}` does not import"
    if parts[0] in EXTERNAL or (len(parts) == 1 and not call):
        return None
    if len(parts) == 1 and hasattr(builtins, parts[0]):
        return None
    if len(parts) == 2 and parts[0] in _file_modules():
        module = importlib.import_module(_file_modules()[parts[0]])
        return (
            None
            if hasattr(module, parts[1])
            else f"`{dotted}`: {module.__name__} has no {parts[1]}"
        )
    known = _library_names()
    missing = [part for part in parts[1:] or parts if part not in known]
    if missing:
        return f"`{dotted}`: aeai_lib defines no {', '.join(missing)}"
    return None


def check_references(name: str, cells: list[dict]) -> list[str]:
    """Each reference in the Markdown of ``name`` that does not resolve: a README section, a
    notebook, a library name or a path."""
    notebooks = {path.stem for path in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")}
    numbers = {stem[:2] for stem in notebooks}
    problems = []
    for index, text in _markdown(cells):
        where = f"{name}, cell {index}"
        for match in README_SECTION.finditer(text):
            if match[1].strip().lower() not in _readme_sections():
                problems.append(f"{where}: README has no section *{match[1]}*")
        for match in NOTEBOOK_NAME.finditer(text):
            if match[1] not in notebooks:
                problems.append(f"{where}: no notebook {match[1]}")
        for match in NOTEBOOK_NUMBER.finditer(text):
            for number in filter(None, match.groups()):
                if number not in numbers:
                    problems.append(f"{where}: no notebook {number} ({match[0]!r})")
        for code in BACKTICKS.findall(FENCE.sub("", text)):
            for path in PATH.findall(code):
                if not any(ROOT.glob(path.rstrip("/"))):
                    problems.append(f"{where}: no file {path}")
            if (why := _unresolved_code(code)) is not None:
                problems.append(f"{where}: {why}")
    return problems


def check_overview(overview: list[dict], notebooks: set[str]) -> list[str]:
    """What the table of notebook 00 (``| NN | name | ... |`` rows) misses or adds, against
    the notebook numbers ``notebooks``."""
    listed = {
        row
        for _, text in _markdown(overview)
        for row in re.findall(r"^\|\s*(\d\d)\s*\|", text, re.M)
    }
    problems = [
        f"00_overview's table does not list notebook {n}" for n in sorted(notebooks - listed)
    ]
    problems += [
        f"00_overview's table lists notebook {n}, not in notebooks/"
        for n in sorted(listed - notebooks)
    ]
    return problems


def _code(cell: dict) -> str:
    """A code cell's source as Python (IPython magics and shell lines blanked)."""
    lines = _source(cell).splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _bound_names(tree: ast.AST) -> list[tuple[str, int]]:
    """Every name ``tree`` binds at its top level or in nested blocks (not inside a function's
    or a comprehension's own scope), with its line."""
    bound: list[tuple[str, int]] = []

    def targets(node: ast.AST) -> None:
        for leaf in ast.walk(node):
            if isinstance(leaf, ast.Name) and isinstance(leaf.ctx, ast.Store | ast.Del):
                bound.append((leaf.id, leaf.lineno))

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                targets(target)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
            targets(node.target)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    targets(item.optional_vars)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.append(((alias.asname or alias.name).split(".")[0], node.lineno))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.append((node.name, node.lineno))
            return  # its body is its own scope
        elif isinstance(node, ast.NamedExpr):
            targets(node.target)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                targets(target)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.append((node.name, node.lineno))
        if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp):
            return
        if isinstance(node, ast.GeneratorExp):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return bound


def check_parameters_stay(name: str, cells: list[dict]) -> list[str]:
    """Each later binding of a name the ``parameters`` cell of ``name`` assigns."""
    tagged = [
        i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not tagged:
        return [f"{name}: no cell tagged parameters"]
    first = tagged[0]
    parameters = {n for n, _ in _bound_names(ast.parse(_code(cells[first])))}
    problems = []
    for index, cell in enumerate(cells[first + 1 :], start=first + 1):
        if cell["cell_type"] != "code":
            continue
        for bound, line in _bound_names(ast.parse(_code(cell))):
            if bound in parameters:
                problems.append(
                    f"{name}, cell {index}, line {line}: re-binds the parameter {bound!r}"
                )
    return problems


def check_summary_output(name: str, cells: list[dict]) -> list[str]:
    """What the ``summary`` cell of ``name`` shows a learner, and whether it holds the values."""
    summary = [c for c in cells if "summary" in c.get("metadata", {}).get("tags", [])]
    if len(summary) != 1:
        return [f"{name}: {len(summary)} cells tagged summary, not one"]
    outputs = summary[0].get("outputs", [])
    problems = []
    for output in outputs:
        shown = output.get("text") or output.get("data") or output.get("traceback")
        if shown:
            text = "".join(shown) if isinstance(shown, list) else str(shown)
            problems.append(f"{name}, summary cell: shows {output['output_type']} {text[:70]!r}")
    if not any(SUMMARY_METADATA_KEY in o.get("metadata", {}) for o in outputs):
        problems.append(f"{name}, summary cell: no values in an output's metadata (execute it)")
    return problems


# ------------------------------------------------------------------- on the series' notebooks


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


CHECKS: dict[str, Callable[[str, list[dict]], list[str]]] = {
    "history": check_history,
    "references": check_references,
    "parameters": check_parameters_stay,
    "summary output": check_summary_output,
}


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_the_notebook_reads_as_a_lesson(path: Path, check: str) -> None:
    problems = CHECKS[check](path.stem, _cells(path))
    assert not problems, "\n".join(problems)


def test_the_overview_lists_every_notebook() -> None:
    numbers = {path.stem[:2] for path in _notebooks()}
    problems = check_overview(_cells(NOTEBOOK_DIR / "00_overview.ipynb"), numbers)
    assert not problems, "\n".join(problems)


def test_the_exempt_notebooks_exist() -> None:
    assert {path.stem for path in _notebooks()} >= HISTORY_EXEMPT


# ---------------------------------------------------------------- each check, on a planted fault


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _py(text: str, tags: tuple[str, ...] = (), outputs: list | None = None) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": list(tags)},
        "source": text,
        "outputs": outputs or [],
    }


@pytest.mark.parametrize(
    "text",
    [
        "defaults chosen by the search of issue #10",
        "the gap that Issue 10 asks for",
        "the sweep command (#13)",
        "This session's compute trained three seeds",
        "the old version of this notebook",
        "the old shipped AE+A",
        "AE+C is not shipped yet",
        "its other seeds are not trained yet",
        "CI runs it",
        "the test suite checks the values",
        "nbval compares the outputs",
        "checked by `tests/test_notebook_prose.py`",
    ],
)
def test_a_history_phrase_is_refused(text: str) -> None:
    (problem,) = check_history("99_example", [_md(f"Some prose: {text}.")])
    assert "99_example, cell 0" in problem


def test_history_is_read_in_prose_only_and_the_exempt_notebook_may_name_it() -> None:
    cells = [
        _md("MSE 0.1<!-- claim: issue_10 > 0 --> and a civic #hashtag-free text"),
        _py("# issue #10"),
    ]
    assert check_history("99_example", cells) == []
    HISTORY_EXEMPT.add("99_tested")
    try:
        assert check_history("99_tested", [_md("the test suite, nbval and CI")]) == []
    finally:
        HISTORY_EXEMPT.discard("99_tested")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see README, *A sweep on several machines*", None),
        ("(README, *Batch runs*)", "README has no section *Batch runs*"),
        ("as in 07_full_aeai", None),
        ("as in 07_full_aea", "no notebook 07_full_aea"),
        ("notebooks 03–07 take them one at a time", None),
        ("notebook 13 shows it", "no notebook 13"),
        ("`aeai_lib.evaluation.reencoding`", None),
        ("`aeai_lib.losses.decode_with_velocity`", None),
        ("`aeai_lib.losses.decode_with_speed`", "does not import"),
        ("`aeai_lib.evaluation.reencodings`", "does not import"),
        ("`pole.render(θ, φ)`", None),
        ("`pole.draw(θ, φ)`", "aeai_lib.data.pole has no draw"),
        ("`evaluate_model(model, data)`", None),
        ("`evaluate_models(model, data)`", "aeai_lib defines no evaluate_models"),
        ("`len(data)` and `retrain` and `torch.randn(2)` and `results.csv`", None),
        ("`aeai_lib/evaluation/measures.py`", None),
        ("`aeai_lib/evaluation/measure.py`", "no file aeai_lib/evaluation/measure.py"),
        ("`python scripts/train_checkpoints.py --jobs x`", None),
        ("`python scripts/train_checkpoint.py --jobs x`", "no file scripts/train_checkpoint.py"),
    ],
)
def test_a_reference_that_does_not_resolve_is_reported(text: str, expected: str | None) -> None:
    problems = check_references("99_example", [_md(text)])
    if expected is None:
        assert problems == []
    else:
        (problem,) = problems
        assert expected in problem, problem


def test_the_overview_check_finds_a_missing_and_an_extra_notebook() -> None:
    table = "| # | notebook |\n|---|---|\n| 00 | overview |\n| 01 | mismatch |\n| 14 | extra |"
    problems = check_overview([_md(table)], {"00", "01", "12"})
    assert problems == [
        "00_overview's table does not list notebook 12",
        "00_overview's table lists notebook 14, not in notebooks/",
    ]
    assert check_overview([_md(table)], {"00", "01", "14"}) == []


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        ("print(comparison)\nresult = {k: 1 for k in range(3)}", None),
        ("comparison = {'AE': 1}", "cell 2, line 1: re-binds the parameter 'comparison'"),
        ("steps += 1", "re-binds the parameter 'steps'"),
        ("for seed in range(3):\n    pass", "re-binds the parameter 'seed'"),
        ("from math import tau as seed", "re-binds the parameter 'seed'"),
        ("with open('x') as steps:\n    pass", "re-binds the parameter 'steps'"),
        ("def helper(seed):\n    seed = 2\n    return seed", None),
        ("if (steps := 4):\n    pass", "re-binds the parameter 'steps'"),
        ("%matplotlib inline\nvalues = [seed for seed in range(2)]", None),
    ],
)
def test_a_re_bound_parameter_is_reported(later: str, expected: str | None) -> None:
    cells = [
        _py("comparison = 'alone'  # a choice\nseed = 0\nsteps = 10", ("parameters",)),
        _md("Prose."),
        _py(later),
    ]
    problems = check_parameters_stay("99_example", cells)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0], problems


def test_a_summary_cell_that_shows_its_values_is_reported() -> None:
    silent = {
        "output_type": "display_data",
        "data": {},
        "metadata": {SUMMARY_METADATA_KEY: {"mse": 0.1}},
    }
    printed = {"output_type": "stream", "name": "stdout", "text": 'SUMMARY {"mse": 0.1}\n'}
    drawn = {
        "output_type": "execute_result",
        "data": {"text/plain": "{'mse': 0.1}"},
        "metadata": {},
        "execution_count": 3,
    }
    assert (
        check_summary_output("99_example", [_py("report_summary()", ("summary",), [silent])]) == []
    )
    (shown,) = check_summary_output("99_example", [_py("x", ("summary",), [silent, printed])])
    assert "shows stream 'SUMMARY" in shown
    problems = check_summary_output("99_example", [_py("x", ("summary",), [drawn])])
    assert "shows execute_result" in problems[0] and "no values" in problems[1]
    assert "0 cells tagged summary" in check_summary_output("99_example", [_py("x")])[0]


def test_a_printed_summary_is_rewritten_as_the_silent_output(tmp_path: Path) -> None:
    """``scripts/refresh_notebooks.py --summary-only``: what mends a summary cell that still
    shows its values without executing the notebook again."""
    import importlib.util

    import nbformat

    from aeai_lib.series import read_summary

    spec = importlib.util.spec_from_file_location("refresh", ROOT / "scripts/refresh_notebooks.py")
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    printed = nbformat.v4.new_output("stream", name="stdout", text='SUMMARY {"mse": 0.1}\n')
    cell = nbformat.v4.new_code_cell("report_summary(mse=0.1)", outputs=[printed])
    cell.metadata["tags"] = ["summary"]
    path = tmp_path / "99_example.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert check_summary_output("99_example", _cells(path))  # the fault, before
    assert refresh.summary_to_metadata(path) == 1
    assert check_summary_output("99_example", _cells(path)) == []
    assert read_summary(path) == {"mse": 0.1}
