"""Rendering the objects dataset on one CPU thread: the whole dataset, and the cost per view.

    .venv/bin/python benchmarks/render_objects.py [--specs objects objects:50] [--size 64]

Each spec is rendered from scratch (no cache) with ``torch.set_num_threads(1)``, as
``load_dataset`` builds it on a cache miss: every view of every object, 3 x 3 rays per pixel
with cast shadows. The target (issue 28) is at most a minute for the default ``objects`` at
64 x 64. The table gives the seconds, the views, the milliseconds per view and the ratio to
the target; the last line the validation pairs' extra cost (32 pairs, their 17 in-between
views rendered off the grid), which training and ``validation_pairs_dataset`` add.
"""

from __future__ import annotations

import argparse
import time

import torch

from aeai_lib.data import objects
from aeai_lib.data.validation import validation_pairs_dataset
from aeai_lib.evaluation.ground_truth import interval_pairs, true_paths
from aeai_lib.evaluation.protocol import view_alphas

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--specs", nargs="+", default=["objects", "objects:50"])
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'spec':<14} {'size':>4} {'views':>6} {'seconds':>8} {'ms/view':>8} {'/ 60 s':>7}")
    first = None
    for spec in args.specs:
        start = time.perf_counter()
        dataset = objects.dataset(spec, size=args.size, cache_dir=False)
        seconds = time.perf_counter() - start
        first = first or dataset
        print(
            f"{spec:<14} {args.size:>4} {len(dataset):>6} {seconds:>8.1f} "
            f"{1000 * seconds / len(dataset):>8.1f} {seconds / TARGET_SECONDS:>7.2f}"
        )
    start = time.perf_counter()
    validation = validation_pairs_dataset(first, n_pairs=32)
    pairs = interval_pairs(validation, 80, split="test")
    true_paths(validation, pairs, view_alphas(validation, 80))
    seconds = time.perf_counter() - start
    views = 2 * len(pairs) + len(pairs) * (len(view_alphas(validation, 80)) - 2)
    print(f"validation pairs of {first.name}: {views} views in {seconds:.1f} s")


if __name__ == "__main__":
    main()
