"""Sums in one fixed order (convotron.data._ordered): a dense covariance's factor and transform,
and the norm that scales a drawn teacher.

The compiled Cholesky equals its numpy oracle bit for bit; the factor reproduces ``Σ`` (also a
singular one, whose zero pivots leave zero columns); the transform sums as the compiled loop
does; the norm is the correctly rounded one (exact rational arithmetic); and a child process on
OpenBLAS's generic kernel gets the same bits, where LAPACK's own factor and BLAS's own norm do
not.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron.data._ordered import (
    cholesky_in_order,
    cholesky_reference,
    norm_in_order,
    transform_in_order,
)
from convotron.data.covariance import Dense
from tests.blas import run_under
from tests.budget import examples


def _spd(n: int, seed: int, rank: int | None = None) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((n, rank or n))
    return A @ A.T / n + (0.0 if rank else 0.05) * np.eye(n)


@examples(0.5)
@given(n=st.sampled_from([1, 2, 7, 33, 48, 70]), seed=st.integers(0, 2**32 - 1))
def test_compiled_factor_is_the_oracle_bit_for_bit(n: int, seed: int) -> None:
    S = _spd(n, seed)
    L = cholesky_in_order(S)
    assert np.array_equal(L, cholesky_reference(S))
    assert np.array_equal(L, np.tril(L)) and (np.diag(L) > 0).all()
    np.testing.assert_allclose(L @ L.T, S, rtol=0, atol=1e-13 * np.abs(S).max())
    np.testing.assert_allclose(L, np.linalg.cholesky(S), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("n", "rank"), [(5, 2), (40, 30), (40, 1)])
def test_a_singular_sigma_gets_zero_columns(n: int, rank: int) -> None:
    S = _spd(n, 3, rank)
    L = cholesky_in_order(S)
    np.testing.assert_allclose(L @ L.T, S, rtol=0, atol=1e-12 * np.abs(S).max())
    assert int(np.sum(np.abs(np.diag(L)) > 0)) == rank
    cov = Dense(S)
    assert np.array_equal(cov.factor(), L)


def test_the_transform_sums_in_the_compiled_loops_order() -> None:
    S = _spd(6, 1)
    L = cholesky_in_order(S)
    Z = np.random.default_rng(2).standard_normal((5, 6))
    want = np.zeros((5, 6))
    for s in range(5):
        for j in range(6):
            acc = 0.0
            for c in range(6):
                acc += L[j, c] * Z[s, c]
            want[s, j] = acc
    assert np.array_equal(transform_in_order(Z, L), want)
    assert np.array_equal(Dense(S).transform(Z), want)


_CHILD = r"""
import json
import numpy as np
from convotron.data.covariance import Dense
A = np.random.default_rng(5).integers(-3, 4, size=(40, 40)).astype(np.float64)
S = A @ A.T / 160.0 + 0.1 * np.eye(40)  # integers: exact in any order
Z = np.random.default_rng(6).standard_normal((8, 40))
print(json.dumps({"lapack": np.linalg.cholesky(S).tobytes().hex(),
                  "factor": Dense(S).factor().tobytes().hex(),
                  "x": Dense(S).transform(Z).tobytes().hex()}))
"""


def test_another_blas_kernel_gives_the_same_bits() -> None:
    here, other = run_under(_CHILD, None), run_under(_CHILD, "Prescott")
    if here["lapack"] == other["lapack"]:  # pragma: no cover - a BLAS ignoring the variable
        pytest.skip("LAPACK's factor is the same under both kernels: nothing to compare")
    assert here["factor"] == other["factor"]
    assert here["x"] == other["x"]


@examples(1.0)
@given(
    v=st.lists(
        st.floats(-1e150, 1e150, allow_nan=False, allow_subnormal=False), min_size=1, max_size=40
    )
)
def test_the_norm_is_the_correctly_rounded_sum_of_the_rounded_squares(v: list[float]) -> None:
    squares = [x * x for x in v]  # each square rounded once, as numpy rounds it
    exact = float(sum((Fraction(q) for q in squares), Fraction(0)))  # correctly rounded
    assert norm_in_order(np.array(v)) == math.sqrt(exact)
    assert norm_in_order(np.array(v[::-1])) == norm_in_order(np.array(v))  # any order


_TEACHERS = r"""
import json
import numpy as np
from convotron.geometry.patches import PatchScheme
from convotron.glue.experiments._common import unit_filter
from convotron.model.problem import Problem
out = {"blas": [], "teacher": [], "unit_filter": []}
for r in range(1, 41):
    g = np.random.default_rng(r).standard_normal(r)
    out["blas"].append(float(np.linalg.norm(g)).hex())
    p = Problem(PatchScheme.stride_1d(r, r, r), 0.0, "gaussian", None, "none")
    out["teacher"].append(p.random_teacher(np.random.default_rng(r), 1.0).w_star.tobytes().hex())
    out["unit_filter"].append(unit_filter(np.random.default_rng(r), r, 2.0).tobytes().hex())
print(json.dumps(out))
"""


def test_a_drawn_teacher_is_the_same_under_another_blas_kernel() -> None:
    """``random_teacher`` and the experiments' ``unit_filter`` for r = 1..40: the same bits under
    OpenBLAS's generic kernel, where ``numpy.linalg.norm`` of the same draws differs for some r
    (6, on AVX2 and AVX-512)."""
    here, other = run_under(_TEACHERS, None), run_under(_TEACHERS, "Prescott")
    if here["blas"] == other["blas"]:  # pragma: no cover - a BLAS ignoring the variable
        pytest.skip("BLAS's norm is the same under both kernels: nothing to compare")
    assert here["teacher"] == other["teacher"]
    assert here["unit_filter"] == other["unit_filter"]
