"""Every notebook under papermill with injected (fast) parameters, its key numbers asserted.

nbval checks the stored outputs separately (``pytest notebooks/`` with ``--nbval``, part of the
default run) with every decimal number masked (``tests/nbval_sanitize.cfg``), since those differ
between processors; here the notebooks run with other parameters, as a researcher's sweep
would, and the numbers a reader's conclusion depends on are checked with tolerances: as
relations (AEAI's boundary error is more than 10x the AE's) or ranges wide enough for any CPU.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest
import tomllib
from nbval.plugin import get_sanitize_patterns

from aeai_lib.evaluation.report import manifest_runs, manifest_summary
from aeai_lib.series import NOTEBOOK_DIR, read_summary
from aeai_lib.zoo import CHECKPOINT_DIR, ROW_LABELS

SANITIZER = Path(__file__).with_name("nbval_sanitize.cfg")
MANIFEST = CHECKPOINT_DIR / "MANIFEST.json"
SOLUTION = re.compile(
    r"<details>\s*<summary>[^<]*Solution[^<]*</summary>(.*?)</details>", re.DOTALL
)
FENCED_PYTHON = re.compile(r"```python\n(.*?)```", re.DOTALL)

# notebook -> (injected parameters, check of its summary)
CASES = {
    "00_overview": (
        {"size": 32, "n_thetas_shown": 2, "n_phis_shown": 3, "n_lines_shown": 4},
        lambda s: (
            s["pole_images"] == 576
            and s["pole_test"] == 115
            and 0 < s["phi_half_degree_change"] < s["phi_five_degree_change"]
        ),
    ),
    "01_distribution_mismatch": (
        {"dims": [2, 16], "n_samples": 2000},
        lambda s: (
            abs(s["lerp_midpoint_norm_ratio"] - 2**-0.5) < 0.02
            and abs(s["lerp_kl_largest_dim"] / s["analytic_kl_largest_dim"] - 1) < 0.15
            and abs(s["normalized_kl_largest_dim"]) < 0.1 * s["lerp_kl_largest_dim"]
            and s["uniform_tv_lerp"] > 0.1
        ),
    ),
    "02_plain_autoencoder": (
        {"n_pairs": 6, "alpha_intervals": 8, "lines_pairs": 4},
        lambda s: (
            s["ae_mse_mid"] > 5 * s["ae_boundary_error"]
            and s["ae_mse_mid"] < s["crossfade_mse_mid"]
            and s["ae_alpha_error"] > 0.05
            and s["ae_speed_ratio"] > 1.5
            and s["ae_shadow_share_true"] < 0.6
            and min(s["slerp_mse_mid"], s["normalized_mse_mid"]) > 0.9 * s["ae_mse_mid"]
            and s["lines_smoothness"] > 0.5
            and s["crossfade_alpha_error"] > s["ae_alpha_error"]
            and 0 < s["lines_mean_distance"] < 0.01
        ),
    ),
    "03_reconstruction_loss": (
        {"tiny_steps": 150, "n_pairs": 6},
        lambda s: (
            s["ae_mse_mid"] > 5 * s["ae_boundary_error"]
            and s["untrained_boundary_error"] > 10 * s["ae_boundary_error"]
            and abs(s["warped_boundary_error"] / s["ae_boundary_error"] - 1) < 1e-3
            and s["warped_path_change"] > s["ae_boundary_error"]
            and all(
                last > first
                for first, last in zip(s["tiny_ratio_first"], s["tiny_ratio_last"], strict=True)
            )
            # the live tiny autoencoders (150 steps) reconstruct 5x better than untrained ones
            and all(0 < b < 0.2 * s["untrained_boundary_error"] for b in s["tiny_boundary_error"])
            # an untrained decoder ignores its code: as far from the truth mid-path as at the ends
            and abs(s["untrained_mse_mid"] / s["untrained_boundary_error"] - 1) < 0.05
            and abs(s["warped_mse_mid"] / s["ae_mse_mid"] - 1) < 0.2
        ),
    ),
    "04_adversarial_loss": (
        {"n_pairs": 6, "alpha_intervals": 8},
        lambda s: (
            # the paper's lambda_A = 0.01 of sums as a weight of means: 0.01 (M + 1) / (2 C H W)
            abs(s["paper_adv_mean_weight"] / (0.01 * 17 / (2 * 3 * 64 * 64)) - 1) < 1e-5
            # the lesson: D wins and held-out reconstruction climbs back from its best
            and s["collapse_d_accuracy_end"] > 0.95
            and s["collapse_val_end"] > 1.5 * s["collapse_val_min"]
            # the balanced runs: D between chance and winning, no collapse (issue #10)
            and all(
                0.55 <= s[f"{run}_d_accuracy_end"] <= 0.95
                and s[f"{run}_val_end"] <= 1.5 * s[f"{run}_val_min"]
                for run in ("ae_a_c", "ae_a_c_s")
            )
            and max(s["ae_a_c_test_mse"], s["ae_a_c_s_test_mse"]) <= 3 * s["ae_test_mse"]
            # more credible mid-path than AE, by the nearest-real-image measure
            and s["ae_a_c_s_credibility_mid"] < s["ae_credibility_mid"]
            # full AEAI's discriminator learned: real test images above its own interpolants
            and s["d_ae_a_c_s_real_mean"] > s["d_ae_a_c_s_ae_a_c_s_mean"]
        ),
    ),
    "05_cycle_consistency": (
        {"n_pairs": 6, "alpha_intervals": 8, "pair_index": 3},
        lambda s: (
            s["ae_a_c_drift_mid"] < 0.5 * s["ae_drift_mid"]
            and s["ae_a_c_drift_mid_pairs_better"] == s["n_pairs_measured"] == 6
            and s["ae_a_c_alpha_back_error"] < s["ae_alpha_back_error"]
            and s["ae_a_c_alpha_error"] < s["ae_alpha_error"]
            and s["ae_a_c_mse_mid"] < s["ae_mse_mid"]
            and s["ae_a_c_reconstruction_mse"] > s["ae_reconstruction_mse"]
            and 0.55 <= s["ae_a_c_d_accuracy_end"] <= 0.95  # a balanced game, no collapse
        ),
    ),
    "06_smoothness": (
        {"grid_sizes": [2, 8, 32], "speed_intervals": 8, "draws": 4},
        lambda s: (
            s["jvp_fd_gap_largest_m"] < 0.02 < s["jvp_fd_gap_smallest_m"]
            # training's sibling estimate of L_S is close to the exact one on average; the
            # former JVP at 2 points and the ends is biased low on the AE's uneven path
            and all(abs(s[f"sibling_bias_{m}"]) < 0.3 for m in ("ae", "without", "with"))
            and s["jvp2_bias_ae"] < -0.15
            and s["truth_pair_norm_rate"] < 0.01 * s["truth_pair_speed"]
            # AE+A+C and AEAI move at an even pace, the AE does not; the truth at constant speed
            and max(s["speed_ratio_with"], s["speed_ratio_without"]) < 0.5 * s["speed_ratio_ae"]
            and max(s["timing_with"], s["timing_without"]) < 1.05 < s["timing_ae"]
            and abs(s["speed_ratio_truth"] - 1) < 0.05
            and s["shape_truth"] > 1.5 * max(s["shape_with"], s["shape_without"], s["shape_ae"])
            and s["mean_speed_truth"] > 1.5 * max(s["mean_speed_with"], s["mean_speed_ae"])
            and s["mse_mid_with"] < s["mse_mid_ae"]
            and s["pole_ae_seeds"] >= 1
        ),
    ),
    "07_full_aeai": (
        {"n_pairs": 6, "curve_max_pairs": 2, "lines_pairs": 4, "lines_steps": 8},
        lambda s: (
            s["n_pairs_measured"] == 6
            and s["pole_aeai_mse_mid"] < 0.8 * s["pole_ae_mse_mid"]
            and s["pole_ae_a_c_mse_mid"] < 0.8 * s["pole_ae_mse_mid"]
            and s["pole_aeai_alpha_error"] < 0.5 * s["pole_ae_alpha_error"]
            and s["pole_aeai_speed_ratio"] < s["pole_ae_speed_ratio"]
            and s["pole_aeai_drift_mid"] < 0.5 * s["pole_ae_drift_mid"]
            and s["pole_aeai_reconstruction_mse"] < 3 * s["pole_ae_reconstruction_mse"]
            and s["worst_final_over_lowest"] <= 1.5
            and 0.55 <= s["d_accuracy_end_min"] <= s["d_accuracy_end_max"] <= 0.95
            and s["lines_truth_smoothness"] < 0.01 < s["lines_ae_smoothness"]
            and 0 < s["lines_ae_mean_distance"] < s["lines_crossfade_mean_distance"]
            and 0 < s["lines_aeai_mean_distance"] < s["lines_crossfade_mean_distance"]
            # the seeds' table is the manifest's, read through the library
            and s["seeds_pole_ae_seeds"] == len(manifest_runs(MANIFEST)["pole"]["AE"])
        ),
    ),
    "08_advai": (
        {"toy_priors": ["gaussian", "annulus"], "n_paths": 2, "n_pairs": 8},
        lambda s: (
            s["gaussian_mmd_factor"] > 2
            and s["annulus_mmd_factor"] > 2
            and s["annulus_tv_factor"] > 1.5
            and s["gaussian_tv_factor"] > 1.2
            and s["ae_mse_mid"] < s["advai_lerp_mse_mid"]
            and s["ae_alpha_error"] < s["advai_lerp_alpha_error"]
            and s["advai_advai_latent_mmd"] < s["advai_lerp_latent_mmd"]
            and s["latent_codes_lerp_norm"] < s["latent_codes_advai_norm"] < s["latent_codes_norm"]
            and s["latent_prior_advai_mmd_prior"] < 0.7 * s["latent_prior_lerp_mmd_prior"]
        ),
    ),
    "09_latent_explorer": (
        {"alpha": 0.25},
        lambda s: (
            all(0 < s[f"{name}_truth_mse_mid"] < 0.05 for name in ("pole_ae", "pole_aeai"))
            and all(s[f"{name}_nearest_mse_mid"] > 0 for name in ("pole_ae", "pole_aeai"))
        ),
    ),
    "10_comparison": (
        {
            **{"train_steps": 20, "lines_seeds": [0, 1], "max_pairs": 4, "curve_max_pairs": 1},
            **{"lines_pairs": 4, "lines_steps": 8, "gif_path": "../outputs/10_test.gif"},
        },
        lambda s: (
            s["n_pole_models"] == 7
            and s["n_lines_runs"] == 14
            and all(0 < s[f"mse_mid_{m}"] < 0.1 for m in ("ae", "aeai", "aae", "acai", "amr"))
            and all(s[f"boundary_{m}"] > 0 for m in ("aae", "acai", "beta_vae", "gaia", "amr"))
        ),
    ),
    "11_recap": (
        {"manifest": str(MANIFEST)},
        # the recap's numbers are the manifest's, through the library (rounded to 6 digits)
        lambda s: (
            s.keys()
            == (expected := manifest_summary(manifest_runs(MANIFEST, labels=ROW_LABELS))).keys()
            and all(abs(s[k] - v) <= 1e-5 * abs(v) for k, v in expected.items())
        ),
    ),
    "12_tuning": (
        {"train_steps": 20, "validation_pairs": 4},
        lambda s: (  # a 20-step model: not trained, but measured on the 4 validation pairs
            s["train_steps"] == 20
            and 0 < s["val_reconstruction_min"] <= s["val_reconstruction_final"] < 0.1
            and 0 < s["val_mse_mid"] < 0.1
            and 0 <= s["val_alpha_error"] <= 0.5
            and s["yardstick_seeds"] == 3  # AE and AEAI's defaults, each over three seeds
            and all(0 < s[f"yardstick_{m}_val_mse_mid"] < 0.1 for m in ("ae", "aeai"))
            and all(s[f"yardstick_{m}_val_mse_mid_std"] >= 0 for m in ("ae", "aeai"))
        ),
    ),
}

# notebook -> (a parameter of the wrong type or out of range, the name the error must give)
BAD_PARAMETERS = {
    "00_overview": ({"size": "large"}, "size"),
    "01_distribution_mismatch": ({"n_samples": -5}, "n_samples"),
    "02_plain_autoencoder": ({"interval": 7}, "interval"),
    "03_reconstruction_loss": ({"tiny_steps": 5}, "tiny_steps"),
    "04_adversarial_loss": ({"alpha_intervals": 1}, "alpha_intervals"),
    "05_cycle_consistency": ({"alpha_intervals": 1}, "alpha_intervals"),
    "06_smoothness": ({"derivative_model": "pole_vae"}, "derivative_model"),
    "07_full_aeai": ({"curve_max_pairs": 0}, "curve_max_pairs"),
    "08_advai": ({"toy_steps": "many"}, "toy_steps"),
    "09_latent_explorer": ({"alpha": 1.5}, "alpha"),
    "10_comparison": ({"image_size": 48}, "image_size"),
    "11_recap": ({"manifest": 5}, "manifest"),
    "12_tuning": ({"lambda_adv": -0.1}, "lambda_adv"),
}


def with_solutions(notebook: dict) -> dict:
    """The notebook with the Python code of every ``<details>`` solution of its Markdown
    inserted as a code cell right after it, so that executing it runs the solutions too."""
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        if cell["cell_type"] != "markdown":
            continue
        for solution in SOLUTION.findall("".join(cell["source"])):
            for block in FENCED_PYTHON.findall(solution):
                cells.append(nbformat.v4.new_code_cell(block))
    return {**notebook, "cells": cells}


def _execute(name: str, parameters: dict, out_dir: Path, solutions: bool = False) -> Path:
    output = out_dir / f"{name}.ipynb"
    source = NOTEBOOK_DIR / f"{name}.ipynb"
    if solutions:  # a copy in out_dir; it runs from NOTEBOOK_DIR all the same (cwd)
        notebook = with_solutions(json.loads(source.read_text()))
        source = out_dir / f"{name}_with_solutions.ipynb"
        nbformat.write(nbformat.from_dict(notebook), source)
    papermill.execute_notebook(
        str(source),
        str(output),
        parameters=parameters,
        cwd=str(NOTEBOOK_DIR),
        kernel_name="python3",
        progress_bar=False,
    )
    return output


def test_every_notebook_has_a_case() -> None:
    names = {path.stem for path in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")}
    assert names == set(CASES) == set(BAD_PARAMETERS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs_with_injected_parameters(name: str, tmp_path: Path) -> None:
    """...and with the code of its exercises' solutions run after each exercise."""
    parameters, check = CASES[name]
    summary = read_summary(_execute(name, parameters, tmp_path, solutions=True))
    assert summary, f"{name} printed no SUMMARY line"
    assert check(summary), f"{name}: unexpected key results {summary}"


