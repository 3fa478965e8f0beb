"""AdvAI's correction fitted post hoc to a trained model's own codes: a plug-in for any model.

AdvAI-AE (:mod:`.method`, as the public code guanyuelee/AdvAI-Official) trains R and D_R on
N(0, I) samples and pulls the codes towards N(0, I) with an MMD term. Codes that no term pulls
there (a plain AE's, AEAI's, ACAI's; on pole their norms spread about 7, against 0.65 for
N(0, I) in 256-D) are not what such an R learned. Here R and D_R learn on the codes
themselves: :func:`aeai_lib.correct.fit_correction` encodes the model's training images once,
with the autoencoder frozen (eval mode, no gradients, its weights untouched), and trains R against
D_R on those codes alone, with the losses of :func:`~.correction.adversarial_losses`::

    D_R minimises  mean (D_R(z(alpha)) - min(alpha, 1 - alpha))^2 + mean D_R(z_real)^2
    R   minimises  mean D_R(z(alpha))^2

where z(alpha) = (1 - alpha) z1 + alpha z2 + alpha (1 - alpha) R(z1, z2, alpha) joins two
training codes and z_real are training codes too. The AdvAI summary (shared/seeds 004) says
D_R tells real codes from interpolated ones: the real codes here are the model's.

Codes enter R and D_R standardised, (z - c) / s with c the codes' mean (D,) and s one scale,
the root-mean-square of the centred coordinates (pole AE: s = 4.1), and R's output is
multiplied by s. So the networks see codes of unit scale whatever the model, as the public
code's R sees N(0, I) samples (:class:`~.method.AdvAIOptions` uses input_scale 1 for that
reason). The path is computed in the model's own coordinates, so the endpoints stay exact.

The result, a :class:`FittedCorrection`, remembers a fingerprint of the encoder it was fitted
to (:func:`model_fingerprint`) and refuses any other model. :func:`attach_correction` offers
its path as ``model.interpolation("advai")``; :func:`aeai_lib.correct.correct_checkpoint` (the
CLI's ``python -m aeai_lib correct``) writes a checkpoint that carries it, which
:func:`aeai_lib.checkpoint.model_from_record` re-attaches, so that ``evaluate
--interpolation advai`` measures it; the latent explorer lists it with the model's other
interpolations (``model.interpolation_names``).

Defaults are the library's, chosen on the shipped pole AE and AdvAI-AE
(``benchmarks/advai_fit.py``), not the paper's: the public code trains R for 2M samples of
N(0, I) with 1200 hidden units, far beyond "seconds to minutes on a CPU". What the fit returns
is a moving average of R's weights (:data:`FIT_AVERAGE`), without which it did not beat lerp
on AdvAI-AE's codes.
"""

from __future__ import annotations

import copy
import hashlib
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from aeai_lib.methods.advai.correction import (
    AlphaRegressor,
    CorrectionNetwork,
    CorrectionOptions,
    adversarial_losses,
)
from aeai_lib.methods.base import ADVERSARY_BETAS
from aeai_lib.validation import as_codes, check_alphas, check_positive_int

FIT_STEPS = 2000
"""Default optimiser steps of :func:`fit_to_codes`. With the weight average
(:data:`FIT_AVERAGE`) and 256 pairs a step, the midpoints' MMD^2 to all codes of the shipped
pole models (seed 0, ``evaluate``'s latent MMD) after 1000 and 2000 steps: AE 0.016 and 0.021
(lerp 0.075), AdvAI-AE 0.011 after 1000 (lerp 0.042), AEAI 0.044 and 0.0067 (lerp 0.050):
1000 steps were not enough for AEAI. 2000 steps took 58 to 87 s (47 s of CPU time) on one
thread of a shared 2-core machine (benchmarks/advai_fit.py)."""

FIT_AVERAGE = 0.99
"""Default decay of the moving average of R's weights that the fit returns (0: R's last
weights). The public toy code keeps such an average of R (:mod:`.correction` left it out of
the joint training). Here it is what makes the fit work: R and D_R oscillate, as GANs do, and
the last R read MMD^2 0.050 (AE) and 0.048 (AdvAI-AE) after 1000 steps, no better than lerp
on AdvAI-AE; the average of the same runs read 0.016 and 0.011. The value 0.99 is the
library's (a window of about 100 steps), tried on those two models only."""

FIT_PAIRS = 256
"""Default pairs per step, and as many real codes (the toy-prior fit's 256)."""

