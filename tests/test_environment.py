"""environment.yml (for conda users) stays in sync with pyproject.toml (the single source)."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name where they differ


def _parse(requirement: str) -> tuple[str, str]:
    name, bound = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip()).groups()
    return name.lower(), bound.replace(" ", "")


def test_environment_yml_matches_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_parse(r) for r in project["dependencies"])
    wanted |= dict(_parse(r) for r in project["optional-dependencies"]["notebooks"])
    wanted = {CONDA_NAMES.get(name, name): bound for name, bound in wanted.items()}

    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    conda = dict(_parse(d) for d in environment["dependencies"] if isinstance(d, str))
    conda.pop("pip")
    conda.pop("python")
    assert conda == wanted


def test_environment_yml_installs_the_package_through_pip():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-e .[notebooks]"]


def test_constraints_pin_the_cpu_torch_build_that_pyproject_admits():
    constraints = (ROOT / "constraints-cpu.txt").read_text().split()
    pins = [line for line in constraints if line.startswith("torch==")]
    assert pins == ["torch==2.13.0"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_bound = next(r for r in project["dependencies"] if r.startswith("torch"))
    minimum = tuple(int(p) for p in torch_bound.split(">=")[1].split("."))
    assert minimum <= (2, 13, 0)
