"""The two halves agree exactly: the numerical core and the symbolic theory.

The point of the project is to check the implementation against the theory, so the core
of each half is written without the other (``tests/test_layering.py`` enforces it). Here
they meet: the same patch scheme, built once by :mod:`convotron.geometry.patches` (vectorised) and
once by :mod:`convotron_theory.overlap` (from the definition and from the closed forms), must give
the same index arrays and the same overlap matrix ``P Σ Pᵀ``: integers compare exactly,
rational covariances compare to rounding.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from convotron.data.covariance import AR1, Diagonal
from convotron.geometry.patches import PatchScheme
from convotron.testing import index_schemes, schemes, schemes_1d, schemes_2d, schemes_2d_channels
from convotron_theory import overlap, spectra


def _as_int_array(M: sp.Matrix) -> np.ndarray:
    return np.array(M.tolist(), dtype=object).astype(np.int64)


@pytest.mark.claim("lem-1d-structure")
@given(schemes_1d(max_k=7, max_r=7))
def test_1d_indices_and_overlap_agree_with_closed_form(scheme: PatchScheme) -> None:
    g = scheme.geometry
    assert g is not None and g["kind"] == "1d"
    assert np.array_equal(scheme.indices, overlap.stride_1d_indices(g["n"], g["r"], g["stride"]))
    closed = _as_int_array(overlap.overlap_1d_closed_form(g["n"], g["r"], g["stride"]))
    M = scheme.overlap_matrix()
    assert M.dtype == np.int64
    assert np.array_equal(M, closed)


@pytest.mark.claim("lem-2d-kron")
@given(schemes_2d(max_k=3, max_r=3))
def test_2d_indices_and_overlap_agree_with_kronecker_form(scheme: PatchScheme) -> None:
    g = scheme.geometry
    assert g is not None and g["kind"] == "2d"
    args = (g["height"], g["width"], g["patch_h"], g["patch_w"], g["stride_h"], g["stride_w"])
    assert np.array_equal(scheme.indices, overlap.stride_2d_indices(*args))
    assert np.array_equal(
        scheme.overlap_matrix(), _as_int_array(overlap.overlap_2d_closed_form(*args))
    )


@given(schemes_2d_channels(max_channels=2, max_k=2, max_r=2))
def test_channel_indices_agree(scheme: PatchScheme) -> None:
    g = scheme.geometry
    assert g is not None and g["kind"] == "2d-channels"
    keys = ("channels", "height", "width", "patch_h", "patch_w", "stride_h", "stride_w")
    args = tuple(g[key] for key in keys)
    assert np.array_equal(scheme.indices, overlap.stride_2d_channels_indices(*args))


@given(st.one_of(index_schemes(max_n=8, max_k=4), schemes_1d(max_k=4, max_r=4)))
def test_overlap_agrees_with_definition_exactly(scheme: PatchScheme) -> None:
    exact = _as_int_array(overlap.overlap_matrix(scheme.n, scheme.indices))
    assert np.array_equal(scheme.overlap_matrix(), exact)
    assert np.array_equal(spectra.overlap_numeric(scheme.n, scheme.indices), exact)


@given(schemes())
def test_numeric_overlaps_agree_for_identity(scheme: PatchScheme) -> None:
    assert np.array_equal(
        scheme.overlap_matrix(), spectra.overlap_numeric(scheme.n, scheme.indices)
    )


@given(
    index_schemes(max_n=7, max_k=3),
    st.fractions(min_value=Fraction(-9, 10), max_value=Fraction(9, 10), max_denominator=10),
)
def test_ar1_overlap_agrees_with_exact_rational(scheme: PatchScheme, rho: object) -> None:
    rho_q = sp.Rational(str(rho))
    exact = overlap.overlap_matrix(scheme.n, scheme.indices, ("ar1", rho_q))
    expected = np.array(exact.evalf(30).tolist(), dtype=float)
    numeric = scheme.overlap_matrix(AR1(scheme.n, float(rho_q)))
    theory_numeric = spectra.overlap_numeric(scheme.n, scheme.indices, ("ar1", float(rho_q)))
    np.testing.assert_allclose(numeric, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(theory_numeric, expected, rtol=1e-12, atol=1e-12)


@given(index_schemes(max_n=7, max_k=3), st.data())
def test_diagonal_overlap_agrees_with_exact(scheme: PatchScheme, data: st.DataObject) -> None:
    d = data.draw(st.lists(st.integers(1, 9), min_size=scheme.n, max_size=scheme.n))
    exact = _as_int_array(overlap.overlap_matrix(scheme.n, scheme.indices, ("diag", d)))
    assert np.array_equal(scheme.overlap_matrix(Diagonal(np.array(d, dtype=float))), exact)


@pytest.mark.parametrize(
    ("spec_args", "lmin", "lmax"),
    [((16, 4, 2), 1, 13), ((64, 8, 2), 2 - sp.sqrt(2), None)],
)
def test_known_numbers_agree_across_halves(
    spec_args: tuple[int, int, int], lmin: sp.Expr, lmax: int | None
) -> None:
    scheme = PatchScheme.stride_1d(*spec_args)
    check = spectra.check_scheme(scheme.n, scheme.indices, "identity", geometry=scheme.geometry)
    ev = np.linalg.eigvalsh(scheme.overlap_matrix().astype(float))
    assert check.certificate == "exact" and check.condition_holds
    assert ev[0] == pytest.approx(float(lmin), abs=1e-12)
    assert check.lambda_min == pytest.approx(float(lmin), abs=1e-12)
    if lmax is not None:
        assert ev[-1] == pytest.approx(lmax, abs=1e-12)
