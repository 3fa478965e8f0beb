"""AdvAI's correction as a plug-in: fit it to a trained model or checkpoint, write the result.

The work on codes is :mod:`aeai_lib.methods.advai.fitted` (R and D_R, the standardisation,
the encoder fingerprint); this module brings the model, its data and its checkpoint to it:

* :func:`fit_correction`: a model (or a checkpoint path) and its dataset -> a
  :class:`~aeai_lib.methods.advai.fitted.FittedCorrection`, with the midpoints' MMD^2 to the
  training codes of lerp and of the fitted path recorded;
* :func:`correct_checkpoint`: the CLI's ``python -m aeai_lib correct CHECKPOINT --out NEW.pt``,
  the checkpoint written again with the correction, atomically; it loads like any checkpoint
  and offers the fitted path as ``--interpolation advai``;
* :func:`load_correctable`: the refusals (missing, unreadable, no encoder), as ValueErrors
  that name the argument.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import torch

from aeai_lib.checkpoint import load_checkpoint, model_from_record, save_checkpoint
from aeai_lib.data.registry import load_checkpoint_dataset
from aeai_lib.evaluation.measures import latent_mismatch
from aeai_lib.inference import check_model_fits, encode_images
from aeai_lib.interpolation import lerp
from aeai_lib.methods.advai.correction import CorrectionOptions
from aeai_lib.methods.advai.fitted import (
    FIT_AVERAGE,
    FIT_LR,
    FIT_PAIRS,
    FIT_STEPS,
    FittedCorrection,
    check_autoencoder,
    fit_to_codes,
    model_fingerprint,
)
from aeai_lib.validation import check_output_file


def training_codes(model: Any, dataset: Any) -> torch.Tensor:
    """The model's codes (N, D) of the dataset's training images, float32 on the CPU.

    Encoded in eval mode without gradients (:func:`aeai_lib.inference.encode_images`), the
    model's mode restored, its weights untouched.

    Raises:
        ValueError: no encoder, images the model cannot read, fewer than 4 training images.
    """
    check_autoencoder(model)
    check_model_fits(model, dataset)
    if len(dataset.train_idx) < 4:
        raise ValueError(
            f"dataset {dataset.name!r} has {len(dataset.train_idx)} training images; the "
            "correction needs at least 4 codes to pair"
        )
    return encode_images(model, dataset.images[dataset.train_idx]).detach().float().cpu()


def fit_correction(
    model: Any,
    dataset: Any = None,
    *,
    steps: int = FIT_STEPS,
    pairs: int = FIT_PAIRS,
    lr: float = FIT_LR,
    seed: int = 0,
    average: float = FIT_AVERAGE,
    options: CorrectionOptions | None = None,
) -> FittedCorrection:
    """Fit AdvAI's R and D_R to a trained model's codes of its training images, post hoc.

    The autoencoder is frozen: the training codes are computed once and only R and D_R train
    (:func:`~aeai_lib.methods.advai.fitted.fit_to_codes`, where the steps are described).
    Afterwards the midpoints' MMD^2 to the training codes is measured for lerp and for the
    fitted path (:func:`~aeai_lib.evaluation.measures.latent_mismatch`, seed 0) and recorded
    as ``mmd_lerp`` and ``mmd_fitted``; ``seconds`` is the time of the encoding and the fit.

    Args:
        model: an :class:`~aeai_lib.models.AutoencoderModel`, or the path of its checkpoint
            (then ``dataset`` defaults to the data it was trained on).
        dataset: an :class:`~aeai_lib.data.base.ImageDataset` the model reads; its
            ``train_idx`` images are encoded.
        steps, pairs, lr, seed, average, options: of the fit (defaults
            :data:`~aeai_lib.methods.advai.fitted.FIT_STEPS` = 2000, ``FIT_PAIRS`` = 256,
            ``FIT_LR`` = 1e-3, seed 0, ``FIT_AVERAGE`` = 0.99 (R's weights averaged),
            ``FIT_OPTIONS``: 256 hidden units).

    Returns:
        the fitted correction, in eval mode, with the model's fingerprint; attach it with
        :func:`~aeai_lib.methods.advai.fitted.attach_correction` or use its ``interpolate``.

    Raises:
        ValueError: a missing or unreadable checkpoint (the message names ``model``), a model
            with no encoder, no dataset, bad step counts, codes that are all equal.
    """
    if isinstance(model, (str, os.PathLike)):
        record, model = load_correctable(model, "model")
        if dataset is None:
            dataset = load_checkpoint_dataset(
                record["dataset"], record["path"], size=model.config.image_size
            )
    check_autoencoder(model)
    if dataset is None:
        raise ValueError("dataset is required with a model: pass the data it was trained on")
    started = time.perf_counter()
    fingerprint = model_fingerprint(model)
    codes = training_codes(model, dataset)
    fitted = fit_to_codes(
        codes,
        fingerprint,
        steps=steps,
        pairs=pairs,
        lr=lr,
        seed=seed,
        average=average,
        options=options,
        dataset=dataset.name,
    )
    fitted.seconds = time.perf_counter() - started
    fitted.mmd_lerp = latent_mismatch(codes, lerp)["mmd"]
    fitted.mmd_fitted = latent_mismatch(codes, fitted.interpolate)["mmd"]
    return fitted


def load_correctable(checkpoint: Any, name: str = "checkpoint") -> tuple[dict[str, Any], Any]:
    """(the checkpoint's record, with ``"path"`` added, and its model) for fitting.

    Raises:
        ValueError: naming ``name``: no such file, a file that is not a readable aeai_lib
            checkpoint, or one whose model has no encoder.
    """
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise ValueError(f"{name} must be a checkpoint path, got a {type(checkpoint).__name__}")
    path = Path(checkpoint)
    try:
        record = load_checkpoint(path)
    except FileNotFoundError:
        raise ValueError(
            f"{name} {str(path)!r}: no such file; pass a checkpoint written by "
            "`python -m aeai_lib train`"
        ) from None
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    state = record.get("model_state")
    if not isinstance(state, dict) or not any(str(k).startswith("encoder.") for k in state):
        raise ValueError(
            f"{name} {str(path)!r} holds no encoder weights: the correction is fitted to an "
            "autoencoder's codes; pass a checkpoint written by `python -m aeai_lib train`"
        )
    try:
        bare = {key: value for key, value in record.items() if key != "correction"}
        model = model_from_record(bare)  # a correction already there is refitted
    except (KeyError, TypeError, RuntimeError) as error:
        raise ValueError(f"{name} {str(path)!r}: its model cannot be rebuilt ({error})") from None
    return {**record, "path": str(path)}, model


def correct_checkpoint(
    checkpoint: str | os.PathLike, out: str | os.PathLike, **fit: Any
) -> tuple[Path, FittedCorrection]:
    """Fit the correction to a checkpoint's model and write ``out``: the same checkpoint plus
    the correction (``"correction"``), written atomically, loading with ``weights_only=True``.

    ``out`` loads like any checkpoint (:func:`aeai_lib.checkpoint.load_model`) and its model
    offers ``"advai"``. A correction already in ``checkpoint`` is replaced. ``fit``: the
    keyword arguments of :func:`fit_correction` (steps, pairs, lr, seed, options).

    Raises:
        ValueError: bad ``checkpoint`` (see :func:`load_correctable`) or ``out``.
    """
    out = check_output_file(out, "out")
    record, model = load_correctable(checkpoint)
    dataset = load_checkpoint_dataset(record["dataset"], checkpoint, size=model.config.image_size)
    correction = fit_correction(model, dataset, **fit)
    record.pop("path")
    for key in ("format", "format_version", "library_version"):
        record.pop(key, None)
    record["correction"] = {**correction.state(), "source": str(checkpoint)}
    return save_checkpoint(record, out), correction
