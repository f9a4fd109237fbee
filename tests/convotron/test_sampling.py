"""Samples drawn inside the compiled loop (``convotron.learning._sampling``).

Three layers, each an exact check except the last:

1. numba's compiled ``numpy.random.Generator`` methods consume the bit stream exactly as
   numpy does (same numbers, same generator state afterwards);
2. the compiled per-sample draws of every law and covariance equal ``convotron.data.laws`` /
   ``convotron.data.covariance`` drawing one sample, bitwise;
3. whole fused runs equal the readable per-sample oracle ``fused_reference`` bitwise, for
   every law x covariance x noise, and both update modes;
4. in distribution, the fused runs agree with the chunked path (``convotron(teacher.sample)``)
   and with the exact mean recursion of ``lem-drift`` (L2) [derived],
   ``E[w_{t+1}] − w* = (I − η(1+α)/(2k) M)(E[w_t] − w*)``, within ``Z = 5`` standard errors
   (a failure means the fused sampler draws from another law, not bad luck: probability
   below 1e-5 per coordinate).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from numba import njit

from convotron._codes import Model, RuleCode, RuleStep, Step, start_recorder
from convotron._compiled import _kernels, _rng
from convotron.data.covariance import AR1, Dense, Identity
from convotron.data.laws import LAWS, NoiseModel
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.learning import _sampling as S
from convotron.learning.algorithm import convotron
from convotron.learning.rules import ConvotronRule, SGDRule
from convotron.model.problem import Teacher
from convotron.testing import schemes, seeds
from tests.budget import examples
from tests.convotron._fused_cases import NOISES, assert_same, both, covs, run_or_refused

Z = 5.0


# ------------------------------------------------------------------ 1. numba's generator


@njit(cache=True)
def _scalar_draws(rng, m):  # pragma: no cover - compiled
    out = np.empty(5 * m)
    for i in range(m):
        out[i] = rng.standard_normal()
    for i in range(m):
        out[m + i] = rng.uniform(-1.5, 2.5)
    for i in range(m):
        out[2 * m + i] = rng.standard_t(5.0)
    for i in range(m):
        out[3 * m + i] = rng.standard_exponential()
    for i in range(m):
        out[4 * m + i] = float(rng.integers(0, 4294967296, dtype=np.uint32))
    return out


@given(seeds())
@examples(0.25)
def test_numba_generator_reproduces_numpys_stream(seed: int) -> None:
    m = 257
    a_rng = np.random.default_rng(seed)
    got = _scalar_draws(a_rng, m)
    b_rng = np.random.default_rng(seed)
    want = np.concatenate(
        [
            b_rng.standard_normal(m),
            b_rng.uniform(-1.5, 2.5, m),
            b_rng.standard_t(5.0, m),
            b_rng.standard_exponential(m),
            b_rng.integers(0, 2**32, size=m, dtype=np.uint32).astype(float),
        ]
    )
    assert np.array_equal(got, want)
    assert a_rng.random() == b_rng.random()  # the same state afterwards


@njit(cache=True)
def _signs(rng, n):  # pragma: no cover - compiled
    x = np.zeros(n)
    _kernels._draw_signs(rng, x, n, 1.0)
    return x


@pytest.mark.parametrize("n", [1, 3, 4, 5, 8, 13, 64])
def test_sign_bits_are_numpys_int8_integers(n: int) -> None:
    a_rng, b_rng = np.random.default_rng(n), np.random.default_rng(n)
    for _ in range(3):  # a fresh byte buffer per sample, as per numpy call
        got = _signs(a_rng, n)
        want = b_rng.integers(0, 2, size=n, dtype=np.int8).astype(float) * 2.0 - 1.0
        assert np.array_equal(got, want)
    assert a_rng.random() == b_rng.random()


# ------------------------------------------------------------------ 2. one sample


@njit(cache=True)
def _one_x(rng, law, cov, cov_vec, rho, cov_L, n):  # pragma: no cover - compiled
    x = np.zeros(n)
    z = np.zeros(n)
    # what the fused loop does per sample: draw z into x, then x = L z (z is scratch)
    _kernels._draw_z(rng, law, x, n)
    _kernels._transform(cov, cov_vec, rho, np.sqrt(1.0 - rho * rho), cov_L, z, x, n)
    return x


@pytest.mark.parametrize("law", list(LAWS))
@pytest.mark.parametrize("cov_i", range(5))
def test_one_sample_is_the_law_and_covariance_of_data_py(law: str, cov_i: int) -> None:
    n = 13
    cov = covs(n)[cov_i]
    codes = S.source_codes(LAWS[law], cov, NoiseModel("none"))
    a_rng, b_rng = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(4):
        got = _one_x(a_rng, codes.law, codes.cov, codes.cov_vec, codes.rho, codes.cov_L, n)
        want = cov.transform(LAWS[law].draw(b_rng, (1, n)))[0]
        if isinstance(cov, Dense):  # a BLAS product sums in its own order
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        else:
            assert np.array_equal(got, want)
    assert a_rng.random() == b_rng.random()


# ------------------------------------------------------------------ 3. whole runs


STREAMS = ("numpy", "fast")  # numpy's stream, and convotron._compiled._rng's (test_fast_runs.py)


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("noise", NOISES, ids=lambda m: m.kind)
@pytest.mark.parametrize("cov_i", range(5))
@pytest.mark.parametrize("law", list(LAWS))
def test_fused_run_equals_the_oracle_bitwise(
    law: str, cov_i: int, noise: NoiseModel, stream: str
) -> None:
    scheme = parse_spec("1d:14,4,2")  # k = 6: four patches at a time plus a tail of two
    cov = covs(scheme.n)[cov_i]
    got = run_or_refused(LAWS[law], stream, lambda: both(
        scheme, LAWS[law], cov, noise, 5, stream, eta=0.02, iters=40, batch=2,
        w_star=np.full(scheme.r, 0.1), record_every=3, eps=0.9,
    ))  # fmt: skip
    if got is None:  # a law without a fast branch: refused, as it should be
        return
    fast, ref = got
    assert_same(fast, ref)
    assert fast.status == _kernels.STATUS_OK


@pytest.mark.parametrize(
    "kw",
    [
        {"rule": SGDRule(sigma_prime_at_zero=0.5), "alpha": 0.3},
        {"rule": SGDRule(), "alpha": 0.0},
        {"rule": ConvotronRule(only_patch=2)},
        {"alpha": 1.0, "batch": 3},
    ],
)
@pytest.mark.parametrize("stream", STREAMS)
def test_modes_equal_the_oracle_bitwise(kw: dict, stream: str) -> None:
    scheme = PatchScheme.stride_2d(5, 6, 3, 2, 1, 2)  # 2D: patches are not contiguous
    fast, ref = both(
        scheme, LAWS["mixture"], AR1(scheme.n, 0.4), NoiseModel("gaussian", 0.1), 9, stream,
        eta=0.01, iters=30, w0=np.full(scheme.r, 0.05), **kw,
    )  # fmt: skip
    assert_same(fast, ref)


@given(schemes(), seeds())
@examples(0.375)
def test_any_scheme_equals_the_oracle_bitwise(scheme: PatchScheme, seed: int) -> None:
    fast, ref = both(
        scheme, LAWS["gaussian"], Identity(scheme.n), NoiseModel("hetero", 0.2), seed,
        eta=0.005, iters=12, w_star=np.zeros(scheme.r), record_every=5,
    )  # fmt: skip
    assert_same(fast, ref)


def test_divergence_is_reported_like_the_oracle() -> None:
    scheme = parse_spec("1d:8,2,2")
    fast, ref = both(
        scheme, LAWS["gaussian"], Identity(8), NoiseModel("none"), 1, eta=50.0, iters=500
    )
    assert_same(fast, ref)
    assert fast.status == _kernels.STATUS_DIVERGED and fast.t < 500


@pytest.mark.parametrize("stream", STREAMS)
def test_reproducible_per_seed_and_independent_of_pieces(stream: str) -> None:
    scheme = parse_spec("1d:16,4,2")
    tw = np.linspace(-1, 1, scheme.r)
    codes = S.source_codes(LAWS["student-t"], AR1(16, 0.5), NoiseModel("uniform", 0.2))
    kw = dict(eta=0.01, iters=1000, w_star=tw, record_every=100, eps=0.5, stream=stream)
    a = S.fused_convotron(16, scheme.indices, 0.0, tw, codes, rng=np.random.default_rng(7), **kw)
    b = S.fused_convotron(16, scheme.indices, 0.0, tw, codes, rng=np.random.default_rng(7), **kw)
    assert_same(a, b)
    # three calls of the kernel (t0 = 0, 300, 700) continue one stream
    rng = np.random.default_rng(7)
    fast = _rng.stream_from_generator(rng) if stream == "fast" else None  # w_1 = 0: no draw
    w = np.zeros(scheme.r)
    rec = start_recorder(w, tw, 1000, 100, 0.5)
    model = Model(np.ascontiguousarray(scheme.indices), 0.0)
    draws = S.draw_source(rng, 16, tw, codes)
    step = Step(0.01, 1, RuleStep(int(RuleCode.CONVOTRON)))
    for t0, m in ((0, 300), (300, 400), (700, 300)):
        if fast is None:
            status, t = _kernels.run_draws(w, model, draws, step, rec, t0, m)
        else:
            status, t = _kernels.run_draws_fast(w, model, draws, fast, step, rec, t0, m)
        assert status == _kernels.STATUS_OK and t == t0 + m
    assert_same(a, S.FusedRun(w, 0, 1000, rec.hist, int(rec.first_hit[0])))


def test_source_codes_refuses_what_it_cannot_draw() -> None:
    """NotFusable, and not a ValueError (fit falls back on it alone)."""
    assert not issubclass(S.NotFusable, ValueError)
    with pytest.raises(S.NotFusable, match="no law 'cauchy'"):
        S.source_codes("cauchy", Identity(3), NoiseModel("none"))
    with pytest.raises(S.NotFusable, match="no noise kind 'laplace'"):
        S.source_codes(LAWS["gaussian"], Identity(3), "laplace")

    class Custom(Identity):
        code = None  # a covariance without a compiled transform

    with pytest.raises(S.NotFusable, match="no covariance Custom"):
        S.source_codes(LAWS["gaussian"], Custom(3), NoiseModel("none"))


# ------------------------------------------------------------------ 4. in distribution


def _fused_final(teacher: Teacher, eta: float, iters: int, runs: int, seed: int) -> np.ndarray:
    codes = S.source_codes(teacher.law, teacher.cov, teacher.noise)
    out = []
    for child in np.random.SeedSequence(seed).spawn(runs):
        res = S.fused_convotron(
            teacher.scheme.n, teacher.scheme.indices, teacher.alpha, teacher.w_star, codes,
            eta=eta, iters=iters, rng=np.random.default_rng(child),
        )  # fmt: skip
        out.append(res.w)
    return np.array(out)


def _chunked_final(teacher: Teacher, eta: float, iters: int, runs: int, seed: int) -> np.ndarray:
    out = []
    for child in np.random.SeedSequence(seed).spawn(runs):
        res = convotron(
            teacher.sample, teacher.scheme, teacher.alpha, eta=eta, iters=iters,
            rng=np.random.default_rng(child),
        )  # fmt: skip
        out.append(res.w)
    return np.array(out)


@pytest.mark.claim("lem-drift")
@pytest.mark.parametrize(
    ("law", "cov", "noise"),
    [
        ("gaussian", "identity", "none"),
        ("rademacher", "ar1:0.5", "gaussian:0.3"),
        ("mixture", "identity", "hetero:0.5"),
        ("student-t", "ar1:-0.4", "uniform:0.3"),
    ],
)
def test_fused_runs_follow_the_mean_recursion_like_the_chunked_path(
    law: str, cov: str, noise: str
) -> None:
    scheme = parse_spec("1d:10,4,2")
    alpha, eta, iters, runs = 0.0, 0.05, 150, 300
    teacher = Teacher.random(scheme, alpha, np.random.default_rng(2), law, cov, noise)
    M = np.asarray(scheme.overlap_matrix(teacher.cov), dtype=float)
    A = np.eye(scheme.r) - eta * (1.0 + alpha) / (2.0 * scheme.k) * M
    predicted = teacher.w_star - np.linalg.matrix_power(A, iters) @ teacher.w_star
    fused = _fused_final(teacher, eta, iters, runs, 40)
    chunked = _chunked_final(teacher, eta, iters, runs, 41)
    for name, ws in (("fused", fused), ("chunked", chunked)):
        se = ws.std(axis=0, ddof=1) / np.sqrt(runs)
        gap = np.abs(ws.mean(axis=0) - predicted)
        assert np.all(gap <= Z * se + 1e-12), f"{name}: mean {ws.mean(0)} vs {predicted}"
    # the two samplers, against each other: mean and spread of the squared error
    e_f = np.sum((fused - teacher.w_star) ** 2, axis=1)
    e_c = np.sum((chunked - teacher.w_star) ** 2, axis=1)
    se = np.sqrt(e_f.var(ddof=1) / runs + e_c.var(ddof=1) / runs)
    assert abs(e_f.mean() - e_c.mean()) <= Z * se
