"""Teacher directions and check points are the same on every processor (convotron.glue.directions).

``verify --full``'s row of ``1d:64,8,2`` differed between an Intel Xeon and an AMD EPYC (the
detectable error of ``a`` 7.5 % against 11 %): ``λ_min(M)`` is a double eigenvalue there and
``numpy.linalg.eigh`` picks a vector of the eigenspace by the processor's BLAS kernels. The
oracle here is independent of LAPACK: the spectral projector ``Π`` onto the eigenspace in
``mpmath`` at 40 digits, ``Π e_j / ‖Π e_j‖`` for the first ``j`` of largest ``Π_jj``. And the
same computation in a child process with another OpenBLAS kernel (``OPENBLAS_CORETYPE``),
which moves LAPACK's own vector, gives the same direction.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convotron as ct
from convotron.glue.directions import (
    canonical_vector,
    eigen_direction,
    extreme_directions,
    signed,
)
from convotron.model.problem import Problem
from tests.blas import run_under
from tests.budget import examples


def _projector_direction(A: np.ndarray, end: str, B: np.ndarray | None = None) -> np.ndarray:
    """Π e_j / ‖Π e_j‖ in 40-digit arithmetic (Π the projector onto the extreme eigenspace)."""
    with mpmath.workdps(40):
        M = mpmath.matrix(((A + A.T) / 2).tolist())
        if B is not None:  # Q v = λ B v: with B = L Lᵀ, (L⁻¹ Q L⁻ᵀ) y = λ y, v = L⁻ᵀ y
            L = mpmath.cholesky(mpmath.matrix(B.tolist()))
            Li = L**-1
            M = Li * M * Li.T
        E, V = mpmath.eigsy(M)
        vals = [E[i] for i in range(len(E))]
        target = min(vals) if end == "min" else max(vals)
        scale = max(abs(e) for e in vals)  # the cluster rule of CLUSTER_RTOL, on 40 digits
        cols = [i for i, e in enumerate(vals) if abs(e - target) <= mpmath.mpf(10) ** -12 * scale]
        r = len(vals)
        if B is not None:
            V = Li.T * V  # B-orthonormal eigenvectors
        W = [[V[a, c] for c in cols] for a in range(r)]
        diag = [sum(W[a][c] ** 2 for c in range(len(cols))) for a in range(r)]
        top = max(diag)
        j = next(a for a in range(r) if diag[a] >= top * (1 - mpmath.mpf(10) ** -9))
        v = [sum(W[a][c] * W[j][c] for c in range(len(cols))) for a in range(r)]
        norm = mpmath.sqrt(sum(x**2 for x in v))
        out = np.array([float(x / norm) for x in v])
    return signed(out)


def _overlap(spec: str, cov: str = "identity") -> np.ndarray:
    problem = Problem.from_specs(ct.parse_spec(spec), 0.0, "gaussian", cov)
    return np.asarray(problem.scheme.overlap_matrix(problem.cov), dtype=np.float64)


@pytest.mark.parametrize(
    ("spec", "cov", "multiplicity"),
    [
        ("1d:64,8,2", "identity", 2),  # every eigenvalue twice
        ("1d:16,4,2", "identity", 2),  # stride 2: even and odd positions decouple
        ("1d:10,4,1", "identity", 1),
        ("1d:12,4,2", "ar1:0.5", 1),
        ("2d:6,6,2,2,2,2", "identity", 4),  # disjoint 2x2 patches: M = 9 I, one eigenspace
    ],
)
@pytest.mark.parametrize("end", ["min", "max"])
def test_the_direction_is_the_projection_of_the_oracle(spec, cov, multiplicity, end) -> None:
    M = _overlap(spec, cov)
    vals = np.linalg.eigvalsh(M)
    lam = vals[0] if end == "min" else vals[-1]
    assert int(np.sum(np.abs(vals - lam) <= 1e-9 * abs(vals).max())) == multiplicity
    v = eigen_direction(M, end)
    assert np.array_equal(v, extreme_directions(M)[0 if end == "min" else 1])
    np.testing.assert_allclose(v, _projector_direction(M, end), rtol=0, atol=1e-12)
    assert np.linalg.norm(v) == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(M @ v, lam * v, rtol=0, atol=1e-12 * abs(vals).max())


def test_a_simple_eigenvalue_keeps_lapacks_vector_bit_for_bit() -> None:
    M = _overlap("1d:10,4,1")
    raw = np.linalg.eigh(M)[1]
    for end, col in (("min", 0), ("max", -1)):
        v = eigen_direction(M, end)
        assert np.array_equal(v, raw[:, col]) or np.array_equal(v, -raw[:, col])


def test_the_preconditioned_point_of_h_equal_m_inverse() -> None:
    """``H = M⁻¹``: ``M v = λ H⁻¹ v`` has the single eigenvalue 1, a 4-dimensional eigenspace."""
    M = _overlap("1d:8,4,2", "ar1:0.5")
    H_inv = np.linalg.inv(np.linalg.inv(M))
    H_inv = (H_inv + H_inv.T) / 2
    v = eigen_direction(M, "min", metric=H_inv)
    np.testing.assert_allclose(v, _projector_direction(M, "min", H_inv), rtol=0, atol=1e-10)
    # here V Vᵀ = M⁻¹: the direction is M⁻¹'s column with the largest diagonal entry
    Mi = np.linalg.inv(M)
    j = int(np.argmax(np.diag(Mi)))
    np.testing.assert_allclose(v, signed(Mi[:, j] / np.linalg.norm(Mi[:, j])), atol=1e-12)


@examples(1)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 4))
def test_the_canonical_vector_does_not_depend_on_the_basis(seed: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    r = 7
    V = np.linalg.qr(rng.standard_normal((r, m)))[0]  # an orthonormal basis of a subspace
    R = np.linalg.qr(rng.standard_normal((m, m)))[0]  # another basis of the same subspace
    a, b = canonical_vector(V), canonical_vector(V @ R)
    np.testing.assert_allclose(signed(a), signed(b), rtol=0, atol=1e-12)
    # and it lies in the subspace, with unit norm
    np.testing.assert_allclose(V @ (V.T @ a), a, atol=1e-12)
    assert np.linalg.norm(a) == pytest.approx(1.0, rel=1e-14)


def test_signed_picks_the_first_of_equal_entries() -> None:
    v = np.array([0.25, -0.5, 0.5 * (1 + 1e-13), 0.1])  # entries 1 and 2 equal but for rounding
    np.testing.assert_array_equal(signed(v), -v)
    np.testing.assert_array_equal(signed(-v), -v)
    w = np.array([0.1, 0.5, -0.49])  # 2 % apart: the largest decides
    np.testing.assert_array_equal(signed(w), w)


def test_end_is_checked() -> None:
    with pytest.raises(ValueError, match="end must be 'min' or 'max'; got 'mid'"):
        eigen_direction(np.eye(2), "mid")


_CHILD = r"""
import json
import numpy as np
import convotron as ct
from convotron.glue.verify.cases import default_cases
from convotron.glue.verify.lemmas import _Geometry, hardest_direction
from convotron.glue.verify.suite import _teachers
from convotron.model.problem import Problem
p = Problem.from_specs(ct.parse_spec("1d:64,8,2"), 0.0, "gaussian", "identity")
M = np.asarray(p.scheme.overlap_matrix(p.cov), dtype=np.float64)
out = {"raw": np.linalg.eigh(M)[1][:, 0].tolist(), "1d:64,8,2": hardest_direction(p, None).tolist()}
for case in default_cases("quick"):
    if case.control is None:
        problem = case.problem()
        Q = _Geometry.of(problem, case.only_patch).Q
        out["raw " + case.name] = np.linalg.eigh((Q + Q.T) / 2)[1][:, [0, -1]].tolist()
        hard, _, easy = _teachers(case, problem, 0)
        out[case.name] = [hard.w_star.tolist(), easy.w_star.tolist()]
