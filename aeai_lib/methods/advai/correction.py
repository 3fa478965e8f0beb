"""AdvAI (Li et al., IEEE MultiMedia 2022): adversarial adaptive interpolation of latent codes.

Lerp between two codes of a prior leaves the prior (for N(0, I) the midpoint has half the
variance). AdvAI bends the line with a learned correction R, weighted so that the ends stay put::

    z(alpha) = (1 - alpha) z1 + alpha z2 + alpha (1 - alpha) R(z1, z2, alpha)

Convention: the paper writes z_a = a z1 + (1 - a) z2 + a (1 - a) R(z1, z2, a), where a = 1 is
the source. This library's alpha = 0 is the source (see :mod:`aeai_lib.interpolation`), so
alpha = 1 - a: the same path, and the bump a (1 - a) = alpha (1 - alpha) is unchanged. At
alpha = 0 and 1 the bump is exactly 0, so the endpoints are z1 and z2 whatever R outputs.

R is trained against an alpha regressor D_R, in the manner of a GAN (``p`` = 2 or 1, see
``loss`` below; ``t(alpha)`` the regression target, see ``fold_alpha``)::

    D_R minimises  mean |D_R(z(alpha)) - t(alpha)|^p + mean |D_R(z_real)|^p
    R   minimises  mean |D_R(z(alpha))|^p

D_R learns where interpolants land that real codes do not; R moves them to where D_R says
"real". :class:`~aeai_lib.methods.advai.method.AdvAI` trains the pair alongside an
autoencoder; :mod:`aeai_lib.evaluation.toy_priors` trains it on samples of a toy prior and
measures how far interpolants are from the prior afterwards.

Where the public sources disagree, :class:`CorrectionOptions` chooses (defaults first):

* ``loss``: ``"squared"`` (the blog's formulas and the authors' autoencoder code) or
  ``"absolute"`` (the authors' toy-prior code).
* ``fold_alpha``: True regresses t(alpha) = min(alpha, 1 - alpha), as the public code does
  (it draws alpha in [0, 0.5]); False regresses alpha itself, as the blog writes. Folding is
  the consistent choice: real codes are labelled 0, and the interpolant at alpha = 1 *is* a
  real code (z2), so an unfolded target asks D_R to answer 0 and 1 for the same point. The
  folded target is 0 at both ends and largest (0.5) mid-path, the part that needs correcting.
* ``per_coordinate``: False (default) uses MLPs on whole codes; True is the public toy code's
  variant, one small network applied to each coordinate on its own with shared weights. It
  can only fix each coordinate's marginal distribution, which is enough for priors with
  independent coordinates (uniform, Gaussian) but not for the annulus or the nine circles.

``input_scale`` (default 5, the public autoencoder code's ``n_scale``; its toy code uses 10)
multiplies codes on entering R and D_R and divides R's output: with codes of unit scale,
sharp features of a 2-D prior (the annulus is 0.2 wide) then need 5x smaller weights, which
Adam reaches in far fewer steps. In more dimensions the features are broad and 1 is better:
on a 16-D Gaussian 1 ends about 3x closer to the prior than 5 after the same steps, and on a
64-D one 5 does not even beat lerp (:class:`~aeai_lib.methods.advai.method.AdvAIOptions`
uses 1).

Also as in the public code, R is pair-symmetric: both endpoints go through one shared encoder,
z1 with its lerp weight 1 - alpha and z2 with alpha, the two encodings are summed and decoded
to R. So R(z1, z2, alpha) = R(z2, z1, 1 - alpha), and the path from z2 to z1 is the path from
z1 to z2 run backwards. Unlike the toy code, which draws one alpha per coordinate, every
pair has one alpha (the library's interpolation signature); left out is the toy code's moving
average of R's weights (its autoencoder code switches that off too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from aeai_lib.losses import alpha_target
from aeai_lib.validation import (
    as_codes,
    check_alphas,
    check_choice,
    check_nonnegative,
    check_positive_int,
)

LOSSES: tuple[str, ...] = ("squared", "absolute")
"""The adversarial losses: |.|^2 (the blog) or |.|^1 (the public toy code)."""


@dataclass(frozen=True)
class CorrectionOptions:
    """Architecture of R and D_R and the form of their losses (see the module docstring).

    Attributes:
        hidden: units of each hidden layer of R and D_R (default 128).
        per_coordinate: one network per coordinate with shared weights (public toy code)
            instead of one on whole codes (default False).
        loss: ``"squared"`` (default) or ``"absolute"``.
        fold_alpha: regress min(alpha, 1 - alpha) instead of alpha (default True).
        input_scale: codes are multiplied by it on entering R and D_R, R's output divided
            (default 5.0, as the public autoencoder code).
    """

    hidden: int = 128
    per_coordinate: bool = False
    loss: str = "squared"
    fold_alpha: bool = True
    input_scale: float = 5.0

    def __post_init__(self) -> None:
        check_positive_int("hidden", self.hidden)
        check_choice("loss", self.loss, LOSSES)
        if check_nonnegative("input_scale", self.input_scale) == 0:
            raise ValueError("input_scale must be > 0, got 0; the default is 5.0")

    def networks(self, dim: int) -> tuple[CorrectionNetwork, AlphaRegressor]:
        """A fresh R (starting at 0, so the path starts at lerp) and D_R for latent size dim."""
        shared = {
            "hidden": self.hidden,
            "per_coordinate": self.per_coordinate,
            "input_scale": self.input_scale,
        }
        return CorrectionNetwork(dim, **shared), AlphaRegressor(dim, **shared)


def penalty(values: torch.Tensor, loss: str) -> torch.Tensor:
    """mean |values|^2 (``loss="squared"``) or mean |values| (``"absolute"``): a scalar."""
    return values.square().mean() if loss == "squared" else values.abs().mean()


def adversarial_losses(
    correction: CorrectionNetwork,
    regressor: AlphaRegressor,
    z1: torch.Tensor,
    z2: torch.Tensor,
    alphas: torch.Tensor,
    real: torch.Tensor,
    options: CorrectionOptions,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One AdvAI step: the interpolants and the losses of R and D_R.

    Args:
        correction: R.
        regressor: D_R.
        z1, z2: (M, D) pairs of codes.
        alphas: (M,) one alpha in [0, 1] per pair (0 gives z1).
        real: (K, D) real codes (or prior samples), labelled 0.
        options: the loss and whether the target is folded.

    Returns:
        (interpolants (M, D), R's loss, D_R's loss), the losses scalars >= 0. One D_R pass
        scores interpolants and real codes; back-propagate each loss into its own network
        only (``backward(inputs=...)``).
    """
    interpolants = correction.mix(z1, z2, alphas)
    scores = regressor(torch.cat([interpolants, real]))
    fake_scores, real_scores = scores[: len(interpolants)], scores[len(interpolants) :]
    target = alpha_target(alphas, options.fold_alpha)
    correction_loss = penalty(fake_scores, options.loss)
    regressor_loss = penalty(fake_scores - target, options.loss) + penalty(
        real_scores, options.loss
    )
    return interpolants, correction_loss, regressor_loss


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    """Linear layers of the given sizes with SiLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for position, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if position:
            layers.append(nn.SiLU())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class _LatentModule(nn.Module):
    """A network built for one latent size, which it checks on use and when loading weights."""

    def __init__(self, dim: int, hidden: int, per_coordinate: bool, input_scale: float) -> None:
        super().__init__()
        check_positive_int("dim", dim)
        check_positive_int("hidden", hidden)
        self.dim = dim
        self.per_coordinate = per_coordinate
        self.input_scale = input_scale
        self.register_buffer("latent_dim", torch.tensor(dim))
        self.register_load_state_dict_pre_hook(self._check_loaded_dim)

    @property
    def width(self) -> int:
        """Input width of the inner networks: 1 per coordinate, else the latent size."""
        return 1 if self.per_coordinate else self.dim

    def _check_codes(self, name: str, z: torch.Tensor) -> torch.Tensor:
        """Codes (N, D) of this latent size, cast to the module's dtype (see as_codes)."""
        if isinstance(z, torch.Tensor) and z.dim() == 2 and z.shape[1] != self.dim:
            raise ValueError(f"module built for latent size {self.dim}, got {z.shape[1]}")
        weights = next(self.parameters())
        return as_codes(z, name, dtype=weights.dtype, device=weights.device)

    def _check_loaded_dim(self, module: nn.Module, state_dict: dict, prefix: str, *_) -> None:
        loaded = state_dict.get(prefix + "latent_dim")
        if loaded is not None and int(loaded) != self.dim:
            raise ValueError(f"module built for latent size {self.dim}, got {int(loaded)}")


