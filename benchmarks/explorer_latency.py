"""Latent-explorer latency: how long the app takes to respond to a slider move, a pair change
and a method change, against the 100 ms target of an interactive slider.

    python benchmarks/explorer_latency.py [--device cpu|cuda] [--repeats 20] [--models 1]

Settings: the 64x64 pole dataset (576 images), an untrained default AEAI model (latent 256;
the weights do not change the cost), ``--models`` of them side by side. Each update is timed
from setting the widget's value to the observer's return (decoding, ground truth, the PNGs;
not the transfer to a browser). A slider move visits a new alpha each time (0.01 steps, off
the cached path grid, so each decodes one code); pair and method changes decode the path on
the grid and redraw the plots. Median and 90th percentile over --repeats updates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from aeai_lib.data import pole
from aeai_lib.device import pick_device
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig
from aeai_lib.widgets import LatentExplorer

TARGET_MS = 100.0


def time_updates(update: Callable[[int], None], repeats: int) -> list[float]:
    """Milliseconds of ``update(k)`` for k = 0..repeats-1."""
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        update(k)
        times.append(1000 * (time.perf_counter() - start))
    return times


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: best available)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--models", type=int, default=1, help="models side by side")
    args = parser.parse_args()

    device = pick_device(args.device)
    dataset = pole.dataset(size=64)
    torch.manual_seed(0)
    models = [make_method("aeai").build_model(ModelConfig()).to(device) for _ in range(args.models)]
    start = time.perf_counter()
    explorer = LatentExplorer(models, dataset, index_a=0, index_b=100, alpha=0.0)
    build_s = time.perf_counter() - start

    methods = explorer.method.options
    n_images = len(dataset)
    cases = {
        "slider move": lambda k: setattr(explorer.alpha, "value", round(0.01 * (k + 1), 2)),
        "pair change": lambda k: setattr(explorer.index_b, "value", (101 + 37 * k) % n_images),
        "method change": lambda k: setattr(explorer.method, "value", methods[(k + 1) % 3]),
    }
    print(
        f"latent explorer, 64x64 pole ({n_images} images), {args.models} untrained AEAI "
        f"model(s), device {device}, torch threads {torch.get_num_threads()}; "
        f"built in {build_s:.2f} s"
    )
    print(f"{'update':<15}{'median ms':>11}{'p90 ms':>9}{'target ms':>11}  verdict")
    for name, update in cases.items():
        times = time_updates(update, args.repeats)
        median, p90 = statistics.median(times), percentile(times, 0.9)
        verdict = "ok" if median < TARGET_MS else "over"
        print(f"{name:<15}{median:>11.1f}{p90:>9.1f}{TARGET_MS:>11.0f}  {verdict}")


if __name__ == "__main__":
    main()
