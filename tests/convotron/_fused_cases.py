"""Shared cases of the fused-loop tests (test_sampling, test_fast_runs, test_lockstep).

The covariances and noises every law is crossed with, and the comparison of a compiled
fused run with the readable oracle :func:`convotron.learning._sampling_reference.fused_reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest

from convotron._compiled import _rng
from convotron._errors import ConvotronError
from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.data.laws import NoiseModel
from convotron.learning import _sampling as S
from convotron.learning._sampling_reference import fused_reference

T = TypeVar("T")


def fast_draws(law: Any) -> bool:
    """Whether the fast stream draws ``law`` (an ``InputLaw``): its code is in ``_rng.LAW_CODES``.

    A law added to ``LAWS`` with a compiled branch for numpy's stream only runs on numpy's
    stream by default and is refused by a named ``stream="fast"`` (ARCHITECTURE.md, "How to
    add a law"); :func:`run_or_refused` checks that refusal for it.
    """
    return law.code is not None and int(law.code) in _rng.LAW_CODES.values()


def run_or_refused(law: Any, stream: str, run: Callable[[], T]) -> T | None:
    """``run()``; or, for ``stream="fast"`` and a law the fast stream does not draw, check that
    ``run()`` refuses it with ``check_fast_law``'s error, and return None."""
    if stream == "fast" and not fast_draws(law):
        with pytest.raises(ConvotronError, match="the fast stream does not draw the input law"):
            run()
        return None
    return run()


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
