"""Latent distribution mismatch: how far interpolated codes are from real codes or the prior.

Every measure takes sets of codes, float tensors (N, D) with one code per row, and returns a
plain float (or a dict of floats). Lower means closer. The analytic fact behind the series:
for z1, z2 ~ N(0, I_d) the lerp (1 - a) z1 + a z2 ~ N(0, s^2 I) with s^2 = a^2 + (1 - a)^2, so
its KL divergence from the prior is d/2 (s^2 - 1 - ln s^2), about 0.0966 d at the midpoint:
the mismatch grows linearly with the dimension.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from aeai_lib.interpolation import Interpolation
from aeai_lib.losses import mmd_squared
from aeai_lib.priors import sample_prior
from aeai_lib.validation import check_alphas, check_positive_int, is_real_number

NORM_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The quantiles of ||z||_2 that :func:`norm_stats` reports."""


def norm_stats(z: torch.Tensor) -> dict[str, float]:
    """Summarise the Euclidean norms ||z_i||_2 of a set of codes.

    Args:
        z: float tensor (N, D), N >= 2.

    Returns:
        ``{"mean", "std", "q05", "q25", "q50", "q75", "q95"}``: the mean, the sample standard
        deviation (divisor N - 1) and the quantiles :data:`NORM_QUANTILES` (linear
        interpolation between order statistics) of the N norms. For N(0, I_d) codes the
        mean is about sqrt(d - 1/2); for lerp midpoints of such codes it is 1/sqrt(2) of that.
    """
    _check_codes("z", z, min_rows=2)
    norms = z.double().norm(dim=1)
    quantiles = torch.quantile(norms, torch.tensor(NORM_QUANTILES, dtype=torch.float64))
    stats = {"mean": norms.mean().item(), "std": norms.std().item()}
    for q, value in zip(NORM_QUANTILES, quantiles.tolist(), strict=True):
        stats[f"q{round(q * 100):02d}"] = value
    return stats


def gaussian_kl(z_p: torch.Tensor, z_q: torch.Tensor, ridge: float = 1e-6) -> float:
    """KL(N(mu_p, S_p) || N(mu_q, S_q)) between Gaussian fits of two sets of codes, in nats.

    mu and S are the sample mean and the sample covariance (divisor N - 1) of each set,
    computed in float64, and ``ridge`` is added to the diagonal of both covariances so that
    they stay invertible (it shifts the result by O(ridge) only). With D-dimensional codes::

        KL = 1/2 [ tr(S_q^-1 S_p) + (mu_q - mu_p)^T S_q^-1 (mu_q - mu_p) - D
                   + ln det S_q - ln det S_p ]

    The fits need many more codes than dimensions: two independent sets of N codes from the
    same distribution give about (D^2 + 3 D) / (2 N) instead of 0.

    Args:
        z_p: float tensor (N, D), N >= 2: the codes under test (e.g. interpolants).
        z_q: float tensor (M, D), M >= 2: the reference codes (e.g. prior samples).
        ridge: non-negative number added to the covariance diagonals.

    Returns:
        the KL divergence, >= 0 up to rounding; 0 for identical sets.
    """
    _check_codes("z_p", z_p, min_rows=2)
    _check_codes("z_q", z_q, min_rows=2)
    _check_same_dim(z_p, z_q)
    if not (is_real_number(ridge) and math.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}; the default is 1e-6")
    dim = z_p.shape[1]
    mu_p, cov_p = _gaussian_fit(z_p, ridge)
    mu_q, cov_q = _gaussian_fit(z_q, ridge)
    logdet_ratio = _logdet(cov_q, "z_q") - _logdet(cov_p, "z_p")
    diff = (mu_q - mu_p)[:, None]
    solved = torch.linalg.solve(cov_q, torch.cat((cov_p, diff), dim=1))
    trace_term = solved[:, :dim].diagonal().sum()
    mahalanobis = (diff[:, 0] * solved[:, dim]).sum()
    return 0.5 * (trace_term + mahalanobis - dim + logdet_ratio).item()


