"""ConvotronRule(precondition=...): the preconditioned update in the compiled loops (alg-precond).

The preconditioned Convotron is this project's extension ([derived], not GKM18's):
``w ← w + η (y − f_w(x)) H Σ_i P_i x``. Checked here: the compiled branch (fused draws, the
chunked sampler path and fixed rows) against its readable step bitwise, against the theory
half's own readable loop (``convotron_theory.precondition.precond_reference``), ``H = I`` bitwise
Algorithm 1, the binding of ``"exact"`` (M⁻¹) and ``"plugin"`` (M̂⁻¹ from set-aside samples),
and the error messages.
"""

from __future__ import annotations

import numpy as np
import pytest

from convotron._errors import ConvotronError
from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.geometry.patches import parse_spec
from convotron.learning._sampling_reference import fused_reference
from convotron.learning.algorithm import fit
from convotron.learning.rules import ConvotronRule, plugin_directions
from convotron.learning.sources import Rows, Sampler
from convotron.model.problem import Teacher
from convotron_theory.precondition import precond_reference, preconditioned_constants

SCHEME = parse_spec("1d:12,4,2")  # k = 5


def _spd(r: int, seed: int) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((r, r))
    H = A @ A.T / r + 0.5 * np.eye(r)
    return (H + H.T) / 2


COVS = {
    "identity": Identity(12),
    "diag": Diagonal(np.linspace(0.5, 2.0, 12)),
    "ar1": AR1(12, 0.8),
    "dense": Dense(np.eye(12) + 0.3 * np.ones((12, 12))),
}


@pytest.mark.claim("alg-precond")
@pytest.mark.parametrize(
    ("law", "cov", "noise", "batch"),
    [
        ("gaussian", "identity", "none", 1),
        ("rademacher", "diag", "gaussian:0.3", 2),
        ("uniform", "ar1", "hetero:0.4", 1),
        ("mixture", "dense", "uniform:0.2", 3),
    ],
)
@pytest.mark.parametrize("pre", ["matrix", "exact"])
def test_fused_branch_is_bitwise_its_readable_step(law, cov, noise, batch, pre) -> None:
    teacher = Teacher.random(SCHEME, 0.2, np.random.default_rng(0), law=law, cov=COVS[cov],
                             noise=noise)  # fmt: skip
    rule = ConvotronRule(precondition=_spd(4, 1) if pre == "matrix" else "exact")
    bound, _ = rule.bind(teacher, SCHEME, None)
    kw = dict(eta=0.002, iters=400, batch=batch, w_star=teacher.w_star, record_every=20)
    res = fit(rule, teacher, SCHEME, 0.2, rng=np.random.default_rng(7), **kw)
    ref = fused_reference(SCHEME.n, SCHEME.indices, 0.2, teacher.w_star, teacher.law,
                          teacher.cov, teacher.noise, rng=np.random.default_rng(7), rule=bound,
                          **kw)  # fmt: skip
    np.testing.assert_array_equal(res.w, ref.w)
    np.testing.assert_array_equal(res.history, ref.hist)
    # and it is not Algorithm 1
    plain = fit(ConvotronRule(), teacher, SCHEME, 0.2, rng=np.random.default_rng(7), **kw)
    assert not np.allclose(plain.w, res.w, rtol=1e-3)


@pytest.mark.claim("alg-precond")
def test_rows_and_sampler_paths_match_the_theory_halfs_readable_loop() -> None:
    teacher = Teacher.random(SCHEME, 0.3, np.random.default_rng(2), cov=AR1(12, 0.7),
                             noise="gaussian:0.1")  # fmt: skip
    H = _spd(4, 3)
    X, y = teacher.sample(np.random.default_rng(4), 500)
    res = fit(ConvotronRule(precondition=H), Rows(X, y), SCHEME, 0.3, eta=0.003)
    ref = precond_reference(X, y, SCHEME.indices, 0.3, 0.003, H)
    np.testing.assert_allclose(res.w, ref, rtol=1e-12, atol=1e-13)
    # the chunked sampler path draws the same rows (labels from the compiled forward pass)
    samp = fit(ConvotronRule(precondition=H), Sampler(teacher.sample), SCHEME, 0.3, eta=0.003,
               iters=500, rng=np.random.default_rng(4))  # fmt: skip
    np.testing.assert_allclose(samp.w, res.w, rtol=1e-12, atol=1e-14)


