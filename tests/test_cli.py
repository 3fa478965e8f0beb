"""The command line: flags built from the options dataclasses, bad input in one line, exit 2."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from pathlib import Path

import pytest

from aeai_lib.cli import build_parser, main
from aeai_lib.cli_options import (
    attribute_docs,
    method_from_args,
    parse_value,
    train_config_from_args,
)
from aeai_lib.methods import METHODS
from aeai_lib.training import TrainConfig
from aeai_lib.zoo import RUNS


def _parse(*argv: str):
    return build_parser().parse_args(["train", "--dataset", "pole", "--out", "x.pt", *argv])


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_zoo_and_the_command_line_build_the_same_run(name: str) -> None:
    spec = RUNS[name]
    args = build_parser().parse_args(["train", *spec.cli_args(), "--seed", "3", "--out", "x.pt"])
    method = method_from_args(args)
    assert type(method) is type(spec.make_method())
    assert method.options == spec.make_method().options
    assert train_config_from_args(args) == spec.train_config(seed=3)
    assert (args.architecture, args.latent_dim) == (
        spec.model.get("architecture", "vgg"),
        spec.model.get("latent_dim"),
    )


def test_every_option_of_every_method_is_a_flag() -> None:
    parser = build_parser()
    for method_name, (method_class, _) in METHODS.items():
        for field in dataclasses.fields(method_class.Options):
            flag = "--" + field.name.replace("_", "-")
            value = json.dumps(field.default) if field.default is not None else "none"
            args = parser.parse_args(
                ["train", "--dataset", "pole", "--out", "x.pt", "--method", method_name]
                + [flag, value.strip('"')]
            )
            assert getattr(method_from_args(args).options, field.name) == field.default


def test_sources_of_options_in_order_of_precedence(tmp_path: Path) -> None:
    config = tmp_path / "aeai.json"
    config.write_text(json.dumps({"lambda_adv": 1, "lambda_cycle": 0.5, "grid_intervals": 8}))
    args = _parse(
        *("--method", "ae", "--config", str(config), "--lambda-cycle", "0.25"),
        *("--set", "grid_intervals=4", "--set", "alphas_per_pair=none"),
    )
    options = method_from_args(args).options
    assert options.lambda_adv == 1.0 and isinstance(options.lambda_adv, float)  # the file's
    assert options.lambda_cycle == 0.25  # a flag beats the file
    assert options.grid_intervals == 4 and options.alphas_per_pair is None  # --set beats both
    assert options.lambda_smooth == 0.0  # the "ae" preset
    assert method_from_args(args).label == "AE+A+C"


def test_training_settings_are_flags_with_the_dataclass_defaults(monkeypatch) -> None:
    monkeypatch.setenv("AEAI_CPU_BF16", "supported")  # a CPU without it refuses --bf16
    assert train_config_from_args(_parse("--method", "ae")) == TrainConfig()
    args = _parse("--method", "ae", "--adversary-lr", "1e-4", "--bf16", "--device", "none")
    assert train_config_from_args(args) == TrainConfig(adversary_lr=1e-4, bf16=True, device=None)
    args = _parse("--method", "ae", "--bf16", "false", "--batch-size", "8", "--steps", "0")
    assert train_config_from_args(args) == TrainConfig(bf16=False, batch_size=8, steps=0)


@pytest.mark.parametrize(
    ("name", "hint", "text", "value"),
    [
        ("a", int, "3", 3),
        ("a", float, "1e-3", 1e-3),
        ("a", bool, "Yes", True),
        ("a", bool, "0", False),
        ("a", str, "jvp", "jvp"),
        ("a", int | None, "None", None),
        ("a", int | None, "2", 2),
        ("a", str | None, "null", None),
    ],
)
def test_parse_value_follows_the_annotation(name: str, hint: object, text: str, value: object):
    parsed = parse_value(name, hint, text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("hint", "text", "message"),
    [
        (int, "1.5", "option a expects int, got '1.5'"),
        (float, "abc", "option a expects float, got 'abc'"),
        (bool, "maybe", "option a expects bool, got 'maybe'"),
        (int | None, "x", "option a expects int or none, got 'x'"),
    ],
)
def test_parse_value_names_the_option_and_the_type(hint: object, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_value("a", hint, text)


def test_help_comes_from_the_attribute_docstrings() -> None:
    docs = attribute_docs(METHODS["advai"][0].Options)
    assert docs["hidden"].startswith("units of each hidden layer of R and D_R (default 512")
    assert docs["loss"] == '"squared" (default) or "absolute"'  # CorrectionOptions' own
    assert set(docs) >= set(typing.get_type_hints(METHODS["advai"][0].Options))
    assert attribute_docs(TrainConfig)["adversary_lr"].startswith("Adam learning rate of the")
    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "--adversary-lr FLOAT" in text and "--lambda-prior FLOAT" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--method", "aeai", "--set", "lambda_prior=1"],
            r"unknown option\(s\) \['lambda_prior'\]",
        ),
        (["--method", "advai", "--lambda-adv", "0.1"], r"unknown option\(s\) \['lambda_adv'\]"),
        (["--method", "aeai", "--set", "lambda_adv=abc"], "option lambda_adv expects float"),
        (["--method", "aeai", "--set", "lambda_adv"], "--set expects NAME=VALUE"),
        (["--method", "aeai", "--set", "lambda_adv=-1"], "lambda_adv must be a finite number"),
        (["--method", "aeai", "--config", "missing.json"], "no options file at missing.json"),
        (["--method", "ae", "--batch-size", "1"], "batch_size must be >= 2"),
        (["--method", "ae", "--lr", "fast"], "option lr expects float, got 'fast'"),
        (["--method", "ae", "--benchmark-from", "-5"], "--benchmark-from must be"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.pt"
    assert main(["train", "--dataset", "pole", "--out", str(out), *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert re.search(message, error), error
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not valid JSON"), ("[1, 2]", "must hold a JSON object of options")],
)
def test_a_bad_config_file_is_named(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.json"
    config.write_text(content)
    argv = ["train", "--dataset", "pole", "--out", str(tmp_path / "x.pt"), "--method", "ae"]
    assert main([*argv, "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert str(config) in error and message in error and error.count("\n") == 1