def gaussian_midpoint_kl(dim: int, alpha: float = 0.5) -> float:
    """Exact KL(N(0, s^2 I_d) || N(0, I_d)) of lerp interpolants of a standard normal prior.

    For independent z1, z2 ~ N(0, I_d), (1 - alpha) z1 + alpha z2 ~ N(0, s^2 I_d) with
    s^2 = alpha^2 + (1 - alpha)^2, and the KL is d/2 (s^2 - 1 - ln s^2): 0 at the endpoints,
    largest at alpha = 0.5 where it is d/2 (ln 2 - 1/2) ≈ 0.0966 d.

    Args:
        dim: the code dimension d >= 1.
        alpha: the interpolation coefficient in [0, 1].

    Returns:
        the KL divergence in nats.
    """
    check_positive_int("dim", dim)
    alpha = _check_alpha(alpha)
    s2 = alpha**2 + (1.0 - alpha) ** 2
    return dim / 2.0 * (s2 - 1.0 - math.log(s2))


def empirical_interpolant_kl(
    dim: int,
    interpolate: Interpolation,
    *,
    alpha: float = 0.5,
    n: int = 20000,
    prior: str = "gaussian",
    generator: torch.Generator,
) -> float:
    """Estimate from samples the KL of interpolants from the prior they were drawn from.

    Draws three independent sets of ``n`` prior codes z1, z2 and z_ref, forms the
    interpolants ``interpolate(z1, z2, [alpha])`` and returns
    ``gaussian_kl(interpolants, z_ref)``: the KL between Gaussian fits. For lerp and the
    Gaussian prior this estimates :func:`gaussian_midpoint_kl` (dim, alpha), with an upward
    bias of order dim^2 / (2 n) from the two fits (about +1% at dim = 64, n = 20000).

    Args:
        dim: the code dimension >= 1 (even for the planar priors).
        interpolate: an interpolation ``f(z1, z2, alphas) -> (N, A, D)``.
        alpha: the interpolation coefficient in [0, 1].
        n: codes per set, >= 2.
        prior: one of :data:`aeai_lib.priors.PRIORS`.
        generator: seeds the three draws.

    Returns:
        the estimated KL divergence in nats.
    """
    check_positive_int("n", n, minimum=2)
    alphas = torch.tensor([_check_alpha(alpha)])
    z1, z2, z_ref = (sample_prior(prior, n, dim, generator) for _ in range(3))
    interpolants = _interpolate_checked(interpolate, z1, z2, alphas)
    return gaussian_kl(interpolants[:, 0], z_ref)


def interpolant_codes(
    z: torch.Tensor,
    interpolate: Interpolation,
    alphas: torch.Tensor | Sequence[float] | float,
    generator: torch.Generator,
) -> torch.Tensor:
    """The set of codes obtained by interpolating each code towards a random partner.

    The partners come from a random cyclic pairing: a seeded permutation ``order`` of the N
    codes, where ``z[order[i]]`` is paired with ``z[order[(i + 1) % N]]``, so every code is a
    source exactly once and a target exactly once, and never its own partner. The pairs are
    interpolated at every alpha and the result is flattened, row ``i * A + k`` holding code i
    moved towards its partner by ``alphas[k]``. Compare the result with real codes or prior
    samples using :func:`mmd`, :func:`gaussian_kl` or :func:`norm_stats`.

    Args:
        z: float tensor (N, D), N >= 2: codes of real images or prior samples.
        interpolate: an interpolation ``f(z1, z2, alphas) -> (N, A, D)``.
        alphas: the A coefficients in [0, 1] (0 keeps the code, 1 gives its partner).
        generator: seeds the pairing.

    Returns:
        tensor (N * A, D) of interpolated codes.
    """
    _check_codes("z", z, min_rows=2)
    alphas = check_alphas(alphas)
    order = torch.randperm(z.shape[0], generator=generator)
    partner = torch.empty_like(order)
    partner[order] = order.roll(-1)
    interpolants = _interpolate_checked(interpolate, z, z[partner], alphas)
    return interpolants.reshape(-1, z.shape[1])


