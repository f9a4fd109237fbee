"""The fast stream's laws on 10^8 draws (issue 25): binned KS, chi-squared, moments, tails.

For each law of ``--laws`` (default: all five symmetric laws and the exponential), draws
``--draws`` values of :mod:`convotron._compiled._rng` (seed ``--seed``) in chunks of 10^7 and
accumulates: counts in 10^4 equiprobable bins of the law (chi-squared at level 1e-4, and the
KS distance at the bin edges, a lower bound of the exact KS distance, against 2.2/sqrt(n),
level about 1e-4), the power sums of the orders whose CLT applies (each moment within 6
standard errors), and for the normal the counts beyond 4, 5 and 6 sigma, for the exponential
``E = z + 1`` the counts beyond its ziggurat's ``R`` (9.256) and beyond 5, 10 and 15 means
(Poisson, level 1e-4). Beyond 6 sigma 10^8 normals expect only 0.2 values, so the tail
algorithm is also checked on its own (with ``gaussian`` among the laws): 10^7 draws of the
ziggurat's tail (``_rng._slow`` at layer 0, the law of ``|z|`` given ``|z| > R``) against
the normal's conditional tail (binned KS, and the counts beyond 5, 6 and 7 sigma: about
10^5, 370 and 0.5 expected); likewise the exponential's (with ``exponential``): 10^7 draws
of ``_rng._exp_slow`` at layer 0, ``E − R`` against Exp(1), counts beyond ``R`` + 5, 10, 15
(67 379, 454 and 3.1 expected). Exit status 1 if a check fails.

Usage::

    python benchmarks/check_rng.py [--draws 100000000] [--seed 2026] [--laws gaussian,...]
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from numba import njit
from scipy import stats

from convotron._compiled import _rng as R

BINS = 10_000
CHUNK = 10_000_000
MU, TAU = R._MIX_MU, R._MIX_TAU
S3 = math.sqrt(3.0)


def _dfact(j):
    return math.prod(range(j, 0, -2)) if j > 0 else 1


def _subfactorial(m):
    a, b = 1, 0  # !0, !1
    for j in range(2, m + 1):
        a, b = b, (j - 1) * (a + b)
    return a if m == 0 else b


def _mixture_ppf(p):
    """Inverse of the mixture's CDF (bisection, vectorised; 60 halvings)."""
    lo = np.full_like(p, -12.0)
    hi = np.full_like(p, 12.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        c = 0.5 * stats.norm.cdf((mid - MU) / TAU) + 0.5 * stats.norm.cdf((mid + MU) / TAU)
        lo = np.where(c < p, mid, lo)
        hi = np.where(c < p, hi, mid)
    return (lo + hi) / 2


def _mix_moment(k):
    # E (mu s + tau g)^k = sum_j C(k, j) mu^(k-j) E s^(k-j) tau^j E g^j
    total = 0.0
    for j in range(0, k + 1, 2):
        if (k - j) % 2 == 0:
            total += math.comb(k, j) * MU ** (k - j) * TAU**j * _dfact(j - 1)
    return total


# law: (ppf of equiprobable edges, {k: (E z^k, E z^2k)})
LAWS = {
    "gaussian": (
        stats.norm.ppf,
        {
            k: (0.0 if k % 2 else float(_dfact(k - 1)), float(_dfact(2 * k - 1)))
            for k in range(1, 9)
        },
    ),
    "uniform": (
        stats.uniform(loc=-S3, scale=2 * S3).ppf,
        {k: (0.0 if k % 2 else S3**k / (k + 1), S3 ** (2 * k) / (2 * k + 1)) for k in range(1, 9)},
    ),
    "mixture": (_mixture_ppf, {k: (_mix_moment(k), _mix_moment(2 * k)) for k in range(1, 9)}),
    # t_5: moments of order < 5 exist, so the CLT applies to orders 1 and 2 only
    "student-t": (stats.t(df=5, scale=math.sqrt(3 / 5)).ppf, {1: (0.0, 1.0), 2: (1.0, 9.0)}),
    # E (E - 1)^k = !k (subfactorial); orders 1-6 (the mean of z^8 is still skewed at 10^8)
    "exponential": (
        stats.expon(loc=-1.0).ppf,
        {k: (float(_subfactorial(k)), float(_subfactorial(2 * k))) for k in range(1, 7)},
    ),
}
EXP_TAILS = (None, 5.0, 10.0, 15.0)  # E beyond R (None) and beyond these means


@njit(cache=False, nogil=True)  # a cache would not see a change of _rng
def _tails(aux, m):  # pragma: no cover - compiled
    out = np.empty(m)
    for i in range(m):
        out[i] = R._slow(aux, 0, 0.0, False)
    return out


@njit(cache=False, nogil=True)
def _exp_tails(aux, m):  # pragma: no cover - compiled
    out = np.empty(m)
    for i in range(m):
        out[i] = R._exp_slow(aux, 0, 0.0)
    return out


def _binned(counts, n, label):
    expected = n / BINS
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    limit = float(stats.chi2.ppf(1 - 1e-4, BINS - 1))
    ecdf = np.cumsum(counts)[:-1] / n
    d = float(np.max(np.abs(ecdf - np.arange(1, BINS) / BINS)))
    ok = chi2 < limit and math.sqrt(n) * d < 2.2
    print(f"  {label}: chi-squared {chi2:.1f} on {BINS - 1} dof (limit {limit:.1f}); "
          f"binned KS sqrt(n) D = {math.sqrt(n) * d:.3f} (limit 2.2)")  # fmt: skip
    return ok


def _poisson(count, mean, label):
    lo, hi = stats.poisson.ppf(5e-5, mean), stats.poisson.isf(5e-5, mean)
    print(f"  {label}: {count} (expected {mean:.2f}, 1e-4 interval [{lo:g}, {hi:g}])")
    return bool(lo <= count <= hi)


def check_law(name, draws, seed):
    ppf, moments = LAWS[name]
    st = R.fast_stream(seed)
    edges = ppf(np.arange(1, BINS) / BINS)
    counts = np.zeros(BINS, np.int64)
    sums = dict.fromkeys(moments, 0.0)
    tails = {4.0: 0, 5.0: 0, 6.0: 0}
    exp_tails = {R._ER if t is None else t: 0 for t in EXP_TAILS}
    done = 0
    while done < draws:
        m = min(CHUNK, draws - done)
        x = R.draw(st, name, m)
        counts += np.bincount(np.searchsorted(edges, x), minlength=BINS)
        for k in sums:
            sums[k] += float(np.sum(x**k))
        if name == "gaussian":
            for t in tails:
                tails[t] += int(np.sum(np.abs(x) > t))
        if name == "exponential":
            for t in exp_tails:
                exp_tails[t] += int(np.sum(x + 1.0 > t))
        done += m
    print(f"{name}: {draws} draws, seed {seed}")
    ok = _binned(counts, draws, "law")
    for k, (ek, e2k) in moments.items():
        z = (sums[k] / draws - ek) / math.sqrt((e2k - ek**2) / draws)
        print(f"  E z^{k}: {sums[k] / draws:.6f} (exact {ek:.6g}, {z:+.2f} standard errors)")
        ok &= abs(z) < 6
    if name == "gaussian":
        for t, c in tails.items():
            ok &= _poisson(c, draws * 2 * stats.norm.sf(t), f"|z| > {t:g}")
    if name == "exponential":
        for t, c in exp_tails.items():
            ok &= _poisson(c, draws * math.exp(-t), f"E = z + 1 > {t:g}")
    return ok


def check_tail(m, seed):
    """The tail algorithm alone: the law of |z| given |z| > R, and its counts beyond 5-7."""
    aux = np.random.SeedSequence(seed).generate_state(4, np.uint64)
    x = _tails(aux, m)
    r = R._R
    qr = stats.norm.sf(r)
    print(f"tail (|z| given |z| > R = {r:.6f}): {m} draws of the tail algorithm")
    p = np.arange(1, BINS) / BINS
    edges = stats.norm.isf(qr * (1 - p))  # P(X <= t | X > R) = 1 - Q(t) / Q(R)
    ok = bool(np.all(x > r))
    ok &= _binned(np.bincount(np.searchsorted(edges, x), minlength=BINS), m, "conditional law")
    for t in (5.0, 6.0, 7.0):
        ok &= _poisson(int(np.sum(x > t)), m * stats.norm.sf(t) / qr, f"beyond {t:g} sigma")
    return ok


def check_exp_tail(m, seed):
    """The exponential's tail algorithm alone: E − R given E > R is Exp(1)."""
    aux = np.random.SeedSequence(seed).generate_state(4, np.uint64)
    x = _exp_tails(aux, m) - R._ER
    print(f"exponential tail (E - R given E > R = {R._ER:.6f}): {m} draws of the tail algorithm")
    edges = stats.expon.ppf(np.arange(1, BINS) / BINS)
    ok = bool(np.all(x > 0))
    ok &= _binned(np.bincount(np.searchsorted(edges, x), minlength=BINS), m, "Exp(1)")
    for t in (5.0, 10.0, 15.0):
        ok &= _poisson(int(np.sum(x > t)), m * math.exp(-t), f"beyond R + {t:g}")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000_000)
    parser.add_argument("--tail-draws", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--laws", default=",".join(LAWS))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    ok = True
    names = [name.strip() for name in args.laws.split(",")]
    for i, name in enumerate(names):  # one seed per law: independent checks
        ok &= check_law(name, args.draws, args.seed + i)
    if "gaussian" in names:
        ok &= check_tail(args.tail_draws, args.seed)
    if "exponential" in names:
        ok &= check_exp_tail(args.tail_draws, args.seed)
    verdict = "PASS" if ok else "FAIL"
    print(f"{time.perf_counter() - t0:.1f} s: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