@pytest.mark.claim("alg-precond")
def test_identity_preconditioner_is_bitwise_algorithm_1() -> None:
    teacher = Teacher.random(SCHEME, 0.0, np.random.default_rng(5), law="uniform",
                             cov=COVS["dense"], noise="hetero:0.2")  # fmt: skip
    kw = dict(eta=0.01, iters=300, w_star=teacher.w_star, record_every=10)
    a = fit(ConvotronRule(precondition=np.eye(4)), teacher, SCHEME, 0.0,
            rng=np.random.default_rng(1), **kw)  # fmt: skip
    b = fit(ConvotronRule(), teacher, SCHEME, 0.0, rng=np.random.default_rng(1), **kw)
    c = fit(ConvotronRule(precondition="none"), teacher, SCHEME, 0.0,
            rng=np.random.default_rng(1), **kw)  # fmt: skip
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.history, b.history)
    np.testing.assert_array_equal(c.w, b.w)


@pytest.mark.claim("cor-precond-whitened")
def test_exact_binds_M_inverse_and_learns_where_algorithm_1_cannot() -> None:
    """1d:16,4,2, AR(1) 0.9: T_whitened = 12,189 updates at η = c/β_H (the corollary) reach
    ‖w − w*‖² < 1e-8; Algorithm 1 at its own theorem's step is still far after as many."""
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), cov=AR1(16, 0.9))
    bound, _ = ConvotronRule(precondition="exact").bind(teacher, scheme, None)
    pc = preconditioned_constants(16, scheme.indices, "exact", cov="ar1:0.9")
    np.testing.assert_allclose(bound.H, pc.H, rtol=1e-10)
    eta = 1 / 14 / pc.beta_H
    res = fit(ConvotronRule(precondition="exact"), teacher, scheme, 0.0, eta=eta, iters=12189,
              rng=np.random.default_rng(1), w_star=teacher.w_star)  # fmt: skip
    assert np.sum((res.w - teacher.w_star) ** 2) < 1e-8
    plain = preconditioned_constants(16, scheme.indices, "identity", cov="ar1:0.9")
    eta_plain = plain.mu_H / 7 / (2 * plain.beta_H)  # a/(2β) of thm-convotron
    res1 = fit(ConvotronRule(), teacher, scheme, 0.0, eta=eta_plain, iters=12189,
               rng=np.random.default_rng(1), w_star=teacher.w_star)  # fmt: skip
    assert np.sum((res1.w - teacher.w_star) ** 2) > 0.1


@pytest.mark.claim("thm-precond-plugin")
def test_plugin_sets_aside_its_samples() -> None:
    teacher = Teacher.random(SCHEME, 0.0, np.random.default_rng(6), cov=AR1(12, 0.8))
    X, y = teacher.sample(np.random.default_rng(8), 1000)
    rule = ConvotronRule(precondition="plugin", plugin_samples=300)
    bound, rest = rule.bind(Rows(X, y), SCHEME, None)
    Q = plugin_directions(X[:300], SCHEME.indices)
    np.testing.assert_allclose(np.linalg.inv(bound.H), Q.T @ Q / 300, rtol=1e-10)
    np.testing.assert_array_equal(rest.X, X[300:])
    res = fit(rule, Rows(X, y), SCHEME, 0.0, eta=0.01)
    assert res.iterations == 700
    direct = fit(bound, Rows(X[300:], y[300:]), SCHEME, 0.0, eta=0.01)
    np.testing.assert_array_equal(res.w, direct.w)
    # from a teacher: the first draws of the run's generator
    g = np.random.default_rng(9)
    bound_t, _ = rule.bind(teacher, SCHEME, g)
    Xt = teacher.sample(np.random.default_rng(9), 300)[0]
    Qt = plugin_directions(Xt, SCHEME.indices)
    np.testing.assert_allclose(np.linalg.inv(bound_t.H), Qt.T @ Qt / 300, rtol=1e-10)
    # the default m is 50 r
    assert ConvotronRule(precondition="plugin").bind(Rows(X, y), SCHEME, None)[1].X.shape[0] == 800


