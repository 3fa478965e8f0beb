"""The helpers the notebooks call: parameter specs, the summary line, window means."""

from __future__ import annotations

import json

import pytest

from aeai_lib.evaluation.history import window_mean
from aeai_lib.notebook import (
    SUMMARY_PREFIX,
    Parameter,
    ParameterError,
    check_parameters,
    injected_parameters,
    report_summary,
)
from aeai_lib.notebook_parameters import NOTEBOOK_PARAMETERS, check_notebook_parameters

SPECS = {
    "steps": Parameter(int, minimum=1),
    "alpha": Parameter(float, minimum=0.0, maximum=1.0),
    "priors": Parameter(str, choices=("uniform", "gaussian"), is_list=True),
    "manifest": Parameter((str, type(None))),
}
GOOD = {"steps": 10, "alpha": 1, "priors": ["gaussian"], "manifest": None, "other": object()}


def test_check_parameters_accepts_good_values_and_names_a_bad_one() -> None:
    check_parameters(GOOD, SPECS)  # ints pass as floats; names outside the specs are ignored
    bad = [
        ({"steps": 0}, "parameter 'steps' must be >= 1"),
        ({"steps": True}, "parameter 'steps' must be int"),
        ({"alpha": "0.5"}, "parameter 'alpha' must be float"),
        ({"priors": []}, "parameter 'priors' must list at least 1"),
        ({"priors": ["annulus"]}, "parameter 'priors[0]' must be one of"),
        ({"priors": "gaussian"}, "parameter 'priors' must be a list of str"),
        ({"manifest": 3}, "parameter 'manifest' must be str or NoneType"),
    ]
    for change, message in bad:
        with pytest.raises(ParameterError, match=message.replace("[", r"\[")):
            check_parameters(GOOD | change, SPECS)


def test_check_parameters_refuses_a_notebook_that_lacks_a_declared_parameter() -> None:
    with pytest.raises(ValueError, match=r"does not define the parameter\(s\) \['alpha'\]"):
        check_parameters({k: v for k, v in GOOD.items() if k != "alpha"}, SPECS)


def test_each_notebook_spec_accepts_its_defaults_and_refuses_an_unknown_notebook() -> None:
    defaults = {
        "00_overview": {
            "size": 64,
            "n_thetas_shown": 4,
            "n_phis_shown": 8,
            "n_lines_shown": 8,
            "seed": 0,
        },
        "11_recap": {"manifest": None},
    }
    for name, values in defaults.items():
        assert set(NOTEBOOK_PARAMETERS[name]) == set(values)
        check_notebook_parameters(name, values)
    with pytest.raises(ParameterError, match="'size' must be <= 512"):
        check_notebook_parameters("00_overview", defaults["00_overview"] | {"size": 1024})
    with pytest.raises(ValueError, match="unknown notebook '12_nothing'"):
        check_notebook_parameters("12_nothing", {})


def test_report_summary_prints_one_rounded_line_outside_a_kernel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert report_summary(ratio=1 / 3, count=3, missing=None, pair=[1, 2]) is None
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(SUMMARY_PREFIX)
    values = json.loads(line[len(SUMMARY_PREFIX) :])
    assert values == {"ratio": 0.333333, "count": 3, "missing": None, "pair": [1, 2]}


def test_window_mean_averages_a_slice_of_steps() -> None:
    history = {"reconstruction": [4.0, 3.0, 2.0, 1.0], "discriminator": [1.0, 1.0, 0.0, 0.0]}
    assert window_mean(history, "reconstruction") == 2.5
    assert window_mean(history, "reconstruction", -2) == 1.5  # the last two steps
    assert window_mean(history, "discriminator", 1, 3) == 0.5
    with pytest.raises(ValueError, match="unknown term 'adversarial'; choose one of"):
        window_mean(history, "adversarial")
    with pytest.raises(ValueError, match=r"the window \[3:3\] holds no step of 'reconstruction'"):
        window_mean(history, "reconstruction", 3, 3)


# ------------------------------------- unknown names through plain papermill (issue 27 row 6)


def test_names_papermill_injected_that_the_specs_lack_are_refused_by_name() -> None:
    from papermill.translators import PythonTranslator

    injected = PythonTranslator.codify({"seeed": 3, "steps": 5, "alpah": 0.5})
    history = ["", "steps = 10\nalpha = 1\n", injected, "check_parameters(globals(), SPECS)"]
    namespace = GOOD | {"In": history, "seeed": 3, "alpah": 0.5}
    assert injected_parameters(namespace) == ["seeed", "steps", "alpah"]
    with pytest.raises(ParameterError) as error:
        check_parameters(namespace, SPECS)
    message = str(error.value)
    assert "unknown parameter(s) 'seeed', 'alpah'" in message
    assert "its parameters are: steps, alpha, priors, manifest" in message
    # known names only, or no papermill (no injected cell): accepted
    check_parameters(GOOD | {"In": ["", PythonTranslator.codify({"steps": 5})]}, SPECS)
    assert injected_parameters(GOOD) == []
