"""Fitting AdvAI's correction to a shipped model's codes: the time on one CPU thread, and the MMD.

    python benchmarks/advai_fit.py [--checkpoint data/checkpoints/pole_ae.pt] [--steps 1000]
                                   [--seed 0] [--threads 1]

Loads the checkpoint and its dataset (not timed), then times
:func:`aeai_lib.correct.fit_correction` with its defaults: encoding the training
images once and training R and D_R on the codes (issue 26's target: at most 2 minutes for a
64x64 model on one thread). Then it prints the midpoint MMD^2 of lerp, of the normalised lerp
and of the fitted path to the real codes, on the training codes (what the fit saw) and on the
codes of all images (what ``evaluate`` reports as latent MMD): the fitted path should read
below lerp. The load average is printed beside the time: the fit is compute-bound, so a busy
machine lengthens the wall time; the process's CPU time (also printed) is close to what an idle
core takes.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from aeai_lib.correct import fit_correction, load_correctable
from aeai_lib.data.registry import load_checkpoint_dataset
from aeai_lib.evaluation.measures import latent_mismatch
from aeai_lib.inference import encode_images
from aeai_lib.interpolation import lerp, normalized_lerp
from aeai_lib.methods.advai.fitted import FIT_STEPS

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default="data/checkpoints/pole_ae.pt")
    parser.add_argument("--steps", type=int, default=FIT_STEPS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    record, model = load_correctable(args.checkpoint)
    dataset = load_checkpoint_dataset(
        record["dataset"], args.checkpoint, size=model.config.image_size
    )
    load = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    correction = fit_correction(model, dataset, steps=args.steps, seed=args.seed)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
    print(
        f"{args.checkpoint}: {model.label}, {model.config.image_size}x{model.config.image_size}, "
        f"{model.config.latent_dim}-D codes of {correction.n_codes} training images"
    )
    print(
        f"fit: {args.steps} steps of {correction.pairs} pairs, seed {args.seed}, "
        f"{torch.get_num_threads()} thread(s): {seconds:.1f} s wall ({verdict} the "
        f"{TARGET_SECONDS:.0f} s target), {cpu_seconds:.1f} s of CPU time; load average "
        f"{load:.1f} on {os.cpu_count()} cores when it started"
    )
    with torch.no_grad():
        all_codes = encode_images(model, dataset.images).float().cpu()
    train_codes = all_codes[dataset.train_idx]
    print(f"{'midpoint MMD^2 to the codes':<28} {'train codes':>12} {'all codes':>12}")
    for name, path in (
        ("lerp", lerp),
        ("normalised lerp", normalized_lerp),
        ("fitted AdvAI R", correction.interpolate),
    ):
        on_train = latent_mismatch(train_codes, path)["mmd"]
        on_all = latent_mismatch(all_codes, path)["mmd"]
        print(f"{name:<28} {on_train:>12.4f} {on_all:>12.4f}")


if __name__ == "__main__":
    main()
