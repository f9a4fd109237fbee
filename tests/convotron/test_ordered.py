"""A dense covariance's factor and transform sum in one fixed order (convotron.data._ordered).

The compiled Cholesky equals its numpy oracle bit for bit; the factor reproduces ``Σ`` (also a
singular one, whose zero pivots leave zero columns); the transform sums as the compiled loop
does; and a child process on OpenBLAS's generic kernel gets the same bits, where LAPACK's own
factor does not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron.data._ordered import cholesky_in_order, cholesky_reference, transform_in_order
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
