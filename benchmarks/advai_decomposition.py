"""Issue 26's decomposition of AdvAI-AE's result, printed as Markdown, from checkpoints.

    python benchmarks/advai_decomposition.py --ae data/checkpoints/pole_ae.pt \\
        --advai data/checkpoints/pole_advai.pt [--corrected AE=runs/pole_ae_fitted.pt ...]

One checkpoint per seed for each of ``--ae`` and ``--advai`` (same order); ``--corrected
LABEL=PATH,PATH,...`` adds checkpoints written by ``python -m aeai_lib correct``, one per seed,
whose code-trained R is measured against their lerp. Evaluation as ``python -m aeai_lib
evaluate --max-pairs 32`` (:func:`aeai_lib.evaluation.advai_decomposition.decomposition`);
about 15 s per evaluation on one free core.
"""

from __future__ import annotations

import argparse

import torch

from aeai_lib.evaluation.advai_decomposition import decomposition, format_decomposition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ae", nargs="+", required=True)
    parser.add_argument("--advai", nargs="+", required=True)
    parser.add_argument("--corrected", nargs="*", default=[], metavar="LABEL=PATH,PATH")
    parser.add_argument("--max-pairs", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corrected = {}
    for item in args.corrected:
        label, equals, paths = item.partition("=")
        if not equals:
            parser.error(f"--corrected expects LABEL=PATH[,PATH...], got {item!r}")
        corrected[label] = paths.split(",")
    result = decomposition(args.ae, args.advai, corrected=corrected, max_pairs=args.max_pairs)
    print(format_decomposition(result))


if __name__ == "__main__":
    main()
