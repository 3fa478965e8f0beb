"""AdvAI-AE (Li et al., IEEE MultiMedia 2022): an autoencoder regularised in both spaces.

* Latent space: an MMD term pulls a batch of codes towards samples of N(0, I), and the AdvAI
  correction R (:mod:`.correction`) bends interpolation paths so that interpolants look
  like real codes to the alpha regressor D_R.
* Data space: an ACAI-style image critic c (:func:`aeai_lib.losses.critic_losses`) regresses
  the (folded) alpha of decoded interpolants and the autoencoder learns to make it answer 0::

    critic:       mean (c(x_hat(alpha)) - min(alpha, 1 - alpha))^2 + mean c(g x + (1 - g) x_hat)^2
    autoencoder:  MSE(x, x_hat) + lambda_prior MMD^2(codes, N(0, I))
                  + lambda_critic mean c(x_hat(alpha))^2

  with x_hat(alpha) = decoder(z(alpha)) decoded along the AdvAI path and g = ``gamma``.

Parameter groups (one Adam each, see :mod:`aeai_lib.training`): ``"autoencoder"`` (encoder
and decoder, the objective above), ``"correction"`` (R: fool D_R) and ``"adversary"`` (D_R and
the critic, the sum of their losses; they share no weights). R and D_R get gradients only from
their own losses, never from the autoencoder's.

Schedules (``schedule``):

* ``"pretrained"`` (default, as the public code): for the first ``pretrain_steps`` steps R and
  D_R train on ``prior_pairs`` pairs of samples of N(0, I) a step (the prior the MMD term
  pulls the codes to); afterwards they are frozen. R's training never sees the autoencoder, so
  the autoencoder and the critic train from the first step alongside it, exactly as if R had
  been trained beforehand. It needs ``lambda_prior`` > 0, or the codes need not resemble what
  R learned. The ``correction`` and ``alpha_regressor`` terms are the pretraining losses
  first, then the frozen D_R's verdict on the batch's interpolants.
* ``"joint"``: every step R and D_R train on the current batch, pairs of its codes against the
  codes themselves as the real ones. D_R then sees only B real codes a step: on a 256-D
  Gaussian stand-in for the codes (batch 32, 1000 steps) this R never got reliably closer to
  the prior than lerp (MMD factor lerp/AdvAI 0.4-0.96), while the pretrained R did (about
  1.6): hence the default.

Per step a batch of B images gives B // 2 pairs (x[k], x[k + B // 2]), each with
``alphas_per_pair`` alphas ~ U[0, 1]. (The public code draws alpha in [0, 0.5]; with R
pair-symmetric and folded targets that is the same distribution of interpolants and targets.)
Every term is computed every step and recorded (the critic's only when ``lambda_critic`` > 0),
so the loss history has the same terms throughout.

Defaults from the public code (``AdvAI_AE.py``): lambda_prior = 1 (``wgt_mmd``), lambda_critic =
0.5 (``advweight``, ACAI's lambda), gamma = 0.2 (``reg``), squared losses, alpha folded. Not
ported: its two extra critic terms (decoded prior samples, interpolants between prior samples
and codes, weight 0.1 each) and its classifier probe.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from aeai_lib.device import to_device
from aeai_lib.interpolation import Interpolation
from aeai_lib.losses import critic_losses, mmd_squared, reconstruction_loss
from aeai_lib.methods.advai.correction import (
    AlphaRegressor,
    CorrectionNetwork,
    CorrectionOptions,
    adversarial_losses,
)
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, Method, StepLosses
from aeai_lib.models import AutoencoderModel, ModelConfig, make_critic
from aeai_lib.priors import sample_prior
from aeai_lib.validation import check_choice, check_nonnegative, check_positive_int

CORRECTION = "correction"
SCHEDULES: tuple[str, ...] = ("joint", "pretrained")


@dataclass(frozen=True)
class AdvAIOptions(CorrectionOptions):
    """AdvAI-AE's weights and schedule, and the architecture of R and D_R (inherited).

    Attributes:
        lambda_prior: weight of the MMD term pulling codes towards N(0, I) (public code: 1).
        lambda_critic: weight of the image critic's term; 0 builds no critic (public: 0.5).
        gamma: the critic sees gamma x + (1 - gamma) x_hat as "real" (ACAI and public: 0.2).
        schedule: ``"pretrained"`` (default) or ``"joint"``, see the module docstring.
        pretrain_steps: with ``"pretrained"``, the first steps of the run, during which R and
            D_R train on prior samples (default 1000; the public code pretrains on 2M).
        prior_pairs: pairs of N(0, I) samples (and as many real samples) R and D_R see per
            pretraining step (default 256: on a 256-D Gaussian, 1000 steps at the default
            adversary_lr bring R about 1.6x closer to the prior than lerp by MMD; 16 pairs
            a step, as many as a batch of 32 images has, left R unstable and no better).
        alphas_per_pair: alphas drawn per pair and step (default 1, moderate cost).
        hidden: units of each hidden layer of R and D_R (default 512; the public code uses
            1200).
        input_scale: codes are multiplied by it on entering R and D_R, R's output divided
            (default 1.0; the public code uses 5, but trained on Gaussians 1.0 ends about 3x
            closer to the prior than 5 in 16-D, and in 64-D R with 5 does not even beat lerp).

    ``per_coordinate``, ``loss`` and ``fold_alpha`` are those of
    :class:`~aeai_lib.methods.advai.correction.CorrectionOptions`, defaults included.
    """

    hidden: int = 512
    input_scale: float = 1.0
    lambda_prior: float = 1.0
    lambda_critic: float = 0.5
    gamma: float = 0.2
    schedule: str = "pretrained"
    pretrain_steps: int = 1000
    prior_pairs: int = 256
    alphas_per_pair: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_nonnegative("lambda_prior", self.lambda_prior)
        check_nonnegative("lambda_critic", self.lambda_critic)
        if not 0.0 <= check_nonnegative("gamma", self.gamma) <= 1.0:
            raise ValueError(f"gamma must lie in [0, 1], got {self.gamma}; ACAI uses 0.2")
        check_choice("schedule", self.schedule, SCHEDULES)
        check_positive_int("pretrain_steps", self.pretrain_steps)
        check_positive_int("prior_pairs", self.prior_pairs, minimum=2)
        check_positive_int("alphas_per_pair", self.alphas_per_pair)
        if self.schedule == "pretrained" and self.lambda_prior == 0:
            raise ValueError(
                "schedule 'pretrained' trains R on N(0, I) samples, which needs codes pulled "
                "towards N(0, I): set lambda_prior > 0 or use schedule 'joint'"
            )


class AdvAI(Method):
    """AdvAI-AE: reconstruction + MMD to N(0, I) + ACAI-style critic along the AdvAI path."""

    name = "advai"
    Options = AdvAIOptions

    @property
    def label(self) -> str:
        return "AdvAI"

    def build_model(self, config: ModelConfig) -> AutoencoderModel:
        model = super().build_model(config)
        correction, regressor = self.options.networks(config.latent_dim)
        model.auxiliary["correction"] = correction
        model.auxiliary["alpha_regressor"] = regressor
        if self.options.lambda_critic > 0:
            model.auxiliary["critic"] = make_critic(config)
        return model

    def learned_interpolations(self, model: AutoencoderModel) -> dict[str, Interpolation]:
        """``"advai"``: the path of the trained correction network R."""
        return {"advai": model.auxiliary["correction"].interpolate}

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[torch.nn.Parameter]]:
        groups = super().parameter_groups(model)
        groups[CORRECTION] = list(model.auxiliary["correction"].parameters())
        groups[ADVERSARY] = [
            *model.auxiliary["alpha_regressor"].parameters(),
            *(model.auxiliary["critic"].parameters() if "critic" in model.auxiliary else ()),
        ]
        return groups

    def losses(
        self, model: AutoencoderModel, images: torch.Tensor, step: int, generator: torch.Generator
    ) -> StepLosses:
        o = self.options
        n_pairs = len(images) // 2
        if n_pairs < 2:
            raise ValueError("AdvAI needs a batch of at least 4 images (2 pairs)")
        codes = model.encoder(images)
        sources = codes[:n_pairs].repeat_interleave(o.alphas_per_pair, 0)
        targets = codes[n_pairs : 2 * n_pairs].repeat_interleave(o.alphas_per_pair, 0)
        alphas = to_device(torch.rand(len(sources), generator=generator), images.device)
        path, r_loss, d_loss = self._correction_losses(
            model, sources, targets, alphas, codes, step, generator
        )

        decoded = model.decoder(torch.cat([codes, path]))
        reconstructions, path_images = decoded[: len(images)], decoded[len(images) :]
        prior_samples = sample_prior("gaussian", len(codes), codes.shape[1], generator)
        terms = {
            "reconstruction": reconstruction_loss(images, reconstructions),
            # clamped at 0 as the public code does: a negative estimate is sampling noise
            "prior_mmd": mmd_squared(codes, to_device(prior_samples, codes.device)).clamp_min(0.0),
        }
        total = terms["reconstruction"] + o.lambda_prior * terms["prior_mmd"]
        critic_loss = None
        if "critic" in model.auxiliary:
            terms["critic_ae"], critic_loss = critic_losses(
                model.auxiliary["critic"], images, reconstructions, path_images, alphas, o.gamma
            )
            total = total + o.lambda_critic * terms["critic_ae"]
        terms.update(correction=r_loss, alpha_regressor=d_loss)
        if critic_loss is not None:
            terms["critic"] = critic_loss
        terms["total"] = total
        return StepLosses(self._objectives(step, total, r_loss, d_loss, critic_loss), terms)

    def _correction_losses(
        self,
        model: AutoencoderModel,
        sources: torch.Tensor,
        targets: torch.Tensor,
        alphas: torch.Tensor,
        codes: torch.Tensor,
        step: int,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The AdvAI path between the pairs (M, D) at alphas (M,), and R's and D_R's losses.

        On the pairs, with the batch's codes (B, D) as the real ones, except while
        pretraining, when the losses come from ``prior_pairs`` pairs and as many real codes
        drawn from N(0, I).
        """
        correction: CorrectionNetwork = model.auxiliary["correction"]
        regressor: AlphaRegressor = model.auxiliary["alpha_regressor"]
        if not self._pretraining(step):
            return adversarial_losses(
                correction, regressor, sources, targets, alphas, codes, self.options
            )
        n = self.options.prior_pairs
        z1, z2, real = sample_prior("gaussian", 3 * n, codes.shape[1], generator).split(n)
        prior_alphas = torch.rand(n, generator=generator)
        _, r_loss, d_loss = adversarial_losses(
            correction,
            regressor,
            *(to_device(t, codes.device) for t in (z1, z2, prior_alphas, real)),
            self.options,
        )
        return correction.mix(sources, targets, alphas), r_loss, d_loss

    def _pretraining(self, step: int) -> bool:
        """Whether this step belongs to the pretraining phase of the "pretrained" schedule."""
        return self.options.schedule == "pretrained" and step < self.options.pretrain_steps

    def _objectives(
        self,
        step: int,
        total: torch.Tensor,
        r_loss: torch.Tensor,
        d_loss: torch.Tensor,
        critic_loss: torch.Tensor | None,
    ) -> dict[str, torch.Tensor]:
        """What each parameter group minimises this step, after the schedule."""
        objectives = {AUTOENCODER: total}
        if self.options.schedule == "joint" or self._pretraining(step):
            objectives[CORRECTION] = r_loss
            objectives[ADVERSARY] = d_loss if critic_loss is None else d_loss + critic_loss
        elif critic_loss is not None:
            objectives[ADVERSARY] = critic_loss
        return objectives
