"""Compiled inner loops of Convotron and its SGD baseline (numba, on raw arrays).

Everything here works on plain arrays so that it can be compiled once and cached:

- ``indices``: ``(k, r)`` ``int64``, row ``i`` holds the input coordinates of patch ``i``,
  so that ``P_i x = x[indices[i]]`` (``../shared/spec/convotron-theory.md`` §1, [paper]);
  an entry ``-1`` (``convotron.patches.PAD``, a conv layer's zero padding) reads 0. Every
  gather goes through :func:`_read`: numba does not check bounds, so a bare ``x[-1]``
  would silently read the last coordinate;
- ``X``: ``(m, n)`` ``float64`` C-contiguous, one sample per row; ``y``: ``(m,)`` ``float64``;
- ``w``: ``(r,)`` ``float64``, updated **in place**.

The kernels are compiled with ``nogil=True`` (so that :func:`convotron.many.run_many`
can run several of them at once in threads), ``cache=True`` (compiled once per machine)
and ``fastmath=False`` (no reassociation: a run is bitwise reproducible for a fixed seed).

One update is the same code whatever feeds it: :func:`run_updates` (fixed rows) and
:func:`convotron._sampling.fused_updates` (fresh samples, drawn in the loop in the order that
module documents) are thin calls of the one loop :func:`_updates`, whose pooled forward pass
:func:`_forward` :func:`predict_rows` shares.

The readable versions that the tests compare these kernels with, step for step, are
:func:`convotron.algorithm.convotron_reference` and :func:`convotron.baselines.sgd_reference`.
"""

from __future__ import annotations

import math

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

# the constants of convotron.data (the tests check the draws bitwise against data.py's laws)
_SQRT3 = math.sqrt(3.0)
_MIX_MU = 0.9
_MIX_TAU = math.sqrt(1.0 - _MIX_MU**2)
_T_NU = 5.0
_T_SCALE = math.sqrt((_T_NU - 2.0) / _T_NU)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _read(x, c):  # pragma: no cover - compiled
    """``x[c]``, or 0.0 for the padding sentinel ``c = -1``."""
    return x[c] if c >= 0 else 0.0


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _sigma(z, alpha):  # pragma: no cover - compiled
    """Return the leaky ReLU ``σ(z)`` with slope ``alpha``."""
    return z if z >= 0.0 else alpha * z


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _forward(x, indices, w, alpha, px, zs, gather, v, teacher):  # pragma: no cover - compiled
    """Return ``(Σ_i σ(wᵀ P_i x), Σ_i σ(vᵀ P_i x))`` for one input ``x`` (no ``1/k``).

    With ``gather``, also write ``px = Σ_i P_i x`` and ``zs_i = wᵀ P_i x``; with ``teacher``,
    compute the second total (the teacher ``v``'s, in the same pass), else return 0.0 for it.
    The callers pass ``gather`` and ``teacher`` as constants, so numba's inlining
    (``inline="always"``) leaves only the branches they use.

    Four patches at a time: four independent accumulators hide the add latency; every sum
    keeps its order (``zs_i`` over ``a``, ``px_a`` over ``i``, the totals over ``i``), so the
    results are bitwise those of the plain double loop.
    """
    k, r = indices.shape
    if gather:
        for a in range(r):
            px[a] = 0.0
    f = 0.0
    ft = 0.0
    i = 0
    while i + 4 <= k:
        z0 = 0.0
        z1 = 0.0
        z2 = 0.0
        z3 = 0.0
        t0 = 0.0
        t1 = 0.0
        t2 = 0.0
        t3 = 0.0
        for a in range(r):
            x0 = _read(x, indices[i, a])
            x1 = _read(x, indices[i + 1, a])
            x2 = _read(x, indices[i + 2, a])
            x3 = _read(x, indices[i + 3, a])
            wa = w[a]
            z0 += wa * x0
            z1 += wa * x1
            z2 += wa * x2
            z3 += wa * x3
            if teacher:
                va = v[a]
                t0 += va * x0
                t1 += va * x1
                t2 += va * x2
                t3 += va * x3
            if gather:
                px[a] = (((px[a] + x0) + x1) + x2) + x3
        if gather:
            zs[i] = z0
            zs[i + 1] = z1
            zs[i + 2] = z2
            zs[i + 3] = z3
        f += _sigma(z0, alpha)
        f += _sigma(z1, alpha)
        f += _sigma(z2, alpha)
        f += _sigma(z3, alpha)
        if teacher:
            ft += _sigma(t0, alpha)
            ft += _sigma(t1, alpha)
            ft += _sigma(t2, alpha)
            ft += _sigma(t3, alpha)
        i += 4
    while i < k:
        acc = 0.0
        tacc = 0.0
        for a in range(r):
            xa = _read(x, indices[i, a])
            acc += w[a] * xa
            if teacher:
                tacc += v[a] * xa
            if gather:
                px[a] += xa
        if gather:
            zs[i] = acc
        f += _sigma(acc, alpha)
        if teacher:
            ft += _sigma(tacc, alpha)
        i += 1
    return f, ft


