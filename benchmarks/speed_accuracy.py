"""Accuracy kept? The options of issue 22 that change the arithmetic, against the seed spread.

    python benchmarks/speed_accuracy.py [--size 32] [--steps 500] [--seeds 0,1,2]
        [--threads 1] [--out results.json] [--dry-run]

Trains AE and AEAI (the library's defaults) on the pole at --size for --steps steps, once per
seed, as they are today (float32, constant learning rate, R1 every step) and with each option
that changes the arithmetic: bf16 autocast (where this CPU has it natively), lazy R1
(``r1_every`` 4; AEAI only), a cosine schedule with a 5% warm-up, and all of them together.
Every run is measured on the pole's test split with :func:`aeai_lib.evaluation.protocol.
evaluate_model` (80 degree pairs, 17 alphas): ``test_reconstruction_mse``, ``mse_mid`` (MSE at
alpha = 1/2 against the true in-between image), ``alpha_error``, ``speed_ratio``, and the
discriminator's held-out accuracy at the last step (``d_accuracy``, AEAI only).

Verdict per option and measure: the option's mean over the seeds against the baseline's mean,
with the baseline's seed spread (max - min over the seeds) as the tolerance: "ok" when it is no
worse than the baseline's mean by more than that spread (for the errors, lower is better; a
better value is ok), or lies within it either way (speed_ratio and d_accuracy, which have no
better side here); "WORSE" or "OFF" otherwise. An option passes when all its measures are ok.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch

from aeai_lib.data.registry import load_dataset
from aeai_lib.evaluation.protocol import evaluate_model
from aeai_lib.methods import make_method
from aeai_lib.speed import cpu_supports_bf16
from aeai_lib.training import TrainConfig, train

LOWER_IS_BETTER = ("test_reconstruction_mse", "mse_mid", "alpha_error")
TWO_SIDED = ("speed_ratio", "d_accuracy")
SCHEDULE = {"lr_schedule": "cosine", "lr_warmup": 0.05}


def variants(bf16: bool) -> dict[str, tuple[dict, dict]]:
    """name -> (TrainConfig changes, AEAI option changes)."""
    found = {
        "baseline": ({}, {}),
        "bf16": ({"bf16": True}, {}),
        "lazy R1 (4)": ({}, {"r1_every": 4}),
        "cosine": (SCHEDULE, {}),
        "all": ({"bf16": True, **SCHEDULE}, {"r1_every": 4}),
    }
    if not bf16:
        del found["bf16"]
        found["all"] = (SCHEDULE, {"r1_every": 4})
    return found


def measure(method_name: str, dataset, config: TrainConfig, options: dict) -> dict[str, float]:
    method = make_method(method_name, **options)
    result = train(dataset, method, config, progress=False)
    summary = evaluate_model(result.model, dataset, intervals={}, split="test")["summary"]
    measures = {
        "test_reconstruction_mse": result.metrics["test_reconstruction_mse"],
        **{name: float(summary[name]) for name in ("mse_mid", "alpha_error", "speed_ratio")},
        "seconds": result.seconds,
    }
    if "d_accuracy" in result.diagnostics:
        measures["d_accuracy"] = result.diagnostics["d_accuracy"][-1]
    return measures


def verdict(name: str, base: list[float], other: list[float]) -> str:
    spread = max(base) - min(base)
    shift = statistics.fmean(other) - statistics.fmean(base)
    if name in LOWER_IS_BETTER:
        return "ok" if shift <= spread else "WORSE"
    return "ok" if abs(shift) <= spread else "OFF"


def report(runs: dict[str, dict[str, list[dict]]]) -> None:
    """Per method and option: mean [min, max] over the seeds, and the verdict."""
    for method_name, by_variant in runs.items():
        if "baseline" not in by_variant:
            print(f"\n{method_name}: no baseline runs here (--combine them with some)")
            continue
        base = by_variant["baseline"]
        names = [name for name in base[0] if name != "seconds"]
        print(f"\n{method_name}: mean over seeds [min, max]; verdict against the baseline spread")
        for variant, measured in by_variant.items():
            cells = []
            for name in names:
                values = [m[name] for m in measured]
                tag = (
                    ""
                    if variant == "baseline"
                    else " " + verdict(name, [b[name] for b in base], values)
                )
                cells.append(f"{name} {statistics.fmean(values):.3g} "
                             f"[{min(values):.3g}, {max(values):.3g}]{tag}")  # fmt: skip
            seconds = statistics.fmean(m["seconds"] for m in measured)
            print(f"  {variant:<13}{seconds:>6.0f} s  " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=32, choices=(32, 64))
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", default="ae,aeai")
    parser.add_argument("--variants", default=None, help="comma-separated (default: all)")
    parser.add_argument("--out", default=None, help="write every run's measures as JSON")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--no-baseline", action="store_true", help="with --variants")
    parser.add_argument(
        "--combine",
        nargs="+",
        default=None,
        metavar="JSON",
        help="report runs written by --out (e.g. split across processes)",
    )
    args = parser.parse_args()
    if args.combine:
        runs: dict[str, dict[str, list[dict]]] = {}
        for path in args.combine:
            with open(path) as handle:
                for method_name, by_variant in json.load(handle).items():
                    for variant, measured in by_variant.items():
                        runs.setdefault(method_name, {}).setdefault(variant, []).extend(measured)
        report(runs)
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.steps < 1 or args.threads < 1 or not seeds:
        parser.error("--steps and --threads must be >= 1 and --seeds name at least one seed")
    bf16 = cpu_supports_bf16()
    plan = variants(bf16)
    if args.variants:
        wanted = ["baseline", *[v for v in args.variants.split(",") if v != "baseline"]]
        unknown = [v for v in wanted if v not in plan]
        if unknown:
            parser.error(f"--variants takes some of {', '.join(plan)}; got {unknown}")
        plan = {v: plan[v] for v in wanted if v != "baseline" or not args.no_baseline}
    methods = args.methods.split(",")
    if args.dry_run:
        print(f"speed_accuracy: would train {methods} x {list(plan)} x seeds {seeds}")
        return
    torch.set_num_threads(args.threads)
    dataset = load_dataset("pole", size=args.size)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"speed_accuracy: pole {args.size}x{args.size}, {args.steps} steps, batch 32, seeds "
          f"{seeds}, {args.threads} thread(s), CPU bf16 native: {bf16}; load {load}")  # fmt: skip
    runs = {}
    started = time.perf_counter()
    for method_name in methods:
        for variant, (train_changes, options) in plan.items():
            if method_name == "ae" and options and not train_changes:
                continue  # lazy R1 changes no AE step
            method_options = options if method_name == "aeai" else {}
            for seed in seeds:
                config = TrainConfig(
                    steps=args.steps, batch_size=32, seed=seed, device="cpu",
                    checkpoint_every=0, diagnostics_every=args.steps, **train_changes,
                )  # fmt: skip
                measures = measure(method_name, dataset, config, method_options)
                runs.setdefault(method_name, {}).setdefault(variant, []).append(measures)
                cells = "  ".join(f"{k} {v:.4g}" for k, v in measures.items())
                print(f"  {method_name:<5}{variant:<13}seed {seed}  {cells}", flush=True)
    print(f"\ntrained and measured in {time.perf_counter() - started:.0f} s")
    report(runs)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(runs, handle, indent=1)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nend; load {load}")


if __name__ == "__main__":
    main()