print(json.dumps(out))
"""


def _argmax_signed(v: np.ndarray) -> np.ndarray:
    """The sign rule before convotron.glue.directions: the entry of ``np.argmax(|v|)`` positive."""
    return v if v[int(np.argmax(np.abs(v)))] >= 0 else -v


def _moved(a: list, b: list) -> float:
    """Largest entry difference of two eigenvector sets, signed as the teachers were before."""
    A, B = np.atleast_2d(np.array(a).T), np.atleast_2d(np.array(b).T)  # rows: the vectors
    return max(
        float(np.max(np.abs(_argmax_signed(x) - _argmax_signed(y))))
        for x, y in zip(A, B, strict=True)
    )


def test_another_blas_kernel_gives_the_same_teachers() -> None:
    """OpenBLAS's generic kernel (``Prescott``) moves LAPACK's vector of the double λ_min of
    ``1d:64,8,2`` by about 5e-3 (and, before the canonical choice, changed ``verify --quick``'s
    row of ``2d-overlap-relu``: T/median 3 against 2.95); the hardest direction, and every quick
    case's hardest and easiest teacher, stay the same to 1e-12."""
    here, other = run_under(_CHILD, None), run_under(_CHILD, "Prescott")
    if _moved(here["raw"], other["raw"]) < 1e-6:  # pragma: no cover - not OpenBLAS
        pytest.skip("this BLAS ignores OPENBLAS_CORETYPE: LAPACK's vector did not move")
    cases = [k for k in here if not k.startswith("raw")]
    assert len(cases) > 10
    moved = [
        k for k in cases if k != "1d:64,8,2" and _moved(here["raw " + k], other["raw " + k]) > 1e-6
    ]
    assert moved, "no quick case's LAPACK vectors moved: the comparison below shows nothing"
    for key in cases:
        np.testing.assert_allclose(here[key], other[key], rtol=0, atol=1e-12, err_msg=key)
