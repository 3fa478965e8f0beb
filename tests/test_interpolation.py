"""Tests for aeai_lib.interpolation: endpoints, shapes, norms, statistics and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aeai_lib.interpolation import (
    INTERPOLATIONS,
    SLERP_MIN_ANGLE,
    alpha_grid,
    angle_between,
    get_interpolation,
    lerp,
    normalized_lerp,
    slerp,
)


def _codes(n: int, d: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("name", sorted(INTERPOLATIONS))
def test_every_interpolation_keeps_its_endpoints(name: str) -> None:
    interpolate = get_interpolation(name)
    z1, z2 = _codes(6, 10, seed=1), _codes(6, 10, seed=2)
    path = interpolate(z1, z2, torch.tensor([0.0, 0.3, 0.7, 1.0]))
    assert path.shape == (6, 4, 10)
    torch.testing.assert_close(path[:, 0], z1, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(path[:, -1], z2, atol=1e-5, rtol=1e-5)
    # ...and is not stuck at the endpoints in between.
    assert (path[:, 1] - z1).abs().max() > 0.1
    assert (path[:, 1] - z2).abs().max() > 0.1


@pytest.mark.parametrize("name", sorted(INTERPOLATIONS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_is_pairs_by_alphas_by_dim(name: str, dtype: torch.dtype) -> None:
    interpolate = get_interpolation(name)
    z1, z2 = _codes(3, 5, 1, dtype), _codes(3, 5, 2, dtype)
    path = interpolate(z1, z2, alpha_grid(7))
    assert path.shape == (3, 8, 5)
    assert path.dtype == dtype
    assert interpolate(z1, z2, 0.5).shape == (3, 1, 5)  # a scalar alpha
    assert interpolate(z1, z2, [0.25, 0.5]).shape == (3, 2, 5)  # a list of alphas


def test_lerp_values_and_midpoint() -> None:
    z1, z2 = _codes(4, 3, 1), _codes(4, 3, 2)
    path = lerp(z1, z2, torch.tensor([0.25, 0.5]))
    torch.testing.assert_close(path[:, 1], (z1 + z2) / 2)
    torch.testing.assert_close(path[:, 0], 0.75 * z1 + 0.25 * z2)


def test_slerp_keeps_the_norm_of_equal_norm_codes() -> None:
    z1, z2 = _codes(8, 16, 1), _codes(8, 16, 2)
    z1 = 3.0 * z1 / z1.norm(dim=1, keepdim=True)
    z2 = 3.0 * z2 / z2.norm(dim=1, keepdim=True)
    alphas = alpha_grid(10)
    norms = slerp(z1, z2, alphas).norm(dim=-1)
    torch.testing.assert_close(norms, torch.full_like(norms, 3.0), atol=1e-4, rtol=0)
    # lerp, by contrast, cuts the corner: its midpoint is shorter.
    assert (lerp(z1, z2, alphas).norm(dim=-1)[:, 5] < 2.9).all()


def test_slerp_follows_the_great_circle() -> None:
    z1 = torch.tensor([[1.0, 0.0]])
    z2 = torch.tensor([[0.0, 1.0]])
    path = slerp(z1, z2, torch.tensor([0.5, 1 / 3]))
    s = 0.5**0.5
    torch.testing.assert_close(path[0, 0], torch.tensor([s, s]))
    torch.testing.assert_close(path[0, 1], torch.tensor([3**0.5 / 2, 0.5]))


@pytest.mark.parametrize("factor", [2.0, 1.0, -1.0], ids=["parallel", "identical", "opposite"])
def test_slerp_falls_back_to_lerp_for_parallel_codes(factor: float) -> None:
    z1 = _codes(4, 6, 3)
    z2 = factor * z1
    alphas = alpha_grid(4)
    path = slerp(z1, z2, alphas)
    assert torch.isfinite(path).all()
    torch.testing.assert_close(path, lerp(z1, z2, alphas))


def test_slerp_of_antiparallel_codes_is_lerp_not_a_blow_up() -> None:
    """Issue #16, row 4: slerp(z, -2 z, [0.5]) gave a midpoint ~1000x longer than z."""
    z = torch.tensor([[1.0, 2.0, 3.0]])
    midpoint = slerp(z, -2 * z, [0.5])[0, 0]
    torch.testing.assert_close(midpoint, torch.tensor([-0.5, -1.0, -1.5]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("sign", [-1.0, 1.0], ids=["antiparallel", "parallel"])
def test_slerp_falls_back_to_lerp_for_random_256d_pairs(dtype: torch.dtype, sign: float) -> None:
    """(z, -c z) and (z, c z) for random 256-D codes and c in [0.01, 100]: the documented lerp
    fallback, so every point lies on the segment and no longer than the longer code."""
    generator = torch.Generator().manual_seed(16)
    z = torch.randn(500, 256, generator=generator, dtype=dtype)
    c = 10 ** (4 * torch.rand(500, 1, generator=generator, dtype=dtype) - 2)
    z2 = sign * c * z
    alphas = alpha_grid(8)
    path = slerp(z, z2, alphas)
    assert path.dtype == dtype
    torch.testing.assert_close(path, lerp(z, z2, alphas))
    longest = torch.maximum(z.norm(dim=1), z2.norm(dim=1)).reshape(-1, 1)
    assert (path.norm(dim=-1) <= longest * (1 + 1e-5)).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_slerp_is_accurate_just_outside_the_fallback(dtype: torch.dtype) -> None:
    """Codes 2 * SLERP_MIN_ANGLE short of antiparallel, of equal norm: the formula is used
    and stays on the circle of radius 5, in float32 too."""
    angle = math.pi - 2 * SLERP_MIN_ANGLE
    z1 = torch.tensor([[5.0, 0.0, 0.0]], dtype=dtype)
    z2 = torch.tensor([[5 * math.cos(angle), 5 * math.sin(angle), 0.0]], dtype=dtype)
    assert abs(angle_between(z1, z2).item() - angle) < 1e-6
    path = slerp(z1, z2, alpha_grid(4))
    torch.testing.assert_close(
        path.norm(dim=-1), torch.full((1, 5), 5.0, dtype=dtype), atol=1e-3, rtol=0
    )
    half = angle / 2
    expected = torch.tensor([5 * math.cos(half), 5 * math.sin(half), 0.0], dtype=dtype)
    torch.testing.assert_close(path[0, 2], expected, atol=1e-3, rtol=0)  # 2e-4 of the norm


def test_angle_between_is_accurate_near_0_and_pi_in_float32() -> None:
    z = torch.randn(200, 256, generator=torch.Generator().manual_seed(3))
    assert angle_between(z, -3 * z).min() > math.pi - 1e-5
    assert angle_between(z, 3 * z).max() < 1e-5


@pytest.mark.parametrize("name", sorted(INTERPOLATIONS))
@pytest.mark.parametrize(
    "dtypes",
    [
        (torch.float64, torch.float32),
        (torch.float16, torch.float32),
        (torch.int64, torch.int64),
    ],
    ids=["float64+float32", "float16+float32", "integer"],
)
def test_codes_of_mixed_or_integer_dtypes(name: str, dtypes: tuple) -> None:
    """Every interpolation takes codes of any real dtype: integers become floats (alphas were
    silently truncated to 0 and 1 before), mixed floats meet in the wider dtype."""
    z1 = torch.tensor([[0, 4]]).to(dtypes[0])
    z2 = torch.tensor([[4, 0]]).to(dtypes[1])
    path = get_interpolation(name)(z1, z2, [0.0, 0.5, 1.0])
    assert path.is_floating_point()
    assert path.dtype == torch.promote_types(z1.dtype, z2.dtype) or dtypes[0] == torch.int64
    assert path[0, 1].tolist() != z1[0].tolist() and path[0, 1].tolist() != z2[0].tolist()
    torch.testing.assert_close(path[0, 0], z1[0].to(path.dtype))


def test_codes_of_the_wrong_type_raise_type_errors() -> None:
    with pytest.raises(TypeError, match=r"z1 must be a float tensor \(N, D\) of codes, got list"):
        lerp([[0.0, 1.0]], torch.zeros(1, 2), 0.5)
    with pytest.raises(TypeError, match="z2 must be a float tensor .* got dtype torch.bool"):
        slerp(torch.zeros(1, 2), torch.zeros(1, 2, dtype=torch.bool), 0.5)


def test_slerp_with_a_zero_code_is_finite() -> None:
    z1 = torch.zeros(2, 4)
    z2 = _codes(2, 4, 1)
    path = slerp(z1, z2, alpha_grid(4))
    assert torch.isfinite(path).all()
    torch.testing.assert_close(path[:, -1], z2)


def test_normalized_lerp_keeps_a_standard_gaussian() -> None:
    z1, z2 = _codes(4000, 64, 11), _codes(4000, 64, 12)
    alphas = alpha_grid(8)
    normalized = normalized_lerp(z1, z2, alphas)
    variances = normalized.var(dim=0)  # (A, D): per coordinate, at each alpha
    assert variances.shape == (9, 64)
    torch.testing.assert_close(variances.mean(dim=1), torch.ones(9), atol=0.03, rtol=0)
    assert (variances - 1).abs().max() < 0.15
    # Plain lerp shrinks the variance to (1 - a)^2 + a^2, i.e. 1/2 at the midpoint.
    lerp_variances = lerp(z1, z2, alphas).var(dim=0).mean(dim=1)
    assert abs(lerp_variances[4].item() - 0.5) < 0.03
    expected = (1 - alphas) ** 2 + alphas**2
    torch.testing.assert_close(lerp_variances, expected, atol=0.03, rtol=0)


def test_normalized_lerp_is_lerp_rescaled() -> None:
    z1, z2 = _codes(3, 4, 1), _codes(3, 4, 2)
    torch.testing.assert_close(normalized_lerp(z1, z2, 0.5)[:, 0], (z1 + z2) / 2 / 0.5**0.5)


@pytest.mark.parametrize("name", sorted(INTERPOLATIONS))
@pytest.mark.parametrize(
    ("alphas", "match"),
    [
        ([-0.1, 0.5], r"alpha must lie in \[0, 1\] .* got range \[-0.1, 0.5\]"),
        ([0.5, 1.5], r"alpha must lie in \[0, 1\]"),
        ([0.5, float("nan")], "alphas contain NaN or inf"),
        ([float("inf")], "alphas contain NaN or inf"),
        ([[0.1, 0.2]], "alphas must be a number or a 1-D sequence"),
    ],
    ids=["negative", "above-1", "nan", "inf", "2-D"],
)
def test_bad_alphas_raise(name: str, alphas: list, match: str) -> None:
    z1, z2 = _codes(2, 3, 1), _codes(2, 3, 2)
    with pytest.raises(ValueError, match=match):
        get_interpolation(name)(z1, z2, alphas)


@pytest.mark.parametrize("name", sorted(INTERPOLATIONS))
def test_bad_codes_raise(name: str) -> None:
    interpolate = get_interpolation(name)
    with pytest.raises(ValueError, match=r"z1 and z2 must have the same shape, got \(2, 3\)"):
        interpolate(_codes(2, 3), _codes(2, 4), [0.5])
    with pytest.raises(ValueError, match=r"z1 must be a 2-D tensor \(N, D\)"):
        interpolate(torch.zeros(3), torch.zeros(3), [0.5])


def test_get_interpolation_by_name() -> None:
    assert get_interpolation("lerp") is lerp
    assert get_interpolation("slerp") is slerp
    assert get_interpolation("normalized") is normalized_lerp


def test_unknown_interpolation_lists_the_choices() -> None:
    with pytest.raises(
        ValueError, match="unknown interpolation 'cubic'; choose one of: lerp, normalized, slerp"
    ):
        get_interpolation("cubic")


def test_alpha_grid_values() -> None:
    grid = alpha_grid(4)
    assert grid.dtype == torch.float32
    assert torch.equal(grid, torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    assert torch.equal(alpha_grid(1), torch.tensor([0.0, 1.0]))
    grid16 = alpha_grid(16)
    assert len(grid16) == 17 and grid16[0] == 0 and grid16[-1] == 1
    torch.testing.assert_close(grid16.diff(), torch.full((16,), 1 / 16))


@pytest.mark.parametrize("m", [0, -3])
def test_alpha_grid_rejects_m_below_one(m: int) -> None:
    with pytest.raises(ValueError, match=r"M \(the number of grid intervals\) must be >= 1"):
        alpha_grid(m)


@pytest.mark.parametrize("m", [2.5, 16.0, True, "4", None])
def test_alpha_grid_rejects_non_integers_naming_the_type(m: object) -> None:
    expected = r"M \(the number of grid intervals\) must be an integer >= 1 \(int or numpy integer"
    with pytest.raises(TypeError, match=expected):
        alpha_grid(m)


@pytest.mark.parametrize(
    "m",
    [np.int64(16), np.int32(16), np.uint8(16), torch.tensor(16)],
    ids=["np.int64", "np.int32", "np.uint8", "0-d tensor"],
)
def test_alpha_grid_accepts_any_integral_type(m: object) -> None:
    """Issue #16, row 5: alpha_grid(numpy.int64(16)) was refused."""
    assert torch.equal(alpha_grid(m), alpha_grid(16))


@pytest.mark.parametrize("name", sorted(INTERPOLATIONS))
@pytest.mark.parametrize("alphas", ["0.5", ["0.5"], None, [True, False], 1j])
def test_alphas_of_the_wrong_type_name_the_expected_type(name: str, alphas: object) -> None:
    """Issue #16, row 5: alphas given as a string raised a raw TypeError from torch."""
    z1, z2 = _codes(2, 3, 1), _codes(2, 3, 2)
    with pytest.raises(TypeError, match=r"alphas must .*number.*; pass a number in \[0, 1\]"):
        get_interpolation(name)(z1, z2, alphas)


@pytest.mark.parametrize("alphas", [np.float32(0.5), np.array([0.25, 0.5]), range(2), (0, 1)])
def test_alphas_of_any_real_type_are_accepted(alphas: object) -> None:
    z1, z2 = _codes(2, 3, 1), _codes(2, 3, 2)
    expected = lerp(z1, z2, torch.tensor(np.atleast_1d(np.asarray(alphas, dtype=np.float32))))
    torch.testing.assert_close(lerp(z1, z2, alphas), expected)
