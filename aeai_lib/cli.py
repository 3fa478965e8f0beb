"""Command line: ``python -m aeai_lib train ...``, ``evaluate ...``, ``correct ...``, ``series
...``, ``sweep ...``, ``write-folder ...`` and ``explore ...``.

Examples::

    python -m aeai_lib train --method aeai --dataset pole --steps 3000 --out data/aeai.pt
    python -m aeai_lib train --method ae --set lambda_adv=0.01 --dataset lines --out ae_a.pt
    python -m aeai_lib train --method advai --config advai.json --adversary-lr 1e-4 --out a.pt
    python -m aeai_lib evaluate data/aeai.pt data/ae.pt --json
    python -m aeai_lib evaluate data/coil.pt --dataset folder:coil-100 --interval 80
    python -m aeai_lib correct data/ae.pt --out data/ae_advai.pt
    python -m aeai_lib evaluate data/ae_advai.pt --interpolation advai
    python -m aeai_lib write-folder --dataset objects:50 --split train --out coil-like/train
    python -m aeai_lib sweep notebooks/01_distribution_mismatch.ipynb -p seed 0 1 2 --out sweeps/s
    python -m aeai_lib explore data/checkpoints/pole_ae.pt data/checkpoints/pole_aeai.pt

The training flags come from the options dataclasses (:mod:`aeai_lib.cli_options`): a new
option of a method, or a new field of ``TrainConfig``, is a flag without a change here. Each
subcommand is an ``_add_<name>`` function that builds its parser and names the function that
runs it; adding one is a function and a line in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch

from aeai_lib.atomic import WriteError
from aeai_lib.checkpoint import CheckpointError
from aeai_lib.cli_options import (
    add_method_arguments,
    add_train_config_arguments,
    method_from_args,
    train_config_from_args,
)
from aeai_lib.data import load_dataset
from aeai_lib.data.folder import WRITE_SPLITS, check_new_folder, write_folder
from aeai_lib.device import pick_device
from aeai_lib.evaluation.ground_truth import SPLITS
from aeai_lib.evaluation.lines_benchmark import LINES_BENCHMARK_EVERY, training_monitor
from aeai_lib.evaluation.protocol import CURVE_MAX_PAIRS
from aeai_lib.interrupts import INTERRUPTED_EXIT_CODE, TrainingInterrupted
from aeai_lib.models import ARCHITECTURES
from aeai_lib.resume import resume_may_change_help
from aeai_lib.training import NonFiniteLossError, default_model_config, train
from aeai_lib.validation import (
    check_choice,
    check_output_file,
    check_output_folder,
    check_positive_int,
)

ERRORS = (ValueError, TypeError, FileNotFoundError, CheckpointError, NonFiniteLossError)
"""Errors that come from bad input: reported in one line, exit code 2."""


def _add_train(commands: argparse._SubParsersAction) -> None:
    trainer = commands.add_parser("train", help="train a model and write its checkpoint")
    trainer.add_argument(
        "--dataset", required=True, help="pole, lines, objects, objects:OPTIONS or folder:PATH"
    )
    trainer.add_argument("--out", required=True, help="checkpoint file to write")
    trainer.add_argument("--latent-dim", type=int, default=None)
    trainer.add_argument("--image-size", type=int, default=None)
    trainer.add_argument(
        "--architecture",
        default="vgg",
        help="the networks: vgg (the library's, default) or acai (ACAI's own, as in its lines "
        "benchmark: leaky ReLU, average pooling, a 2x2 spatial latent)",
    )
    trainer.add_argument(
        "--benchmark-every",
        type=int,
        default=LINES_BENCHMARK_EVERY,
        help="on lines, read ACAI's benchmark every this many steps (kept in the checkpoint; "
        f"its Table 1 reading is the median of the last 20); 0: never (default: "
        f"{LINES_BENCHMARK_EVERY})",
    )
    trainer.add_argument(
        "--benchmark-from",
        type=int,
        default=0,
        help="on lines, read the benchmark only from this many steps on, e.g. over the last 20 "
        "readings only (default: 0, from the start)",
    )
    trainer.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    trainer.add_argument(
        "--resume",
        action="store_true",
        help="continue from --out if it exists, with the checkpoint's settings; only "
        f"{resume_may_change_help()} may change (Ctrl-C saves the steps done to --out)",
    )
    trainer.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="with folder:PATH, skip image files that cannot be read (broken links, no "
        "permission, damaged) and print how many, instead of refusing the folder",
    )
    trainer.add_argument("--no-progress", action="store_true")
    add_method_arguments(trainer)
    add_train_config_arguments(trainer)
    trainer.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> int:
    method = method_from_args(args)
    config = train_config_from_args(args)
    if args.threads is not None:
        torch.set_num_threads(check_positive_int("--threads", args.threads))
    check_choice("--architecture", args.architecture, ARCHITECTURES)
    every = check_positive_int("--benchmark-every", args.benchmark_every, minimum=0)
    start = check_positive_int("--benchmark-from", args.benchmark_from, minimum=0)
    dataset = load_dataset(args.dataset, size=args.image_size, skip_unreadable=args.skip_unreadable)
    model_config = default_model_config(dataset, args.latent_dim, args.architecture)
    result = train(
        dataset,
        method,
        config,
        model_config=model_config,
        checkpoint=args.out,
        resume=args.resume,
        progress=not args.no_progress,
        monitor=training_monitor(dataset, every, start),
    )
    print(
        f"trained {method.label} on {dataset.name} for {config.steps} steps in "
        f"{result.seconds:.0f} s; test reconstruction MSE "
        f"{result.metrics['test_reconstruction_mse']:.5f}; wrote {args.out}"
    )
    return 0


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    evaluator = commands.add_parser("evaluate", help="print measures of trained checkpoints")
    evaluator.add_argument("checkpoints", nargs="+")
    evaluator.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluator.add_argument(
        "--interpolation", default="lerp", help="lerp, slerp, normalized or a learned one"
    )
    evaluator.add_argument(
        "--max-pairs", type=int, default=None, help="cap on the protocol's pairs (default: all)"
    )
    evaluator.add_argument(
        "--curve-max-pairs",
        type=int,
        default=CURVE_MAX_PAIRS,
        help=f"cap on pairs per interval length (default: {CURVE_MAX_PAIRS})",
    )
    evaluator.add_argument(
        "--dataset",
        default=None,
        help="measure on this data instead of the training data, e.g. folder:PATH for the "
        "paper's COIL-100 protocol on a folder of views named like obj12__35.png",
    )
    evaluator.add_argument(
        "--split",
        choices=SPLITS,
        default=None,
        help="images paired (default: test on the training data, all on other data)",
    )
    evaluator.add_argument(
        "--interval", type=float, default=80, help="degrees between a pair's views (default: 80)"
    )
    evaluator.set_defaults(run=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from aeai_lib.evaluation.report import evaluate_checkpoint, format_comparison

    results = [
        evaluate_checkpoint(
            path,
            args.interpolation,
            interval=args.interval,
            max_pairs=args.max_pairs,
            curve_max_pairs=args.curve_max_pairs,
            dataset=args.dataset,
            split=args.split,
        )
        for path in args.checkpoints
    ]
    print(json.dumps(results, indent=2) if args.json else format_comparison(results))
    return 0


def _add_correct(commands: argparse._SubParsersAction) -> None:
    from aeai_lib.methods.advai.fitted import FIT_AVERAGE, FIT_LR, FIT_PAIRS, FIT_STEPS

    corrector = commands.add_parser(
        "correct",
        help="fit AdvAI's correction to a trained model's own codes and write a checkpoint "
        "that offers it as --interpolation advai",
    )
    corrector.add_argument("checkpoint", help="a checkpoint written by train")
    corrector.add_argument("--out", required=True, help="the corrected checkpoint to write")
    corrector.add_argument(
        "--steps", type=int, default=FIT_STEPS, help=f"optimiser steps (default: {FIT_STEPS})"
    )
    corrector.add_argument(
        "--pairs", type=int, default=FIT_PAIRS, help=f"pairs per step (default: {FIT_PAIRS})"
    )
    corrector.add_argument(
        "--lr", type=float, default=FIT_LR, help=f"Adam rate of R and D_R (default: {FIT_LR})"
    )
    corrector.add_argument(
        "--average",
        type=float,
        default=FIT_AVERAGE,
        help=f"decay of the moving average of R's weights, 0: none (default: {FIT_AVERAGE})",
    )
    corrector.add_argument("--seed", type=int, default=0, help="seeds the fit (default: 0)")
    corrector.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    corrector.set_defaults(run=_correct)


def _correct(args: argparse.Namespace) -> int:
    from aeai_lib.correct import correct_checkpoint

    if args.threads is not None:
        torch.set_num_threads(check_positive_int("--threads", args.threads))
    path, correction = correct_checkpoint(
        args.checkpoint,
        args.out,
        steps=check_positive_int("--steps", args.steps),
        pairs=check_positive_int("--pairs", args.pairs, minimum=2),
        lr=args.lr,
        seed=args.seed,
        average=args.average,
    )
    before, after = correction.mmd_lerp, correction.mmd_fitted
    print(
        f"fitted AdvAI's correction to the codes of {correction.n_codes} training images of "
        f"{correction.dataset} in {correction.seconds:.1f} s ({correction.steps} steps); "
        f"midpoint MMD^2 to those codes: lerp {before:.4f}, advai {after:.4f}; wrote {path}; "
        f"measure it with: python -m aeai_lib evaluate {path} --interpolation advai"
    )
    return 0


def _add_write_folder(commands: argparse._SubParsersAction) -> None:
    writer = commands.add_parser(
        "write-folder", help="write a dataset's views as a COIL-100-style folder of PNGs"
    )
    writer.add_argument("--dataset", default="objects", help="objects or objects:OPTIONS")
    writer.add_argument("--out", required=True, help="a new or empty folder")
    writer.add_argument(
        "--split",
        choices=WRITE_SPLITS,
        default="all",
        help="all views, or the train (every other view) or test ones (default: all)",
    )
    writer.add_argument("--image-size", type=int, default=None)
    writer.set_defaults(run=_write_folder)


def _write_folder(args: argparse.Namespace) -> int:
    dataset = load_dataset(args.dataset, size=args.image_size)
    folder = write_folder(dataset, args.out, args.split)
    count = sum(1 for _ in folder.iterdir())
    print(f"wrote {count} {args.split} views of {dataset.name} to {folder}")
    return 0


def _add_series(commands: argparse._SubParsersAction) -> None:
    series = commands.add_parser("series", help="execute the notebook series with papermill")
    series.add_argument("--out", default="outputs", help="folder for the executed notebooks")
    series.add_argument("--only", nargs="*", default=None, help="notebook prefixes, e.g. 00 03")
    series.set_defaults(run=_series)


def _series(args: argparse.Namespace) -> int:
    from aeai_lib.series import format_summary, list_notebooks, run_series

    notebooks = list_notebooks()
    if args.only:
        notebooks = [p for p in notebooks if p.name.startswith(tuple(args.only))]
    if not notebooks:
        raise ValueError(f"no notebook matches --only {args.only}; see the notebooks/ folder")
    out_dir = Path(args.out)
    runs = run_series(out_dir, notebooks)
    print()
    print(format_summary(runs))
    print(f"\nexecuted notebooks and summary.json are in {out_dir.resolve()}")
    return 0 if all(run.ok for run in runs) else 1


def _check_before_work(args: argparse.Namespace) -> None:
    """Checks that cost nothing, made before any data is loaded or model trained: the
    output path can be written, the device exists."""
    if args.command == "train":
        check_output_file(args.out, "--out")
        pick_device(train_config_from_args(args).device)
    elif args.command == "series":
        check_output_folder(args.out, "--out")
    elif args.command == "write-folder":
        check_new_folder(args.out, "--out")
    elif args.command == "correct":
        check_output_file(args.out, "--out")
        check_positive_int("--steps", args.steps)
        check_positive_int("--pairs", args.pairs, minimum=2)
        if not args.lr > 0:
            raise ValueError(f"--lr must be > 0, got {args.lr}")
        if not 0 <= args.average < 1:
            raise ValueError(f"--average must lie in [0, 1), got {args.average}")


def _sweep(args: argparse.Namespace) -> int:
    from aeai_lib.sweep import RESULTS_CSV, run_sweep
    from aeai_lib.sweep_grid import grid_from_cli
    from aeai_lib.sweep_results import format_table, plot_summary

    grid = grid_from_cli(args.parameters, args.yaml)
    if (args.plot is None) != (args.x is None):
        raise ValueError("--plot Y and --x NAME go together, e.g. --plot mse_mid --x lambda_adv")
    if args.x is not None and args.x not in grid:
        raise ValueError(f"--x {args.x!r} is not a swept parameter; choose one of: {list(grid)}")
    out = Path(args.out)
    started = time.perf_counter()
    try:
        results = run_sweep(
            args.notebook,
            grid,
            out,
            zip_values=args.zip,
            workers=args.workers,
            scheduler=args.scheduler,
            retries=args.retries,
            threads=args.threads,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted; finished runs are kept in {out}: run the same command to resume",
            file=sys.stderr,
        )
        return 130
    print(format_table(results))
    reused = sum(r.reused for r in results)
    failed = [r.name for r in results if not r.ok]
    print(
        f"\n{len(results)} runs ({reused} reused from earlier, {len(failed)} failed) in "
        f"{time.perf_counter() - started:.1f} s; results in {out / RESULTS_CSV}"
    )
    if args.plot is not None:
        plot = plot_summary(results, args.plot, args.x, out / f"{args.plot}_vs_{args.x}.png")
        print(f"plot: {plot}")
    if failed:
        print(f"{len(failed)} run(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _add_sweep(commands: argparse._SubParsersAction) -> None:
    sweeper = commands.add_parser(
        "sweep", help="run one notebook over a grid of parameters, in parallel (papermill + dask)"
    )
    sweeper.add_argument("notebook", help="the .ipynb to run")
    sweeper.add_argument(
        "-p",
        dest="parameters",
        nargs="+",
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter and its values, typed as papermill types -p (repeat for a grid)",
    )
    sweeper.add_argument(
        "-y",
        dest="yaml",
        action="append",
        default=[],
        help="YAML mapping of value lists, e.g. 'dims: [[2, 16], [2, 64]]'",
    )
    sweeper.add_argument("--out", required=True, help="folder for runs/ and results.csv")
    sweeper.add_argument("--zip", action="store_true", help="take the value lists side by side")
    sweeper.add_argument("--workers", type=int, default=None, help="local processes (CPUs)")
    sweeper.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a dask cluster")
    sweeper.add_argument("--retries", type=int, default=0, help="extra tries of a failed run")
    sweeper.add_argument("--threads", type=int, default=1, help="torch threads per run")
    sweeper.add_argument("--plot", metavar="Y", default=None, help="summary value to plot")
    sweeper.add_argument("--x", metavar="NAME", default=None, help="parameter on the plot's x")
    sweeper.set_defaults(run=_sweep)


def _add_explore(commands: argparse._SubParsersAction) -> None:
    from aeai_lib.explore_app import DEFAULT_PORT

    explorer = commands.add_parser(
        "explore", help="serve notebook 09's latent explorer as a web page (Voila)"
    )
    explorer.add_argument(
        "checkpoints",
        nargs="*",
        help="checkpoints of the same data, one column each (default: the shipped pole AE "
        "and AE+A+C+S)",
    )
    explorer.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default: {DEFAULT_PORT})",
    )
    explorer.set_defaults(run=_explore)


def _explore(args: argparse.Namespace) -> int:
    from aeai_lib.explore_app import default_checkpoints, serve

    return serve(args.checkpoints or default_checkpoints(), port=args.port)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand, built now from the registered methods' options."""
    parser = argparse.ArgumentParser(prog="python -m aeai_lib", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    _add_train(commands)
    _add_evaluate(commands)
    _add_correct(commands)
    _add_series(commands)
    _add_sweep(commands)
    _add_write_folder(commands)
    _add_explore(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for bad input, with a one-line message)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # restored on exit
            _check_before_work(args)
            return args.run(args)
    except ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except WriteError as error:  # disk full, quota, I/O error: not the user's input
        print(f"error: {error}", file=sys.stderr)
        return 1
    except TrainingInterrupted as stop:
        resume = argv if "--resume" in argv else [*argv, "--resume"]
        how = (
            f"; resume with: {shlex.join(['python', '-m', 'aeai_lib', *resume])}"
            if stop.checkpoint is not None
            else ""
        )
        print(f"{stop}{how}", file=sys.stderr)
        return INTERRUPTED_EXIT_CODE
    except KeyboardInterrupt:
        print(f"interrupted by Ctrl-C before {args.command} finished", file=sys.stderr)
        return INTERRUPTED_EXIT_CODE


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as the CLI does: ``warning: MESSAGE``, one line, without its source."""
    print(f"warning: {message}", file=sys.stderr if file is None else file)