FIT_LR = 1e-3
"""Default Adam rate of R and D_R (betas (0.5, 0.999), the library's adversaries'), as the
toy-prior fit :func:`aeai_lib.evaluation.toy_priors.train_correction`."""

FIT_OPTIONS = CorrectionOptions(hidden=256, input_scale=1.0)
"""Default architecture: 256 hidden units (the public code's 1200 cost 20x the time; 128 and
512 did no better on the pole AE), input scale 1 on standardised codes, squared losses and
folded alpha targets (:class:`~.correction.CorrectionOptions`)."""

STATE_KIND = "aeai_lib.advai_fitted_correction"
STATE_VERSION = 1
INTERPOLATION_NAME = "advai"
"""The name the fitted path is offered under (``--interpolation advai``). On an AdvAI-AE
model, whose own prior-trained path has that name, the latter becomes ``"advai_prior"``."""


def check_autoencoder(model: Any, name: str = "model") -> None:
    """ValueError unless ``model`` is an autoencoder with an encoder (an AutoencoderModel)."""
    encoder = getattr(model, "encoder", None)
    if not isinstance(encoder, torch.nn.Module) or not callable(getattr(model, "encode", None)):
        raise ValueError(
            f"{name} has no encoder (got a {type(model).__name__}): the correction is fitted to "
            "the codes of an autoencoder, e.g. aeai_lib.checkpoint.load_model('model.pt')"
        )


