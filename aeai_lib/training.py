"""The training loop: any method, CPU or CUDA, reproducible, resumable, watched for NaN.

Each step draws a batch of training images (with replacement, from a seeded generator), asks
the method for its losses, and steps the optimiser of each parameter group the method names
(:meth:`~aeai_lib.methods.base.Method.make_optimizers`: Adam unless the method says otherwise).
Both objectives are computed on one forward pass and back-propagated each into its own group
(``backward(inputs=...)``), then both optimisers step: simultaneous updates, as is usual for
GAN-style training. Resuming restores the weights, the optimisers and the generator, so a
resumed CPU run continues exactly as an uninterrupted one would.

The training images are moved to the device once, for the whole run; each batch is gathered
there. The run's one seeded generator draws on the host only the batch's indices and the
method's alphas (a few hundred bytes, copied without stalling a GPU,
:func:`~aeai_lib.device.to_device`), and the only copy back to the host per step is the
logged loss terms, all in one transfer.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from aeai_lib.checkpoint import load_checkpoint, save_checkpoint
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.registry import family
from aeai_lib.data.validation import validation_images
from aeai_lib.device import pick_device, seed_everything, to_device
from aeai_lib.inference import inference, reconstruction_error
from aeai_lib.interrupts import (
    InterruptRequest,
    TrainingInterrupted,
    deferred_interrupts,
    deferring_interrupts,
)
from aeai_lib.losses import reconstruction_loss
from aeai_lib.methods.base import ADVERSARY, Method
from aeai_lib.models import AutoencoderModel, ModelConfig
from aeai_lib.resume import check_resumable
from aeai_lib.speed import check_bf16_request, check_lr_schedule, plan_speed
from aeai_lib.validation import (
    check_images,
    check_nonnegative,
    check_output_file,
    check_positive_int,
)

DEFAULT_LATENT_DIM = {"pole": 256, "lines": 32, "objects": 256}
"""Latent size by dataset family (:func:`aeai_lib.data.registry.family`). The objects take
the pole's and folders' 256, as the COIL-like folder runs of issue 28 did."""
FALLBACK_LATENT_DIM = 256
ACAI_LATENT_DIM = 64
"""Latent size of architecture "acai": 16 channels on a 2x2 map (ACAI's ``runs/acai.sh``)."""
MIN_TRAIN_IMAGES = 2
"""Fewest training images :func:`train` accepts: one pair of distinct images to interpolate."""


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or inf during training."""


StepCallback = Callable[[int, AutoencoderModel], bool | None]
"""Called by :func:`train` after every step with (steps done, model); True stops training."""


@dataclass(frozen=True)
class Monitor:
    """A held-out benchmark read during training, e.g. ACAI's lines benchmark
    (:func:`aeai_lib.evaluation.lines_benchmark.lines_monitor`).

    Attributes:
        every: read it after every this many steps (steps done: every, 2 every, ...) and
            after the last step; an integer >= 1.
        start: read it only from this many steps done on (0: from the start), e.g. only over
            the end of a run, where ACAI's Table 1 takes its median.
        measure: the trained model (eval mode, no gradients) -> ``{name: value}`` floats. It
            must draw nothing from the training run's generator (a fixed set of pairs), so
            that a run with a monitor trains exactly as one without.

    :func:`train` keeps the readings in ``TrainingResult.readings`` and the checkpoint's
    ``"readings"``: ``{"step": [...], name: [...]}``, and a resumed run continues them.
    """

    every: int
    measure: Callable[[AutoencoderModel], dict[str, float]]
    start: int = 0

    def __post_init__(self) -> None:
        check_positive_int("every", self.every)
        check_positive_int("start", self.start, minimum=0)

    def due(self, steps_done: int, total_steps: int) -> bool:
        """Whether to read the benchmark after ``steps_done`` of ``total_steps`` steps."""
        if steps_done == total_steps:
            return True
        return steps_done >= self.start and steps_done % self.every == 0


@dataclass(frozen=True)
class TrainConfig:
    """How to train: length, batch, optimiser, seed and device.

    Attributes:
        steps: optimiser steps in all (a resumed run continues up to this count).
        batch_size: images per step; AEAI forms batch_size // 2 pairs from them.
        lr: Adam learning rate of the autoencoder.
        adversary_lr: Adam learning rate of the method's adversary (e.g. the discriminator);
            None: the method's own :attr:`~aeai_lib.methods.base.Method.default_adversary_lr`.
        seed: seeds weight initialisation, batches and every random draw of the method.
        device: "cpu", "cuda", "mps" or None for :func:`~aeai_lib.device.pick_device`.
        bf16: bf16 autocast: True asks for it (refused on a CPU without AVX512-BF16 or AMX,
            ignored with a warning on MPS), None uses it only where it is native, False never
            (:func:`aeai_lib.speed.plan_speed`).
        channels_last: models and batches in channels-last memory format (same maths).
        compile: torch.compile the networks (eager, with a warning, without a C++ compiler;
            a discriminator trained with R1's double backward stays eager).
        lr_schedule: learning-rate schedule of every optimiser, one of
            :data:`aeai_lib.speed.LR_SCHEDULES` (:func:`aeai_lib.speed.lr_factor`).
        lr_warmup: the schedule's warm-up, a fraction of ``steps`` in [0, 1).
        checkpoint_every: also write the checkpoint every this many steps (0: only at the end).
        diagnostics_every: every this many steps (and after the last) record the
            diagnostics of :func:`diagnose` (0: never).
    """

    steps: int = 3000
    batch_size: int = 32
    lr: float = 1e-3
    adversary_lr: float | None = None
    seed: int = 0
    device: str | None = None
    bf16: bool | None = False
    channels_last: bool = False
    compile: bool = False
    lr_schedule: str = "constant"
    lr_warmup: float = 0.05
    checkpoint_every: int = 500
    diagnostics_every: int = 100

    def __post_init__(self) -> None:
        check_positive_int("steps", self.steps, minimum=0)
        check_positive_int("batch_size", self.batch_size, minimum=2)
        check_nonnegative("lr", self.lr)
        if self.adversary_lr is not None:
            check_nonnegative("adversary_lr", self.adversary_lr)
        check_positive_int("checkpoint_every", self.checkpoint_every, minimum=0)
        check_positive_int("diagnostics_every", self.diagnostics_every, minimum=0)
        check_lr_schedule(self.lr_schedule, self.lr_warmup)
        check_bf16_request(self.bf16, self.device)


@dataclass
class TrainingResult:
    """A trained model (eval mode) with its per-step loss history, its diagnostics (every
    ``diagnostics_every`` steps, see :func:`diagnose`), measures and training time in seconds
    (summed over resumed runs)."""

    model: AutoencoderModel
    method: Method
    history: dict[str, list[float]]
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    diagnostics: dict[str, list[float]] = field(default_factory=dict)
    readings: dict[str, list[float]] = field(default_factory=dict)


def diagnose(
    method: Method,
    model: AutoencoderModel,
    components: dict[str, torch.Tensor],
    validation: torch.Tensor | None,
    step: int,
) -> dict[str, float]:
    """What explains a run's balance at one step, as plain floats.

    * ``grad/encoder/<term>``, ``grad/decoder/<term>``: the L2 norm of each weighted term's
      gradient (``components``, from the step's forward pass) with respect to all encoder
      or all decoder weights: the push each term gives, which loss values do not show.
    * ``val_reconstruction``: MSE per pixel of held-out ``validation`` images (B, C, H, W)
      (:func:`aeai_lib.data.validation.validation_images`; absent when None).
    * the method's :meth:`~aeai_lib.methods.base.Method.heldout_diagnostics` on them (AEAI:
      the discriminator's accuracy and mean D(x) on real images and their interpolants).

    Held-out measures run in eval mode under no_grad with a generator seeded by ``step``, so
    they do not change the training run. One backward pass per term serves both networks,
    and the measures reach the host in one transfer.
    """
    encoder, decoder = list(model.encoder.parameters()), list(model.decoder.parameters())
    measures: dict[str, torch.Tensor] = {}
    for name, component in components.items():
        grads = torch.autograd.grad(
            component, encoder + decoder, retain_graph=True, allow_unused=True
        )
        for part, part_grads in (
            ("encoder", grads[: len(encoder)]),
            ("decoder", grads[len(encoder) :]),
        ):
            squares = [g.pow(2).sum() for g in part_grads if g is not None]
            norm = torch.stack(squares).sum().sqrt() if squares else component.new_zeros(())
            measures[f"grad/{part}/{name}"] = norm.detach().float()
    heldout: dict[str, float] = {}
    if validation is not None:
        with inference(model):
            reconstructions = model.decoder(model.encoder(validation))
            measures["val_reconstruction"] = reconstruction_loss(
                validation, reconstructions
            ).float()
            generator = torch.Generator().manual_seed(step)
            heldout = method.heldout_diagnostics(model, validation, generator)
    values = torch.stack(list(measures.values())).tolist() if measures else []
    return {"step": float(step), **dict(zip(measures, values, strict=True)), **heldout}


def default_model_config(
    dataset: ImageDataset, latent_dim: int | None = None, architecture: str = "vgg"
) -> ModelConfig:
    """The model a dataset gets: its image size and channels, the ``architecture`` ("vgg" or
    "acai", :data:`aeai_lib.models.ARCHITECTURES`), and a latent size of 256 (pole, objects,
    folders) or 32 (lines) for "vgg", 64 for "acai" (ACAI's 16 channels on a 2x2 map), unless
    ``latent_dim`` (an integer >= 1) is given; None means the default, 0 is refused.

    Raises:
        ValueError: an unknown architecture (the message lists them), or a latent size it
            cannot hold.
    """
    if latent_dim is not None:
        dim = check_positive_int("latent_dim", latent_dim)
    elif architecture == "acai":
        dim = ACAI_LATENT_DIM
    else:
        dim = DEFAULT_LATENT_DIM.get(family(dataset.name), FALLBACK_LATENT_DIM)
    return ModelConfig(dataset.size, dataset.channels, dim, architecture)


def check_trainable(dataset: ImageDataset) -> None:
    """Refuse, before any work, a dataset whose split left fewer than
    :data:`MIN_TRAIN_IMAGES` training images (e.g. a folder of one or two images)."""
    n_train, n_test = len(dataset.train_idx), len(dataset.test_idx)
    if n_train < MIN_TRAIN_IMAGES:
        raise ValueError(
            f"dataset {dataset.name!r} has {len(dataset)} image(s) and its train/test split "
            f"left {n_train} for training ({n_test} for testing); training needs at least "
            f"{MIN_TRAIN_IMAGES} training images (a pair to interpolate between): add images "
            f"(a folder needs at least {MIN_TRAIN_IMAGES + 1}, since 20% are held out)"
        )


def train(
    dataset: ImageDataset,
    method: Method,
    config: TrainConfig = TrainConfig(),
    *,
    model_config: ModelConfig | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    callback: StepCallback | None = None,
    monitor: Monitor | None = None,
) -> TrainingResult:
    """Train ``method`` on the training split of ``dataset``.

    Args:
        dataset: images (N, C, H, W) in [0, 1] with a train/test split.
        method: e.g. ``make_method("aeai")``.
        config: steps, batch size, learning rates, seed, device.
        model_config: defaults to :func:`default_model_config` of the dataset.
        checkpoint: where to write the checkpoint (atomically) every ``checkpoint_every``
            steps and at the end; None keeps everything in memory.
        resume: continue from ``checkpoint`` if it exists; every setting must be the
            checkpoint's but those of :data:`aeai_lib.resume.RESUME_MAY_CHANGE`.
        progress: show a tqdm progress bar (notebook-aware).
        callback: called after every step with the number of steps done and the model (in
            training mode, on its device), e.g. to evaluate on a schedule; returning True
            stops training there, and the checkpoint and the result record the steps done.
            Its time counts in the training seconds.
        monitor: a held-out benchmark read every ``monitor.every`` steps and after the last
            (:class:`Monitor`); its time counts in the training seconds.

    Raises:
        ValueError: before any work, for a dataset with fewer than :data:`MIN_TRAIN_IMAGES`
            training images, a ``checkpoint`` path that is a folder or cannot be created,
            an unavailable ``config.device``, or images the model does not fit.
        NonFiniteLossError: a loss term became NaN or inf; the message names term and step.
        TrainingInterrupted: Ctrl-C (SIGINT), after the step under way and the checkpoint
            of the steps done (:mod:`aeai_lib.interrupts`); ``resume=True`` continues it.
        CheckpointWriteError: the checkpoint could not be written (an ``OSError`` naming
            path and cause); the previous checkpoint is kept and can be resumed.
    """
    check_trainable(dataset)
    if checkpoint is not None:
        check_output_file(checkpoint, "checkpoint path")
    model_config = model_config or default_model_config(dataset)
    method.check_schedule(config.steps)
    check_images(
        dataset.train_images,
        name="training images",
        size=model_config.image_size,
        channels=model_config.channels,
    )
    device = pick_device(config.device)
    speed = plan_speed(
        device,
        **{k: getattr(config, k) for k in ("bf16", "channels_last", "compile", "steps")},
        schedule=config.lr_schedule,
        warmup=config.lr_warmup,
    )
    generator = seed_everything(config.seed)
    model = speed.prepare_model(method.build_model(model_config).to(device), method)
    groups = method.parameter_groups(model)
    adversary_lr = (
        method.default_adversary_lr if config.adversary_lr is None else config.adversary_lr
    )
    optimizers = method.make_optimizers(groups, config.lr, adversary_lr)
    history: dict[str, list[float]] = {}
    diagnostics: dict[str, list[float]] = {}
    readings: dict[str, list[float]] = {}
    start_step = 0
    earlier_seconds = 0.0  # training time of the runs this one resumes

    if resume and checkpoint is not None and Path(checkpoint).exists():
        record = load_checkpoint(checkpoint)
        if "optimizer_states" not in record:
            raise ValueError(
                f"{checkpoint} was exported without optimiser state and cannot be resumed; "
                "train to a new --out path"
            )
        method_record = {"name": method.name, "options": method.options_dict()}
        if record["method"]["name"] == method.name:  # an option it lacks had its default
            defaults = asdict(type(method.options)())
            record = {**record, "method": {**record["method"],
                      "options": {**defaults, **record["method"]["options"]}}}  # fmt: skip
        check_resumable(
            checkpoint, record, dataset.name, method_record, model_config.to_dict(), config
        )
        if record["step"] > config.steps:
            raise ValueError(
                f"cannot resume: {checkpoint} has already trained {record['step']} steps, more "
                f"than the {config.steps} asked for; ask for at least {record['step']} steps"
            )
        model.load_state_dict(record["model_state"])
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(record["optimizer_states"][name])
        generator.set_state(record["generator_state"])
        history = {name: list(values) for name, values in record["history"].items()}
        diagnostics = {k: list(v) for k, v in record.get("diagnostics", {}).items()}
        readings = {k: list(v) for k, v in record.get("readings", {}).items()}
        start_step = record["step"]
        earlier_seconds = record.get("train_seconds", 0.0)

    autocast = speed.autocast()
    train_images = speed.prepare_images(dataset.train_images.to(device))
    validation = validation_images(dataset, seed=config.seed)
    validation = None if validation is None else validation.to(device)

    def write_checkpoint(step: int, metrics: dict[str, float]) -> None:
        save_checkpoint(
            {
                "model_config": model_config.to_dict(),
                "method": {"name": method.name, "options": method.options_dict()},
                "train_config": asdict(config),
                "speed": speed.describe(),
                "dataset": dataset.name,
                "step": step,
                "model_state": model.state_dict(),
                "optimizer_states": {name: opt.state_dict() for name, opt in optimizers.items()},
                "generator_state": generator.get_state(),
                "history": history,
                "diagnostics": diagnostics,
                "readings": readings,
                "metrics": metrics,
                "train_seconds": earlier_seconds + time.perf_counter() - started,
            },
            checkpoint,
        )

    started = time.perf_counter()
    steps_done = start_step
    model.train()
    bar = tqdm(
        range(start_step, config.steps),
        initial=start_step,
        total=config.steps,
        desc=method.label,
        disable=not progress,
        dynamic_ncols=True,
        mininterval=1.0,
    )

    def draw_batch() -> torch.Tensor:
        batch_idx = torch.randint(len(train_images), (config.batch_size,), generator=generator)
        return train_images[to_device(batch_idx, device)]

    request = InterruptRequest()  # Ctrl-C: finish the step, save (:mod:`aeai_lib.interrupts`)
    for step in deferring_interrupts(bar, request):
        speed.set_lr(optimizers, step)
        for _ in range(method.adversary_steps - 1):
            with autocast:
                extra = method.adversary_losses(model, draw_batch(), step, generator)
            optimizers[ADVERSARY].zero_grad(set_to_none=True)
            extra.objectives[ADVERSARY].backward(inputs=groups[ADVERSARY])
            optimizers[ADVERSARY].step()
        with autocast:
            losses = method.losses(model, draw_batch(), step, generator)
        names = list(losses.terms)
        values = torch.stack([losses.terms[name].detach().float() for name in names]).tolist()
        for name, value in zip(names, values, strict=True):
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"loss term '{name}' became {value} at step {step}; lower the learning rate "
                    "or the lambdas, or check the data for NaN"
                )
            history.setdefault(name, []).append(value)
        every = config.diagnostics_every
        if every and (step % every == 0 or step == config.steps - 1):
            for name, value in diagnose(method, model, losses.components, validation, step).items():
                diagnostics.setdefault(name, []).append(value)

        stepped = [name for name in optimizers if name in losses.objectives]
        for name in stepped:
            optimizers[name].zero_grad(set_to_none=True)
        for position, name in enumerate(stepped):
            losses.objectives[name].backward(
                inputs=groups[name], retain_graph=position < len(stepped) - 1
            )
        for name in stepped:
            optimizers[name].step()
        if monitor is not None and monitor.due(step + 1, config.steps):
            with inference(model):
                measured = monitor.measure(model)
            for name, value in {"step": float(step + 1), **measured}.items():
                readings.setdefault(name, []).append(float(value))

        if step % 10 == 0:
            bar.set_postfix({name: f"{history[name][-1]:.4g}" for name in names[:3]}, refresh=False)
        if (
            checkpoint is not None
            and config.checkpoint_every
            and (step + 1) % config.checkpoint_every == 0
        ):
            write_checkpoint(step + 1, {})
        steps_done = step + 1
        if callback is not None and callback(steps_done, model):
            break
        if request.requested:
            bar.close()
            if checkpoint is not None:
                write_checkpoint(steps_done, {})
            raise TrainingInterrupted(steps_done, config.steps, checkpoint)
    bar.close()

    model.eval()
    metrics = {"test_reconstruction_mse": reconstruction_error(model, dataset)}
    if checkpoint is not None:
        with deferred_interrupts():  # a Ctrl-C now waits for the file to be complete
            write_checkpoint(steps_done, metrics)
    return TrainingResult(
        model,
        method,
        history,
        metrics,
        earlier_seconds + time.perf_counter() - started,
        diagnostics,
        readings,
    )
