"""Command line: ``python -m aeai_lib train ...`` and ``python -m aeai_lib evaluate ...``.

Examples::

    python -m aeai_lib train --method aeai --dataset pole --steps 3000 --out data/aeai.pt
    python -m aeai_lib train --method ae --lambda-adv 0.01 --dataset lines --out ae_a.pt
    python -m aeai_lib evaluate data/aeai.pt data/ae.pt --json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from aeai_lib.checkpoint import CheckpointError
from aeai_lib.data import load_dataset
from aeai_lib.device import pick_device
from aeai_lib.methods import METHODS, make_method
from aeai_lib.methods.aeai import SMOOTHNESS_ESTIMATORS
from aeai_lib.training import NonFiniteLossError, TrainConfig, default_model_config, train
from aeai_lib.validation import check_output_file, check_output_folder, check_positive_int

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


def _check_before_work(args: argparse.Namespace) -> None:
    """Checks that cost nothing, made before any data is loaded or model trained: the
    output path can be written, the device exists."""
    if args.command == "train":
        check_output_file(args.out, "--out")
        pick_device(args.device)
    elif args.command == "series":
        check_output_folder(args.out, "--out")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for bad input, with a one-line message)."""
    args = _build_parser().parse_args(argv)
    try:
        _check_before_work(args)
        if args.command == "train":
            _train(args)
        elif args.command == "evaluate":
            _evaluate(args)
        else:
            return _series(args)
    except (ValueError, TypeError, FileNotFoundError, CheckpointError, NonFiniteLossError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
