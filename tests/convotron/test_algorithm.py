"""Invariants of Convotron (Algorithm 1) and its compiled loop.

The oracle is ``convotron_reference``, the readable per-sample numpy version; the compiled
loop (``convotron._compiled._kernels.run_updates``) must agree with it at every step to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError, DivergenceError
from convotron._compiled import _kernels
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.learning._sampling_reference import fused_reference
from convotron.learning.algorithm import (
    RunResult,
    convotron,
    convotron_on_data,
    convotron_reference,
    fit,
)
from convotron.learning.baselines import sgd_reference
from convotron.learning.many import run_many, run_range
from convotron.learning.results import ManyResult
from convotron.learning.rules import ConvotronRule, SGDRule
from convotron.learning.sources import Rows, Sampler
from convotron.model.network import predict
from convotron.model.problem import Teacher
from convotron.testing import alphas, schemes, seeds
from tests.convotron._rows import teacher_rows


def _compiled_iterates(X, y, scheme, alpha, eta, batch=1, only_patch=None, w0=None):
    """Drive the compiled kernel one update at a time and collect every iterate."""
    w = np.zeros(scheme.r) if w0 is None else np.array(w0, dtype=float)
    out = [w.copy()]
    idx = np.ascontiguousarray(scheme.indices)
    for t in range(X.shape[0] // batch):
        rows = slice(t * batch, (t + 1) * batch)
        status, _ = _kernels.run_updates(
            w, np.ascontiguousarray(X[rows]), np.ascontiguousarray(y[rows]), idx, alpha, eta,
            batch, -1 if only_patch is None else only_patch, _kernels.MODE_CONVOTRON, 0.0,
            np.zeros(0), 0, t, np.zeros(1), -1.0, np.full(1, -1),
        )  # fmt: skip
        assert status == _kernels.STATUS_OK
        out.append(w.copy())
    return np.array(out)


# ------------------------------------------------------------------ compiled == readable


@pytest.mark.claim("alg-convotron")
@given(
    scheme=schemes(),
    alpha=alphas(),
    seed=seeds(),
    batch=st.sampled_from([1, 3]),
    patch=st.one_of(st.none(), st.integers(0, 1000)),
)
def test_compiled_loop_agrees_with_reference_step_for_step(scheme, alpha, seed, batch, patch):
    only_patch = None if patch is None else patch % scheme.k
    X, y, _ = teacher_rows(scheme, alpha, 12 * batch, seed, noise=0.3)
    eta = 0.05 / scheme.k
    ref = convotron_reference(X, y, scheme, alpha, eta=eta, batch=batch, only_patch=only_patch)
    fast = _compiled_iterates(X, y, scheme, alpha, eta, batch, only_patch)
    assert ref.shape == (13, scheme.r)
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-12)
    # the public one-pass driver runs the same loop in large chunks
    res = convotron_on_data(X, y, scheme, alpha, eta=eta, batch=batch, only_patch=only_patch)
    np.testing.assert_allclose(res.w, ref[-1], rtol=0, atol=1e-12)
    assert res.iterations == 12 and res.samples == 12 * batch


def _reference(rule, X, y, scheme, alpha, eta, batch):
    """The readable oracle of ``rule``, iterates from w_1: Convotron's and SGD's own written-out
    references, and :func:`_protocol_reference` for any other rule."""
    if isinstance(rule, ConvotronRule):
        return convotron_reference(X, y, scheme, alpha, eta=eta, batch=batch,
                                   only_patch=rule.only_patch)  # fmt: skip
    if isinstance(rule, SGDRule):
        w0 = None if rule.init == "zero" else np.array(rule.init)
        return sgd_reference(X, y, scheme, alpha, lr=eta, w0=w0, batch=batch,
                             sigma_prime_at_zero=rule.sigma_prime_at_zero)  # fmt: skip
    return _protocol_reference(rule, X, y, scheme, alpha, eta, batch)


def _protocol_reference(rule, X, y, scheme, alpha, eta, batch):
    """Any rule's run through its readable protocol, iterates from w_1 (a rule added to
    ``RULES`` needs nothing more here; ARCHITECTURE.md, "How to add a rule").

    ``w_1 = rule.start(r, None)`` (a rule whose start draws needs its own oracle above), then
    per batch ``G = Σ_b rule.step(G, P x_b, z_b, y_b − f_w(x_b), α)`` and ``w ← w + η G / B``,
    with ``f_w`` from :func:`convotron.model.network.predict`.
    """
    idx = scheme.indices
    r = idx.shape[1]
    w = np.asarray(rule.start(r, None), dtype=float)
    out = [w]
    for t in range(len(X) // batch):
        G = np.zeros(r)
        for b in range(t * batch, (t + 1) * batch):
            patches = np.append(X[b], 0.0)[idx]  # a padded position (-1) reads the 0
            residual = float(y[b] - predict(w, X[b], scheme, alpha))
            G = rule.step(G, patches, patches @ w, residual, alpha)
        w = w + eta * (G / batch)
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize("rule", [ConvotronRule(), ConvotronRule(only_patch=1), SGDRule(),
                                  SGDRule(sigma_prime_at_zero=1.0)], ids=repr)  # fmt: skip
@pytest.mark.parametrize("spec", ["1d:10,4,2", "conv1d:1,9,4,padding=1"])
def test_the_protocol_reference_is_the_written_out_ones(rule, spec):
    """:func:`_protocol_reference` (the rules' readable steps) equals Convotron's and SGD's
    written-out references, so it can stand in as the oracle of a new rule."""
    scheme = parse_spec(spec)
    X, y, _ = teacher_rows(scheme, 0.3, 60, 4, noise=0.3)
    want = _reference(rule, X, y, scheme, 0.3, 0.02, 3)
    got = _protocol_reference(rule, X, y, scheme, 0.3, 0.02, 3)
    assert got.shape == want.shape == (21, scheme.r)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert np.abs(np.diff(got, axis=0)).max() > 1e-3  # the runs move: the check can fail


def _fused_rows(teacher, rng, m):
    """The rows the fused loop draws: each sample's inputs, then its noise, then the next."""
    n = teacher.scheme.n
    X = np.empty((m, n))
    y = np.empty(m)
    for i in range(m):
        x = teacher.cov.transform(teacher.law.draw(rng, (1, n)))
        X[i] = x[0]
        y[i] = teacher.predict(x)[0]
        if teacher.noise.kind != "none":
            y[i] += teacher.noise.sample(rng, x, teacher.cov)[0]
    return X, y


RULES = [
    ConvotronRule(),
    ConvotronRule(only_patch=1),
    SGDRule(),
    SGDRule(sigma_prime_at_zero=1.0),
    SGDRule(init=(0.5, -0.25, 1.0, 0.0)),
]


@pytest.mark.claim("alg-convotron")
@pytest.mark.parametrize("rule", RULES, ids=repr)
@pytest.mark.parametrize("source", ["rows", "sampler", "teacher"])
@pytest.mark.parametrize("batch", [1, 3])
def test_fit_runs_every_rule_on_every_source_as_the_reference_does(rule, source, batch):
    """fit(rule, source, ...) equals the rule's readable oracle step for step (to 1e-12).

    The iterates are compared after every update (``record_every=1`` records
    ‖w_t − w*‖² at every t), on the very rows the source produced.
    """
    scheme = parse_spec("1d:10,4,2")
    alpha, eta, T = 0.3, 0.02, 40
    teacher = Teacher.random(scheme, alpha, np.random.default_rng(0), noise="0.2")
    drawn = []

    def sample(rng, m):
        X, y = teacher.sample(rng, m)
        drawn.append((X, y))
        return X, y

    kw = dict(eta=eta, batch=batch, w_star=teacher.w_star, record_every=1)
    if source == "rows":
        X, y = teacher.sample(np.random.default_rng(1), T * batch)
        res = fit(rule, Rows(X, y), scheme, alpha, **kw)
    elif source == "sampler":
        res = fit(rule, Sampler(sample), scheme, alpha, iters=T, rng=np.random.default_rng(1),
                  chunk=7 * batch, **kw)  # fmt: skip
        X = np.concatenate([d[0] for d in drawn])
        y = np.concatenate([d[1] for d in drawn])
    else:  # a Teacher directly: drawn in the compiled loop, sample by sample
        res = fit(rule, teacher, scheme, alpha, iters=T, rng=np.random.default_rng(1),
                  stream="numpy", **kw)  # fmt: skip
        X, y = _fused_rows(teacher, np.random.default_rng(1), T * batch)
    ref = _reference(rule, X, y, scheme, alpha, eta, batch)
    assert ref.shape == (T + 1, scheme.r)
    np.testing.assert_allclose(res.w, ref[-1], rtol=0, atol=1e-12)
    d2 = np.sum((ref - teacher.w_star) ** 2, axis=1)
    np.testing.assert_array_equal(res.history_t, np.arange(T + 1))
    np.testing.assert_allclose(res.history, d2, rtol=1e-12, atol=1e-14)
    assert res.algorithm == rule.algorithm and res.iterations == T and res.samples == T * batch
    assert res.only_patch == getattr(rule, "only_patch", None)


def test_the_conveniences_are_fit():
    """convotron/convotron_on_data/sgd/sgd_on_data give bitwise what fit gives."""
    from convotron.learning.baselines import sgd, sgd_on_data

    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.2, np.random.default_rng(0), noise="0.1")
    X, y = teacher.sample(np.random.default_rng(5), 300)
    kw = dict(w_star=teacher.w_star, record_every=50, eps=0.1)
    pairs = [
        (convotron(teacher.sample, scheme, 0.2, eta=0.01, iters=300,
                   rng=np.random.default_rng(1), only_patch=2, **kw),
         fit(ConvotronRule(2), Sampler(teacher.sample), scheme, 0.2, eta=0.01, iters=300,
             rng=np.random.default_rng(1), **kw)),
        (convotron_on_data(X, y, scheme, 0.2, eta=0.01, batch=2, **kw),
         fit(ConvotronRule(), Rows(X, y), scheme, 0.2, eta=0.01, batch=2, **kw)),
        (sgd(teacher.sample, scheme, 0.2, lr=0.01, iters=300, rng=np.random.default_rng(1),
             init="random", **kw),
         fit(SGDRule("random"), Sampler(teacher.sample), scheme, 0.2, eta=0.01, iters=300,
             rng=np.random.default_rng(1), **kw)),
        (sgd_on_data(X, y, scheme, 0.2, lr=0.01, sigma_prime_at_zero=1.0, **kw),
         fit(SGDRule(sigma_prime_at_zero=1.0), Rows(X, y), scheme, 0.2, eta=0.01, **kw)),
    ]  # fmt: skip
    for a, b in pairs:
        np.testing.assert_array_equal(a.w, b.w)
        np.testing.assert_array_equal(a.history, b.history)
        assert (a.first_hit, a.algorithm, a.only_patch) == (b.first_hit, b.algorithm, b.only_patch)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s, t: fit(ConvotronRule(), "data", s, 0.0, eta=0.1),
         r"source must be a Sampler, Rows or Teacher; got str\. Wrap a sampler"),
        (lambda s, t: fit(ConvotronRule(), Rows(np.zeros((4, 8)), np.zeros(4)), s, 0.0,
                          eta=0.1, iters=4),
         r"iters applies to a sampler only .* got iters=4 with Rows\. Drop iters"),
        (lambda s, t: fit(ConvotronRule(), t, s, 0.0, eta=0.1, iters=4),
         r"rng must be a numpy.random.Generator; got NoneType"),
        (lambda s, t: fit(ConvotronRule(), t, s, 0.0, eta=0.1, rng=np.random.default_rng(0)),
         r"iters must be an integer with iters >= 1; got None"),
        (lambda s, t: fit(None, t, s, 0.0, eta=0.1, iters=4, rng=np.random.default_rng(0)),
         r"rule must be an update rule, ConvotronRule\(\.\.\.\) or SGDRule\(\.\.\.\); "
         r"got NoneType"),
        (lambda s, t: fit(SGDRule("random"), Rows(np.zeros((4, 8)), np.zeros(4)), s, 0.0,
                          eta=0.1),
         r"rng must be a numpy.random.Generator with init='random' \(to draw w_1\); got None"),
        (lambda s, t: ConvotronRule(only_patch=1.5),
         r"only_patch \(the disjoint patch\) must be an integer with only_patch >= 0 or None; "
         r"got 1.5"),
    ],
)  # fmt: skip
def test_fit_rejects_bad_input(call, match):
    scheme = _scheme()
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    with pytest.raises(ConvotronError, match=match) as info:
        call(scheme, teacher)
    assert info.value.param is not None


