"""Command-line options built from the options dataclasses, so that no flag list is kept by hand.

* Every field of every registered method's ``Options`` is settable: as a flag of its own,
  ``--lambda-adv 0.01`` (the union over :data:`aeai_lib.methods.METHODS`), as
  ``--set lambda_adv=0.01`` (repeatable), or in ``--config FILE.json``, a JSON object of
  options. Later sources win: the method's preset, then the config file, then the flags, then
  ``--set``. :func:`aeai_lib.methods.make_method` checks the result, so an option the chosen
  method does not have, or a value it refuses, is an error that names it.
* Every field of :class:`aeai_lib.training.TrainConfig` is a flag (``--steps``, ``--lr``,
  ``--adversary-lr``, ``--bf16``...), its default the dataclass's.

Values are typed by the field's annotation: ``int``, ``float``, ``str``, ``bool`` (true,
false, yes, no, 1, 0; a bare ``--flag`` is true) and ``X | None`` ("none" or "null" for
None). Help texts come from the dataclasses' "Attributes:" docstrings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

from aeai_lib.methods import METHODS, Method, make_method
from aeai_lib.training import TrainConfig
from aeai_lib.validation import check_choice

NONE_WORDS = ("none", "null")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")
_METHOD_DEST, _TRAIN_DEST = "method option ", "train option "
_ATTRIBUTE = re.compile(r"^(\s*)(\w+(?:, \w+)*): (.*)$")
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")
_ROLE = re.compile(r":\w+:`~?(?:[\w.]+\.)?(\w+)`")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _without_none(hint: Any) -> tuple[Any, bool]:
    """(the type that is not None, whether None is allowed) of an annotation like int | None."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        arms = [arm for arm in typing.get_args(hint) if arm is not type(None)]
        return (arms[0] if len(arms) == 1 else hint), len(arms) < len(typing.get_args(hint))
    return hint, False


def parse_value(name: str, hint: Any, text: str) -> Any:
    """The value of option ``name`` written as ``text``, typed by its annotation ``hint``.

    Raises:
        ValueError: text that is not a value of that type; the message names the option.
    """
    kind, optional = _without_none(hint)
    word = text.strip().lower()
    if optional and word in NONE_WORDS:
        return None
    try:
        if kind is bool:
            if word not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError
            return word in TRUE_WORDS
        if kind in (int, float, str):
            return kind(text)
        return json.loads(text)
    except ValueError:
        expected = getattr(kind, "__name__", str(kind)) + (" or none" if optional else "")
        raise ValueError(f"option {name} expects {expected}, got {text!r}") from None