@njit(cache=True, nogil=True, fastmath=False)
def predict_rows(w, X, indices, alpha, out):  # pragma: no cover - compiled
    """Write ``f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)`` for every row ``x`` of ``X`` into ``out``.

    ``σ`` is the leaky ReLU with slope ``alpha`` ([paper] §1). The compiled counterpart of
    :func:`convotron.model.predict`, used where labels must be computed at the speed of
    the inner loop (benchmarks, fast teachers).
    """
    k = indices.shape[0]
    inv_k = 1.0 / k
    for s in range(X.shape[0]):
        f, _ = _forward(X[s], indices, w, alpha, w, w, False, w, False)
        out[s] = f * inv_k
    return out


# --------------------------------------------------------------------------- fresh samples
# The draws of convotron._sampling.fused_updates (the order is documented there).


@njit(cache=True, nogil=True, fastmath=False)
def _draw_signs(rng, x, n, mu):  # pragma: no cover - compiled
    """Add ``mu · (2 b_j − 1)`` to ``x[j]``, ``b_j`` as ``integers(0, 2, size=n, dtype=int8)``.

    numpy fills an ``int8`` array from 32-bit words, one byte per value (low byte first,
    a fresh word every four values, a fresh buffer per call); for the range ``{0, 1}`` the
    value is the top bit of the byte (Lemire's method never rejects there).
    """
    buf = np.uint32(0)
    for j in range(n):
        if j % 4 == 0:
            buf = rng.integers(0, 4294967296, dtype=np.uint32)
        else:
            buf = buf >> np.uint32(8)
        bit = (buf >> np.uint32(7)) & np.uint32(1)
        x[j] += mu * (float(bit) * 2.0 - 1.0)


@njit(cache=True, nogil=True, fastmath=False)
def _fill_gaussian(rng, z, n):  # pragma: no cover - compiled
    for j in range(n):
        z[j] = rng.standard_normal()


@njit(cache=True, nogil=True, fastmath=False)
def _fill_rademacher(rng, z, n):  # pragma: no cover - compiled
    for j in range(n):
        z[j] = 0.0
    _draw_signs(rng, z, n, 1.0)


@njit(cache=True, nogil=True, fastmath=False)
def _fill_uniform(rng, z, n):  # pragma: no cover - compiled
    for j in range(n):
        z[j] = rng.uniform(-_SQRT3, _SQRT3)


@njit(cache=True, nogil=True, fastmath=False)
def _fill_mixture(rng, z, n):  # pragma: no cover - compiled
    for j in range(n):
        z[j] = rng.standard_normal() * _MIX_TAU
    _draw_signs(rng, z, n, _MIX_MU)


@njit(cache=True, nogil=True, fastmath=False)
def _fill_student_t(rng, z, n):  # pragma: no cover - compiled
    for j in range(n):
        z[j] = rng.standard_t(_T_NU) * _T_SCALE


@njit(cache=True, nogil=True, fastmath=False)
def _fill_exponential(rng, z, n):  # pragma: no cover - compiled
    for j in range(n):
        z[j] = rng.standard_exponential() - 1.0


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _draw_z(rng, law, z, n):  # pragma: no cover - compiled
    """Write ``n`` standardised coordinates of law ``law`` into ``z`` (:mod:`convotron._sampling`).

    One small compiled loop per law (the generator's method is inlined into its loop, which
    measured faster than one loop with a branch per law). The helpers that run once per
    sample (``_draw_z``, ``_transform``, ``_draw_noise``, ``_forward``) are inlined into
    :func:`_updates` by numba (``inline="always"``): a call of a compiled function passing
    arrays costs reference-count updates, and these measured about 8% of a run.
    """
    if law == 0:
        _fill_gaussian(rng, z, n)
    elif law == 1:
        _fill_rademacher(rng, z, n)
    elif law == 2:
        _fill_uniform(rng, z, n)
    elif law == 3:
        _fill_mixture(rng, z, n)
    elif law == 4:
        _fill_student_t(rng, z, n)
    else:
        _fill_exponential(rng, z, n)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _transform(cov, cov_vec, rho, s_ar, cov_L, z, x, n):  # pragma: no cover - compiled
    """Map ``z`` (held in ``x``) to ``x = L z`` in place; ``z`` is scratch (dense only)."""
    if cov == 1:
        for j in range(n):
            x[j] = x[j] * cov_vec[j]
    elif cov == 2:
        # x_1 = z_1, x_j = ρ x_{j−1} + √(1−ρ²) z_j: x[j] still holds z_j when it is read
        prev = x[0]
        for j in range(1, n):
            prev = rho * prev + x[j] * s_ar
            x[j] = prev
    elif cov == 3:
        for j in range(n):
            z[j] = x[j]
        for j in range(n):
            acc = 0.0
            for c in range(n):
                acc += cov_L[j, c] * z[c]
            x[j] = acc


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _draw_noise(rng, noise, level, sqrt_trace, x, n):  # pragma: no cover - compiled
    """Return the label noise ``ξ`` of the sample ``x`` (0.0 without a draw for ``none``)."""
    if noise == 0:
        return 0.0
    if noise == 1:
        return level * rng.standard_normal()
    if noise == 2:
        return rng.uniform(-level * _SQRT3, level * _SQRT3)
    ss = 0.0
    for j in range(n):
        ss += x[j] * x[j]
    return level * math.sqrt(ss) / sqrt_trace * rng.standard_normal()


