"""Every notebook under papermill with injected (fast) parameters, its key numbers asserted.

nbval checks the stored outputs separately (``pytest notebooks/`` with ``--nbval``, part of the
default run); here the notebooks run with other parameters, as a researcher's sweep would, and
the numbers a reader's conclusion depends on are checked with tolerances.
"""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest

from aeai_lib.series import NOTEBOOK_DIR, read_summary

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
        ),
    ),
    "04_adversarial_loss": (
        {"n_pairs": 6, "alpha_intervals": 8},
        lambda s: (
            s["ae_a_credibility"] > s["ae_credibility"]
            and s["ae_a_mse_mid"] > 0.8 * s["ae_mse_mid"]
            and abs(s["ae_a_d_mid"] - s["real_test_d"]) < 0.05
            and abs(s["ae_d_mid"] - s["real_test_d"]) < 0.05
        ),
    ),
    "05_cycle_consistency": (
        {"grid_intervals": 8, "pair_index": 3},
        lambda s: (
            s["drift_mid_with"] < 0.6 * s["drift_mid_without"]
            and s["alpha_back_error_with"] < s["alpha_back_error_without"]
            and s["mse_mid_with"] > s["mse_mid_without"]
            and s["boundary_with"] > 2 * s["boundary_without"]
        ),
    ),
    "06_smoothness": (
        {"grid_sizes": [2, 8, 32], "speed_intervals": 8, "timing_repeats": 1},
        lambda s: (
            s["jvp_fd_gap_largest_m"] < 0.02 < s["jvp_fd_gap_smallest_m"]
            and s["speed_ratio_with"] < s["speed_ratio_without"]
            and s["timing_with"] < s["timing_without"]
            and s["chord_ratio_with"] < 0.5 * s["chord_ratio_without"]
            and s["mse_mid_with"] > s["mse_mid_without"]
            and s["shape_truth"] > 5 * s["shape_without"]
        ),
    ),
    "07_full_aeai": (
        {"max_pairs": 6, "curve_max_pairs": 2, "lines_pairs": 4, "lines_steps": 8},
        lambda s: (
            s["mse_mid_pole_aeai"] > 2 * s["mse_mid_pole_ae"]
            and s["boundary_pole_aeai"] > 10 * s["boundary_pole_ae"]
            and s["alpha_error_pole_aeai"] > s["alpha_error_pole_ae"]
            and s["speed_ratio_pole_aeai"] < s["speed_ratio_pole_ae"]
            and s["alpha_error_pole_ae_a_c"] < s["alpha_error_pole_ae"]
            and s["mean_distance_lines_aeai"] > 3 * s["mean_distance_lines_ae"]
        ),
    ),
    "08_advai": (
        {"toy_priors": ["gaussian", "annulus"], "n_paths": 2, "n_pairs": 8},
        lambda s: (
            s["gaussian_mmd_factor"] > 2
            and s["annulus_mmd_factor"] > 2
            and s["annulus_tv_factor"] > 1.5
            and s["ae_mse_mid"] < s["advai_lerp_mse_mid"]
            and s["ae_alpha_error"] < s["advai_lerp_alpha_error"]
            and s["advai_advai_latent_mmd"] < s["advai_lerp_latent_mmd"]
            and s["codes_lerp_mid_norm"] < s["codes_advai_mid_norm"] < s["codes_norm"]
            and s["prior_advai_mid_mmd"] < 0.7 * s["prior_lerp_mid_mmd"]
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
            and 1 <= s["aeai_rank_mse_mid"] <= 7
            and all(s[f"boundary_{m}"] > 0 for m in ("aae", "acai", "beta_vae", "gaia", "amr"))
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
    "05_cycle_consistency": ({"grid_intervals": 1}, "grid_intervals"),
    "06_smoothness": ({"derivative_model": "pole_vae"}, "derivative_model"),
    "07_full_aeai": ({"curve_max_pairs": 0}, "curve_max_pairs"),
    "08_advai": ({"toy_steps": "many"}, "toy_steps"),
    "09_latent_explorer": ({"alpha": 1.5}, "alpha"),
    "10_comparison": ({"image_size": 48}, "image_size"),
}


def _execute(name: str, parameters: dict, out_dir: Path) -> Path:
    output = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"),
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
    parameters, check = CASES[name]
    summary = read_summary(_execute(name, parameters, tmp_path))
    assert summary, f"{name} printed no SUMMARY line"
    assert check(summary), f"{name}: unexpected key results {summary}"


@pytest.mark.parametrize("name", sorted(BAD_PARAMETERS))
def test_bad_parameter_stops_at_the_parameters_cell(name: str, tmp_path: Path) -> None:
    parameters, parameter_name = BAD_PARAMETERS[name]
    with pytest.raises(papermill.PapermillExecutionError) as error:
        _execute(name, parameters, tmp_path)
    assert error.value.ename == "ParameterError"
    assert repr(parameter_name) in error.value.evalue