def coerce_value(hint: Any, value: Any) -> Any:
    """A value read from JSON, with an integer turned into a float where a float is expected."""
    kind, _ = _without_none(hint)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def attribute_docs(cls: type) -> dict[str, str]:
    """The first sentence of each attribute in the "Attributes:" sections of the docstrings
    of a class and its bases (the class's own win), Sphinx roles reduced to their names."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if "Attributes:" not in (klass.__doc__ or ""):
            continue
        entries: list[tuple[list[str], list[str]]] = []
        indent = None
        for line in klass.__doc__.split("Attributes:", 1)[1].splitlines():
            match = _ATTRIBUTE.match(line)
            if match and (indent is None or len(match.group(1)) == indent):
                indent = len(match.group(1))
                entries.append((match.group(2).split(", "), [match.group(3)]))
            elif entries and line.strip() and (indent is None or line.startswith(" " * indent)):
                entries[-1][1].append(line.strip())
            elif entries and line.strip():
                break  # the end of the section
        for names, text in entries:
            plain = _ROLE.sub(r"\1", " ".join(text)).replace("``", "")
            sentence = _SENTENCE_END.split(plain)[0].rstrip(".")
            docs.update(dict.fromkeys(names, sentence))
    return docs


def _metavar(hint: Any) -> str:
    kind, optional = _without_none(hint)
    name = {bool: "BOOL", int: "INT", float: "FLOAT", str: "TEXT"}.get(kind, "JSON")
    return name + ("|none" if optional else "")


def _add_dataclass_flags(
    group: argparse._ArgumentGroup, fields: dict[str, tuple[Any, str]], dest: str
) -> None:
    """One flag per field name -> (annotation, help); values are parsed later, as text."""
    for name, (hint, text) in fields.items():
        boolean = _without_none(hint)[0] is bool
        group.add_argument(
            _flag(name),
            dest=dest + name,
            default=None,
            nargs="?" if boolean else None,
            const="true" if boolean else None,
            metavar=_metavar(hint),
            help=text.replace("%", "%%"),
        )


def add_method_arguments(parser: argparse.ArgumentParser) -> None:
    """``--method``, ``--set``, ``--config`` and a flag per option of every registered method."""
    parser.add_argument("--method", required=True, choices=sorted(METHODS))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set an option of the method, e.g. --set lambda_adv=0.01 (repeatable)",
    )
    parser.add_argument(
        "--config", metavar="FILE.json", help="a JSON object of the method's options"
    )
    hints: dict[str, Any] = {}
    docs: dict[str, dict[str, list[str]]] = {}  # option -> its help -> the methods it is for
    for method_name, (method_class, _) in sorted(METHODS.items()):
        texts = attribute_docs(method_class.Options)
        for name, hint in typing.get_type_hints(method_class.Options).items():
            hints.setdefault(name, hint)
            docs.setdefault(name, {}).setdefault(texts.get(name, ""), []).append(method_name)
    fields = {
        name: (
            hints[name],
            "; ".join(
                f"{text} [{', '.join(owners)}]".lstrip() for text, owners in docs[name].items()
            ),
        )
        for name in sorted(hints)
    }
    group = parser.add_argument_group("method options (each for the methods in brackets)")
    _add_dataclass_flags(group, fields, _METHOD_DEST)


def add_train_config_arguments(parser: argparse.ArgumentParser) -> None:
    """A flag per field of :class:`~aeai_lib.training.TrainConfig`."""
    docs = attribute_docs(TrainConfig)
    hints = typing.get_type_hints(TrainConfig)
    fields = {
        field.name: (hints[field.name], f"{docs.get(field.name, '')} (default: {field.default})")
        for field in dataclasses.fields(TrainConfig)
    }
    _add_dataclass_flags(parser.add_argument_group("training"), fields, _TRAIN_DEST)


def _given(args: argparse.Namespace, dest: str) -> dict[str, str]:
    """The flags of one group that were given on the command line: name -> text."""
    return {
        key[len(dest) :]: value
        for key, value in vars(args).items()
        if key.startswith(dest) and value is not None
    }


def read_options_file(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``.

    Raises:
        FileNotFoundError, ValueError: no such file, not JSON, or not an object.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no options file at {path}; pass a JSON object, e.g. {{}}")
    try:
        options = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); write a JSON object") from None
    if not isinstance(options, dict):
        raise ValueError(
            f'{path} must hold a JSON object of options, e.g. {{"lambda_adv": 0.01}}, '
            f"got a {type(options).__name__}"
        )
    return options


def method_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options given for ``args.method``: config file, then flags, then ``--set``."""
    check_choice("method", args.method, METHODS)
    hints = typing.get_type_hints(METHODS[args.method][0].Options)
    options: dict[str, Any] = {}
    if args.config is not None:
        for name, value in read_options_file(args.config).items():
            options[name] = coerce_value(hints[name], value) if name in hints else value
    texts = _given(args, _METHOD_DEST)
    for assignment in args.set:
        name, equals, text = assignment.partition("=")
        if not equals or not name.strip():
            raise ValueError(
                f"--set expects NAME=VALUE, e.g. --set lambda_adv=0.01; got {assignment!r}"
            )
        texts[name.strip()] = text
    for name, text in texts.items():
        # make_method names options the method does not have
        options[name] = parse_value(name, hints[name], text) if name in hints else text
    return options


def method_from_args(args: argparse.Namespace) -> Method:
    """The method ``args`` ask for (see :func:`add_method_arguments`)."""
    return make_method(args.method, **method_options(args))


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`~aeai_lib.training.TrainConfig` of ``args``; unset fields keep its defaults."""
    hints = typing.get_type_hints(TrainConfig)
    given = _given(args, _TRAIN_DEST)
    return TrainConfig(
        **{name: parse_value(name, hints[name], text) for name, text in given.items()}
    )
