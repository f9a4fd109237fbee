"""Structural identities: closed forms equal the definition, both halves agree exactly.

``M = PΣPᵀ`` is built three ways: in :mod:`convotron_theory.overlap` from the patch operators
(definition, exact sympy), in :mod:`convotron_theory.overlap` from closed forms (Toeplitz blocks
``lem-1d-structure`` and Kronecker products ``lem-2d-kron``, [derived]), and in
:mod:`convotron.geometry.patches` (vectorised, int64). For ``Σ = I`` all three must agree exactly
(integers, no tolerance); for AR(1) the exact rational matrix must match the float one.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron.data.covariance import parse_cov
from convotron.geometry.patches import PatchScheme
from convotron_theory import overlap as ov
from tests.budget import examples

from .strategies import index_schemes, stride_1d_params, stride_2d_params


def _int(M) -> np.ndarray:
    return np.array(M.tolist(), dtype=np.int64)


@pytest.mark.claim("lem-1d-structure")
@given(stride_1d_params(max_r=7, max_k=6))
def test_1d_closed_form_equals_definition_and_core(p: tuple[int, int, int]) -> None:
    n, r, d = p
    closed = _int(ov.overlap_1d_closed_form(n, r, d))
    definition = _int(ov.overlap_matrix(n, ov.stride_1d_indices(n, r, d)))
    core = PatchScheme.stride_1d(n, r, d).overlap_matrix()
    assert np.array_equal(closed, definition)
    assert np.array_equal(core, definition)
    k = (n - r) // d + 1
    assert np.all(np.diag(core) == k) and np.trace(core) == r * k


@pytest.mark.claim("lem-2d-kron")
@given(stride_2d_params(max_r=3, max_k=3))
@examples(0.625)
def test_2d_kronecker_form_equals_definition_and_core(p: tuple[int, ...]) -> None:
    h, w, ph, pw, sh, sw = p
    closed = _int(ov.overlap_2d_closed_form(h, w, ph, pw, sh, sw))
    idx = ov.stride_2d_indices(h, w, ph, pw, sh, sw)
    definition = _int(ov.overlap_matrix(h * w, idx))
    core_scheme = PatchScheme.stride_2d(h, w, ph, pw, sh, sw)
    assert np.array_equal(core_scheme.indices, idx)
    assert np.array_equal(closed, definition)
    assert np.array_equal(core_scheme.overlap_matrix(), definition)


@given(index_schemes(), st.sampled_from([None, "1/2", "-1/3", "3/4"]))
@examples(0.75)
def test_arbitrary_scheme_overlap_core_equals_definition(scheme_nidx, rho) -> None:
    n, idx = scheme_nidx
    scheme = PatchScheme.from_indices(n, idx)
    if rho is None:
        assert np.array_equal(scheme.overlap_matrix(), _int(ov.overlap_matrix(n, idx)))
        assert np.array_equal(scheme.P(), _int(ov.patch_sum(n, idx)))
    else:
        import sympy as sp

        exact = ov.overlap_matrix(n, idx, cov=("ar1", sp.Rational(rho)))
        num = scheme.overlap_matrix(parse_cov(f"ar1:{float(sp.Rational(rho))!r}", n))
        np.testing.assert_allclose(num, np.array(exact.evalf(30).tolist(), dtype=float), atol=1e-12)
