"""Print the lines benchmark's readings of several runs side by side, and save them as JSON.

    .venv/bin/python scripts/lines_curves.py probes/vgg_ae_b64_lr1e-4.pt \
        probes/vgg_acai_b64_lr1e-4.pt [--json data/lines_curves.json]

Each checkpoint's ``"readings"`` (ACAI's Mean Distance and Smoothness, read during training by
:func:`aeai_lib.evaluation.lines_benchmark.lines_monitor`) become one column pair; the rows
are the steps the runs share. Mean Distance is printed in units of 1e-3, as in ACAI's Table 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aeai_lib.checkpoint import load_checkpoint


def curves(paths: list[Path]) -> dict[str, dict[str, list[float]]]:
    """``{run name: {"step", "mean_distance", "smoothness"}}`` of each checkpoint's readings."""
    runs = {}
    for path in paths:
        readings = load_checkpoint(path).get("readings") or {}
        if "mean_distance" not in readings:
            print(
                f"error: {path} has no lines readings (train with --benchmark-every)",
                file=sys.stderr,
            )
            raise SystemExit(2)
        runs[path.stem] = {key: readings[key] for key in ("step", "mean_distance", "smoothness")}
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the curves to this file")
    args = parser.parse_args()
    runs = curves(args.checkpoints)
    shared = sorted(set.intersection(*(set(run["step"]) for run in runs.values())))
    print("step | " + " | ".join(f"{name} MD (1e-3), S" for name in runs))
    for step in shared:
        cells = []
        for run in runs.values():
            i = run["step"].index(step)
            cells.append(f"{1e3 * run['mean_distance'][i]:6.2f}, {run['smoothness'][i]:.3f}")
        print(f"{int(step):5d} | " + " | ".join(cells))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
