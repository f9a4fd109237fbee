r"""Size limits and the cost model of the exact certificate, checked before any work starts.

Part of :mod:`convotron_theory.spectra`. :func:`check_sizes` refuses, with a
:class:`~convotron_theory.TheoryError`
naming what, the rule, the value and the fix, a scheme whose overlap matrix or eigensolve would
exhaust memory or time, before anything of size :math:`n` or :math:`r^2` is allocated.
:func:`exact_cost_seconds` estimates the time of the exact rational :math:`LDL^\top` path
(building :math:`M` in rationals, then Bareiss) so that ``check_scheme(exact=None)`` takes it
only when it is cheap and ``exact=True`` refuses what would not finish. Never imports
:mod:`convotron`.

Limits (each a module constant; measured on the reference machine, 2 shared cores):

* :data:`MAX_N` :math:`= 10^7`: a count row of :math:`P` is :math:`8n` bytes (80 MB at the
  limit); ``check_scheme(2**40, ...)`` would ask for 8 TiB.
* :data:`MAX_R` :math:`= 4096`: :math:`M` is :math:`r \times r` (128 MiB at the limit, about
  six such arrays live at once: < 1 GiB) and the symmetric eigensolve costs :math:`\sim 4r^3`
  flops; :math:`r = 8192` took more than 90 s, :math:`r = 10^5` would need 74.5 GiB.
* :data:`MAX_KR` :math:`= 5 \cdot 10^7`: index entries :math:`k r` (400 MB of ``int64``; the
  issue-3 benchmark needs 1.6e7 for :math:`n = 10^6, r = 16`), each read
  once per filter position.
* :data:`MAX_OVERLAP_WORK` :math:`= 2^{37}`: multiply-adds :math:`r^2 n` of the dense
  count-row products that build :math:`M` (about 1.4e11: tens of seconds of BLAS).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import TheoryError

__all__ = [
    "AUTO_EXACT_MAX_SECONDS",
    "EXACT_MAX_SECONDS",
    "MAX_KR",
    "MAX_N",
    "MAX_OVERLAP_WORK",
    "MAX_R",
    "check_sizes",
    "exact_cost_seconds",
]

MAX_N = 10**7
MAX_R = 4096
MAX_KR = 5 * 10**7
MAX_OVERLAP_WORK = 2**37
#: ``exact=None`` takes the exact path only when its estimated time is at most this.
AUTO_EXACT_MAX_SECONDS = 2.0
#: ``exact=True`` refuses when the estimated time of the exact path exceeds this.
EXACT_MAX_SECONDS = 120.0


def check_sizes(n: int, k: int, r: int) -> None:
    """Raise :class:`TheoryError` when a scheme is too large to check (see module docstring)."""
    rules = [
        (n > MAX_N, f"the input dimension n must be at most {MAX_N:,}; got n={n:,}",
         "a count row of P alone takes 8n bytes"),
        (r > MAX_R, f"the filter size r must be at most {MAX_R:,}; got r={r:,}",
         f"M is r x r ({8 * r * r / 2**30:.3g} GiB) and its eigensolve costs ~4r^3 flops"),
        (k * r > MAX_KR, f"the scheme may hold at most {MAX_KR:,} index entries k*r; got "
         f"k*r = {k:,}*{r:,} = {k * r:,}", "every entry is read once per filter position"),
        (r * r * n > MAX_OVERLAP_WORK, f"r^2 * n must be at most 2^37 = {MAX_OVERLAP_WORK:,} "
         f"multiply-adds; got {r:,}^2 * {n:,} = {r * r * n:,}",
         "M = P Σ Pᵀ is built from dense count rows"),
    ]  # fmt: skip
    for bad, what, why in rules:
        if bad:
            raise TheoryError(
                f"scheme too large to check: {what} ({why}). Use a smaller scheme (fewer "
                "patch positions or a smaller input), or check a scaled-down version of it."
            )


# ---- cost model of the exact path ----------------------------------------------------------
# Calibration (2026-11-30, the reference machine under load, Python ints / Fractions):
#   Bareiss on r x r integers of b0 bits:  T ~ 6e-7 s * sum_c (r-c-1)^2 (1 + ((c+2) b0/64)^1.585)
#     measured/model: r=16,b0=136: 0.012 s (1.8e-7); r=16,b0=265: 0.042 s (2.2e-7);
#     r=32,b0=265: 0.86 s (2.1e-7); r=32,b0=8: 0.016 s (6.1e-7); r=16,b0=430: 0.13 s (3.1e-7);
#     r=32,b0=856: 9.5 s (3.6e-7)  -> coefficient 6e-7 (the largest, rounded up).
#   AR(1) exact M (distance histograms + Fraction sums), stride schemes n=128..512, r=16..32:
#     T ~ 2e-8 s * sum_{a<=b} nnz_a nnz_b + 2e-5 s * (r(r+1)/2) * span * (1 + span log2 q/1000)
#     e.g. n=256,r=32,rho=0: 2.9 s; n=512,r=32,rho=0: 7.0 s; n=256,r=32,rho=1/2: 3.6 s.
#   Diagonal / dense rational Σ: Python Fraction multiply-adds at ~2e-5 s each.
_BAREISS_S = 6e-7
_HIST_S = 2e-8
_FRACTION_S = 2e-5


def _bareiss_seconds(r: int, b0: float) -> float:
    c = np.arange(r, dtype=np.float64)
    return float(_BAREISS_S * np.sum((r - c - 1) ** 2 * (1.0 + ((c + 2) * b0 / 64.0) ** 1.585)))


def _denominator_bits(values: list[Any]) -> float:
    """log2 of the lcm of the denominators of exact rationals (Fractions)."""
    lcm = 1
    for v in values:
        lcm = lcm * v.denominator // math.gcd(lcm, v.denominator)
        if lcm.bit_length() > 10**6:
            break
    return float(lcm.bit_length())


def exact_cost_seconds(
    idx: np.ndarray, n: int, kind: str, exact_payload: Any, max_abs_entry: float
) -> float:
    r"""Estimate the seconds of the exact path (see the calibration above).

    Parameters
    ----------
    idx : numpy.ndarray, shape (k, r)
    n : int
    kind : str
        ``identity``, ``diag``, ``ar1`` or ``dense``.
    exact_payload : Any
        Σ's parameters as exact ``Fraction`` objects; ``None`` (identity, or not yet converted)
        leaves out the denominators' bits, which gives a lower estimate.
    max_abs_entry : float
        :math:`\max|M_{ab}|` (from the float matrix), for the bit size of the entries.
    """
    r = idx.shape[1]
    mag = math.log2(max(max_abs_entry, 1.0)) + 2.0
    if kind == "identity":
        return _bareiss_seconds(r, mag)
    # distinct coordinates read by each filter position
    nnz = np.asarray(  # -1 (padding) reads nothing
        [np.count_nonzero(np.bincount(idx[:, a] + 1)[1:]) for a in range(r)], dtype=np.float64
    )
    if kind == "ar1":
        rho = exact_payload
        read = idx[idx >= 0]
        span = float(read.max() - read.min()) if read.size else 0.0
        qbits = (
            1.0
            if rho is None
            else 0.0
            if rho == 0
            else math.log2(max(abs(rho.numerator), rho.denominator, 2))
        )
        b0 = mag + span * qbits
        pairs = r * (r + 1) / 2
        hist = (float(np.sum(nnz) ** 2) + float(np.sum(nnz**2))) / 2
        build = _HIST_S * hist + _FRACTION_S * pairs * (span + 1) * (1 + span * qbits / 1000)
    elif kind == "diag":
        b0 = mag + (0.0 if exact_payload is None else _denominator_bits(list(exact_payload)))
        build = _FRACTION_S * r * float(np.sum(nnz))
    else:
        b0 = mag + (
            0.0
            if exact_payload is None
            else _denominator_bits([v for row in exact_payload for v in row])
        )
        build = _FRACTION_S * (r * n * float(np.mean(nnz)) + r * float(np.sum(nnz)))
    return build + _bareiss_seconds(r, b0)
