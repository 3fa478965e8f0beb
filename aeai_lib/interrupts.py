"""Ctrl-C during training: finish the step, write the checkpoint, then stop, saying how to go on.

:func:`deferred_interrupts` replaces Python's SIGINT handler for the length of a ``with``
block by one that only records the request (:attr:`InterruptRequest.requested`). The training
loop reads it after each step: it writes the checkpoint of the steps done (atomically,
:func:`aeai_lib.checkpoint.save_checkpoint`) and raises :class:`TrainingInterrupted`. Any
further Ctrl-C while it saves is recorded too, so the file is always written completely; the
handler that was there before comes back when the block ends. Outside the main thread (where
Python allows no signal handler) the block changes nothing and Ctrl-C behaves as usual.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
INTERRUPTED_EXIT_CODE = 130
"""The shell's exit status for a process ended by SIGINT (128 + 2), returned by the CLI."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C after a whole step.

    Attributes:
        step: steps done (and recorded in the checkpoint).
        steps: steps asked for.
        checkpoint: the checkpoint written at ``step`` (None when training kept no checkpoint).
    """

    def __init__(self, step: int, steps: int, checkpoint: str | Path | None) -> None:
        super().__init__(step, steps, checkpoint)
        self.step, self.steps, self.checkpoint = step, steps, checkpoint

    def __str__(self) -> str:
        where = (
            f"the checkpoint of step {self.step} is in {str(self.checkpoint)!r}"
            if self.checkpoint is not None
            else "no checkpoint was asked for, so nothing was written"
        )
        return f"interrupted at step {self.step} of {self.steps}; {where}"


@dataclass
class InterruptRequest:
    """Whether Ctrl-C was pressed (``requested``) and how many times (``count``)."""

    requested: bool = False
    count: int = 0


@contextmanager
def deferred_interrupts(request: InterruptRequest | None = None) -> Iterator[InterruptRequest]:
    """Record SIGINT in ``request`` (a new one if None) instead of raising KeyboardInterrupt
    while the block runs (main thread only); yields it for the caller to read at safe points."""
    request = InterruptRequest() if request is None else request
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def record(signum: int, frame: object) -> None:
        request.requested = True
        request.count += 1

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)


def deferring_interrupts(steps: Iterable[T], request: InterruptRequest) -> Iterator[T]:
    """The items of ``steps``, with SIGINT recorded in ``request`` from the first item until
    the loop over them ends, breaks or raises (when the generator is closed): the loop body,
    and any checkpoint it writes, is never cut short by Ctrl-C."""
    with deferred_interrupts(request):
        yield from steps
