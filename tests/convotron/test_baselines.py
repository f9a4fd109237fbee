"""SGD baseline and GLMtron: oracles, the σ′(0) convention, and GLMtron = Convotron with k = 1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError, DivergenceError
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.learning.algorithm import convotron_on_data, convotron_reference
from convotron.learning.baselines import glmtron, sgd, sgd_on_data, sgd_reference
from convotron.model.network import predict
from convotron.model.problem import Teacher
from convotron.testing import alphas, schemes, seeds
from tests.convotron._rows import teacher_rows


@given(
    scheme=schemes(),
    alpha=alphas(),
    seed=seeds(),
    batch=st.sampled_from([1, 2]),
    s0=st.sampled_from([0.0, 1.0]),
)
def test_compiled_sgd_agrees_with_reference(scheme, alpha, seed, batch, s0):
    X, y, _ = teacher_rows(scheme, alpha, 10 * batch, seed, noise=0.2)
    w0 = np.random.default_rng(seed + 1).standard_normal(scheme.r)
    for start in (None, w0):
        ref = sgd_reference(X, y, scheme, alpha, lr=0.1, w0=start, batch=batch,
                            sigma_prime_at_zero=s0)  # fmt: skip
        res = sgd_on_data(X, y, scheme, alpha, lr=0.1, batch=batch, sigma_prime_at_zero=s0,
                          init="zero" if start is None else start)  # fmt: skip
        np.testing.assert_allclose(res.w, ref[-1], rtol=0, atol=1e-12)
        assert res.algorithm == "sgd" and res.eta == 0.1


def test_sgd_reference_is_the_gradient_of_the_square_loss():
    """The SGD step is −lr ∇_w ½(y − f_w(x))², checked by central finite differences."""
    scheme = PatchScheme.from_indices(6, [[0, 1, 2], [2, 3, 4], [5, 0, 3]])
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(6), rng.standard_normal(3)
    y, alpha = 0.7, 0.3

    def loss(v):
        return 0.5 * (y - predict(v, x, scheme, alpha)) ** 2

    h = 1e-6
    grad = np.array([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in np.eye(3)])
    step = sgd_reference(x[None], np.array([y]), scheme, alpha, lr=1.0, w0=w)[1] - w
    np.testing.assert_allclose(step, -grad, atol=1e-7)


@pytest.mark.claim("alg-convotron")
def test_relu_sgd_from_zero_never_moves_while_convotron_does():
    """σ′(0) := α = 0: at w = 0 every wᵀP_i x = 0, so SGD's gradient is exactly 0 forever (§2)."""
    scheme = parse_spec("1d:16,4,2")
    X, y, _ = teacher_rows(scheme, 0.0, 200, 4, noise=0.1)
    stuck = sgd_on_data(X, y, scheme, 0.0, lr=0.05)
    np.testing.assert_array_equal(stuck.w, 0.0)
    assert np.linalg.norm(convotron_on_data(X, y, scheme, 0.0, eta=0.05).w) > 0
    # with the other convention σ′(0) := 1 (activations.leaky_relu_derivative) SGD moves
    moved = sgd_on_data(X, y, scheme, 0.0, lr=0.05, sigma_prime_at_zero=1.0)
    assert np.linalg.norm(moved.w) > 0
    # from a random start, ReLU SGD moves too
    rnd = sgd_on_data(X, y, scheme, 0.0, lr=0.05, init="random", rng=np.random.default_rng(0))
    assert not np.array_equal(rnd.w, 0.0)


def test_leaky_sgd_from_zero_moves_with_the_left_derivative_convention():
    """Default σ′(0) := α (the frameworks' left derivative): leaky SGD's first step is α-scaled."""
    scheme = parse_spec("1d:16,4,2")
    alpha = 0.2
    X, y, _ = teacher_rows(scheme, alpha, 50, 4, noise=0.0)
    lr = 0.05
    it = sgd_reference(X, y, scheme, alpha, lr=lr)
    first = lr * y[0] * alpha * X[0][scheme.indices].sum(axis=0) / scheme.k
    np.testing.assert_allclose(it[1], first, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sgd_on_data(X, y, scheme, alpha, lr=lr).w, it[-1], rtol=1e-12)
    stuck = sgd_on_data(X, y, scheme, alpha, lr=lr, sigma_prime_at_zero=0.0)
    np.testing.assert_array_equal(stuck.w, 0.0)


def test_sgd_on_fresh_samples_and_random_init_is_reproducible():
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.2, np.random.default_rng(0), noise="0.1")
    kw = dict(lr=0.02, iters=3000, init="random", init_scale=0.5, w_star=teacher.w_star,
              record_every=500, eps=1e-6)  # fmt: skip
    a = sgd(teacher.sample, scheme, 0.2, rng=np.random.default_rng(3), **kw)
    b = sgd(teacher.sample, scheme, 0.2, rng=np.random.default_rng(3), **kw)
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.history_t, np.arange(0, 3001, 500))
    # w_1 is init_scale · g / √r with g drawn first from rng
    g = np.random.default_rng(3).standard_normal(scheme.r)
    assert a.history[0] == pytest.approx(np.sum((0.5 * g / 2 - teacher.w_star) ** 2))
    assert a.history[-1] < a.history[0]  # it learns something with this easy setting


