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
    differentiable = torch.is_grad_enabled()
    with torch.enable_grad():  # a gradient with respect to the images, even under no_grad
        images = real_images.detach().requires_grad_(True)
        logits = discriminator(images).sum()
        (gradients,) = torch.autograd.grad(logits, images, create_graph=differentiable)
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


def alpha_target(alphas: torch.Tensor, fold: bool) -> torch.Tensor:
    """What a critic regresses for an interpolant at ``alphas``: min(alpha, 1 - alpha) in
    [0, 0.5] if ``fold`` (ACAI; AdvAI's public code), else alpha in [0, 1] (AdvAI's blog).

    Folding labels both endpoints 0, like the real images they reconstruct.
    """
    return torch.minimum(alphas, 1 - alphas) if fold else alphas


def critic_losses(
    critic: nn.Module,
    images: torch.Tensor,
    reconstructions: torch.Tensor,
    path_images: torch.Tensor,
    alphas: torch.Tensor,
    gamma: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """ACAI's critic (Berthelot et al. 2018, eq. 1-2), scored in one critic pass.

    The critic c regresses the folded alpha of decoded interpolants and answers 0 on
    ``gamma x + (1 - gamma) x_hat``, a blend of real images and their reconstructions (ACAI:
    gamma = 0.2), which keeps its output meaningful when the interpolants become realistic::

        critic:       mean (c(x_hat(alpha)) - min(alpha, 1 - alpha))^2 + mean c(blend)^2
        autoencoder:  mean c(x_hat(alpha))^2    (weighted by ACAI's lambda, 0.5)

    Args:
        critic: images -> (N,) scores, e.g. :class:`aeai_lib.models.Critic`.
        images, reconstructions: (B, C, H, W) real images and their reconstructions.
        path_images: (M, C, H, W) decoded interpolants at ``alphas`` (M,) in [0, 1].
        gamma: the blend weight in [0, 1].

    Returns:
        (the autoencoder's term, the critic's loss), scalars >= 0. Back-propagate each into
        its own networks only (``backward(inputs=...)``).
    """
    blend = gamma * images + (1 - gamma) * reconstructions
    scores = critic(torch.cat([path_images, blend]))
    path_scores, blend_scores = scores[: len(alphas)], scores[len(alphas) :]
    critic_loss = (path_scores - alpha_target(alphas, fold=True)).square().mean()
    return path_scores.square().mean(), critic_loss + blend_scores.square().mean()


MMD_BANDWIDTH_FACTORS: tuple[float, ...] = (0.5, 1.0, 2.0)
"""MMD's default kernel widths, as multiples of the median pairwise distance."""


def mmd_squared(
    x: torch.Tensor, y: torch.Tensor, bandwidths: torch.Tensor | None = None
) -> torch.Tensor:
    """Unbiased squared maximum mean discrepancy between sets of codes x (N, D) and y (M, D).

    With the kernel k(a, b) = sum_h exp(-||a - b||^2 / (2 h^2)) over the bandwidths h::

        MMD^2 = mean_{i != j} k(x_i, x_j) + mean_{i != j} k(y_i, y_j) - 2 mean_{i, j} k(x_i, y_j)

    in the inputs' dtype and differentiable with respect to both sets. By default the
    bandwidths are the median heuristic: the median Euclidean distance between distinct
    points of the pooled set, not differentiated, times :data:`MMD_BANDWIDTH_FACTORS`. The
    same estimate is AdvAI's prior term (a loss) and, in float64 with input checks,
    :func:`aeai_lib.evaluation.mismatch.mmd` (a measure).

    Args:
        x, y: N, M >= 2 codes of the same dimension D.
        bandwidths: positive kernel widths (H,), or None for the median heuristic.

    Returns:
        a scalar: about 0 (slightly negative at times) when x and y come from one
        distribution, larger the more they differ (at most 2 H).

    Raises:
        ValueError: the median heuristic on a set whose points all coincide.
    """
    n, m = len(x), len(y)
    pooled = torch.cat([x, y])
    norms = pooled.square().sum(1)
    squared = (norms[:, None] + norms[None, :] - 2 * pooled @ pooled.T).clamp_min(0.0)
    off_diagonal = ~torch.eye(n + m, dtype=torch.bool, device=pooled.device)
    if bandwidths is None:
        median = squared.detach()[off_diagonal].median()
        if not median > 0:
            raise ValueError(
                "the median distance between the codes is 0, so the median heuristic gives no "
                "bandwidth; pass bandwidths explicitly"
            )
        widths_squared = [factor**2 * median for factor in MMD_BANDWIDTH_FACTORS]
    else:
        widths_squared = bandwidths.to(squared).square()
    kernel = sum(torch.exp(-squared / (2 * width_squared)) for width_squared in widths_squared)
    kernel = kernel * off_diagonal
    k_xx = kernel[:n, :n].sum() / (n * (n - 1))
    k_yy = kernel[n:, n:].sum() / (m * (m - 1))
    k_xy = kernel[:n, n:].mean()
    return k_xx + k_yy - 2 * k_xy
