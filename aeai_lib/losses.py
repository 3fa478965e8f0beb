"""The four AEAI loss terms, each as its own function.

Notation (REFERENCE.md): encoder f, decoder g, discriminator D(x) = sigmoid(logit(x)),
z(a) = (1 - a) z_i + a z_j and x_hat(a) = g(z(a)) for a on the grid n / M, n = 0..M.

Every term is a *mean* (over pixels, latent coordinates, pairs and grid points) rather than
the paper's sums. Means keep the paper's lambdas meaningful across image sizes, latent sizes
and M; a sum differs from the mean by a constant factor that the lambda absorbs.
"""

from __future__ import annotations

import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F
from torch import nn


def reconstruction_loss(images: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
    """L_R: mean squared error per pixel between (N, C, H, W) images and their reconstructions.

    Promotes the boundary conditions x_hat(0) = x_i and x_hat(1) = x_j.
    """
    return F.mse_loss(reconstructions, images)


def generator_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """L_A (generator side, non-saturating): mean of -log D(x_hat) over the interpolants.

    ``fake_logits`` (K,) are the discriminator's logits for decoded interpolants; the loss is
    low when the discriminator takes them for real images (credibility).
    """
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's own loss: -mean log D(x) over real images - mean log(1 - D(x_hat)).

    Binary cross-entropy with real images labelled 1 and interpolants labelled 0.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def r1_penalty(discriminator: nn.Module, real_images: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): mean over real images (N, C, H, W) of ||d logit / d x||^2.

    The squared norm is summed over the C * H * W pixels of each image. A zero-centred
    gradient penalty on real data only: it keeps the discriminator flat on the data, so it
    cannot grow arbitrarily sharp around the real images (the failure mode in which one player
    wins and the other's gradient vanishes or explodes). The returned value is differentiable
    with respect to the discriminator's weights (double backward); the images are not changed.
    Weight it by gamma / 2 as in the paper.
    """
    images = real_images.detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(images).sum(), images, create_graph=True)
    return gradients.pow(2).flatten(1).sum(dim=1).mean()


def cycle_consistency_loss(codes: torch.Tensor, recycled_codes: torch.Tensor) -> torch.Tensor:
    """L_C: mean of (z - f(g(z)))^2 relative to the spread of the codes, both (K, D), K >= 2.

    mean over codes and coordinates of (z - f(g(z)))^2, divided by the mean over coordinates
    of the codes' variance across the K codes. Zero when the encoder inverts the decoder on
    the interpolated codes (bijectivity). The paper's plain ||z - f(g(z))||^2 can be driven to
    0 by shrinking every code (a normalised decoder barely notices the scale); this ratio is
    unchanged by rescaling the codes, so the only way to lower it is to invert the decoder.
    """
    spread = codes.var(dim=0).mean()
    return F.mse_loss(recycled_codes, codes) / spread


def decode_with_velocity(
    decoder: nn.Module, codes: torch.Tensor, directions: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode codes (K, D) and their velocity along ``directions`` (K, D) in one pass.

    Forward-mode automatic differentiation (a Jacobian-vector product): for a code on the
    line z(a) = (1 - a) z_i + a z_j, pass direction z_j - z_i to get d x_hat / d a =
    J_g(z(a)) (z_j - z_i). Returns (images, velocities), both (K, C, H, W); both stay
    differentiable with respect to the decoder's weights and the codes.
    """
    with fwAD.dual_level():
        images, velocities = fwAD.unpack_dual(decoder(fwAD.make_dual(codes, directions)))
    return images, velocities


def smoothness_loss(velocities: torch.Tensor) -> torch.Tensor:
    """L_S from velocities (K, C, H, W) = d x_hat / d a at grid points: mean of their squares.

    ||d x_hat / d a||^2 per pixel, averaged over the K (pair, alpha) points. Its minimum for a
    path from x_i to x_j is reached by a path of constant speed, where it equals
    mean((x_j - x_i)^2).
    """
    return velocities.pow(2).mean()


def finite_difference_smoothness(path: torch.Tensor) -> torch.Tensor:
    """L_S by finite differences on an evenly spaced alpha grid, from decoded paths.

    ``path`` is (N, M + 1, C, H, W): for each of N pairs the images at a = n / M, n = 0..M.
    Returns M^2 * mean over pairs, the M steps and pixels of (x_hat((n+1)/M) - x_hat(n/M))^2:
    the squared forward-difference derivative. It agrees with :func:`smoothness_loss` on
    JVP velocities as M grows, and costs nothing once the grid is decoded.
    """
    if path.dim() != 5 or path.shape[1] < 2:
        raise ValueError(
            f"path must be (N, M + 1, C, H, W) with M >= 1, got shape {tuple(path.shape)}"
        )
    m = path.shape[1] - 1
    return m**2 * (path[:, 1:] - path[:, :-1]).pow(2).mean()