def model_fingerprint(model: Any) -> str:
    """A SHA-256 hex digest of the encoder's weights: names, shapes and float32 values.

    Two models with the same encoder weights (in float32, on any device) get the same digest,
    any changed weight another one. Only the encoder counts: the codes depend on it alone.

    Raises:
        ValueError: ``model`` has no encoder.
    """
    check_autoencoder(model)
    digest = hashlib.sha256()
    for key, value in sorted(model.encoder.state_dict().items()):
        tensor = value.detach().to("cpu")
        tensor = tensor.float() if tensor.is_floating_point() else tensor
        digest.update(f"{key}:{tuple(tensor.shape)}:{tensor.dtype};".encode())
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclass
class FittedCorrection:
    """R and D_R fitted to one model's codes, with the standardisation and that model's print.

    Attributes:
        network: R (eval mode), on standardised codes: the moving average of its weights
            when ``average`` > 0. regressor: D_R (eval mode), as it ended.
        center: float32 (D,) mean of the training codes. scale: their RMS spread s > 0.
        fingerprint: :func:`model_fingerprint` of the model fitted to.
        options: R's and D_R's architecture and losses.
        steps, pairs, lr, seed, average: as fitted (see :func:`fit_to_codes`).
        n_codes: training codes fitted on. dataset: the name of their dataset.
        seconds: wall time of the fit. history: per-step ``"correction"`` and
            ``"alpha_regressor"`` losses (scalars >= 0).
        mmd_lerp, mmd_fitted: unbiased MMD^2 of lerp's and of the fitted path's midpoints to
            the training codes (:func:`aeai_lib.evaluation.measures.latent_mismatch`, seed 0),
            measured after the fit: the paper's claim is mmd_fitted < mmd_lerp.
    """

    network: CorrectionNetwork
    regressor: AlphaRegressor
    center: torch.Tensor
    scale: float
    fingerprint: str
    options: CorrectionOptions = FIT_OPTIONS
    steps: int = FIT_STEPS
    pairs: int = FIT_PAIRS
    lr: float = FIT_LR
    seed: int = 0
    average: float = FIT_AVERAGE
    n_codes: int = 0
    dataset: str = ""
    seconds: float = 0.0
    history: dict[str, list[float]] = field(default_factory=dict)
    mmd_lerp: float | None = None
    mmd_fitted: float | None = None

    @property
    def dim(self) -> int:
        """The latent size D."""
        return self.network.dim

    def standardise(self, z: torch.Tensor) -> torch.Tensor:
        """(z - center) / scale for codes (N, D): what R and D_R see."""
        return (z - self.center.to(z.device, z.dtype)) / self.scale

    def mix(self, z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
        """The fitted path for paired inputs: z1, z2 (M, D), alphas (M,) in [0, 1] -> (M, D).

        (1 - alpha) z1 + alpha z2 + alpha (1 - alpha) s R(standardised z1, z2, alpha), in the
        model's coordinates: exactly z1 at alpha = 0 and z2 at alpha = 1.
        """
        self.network.to(z1.device)
        a = alphas.to(z1.dtype).unsqueeze(1)
        bump = a * (1 - a)
        bend = self.network(self.standardise(z1), self.standardise(z2), alphas) * self.scale
        return (1 - a) * z1 + a * z2 + torch.where(bump > 0, bump * bend, 0.0)

    def interpolate(
        self, z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor | float
    ) -> torch.Tensor:
        """The fitted path with the library signature: (N, D), (N, D), (A,) -> (N, A, D).

        Alpha 0 gives z1 and 1 gives z2; the result has the codes' float dtype and device.

        Raises:
            ValueError: codes of another latent size or shape, or an alpha outside [0, 1].
        """
        z1 = as_codes(z1, "z1", dim=self.dim)
        z2 = as_codes(z2, "z2", dim=self.dim)
        if z1.shape != z2.shape:
            raise ValueError(
                f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
            )
        dtype = self.center.dtype
        alphas = check_alphas(alphas).to(device=z1.device, dtype=dtype)
        n, count = len(z1), len(alphas)
        path = self.mix(
            z1.to(dtype).repeat_interleave(count, 0),
            z2.to(dtype).repeat_interleave(count, 0),
            alphas.repeat(n),
        )
        return path.reshape(n, count, self.dim).to(torch.promote_types(z1.dtype, z2.dtype))

    def check_model(self, model: Any, name: str = "model") -> None:
        """Refuse a model other than the one fitted to (another encoder's fingerprint).

        Raises:
            ValueError: no encoder, or an encoder whose weights differ from those fitted to.
        """
        check_autoencoder(model, name)
        found = model_fingerprint(model)
        if found != self.fingerprint:
            raise ValueError(
                f"this correction was fitted to the codes of another model (encoder "
                f"fingerprint {self.fingerprint[:12]}, {name}'s is {found[:12]}); fit one to "
                "this model: python -m aeai_lib correct CHECKPOINT --out CORRECTED.pt"
            )

    def state(self) -> dict[str, Any]:
        """The correction as plain values and tensors, for a checkpoint (weights_only=True)."""
        return {
            "kind": STATE_KIND,
            "version": STATE_VERSION,
            "options": asdict(self.options),
            "dim": self.dim,
            "network_state": self.network.state_dict(),
            "regressor_state": self.regressor.state_dict(),
            "center": self.center.detach().cpu(),
            "scale": float(self.scale),
            "fingerprint": self.fingerprint,
            "fit": {
                "steps": self.steps,
                "pairs": self.pairs,
                "lr": self.lr,
                "average": self.average,
                "seed": self.seed,
                "n_codes": self.n_codes,
                "dataset": self.dataset,
                "seconds": self.seconds,
                "mmd_lerp": self.mmd_lerp,
                "mmd_fitted": self.mmd_fitted,
            },
            "history": self.history,
        }

    @classmethod
    def from_state(cls, state: Any, name: str = "correction") -> FittedCorrection:
        """Rebuild a correction from :meth:`state`'s dict.

        Raises:
            ValueError: not such a dict (another kind or version, missing keys, weights of
                another shape); the message names ``name``.
        """
        if not isinstance(state, dict) or state.get("kind") != STATE_KIND:
            raise ValueError(f"{name} is not a fitted AdvAI correction (no {STATE_KIND!r} kind)")
        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"{name} has version {state.get('version')}, this aeai_lib reads "
                f"{STATE_VERSION}; fit it again with python -m aeai_lib correct"
            )
        try:
            options = CorrectionOptions(**state["options"])
            network, regressor = options.networks(int(state["dim"]))
            network.load_state_dict(state["network_state"])
            regressor.load_state_dict(state["regressor_state"])
            fit = dict(state["fit"])
            return cls(
                network.eval(),
                regressor.eval(),
                state["center"].float(),
                float(state["scale"]),
                str(state["fingerprint"]),
                options,
                history=dict(state.get("history", {})),
                **fit,
            )
        except (KeyError, TypeError, RuntimeError, ValueError) as error:
            raise ValueError(f"{name} is damaged and cannot be rebuilt ({error})") from None