def test_rules_and_sources_are_values():
    assert ConvotronRule(2) == ConvotronRule(only_patch=2) and hash(ConvotronRule())
    assert SGDRule(np.array([1.0, 2.0])) == SGDRule((1.0, 2.0))  # arrays are stored as tuples
    assert SGDRule().algorithm == "sgd" and ConvotronRule().algorithm == "convotron"


def test_long_run_agrees_with_reference_on_1d_64_8_2():
    scheme = parse_spec("1d:64,8,2")
    X, y, _ = teacher_rows(scheme, 0.0, 3000, 7, noise=0.1)
    ref = convotron_reference(X, y, scheme, 0.0, eta=2e-3)
    res = convotron_on_data(X, y, scheme, 0.0, eta=2e-3)
    np.testing.assert_allclose(res.w, ref[-1], rtol=0, atol=1e-12)


def test_reference_is_algorithm_1_written_out():
    """One hand-written step: G = (y − f_w(x)) Σ_i P_i x, w ← w + η G (no σ′)."""
    scheme = PatchScheme.from_indices(5, [[0, 1], [1, 2], [4, 3]])
    x = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
    w1 = np.array([0.5, 1.0])
    # w1 after a first step from 0 on (x, y=2): G = 2 * (P1x + P2x + P3x)
    px = np.array([1.0 - 2.0 - 1.0, -2.0 + 0.5 + 3.0])
    ref = convotron_reference(x[None, :], np.array([2.0]), scheme, 0.0, eta=0.25)
    np.testing.assert_allclose(ref[1], 0.25 * 2.0 * px, atol=1e-15)
    # a step from w1 (through the kernel): f = (σ(-1.5) + σ(-0.5) + σ(2.5)) / 3 with α = 0.2
    f = (0.2 * -1.5 + 0.2 * -0.5 + 2.5) / 3
    step = _compiled_iterates(x[None, :], np.array([1.0]), scheme, 0.2, 0.1, w0=w1)
    np.testing.assert_allclose(step[1], w1 + 0.1 * (1.0 - f) * px, atol=1e-15)


