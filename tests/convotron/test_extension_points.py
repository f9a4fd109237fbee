"""The extension points of the core (issue 21): the rule protocol and the covariance accessors.

A rule is any value that follows :class:`convotron.learning.rules.Rule`; ``fit``, ``run_many`` and
the engine take it without an edit. A covariance names its compiled transform by ``code``
and exposes the numbers the compiled loop and the glue read (``factor``, ``sqrt_diagonal``,
``trace_of_square``, ``is_diagonal``): no module switches on its type or reads its private
attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from convotron._codes import CovCode, RuleCode, RuleStep
from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.geometry.patches import parse_spec
from convotron.learning._sampling_reference import fused_reference
from convotron.learning.algorithm import fit
from convotron.learning.many import run_many
from convotron.learning.rules import ConvotronRule, Rule
from convotron.learning.sources import Rows, Sampler
from convotron.model.problem import Problem, Teacher


@dataclass(frozen=True)
class WarmConvotron:
    """Convotron from a given ``w_1`` (a rule defined outside the package)."""

    w1: tuple[float, ...]

    algorithm: ClassVar[str] = "warm-convotron"
    only_patch: ClassVar[None] = None

    def check(self, k: int) -> None:
        """Nothing to check."""

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """The given start."""
        return np.array(self.w1, dtype=float)

    def compiled(self, alpha: float) -> RuleStep:
        """Convotron's compiled branch."""
        return RuleStep(int(RuleCode.CONVOTRON))

    def step(self, G, patches, z, residual, alpha):
        """Convotron's readable step."""
        return ConvotronRule().step(G, patches, z, residual, alpha)

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """Convotron's linearised step."""
        return ConvotronRule().direction(patches)


def test_a_rule_defined_outside_the_package_runs_through_fit_and_run_many() -> None:
    scheme = parse_spec("1d:12,4,2")
    teacher = Teacher.random(scheme, 0.1, np.random.default_rng(0), law="uniform",
                             cov="ar1:0.3", noise="0.1")  # fmt: skip
    rule = WarmConvotron((0.5, -0.5, 0.25, 0.0))
    assert isinstance(rule, Rule)
    kw = dict(eta=0.01, iters=300, w_star=teacher.w_star, record_every=10)
    res = fit(rule, teacher, scheme, 0.1, rng=np.random.default_rng(1), **kw)
    ref = fused_reference(scheme.n, scheme.indices, 0.1, teacher.w_star, teacher.law,
                          teacher.cov, teacher.noise, rng=np.random.default_rng(1), rule=rule,
                          **kw)  # fmt: skip
    assert res.algorithm == "warm-convotron"
    np.testing.assert_array_equal(res.w, ref.w)  # the compiled branch == its readable step
    np.testing.assert_array_equal(res.history, ref.hist)
    assert res.history[0] == pytest.approx(np.sum((np.array(rule.w1) - teacher.w_star) ** 2))
    # the same rule from zero is Convotron itself
    zero = fit(WarmConvotron((0.0,) * 4), teacher, scheme, 0.1, rng=np.random.default_rng(1),
               **kw)  # fmt: skip
    conv = fit(ConvotronRule(), teacher, scheme, 0.1, rng=np.random.default_rng(1), **kw)
    np.testing.assert_array_equal(zero.w, conv.w)
    many = run_many(rule, teacher, eta=0.01, iters=100, runs=2, seed=3, workers=1)
    assert many.w.shape == (2, 4)
    X, y = teacher.sample(np.random.default_rng(2), 50)
    assert fit(rule, Rows(X, y), scheme, 0.1, eta=0.01).w.shape == (4,)


def _covs(n: int) -> list:
    A = np.random.default_rng(3).standard_normal((n, n))
    return [
        Identity(n),
        Diagonal(np.linspace(0.0, 2.0, n)),
        AR1(n, -0.7),
        Dense(A @ A.T / n),
        Dense(np.ones((n, n))),  # singular: the eigendecomposition's square root
    ]


@pytest.mark.parametrize("i", range(5))
def test_factor_is_the_l_that_transform_applies(i: int) -> None:
    n = 7
    cov = _covs(n)[i]
    L = cov.factor()
    np.testing.assert_allclose(L @ L.T, cov.dense(), rtol=0, atol=1e-12)
    Z = np.random.default_rng(4).standard_normal((5, n))
    np.testing.assert_allclose(cov.transform(Z), Z @ L.T, rtol=0, atol=1e-12)
    S = cov.dense()
    assert cov.trace_of_square() == pytest.approx(float(np.sum(S * S)), rel=1e-12)
    np.testing.assert_allclose(cov.sqrt_diagonal(), np.sqrt(np.diag(S)), rtol=0, atol=1e-15)
    assert cov.is_diagonal == bool(np.all(L == np.diag(np.diag(L))))
    assert cov.code == (CovCode.IDENTITY, CovCode.DIAGONAL, CovCode.AR1, CovCode.DENSE,
                        CovCode.DENSE)[i]  # fmt: skip


def test_a_covariance_without_a_code_is_drawn_in_chunks() -> None:
    """``code = None``: fit draws its samples with ``transform`` (Sampler(teacher.sample))."""

    class Scaled(Identity):
        code = None
        is_diagonal = True

        def transform(self, Z):
            return 2.0 * np.asarray(Z, dtype=float)

        def diagonal(self) -> np.ndarray:
            return np.full(self.n, 4.0)

    scheme = parse_spec("1d:8,2,2")
    teacher = Problem(scheme, 0.0, "gaussian", Scaled(8), "none").random_teacher(
        np.random.default_rng(0)
    )
    kw = dict(eta=0.01, iters=200)
    a = fit(ConvotronRule(), teacher, scheme, 0.0, rng=np.random.default_rng(1), **kw)
    b = fit(ConvotronRule(), Sampler(teacher.sample), scheme, 0.0, rng=np.random.default_rng(1),
            **kw)  # fmt: skip
    np.testing.assert_array_equal(a.w, b.w)
