"""What each notebook's papermill parameters accept, checked by one call per notebook.

A notebook's ``parameters`` cell assigns its defaults; the cell after it calls
``check_notebook_parameters("NN_name", globals())``, which stops a bad value (wrong type, out
of range, an empty list) with a :class:`~aeai_lib.notebook.ParameterError` that names the
parameter, before anything slow runs. The specs live here, one dict per notebook, so that the
learner reads one line instead of a block of checks; ``tests/test_notebook_rules.py`` checks
that every notebook that makes the call declares exactly the parameters of its cell.

A check that depends on data (the largest ``pair_index`` is the number of pairs found) stays
in the notebook, next to the data, as one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aeai_lib.data import pole
from aeai_lib.notebook import Parameter, check_parameters
from aeai_lib.priors import PRIORS
from aeai_lib.validation import check_choice
from aeai_lib.zoo import RUNS

_INTERVALS = tuple(range(5, 180, 5))  # degrees of phi between a pair's images
_SEED = Parameter(int, minimum=0)
_RETRAIN = Parameter(bool)
_STEPS = Parameter(int, minimum=1)
_WEIGHT = Parameter((int, float), minimum=0)  # a loss term's weight (0: the term is off)
_TEST_PAIRS = {  # the pole test pairs `interval` degrees of phi apart, and the one shown
    "interval": Parameter(int, choices=_INTERVALS),
    "pair_index": Parameter(int, minimum=0),
    "n_pairs": Parameter(int, minimum=1),
}

NOTEBOOK_PARAMETERS: dict[str, dict[str, Parameter]] = {
    "00_overview": {
        "size": Parameter(int, minimum=16, maximum=512),
        "n_thetas_shown": Parameter(int, minimum=1, maximum=len(pole.THETAS)),
        "n_phis_shown": Parameter(int, minimum=1, maximum=len(pole.PHIS)),
        "n_lines_shown": Parameter(int, minimum=1, maximum=64),
        "seed": _SEED,
    },
    "01_distribution_mismatch": {
        "dims": Parameter(int, minimum=1, maximum=4096, is_list=True),
        "n_samples": Parameter(int, minimum=100),
        "seed": _SEED,
    },
    "02_plain_autoencoder": {
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "seed": _SEED,
        **_TEST_PAIRS,
        "alpha_intervals": Parameter(int, minimum=2, maximum=64),
        "lines_pairs": Parameter(int, minimum=1, maximum=256),
    },
    "03_reconstruction_loss": {
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "seed": _SEED,
        **_TEST_PAIRS,
        "warp_power": Parameter(float, minimum=0.05, maximum=20),  # exponent p of T(z)
        "tiny_steps": Parameter(int, minimum=50, maximum=5000),
        "tiny_seeds": Parameter(int, minimum=0, is_list=True),
    },
    "05_cycle_consistency": {
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "seed": _SEED,
        **_TEST_PAIRS,
        "alpha_intervals": Parameter(int, minimum=2, maximum=64),
        "compare_ae_c": Parameter(bool),
    },
    "07_full_aeai": {
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "single_terms": Parameter(bool),
        "seed": _SEED,
        **_TEST_PAIRS,
        "curve_max_pairs": Parameter(int, minimum=1),
        "lines_pairs": Parameter(int, minimum=1, maximum=256),
        "lines_steps": Parameter(int, minimum=3, maximum=64),
        "gif_path": Parameter(str),
        "manifest": Parameter((str, type(None))),
    },
    "04_adversarial_loss": {
        "retrain": _RETRAIN,
        "train_steps": Parameter((int, type(None))),  # None: each run's own steps
        "seed": _SEED,
        "adversarial_runs": Parameter(
            str, choices=("pole_ae_a", "pole_ae_a_c", "pole_aeai"), is_list=True
        ),
        **_TEST_PAIRS,
        "alpha_intervals": Parameter(int, minimum=2, maximum=64),
    },
    "06_smoothness": {
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "seed": _SEED,
        "interval": _TEST_PAIRS["interval"],
        "pair_index": _TEST_PAIRS["pair_index"],
        "grid_sizes": Parameter(int, minimum=1, maximum=1024, is_list=True),
        "speed_intervals": Parameter(int, minimum=2, maximum=64),
        "draws": Parameter(int, minimum=2, maximum=256),
        # "aeai": AE+A+C against the full AEAI; "alone": AE against AE+S (L_S alone)
        "comparison": Parameter(str, choices=("aeai", "alone")),
        "derivative_model": Parameter(
            str, choices=("pole_ae", "pole_ae_a_c", "pole_aeai", "pole_ae_s")
        ),
    },
    "08_advai": {
        "toy_steps": Parameter(int, minimum=1, maximum=20000),
        "toy_priors": Parameter(str, choices=tuple(PRIORS), is_list=True),
        "n_paths": Parameter(int, minimum=1, maximum=16),
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "seed": _SEED,
        **_TEST_PAIRS,
    },
    "09_latent_explorer": {
        "models": Parameter(
            str, choices=tuple(name for name in RUNS if name.startswith("pole_")), is_list=True
        ),
        "index_a": Parameter(int, minimum=0, maximum=len(pole.THETAS) * len(pole.PHIS) - 1),
        "index_b": Parameter(int, minimum=0, maximum=len(pole.THETAS) * len(pole.PHIS) - 1),
        "alpha": Parameter(float, minimum=0.0, maximum=1.0),
        "method": Parameter(str, choices=("lerp", "slerp", "normalized", "advai")),
    },
    "10_comparison": {
        "retrain": _RETRAIN,
        "train_steps": _STEPS,
        "image_size": Parameter(int, choices=(32, 64, 128)),
        "seed": _SEED,
        "lines_seeds": Parameter(int, minimum=0, is_list=True),
        "interval": Parameter((int, float), minimum=5, maximum=355),
        "max_pairs": Parameter(int, minimum=1),
        "curve_max_pairs": Parameter(int, minimum=1),
        "pair_index": Parameter(int, minimum=0),
        "lines_pairs": Parameter(int, minimum=1, maximum=256),
        "lines_steps": Parameter(int, minimum=3, maximum=64),
        "gif_path": Parameter(str),
    },
    "11_recap": {
        "manifest": Parameter((str, type(None))),
    },
    "12_tuning": {
        "method": Parameter(str, choices=("ae", "aeai")),
        "lambda_adv": _WEIGHT,
        "lambda_cycle": _WEIGHT,
        "lambda_smooth": _WEIGHT,
        "r1_weight": _WEIGHT,
        "image_size": Parameter(int, choices=(32, 64, 128)),
        "train_steps": _STEPS,
        "seed": _SEED,
        "validation_pairs": Parameter(int, minimum=1, maximum=256),
        "yardstick_seeds": Parameter(int, minimum=0, is_list=True),
    },
}
"""Notebook name (its file name without ``.ipynb``) -> parameter name -> what it accepts."""


def check_notebook_parameters(notebook: str, namespace: Mapping[str, Any]) -> None:
    """Check the papermill parameters of ``notebook`` as its ``globals()`` hold them.

    Raises:
        ParameterError: a parameter of the wrong type or out of range, named, with the fix.
        ValueError: an unknown notebook name, or a notebook that lacks a declared parameter.
    """
    check_choice("notebook", notebook, NOTEBOOK_PARAMETERS)
    check_parameters(namespace, NOTEBOOK_PARAMETERS[notebook])
