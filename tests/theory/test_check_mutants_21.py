"""Tests written against the survivors of a mutation sample of ``check.py`` after its split.

``check_scheme`` was cut into phases (issue 21); a fresh sample of 80 of its mutants
(``random.seed(2112)``, MUTATION.md) left survivors that were gaps of the tests, not of the
split: the ``overlap`` field never compared, the kernel direction taken from the exact
``LDLᵀ`` never looked at, the reasons of two verdicts, the conv2d geometry never passed, the
``n = 2048`` boundary of the exact path and two refusals' messages. Each test below names the
mutant it kills.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from convotron_theory import TheoryError
from convotron_theory._conv_geometry import conv_indices
from convotron_theory.spectra import check_scheme
from convotron_theory.spectra.check import EXACT_COV_MAX_N, _exact_obstacle

IDX_16 = [[2 * i + a for a in range(4)] for i in range(7)]  # 1d:16,4,2


def _overlap_by_loops(n: int, idx, S) -> np.ndarray:
    """M_ab = Σ_{i,j} Σ[idx_ia, idx_jb], written out (the definition, no P built)."""
    idx = np.asarray(idx)
    k, r = idx.shape
    M = np.zeros((r, r))
    for i in range(k):
        for j in range(k):
            for a in range(r):
                for b in range(r):
                    M[a, b] += S[idx[i, a], idx[j, b]]
    return M


def test_the_overlap_field_is_P_sigma_P_transposed() -> None:
    """``SchemeCheck.overlap`` is M itself: integers for Σ = I (also for r > 64, where the
    default path skips the exact certificate), P Σ Pᵀ for an AR(1) Σ.
    Kills ``overlap=np.asarray(None)`` and the ``kind != "IDENTITY"`` mutant of ``_certify``
    (which built M from the float enclosure for r > 64)."""
    res = check_scheme(16, IDX_16)
    assert res.overlap.dtype.kind == "i"
    assert np.array_equal(res.overlap, _overlap_by_loops(16, IDX_16, np.eye(16)))
    S = 0.5 ** np.abs(np.subtract.outer(np.arange(16), np.arange(16)))
    res = check_scheme(16, IDX_16, ("ar1", 0.5))
    np.testing.assert_allclose(res.overlap, _overlap_by_loops(16, IDX_16, S), rtol=1e-13)
    n, r = 67, 65  # 1d:67,65,1: k = 3, r > EXACT_MAX_R = 64
    idx = [[i + a for a in range(r)] for i in range(3)]
    wide = check_scheme(n, idx)
    assert wide.certificate == "verified-float" and wide.overlap.dtype.kind == "i"
    assert np.array_equal(wide.overlap, _overlap_by_loops(n, idx, np.eye(n)))


def test_the_kernel_direction_from_the_exact_ldlt() -> None:
    """Σ = 11ᵀ (rank one): M is singular but Pᵀu ≠ 0 for every u, so the kernel search finds
    no integer witness and the exact LDLᵀ's u = (-1, 1, 0, 0) is used: w = u/‖u‖, its
    eigenvalue and residual 0. Kills ``w=None`` in ``_kernel_for``."""
    res = check_scheme(16, IDX_16, np.ones((16, 16)), exact=True)
    assert res.verdict == "FAILS" and res.proof == "exact kernel witness"
    kd = res.kernel_direction
    assert kd is not None and kd.exact == (-1, 1, 0, 0)
    np.testing.assert_array_equal(kd.w, np.array([-1.0, 1.0, 0.0, 0.0]) / np.sqrt(2.0))
    assert abs(kd.eigenvalue) < 1e-12 and kd.residual < 1e-12
    assert kd.explanation.startswith(
        "the exact LDLᵀ of M gives the integer u = [-1, 1, 0, 0] with uᵀMu = 0. "
    )


def test_the_reason_of_an_integer_kernel_witness() -> None:
    """Patches (0, 1) and (1, 0): Pᵀ(e_0 − e_1) = 0, found in integers without the exact LDLᵀ
    (exact=False). Kills the mutant that drops the reason."""
    res = check_scheme(4, [[0, 1], [1, 0]], exact=False)
    assert (res.verdict, res.proof, res.certificate) == (
        "FAILS", "exact kernel witness", "kernel-witness",
    )  # fmt: skip
    assert res.verdict_reason.startswith(
        "refuted exactly: the integer u = [1, -1] has uᵀMu = 0 (Pᵀu checked in integer "
        "arithmetic): filter positions 0 and 1 read exactly the same input coordinates"
    )


def test_undecided_with_no_proven_bound_says_none() -> None:
    """An irrational ρ cannot be enclosed, so no float bound; no geometry, so no lemma; M is
    positive definite, so no witness: UNDECIDED with "proven bounds: none". Kills the
    mutant of the word "none"."""
    res = check_scheme(16, IDX_16, ("ar1", sp.sqrt(2) / 2), exact=False)
    assert res.verdict == "UNDECIDED" and res.proved_bounds == ()
    assert res.verdict_reason == (
        f"undecided: no proof either way (float lambda_min(M) = {res.lambda_min:.6g}, not a "
        "proof); proven bounds: none"
    )


@pytest.mark.parametrize(
    ("spec", "n"),
    [
        (dict(kind="conv2d", channels=1, height=5, width=5, kernel_h=3, kernel_w=3,
              stride_h=1, stride_w=1, pad_top=2, pad_bottom=2, pad_left=2, pad_right=2,
              dilation_h=2, dilation_w=2, k_h=5, k_w=5), 25),
        (dict(kind="conv1d", channels=2, length=10, kernel=3, stride=1, pad_left=1,
              pad_right=1, dilation=1, k=10), 20),
    ],
)  # fmt: skip
def test_conv_geometries_are_accepted(spec, n) -> None:
    """``PatchScheme.geometry`` of a conv2d and a conv1d layer (padding, dilation) describes
    its indices: accepted, and the same verdict as without it. Kills the mutant of the
    "conv2d" kind in ``_geometry_indices`` (which refused conv2d geometries)."""
    idx = conv_indices(spec)
    with_geometry = check_scheme(n, idx, geometry=spec)
    assert with_geometry.geometry == spec
    assert with_geometry.verdict == check_scheme(n, idx).verdict


def test_the_exact_path_with_a_non_identity_sigma_up_to_n_2048() -> None:
    """n = EXACT_COV_MAX_N is allowed, n + 1 is not. Kills ``n >= EXACT_COV_MAX_N``."""
    idx = np.array([[0, 1]])
    assert EXACT_COV_MAX_N == 2048
    assert _exact_obstacle(idx, EXACT_COV_MAX_N, "ar1", 0.5) == ""
    assert _exact_obstacle(idx, EXACT_COV_MAX_N + 1, "ar1", 0.5) == (
        "n = 2049 > 2048 with a non-identity Σ"
    )
    assert _exact_obstacle(idx, EXACT_COV_MAX_N + 1, "identity", None) == ""


def test_ragged_indices_message_in_full() -> None:
    """Rows numpy cannot stack. Kills the mutant of the message's last words."""
    with pytest.raises(TheoryError) as err:
        check_scheme(4, [[0, 1], [2]])
    assert str(err.value) == (
        "indices must be a rectangular (k, r) array: every patch reads the same number r of "
        "coordinates; got rows that cannot form one. Pass a list of k rows of equal length r."
    )


