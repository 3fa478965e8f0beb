"""Training speed options: bf16 autocast (CUDA, or a CPU with AVX512-BF16 or AMX),
channels-last memory format, compiled networks and a learning-rate schedule (issue 22).

:func:`aeai_lib.training.train` asks :func:`plan_speed` for a :class:`SpeedPlan` before any
work: it refuses what cannot run (bf16 asked for on a CPU without it, an unknown schedule),
falls back with a warning where the issue allows it (no C++ compiler for ``torch.compile``,
bf16 on MPS), and then prepares the model, gives the autocast context and sets each step's
learning rate. Lazy R1 is an AEAI option (``r1_every``, :mod:`aeai_lib.methods.aeai`), since it
changes that method's discriminator objective.

Why detection and not assumption: CPU autocast runs convolutions and matrix products in bf16,
which oneDNN does at several times the float32 rate with AVX512-BF16 or AMX, but more slowly
than float32 without them (pytorch#86270). ``ATEN_CPU_CAPABILITY=avx2`` (or ``default``)
stands in for a processor without them, as does :data:`BF16_ENV_VAR` = ``unsupported``.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from dataclasses import dataclass, field

import torch
import torch._functorch.config

from aeai_lib.validation import check_choice

BF16_ENV_VAR = "AEAI_CPU_BF16"
"""Overrides :func:`cpu_supports_bf16`: ``unsupported`` (or 0, no, false) forces "no",
``supported`` (or 1, yes, true) forces "yes"; unset or empty: detect."""
LR_SCHEDULES = ("constant", "cosine", "one_cycle")
"""Learning-rate schedules (:func:`lr_factor`)."""
ONE_CYCLE_DIV, ONE_CYCLE_FINAL_DIV = 25.0, 1e4
"""torch.optim.lr_scheduler.OneCycleLR's ``div_factor`` and ``final_div_factor`` defaults."""
BF16_CAPABILITIES = ("AVX512", "AMX")
"""ATen CPU capabilities (torch.backends.cpu.get_cpu_capability) under which bf16 can pay."""


def cpu_supports_bf16() -> bool:
    """Whether this CPU runs bf16 natively: AVX512-BF16 or AMX tiles reported by torch, and ATen
    dispatching to AVX512 kernels (``ATEN_CPU_CAPABILITY=avx2`` or ``default`` says no).

    :data:`BF16_ENV_VAR` overrides the detection (tests force "unsupported" with it).

    Raises:
        ValueError: an override other than the words above (the message names the variable).
    """
    override = os.environ.get(BF16_ENV_VAR, "").strip().lower()
    if override in ("unsupported", "0", "no", "false"):
        return False
    if override in ("supported", "1", "yes", "true"):
        return True
    if override:
        raise ValueError(
            f"{BF16_ENV_VAR}={override!r}: expected 'supported' or 'unsupported' (or unset)"
        )
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return native and torch.backends.cpu.get_cpu_capability() in BF16_CAPABILITIES


UNSUPPORTED_BF16 = (
    "bf16: this CPU has neither AVX512-BF16 nor AMX (or ATEN_CPU_CAPABILITY or "
    f"{BF16_ENV_VAR} rules them out), and bf16 is slower than float32 there; allowed here: "
    "bf16=false, or bf16=none (only where it is native)"
)


def check_bf16_request(bf16: bool | None, device: str | None) -> None:
    """Refuse bf16=True for a run on the CPU (``device`` "cpu..." or None on a machine with
    neither CUDA nor MPS) without native bf16, before anything is loaded.

    Raises:
        ValueError: :data:`UNSUPPORTED_BF16`, one line naming the option and its allowed values.
    """
    if bf16 is not True:
        return
    on_cpu = (device is None and not torch.cuda.is_available()) and not (
        torch.backends.mps.is_available()
    )
    if (on_cpu or str(device).startswith("cpu")) and not cpu_supports_bf16():
        raise ValueError(UNSUPPORTED_BF16)


def cxx_compiler() -> str | None:
    """The C++ compiler torch.compile's inductor backend would use on the CPU, or None."""
    from torch._inductor import cpp_builder, exc

    try:
        return cpp_builder.get_cpp_compiler()
    except (exc.InvalidCxxCompiler, OSError, RuntimeError):
        return None


def check_lr_schedule(schedule: str, warmup: float) -> None:
    """Refuse an unknown schedule or a warm-up fraction outside [0, 1).

    Raises:
        ValueError: the message names lr_schedule (with :data:`LR_SCHEDULES`) or lr_warmup.
    """
    check_choice("lr_schedule", schedule, LR_SCHEDULES)
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float)) or not 0 <= warmup < 1:
        raise ValueError(f"lr_warmup must be a fraction of the steps in [0, 1), got {warmup!r}")