# ------------------------------------------------------------------ invariants


@pytest.mark.claim("alg-convotron")
def test_convotron_moves_from_zero_even_with_relu():
    """At w = 0 every wᵀP_i x is 0, yet G_1 = y_1 Σ_i P_i x_1 ≠ 0: no σ′, no stall."""
    scheme = parse_spec("1d:16,4,2")
    X, y, _ = teacher_rows(scheme, 0.0, 1, 3)
    res = convotron_on_data(X, y, scheme, 0.0, eta=0.1)
    expected = 0.1 * y[0] * scheme.patches(X[0]).sum(axis=0)
    np.testing.assert_allclose(res.w, expected, atol=1e-15)
    assert np.linalg.norm(res.w) > 0


@pytest.mark.claim("alg-convotron")
@given(scheme=schemes(), alpha=alphas(), seed=seeds(), patch=st.integers(-1, 50))
def test_update_at_w_star_with_noiseless_labels_is_zero(scheme, alpha, seed, patch):
    X, y, w_star = teacher_rows(scheme, alpha, 20, seed)
    only_patch = None if patch < 0 else patch % scheme.k
    its = _compiled_iterates(X, y, scheme, alpha, 0.3 / scheme.k, 2, only_patch, w0=w_star)
    scale = 1.0 + np.abs(w_star).max()
    np.testing.assert_allclose(its, np.broadcast_to(w_star, its.shape), rtol=0, atol=1e-12 * scale)


