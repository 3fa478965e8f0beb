"""AdvAI on the toy priors: how far lerp and AdvAI interpolants are from the prior.

    python benchmarks/advai_priors.py [--steps 3000] [--seed 0]

For every 2-D prior of :data:`aeai_lib.priors.PRIORS` it trains R and D_R on prior samples
(:func:`aeai_lib.evaluation.toy_priors.train_correction`, default options) and prints the
distance of lerp and of AdvAI interpolants to the prior
(:func:`aeai_lib.evaluation.toy_priors.distance_to_prior`: squared MMD, and the total
variation between 40 x 40 histograms), the factor lerp / AdvAI (> 1: AdvAI is closer;
target: > 1 on every prior) and, as the floor, the distance of an ideal interpolation whose
outputs are fresh prior samples (MMD's floor is sampling noise around 0; where AdvAI is within
it the factor means little and the row says so). Then the same with MMD for a 16-D Gaussian,
where R and D_R use ``input_scale=1`` (see :mod:`aeai_lib.methods.advai.correction`: in 16-D
the default 5 ends about 3x farther from the prior). Training runs on one thread; about 10 s
per prior on an idle core.
"""

from __future__ import annotations

import argparse
import time

import torch

from aeai_lib.evaluation.toy_priors import STEPS, distance_to_prior, train_correction
from aeai_lib.interpolation import Interpolation, lerp
from aeai_lib.methods.advai.correction import CorrectionOptions
from aeai_lib.priors import PRIORS, sample_prior

EVAL_SEED = 1


def ideal_interpolation(prior: str, seed: int) -> Interpolation:
    """An 'interpolation' returning fresh prior samples (N, A, D): the noise floor."""
    generator = torch.Generator().manual_seed(seed)

    def interpolate(z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
        n, dim = z1.shape
        return sample_prior(prior, n * len(alphas), dim, generator).reshape(n, len(alphas), dim)

    return interpolate


def rows_for(
    prior: str, dim: int, measures: tuple[str, ...], steps: int, seed: int, options
) -> list[str]:
    """Train on one prior and return one formatted table row per measure."""
    started = time.perf_counter()
    trained = train_correction(prior, dim, steps=steps, seed=seed, options=options)
    seconds = time.perf_counter() - started
    rows = []
    for measure in measures:
        lerp_d, advai_d, floor = (
            distance_to_prior(f, prior, dim, seed=EVAL_SEED, measure=measure)
            for f in (lerp, trained.correction.interpolate, ideal_interpolation(prior, seed))
        )
        factor = f"{lerp_d / advai_d:8.2f}" if advai_d > 0 else "     inf"
        at_floor = "  AdvAI at the floor" if advai_d <= abs(floor) else ""
        rows.append(
            f"{prior:<13}{dim:>4}  {measure:<10}{lerp_d:>10.4f}{advai_d:>10.4f}{floor:>10.4f}"
            f"{factor}{seconds:>9.1f}{at_floor}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(
        f"AdvAI vs lerp on the toy priors: {args.steps} steps, seed {args.seed}; distances of "
        "interpolants (2000 pairs x 16 alphas ~ U[0, 1]) to fresh prior samples"
    )
    print(
        f"{'prior':<13}{'dim':>4}  {'measure':<10}{'lerp':>10}{'AdvAI':>10}{'floor':>10}"
        f"{'factor':>8}{'train s':>9}"
    )
    for prior in PRIORS:
        for row in rows_for(
            prior, 2, ("mmd", "histogram"), args.steps, args.seed, CorrectionOptions()
        ):
            print(row, flush=True)
    for row in rows_for(
        "gaussian", 16, ("mmd",), args.steps, args.seed, CorrectionOptions(input_scale=1.0)
    ):
        print(row, flush=True)
    print(
        "mmd: squared MMD (median-heuristic bandwidths); histogram: total variation of 40 x 40 "
        "histograms on [-1.5, 1.5]^2; floor: fresh prior samples in place of interpolants; "
        "factor: lerp / AdvAI (unstable when AdvAI is at the floor, i.e. within sampling noise)"
    )


if __name__ == "__main__":
    main()