def lr_factor(schedule: str, step: int, steps: int, warmup: float) -> float:
    """The learning rate of ``step`` (0-based, of ``steps``) as a fraction of the configured one.

    * ``constant``: 1.
    * ``cosine``: linear warm-up from 1 / (W + 1) to 1 over the first W = round(warmup * steps)
      steps, then cosine annealing to 0 at ``steps`` (torch's CosineAnnealingLR, eta_min 0,
      over the steps after the warm-up).
    * ``one_cycle``: torch's OneCycleLR (cosine anneal, pct_start = ``warmup``, div_factor 25,
      final_div_factor 1e4): from lr / 25 up to lr at step warmup * steps - 1, then down to
      lr / 2.5e5 at the last step (momentum is not cycled: cycle_momentum=False).

    Stateless (a function of the step), so a resumed run continues the same curve, provided it
    asks for the same ``steps``.
    """
    if schedule == "constant" or steps <= 1:
        return 1.0
    if schedule == "cosine":
        warm = round(warmup * steps)
        if step < warm:
            return (step + 1) / (warm + 1)
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))
    peak_step = max(1.0, float(warmup * steps) - 1)
    start, end = 1 / ONE_CYCLE_DIV, 1 / (ONE_CYCLE_DIV * ONE_CYCLE_FINAL_DIV)
    if step <= peak_step:
        low, high, fraction = start, 1.0, step / peak_step
    else:
        low, high, fraction = 1.0, end, (step - peak_step) / max(1.0, steps - 1 - peak_step)
    return high + (low - high) * 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))


def _uses_double_backward(auxiliary: str, method: object) -> bool:
    """Whether the auxiliary network's objective differentiates a gradient (AEAI's R1)."""
    options = getattr(method, "options", None)
    return auxiliary == "discriminator" and getattr(options, "r1_weight", 0) > 0


@dataclass
class SpeedPlan:
    """What :func:`plan_speed` decided for one run.

    Attributes:
        device: the training device.
        bf16: run the step under bf16 autocast.
        channels_last: models and batches in channels-last memory format.
        compile: torch.compile the networks (False when it fell back).
        schedule, warmup, steps: the learning-rate schedule (:func:`lr_factor`).
    """

    device: torch.device
    bf16: bool = False
    channels_last: bool = False
    compile: bool = False
    schedule: str = "constant"
    warmup: float = 0.0
    steps: int = 0
    _base_lrs: dict[str, list[float]] = field(default_factory=dict)

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on the device, or a context that does nothing."""
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)

    def prepare_model(self, model: torch.nn.Module, method: object) -> torch.nn.Module:
        """Channels-last and compilation, in place (state dict keys unchanged). An auxiliary
        network trained through a double backward (AEAI's discriminator with R1) stays
        eager: aot_autograd does not support double backward (pytorch#92348)."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        if self.compile:
            # two objectives back-propagate through one graph (the first retains it), which
            # compiled backward functions refuse while they donate their buffers
            torch._functorch.config.donated_buffer = False
            model.encoder.compile()
            model.decoder.compile()
            for name, network in getattr(model, "auxiliary", {}).items():
                if not _uses_double_backward(name, method):
                    network.compile()
        return model

    def prepare_images(self, images: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) in the plan's memory format."""
        if self.channels_last:
            return images.contiguous(memory_format=torch.channels_last)
        return images

    def set_lr(self, optimizers: dict[str, torch.optim.Optimizer], step: int) -> None:
        """Set every parameter group's learning rate for ``step`` (0-based): its configured
        rate (read on the first call) times :func:`lr_factor`."""
        if self.schedule == "constant":
            return
        factor = lr_factor(self.schedule, step, self.steps, self.warmup)
        for name, optimizer in optimizers.items():
            base = self._base_lrs.setdefault(name, [g["lr"] for g in optimizer.param_groups])
            for group, lr in zip(optimizer.param_groups, base, strict=True):
                group["lr"] = lr * factor

    def describe(self) -> dict[str, object]:
        """What ran, for the checkpoint: bf16, channels_last and compile as used."""
        return {"bf16": self.bf16, "channels_last": self.channels_last, "compile": self.compile}


def plan_speed(
    device: torch.device,
    *,
    bf16: bool | None,
    channels_last: bool,
    compile: bool,
    schedule: str,
    warmup: float,
    steps: int,
) -> SpeedPlan:
    """Decide the speed options of a run on ``device``, before any work.

    bf16: True asks for it (refused on a CPU without native bf16, :func:`cpu_supports_bf16`;
    ignored with a warning on MPS); None uses it where it is native (CUDA with bf16, a CPU
    with AVX512-BF16 or AMX); False never. compile without a C++ compiler on the CPU warns
    and trains eager.

    Raises:
        ValueError: bf16=True on a CPU without native bf16, or a bad schedule (one line naming
            the option and the allowed values).
    """
    check_lr_schedule(schedule, warmup)
    if device.type == "cuda":
        native = torch.cuda.is_bf16_supported()
    elif device.type == "cpu":
        native = cpu_supports_bf16()
    else:
        native = False
    use_bf16 = bool(native) if bf16 is None else bf16 and native
    if bf16 and not native:
        if device.type == "cpu":
            raise ValueError(UNSUPPORTED_BF16)
        warnings.warn(f"bf16 autocast is not native on {device}; training in float32", stacklevel=3)
    use_compile = compile
    if compile and device.type == "cpu" and cxx_compiler() is None:
        warnings.warn(
            "compile: no C++ compiler found for torch.compile (install g++ or set CXX); "
            "training eager",
            stacklevel=3,
        )
        use_compile = False
    return SpeedPlan(device, use_bf16, channels_last, use_compile, schedule, warmup, steps)
