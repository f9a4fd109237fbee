"""Shared cases of the fused-loop tests (test_sampling, test_fast_runs, test_lockstep).

The covariances and noises every law is crossed with, and the comparison of a compiled
fused run with the readable oracle :func:`convotron.learning._sampling_reference.fused_reference`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.data.laws import NoiseModel
from convotron.learning import _sampling as S
from convotron.learning._sampling_reference import fused_reference


def covs(n: int) -> list[Any]:
    """Identity, diagonal, AR(1) with ρ > 0 and ρ < 0, dense: one of each compiled branch."""
    rng = np.random.default_rng(11)
    A = rng.standard_normal((n, n))
    return [
        Identity(n),
        Diagonal(rng.uniform(0.25, 2.0, n)),
        AR1(n, 0.6),
        AR1(n, -0.3),
        Dense(A @ A.T / n),
    ]


NOISES = [
    NoiseModel("none"),
    NoiseModel("gaussian", 0.3),
    NoiseModel("uniform", 0.2),
    NoiseModel("hetero", 0.5),
]


def both(scheme: Any, law: Any, cov: Any, noise: Any, seed: int, stream: str = "numpy",
         **kw: Any) -> tuple[S.FusedRun, S.FusedRun]:  # fmt: skip
    """Return the compiled fused run and the oracle's, same arguments, same seed."""
    tw = np.random.default_rng(seed + 1).standard_normal(scheme.r)
    args = (scheme.n, scheme.indices, kw.pop("alpha", 0.2), tw)
    got = S.fused_convotron(
        *args, S.source_codes(law, cov, noise), rng=np.random.default_rng(seed),
        stream=stream, **kw,
    )  # fmt: skip
    ref = fused_reference(
        *args, law, cov, noise, rng=np.random.default_rng(seed), stream=stream, **kw
    )
    return got, ref


def assert_same(a: S.FusedRun, b: S.FusedRun) -> None:
    """Bitwise the same run: status, stop, weights, records, first hit."""
    assert a.status == b.status and a.t == b.t
    assert np.array_equal(a.w, b.w)
    assert np.array_equal(a.hist, b.hist, equal_nan=True)
    assert a.first_hit == b.first_hit
