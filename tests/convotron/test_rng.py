"""The fast stream (convotron._compiled._rng).

Published vectors, the oracle, the laws' distributions.

Distribution checks use fixed seeds and 10^6 draws with CLT / binomial tolerances (a failure
at these sizes is a wrong law, not bad luck: every tolerance is at least 5 standard errors or
a 1e-4 quantile); the 10^8-draw version is ``benchmarks/check_rng.py``.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from numba import njit
from scipy import stats

from convotron._compiled import _rng as R
from convotron._errors import ConvotronError

# xoshiro256++ from the state (1, 2, 3, 4): the outputs of the reference C implementation
# (https://prng.di.unimi.it/xoshiro256plusplus.c) as published in the test of rust-random's
# rand_xoshiro (rngs repository, rand_xoshiro/src/xoshiro256plusplus.rs, "These values were
# produced with the reference implementation").
PUBLISHED_1234 = [
    41943041,
    58720359,
    3588806011781223,
    3591011842654386,
    9228616714210784205,
    9973669472204895162,
    14011001112246962877,
    12406186145184390807,
    15849039046786891736,
    10450023813501588000,
]
# From the state (0, 0, 0, 1): DSCF-1224/xoshiro-fortran, test/README.md ("without jump").
PUBLISHED_0001 = [0x800000, 0x800011, 0x0002200000800011, 0x0002200044000020]

N = 1_000_000
LAWS = list(R.LAW_CODES)


def test_reference_step_gives_the_published_outputs():
    state = [1, 2, 3, 4]
    assert [R.xoshiro_reference(state) for _ in range(10)] == PUBLISHED_1234
    state = [0, 0, 0, 1]
    assert [R.xoshiro_reference(state) for _ in range(4)] == PUBLISHED_0001


def test_compiled_lanes_give_the_published_outputs():
    """Lane 0 set to (1, 2, 3, 4), lane 7 to (0, 0, 0, 1): each refill is one step of each."""
    lanes = np.ones((4, R.LANES), np.uint64)
    lanes[:, 0] = [1, 2, 3, 4]
    lanes[:, 7] = [0, 0, 0, 1]
    out = np.zeros(R.BLOCK, np.uint64)
    got0, got7 = [], []
    for _ in range(10):
        R._refill(lanes, out)
        got0.append(int(out[0]))
        got7.append(int(out[7]))
    assert got0 == PUBLISHED_1234
    assert got7[:4] == PUBLISHED_0001


def test_seed_maps_to_the_documented_state():
    words = np.random.SeedSequence(12345).generate_state(4 * R.LANES + 4, np.uint64)
    st = R.fast_stream(12345)
    for lane in (0, 1, 100, R.LANES - 1):
        assert list(st.lanes[:, lane]) == list(words[4 * lane : 4 * lane + 4])
    assert list(st.aux) == list(words[4 * R.LANES :])
    # a SeedSequence is accepted as it is
    same = R.fast_stream(np.random.SeedSequence(12345))
    assert np.array_equal(R.draw(same, "gaussian", 10), R.draw(st, "gaussian", 10))


def test_first_values_of_seed_0_are_fixed():
    """The stream is a function of the seed alone: these bits must never change."""
    st = R.fast_stream(0)
    assert list(R.draw(st, "gaussian", 4)) == [
        -1.7517585367044795,
        1.4580101936838772,
        2.1427594705465682,
        -0.5071568719129746,
    ]
    st = R.fast_stream(0)
    assert list(R.draw(st, "uniform", 2)) == [0.8401481636044408, 0.17401537008384516]
    st = R.fast_stream(0)  # the exponential ziggurat on the same first words
    assert list(R.draw(st, "exponential", 4)) == [
        1.607139277584356,
        1.3733804076181317,
        2.384249456613931,
        -0.5645776541222527,
    ]


@pytest.mark.parametrize("seed", [0, 7])
def test_compiled_stream_equals_the_python_oracle(seed):
    """Every law, interleaved, across block boundaries: bitwise equal to ReferenceStream."""
    st = R.fast_stream(seed)
    ref = R.ReferenceStream(seed)
    plan = [("gaussian", 300), ("uniform", 70), ("rademacher", 130), ("mixture", 65)]
    plan += [("student-t", 90), ("exponential", 300), ("gaussian", 5000)] * 2
    for law, size in plan:
        got = R.draw(st, law, size)
        want = np.array(ref.draw(law, size))
        assert np.array_equal(got, want), law


def test_oracle_covers_the_tail_and_the_wedge():
    """The equality above must include slow paths: the tail (|x| > R) and wedge values."""
    st = R.fast_stream(3)
    ref = R.ReferenceStream(3)
    got = R.draw(st, "gaussian", 100_000)
    assert np.array_equal(got, np.array(ref.draw("gaussian", 100_000)))
    assert np.sum(np.abs(got) > R._R) >= 1  # P(|z| > R) = 5.4e-5: about 5 expected


def test_oracle_covers_the_exponential_slow_paths():
    """The exponential's slow paths (tail, wedge, fresh draws) interleaved with word-queue laws.

    1.2·10^5 exponentials see about 770 rejected words and 11.5 tails (P(E > R) = 9.5e-5).
    """
    st = R.fast_stream(9)
    ref = R.ReferenceStream(9)
    got = []
    for law, size in [("exponential", 60_000), ("uniform", 33), ("rademacher", 70)] * 2:
        part = R.draw(st, law, size)
        assert np.array_equal(part, np.array(ref.draw(law, size))), law
        if law == "exponential":
            got.append(part)
    x = np.concatenate(got)
    assert np.sum(x + 1.0 > R._ER) >= 5  # tails (14 with this seed)
    assert np.sum(x + 1.0 > R._EW[-2]) > np.sum(x + 1.0 > R._ER)  # the top layer's wedge


def test_bad_seed_and_law_are_refused():
    with pytest.raises(ConvotronError, match=r"integer >= 0 or a numpy\.random\.SeedSequence"):
        R.fast_stream(-1)
    with pytest.raises(ConvotronError, match="unknown law 'cauchy'"):
        R.draw(R.fast_stream(0), "cauchy", 3)


def _closure(layers: int, r: str, v: str) -> float:
    """``v / x_1 + f(x_1) − 1`` after the recursion from ``x_{N−1} = R``: 0 closes the ziggurat."""
    with localcontext() as ctx:
        ctx.prec = 50
        vn = Decimal(v)
        x = Decimal(r)
        for _ in range(layers - 2):
            x = (-2 * (vn / x + (-x * x / 2).exp()).ln()).sqrt()
        return float(vn / x + (-x * x / 2).exp() - 1)


def test_ziggurat_constants_close_the_layers():
    """R, v of 1024 layers solve the closure that numpy's 256-layer R, v solve.

    numpy's ``ziggurat_constants.h`` (R = 3.6541528853610087963519472518 and
    v = 0.00492867323399, 12 digits) close 256 layers to 2e-11; ours close 1024 to 1e-20.
    """
    assert abs(_closure(256, "3.6541528853610087963519472518", "0.00492867323399")) < 1e-10
    assert abs(_closure(1024, R._R_TEXT, R._V_TEXT)) < 1e-20
    r = R._R  # v = R f(R) + the tail's area
    tail = math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2))
    assert float(R._V_TEXT) == pytest.approx(r * math.exp(-r * r / 2) + tail, rel=1e-13)


def _exp_closure(layers: int, r: str) -> float:
    """The exponential's closure ``v / x_1 + e^{−x_1} − 1``, ``v = (R + 1) e^{−R}``."""
    with localcontext() as ctx:
        ctx.prec = 50
        x = Decimal(r)
        vn = (x + 1) * (-x).exp()
        for _ in range(layers - 2):
            x = -(vn / x + (-x).exp()).ln()
        return float(vn / x + (-x).exp() - 1)