def mmd(
    x: torch.Tensor,
    y: torch.Tensor,
    bandwidths: Sequence[float] | None = None,
    *,
    max_points: int = 2000,
    generator: torch.Generator | None = None,
) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy between two sets of codes.

    With the kernel k(a, b) = sum_h exp(-||a - b||^2 / (2 h^2)) summed over the bandwidths h::

        MMD^2 = mean_{i != j} k(x_i, x_j) + mean_{i != j} k(y_i, y_j) - 2 mean_{i, j} k(x_i, y_j)

    computed in float64 by :func:`aeai_lib.losses.mmd_squared`. By default the bandwidths are
    the median heuristic: the median Euclidean distance between distinct points of the pooled
    set (x and y together) times :data:`aeai_lib.losses.MMD_BANDWIDTH_FACTORS` (0.5, 1, 2). A
    set larger than ``max_points`` is first replaced by a random subset of ``max_points``
    codes drawn with ``generator`` (by default a generator seeded with 0), which bounds the
    cost at O(max_points^2) and keeps the result deterministic.

    Args:
        x: float tensor (N, D), N >= 2.
        y: float tensor (M, D), M >= 2.
        bandwidths: positive kernel widths, or ``None`` for the median heuristic.
        max_points: the largest set size used, >= 2.
        generator: seeds the subsampling.

    Returns:
        the estimate: about 0 (it can be slightly negative) when x and y come from the same
        distribution, larger the more they differ (at most 2 * number of bandwidths).

    Raises:
        ValueError: bad shapes or bandwidths, or every code the same with no bandwidths given.
    """
    _check_codes("x", x, min_rows=2)
    _check_codes("y", y, min_rows=2)
    _check_same_dim(x, y)
    check_positive_int("max_points", max_points, minimum=2)
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    x = _subsample(x, max_points, generator).double()
    y = _subsample(y, max_points, generator).double()
    widths = None
    if bandwidths is not None:
        widths = torch.as_tensor(bandwidths, dtype=torch.float64).reshape(-1)
        if widths.numel() == 0 or not (torch.isfinite(widths).all() and (widths > 0).all()):
            raise ValueError(f"bandwidths must be positive finite numbers, got {list(bandwidths)}")
    return mmd_squared(x, y, widths).item()


def histogram_distance_2d(
    x: torch.Tensor,
    y: torch.Tensor,
    bins: int = 40,
    range: tuple[float, float] = (-1.5, 1.5),
) -> float:
    """Total variation distance between the 2-D histograms of two planar point sets.

    Both sets are binned on the same ``bins`` x ``bins`` grid of equal square cells
    covering ``range`` on each axis; a point outside the grid is counted in the nearest
    border cell, so every point counts. With p and q the normalised histograms (each summing
    to 1), the distance is 1/2 sum_cells |p - q|: 0 for identical histograms, 1 when the two
    sets share no cell. The default range covers all the planar toy priors.

    Args:
        x: float tensor (N, 2), N >= 1.
        y: float tensor (M, 2), M >= 1.
        bins: cells per axis, >= 1.
        range: (low, high) limits of the grid on both axes, low < high.

    Returns:
        the total variation distance in [0, 1].
    """
    for name, points in (("x", x), ("y", y)):
        _check_codes(name, points, min_rows=1)
        if points.shape[1] != 2:
            raise ValueError(
                f"{name} must hold 2-D points (N, 2), got shape {tuple(points.shape)}; "
                "project the codes to two coordinates first"
            )
    check_positive_int("bins", bins)
    low, high = range
    if not low < high:
        raise ValueError(f"range must be (low, high) with low < high, got {range}")
    p, q = (_histogram_2d(points, bins, low, high) for points in (x, y))
    return 0.5 * (p - q).abs().sum().item()


def _check_alpha(alpha: float) -> float:
    """Check a single interpolation coefficient in [0, 1] and return it as a float."""
    if not is_real_number(alpha):
        raise TypeError(f"alpha must be a single number in [0, 1], got {alpha!r}")
    check_alphas(alpha)
    return float(alpha)


def _histogram_2d(points: torch.Tensor, bins: int, low: float, high: float) -> torch.Tensor:
    """Normalised histogram (bins * bins,) float64 of (N, 2) points, outliers clipped."""
    cell = ((points.double() - low) / (high - low) * bins).floor().long().clamp(0, bins - 1)
    counts = torch.bincount(cell[:, 0] * bins + cell[:, 1], minlength=bins * bins)
    return counts.double() / points.shape[0]


def _gaussian_fit(z: torch.Tensor, ridge: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample mean (D,) and covariance (D, D) + ridge I of (N, D) codes, in float64."""
    z = z.double()
    cov = torch.atleast_2d(torch.cov(z.T))
    return z.mean(dim=0), cov + ridge * torch.eye(z.shape[1], dtype=torch.float64)


