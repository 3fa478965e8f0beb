"""What the training benchmarks share: device flags, JSON options, compilation, timing on CUDA.

Imported by ``train_step.py`` and ``time_to_quality.py`` (run as scripts from the repository
root, so this folder is on ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

import torch
import torch._functorch.config

from aeai_lib.device import pick_device
from aeai_lib.methods import Method, make_method
from aeai_lib.models import AutoencoderModel
from aeai_lib.speed import check_bf16_request

LIKELY_AEAI = {"smoothness": "sibling", "alphas_per_pair": 1}
"""The AEAI settings likely to become the defaults (issue #10): sibling finite differences at
one drawn grid point per pair (2 interpolants per pair, as the JVP default's 2 alphas)."""


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    """--device, --threads, --size, --bf16, --compile, --aeai-options, --dry-run."""
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: the best)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--size", type=int, default=64, choices=(32, 64, 128), help="pole size")
    parser.add_argument(
        "--bf16", action="store_true", help="bf16 autocast (CUDA, or a CPU with AVX512-BF16 or AMX)"
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the encoder, decoder and discriminator (where it applies)",
    )
    parser.add_argument(
        "--aeai-options",
        type=str,
        default="{}",
        metavar="JSON",
        help='AEAI options, e.g. \'{"smoothness": "sibling", "alphas_per_pair": 1}\'',
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the arguments, print the plan and exit (no training, no CUDA needed)",
    )


def json_options(parser: argparse.ArgumentParser, flag: str, text: str) -> dict:
    """The JSON object given to ``flag``; a parser error (one line, exit 2) otherwise."""
    try:
        options = json.loads(text)
    except json.JSONDecodeError as error:
        parser.error(f"{flag} is not valid JSON ({error.msg}): {text!r}")
    if not isinstance(options, dict):
        parser.error(f"{flag} must be a JSON object such as '{{\"name\": value}}', got {text!r}")
    return options


def aeai_options(parser: argparse.ArgumentParser, text: str) -> dict:
    """--aeai-options, checked by building the method (an unknown option or a refused value
    is a parser error that names it)."""
    options = json_options(parser, "--aeai-options", text)
    try:
        make_method("aeai", **options)
    except (TypeError, ValueError) as error:
        parser.error(f"--aeai-options: {error}")
    return options


def check_device_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what cannot run, without touching a device: bad thread counts, and bf16 or
    compile on a device named other than CUDA."""
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    try:
        check_bf16_request(args.bf16 or None, args.device)
    except ValueError as error:
        parser.error(str(error))


def open_device(parser: argparse.ArgumentParser, args: argparse.Namespace) -> torch.device:
    """The device to run on (threads set); a parser error if it is missing, or if --bf16 is
    asked for anywhere but CUDA."""
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        device = pick_device(args.device)
    except (RuntimeError, ValueError) as error:
        parser.error(str(error))
    if args.bf16 and device.type not in ("cuda", "cpu"):
        parser.error(f"--bf16 needs CUDA or a CPU with native bf16, but this run is on {device}")
    return device


def describe(args: argparse.Namespace, device: torch.device) -> str:
    """One line: device, threads, precision, compilation and the machine's load."""
    threads = f" ({torch.get_num_threads()} threads)" if device.type == "cpu" else ""
    name = f" {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    precision = "bf16 autocast" if args.bf16 else "float32"
    compiled = "torch.compile" if args.compile else "eager"
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"device {device}{name}{threads}, {precision}, {compiled}; load average {load}"


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA), so that a clock read after it is honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def compile_networks(model: AutoencoderModel) -> AutoencoderModel:
    """torch.compile the encoder, the decoder and every auxiliary network, in place (the
    state dict's keys are unchanged, so checkpoints stay loadable).

    The training loop back-propagates two objectives through one graph (the first backward
    retains it), which compiled backward functions refuse while they donate their buffers, so
    donation is switched off, as torch's own error message advises.
    """
    torch._functorch.config.donated_buffer = False
    for module in (model.encoder, model.decoder, *model.auxiliary.values()):
        module.compile()
    return model


def changing_the_model(
    method: Method, change: Callable[[AutoencoderModel], AutoencoderModel]
) -> Method:
    """``method``, whose freshly built models pass through ``change`` (e.g. compilation,
    channels-last) before :func:`aeai_lib.training.train` moves them to the device."""
    build = method.build_model
    method.build_model = lambda config: change(build(config))  # type: ignore[method-assign]
    return method