def test_exponential_ziggurat_constants_close_the_layers():
    """R of 1024 layers, and numpy's 256-layer ``ziggurat_exp_r``, solve the same closure.

    A relative error ``δ`` in ``R`` changes the closure by about ``10^5 δ`` (256 layers), so
    numpy's 29 digits close its layers to 2e-27 and ours (35 digits) to 1e-30.
    """
    assert abs(_exp_closure(256, "7.6971174701310497140446280481")) < 1e-25
    assert abs(_exp_closure(R.EXP_LAYERS, R._ER_TEXT)) < 1e-28
    assert abs(_exp_closure(R.EXP_LAYERS, str(R._ER * 1.01))) > 1e-3  # the check can fail
    with localcontext() as ctx:  # v = R e^-R + the tail's area e^-R
        ctx.prec = 50
        rr = Decimal(R._ER_TEXT)
        assert abs((rr + 1) * (-rr).exp() - Decimal(R._EV_TEXT)) < Decimal("1e-40")


def test_stored_exponential_tables_are_the_computed_ones():
    K, W, F = R._exp_ziggurat_tables()
    assert np.array_equal(K, R._EK) and np.array_equal(W, R._EW) and np.array_equal(F, R._EF)
    v = float(R._EV_TEXT)
    assert R._EW[-1] == R._ER and R._EK[1] == 0.0 and R._EF[0] == 1.0
    assert R._EW[0] * R._EF[-1] == pytest.approx(v, rel=1e-14)  # the base strip, q e^-R = v
    areas = R._EW[1:] * (R._EF[:-1] - R._EF[1:])  # layer i: x_i (f(x_{i-1}) - f(x_i)) = v
    np.testing.assert_allclose(areas[1:], v, rtol=1e-9)
    np.testing.assert_allclose(R._EF[1:], np.exp(-R._EW[1:]), rtol=1e-15)
    assert np.all(np.diff(R._EW[1:]) > 0) and np.all(np.diff(R._EF[1:]) < 0)
    # K_i = x_{i-1} / x_i rounded down to 52 bits (the float ratio of the rounded x: 2 ulps)
    ratio = R._EW[1:-1] / R._EW[2:]
    assert np.all((R._EK[2:] <= ratio + 2**-51) & (R._EK[2:] > ratio - 2**-50))
    assert R._EK[0] == math.floor(R._ER / R._EW[0] * 2**52) * 2**-52  # K_0 = R / q
    assert np.sum(1.0 - R._EK) / R.EXP_LAYERS < 0.0065  # the slow path: 0.64% of the words