# --------------------------------------------------------------------------- the update loop


@njit(cache=True, nogil=True, fastmath=False)
def _updates(  # pragma: no cover - compiled
    X,
    y,
    rng,
    n,
    law,
    cov,
    cov_vec,
    rho,
    cov_L,
    noise,
    level,
    sqrt_trace,
    teacher_w,
    indices,
    alpha,
    w,
    eta,
    batch,
    only_patch,
    mode,
    deriv_at_zero,
    w_star,
    record_every,
    t0,
    n_updates,
    hist,
    eps,
    first_hit,
):
    """Run the one update loop of :func:`run_updates` and of ``_sampling.fused_updates``.

    ``rng is None``: sample ``s`` is the row ``X[s]``, label ``y[s]`` (``law .. teacher_w``
    unused). Otherwise sample ``s`` is drawn here (``x = L z`` then the noise ``ξ``, the
    arguments ``n .. sqrt_trace`` of :class:`convotron._sampling.SourceCodes`) and labelled
    ``f_{teacher_w}(x) + ξ`` (``X``, ``y`` unused). numba compiles one version per kind of
    ``rng`` and drops the other source's branches (``rng is None`` is known at compile time),
    so each data source pays only for itself. The update itself, the recording and the
    divergence checks are written once, here, in the body: inlined helpers taking arrays
    measured up to 60% slower (reference counts on every call).
    """
    k, r = indices.shape
    inv_k = 1.0 / k
    inv_b = 1.0 / batch
    s_ar = math.sqrt(1.0 - rho * rho)
    track = w_star.shape[0] > 0
    xd = np.zeros(n)  # a drawn sample
    zd = np.zeros(n)  # scratch of the dense transform
    G = np.zeros(r)
    px = np.zeros(r)
    zs = np.zeros(k)
    for u in range(n_updates):
        t = t0 + u + 1
        for a in range(r):
            G[a] = 0.0
        for b in range(batch):
            if rng is None:
                x = X[u * batch + b]
                label = y[u * batch + b]
                f, _ = _forward(x, indices, w, alpha, px, zs, True, teacher_w, False)
            else:
                # z straight into x, then x = L z in place. The loops of the common laws are
                # written out here: through a helper (even one inlined by numba) the run
                # measured about 10% slower.
                if law == 0:
                    for j in range(n):
                        xd[j] = rng.standard_normal()
                elif law == 2:
                    for j in range(n):
                        xd[j] = rng.uniform(-_SQRT3, _SQRT3)
                elif law == 4:
                    for j in range(n):
                        xd[j] = rng.standard_t(_T_NU) * _T_SCALE
                elif law == 5:
                    for j in range(n):
                        xd[j] = rng.standard_exponential() - 1.0
                else:
                    _draw_z(rng, law, xd, n)
                if cov != 0:
                    _transform(cov, cov_vec, rho, s_ar, cov_L, zd, xd, n)
                xi = _draw_noise(rng, noise, level, sqrt_trace, xd, n)
                x = xd
                f, ft = _forward(x, indices, w, alpha, px, zs, True, teacher_w, True)
                label = ft * inv_k
                if noise != 0:
                    label = label + xi
            res = label - f * inv_k
            if not np.isfinite(res):
                # finite weights (checked after every update): either the sample is
                # non-finite (fixed rows only), or the weights are so large that f_w(x)
                # overflows
                if rng is None:
                    if not np.isfinite(label):
                        return STATUS_BAD_SAMPLE, t
                    for c in range(x.shape[0]):
                        if not np.isfinite(x[c]):
                            return STATUS_BAD_SAMPLE, t
                return STATUS_DIVERGED, t
            if mode == MODE_CONVOTRON:
                if only_patch >= 0:
                    for a in range(r):
                        G[a] += res * _read(x, indices[only_patch, a])
                else:
                    for a in range(r):
                        G[a] += res * px[a]
            else:
                for i in range(k):
                    zi = zs[i]
                    if zi > 0.0:
                        d = 1.0
                    elif zi < 0.0:
                        d = alpha
                    else:
                        d = deriv_at_zero
                    if d != 0.0:
                        c = res * d * inv_k
                        for a in range(r):
                            G[a] += c * _read(x, indices[i, a])
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
    return _updates(
        X, y, None, X.shape[1], 0, 0, w, 0.0, X, 0, 0.0, 1.0, w, indices, alpha, w, eta, batch,
        only_patch, mode, deriv_at_zero, w_star, record_every, t0, X.shape[0] // batch, hist,
        eps, first_hit,
    )  # fmt: skip
