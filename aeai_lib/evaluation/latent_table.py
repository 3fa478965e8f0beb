"""The latent side of an interpolation, as a table: are interpolated codes like real codes?

Notebook 08 asks whether AdvAI's learned path keeps midpoint codes closer to the codes they
were made from, and to the prior, than lerp does. :func:`midpoint_sets` builds the sets to
compare (each code set, and its midpoints under each interpolation, every code paired with a
random partner by the same seeded pairing); :func:`latent_table` measures each set: the mean
and spread of its norms, its squared MMD (:func:`~aeai_lib.evaluation.mismatch.mmd`) to the
codes it came from and to samples of the prior, and optionally the mean squared answer of a
critic on it (AdvAI's D_R: 0 when it takes every point for a real code);
:func:`format_latent_table` prints it.

MMD² is an unbiased estimate: between two independent sets of a few hundred points of the
same distribution it scatters by a few thousandths around 0, so compare a row with a row that
measures two draws of one distribution (the noise floor), and the codes of different models
only within one model (their scales differ).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import torch

from aeai_lib.evaluation.mismatch import interpolant_codes, mmd, norm_stats
from aeai_lib.interpolation import Interpolation

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("norm", "mean ‖z‖", ".2f"),
    ("norm_std", "std", ".2f"),
    ("mmd_codes", "MMD² to its codes", ".4f"),
    ("mmd_prior", "MMD² to the prior", ".4f"),
    ("critic", "mean D_R²", ".3f"),
)
"""(key, header, format) of each column of :func:`format_latent_table`."""


@dataclass(frozen=True)
class LatentSet:
    """A set of codes (N, D) to measure, and the codes it was made from (None for a set of
    real codes or prior samples itself)."""

    codes: torch.Tensor
    source: torch.Tensor | None = None


def midpoint_sets(
    codes: Mapping[str, torch.Tensor],
    interpolations: Mapping[str, tuple[str, Interpolation]],
    pairing_seed: int,
    alpha: float = 0.5,
) -> dict[str, LatentSet]:
    """Each code set, followed by its midpoints under each of its interpolations.

    Args:
        codes: name -> codes (N, D), N >= 2 (e.g. ``{"AE codes": ..., "N(0, I) samples": ...}``).
        interpolations: label -> (a name of ``codes``, interpolation ``f(z1, z2, alphas)``).
        pairing_seed: seeds the random cyclic pairing of
            :func:`~aeai_lib.evaluation.mismatch.interpolant_codes`, the same for every
            interpolation of a set, so that lerp and a learned path join the same pairs.
        alpha: where on each path the midpoint is taken, in [0, 1].

    Returns:
        ``{name: LatentSet(codes)}`` and, after each, ``{f"{label} midpoints": LatentSet(
        midpoints (N, D), source=codes)}`` for the interpolations of that set, in order.

    Raises:
        ValueError: an interpolation naming a code set that ``codes`` lacks.
    """
    unknown = {source for source, _ in interpolations.values()} - set(codes)
    if unknown:
        raise ValueError(f"interpolations name code sets {sorted(unknown)} not in {list(codes)}")
    sets: dict[str, LatentSet] = {}
    with torch.no_grad():
        for name, z in codes.items():
            sets[name] = LatentSet(z)
            for label, (source, interpolate) in interpolations.items():
                if source == name:
                    pairing = torch.Generator().manual_seed(pairing_seed)
                    midpoints = interpolant_codes(z, interpolate, [alpha], pairing)
                    sets[f"{label} midpoints"] = LatentSet(midpoints, z)
    return sets


def latent_table(
    sets: Mapping[str, LatentSet],
    prior_samples: torch.Tensor,
    critic: Callable[[torch.Tensor], torch.Tensor] | None = None,
    no_critic: Collection[str] = (),
    seed: int = 0,
) -> dict[str, dict[str, float | None]]:
    """Measure each set of codes against the codes it came from and against the prior.

    Args:
        sets: label -> :class:`LatentSet`, e.g. from :func:`midpoint_sets`.
        prior_samples: (M, D) fresh samples of the prior, M >= 2, independent of ``sets``.
        critic: a network on codes (K, D) -> (K,) or (K, 1) (AdvAI's D_R), or None.
        no_critic: labels of sets the critic was not made for (their cell is None).
        seed: seeds the MMD subsampling (a fresh generator per estimate).

    Returns:
        label -> ``{"norm", "norm_std"}`` (:func:`~aeai_lib.evaluation.mismatch.norm_stats`
        mean and sample std of ||z||), ``"mmd_codes"`` (MMD² to the source codes; None for a
        set without a source), ``"mmd_prior"`` (MMD² to ``prior_samples``) and ``"critic"``
        (mean of the critic's squared answer; None without a critic or in ``no_critic``).
    """
    table: dict[str, dict[str, float | None]] = {}
    for label, entry in sets.items():
        stats = norm_stats(entry.codes)
        row: dict[str, float | None] = {"norm": stats["mean"], "norm_std": stats["std"]}
        row["mmd_codes"] = (
            None
            if entry.source is None
            else mmd(entry.codes, entry.source, generator=torch.Generator().manual_seed(seed))
        )
        row["mmd_prior"] = mmd(
            entry.codes, prior_samples, generator=torch.Generator().manual_seed(seed)
        )
        row["critic"] = None
        if critic is not None and label not in no_critic:
            with torch.no_grad():
                row["critic"] = critic(entry.codes).square().mean().item()
        table[label] = row
    return table


def format_latent_table(table: Mapping[str, Mapping[str, float | None]]) -> str:
    """:func:`latent_table` as aligned text, one line per set; a missing value reads "—"."""
    width = max(len(label) for label in table) + 2
    lines = [" " * width + "".join(f"{header:>19}" for _, header, _ in COLUMNS)]
    for label, row in table.items():
        cells = ["—" if row.get(key) is None else format(row[key], fmt) for key, _, fmt in COLUMNS]
        lines.append(f"{label:<{width}}" + "".join(f"{cell:>19}" for cell in cells))
    return "\n".join(lines)