def test_the_solutions_are_run_after_their_exercise() -> None:
    exercise = (
        "**Exercise.** Print 2.\n\n<details>\n<summary>Solution (click to show)</summary>\n\n"
    )
    exercise += "```python\nprint(2)\n```\n\nIt prints 2.\n</details>"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(exercise), nbformat.v4.new_code_cell("x = 1")]
    )
    cells = with_solutions(notebook)["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "code"]
    assert cells[1]["source"] == "print(2)\n"
    assert with_solutions(nbformat.v4.new_notebook(cells=cells[2:]))["cells"] == cells[2:]


@pytest.mark.parametrize("name", sorted(BAD_PARAMETERS))
def test_bad_parameter_stops_at_the_parameters_cell(name: str, tmp_path: Path) -> None:
    parameters, parameter_name = BAD_PARAMETERS[name]
    with pytest.raises(papermill.PapermillExecutionError) as error:
        _execute(name, parameters, tmp_path)
    assert error.value.ename == "ParameterError"
    assert repr(parameter_name) in error.value.evalue


def test_a_misspelt_parameter_through_plain_papermill_is_refused_by_name(tmp_path: Path) -> None:
    """``papermill 01.ipynb out.ipynb -p seeed 3`` only warned and ran with seed = 0 (issue 27
    row 6, nteract/papermill#818); the notebook's own check now stops it, naming it."""
    with pytest.raises(papermill.PapermillExecutionError) as error:
        _execute("01_distribution_mismatch", {"seeed": 3}, tmp_path)
    assert error.value.ename == "ParameterError"
    assert "unknown parameter(s) 'seeed'" in error.value.evalue
    assert "its parameters are: dims, n_samples, seed" in error.value.evalue


# ---------------------------------------------------- list parameters (issue #16, row 10)


def _parameters(name: str) -> dict:
    """The defaults of a notebook's ``parameters``-tagged cell."""
    cells = json.loads((NOTEBOOK_DIR / f"{name}.ipynb").read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    tree = ast.parse("".join(cell["source"]))
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
    }


LIST_PARAMETERS = [
    (name, parameter)
    for name in sorted(CASES)
    for parameter, default in _parameters(name).items()
    if isinstance(default, list)
]


def test_the_list_parameters_are_found() -> None:
    assert {name[:2] for name, _ in LIST_PARAMETERS} == {
        "01",
        "03",
        "04",
        "06",
        "08",
        "09",
        "10",
        "12",
    }


@pytest.mark.parametrize(("name", "parameter"), LIST_PARAMETERS)
def test_an_empty_list_parameter_stops_at_the_parameters_cell(
    name: str, parameter: str, tmp_path: Path
) -> None:
    """``-y "dims: []"`` passed the parameters cell and failed deep inside (IndexError in 01,
    ValueError in 06); every list parameter now stops at its check with a ParameterError."""
    with pytest.raises(papermill.PapermillExecutionError) as error:
        _execute(name, {parameter: []}, tmp_path)
    assert error.value.ename == "ParameterError"
    assert f"parameter {parameter!r} must list at least" in error.value.evalue
    assert (
        f'check_list_parameter("{parameter}"' in error.value.source
        or "check_notebook_parameters(" in error.value.source  # the notebook's one check
    )


# ---------------------------------------------------- what nbval compares (issue #16)


def _sanitize(text: str) -> str:
    """The text as nbval compares it, after the patterns of tests/nbval_sanitize.cfg."""
    for regex, replace in get_sanitize_patterns(SANITIZER.read_text()):
        text = re.sub(regex, replace, text)
    return text


def _stored_texts() -> list[tuple[str, str]]:
    """(where, text) of every stored text output nbval compares, in every notebook."""
    texts = []
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            if "nbval-ignore-output" in cell["metadata"].get("tags", []):
                continue
            for output in cell.get("outputs", []):
                text = output.get("text") or output.get("data", {}).get("text/plain", "")
                texts.append((f"{path.stem} cell {index}", "".join(text)))
    return texts


def _other_machine(text: str) -> str:
    """The text as another processor might print it: every decimal number (found here
    independently of the sanitizer) changed in its 3rd digit, some one digit longer."""

    def changed(match: re.Match) -> str:
        token = match.group()
        try:
            value = float(token)
        except ValueError:  # e.g. a version number 2.13.0
            return token
        return f"{value * 1.0123 + 1e-9:.5g}"

    decimal = r"(?<![\w.])[-+]?(?:\d*\.\d+|\d+\.\d*|\d+(?=[eE]))(?:[eE][-+]?\d+)?(?![\w.])"
    return re.sub(decimal, changed, text)


def test_nbval_runs_with_the_sanitizer() -> None:
    pyproject = tomllib.loads((SANITIZER.parent.parent / "pyproject.toml").read_text())
    addopts = pyproject["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "--nbval" in addopts
    assert f"--nbval-sanitize-with=tests/{SANITIZER.name}" in addopts


def test_nbval_ignores_decimal_numbers_in_every_stored_output() -> None:
    """Every stored output still compares equal when its decimal numbers change as they do
    between processors (3rd digit, length, alignment)..."""
    texts = _stored_texts()
    assert len(texts) > 100
    changed = 0
    for where, text in texts:
        other = _other_machine(text)
        changed += other != text
        assert _sanitize(other) == _sanitize(text), where
    # of about 150 outputs (figures included), about 60 print decimals (the summaries are
    # silent metadata, not printed)
    assert changed >= 55


def test_nbval_still_compares_words_and_integers() -> None:
    """...while words, labels and integers (counts, shapes, indices) are compared exactly."""
    texts = _stored_texts()
    counts = next(text for where, text in texts if "576 images" in text)
    assert "576" in _sanitize(counts) and "(3, 64, 64)" in _sanitize(counts).replace("\n", " ")
    for where, text in texts:
        words = set(re.findall(r"[^\W\d_]{3,}", text))
        assert words <= set(re.findall(r"[^\W\d_]{3,}", _sanitize(text))), where
        integers = re.sub(r"(?<![\d.eE+-])(\d+)(?![\d.eE])", lambda m: str(int(m[1]) + 1), text)
        if integers != text:
            assert _sanitize(integers) != _sanitize(text), where
    assert _sanitize("pole_images 576 images") != _sanitize("pole_images 577 images")
    assert _sanitize("AE (lerp) 0.127") != _sanitize("AE (slerp) 0.127")