def test_non_finite_dense_covariance_message_in_full() -> None:
    """Kills the mutant of the message's fix."""
    with pytest.raises(TheoryError) as err:
        check_scheme(6, [[0, 1, 2]], np.diag([1.0, np.nan, 1.0, 1.0, 1.0, 1.0]))
    assert str(err.value) == (
        "a covariance matrix must be finite; got Sigma[1,1] = nan. Pass a finite symmetric "
        "positive semidefinite n x n matrix."
    )


def test_the_verified_upper_bound_verdict_in_full() -> None:
    """FAILS from a verified Rayleigh quotient <= 0: ``_decide`` on an enclosure of M = [[-1/4]]
    with radius 0 (no certificate, no lemma, no integer witness for the one-patch scheme), so
    its reason and bound are compared whole. No scheme with a PSD M reaches this branch
    through ``check_scheme``'s other proofs in a test, so it is called directly."""
    from convotron_theory.spectra.check import _decide

    M = np.array([[-0.25]])
    v = _decide(np.array([[0]]), 1, "identity", None, "identity", None, None, None,
                (M, np.zeros((1, 1))), M, -0.25)  # fmt: skip
    assert (v.status, v.proof, v.certificate) == ("FAILS", "verified upper bound", "upper-bound")
    assert v.reason == (
        "refuted: the verified Rayleigh quotient of the float eigenvector gives "
        "lambda_min(M) <= -0.25 <= 0"
    )
    assert [(b.side, b.value, b.proof) for b in v.bounds] == [("upper", -0.25, "Rayleigh quotient")]
