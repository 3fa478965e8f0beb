"""Command line: ``python -m aeai_lib train ...`` and ``python -m aeai_lib evaluate ...``.

Examples::

    python -m aeai_lib train --method aeai --dataset pole --steps 3000 --out data/aeai.pt
    python -m aeai_lib train --method ae --lambda-adv 0.01 --dataset lines --out ae_a.pt
    python -m aeai_lib evaluate data/aeai.pt data/ae.pt --json
    python -m aeai_lib sweep notebooks/01_distribution_mismatch.ipynb -p seed 0 1 2 --out sweeps/s
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from aeai_lib.checkpoint import CheckpointError
from aeai_lib.data import load_dataset
from aeai_lib.methods import METHODS, make_method
from aeai_lib.methods.aeai import SMOOTHNESS_ESTIMATORS
from aeai_lib.training import NonFiniteLossError, TrainConfig, default_model_config, train
from aeai_lib.validation import check_positive_int

# CLI flag -> AEAI option; a flag left at None keeps the method's preset.
METHOD_FLAGS = {
    "lambda_adv": float,
    "lambda_cycle": float,
    "lambda_smooth": float,
    "grid_intervals": int,
    "alphas_per_pair": int,
}


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aeai_lib", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    trainer = commands.add_parser("train", help="train a model and write its checkpoint")
    trainer.add_argument("--method", required=True, choices=sorted(METHODS))
    trainer.add_argument("--dataset", required=True, help="pole, lines or folder:PATH")
    trainer.add_argument("--out", required=True, help="checkpoint file to write")
    trainer.add_argument("--steps", type=int, default=TrainConfig.steps)
    for flag, kind in METHOD_FLAGS.items():
        trainer.add_argument(f"--{flag.replace('_', '-')}", type=kind, default=None)
    trainer.add_argument("--all-alphas", action="store_true", help="use the whole alpha grid")
    trainer.add_argument("--smoothness", choices=SMOOTHNESS_ESTIMATORS, default=None)
    trainer.add_argument("--latent-dim", type=int, default=None)
    trainer.add_argument("--image-size", type=int, default=None)
    trainer.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    trainer.add_argument("--lr", type=float, default=TrainConfig.lr)
    trainer.add_argument("--seed", type=int, default=TrainConfig.seed)
    trainer.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    trainer.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    trainer.add_argument("--bf16", action="store_true", help="bf16 autocast on CUDA")
    trainer.add_argument("--checkpoint-every", type=int, default=TrainConfig.checkpoint_every)
    trainer.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    trainer.add_argument("--no-progress", action="store_true")

    evaluator = commands.add_parser("evaluate", help="print measures of trained checkpoints")
    evaluator.add_argument("checkpoints", nargs="+")
    evaluator.add_argument("--json", action="store_true", help="print JSON instead of a table")

    series = commands.add_parser("series", help="execute the notebook series with papermill")
    series.add_argument("--out", default="outputs", help="folder for the executed notebooks")
    series.add_argument("--only", nargs="*", default=None, help="notebook prefixes, e.g. 00 03")

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
    return parser


def _train(args: argparse.Namespace) -> None:
    options = {
        flag: getattr(args, flag) for flag in METHOD_FLAGS if getattr(args, flag) is not None
    }
    if args.all_alphas:
        options["alphas_per_pair"] = None
    if args.smoothness is not None:
        options["smoothness"] = args.smoothness
    method = make_method(args.method, **options)
    if args.threads is not None:
        torch.set_num_threads(check_positive_int("--threads", args.threads))
    dataset = load_dataset(args.dataset, size=args.image_size)
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        bf16=args.bf16,
        checkpoint_every=args.checkpoint_every,
    )
    result = train(
        dataset,
        method,
        config,
        model_config=default_model_config(dataset, args.latent_dim),
        checkpoint=args.out,
        resume=args.resume,
        progress=not args.no_progress,
    )
    print(
        f"trained {method.label} on {dataset.name} for {config.steps} steps in "
        f"{result.seconds:.0f} s; test reconstruction MSE "
        f"{result.metrics['test_reconstruction_mse']:.5f}; wrote {args.out}"
    )


def _evaluate(args: argparse.Namespace) -> None:
    from aeai_lib.evaluation.report import evaluate_checkpoint, format_comparison

    results = [evaluate_checkpoint(path) for path in args.checkpoints]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(format_comparison(results))


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for bad input, with a one-line message)."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "train":
            _train(args)
        elif args.command == "evaluate":
            _evaluate(args)
        elif args.command == "sweep":
            return _sweep(args)
        else:
            return _series(args)
    except (ValueError, TypeError, FileNotFoundError, CheckpointError, NonFiniteLossError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
