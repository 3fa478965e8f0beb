"""Reading a training history: the mean of a loss term over a window of steps.

A history is what :func:`aeai_lib.training.train` records and a checkpoint keeps:
``{term: [value at step 0, value at step 1, ...]}``, one float per training step for each
loss term (e.g. ``"reconstruction"``, ``"adversarial"``, ``"discriminator"``). One step's
value is noisy (one batch); the notebooks compare terms averaged over windows of steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aeai_lib.validation import check_choice


def window_mean(
    history: Mapping[str, Sequence[float]],
    term: str,
    start: int | None = None,
    stop: int | None = None,
) -> float:
    """Mean of ``history[term]`` over the steps ``start`` to ``stop`` (a Python slice).

    ``window_mean(h, "reconstruction", -100)`` is the mean of the last 100 steps;
    ``window_mean(h, "discriminator", 500, 1000)`` of steps 500 to 999; no bounds, the whole run.

    Raises:
        ValueError: an unknown ``term`` (the message lists the recorded ones), or a window
            with no step in it.
    """
    values = history[check_choice("term", term, history)][start:stop]
    if not values:
        recorded = len(history[term])
        raise ValueError(
            f"the window [{start}:{stop}] holds no step of {term!r} ({recorded} steps recorded)"
        )
    return sum(values) / len(values)