def _logdet(cov: torch.Tensor, name: str) -> torch.Tensor:
    """ln det of a covariance matrix, with an error naming the set if it is singular."""
    sign, logabsdet = torch.linalg.slogdet(cov)
    if sign <= 0 or not torch.isfinite(logabsdet):
        raise ValueError(
            f"the covariance of {name} is singular (e.g. fewer codes than dimensions or a "
            "constant coordinate); use more codes or a larger ridge"
        )
    return logabsdet


def _subsample(z: torch.Tensor, max_points: int, generator: torch.Generator) -> torch.Tensor:
    """Keep at most ``max_points`` rows of z, a seeded random subset when there are more."""
    if z.shape[0] <= max_points:
        return z
    return z[torch.randperm(z.shape[0], generator=generator)[:max_points]]


def _interpolate_checked(
    interpolate: Interpolation, z1: torch.Tensor, z2: torch.Tensor, alphas: torch.Tensor
) -> torch.Tensor:
    """Call an interpolation and check that it returned (N, A, D)."""
    out = interpolate(z1, z2, alphas)
    expected = (z1.shape[0], alphas.shape[0], z1.shape[1])
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"interpolate(z1, z2, alphas) must return a tensor (N, A, D) = {expected}, got "
            f"{shape}; follow the convention f(z1 (N, D), z2 (N, D), alphas (A,)) -> (N, A, D)"
        )
    return out


def _check_codes(name: str, z: torch.Tensor, min_rows: int) -> None:
    """Check a set of codes: a float tensor (N, D) with N >= min_rows and finite values."""
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (N, D) of codes, got {type(z).__name__}")
    if z.dim() != 2:
        raise ValueError(
            f"{name} must be 2-D (N, D), one code per row, got shape {tuple(z.shape)}; "
            "flatten extra dimensions with z.reshape(len(z), -1)"
        )
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got dtype {z.dtype}; use z.float()")
    if z.shape[0] < min_rows or z.shape[1] < 1:
        raise ValueError(
            f"{name} must hold at least {min_rows} code(s) of dimension >= 1, got shape "
            f"{tuple(z.shape)}; pass more codes"
        )
    if not torch.isfinite(z).all():
        raise ValueError(f"{name} contain NaN or inf values; clean the codes first")


def _check_same_dim(x: torch.Tensor, y: torch.Tensor) -> None:
    """Check that two sets of codes have the same dimension D."""
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"the two sets of codes must have the same dimension, got {x.shape[1]} and "
            f"{y.shape[1]}; compare codes of the same model"
        )
