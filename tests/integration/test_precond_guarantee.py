"""The (ε, δ) guarantee of the preconditioned theorem, run on correlated problems (thm-precond).

For each problem: the exact β_H of H = M⁻¹ (``convotron.glue.precondition``), the
corollary's η and T, and 20 runs of the compiled loop with ``ConvotronRule(precondition=
"exact")`` for w* along the top and the bottom eigenvector of M (the hardest directions for the
theorem's logarithm and for Algorithm 1). The failure rate must pass a one-sided binomial test
against δ at level 10⁻³ (a failure means the theorem, its constants or the compiled update is
wrong); the medians are far below ε, as the bound is not tight.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from convotron.glue.precondition import preconditioned_parameters
from convotron.learning.many import run_many
from convotron.learning.rules import ConvotronRule
from convotron.model.problem import Problem

_A = np.random.default_rng(11).standard_normal((16, 16))
DENSE = _A @ _A.T / 16 + 0.05 * np.eye(16)  # a dense Σ with cond in the hundreds


@pytest.mark.claim("thm-precond")
@pytest.mark.parametrize(
    ("dist", "cov", "noise"),
    [
        ("gaussian", "ar1:0.5", "none"),
        ("gaussian", "ar1:0.9", "none"),
        ("gaussian", "ar1:0.99", "none"),
        ("gaussian", "dense", "none"),
        ("rademacher", "ar1:0.9", "none"),
        ("uniform", "ar1:0.9", "gaussian:0.05"),
    ],
)
def test_preconditioned_runs_meet_eps_delta(dist: str, cov: str, noise: str) -> None:
    from convotron.data.covariance import Dense

    cov_obj = Dense(DENSE) if cov == "dense" else cov
    problem = Problem.from_specs("1d:16,4,2", 0.0, dist, cov_obj, noise)
    eps, delta = 0.01, 0.1
    p = preconditioned_parameters(problem, eps=eps, delta=delta, w_norm=1.0)
    assert p["applies"] and p["mu_H"] == 1.0
    M = problem.scheme.overlap_matrix(problem.cov).astype(float)
    V = np.linalg.eigh(M)[1]
    for w_star in (V[:, -1], V[:, 0]):
        many = run_many(ConvotronRule(precondition="exact"), problem.teacher(w_star),
                        eta=p["eta"], iters=p["T"], runs=20, seed=1, workers=2)  # fmt: skip
        fails = int(np.sum(many.final_sq_errors > eps))
        assert binom.sf(fails - 1, 20, delta) > 1e-3, (fails, p["T"])
        assert float(np.median(many.final_sq_errors)) < eps / 100
    if p["cond_M"] >= 1000:  # the bar: T reduced at least 100-fold
        assert p["T_plain"] / p["T"] >= 100