def test_errors_name_the_parameter_the_rule_and_the_fix() -> None:
    with pytest.raises(ConvotronError, match=r"must be 'none', 'exact' or 'plugin'; got 'newton'"):
        ConvotronRule(precondition="newton")
    with pytest.raises(ConvotronError, match=r"precondition must be None when only_patch"):
        ConvotronRule(only_patch=1, precondition="exact")
    with pytest.raises(ConvotronError, match=r"precondition must be symmetric .*max \|H − Hᵀ\|"):
        ConvotronRule(precondition=np.triu(np.ones((4, 4))))
    with pytest.raises(
        ConvotronError, match=r"must be positive definite; got lambda_min\(H\) = -1"
    ):
        ConvotronRule(precondition=-np.eye(4))
    with pytest.raises(ConvotronError, match=r"must be a square r x r matrix"):
        ConvotronRule(precondition=np.ones(4))
    teacher = Teacher.random(SCHEME, 0.0, np.random.default_rng(0))
    with pytest.raises(
        ConvotronError, match=r"r x r = 4 x 4 matrix .*got an array of shape \(3, 3\)"
    ):
        fit(ConvotronRule(precondition=np.eye(3)), teacher, SCHEME, 0.0, eta=0.1, iters=5,
            rng=np.random.default_rng(0))  # fmt: skip
    X, y = teacher.sample(np.random.default_rng(0), 50)
    with pytest.raises(ConvotronError, match=r"'exact' only with a teacher source .*Rows"):
        fit(ConvotronRule(precondition="exact"), Rows(X, y), SCHEME, 0.0, eta=0.1)
    with pytest.raises(ConvotronError, match=r"plugin_samples must be at least r = 4 .*got 2"):
        fit(ConvotronRule(precondition="plugin", plugin_samples=2), Rows(X, y), SCHEME, 0.0,
            eta=0.1)  # fmt: skip
    with pytest.raises(ConvotronError, match=r"plugin_samples must be fewer than the rows .*60"):
        fit(ConvotronRule(precondition="plugin", plugin_samples=60), Rows(X, y), SCHEME, 0.0,
            eta=0.1)  # fmt: skip
    with pytest.raises(ConvotronError, match=r"rng must be a numpy.random.Generator with"):
        ConvotronRule(precondition="plugin").bind(teacher, SCHEME, None)
    with pytest.raises(ConvotronError, match=r"bound to a source before the run"):
        ConvotronRule(precondition="exact").compiled(0.0)
    singular = parse_spec("1d:8,4,4")  # disjoint patches: M = 2 I, fine; pad a dead direction
    with pytest.raises(ConvotronError, match=r"positive definite M = P Σ Pᵀ"):
        ConvotronRule(precondition="exact").bind(
            Teacher.random(singular, 0.0, np.random.default_rng(0), cov=Diagonal(
                np.array([0.0, 1, 1, 1, 0, 1, 1, 1]))), singular, None)  # fmt: skip


@pytest.mark.claim("thm-precond-plugin")
def test_estimator_plugin_reaches_the_best_r2_on_correlated_inputs() -> None:
    """AR(1) ρ = 0.9, a ReLU teacher with noise 0.1 on 1d:16,4,2: precondition='plugin' with
    eta='auto' is within 1% of the best R² (1 − ς²/Var y) in at most 20 passes."""
    import warnings

    from convotron.estimator import ConvotronRegressor

    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), cov=AR1(16, 0.9),
                             noise="gaussian:0.1")  # fmt: skip
    X, y = teacher.sample(np.random.default_rng(1), 5000)
    Xt, yt = teacher.sample(np.random.default_rng(2), 20000)
    best = 1 - 0.01 / np.var(yt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = ConvotronRegressor("1d:16,4,2", precondition="plugin", max_iter=20,
                                 random_state=0).fit(X, y)  # fmt: skip
    assert est.n_iter_ <= 20 and est.score(Xt, yt) >= best - 0.01
    Q = plugin_directions(X, scheme.indices)
    np.testing.assert_allclose(np.linalg.inv(est.H_), Q.T @ Q / len(X), rtol=1e-9)
    # partial_fit: one pass over the rows in order with the first call's H
    est2 = ConvotronRegressor("1d:16,4,2", precondition="plugin").partial_fit(X, y)
    assert est2.H_ is not None and est2.n_iter_ == 1
    with pytest.raises(ConvotronError, match=r"precondition \(the preconditioner of the update\)"):
        ConvotronRegressor("1d:16,4,2", precondition="exact").fit(X, y)


@pytest.mark.claim("alg-precond")
def test_run_many_binds_each_run_and_matches_fit() -> None:
    from convotron.learning.many import run_many

    teacher = Teacher.random(SCHEME, 0.0, np.random.default_rng(3), cov=AR1(12, 0.8))
    for pre in ("exact", "plugin"):
        rule = ConvotronRule(precondition=pre)
        many = run_many(rule, teacher, eta=0.01, iters=200, runs=3, seed=5, workers=2)
        seqs = np.random.SeedSequence(5).spawn(3)
        one = fit(rule, teacher, SCHEME, 0.0, eta=0.01, iters=200,
                  rng=np.random.default_rng(seqs[1]), w_star=teacher.w_star)  # fmt: skip
        np.testing.assert_array_equal(many.w[1], one.w)
