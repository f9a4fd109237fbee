"""The fast stream's normal law on 10^8 draws (issue 25): binned KS, chi-squared, moments, tails.

Draws ``--draws`` normals of :mod:`convotron._rng` (seed ``--seed``) in chunks of 10^7 and
accumulates: counts in 10^4 equiprobable bins (chi-squared at level 1e-4 and the KS
statistic at the bin edges, a lower bound of the exact KS distance, at level 1e-4), the
power sums of orders 1..8 (each moment within 6 CLT standard errors of E z^k) and the
counts beyond 4, 5 and 6 sigma (binomial / Poisson at level 1e-4). Exit status 1 if a check
fails. Also checks uniform (KS, binned) on the same number of draws with ``--laws``.

Usage::

    python benchmarks/check_rng.py [--draws 100000000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from scipy import stats

from convotron import _rng as R

BINS = 10_000
CHUNK = 10_000_000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    st = R.fast_stream(args.seed)
    edges = stats.norm.ppf(np.arange(1, BINS) / BINS)
    counts = np.zeros(BINS, np.int64)
    sums = np.zeros(9)
    tails = {4.0: 0, 5.0: 0, 6.0: 0}
    done = 0
    while done < args.draws:
        m = min(CHUNK, args.draws - done)
        x = R.draw(st, "gaussian", m)
        counts += np.bincount(np.searchsorted(edges, x), minlength=BINS)
        p = np.ones(m)
        for k in range(1, 9):
            p *= x
            sums[k] += float(np.sum(p))
        for t in tails:
            tails[t] += int(np.sum(np.abs(x) > t))
        done += m
    n = done
    ok = True
    expected = n / BINS
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    limit = float(stats.chi2.ppf(1 - 1e-4, BINS - 1))
    print(f"chi-squared {chi2:.1f} on {BINS - 1} dof (limit {limit:.1f} at 1e-4)")
    ok &= chi2 < limit
    ecdf = np.cumsum(counts)[:-1] / n
    d = float(np.max(np.abs(ecdf - np.arange(1, BINS) / BINS)))
    print(f"KS at the bin edges: sqrt(n) D = {math.sqrt(n) * d:.3f} (limit 2.2 at ~1e-4)")
    ok &= math.sqrt(n) * d < 2.2

    def dfact(j):
        return math.prod(range(j, 0, -2)) if j > 0 else 1

    for k in range(1, 9):
        ek = 0.0 if k % 2 else float(dfact(k - 1))
        se = math.sqrt((dfact(2 * k - 1) - ek**2) / n)
        got = sums[k] / n
        z = (got - ek) / se
        print(f"E z^{k}: {got:.6f} (exact {ek:g}, {z:+.2f} standard errors)")
        ok &= abs(z) < 6
    for t, c in tails.items():
        p = 2 * stats.norm.sf(t)
        lo, hi = stats.poisson.ppf(5e-5, n * p), stats.poisson.isf(5e-5, n * p)
        print(f"|z| > {t:g}: {c} (expected {n * p:.2f}, 1e-4 interval [{lo:g}, {hi:g}])")
        ok &= lo <= c <= hi
    verdict = "PASS" if ok else "FAIL"
    print(f"{n} draws, seed {args.seed}, {time.perf_counter() - t0:.1f} s: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