def test_glmtron_online_is_convotron_with_one_patch():
    """GLMtron's update w ← w + η (y − σ(wᵀx)) x is Algorithm 1 with k = 1, P_1 = I."""
    rng = np.random.default_rng(2)
    d, m, alpha = 5, 40, 0.25
    X = rng.standard_normal((m, d))
    w_star = rng.standard_normal(d)
    y = np.where(X @ w_star >= 0, X @ w_star, alpha * X @ w_star) + 0.1 * rng.standard_normal(m)
    one_patch = PatchScheme.from_indices(d, [list(range(d))])
    g = glmtron(X, y, alpha, eta=0.05)
    assert g.shape == (m + 1, d)
    np.testing.assert_allclose(convotron_reference(X, y, one_patch, alpha, eta=0.05), g,
                               rtol=0, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(convotron_on_data(X, y, one_patch, alpha, eta=0.05).w, g[-1],
                               rtol=0, atol=1e-12)  # fmt: skip


def test_glmtron_full_batch_is_convotron_mini_batch_over_the_whole_data():
    rng = np.random.default_rng(3)
    d, m, alpha, iters = 4, 30, 0.0, 6
    X = rng.standard_normal((m, d))
    y = np.maximum(X @ rng.standard_normal(d), 0)
    one_patch = PatchScheme.from_indices(d, [list(range(d))])
    g = glmtron(X, y, alpha, eta=1.0, full_batch=True, iters=iters)
    repeated = convotron_on_data(np.tile(X, (iters, 1)), np.tile(y, iters), one_patch, alpha,
                                 eta=1.0, batch=m)  # fmt: skip
    np.testing.assert_allclose(repeated.w, g[-1], rtol=0, atol=1e-12)
    assert g.shape == (iters + 1, d)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0}, r"lr \(the step size\) must be a finite number > 0; got 0"),
        ({"init": "ones"}, r"init must be 'zero' or 'random'; got 'ones'\. Pass 'zero', 'random'"),
        ({"init": np.ones((2, 2))}, r"init must be .* finite vector .* got an array of shape"),
        ({"init": np.ones(3)}, r"init must be .* finite vector .* got an array of shape \(3,\)"),
        (
            {"init": "random", "init_scale": -1.0},
            r"init_scale \(the expected norm of the random start\) must be a finite number "
            r">= 0; got -1.0",
        ),
        (
            {"sigma_prime_at_zero": 2.0},
            r"sigma_prime_at_zero .* must be a number in \[0, 1\] or None; "
            r"got 2.0",
        ),
        ({"iters": -3}, r"iters must be an integer with iters >= 1; got -3"),
        ({"alpha": -0.1}, r"alpha \(the leaky-ReLU slope\) .* got -0.1"),
    ],
)
def test_sgd_rejects_bad_input(kwargs, match):
    scheme = parse_spec("1d:8,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    args = dict(alpha=0.0, lr=0.1, iters=10, rng=np.random.default_rng(0))
    args.update(kwargs)
    with pytest.raises(ConvotronError, match=match):
        sgd(teacher.sample, scheme, args.pop("alpha"), **args)


def test_sgd_errors_on_data_and_divergence():
    scheme = parse_spec("1d:8,4,2")
    X, y, _ = teacher_rows(scheme, 0.5, 2000, 0)
    with pytest.raises(
        ConvotronError, match=r"rng must be a numpy.random.Generator with init='random'"
    ):
        sgd_on_data(X, y, scheme, 0.5, lr=0.1, init="random")
    with pytest.raises(
        DivergenceError,
        match=r"sgd diverged: .* step size lr=1000; .*smaller lr, e\.g\. lr=[0-9.]+ or less",
    ):
        sgd_on_data(X, y, scheme, 0.5, lr=1e3, init=np.ones(4))


def test_glmtron_rejects_bad_input():
    X = np.zeros((3, 2))
    with pytest.raises(ConvotronError, match=r"X must be a 2-D array of shape \(m, d\).*got shape"):
        glmtron(np.zeros(3), np.zeros(3), 0.0, eta=0.1)
    with pytest.raises(ConvotronError, match=r"iters applies to full_batch=True only"):
        glmtron(X, np.zeros(3), 0.0, eta=0.1, iters=3)
    with pytest.raises(ConvotronError, match=r"iters must be an integer with iters >= 1; got None"):
        glmtron(X, np.zeros(3), 0.0, eta=0.1, full_batch=True)
    with pytest.raises(ConvotronError, match=r"eta \(the step size\)"):
        glmtron(X, np.zeros(3), 0.0, eta=-0.1)
    with pytest.raises(ConvotronError, match=r"y must have shape \(T,\) = \(3,\)"):
        glmtron(X, np.zeros(2), 0.0, eta=0.1)