@given(scheme=schemes(), seed=seeds())
def test_alpha_one_is_lms_on_averaged_patches(scheme, seed):
    """α = 1: f_w(x) = wᵀφ with φ = (1/k) P x, and G = (y − wᵀφ) k φ: LMS with step η k."""
    X, y, _ = teacher_rows(scheme, 1.0, 15, seed, noise=0.5)
    eta = 0.05 / scheme.k
    phi = X[:, scheme.indices].sum(axis=1) / scheme.k  # (m, r)
    w = np.zeros(scheme.r)
    lms = [w]
    for features, label in zip(phi, y, strict=True):
        w = w + (eta * scheme.k) * (label - features @ w) * features
        lms.append(w)
    ref = convotron_reference(X, y, scheme, 1.0, eta=eta)
    np.testing.assert_allclose(ref, np.array(lms), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        convotron_on_data(X, y, scheme, 1.0, eta=eta).w, lms[-1], rtol=0, atol=1e-12
    )


def test_mini_batch_averages_the_per_sample_updates():
    scheme = parse_spec("1d:10,3,1")
    X, y, _ = teacher_rows(scheme, 0.3, 4, 11)
    res = convotron_on_data(X, y, scheme, 0.3, eta=0.01, batch=4)
    G = sum(label * scheme.patches(x).sum(axis=0) for x, label in zip(X, y, strict=True))
    np.testing.assert_allclose(res.w, 0.01 * G / 4, atol=1e-15)  # from w = 0, f = 0
    assert res.iterations == 1 and res.samples == 4 and res.batch == 4


def test_only_patch_updates_along_that_patch_and_records_disjointness():
    scheme = PatchScheme.from_indices(7, [[0, 1, 2], [3, 4, 5], [4, 5, 6]])
    X, y, _ = teacher_rows(scheme, 0.0, 1, 5)
    res = convotron_on_data(X, y, scheme, 0.0, eta=0.5, only_patch=0)
    np.testing.assert_allclose(res.w, 0.5 * y[0] * X[0, [0, 1, 2]], atol=1e-15)
    assert res.only_patch == 0 and res.only_patch_disjoint is True
    res2 = convotron_on_data(X, y, scheme, 0.0, eta=0.5, only_patch=2)
    assert res2.only_patch_disjoint is False
    assert convotron_on_data(X, y, scheme, 0.0, eta=0.5).only_patch_disjoint is None


def test_history_matches_the_reference_iterates():
    scheme = parse_spec("1d:12,4,2")
    X, y, w_star = teacher_rows(scheme, 0.5, 103, 2)
    ref = convotron_reference(X, y, scheme, 0.5, eta=0.02)
    d2 = np.sum((ref - w_star) ** 2, axis=1)
    eps = float(np.quantile(d2, 0.3))
    res = convotron_on_data(X, y, scheme, 0.5, eta=0.02, w_star=w_star, record_every=10, eps=eps)
    np.testing.assert_array_equal(res.history_t, [*range(0, 101, 10), 103])
    np.testing.assert_allclose(res.history, d2[res.history_t], rtol=1e-12)
    assert res.history[0] == pytest.approx(np.sum(w_star**2))
    assert res.sq_error == pytest.approx(d2[-1], rel=1e-12)
    assert res.first_hit == int(np.flatnonzero(d2 <= eps)[0])
    # exact multiple: no extra final record
    res2 = convotron_on_data(
        X[:100], y[:100], scheme, 0.5, eta=0.02, w_star=w_star, record_every=25
    )
    np.testing.assert_array_equal(res2.history_t, [0, 25, 50, 75, 100])
    never = convotron_on_data(X, y, scheme, 0.5, eta=0.02, w_star=w_star, eps=0.0)
    assert never.first_hit is None and never.history is None


def test_w_star_does_not_change_the_run():
    """The algorithm never sees w*: recording distances leaves the iterates unchanged."""
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), noise="0.2")
    a = convotron(teacher.sample, scheme, 0.0, eta=0.01, iters=500, rng=np.random.default_rng(3))
    b = convotron(
        teacher.sample, scheme, 0.0, eta=0.01, iters=500, rng=np.random.default_rng(3),
        w_star=teacher.w_star, record_every=7, eps=0.5,
    )  # fmt: skip
    np.testing.assert_array_equal(a.w, b.w)
    assert a.sq_error is None and b.sq_error == pytest.approx(np.sum((b.w - teacher.w_star) ** 2))