def fit_to_codes(
    codes: torch.Tensor,
    fingerprint: str,
    *,
    steps: int = FIT_STEPS,
    pairs: int = FIT_PAIRS,
    lr: float = FIT_LR,
    seed: int = 0,
    average: float = FIT_AVERAGE,
    options: CorrectionOptions | None = None,
    dataset: str = "",
) -> FittedCorrection:
    """Fit AdvAI's R and D_R to a frozen model's codes (the work of
    :func:`aeai_lib.correct.fit_correction`, which encodes the images and measures the result).

    Each step draws ``pairs`` pairs (z1, z2) and ``pairs`` real codes from the standardised
    codes (with replacement), one alpha ~ U[0, 1] per pair, and takes one Adam step (betas
    (0.5, 0.999)) on R and on D_R simultaneously, on the CPU; after each step the averaged
    R moves towards R, avg <- average avg + (1 - average) R, weight by weight, and the
    averaged R is returned. D_R trains against R itself. ``seed`` sets the initial weights and
    every draw, so a fit repeats on one machine; the thread count is the caller's.

    Args:
        codes: float (N, D) codes of the training images, N >= 4, not all equal.
        fingerprint: :func:`model_fingerprint` of the model that gave them.
        steps: optimiser steps >= 1 (default :data:`FIT_STEPS`).
        pairs: pairs (and real codes) per step >= 2 (default :data:`FIT_PAIRS`).
        lr: Adam rate of both networks, > 0 (default :data:`FIT_LR`).
        seed: seeds the weights and the draws.
        average: decay in [0, 1) of the weight average returned (default
            :data:`FIT_AVERAGE`; 0 returns R's last weights).
        options: architecture and losses (default :data:`FIT_OPTIONS`).
        dataset: the name of the codes' dataset, recorded.

    Returns:
        the fitted correction, R and D_R in eval mode (``mmd_lerp`` and ``mmd_fitted`` None).

    Raises:
        ValueError: bad codes, step counts or rate.
    """
    codes = as_codes(codes, "codes").detach().float().cpu()
    if len(codes) < 4:
        raise ValueError(f"the correction needs at least 4 codes to pair, got {len(codes)}")
    steps = check_positive_int("steps", steps)
    pairs = check_positive_int("pairs", pairs, minimum=2)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}; the default is {FIT_LR}")
    if not 0 <= average < 1:
        raise ValueError(f"average must lie in [0, 1), got {average}; the default is {FIT_AVERAGE}")
    options = FIT_OPTIONS if options is None else options
    started = time.perf_counter()
    center = codes.mean(0)
    scale = float((codes - center).square().mean().sqrt())
    if not scale > 0:
        raise ValueError("every training code is the same: there is no path to correct")
    standard = (codes - center) / scale
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network, regressor = options.networks(codes.shape[1])
    averaged = copy.deepcopy(network).requires_grad_(False)
    optimizers = [
        torch.optim.Adam(net.parameters(), lr=lr, betas=ADVERSARY_BETAS)
        for net in (network, regressor)
    ]
    history: dict[str, list[float]] = {"correction": [], "alpha_regressor": []}
    for _ in range(steps):
        index = torch.randint(len(standard), (3 * pairs,), generator=generator)
        z1, z2, real = standard[index].split(pairs)
        alphas = torch.rand(pairs, generator=generator)
        _, r_loss, d_loss = adversarial_losses(network, regressor, z1, z2, alphas, real, options)
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        r_loss.backward(inputs=list(network.parameters()), retain_graph=True)
        d_loss.backward(inputs=list(regressor.parameters()))
        for optimizer in optimizers:
            optimizer.step()
        with torch.no_grad():
            for mean, weight in zip(averaged.parameters(), network.parameters(), strict=True):
                mean.lerp_(weight, 1 - average)
        history["correction"].append(r_loss.item())
        history["alpha_regressor"].append(d_loss.item())
    return FittedCorrection(
        averaged.eval(),
        regressor.eval(),
        center,
        scale,
        fingerprint,
        options,
        steps,
        pairs,
        lr,
        seed,
        average,
        len(codes),
        dataset,
        time.perf_counter() - started,
        history,
    )


def attach_correction(model: Any, correction: FittedCorrection, name: str = "model") -> Any:
    """Offer the fitted path as ``model.interpolation("advai")``; return the model.

    An AdvAI-AE model keeps its own prior-trained path as ``"advai_prior"``.

    Raises:
        ValueError: no encoder, or a correction fitted to another model's codes.
    """
    correction.check_model(model, name)
    own = model.method_interpolations()
    if INTERPOLATION_NAME in own:
        model.attach_interpolation(f"{INTERPOLATION_NAME}_prior", own[INTERPOLATION_NAME])
    model.attach_interpolation(INTERPOLATION_NAME, correction.interpolate)
    return model
