"""Training methods by name: the registry.

``make_method("ae")`` is AEAI with every lambda at 0 (the plain autoencoder);
``make_method("aeai")`` uses the paper's lambdas; any option can be overridden, e.g.
``make_method("ae", lambda_adv=0.01)`` is AE+A. The baselines of the AEAI paper's comparison:
``"aae"``, ``"acai"``, ``"beta-vae"``, ``"gaia"``, ``"amr"`` (one module each, the defaults of
each paper and its public code in the module's docstring).

Adding a method: write ``methods/<name>.py`` with a :class:`~aeai_lib.methods.base.Method`
subclass (its ``Options`` dataclass, networks, optimisers and losses) and add one line to
:data:`METHODS`. The command line (``--method <name> --set option=value``), the training
loop, checkpoints, the evaluation and the report then know it.
"""

from __future__ import annotations

from typing import Any

from aeai_lib.methods.aae import AAE, AAEOptions
from aeai_lib.methods.acai import ACAI, ACAIOptions
from aeai_lib.methods.advai import AdvAI, AdvAIOptions
from aeai_lib.methods.aeai import AEAI, AEAIOptions
from aeai_lib.methods.amr import AMR, AMROptions
from aeai_lib.methods.base import ADVERSARY, AUTOENCODER, Method, StepLosses
from aeai_lib.methods.beta_vae import BetaVAE, BetaVAEOptions
from aeai_lib.methods.gaia import GAIA, GAIAOptions
from aeai_lib.validation import check_choice

# name -> (method class, option defaults that differ from the class's own)
METHODS: dict[str, tuple[type[Method], dict[str, Any]]] = {
    "ae": (AEAI, {"lambda_adv": 0.0, "lambda_cycle": 0.0, "lambda_smooth": 0.0}),
    "aeai": (AEAI, {}),
    "advai": (AdvAI, {}),
    "aae": (AAE, {}),
    "acai": (ACAI, {}),
    "beta-vae": (BetaVAE, {}),
    "gaia": (GAIA, {}),
    "amr": (AMR, {}),
}


def make_method(name: str, **options: Any) -> Method:
    """Build the method registered as ``name``: its preset options, overridden by ``options``.

    Raises:
        ValueError: an unknown method or option name, or an option value its ``Options``
            refuses (TypeError for a value of the wrong type); the message names it.
    """
    check_choice("method", name, METHODS)
    method_class, preset = METHODS[name]
    known = set(method_class.Options.__dataclass_fields__)
    unknown = set(options) - known
    if unknown:
        raise ValueError(
            f"unknown option(s) {sorted(unknown)} for method {name!r}; known: {sorted(known)}"
        )
    return method_class(method_class.Options(**{**preset, **options}))


def method_from_record(record: dict[str, Any]) -> Method:
    """Rebuild a method from the ``{"name": ..., "options": {...}}`` a checkpoint stores."""
    return make_method(record["name"], **record["options"])


__all__ = [
    "AAE",
    "ACAI",
    "ADVERSARY",
    "AEAI",
    "AMR",
    "AUTOENCODER",
    "GAIA",
    "AAEOptions",
    "ACAIOptions",
    "AEAIOptions",
    "AMROptions",
    "METHODS",
    "AdvAI",
    "AdvAIOptions",
    "BetaVAE",
    "BetaVAEOptions",
    "GAIAOptions",
    "Method",
    "StepLosses",
    "make_method",
    "method_from_record",
]
