"""Spectral lemmas on every generated scheme that meets their hypotheses (spec §5).

- ``lem-1d`` [derived]: 1D patch-and-stride with ``k ≥ ⌈r/d⌉``:
  ``1/2 ≤ λ_min(PPᵀ)`` and ``λ_max(PPᵀ) ≤ k⌈r/d⌉``; disjoint patches (``d ≥ r``) give
  ``PPᵀ = kI``; ``r/2 <= d < r`` gives ``λ_min = 1``.
- ``lem-2d`` [derived]: 2D with ``k_j ≥ ⌈r_j/d_j⌉``: ``λ_min ≥ 1/4``,
  ``λ_max ≤ k⌈r₁/d₁⌉⌈r₂/d₂⌉``.
- ``lem-cov-transfer`` [derived]: ``λ_min(M) ≥ λ_min(Σ)λ_min(PPᵀ)``,
  ``λ_max(M) ≤ λ_max(Σ)λ_max(PPᵀ)`` for ``M = PΣPᵀ``.
- The exact positive-definiteness certificate (rational LDLᵀ in :mod:`convotron_theory.spectra`)
  agrees with floating-point eigenvalues, and when it fails its kernel direction ``u``
  satisfies ``Mu = 0`` exactly: a filter direction the data cannot see.

Eigenvalues here are computed by ``numpy.linalg.eigvalsh`` on the core's matrices, the
bounds by :mod:`convotron_theory.spectra`; a tolerance of ``1e-9`` (relative) absorbs rounding only.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import event, given
from hypothesis import strategies as st

import convotron.testing as ct
from convotron.geometry.patches import PatchScheme
from convotron_theory import overlap as ov
from convotron_theory import spectra
from tests.budget import examples

from .strategies import index_schemes, stride_1d_params, stride_2d_params

TOL = 1e-9


def _eig(M: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(np.asarray(M, dtype=float))


@pytest.mark.claim("lem-1d")
@given(stride_1d_params(max_r=8, max_k=8, lemma=True))
def test_lemma_1d_bounds_hold(p: tuple[int, int, int]) -> None:
    n, r, d = p
    k = (n - r) // d + 1
    ev = _eig(PatchScheme.stride_1d(n, r, d).overlap_matrix())
    bounds = spectra.lemma_1d(n, r, d)
    # the theory's bounds are at least as strong as the lemma's constants ...
    assert bounds.lower >= sp.Rational(1, 2) and bounds.upper <= k * math.ceil(r / d)
    # ... and they hold for the core's matrix (attained where the theory says exact)
    assert ev[0] >= float(bounds.lower) - TOL
    assert ev[-1] <= float(bounds.upper) * (1 + TOL)
    if bounds.lower_exact:
        assert ev[0] == pytest.approx(float(bounds.lower), rel=1e-9)
    if bounds.upper_exact:
        assert ev[-1] == pytest.approx(float(bounds.upper), rel=1e-9)
    if d >= r:
        assert np.array_equal(PatchScheme.stride_1d(n, r, d).overlap_matrix(), k * np.eye(r))
    elif 2 * d >= r:
        assert ev[0] == pytest.approx(1.0, abs=1e-9)
        assert ev[-1] == pytest.approx(2 * k - 1, abs=1e-9)


@pytest.mark.claim("lem-2d")
@given(stride_2d_params(max_r=3, max_k=4, lemma=True))
@examples(0.75)
def test_lemma_2d_bounds_hold(p: tuple[int, ...]) -> None:
    h, w, ph, pw, sh, sw = p
    scheme = PatchScheme.stride_2d(h, w, ph, pw, sh, sw)
    ev = _eig(scheme.overlap_matrix())
    upper = scheme.k * math.ceil(ph / sh) * math.ceil(pw / sw)
    assert ev[0] >= 0.25 - TOL
    assert ev[-1] <= upper * (1 + TOL)
    bounds = spectra.lemma_2d(h, w, ph, pw, sh, sw)
    assert bounds.lower >= sp.Rational(1, 4) and bounds.upper <= upper
    assert ev[0] >= float(bounds.lower) - TOL and ev[-1] <= float(bounds.upper) * (1 + TOL)


@pytest.mark.claim("lem-cov-transfer")
@given(st.data(), ct.schemes())
@examples(0.75)
def test_covariance_transfer(data, scheme: PatchScheme) -> None:
    if scheme.n > 40:  # the covariance's own eigenvalues are computed densely below
        scheme = PatchScheme.stride_1d(8, 4, 2)
    cov = data.draw(ct.covariances(scheme.n))
    ev_pp = _eig(scheme.overlap_matrix())
    ev_m = _eig(scheme.overlap_matrix(cov))
    ev_s = _eig(cov.dense())
    scale = max(1.0, ev_s[-1] * ev_pp[-1])
    assert ev_m[0] >= ev_s[0] * ev_pp[0] - TOL * scale
    assert ev_m[-1] <= ev_s[-1] * ev_pp[-1] + TOL * scale


@given(index_schemes(max_n=6, max_k=4, max_r=4), st.sampled_from([None, "1/2", "-2/5"]))
def test_exact_certificate_agrees_with_float_eigenvalues(nidx, rho) -> None:
    n, idx = nidx
    cov = "identity" if rho is None else ("ar1", sp.Rational(rho))
    M = ov.overlap_matrix(n, idx, cov=cov)
    cert = spectra.certify_positive_definite(M)
    lam_min = _eig(np.array(M.evalf(30).tolist(), dtype=float))[0]
    scale = max(1.0, float(max(abs(v) for v in M)))
    event(f"positive definite: {bool(cert.holds)}")
    assert bool(cert.holds) == (lam_min > TOL * scale), (idx.tolist(), lam_min, cert)
    if not cert.holds:
        u = sp.Matrix(cert.kernel_direction)
        assert any(v != 0 for v in u)
        assert (M * u).applyfunc(sp.simplify) == sp.zeros(M.shape[0], 1)
