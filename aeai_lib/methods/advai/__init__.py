"""AdvAI (Li et al., IEEE MultiMedia 2022) in one package.

* :mod:`.correction`: the learned correction R of the interpolation path, its alpha regressor
  D_R and their adversarial losses;
* :mod:`.method`: AdvAI-AE, the training method that learns R alongside an autoencoder;
* :mod:`.fitted`: R and D_R fitted post hoc to any trained model's own codes (the plug-in;
  :mod:`aeai_lib.correct` brings it models, datasets and checkpoints).

AdvAI's toy-prior experiment (R trained on samples of a prior) lives beside the latent
mismatch measures, in :mod:`aeai_lib.evaluation.toy_priors`.
"""

from aeai_lib.methods.advai.correction import (
    AlphaRegressor,
    CorrectionNetwork,
    CorrectionOptions,
    adversarial_losses,
)
from aeai_lib.methods.advai.fitted import (
    FittedCorrection,
    attach_correction,
    fit_to_codes,
    model_fingerprint,
)
from aeai_lib.methods.advai.method import AdvAI, AdvAIOptions

__all__ = [
    "AdvAI",
    "AdvAIOptions",
    "AlphaRegressor",
    "CorrectionNetwork",
    "CorrectionOptions",
    "FittedCorrection",
    "adversarial_losses",
    "attach_correction",
    "fit_to_codes",
    "model_fingerprint",
]