class CorrectionNetwork(_LatentModule):
    """AdvAI's correction R(z1, z2, alpha) and the interpolation it defines.

    With s = ``input_scale``: R = dec(enc([s z1, 1 - alpha]) + enc([s z2, alpha])) / s, enc
    and dec MLPs with two layers of ``hidden`` units each; with ``per_coordinate`` the same
    small networks act on each coordinate (z1_k, z2_k, alpha) on its own. dec's last layer
    starts at zero, so R starts at 0 and the path at lerp.

    Args:
        dim: the latent size D >= 1.
        hidden: units per hidden layer.
        per_coordinate: one network per coordinate, shared, instead of one on whole codes.
        input_scale: s > 0.
    """

    def __init__(
        self, dim: int, hidden: int = 128, per_coordinate: bool = False, input_scale: float = 5.0
    ) -> None:
        super().__init__(dim, hidden, per_coordinate, input_scale)
        self.encoder = _mlp([self.width + 1, hidden, hidden])
        self.decoder = _mlp([hidden, hidden, self.width])
        nn.init.zeros_(self.decoder[-1].weight)
        nn.init.zeros_(self.decoder[-1].bias)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
        """R for paired inputs: z1, z2 (M, D) and alphas (M,) -> (M, D), unbounded."""
        shape = z1.shape
        weight = alphas.to(z1.dtype)
        if self.per_coordinate:
            z1, z2 = z1.reshape(-1, 1), z2.reshape(-1, 1)
            weight = weight.repeat_interleave(shape[1])
        weight = weight.unsqueeze(1)
        s = self.input_scale
        hidden = self.encoder(torch.cat([s * z1, 1 - weight], 1)) + self.encoder(
            torch.cat([s * z2, weight], 1)
        )
        return self.decoder(nn.functional.silu(hidden)).reshape(shape) / s

    def mix(self, z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
        """The AdvAI path for paired inputs: z1, z2 (M, D), alphas (M,) in [0, 1] -> (M, D).

        (1 - alpha) z1 + alpha z2 + alpha (1 - alpha) R(z1, z2, alpha): exactly z1 at
        alpha = 0 and z2 at alpha = 1, even where R is not finite.
        """
        z1, z2 = self._check_codes("z1", z1), self._check_codes("z2", z2)
        a = alphas.to(z1.dtype).unsqueeze(1)
        bump = a * (1 - a)
        bent = torch.where(bump > 0, bump * self(z1, z2, alphas), 0.0)
        return (1 - a) * z1 + a * z2 + bent

    def interpolate(
        self, z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor | Sequence[float] | float
    ) -> torch.Tensor:
        """AdvAI interpolation with the library signature: (N, D), (N, D), (A,) -> (N, A, D).

        Alpha 0 gives z1 and 1 gives z2 (see :mod:`aeai_lib.interpolation`).

        Raises:
            ValueError: codes of another latent size or shape, or an alpha outside [0, 1].
        """
        z1, z2 = self._check_codes("z1", z1), self._check_codes("z2", z2)
        if z1.shape != z2.shape:
            raise ValueError(
                f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
            )
        alphas = check_alphas(alphas).to(device=z1.device, dtype=z1.dtype)
        n, a = len(z1), len(alphas)
        path = self.mix(z1.repeat_interleave(a, 0), z2.repeat_interleave(a, 0), alphas.repeat(n))
        return path.reshape(n, a, self.dim)


class AlphaRegressor(_LatentModule):
    """AdvAI's discriminator D_R: codes (N, D) -> (N,) estimates of t(alpha), 0 for real codes.

    An MLP with two hidden layers of ``hidden`` units on ``input_scale`` * z; with
    ``per_coordinate`` one small MLP scores each coordinate and D_R is the mean of the D
    scores. The output is unbounded; once trained it lies roughly in [0, 0.5] (folded
    target) or [0, 1].
    """

    def __init__(
        self, dim: int, hidden: int = 128, per_coordinate: bool = False, input_scale: float = 5.0
    ) -> None:
        super().__init__(dim, hidden, per_coordinate, input_scale)
        self.net = _mlp([self.width, hidden, hidden, 1])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self._check_codes("z", z)
        scaled = self.input_scale * z
        if self.per_coordinate:
            return self.net(scaled.reshape(-1, 1)).reshape(z.shape).mean(1)
        return self.net(scaled).squeeze(1)
