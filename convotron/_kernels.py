"""Compiled inner loops of Convotron and its SGD baseline (numba, on raw arrays).

Everything here works on plain arrays so that it can be compiled once and cached:

- ``indices``: ``(k, r)`` ``int64``, row ``i`` holds the input coordinates of patch ``i``,
  so that ``P_i x = x[indices[i]]`` (``../shared/spec/convotron-theory.md`` §1, [paper]);
  an entry ``-1`` (``convotron.patches.PAD``, a conv layer's zero padding) reads 0. Every
  gather goes through :func:`_read`: numba does not check bounds, so a bare ``X[s, -1]``
  would silently read the last coordinate;
- ``X``: ``(m, n)`` ``float64`` C-contiguous, one sample per row; ``y``: ``(m,)`` ``float64``;
- ``w``: ``(r,)`` ``float64``, updated **in place**.

The kernels are compiled with ``nogil=True`` (so that :func:`convotron.many.run_many`
can run several of them at once in threads), ``cache=True`` (compiled once per machine)
and ``fastmath=False`` (no reassociation: a run is bitwise reproducible for a fixed seed).

The readable versions that the tests compare these kernels with, step for step, are
:func:`convotron.algorithm.convotron_reference` and :func:`convotron.baselines.sgd_reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._limits import DIVERGENCE_LIMIT

__all__ = [
    "MODE_CONVOTRON",
    "MODE_SGD",
    "STATUS_BAD_SAMPLE",
    "STATUS_DIVERGED",
    "STATUS_OK",
    "predict_rows",
    "run_updates",
]

#: ``mode`` of :func:`run_updates`: Algorithm 1, ``G = (y − f_w(x)) Σ_i P_i x`` (no σ′).
MODE_CONVOTRON = 0
#: ``mode`` of :func:`run_updates`: SGD on ``½(y − f_w(x))²``,
#: ``G = (y − f_w(x)) (1/k) Σ_i σ′(wᵀP_i x) P_i x``.
MODE_SGD = 1

#: Status codes returned by :func:`run_updates`.
STATUS_OK = 0
STATUS_DIVERGED = 1  # the weights became non-finite or > DIVERGENCE_LIMIT (step too large)
STATUS_BAD_SAMPLE = 2  # a sample (x, y) is non-finite while the weights are finite


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _read(X, s, c):  # pragma: no cover - compiled
    """``X[s, c]``, or 0.0 for the padding sentinel ``c = -1``."""
    return X[s, c] if c >= 0 else 0.0


@njit(cache=True, nogil=True, fastmath=False)
def predict_rows(w, X, indices, alpha, out):  # pragma: no cover - compiled
    """Write ``f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)`` for every row ``x`` of ``X`` into ``out``.

    ``σ`` is the leaky ReLU with slope ``alpha`` ([paper] §1). The compiled counterpart of
    :func:`convotron.model.predict`, used where labels must be computed at the speed of
    the inner loop (benchmarks, fast teachers).
    """
    k, r = indices.shape
    inv_k = 1.0 / k
    for s in range(X.shape[0]):
        f = 0.0
        i = 0
        # four patches at a time: four independent accumulators hide the add latency;
        # each z_i is still summed over a = 0..r-1 in order (bitwise the same as one by one)
        while i + 4 <= k:
            z0 = 0.0
            z1 = 0.0
            z2 = 0.0
            z3 = 0.0
            for a in range(r):
                wa = w[a]
                z0 += wa * _read(X, s, indices[i, a])
                z1 += wa * _read(X, s, indices[i + 1, a])
                z2 += wa * _read(X, s, indices[i + 2, a])
                z3 += wa * _read(X, s, indices[i + 3, a])
            f += z0 if z0 >= 0.0 else alpha * z0
            f += z1 if z1 >= 0.0 else alpha * z1
            f += z2 if z2 >= 0.0 else alpha * z2
            f += z3 if z3 >= 0.0 else alpha * z3
            i += 4
        while i < k:
            acc = 0.0
            for a in range(r):
                acc += w[a] * _read(X, s, indices[i, a])
            f += acc if acc >= 0.0 else alpha * acc
            i += 1
        out[s] = f * inv_k
    return out


@njit(cache=True, nogil=True, fastmath=False)
def run_updates(  # pragma: no cover - compiled
    w,
    X,
    y,
    indices,
    alpha,
    eta,
    batch,
    only_patch,
    mode,
    deriv_at_zero,
    w_star,
    record_every,
    t0,
    hist,
    eps,
    first_hit,
):
    """Perform ``X.shape[0] // batch`` updates of Convotron or SGD on ``w``, in place.

    One update ``t`` (``t = t0 + 1, t0 + 2, ...`` counted over the whole run) uses the
    ``batch`` rows ``X[(t − t0 − 1) batch : (t − t0) batch]`` in order:

    ``G = (1/B) Σ_b g(x_b, y_b)``, ``w ← w + eta G``, with, for ``mode == MODE_CONVOTRON``,
    ``g = (y − f_w(x)) Σ_i P_i x`` (Algorithm 1, [paper]) or ``g = (y − f_w(x)) P_j x`` when
    ``only_patch = j >= 0`` (the disjoint-patch variant, [paper]); for ``mode == MODE_SGD``,
    ``g = (y − f_w(x)) (1/k) Σ_i σ′(wᵀ P_i x) P_i x`` with ``σ′(z) = 1`` for ``z > 0``,
    ``alpha`` for ``z < 0`` and ``deriv_at_zero`` at ``z = 0``.

    Parameters
    ----------
    w : (r,) float64
        Current filter, updated in place.
    X, y : (m, n) float64, (m,) float64
        Samples, consumed in order.
    indices : (k, r) int64
        Patch index array.
    alpha, eta : float
        Leaky-ReLU slope and step size.
    batch : int
        Samples per update ``B``.
    only_patch : int
        Patch to update along (Convotron only), ``-1`` for all patches.
    mode : int
        ``MODE_CONVOTRON`` or ``MODE_SGD``.
    deriv_at_zero : float
        ``σ′(0)`` for SGD.
    w_star : (r,) or (0,) float64
        Target filter, used **only** to record ``‖w_t − w*‖²``; empty to record nothing.
    record_every : int
        Record ``‖w_t − w*‖²`` into ``hist[t // record_every]`` when ``record_every``
        divides ``t``; ``0`` records nothing.
    t0 : int
        Updates done before this call.
    hist : float64 array
        Recording buffer (see ``record_every``).
    eps : float
        If ``>= 0`` and ``first_hit[0] < 0``, set ``first_hit[0] = t`` at the first update
        after which ``‖w_t − w*‖² <= eps`` (checked at every update).
    first_hit : (1,) int64
        See ``eps``.

    Returns
    -------
    status : int
        ``STATUS_OK``, ``STATUS_DIVERGED`` or ``STATUS_BAD_SAMPLE``.
    t : int
        Updates done in total (``t0 + m // batch`` on success), or the (1-based) update at
        which the problem appeared.
    """
    k, r = indices.shape
    n_updates = X.shape[0] // batch
    inv_k = 1.0 / k
    inv_b = 1.0 / batch
    track = w_star.shape[0] > 0
    G = np.zeros(r)
    px = np.zeros(r)
    z = np.zeros(k)
    for u in range(n_updates):
        t = t0 + u + 1
        for a in range(r):
            G[a] = 0.0
        for b in range(batch):
            s = u * batch + b
            # forward pass: z_i = wᵀ P_i x, f = (1/k) Σ_i σ(z_i); px = Σ_i P_i x on the way.
            # Four patches at a time (independent accumulators hide the add latency); every
            # sum keeps its order (z_i over a, px_a over i), so this is bitwise the same as
            # the plain double loop.
            for a in range(r):
                px[a] = 0.0
            f = 0.0
            i = 0
            while i + 4 <= k:
                z0 = 0.0
                z1 = 0.0
                z2 = 0.0
                z3 = 0.0
                for a in range(r):
                    x0 = _read(X, s, indices[i, a])
                    x1 = _read(X, s, indices[i + 1, a])
                    x2 = _read(X, s, indices[i + 2, a])
                    x3 = _read(X, s, indices[i + 3, a])
                    wa = w[a]
                    z0 += wa * x0
                    z1 += wa * x1
                    z2 += wa * x2
                    z3 += wa * x3
                    px[a] = (((px[a] + x0) + x1) + x2) + x3
                z[i] = z0
                z[i + 1] = z1
                z[i + 2] = z2
                z[i + 3] = z3
                f += z0 if z0 >= 0.0 else alpha * z0
                f += z1 if z1 >= 0.0 else alpha * z1
                f += z2 if z2 >= 0.0 else alpha * z2
                f += z3 if z3 >= 0.0 else alpha * z3
                i += 4
            while i < k:
                acc = 0.0
                for a in range(r):
                    xa = _read(X, s, indices[i, a])
                    acc += w[a] * xa
                    px[a] += xa
                z[i] = acc
                f += acc if acc >= 0.0 else alpha * acc
                i += 1
            f *= inv_k
            res = y[s] - f
            if not np.isfinite(res):
                # finite weights (checked after every update): either the sample is
                # non-finite, or the weights are so large that f_w(x) overflows
                if not np.isfinite(y[s]):
                    return STATUS_BAD_SAMPLE, t
                for c in range(X.shape[1]):
                    if not np.isfinite(X[s, c]):
                        return STATUS_BAD_SAMPLE, t
                return STATUS_DIVERGED, t
            if mode == MODE_CONVOTRON:
                if only_patch >= 0:
                    for a in range(r):
                        G[a] += res * _read(X, s, indices[only_patch, a])
                else:
                    for a in range(r):
                        G[a] += res * px[a]
            else:
                for i in range(k):
                    zi = z[i]
                    if zi > 0.0:
                        d = 1.0
                    elif zi < 0.0:
                        d = alpha
                    else:
                        d = deriv_at_zero
                    if d != 0.0:
                        c = res * d * inv_k
                        for a in range(r):
                            G[a] += c * _read(X, s, indices[i, a])
        total = 0.0
        big = 0.0
        for a in range(r):
            w[a] += eta * (G[a] * inv_b)
            total += w[a]
            big = max(big, abs(w[a]))
        # non-finite, or so large that ‖w − w*‖² would overflow: the run has diverged
        if not np.isfinite(total) or big > DIVERGENCE_LIMIT:
            return STATUS_DIVERGED, t
        if track:
            do_record = record_every > 0 and t % record_every == 0
            if do_record or (eps >= 0.0 and first_hit[0] < 0):
                d2 = 0.0
                for a in range(r):
                    diff = w[a] - w_star[a]
                    d2 += diff * diff
                if do_record:
                    hist[t // record_every] = d2
                if eps >= 0.0 and first_hit[0] < 0 and d2 <= eps:
                    first_hit[0] = t
    return STATUS_OK, t0 + n_updates
