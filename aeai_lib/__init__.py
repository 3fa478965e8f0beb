"""aeai_lib: latent-space interpolation in autoencoders (AEAI, AdvAI) for the tutorial series."""

__version__ = "0.1.0"

from aeai_lib.checkpoint import load_model  # noqa: E402
from aeai_lib.device import pick_device, seed_everything  # noqa: E402

__all__ = ["__version__", "load_model", "pick_device", "seed_everything"]