# ------------------------------------------------------------------ fresh samples


@pytest.mark.parametrize("noise", ["none", "gaussian:0.5", "hetero:0.3"])
@pytest.mark.parametrize("cov", [None, "ar1:0.5"])
def test_compiled_teacher_path_draws_what_teacher_sample_draws(noise, cov):
    """convotron(teacher.sample, ...) computes labels compiled; X, ξ identical, y to 1e-12."""
    from convotron.model.problem import TeacherSample

    teacher = Teacher.random(parse_spec("1d:20,4,2"), 0.3, np.random.default_rng(1), cov=cov,
                             noise=noise)  # fmt: skip
    assert isinstance(teacher.sample, TeacherSample) and teacher.sample == teacher.sample
    fast = teacher.sample.compiled()
    X1, y1 = teacher.sample(np.random.default_rng(9), 300)
    X2, y2 = fast(np.random.default_rng(9), 300)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_allclose(y1, y2, rtol=0, atol=1e-12)
    # the unbound form draws the same samples
    X3, y3 = Teacher.sample(teacher, np.random.default_rng(9), 300)
    np.testing.assert_array_equal(X1, X3)
    np.testing.assert_array_equal(y1, y3)
    # a run on the bound sampler uses the compiled labels: equal to a run on fast itself
    kw = dict(eta=0.01, iters=200, rng=np.random.default_rng(3), chunk=64)
    a = convotron(teacher.sample, teacher.scheme, 0.3, **kw)
    kw["rng"] = np.random.default_rng(3)
    b = convotron(fast, teacher.scheme, 0.3, **kw)
    np.testing.assert_array_equal(a.w, b.w)


def test_fresh_sample_run_is_algorithm_1_on_the_drawn_samples():
    """A run on fresh samples equals the reference on the same samples, drawn identically."""
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.2, np.random.default_rng(0), noise="0.1")
    draws = []

    def sample(rng, m):
        X, y = teacher.sample(rng, m)
        draws.append((X, y))
        return X, y

    res = convotron(sample, scheme, 0.2, eta=0.01, iters=1000, rng=np.random.default_rng(4),
                    chunk=300)  # fmt: skip
    assert [d[0].shape[0] for d in draws] == [300, 300, 300, 100]
    X = np.concatenate([d[0] for d in draws])
    y = np.concatenate([d[1] for d in draws])
    np.testing.assert_allclose(res.w, convotron_reference(X, y, scheme, 0.2, eta=0.01)[-1],
                               rtol=0, atol=1e-12)  # fmt: skip
    assert isinstance(res, RunResult) and res.algorithm == "convotron" and res.eta == 0.01
    assert res.updates_per_second > 0 and res.seconds > 0


def test_fixed_seed_is_reproducible_and_batch_counts_updates():
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), noise="0.3")
    runs = [
        convotron(
            teacher.sample,
            scheme,
            0.0,
            eta=0.01,
            iters=700,
            rng=np.random.default_rng(5),
            batch=3,
            w_star=teacher.w_star,
            record_every=100,
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].w, runs[1].w)
    np.testing.assert_array_equal(runs[0].history, runs[1].history)
    assert runs[0].iterations == 700 and runs[0].samples == 2100


def test_run_many_does_not_depend_on_the_number_of_workers():
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), noise="0.2")
    kw = dict(eta=0.01, iters=400, runs=5, seed=12, record_every=100, eps=0.05)
    one = run_many(ConvotronRule(), teacher, workers=1, **kw)
    two = run_many(ConvotronRule(), teacher, workers=2, **kw)
    assert isinstance(one, ManyResult)
    for field in ("final_sq_errors", "histories", "first_hits", "w", "history_t"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    assert one.histories.shape == (5, 5) and one.w.shape == (5, 4)
    # run j is fit on the teacher (the fused path) with the j-th spawned seed
    ss = np.random.SeedSequence(12).spawn(5)[3]
    single = fit(ConvotronRule(), teacher, scheme, 0.0, eta=0.01, iters=400,
                 rng=np.random.default_rng(ss), w_star=teacher.w_star)  # fmt: skip
    np.testing.assert_array_equal(one.w[3], single.w)
    fused = fused_reference(scheme.n, scheme.indices, 0.0, teacher.w_star, teacher.law,
                            teacher.cov, teacher.noise, eta=0.01, iters=400,
                            rng=np.random.default_rng(ss))  # fmt: skip
    np.testing.assert_array_equal(one.w[3], fused.w)  # bitwise: the readable oracle
    assert len(set(one.final_sq_errors.tolist())) == 5  # the runs are distinct
    sgd_runs = run_many(SGDRule(), teacher, eta=0.01, iters=50, runs=2, seed=1)
    np.testing.assert_array_equal(sgd_runs.w, 0.0)  # ReLU SGD from zero never moves
    assert sgd_runs.histories is None and (sgd_runs.first_hits == -1).all()


FUSED_RULES = [
    ConvotronRule(),
    ConvotronRule(only_patch=3),
    SGDRule(sigma_prime_at_zero=1.0),
    SGDRule(init="random", init_scale=0.5),
]


@pytest.mark.parametrize("rule", FUSED_RULES, ids=repr)
@pytest.mark.parametrize("cov", [None, "ar1:-0.4"])
def test_fit_on_a_teacher_is_the_fused_loop_bitwise(rule, cov):
    """fit(rule, teacher, ...) is fused_reference bitwise: w, history, first hit, in pieces."""
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.2, np.random.default_rng(0), cov=cov, noise="0.1",
                             law="rademacher")  # fmt: skip
    kw = dict(eta=0.01, iters=900, batch=2, w_star=teacher.w_star, record_every=100, eps=0.3)
    res = fit(rule, teacher, scheme, 0.2, rng=np.random.default_rng(7), progress=True, **kw)
    ref = fused_reference(scheme.n, scheme.indices, 0.2, teacher.w_star, teacher.law,
                          teacher.cov, teacher.noise, rng=np.random.default_rng(7),
                          rule=rule, **kw)  # fmt: skip
    np.testing.assert_array_equal(res.w, ref.w)
    np.testing.assert_array_equal(res.history, ref.hist)
    assert res.first_hit == (None if ref.first_hit < 0 else ref.first_hit)


