"""What the baselines share: converting their published weights, and their optimisers.

**Converting weights.** ACAI's and AMR's public code train on images in [-1, 1]; this library's
images lie in [0, 1] (decoders end in a sigmoid). A pixel error on ``2 x - 1`` is twice the
error on ``x``, so an MSE is 4x and an L1 error 2x larger there. Losses that do not see pixel
values (a GAN term, a critic's regression of alpha, a KL) are unchanged. A published objective
``w_pix * E_[-1,1] + w_other * T`` is therefore ``w_pix * s * E_[0,1] + w_other * T`` here,
with s = 4 (MSE) or 2 (L1): the weight of the term that is not a pixel error becomes
``w_other / (w_pix * s)`` relative to a pixel error of weight 1, and a weight on the pixel
error itself becomes ``w_pix * s``. Adam is invariant to scaling a whole objective, so these
converted objectives train exactly like the published ones. The methods' ``Options``
docstrings show each conversion.

**Optimisers.** :func:`adam_per_group` builds one Adam per parameter group with the betas and
weight decay a method's code uses for all its networks (the base class's default gives the
adversary the GAN betas (0.5, 0.999) instead).

**One adversary.** :class:`AdversaryMethod` is the base of the baselines that train one
auxiliary network against the autoencoder (a discriminator or a critic): it builds it, makes
it the ``"adversary"`` parameter group and trains both groups with Adam's default betas.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, Method
from aeai_lib.models import AutoencoderModel, ModelConfig

MSE_SIGNED_RANGE_FACTOR = 4.0
"""MSE of images in [-1, 1] over the MSE of the same images in [0, 1]: (2 x - 2 y)^2."""
L1_SIGNED_RANGE_FACTOR = 2.0
"""L1 error of images in [-1, 1] over the L1 error of the same images in [0, 1]."""
ADAM_DEFAULT_BETAS = (0.9, 0.999)
"""Adam's defaults in TensorFlow and PyTorch (ACAI's and GAIA's code use them everywhere)."""


def adam_per_group(
    groups: dict[str, list[nn.Parameter]],
    lr: float,
    adversary_lr: float,
    betas: tuple[float, float] = ADAM_DEFAULT_BETAS,
    weight_decay: float = 0.0,
) -> dict[str, torch.optim.Optimizer]:
    """One Adam per group: ``lr`` for the autoencoder, ``adversary_lr`` for every other group,
    the same ``betas`` and (L2) ``weight_decay`` for all."""
    return {
        name: torch.optim.Adam(
            params,
            lr=lr if name == AUTOENCODER else adversary_lr,
            betas=betas,
            weight_decay=weight_decay,
        )
        for name, params in groups.items()
    }


class AdversaryMethod(Method):
    """A method with one auxiliary network trained as its adversary.

    Subclasses set :attr:`adversary_name` (the key in ``model.auxiliary``) and implement
    :meth:`build_adversary`; the adversary is the ``"adversary"`` parameter group, and both
    groups train with Adam's default betas at ``lr`` and ``adversary_lr``.
    """

    adversary_name: ClassVar[str] = "discriminator"

    def build_adversary(self, config: ModelConfig) -> nn.Module:
        """The adversary network for models of ``config``."""
        raise NotImplementedError

    def build_model(self, config: ModelConfig) -> AutoencoderModel:
        model = super().build_model(config)
        model.auxiliary[self.adversary_name] = self.build_adversary(config)
        return model

    def parameter_groups(self, model: AutoencoderModel) -> dict[str, list[nn.Parameter]]:
        groups = super().parameter_groups(model)
        groups[ADVERSARY] = list(model.auxiliary[self.adversary_name].parameters())
        return groups

    def make_optimizers(
        self, groups: dict[str, list[nn.Parameter]], lr: float, adversary_lr: float
    ) -> dict[str, torch.optim.Optimizer]:
        """Adam with its default betas for every group (ACAI's and GAIA's code)."""
        return adam_per_group(groups, lr, adversary_lr)