def test_stored_tables_are_the_computed_ones():
    K, W, F = R._ziggurat_tables()
    assert np.array_equal(K, R._K) and np.array_equal(W, R._W) and np.array_equal(F, R._F)
    v = float(R._V_TEXT)
    assert R._W[-1] == R._R and R._K[1] == 0.0 and R._F[0] == 1.0
    assert R._W[0] * R._F[-1] == pytest.approx(v, rel=1e-14)  # the base strip, q f(R) = v
    areas = R._W[1:] * (R._F[:-1] - R._F[1:])  # layer i: x_i (f(x_{i-1}) - f(x_i)) = v
    np.testing.assert_allclose(areas[1:], v, rtol=1e-9)
    assert np.all(np.diff(R._W[1:]) > 0) and np.all(np.diff(R._F[1:]) < 0)
    assert np.sum(1.0 - R._K) / R.LAYERS < 0.0043  # the slow path: 0.43% of the words


# ------------------------------------------------------------------ distributions (10^6)


def _ks_ok(x, cdf):
    """KS at level 1e-4 (sqrt(n) D < 2.2 for large n): a wrong law at 10^6 fails by far."""
    d = stats.kstest(x, cdf).statistic
    assert math.sqrt(x.shape[0]) * d < 2.2, d


def _moment_ok(x, k, exact, exact_2k):
    """Sample k-th moment within 6 standard errors of E z^k (CLT; Var = E z^2k − (E z^k)^2)."""
    se = math.sqrt((exact_2k - exact**2) / x.shape[0])
    got = float(np.mean(x**k))
    assert abs(got - exact) < 6 * se, (k, got, exact, se)


def _double_factorial(m):
    return math.prod(range(m, 0, -2)) if m > 0 else 1


def test_normal_distribution():
    x = R.draw(R.fast_stream(11), "gaussian", N)
    _ks_ok(x, stats.norm.cdf)
    for k in range(1, 9):
        ek = 0.0 if k % 2 else float(_double_factorial(k - 1))
        _moment_ok(x, k, ek, float(_double_factorial(2 * k - 1)))
    # chi-squared on 100 equiprobable bins, at level 1e-4
    edges = stats.norm.ppf(np.linspace(0, 1, 101)[1:-1])
    counts = np.bincount(np.searchsorted(edges, x), minlength=100)
    chi2 = float(np.sum((counts - N / 100) ** 2 / (N / 100)))
    assert chi2 < stats.chi2.ppf(1 - 1e-4, 99), chi2
    # tails: |x| > 4 has probability 6.33e-5; binomial count within 5 standard deviations
    p4 = 2 * stats.norm.sf(4.0)
    count = int(np.sum(np.abs(x) > 4.0))
    assert abs(count - N * p4) < 5 * math.sqrt(N * p4), count
    # the tail layer itself (|x| > R = 3.654): probability 2.58e-4
    pr = 2 * stats.norm.sf(R._R)
    count = int(np.sum(np.abs(x) > R._R))
    assert abs(count - N * pr) < 5 * math.sqrt(N * pr), count