def test_fit_on_a_teacher_falls_back_to_the_chunked_path():
    """A law the fused loop cannot draw, or a run on another slope: Sampler(teacher.sample)."""
    import dataclasses

    from convotron.data.laws import InputLaw, get_law

    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.2, np.random.default_rng(0), noise="0.1")
    kw = dict(eta=0.01, iters=300, w_star=teacher.w_star)
    # another slope than the teacher's: chunked (the labels use the teacher's slope)
    a = fit(ConvotronRule(), teacher, scheme, 0.3, rng=np.random.default_rng(2), **kw)
    b = fit(ConvotronRule(), Sampler(teacher.sample), scheme, 0.3,
            rng=np.random.default_rng(2), **kw)  # fmt: skip
    np.testing.assert_array_equal(a.w, b.w)
    # a custom law (unknown to source_codes): chunked
    gauss = get_law("gaussian")
    custom = InputLaw("custom", True, gauss.fourth_moment, None, gauss.draw)
    odd = dataclasses.replace(teacher, problem=dataclasses.replace(teacher.problem, law=custom))
    c = fit(ConvotronRule(), odd, scheme, 0.2, rng=np.random.default_rng(2), **kw)
    d = fit(ConvotronRule(), Sampler(odd.sample), scheme, 0.2, rng=np.random.default_rng(2),
            **kw)  # fmt: skip
    np.testing.assert_array_equal(c.w, d.w)
    e = fit(ConvotronRule(), teacher, scheme, 0.2, rng=np.random.default_rng(2), **kw)
    assert not np.array_equal(c.w, e.w)  # the fused path draws in another order


def test_progress_bar_is_silent_off_a_terminal(capsys):
    scheme = parse_spec("1d:8,2,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    convotron(teacher.sample, scheme, 0.0, eta=0.01, iters=100, rng=np.random.default_rng(0),
              progress=True)  # fmt: skip
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ errors


def test_divergence_names_step_size_and_iteration():
    scheme = parse_spec("1d:16,4,2")
    X, y, _ = teacher_rows(scheme, 0.0, 5000, 1)
    with pytest.raises(DivergenceError, match=r"non-finite or larger than 1e\+150 at iteration "
                       r"\d+ of 5000 with step size eta=50.*Use a smaller eta, e\.g\. "
                       r"eta=[0-9.]+ or less") as info:  # fmt: skip
        convotron_on_data(X, y, scheme, 0.0, eta=50.0)
    assert info.value.param == "eta"  # the library speaks of parameters, never of flags
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    with pytest.raises(DivergenceError, match=r"convotron diverged.*eta=50"):
        convotron(teacher.sample, scheme, 0.0, eta=50.0, iters=10**6, rng=np.random.default_rng(0))


def _scheme():
    return parse_spec("1d:8,4,2")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 1.5}, r"alpha \(the leaky-ReLU slope\) must be a number in \[0, 1\]; got 1.5"),
        ({"alpha": "x"}, r"alpha .* got 'x'\. Pass 0 for ReLU"),
        ({"eta": 0.0}, r"eta \(the step size\) must be a finite number > 0; got 0.0"),
        ({"eta": float("nan")}, r"eta .* > 0; got nan"),
        ({"iters": 0}, r"iters must be an integer with iters >= 1; got 0\. Pass the number"),
        ({"iters": 2.5}, r"iters must be an integer .* got 2.5"),
        ({"batch": 0}, r"batch must be an integer with batch >= 1; got 0"),
        (
            {"only_patch": 3},
            r"only_patch \(the disjoint patch\) must be an integer with 0 <= only_patch < 3; "
            r"got 3\. Pass the index of one of the k=3 patches, 0 to 2\.",
        ),
        ({"only_patch": -1}, r"only_patch .* got -1"),
        (
            {"w_star": np.ones(3)},
            r"w_star must be a finite vector of shape \(r,\) = \(4,\); got shape \(3,\)",
        ),
        ({"w_star": np.array([1, np.nan, 0, 0])}, r"w_star must be a finite .* positions \[1\]"),
        ({"record_every": 5}, r"record_every needs the target filter w_star.*Pass w_star"),
        ({"eps": 0.1}, r"eps needs the target filter w_star"),
        (
            {"eps": -1.0, "w_star": np.ones(4)},
            r"eps \(the target squared error\) must be .* got -1.0",
        ),
        (
            {"record_every": 0, "w_star": np.ones(4)},
            r"record_every must be an integer with "
            r"record_every >= 1; got 0",
        ),
        ({"rng": 3}, r"rng must be a numpy.random.Generator; got int\. Pass numpy.random"),
        ({"chunk": 0}, r"chunk must be an integer with chunk >= 1; got 0"),
        ({"scheme": "1d:8,4,2"}, r"scheme must be a PatchScheme; got str\. Build one"),
        ({"sample": 5}, r"sample must be a callable sample\(rng, m\) -> \(X, y\); got int"),
    ],
)
def test_convotron_rejects_bad_input(kwargs, match):
    scheme = _scheme()
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    args = dict(sample=teacher.sample, scheme=scheme, alpha=0.0, eta=0.1, iters=10,
                rng=np.random.default_rng(0))  # fmt: skip
    args.update(kwargs)
    with pytest.raises(ConvotronError, match=match):
        convotron(args.pop("sample"), args.pop("scheme"), args.pop("alpha"), **args)


