"""Re-encoding: does the encoder map decoded interpolants back onto the latent line?

AEAI's cycle-consistency term L_C asks f(g(z)) = z for the codes z(a) = (1 - a) z_i + a z_j on
the line between two codes. These measures say how far a trained model is from that, in
units of the line's own length ``||z_j - z_i||`` so that models with codes of any scale
compare:

* drift ``||f(g(z(a))) - z(a)|| / ||z_j - z_i||`` (0: the cycle closes);
* re-encoded alpha ``a_hat``: the projection of f(g(z(a))) onto the line,
  ``(f(g(z(a))) - z_i) . (z_j - z_i) / ||z_j - z_i||^2`` (ideal: a_hat = a); its error
  ``mean |a_hat - a|`` says how well the position along the path survives a round trip;
* off-line distance: the part of f(g(z(a))) - z_i orthogonal to the line, same units.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from aeai_lib.inference import encode_images, inference
from aeai_lib.interpolation import lerp
from aeai_lib.models import AutoencoderModel
from aeai_lib.validation import check_alphas


def reencode_paths(
    model: AutoencoderModel,
    sources: torch.Tensor,
    targets: torch.Tensor,
    alphas: torch.Tensor | Sequence[float],
) -> dict[str, torch.Tensor]:
    """Encode endpoint images (P, C, H, W), decode the line's codes at ``alphas`` (A,), re-encode.

    Returns float32 tensors on the CPU: ``"codes"`` (P, A, D) the codes z(a); ``"decoded"``
    (P, A, C, H, W) the images g(z(a)); ``"recycled"`` (P, A, D) f(g(z(a))); ``"drift"``,
    ``"alpha_back"`` and ``"off_line"`` (P, A) as in the module docstring.
    """
    alphas = check_alphas(alphas)
    ends = encode_images(model, torch.cat([sources, targets])).float().cpu()
    z_i, z_j = ends.chunk(2)
    codes = lerp(z_i, z_j, alphas)  # (P, A, D)
    with inference(model) as device:
        decoded = model.decode(codes.flatten(0, 1).to(device))
        recycled = model.encode(decoded.clamp(0.0, 1.0)).float().cpu().unflatten(0, codes.shape[:2])
    chord = (z_j - z_i).unsqueeze(1)  # (P, 1, D)
    length = chord.norm(dim=-1).clamp_min(torch.finfo(torch.float32).tiny)  # (P, 1)
    relative = recycled - z_i.unsqueeze(1)
    alpha_back = (relative * chord).sum(dim=-1) / length**2
    off_line = relative - alpha_back.unsqueeze(-1) * chord
    return {
        "codes": codes,
        "decoded": decoded.float().cpu().unflatten(0, codes.shape[:2]),
        "recycled": recycled,
        "drift": (recycled - codes).norm(dim=-1) / length,
        "alpha_back": alpha_back,
        "off_line": off_line.norm(dim=-1) / length,
    }


def reencoding_summary(
    reencoded: dict[str, torch.Tensor], alphas: torch.Tensor
) -> dict[str, float]:
    """Scalars of :func:`reencode_paths`: ``drift`` (mean over pairs and interior alphas),
    ``drift_mid`` (at the alpha nearest 1/2), ``alpha_back_error`` (mean |a_hat - a| over pairs
    and interior alphas) and ``off_line`` (mean over pairs and interior alphas)."""
    alphas = check_alphas(alphas)
    interior = (alphas > 0) & (alphas < 1)
    mid = int((alphas - 0.5).abs().argmin())
    return {
        "drift": reencoded["drift"][:, interior].mean().item(),
        "drift_mid": reencoded["drift"][:, mid].mean().item(),
        "alpha_back_error": (reencoded["alpha_back"] - alphas)[:, interior].abs().mean().item(),
        "off_line": reencoded["off_line"][:, interior].mean().item(),
    }