def test_uniform_distribution():
    x = R.draw(R.fast_stream(12), "uniform", N)
    s3 = math.sqrt(3.0)
    assert x.min() >= -s3 and x.max() < s3
    _ks_ok(x, stats.uniform(loc=-s3, scale=2 * s3).cdf)
    _moment_ok(x, 2, 1.0, 9.0 / 5.0)
    _moment_ok(x, 4, 9.0 / 5.0, 9.0)  # E z^k = 3^(k/2) / (k + 1)


def test_rademacher_distribution():
    x = R.draw(R.fast_stream(13), "rademacher", N)
    assert set(np.unique(x)) == {-1.0, 1.0}
    # the mean, and the products of neighbours (independence of the bits of a word and of
    # consecutive words), within 6 standard errors of 0 (each term has variance 1)
    assert abs(x.mean()) < 6 / math.sqrt(N)
    assert abs(np.mean(x[1:] * x[:-1])) < 6 / math.sqrt(N)
    assert abs(np.mean(x[64:] * x[:-64])) < 6 / math.sqrt(N)
    # per bit position within a word: each of the 64 positions is fair
    pos = x[: (N // 64) * 64].reshape(-1, 64).mean(axis=0)
    assert np.all(np.abs(pos) < 6 / math.sqrt(N // 64))


def test_mixture_distribution():
    x = R.draw(R.fast_stream(14), "mixture", N)
    mu, tau = R._MIX_MU, R._MIX_TAU

    def cdf(t):
        return 0.5 * stats.norm.cdf((t - mu) / tau) + 0.5 * stats.norm.cdf((t + mu) / tau)

    _ks_ok(x, cdf)
    m4 = mu**4 + 6 * mu**2 * tau**2 + 3 * tau**4
    m8 = mu**8 + 28 * mu**6 * tau**2 + 210 * mu**4 * tau**4 + 420 * mu**2 * tau**6 + 105 * tau**8
    _moment_ok(x, 1, 0.0, 1.0)
    _moment_ok(x, 2, 1.0, m4)
    _moment_ok(x, 4, m4, m8)


def test_student_t_distribution():
    x = R.draw(R.fast_stream(15), "student-t", N)
    scale = math.sqrt(3.0 / 5.0)
    _ks_ok(x, stats.t(df=5, scale=scale).cdf)
    # the variance is 1; E z^4 = 9 but its variance is infinite (nu = 5), so the CLT applies
    # to the second moment only (E z^4 = 9 is a finite fourth moment, checked loosely)
    assert abs(float(np.mean(x**2)) - 1.0) < 0.02
    assert abs(float(np.median(x))) < 0.01


def _subfactorial(m):
    """``!m``: E (E − 1)^m for E ~ Exp(1) (the centred exponential's moments)."""
    a, b = 1, 0  # !0, !1
    for j in range(2, m + 1):
        a, b = b, (j - 1) * (a + b)
    return a if m == 0 else b


def _poisson_ok(count, mean):
    """A Poisson count inside its central 1 − 1e-4 interval."""
    lo, hi = stats.poisson.ppf(5e-5, mean), stats.poisson.isf(5e-5, mean)
    assert lo <= count <= hi, (count, mean, lo, hi)


def test_exponential_distribution():
    """E − 1 of the exponential ziggurat: KS, χ², moments 1-4, the tail beyond R and beyond means.

    Expected beyond R = 9.256 (the tail layer): 95.4; beyond 5, 8, 10 and 12 means: 6 738,
    335, 45.4 and 6.1 (Poisson intervals at level 1e-4).
    """
    x = R.draw(R.fast_stream(16), "exponential", N)
    assert x.min() >= -1.0
    _ks_ok(x, stats.expon(loc=-1.0).cdf)
    for k in range(1, 5):
        _moment_ok(x, k, float(_subfactorial(k)), float(_subfactorial(2 * k)))
    edges = stats.expon(loc=-1.0).ppf(np.linspace(0, 1, 101)[1:-1])
    counts = np.bincount(np.searchsorted(edges, x), minlength=100)
    chi2 = float(np.sum((counts - N / 100) ** 2 / (N / 100)))
    assert chi2 < stats.chi2.ppf(1 - 1e-4, 99), chi2
    e = x + 1.0
    for t in (R._ER, 5.0, 8.0, 10.0, 12.0):
        _poisson_ok(int(np.sum(e > t)), N * math.exp(-t))


@njit(cache=False)  # numba caches do not see a change of _rng: compile afresh
def _tail_draws(aux, m):  # pragma: no cover - compiled
    out = np.empty(m)
    for i in range(m):
        out[i] = R._slow(aux, 0, 0.0, False)
    return out


def test_tail_algorithm_has_the_normal_tail():
    """The slow path's tail (layer 0): |z| given |z| > R, checked beyond 5 and 6 sigma.

    10^8 normals see 0.2 values beyond 6 sigma, so the tail is checked on its own: 10^6 draws
    of the tail algorithm expect 10 673 beyond 5 sigma and 36.7 beyond 6.
    """
    x = _tail_draws(np.random.SeedSequence(21).generate_state(4, np.uint64), N)
    r = R._R
    qr = stats.norm.sf(r)
    assert np.all(x > r)
    _ks_ok(x[:100_000], lambda t: 1.0 - stats.norm.sf(t) / qr)
    for t in (5.0, 6.0):
        p = stats.norm.sf(t) / qr
        count = int(np.sum(x > t))
        assert abs(count - N * p) < 5 * math.sqrt(N * p), (t, count, N * p)


@njit(cache=False)  # numba caches do not see a change of _rng
def _exp_tail_draws(aux, m):  # pragma: no cover - compiled
    out = np.empty(m)
    for i in range(m):
        out[i] = R._exp_slow(aux, 0, 0.0)
    return out


def test_exponential_tail_algorithm_is_r_plus_an_exponential():
    """The exponential's tail (layer 0) alone: E given E > R is R + Exp(1).

    10^6 draws: KS of E − R against Exp(1), and the counts beyond R + 5 and R + 10 (6 738 and
    45.4 expected: 10^8 exponentials see only 0.004 values beyond R + 10).
    """
    x = _exp_tail_draws(np.random.SeedSequence(22).generate_state(4, np.uint64), N)
    assert np.all(x > R._ER)
    _ks_ok(x[:100_000] - R._ER, stats.expon.cdf)
    for t in (5.0, 10.0):
        _poisson_ok(int(np.sum(x - R._ER > t)), N * math.exp(-t))


@njit(cache=False)  # numba caches do not see a change of _rng
def _exp_slow_draws(aux, idx, xs):  # pragma: no cover - compiled
    out = np.empty(xs.shape[0])
    for i in range(xs.shape[0]):
        out[i] = R._exp_slow(aux, idx, xs[i])
    return out


@pytest.mark.parametrize("idx", [1, 2, 300, R.EXP_LAYERS - 1])
def test_exponential_wedge_keeps_x_with_the_density_s_probability(idx):
    """A rejected candidate ``x`` of layer ``idx`` is kept with probability
    ``(e^{−x} − F_idx) / (F_{idx−1} − F_idx)`` (the point under the curve), else replaced.

    2·10^4 candidates spread evenly over the layer's rejected part ``[K W, W)``, counted in
    its left and right halves (kept counts within 6 binomial standard deviations; the
    replaced ones a fresh Exp(1), KS): an
    inverted test keeps the left half's points with probability ≈ 1/4 instead of ≈ 3/4,
    which the whole law hides (the wedges hold 0.3% of the mass, spread over all layers).
    """
    W, K, F = R._EW, R._EK, R._EF
    lo = K[idx] * W[idx]
    xs = lo + (W[idx] - lo) * (np.arange(20_000) + 0.5) / 20_000
    aux = np.random.SeedSequence(23 + idx).generate_state(4, np.uint64)
    got = _exp_slow_draws(aux, idx, xs)
    kept = got == xs
    p = (np.exp(-xs) - F[idx]) / (F[idx - 1] - F[idx])
    for half in (slice(0, 10_000), slice(10_000, None)):
        mean, var = float(np.sum(p[half])), float(np.sum(p[half] * (1 - p[half])))
        assert abs(int(np.sum(kept[half])) - mean) < 6 * math.sqrt(var) + 1, (idx, half)
    _ks_ok(got[~kept], stats.expon.cdf)  # the others replaced by a fresh Exp(1)