def test_bad_sampler_output_is_reported():
    scheme = _scheme()
    with pytest.raises(ConvotronError, match=r"sample\(rng, 10\) must return X of shape \(10, 8\) "
                       r"and y of shape \(10,\); got \(10, 7\) and \(10,\)"):  # fmt: skip
        convotron(lambda rng, m: (np.zeros((m, 7)), np.zeros(m)), scheme, 0.0, eta=0.1,
                  iters=10, rng=np.random.default_rng(0))  # fmt: skip

    def nan_sampler(rng, m):
        X = rng.standard_normal((m, 8))
        X[3, 2] = np.nan
        return X, np.zeros(m)

    with pytest.raises(ConvotronError, match=r"a sample used at iteration 4 is not finite"):
        convotron(nan_sampler, scheme, 0.0, eta=0.1, iters=10, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("X", "y", "batch", "match"),
    [
        (
            np.zeros((4, 7)),
            np.zeros(4),
            1,
            r"X must be a 2-D array of shape \(T, n\) with n=8.*"
            r"got shape \(4, 7\)",
        ),
        (np.zeros(8), np.zeros(1), 1, r"X must be a 2-D array .* got shape \(8,\)"),
        (np.zeros((4, 8)), np.zeros(3), 1, r"y must have shape \(T,\) = \(4,\).*got shape \(3,\)"),
        (
            np.full((4, 8), np.inf),
            np.zeros(4),
            1,
            r"X must be finite; got NaN or infinite values "
            r"in 4 row\(s\), first row 0",
        ),
        (np.zeros((4, 8)), np.array([0, 0, np.nan, 0]), 1, r"y must be finite.*first row 2"),
        (
            np.zeros((5, 8)),
            np.zeros(5),
            2,
            r"T must be a positive multiple of batch=2.*got T=5\. "
            r"Drop the last 1 row",
        ),
        (
            np.zeros((0, 8)),
            np.zeros(0),
            1,
            r"positive multiple of batch=1.*got T=0, fewer than one batch\. Pass at least 1 row",
        ),
        (np.array([["a"] * 8]), np.zeros(1), 1, r"X must hold real numbers; got dtype <U1"),
    ],
)
def test_on_data_rejects_bad_data(X, y, batch, match):
    with pytest.raises(ConvotronError, match=match):
        convotron_on_data(X, y, _scheme(), 0.0, eta=0.1, batch=batch)
    with pytest.raises(ConvotronError, match=match):
        convotron_reference(X, y, _scheme(), 0.0, eta=0.1, batch=batch)


def test_run_many_rejects_bad_input():
    teacher = Teacher.random(_scheme(), 0.0, np.random.default_rng(0))
    rule = ConvotronRule()
    with pytest.raises(ConvotronError, match=r"rule must be an update rule, ConvotronRule\("
                       r"\.\.\.\) or SGDRule\(\.\.\.\); got str\. Pass e\.g\."):  # fmt: skip
        run_many("sgd", teacher, eta=0.1, iters=5, runs=2, seed=0)
    with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'teacher'"):
        run_many(teacher, eta=0.1, iters=5, runs=2, seed=0)  # the old form, rule missing
    with pytest.raises(ConvotronError, match=r"^runs must be an integer with 1 <= runs .*; got 0"):
        run_many(rule, teacher, eta=0.1, iters=5, runs=0, seed=0)
    with pytest.raises(ConvotronError, match=r"workers must be an integer with workers >= 1"):
        run_many(rule, teacher, eta=0.1, iters=5, runs=1, seed=0, workers=0)
    with pytest.raises(ConvotronError, match=r"seed must be an integer with seed >= 0; got -1"):
        run_many(rule, teacher, eta=0.1, iters=5, runs=1, seed=-1)
    with pytest.raises(ConvotronError, match=r"seed must be an integer with seed >= 0; got -1"):
        run_many(rule, teacher, eta=0.1, iters=5, runs=1, seed=[3, -1])
    with pytest.raises(ConvotronError, match=r"seed must be a non-negative integer or a non-emp"):
        run_many(rule, teacher, eta=0.1, iters=5, runs=1, seed=[])
    with pytest.raises(ConvotronError, match=r"teacher must be a convotron.model.problem.Teacher; "
                                             r"got "
                       r"int\. Build one"):  # fmt: skip
        run_many(rule, 3, eta=0.1, iters=5, runs=1, seed=0)
    with pytest.raises(ConvotronError, match=r"eta \(the step size\)"):
        run_many(rule, teacher, eta=-1.0, iters=5, runs=1, seed=0)
    with pytest.raises(ConvotronError, match=r"eta \(the step size\)"):
        run_many(SGDRule(), teacher, eta=-1.0, iters=5, runs=1, seed=0)
    with pytest.raises(ConvotronError, match=r"iters must be an integer with iters >= 1"):
        run_many(rule, teacher, eta=0.1, iters=0, runs=1, seed=0)
    with pytest.raises(
        ConvotronError, match=r"only_patch \(the disjoint patch\) must be an integer with 0 <= "
    ):
        run_many(ConvotronRule(only_patch=9), teacher, eta=0.1, iters=5, runs=1, seed=0)


