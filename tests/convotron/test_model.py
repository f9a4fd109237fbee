"""Model and activation: oracle agreement, invariants, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.model.activations import check_alpha, leaky_relu, leaky_relu_derivative
from convotron.model.network import preactivations, predict
from tests import reference as ref
from tests.strategies import alphas, schemes, seeds


def _data(scheme, seed, m=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(scheme.r), rng.standard_normal((m, scheme.n))


@pytest.mark.claim("def-model")
@given(schemes(), alphas(), seeds())
def test_predict_matches_the_naive_oracle(scheme, alpha, seed):
    w, X = _data(scheme, seed)
    expected = ref.predict(w, X, scheme.n, scheme.indices, alpha)
    np.testing.assert_allclose(predict(w, X, scheme, alpha), expected, rtol=1e-12, atol=1e-12)


def _gather_only(scheme):
    """The same scheme with the strided-view fast path switched off."""
    generic = PatchScheme.from_indices(scheme.n, scheme.indices)
    object.__setattr__(generic, "_slices", None)
    return generic


@given(schemes(), alphas(), seeds())
def test_strided_fast_path_equals_the_gather_path(scheme, alpha, seed):
    w, X = _data(scheme, seed)
    generic = _gather_only(scheme)
    np.testing.assert_allclose(
        preactivations(w, X, scheme), X[:, scheme.indices] @ w, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        predict(w, X, generic, alpha), predict(w, X, scheme, alpha), rtol=1e-12, atol=1e-12
    )


def test_stride_schemes_take_the_strided_path():
    assert parse_spec("1d:16,4,2")._slices is not None
    assert parse_spec("2d:3,5,3,3,1,1")._slices is not None  # one row of patches
    assert parse_spec("2d:3,5,5,3,3,1,1")._slices is None  # a grid: starts not arithmetic
    assert PatchScheme.from_indices(3, [[0, 1], [2, 0]])._slices is None


@given(schemes(), alphas(), seeds(), st.randoms(use_true_random=False))
def test_predict_is_invariant_to_patch_order(scheme, alpha, seed, random):
    w, X = _data(scheme, seed)
    order = list(range(scheme.k))
    random.shuffle(order)
    other = PatchScheme.from_indices(scheme.n, scheme.indices[order])
    np.testing.assert_allclose(
        predict(w, X, other, alpha), predict(w, X, scheme, alpha), rtol=1e-12, atol=1e-12
    )


@pytest.mark.claim("def-model")
@given(schemes(), seeds())
def test_alpha_one_is_the_linear_model_w_dot_px_over_k(scheme, seed):
    w, X = _data(scheme, seed)
    linear = (X @ scheme.P().T) @ w / scheme.k  # wᵀ (1/k) P x
    np.testing.assert_allclose(predict(w, X, scheme, 1.0), linear, rtol=1e-12, atol=1e-12)


@given(schemes(), alphas(), seeds(), st.floats(0.0, 10.0))
def test_positive_homogeneity(scheme, alpha, seed, c):
    w, X = _data(scheme, seed)
    np.testing.assert_allclose(
        predict(c * w, X, scheme, alpha), c * predict(w, X, scheme, alpha), rtol=1e-12, atol=1e-12
    )


def test_relu_of_odd_symmetric_pair():
    # σ(z) + σ(-z) = (1 - α)|z| for leaky ReLU: checks the decomposition used in lem-symmetric
    z = np.linspace(-3, 3, 13)
    for alpha in (0.0, 0.3, 1.0):
        np.testing.assert_allclose(
            leaky_relu(z, alpha) + leaky_relu(-z, alpha), (1 - alpha) * np.abs(z)
        )


def test_predict_single_input_and_chunked_gather(monkeypatch):
    import convotron.model.network as model

    s = PatchScheme.from_indices(5, [[4, 0], [1, 3], [2, 3]])
    w = np.array([1.0, -2.0])
    x = np.arange(5.0)
    assert predict(w, x, s, 0.0) == pytest.approx(ref.predict(w, x[None], 5, s.indices, 0.0)[0])
    monkeypatch.setattr(model, "GATHER_ENTRIES", 12)  # two rows per gather chunk
    X = np.random.default_rng(1).standard_normal((7, 5))
    np.testing.assert_allclose(predict(w, X, s, 0.2), ref.predict(w, X, 5, s.indices, 0.2))


def test_leaky_relu_values_and_derivative_convention():
    z = np.array([-2.0, -0.0, 0.0, 3.0])
    np.testing.assert_array_equal(leaky_relu(z, 0.25), [-0.5, 0.0, 0.0, 3.0])
    np.testing.assert_array_equal(leaky_relu_derivative(z, 0.25), [0.25, 1.0, 1.0, 1.0])
    assert leaky_relu_derivative(0.0, 0.0) == 1.0  # σ'(0) := 1
    assert check_alpha(np.float32(0.5)) == 0.5


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: leaky_relu(1.0, 1.5),
            r"alpha \(the leaky-ReLU slope\) must be a number in \[0, 1\]; got 1\.5\. Pass 0 "
            r"for ReLU, 1 for a linear model",
        ),
        (lambda: leaky_relu(1.0, -0.1), r"must be a number in \[0, 1\]; got -0\.1"),
        (
            lambda: leaky_relu_derivative(1.0, float("nan")),
            r"must be a number in \[0, 1\]; got nan",
        ),
        (lambda: check_alpha("0.5"), r"alpha .* must be a number in \[0, 1\]; got '0\.5'"),
        (lambda: check_alpha(True), r"must be a number in \[0, 1\]; got True"),
    ],
)
def test_activation_errors(call, match):
    with pytest.raises(ConvotronError, match=match):
        call()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            (np.ones(3), np.ones((2, 16))),
            r"filter w must have shape \(r,\) = \(4,\); got shape \(3,\)",
        ),
        (
            (np.ones(4), np.ones((2, 15))),
            r"X must have shape \(m, n\) with n=16; got shape \(2, 15\)",
        ),
        (
            (np.ones(4), np.ones((2, 2, 16))),
            r"X must have shape \(m, n\) with n=16; got shape \(2, 2, 16\)",
        ),
        ((np.ones(4), np.full((2, 16), np.nan)), r"inputs X must be finite; got NaN"),
        ((np.array([1, 1, 1, np.inf]), np.ones((2, 16))), r"filter w must be finite"),
    ],
)
def test_predict_errors(args, match):
    with pytest.raises(ConvotronError, match=match):
        predict(*args, parse_spec("1d:16,4,2"), 0.5)


def test_predict_rejects_non_scheme_and_bad_alpha():
    with pytest.raises(ConvotronError, match=r"scheme must be a PatchScheme; got str"):
        predict(np.ones(4), np.ones((1, 16)), "1d:16,4,2", 0.5)
    with pytest.raises(ConvotronError, match=r"alpha .* got 2\.0"):
        predict(np.ones(4), np.ones((1, 16)), parse_spec("1d:16,4,2"), 2.0)