def test_run_many_records_divergent_runs_instead_of_discarding_the_others():
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    many = run_many(ConvotronRule(), teacher, eta=5.0, iters=3000, runs=3, seed=0,
                    record_every=1000)  # fmt: skip
    assert many.diverged.tolist() == [True] * 3
    assert np.isinf(many.final_sq_errors).all() and np.isnan(many.w).all()
    assert np.isinf(many.histories[:, 1:]).all() and np.isfinite(many.histories[:, 0]).all()
    ok = run_many(ConvotronRule(), teacher, eta=0.01, iters=100, runs=2, seed=0)
    assert ok.diverged.tolist() == [False, False] and np.isfinite(ok.final_sq_errors).all()
    with pytest.raises(DivergenceError, match=r"eta=5"):
        run_many(ConvotronRule(), teacher, eta=5.0, iters=3000, runs=2, seed=0,
                 on_divergence="raise")  # fmt: skip
    with pytest.raises(ConvotronError, match=r"on_divergence must be 'raise' or 'record'; got 'x'"):
        run_many(ConvotronRule(), teacher, eta=5.0, iters=3000, runs=2, seed=0,
                 on_divergence="x")  # fmt: skip
    one = convotron(teacher.sample, scheme, 0.0, eta=5.0, iters=3000, rng=np.random.default_rng(0),
                    w_star=teacher.w_star, record_every=700, on_divergence="record")  # fmt: skip
    assert one.diverged and one.sq_error == np.inf and one.history_t[-1] == 3000
    blown = int(np.argmax(np.isinf(one.history)))
    assert np.isfinite(one.history[:blown]).all() and np.isinf(one.history[blown:]).all()


def test_run_many_takes_a_seed_sequence_entropy():
    """seed may be several words (a sweep cell's [seed, hash]); run j: SeedSequence(seed, (j,))."""
    teacher = Teacher.random(_scheme(), 0.0, np.random.default_rng(0))
    entropy = [3, 2**63 + 5]
    kw = dict(eta=0.1, iters=20, record_every=5)
    many = run_many(ConvotronRule(), teacher, runs=3, seed=entropy, **kw)
    for j in range(3):
        one = fit(ConvotronRule(), teacher, teacher.scheme, teacher.alpha, w_star=teacher.w_star,
                  rng=np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(j,))),
                  **kw)  # fmt: skip
        np.testing.assert_array_equal(many.w[j], one.w)
        (part,) = run_range(ConvotronRule(), teacher, seed=tuple(entropy), start=j, stop=j + 1,
                            **kw)  # fmt: skip
        np.testing.assert_array_equal(part.w, one.w)


def test_a_validation_error_inside_the_fused_path_surfaces():
    """Only NotFusable selects the chunked path: a ConvotronError raised while the fused run
    is prepared (here by a covariance's accessor) reaches the caller (issue 21, finding 3)."""
    from convotron.data.covariance import Diagonal
    from convotron.model.problem import Problem

    class Broken(Diagonal):
        def sqrt_diagonal(self):
            raise ConvotronError("sqrt_diagonal refused: a validation error of the user's input")

    scheme = parse_spec("1d:8,2,2")
    teacher = Problem(scheme, 0.0, "gaussian", Broken(np.ones(8)), "none").random_teacher(
        np.random.default_rng(0)
    )
    with pytest.raises(ConvotronError, match="sqrt_diagonal refused"):
        fit(ConvotronRule(), teacher, scheme, 0.0, eta=0.01, iters=10,
            rng=np.random.default_rng(1))  # fmt: skip


def test_rules_follow_the_rule_protocol_and_fit_refuses_other_values():
    from convotron.learning.rules import Rule

    assert all(isinstance(rule, Rule) for rule in RULES)
    with pytest.raises(ConvotronError, match="rule must be an update rule"):
        fit(object(), Rows(np.zeros((2, 8)), np.zeros(2)), parse_spec("1d:8,2,2"), 0.0,
            eta=0.1)  # fmt: skip
