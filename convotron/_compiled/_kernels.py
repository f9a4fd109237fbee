"""Compiled inner loops of Convotron and its SGD baseline (numba, on raw arrays).

Everything here works on plain arrays and the named bundles of :mod:`convotron._codes`, so
that it can be compiled once and cached:

- ``Model.indices``: ``(k, r)`` ``int64``, row ``i`` holds the input coordinates of patch
  ``i``, so that ``P_i x = x[indices[i]]`` (``../shared/spec/convotron-theory.md`` §1,
  [paper]); an entry ``-1`` (``convotron.geometry.patches.PAD``, a conv layer's zero padding) reads
  0. Every gather goes through :func:`_read`: numba does not check bounds, so a bare
  ``x[-1]`` would silently read the last coordinate;
- ``RowSource.X``: ``(m, n)`` ``float64`` C-contiguous, one sample per row; ``y``: ``(m,)``;
- ``w``: ``(r,)`` ``float64``, updated **in place**.

The kernels are compiled with ``nogil=True`` (so that :func:`convotron.learning.many.run_many`
can run several of them at once in threads), ``cache=True`` (compiled once per machine)
and ``fastmath=False`` (no reassociation: a run is bitwise reproducible for a fixed seed).

One update is the same code whatever feeds it: :func:`run_rows` (fixed rows) and
:func:`run_draws` (fresh teacher samples, drawn in the loop in the order
:mod:`convotron.learning._sampling` documents) are one-line calls of the one loop
:func:`_updates`, ``(w, model, source, step, recorder, t0, n_updates)``; its pooled forward
pass :func:`_forward` is shared with :func:`predict_rows`. The branches are the codes of
:mod:`convotron._codes`: a rule's compiled step (:class:`~convotron._codes.RuleCode`), and
for drawn samples the law (:func:`_draw_z`), the covariance (:func:`_transform`) and the
noise (:func:`_draw_noise`), each written once.

:func:`run_lockstep` advances :data:`LOCKSTEP` runs of one rule on one teacher together
(:func:`convotron.learning.many.run_many` with ``lockstep=True``): each run draws with
:func:`_updates` in draw-only mode (its own generator, the same draws as alone), and the
updates of the runs run together, the runs innermost, every sum in the order of a run alone.

The readable versions that the tests compare these kernels with, step for step, are
:func:`convotron.learning.algorithm.convotron_reference`,
:func:`convotron.learning.baselines.sgd_reference` and, bitwise for drawn samples,
:func:`convotron.learning._sampling_reference.fused_reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._codes import (
    CovCode,
    DrawSource,
    LawCode,
    Model,
    NoiseCode,
    Recorder,
    RowSource,
    RuleCode,
    RuleStep,
    Status,
    Step,
)
from .._limits import DIVERGENCE_LIMIT
from ..data.laws import MIX_MU, MIX_TAU, SQRT3, T_NU, T_SCALE
from . import _rng

__all__ = [
    "MODE_CONVOTRON",
    "MODE_SGD",
    "STATUS_BAD_SAMPLE",
    "STATUS_DIVERGED",
    "STATUS_OK",
    "predict_rows",
    "run_draws",
    "run_lockstep",
    "run_rows",
    "run_updates",
]

#: The rule codes of :func:`run_updates` (:class:`convotron._codes.RuleCode`, as ints).
MODE_CONVOTRON = int(RuleCode.CONVOTRON)
MODE_SGD = int(RuleCode.SGD)

#: Status codes returned by the loop (:class:`convotron._codes.Status`, as ints).
STATUS_OK = int(Status.OK)
STATUS_DIVERGED = int(Status.DIVERGED)
STATUS_BAD_SAMPLE = int(Status.BAD_SAMPLE)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _read(x, c):  # pragma: no cover - compiled
    """``x[c]``, or 0.0 for the padding sentinel ``c = -1``."""
    return x[c] if c >= 0 else 0.0


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _sigma(z, alpha):  # pragma: no cover - compiled
    """Return the leaky ReLU ``σ(z)`` with slope ``alpha`` (the compiled code's one copy).

    The numpy copy is :func:`convotron.model.activations.leaky_relu`; both read ``z >= 0`` as
    the positive side.
    """
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
    :func:`convotron.model.network.predict`, used where labels must be computed at the speed of
    the inner loop (benchmarks, fast teachers).
    """
    k = indices.shape[0]
    inv_k = 1.0 / k
    for s in range(X.shape[0]):
        f, _ = _forward(X[s], indices, w, alpha, w, w, False, w, False)
        out[s] = f * inv_k
    return out


# --------------------------------------------------------------------------- fresh samples
# The draws of run_draws (the order is documented in convotron.learning._sampling).


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


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _draw_z(rng, law, z, n):  # pragma: no cover - compiled
    """Write ``n`` standardised coordinates of law ``law`` into ``z``.

    See :mod:`convotron.learning._sampling`.

    The compiled branch of each law of :data:`convotron.data.laws.LAWS` (its ``code``, a
    :class:`~convotron._codes.LawCode`), with :mod:`convotron.data.laws`'s constants, drawing
    what ``law.draw(rng, (1, n))`` draws: the one copy of each law's compiled draw, used
    by :func:`_updates` and by the tests. One small loop per law (the generator's method
    inlined into its loop: one loop with a branch per coordinate measured 3x slower). This
    helper and the others that run once per sample (``_transform``, ``_draw_noise``,
    ``_forward``) are inlined into :func:`_updates` by numba (``inline="always"``); even
    inlined, it measured a little slower than the four loops written out in :func:`_updates`
    (before issue 21): a run of ``1d:64,8,2`` on Gaussian (uniform) inputs took about 2-3%
    (3-4%) more CPU time per update (best of 3 per process, 5 alternated processes on a
    loaded machine: 374-387 vs 363-380 ns, 297-308 vs 294-298 ns); SGD on mixture inputs
    with an AR(1) covariance was unchanged (1114-1126 vs 1119-1191 ns).
    """
    if law == LawCode.GAUSSIAN:
        for j in range(n):
            z[j] = rng.standard_normal()
    elif law == LawCode.UNIFORM:
        for j in range(n):
            z[j] = rng.uniform(-SQRT3, SQRT3)
    elif law == LawCode.STUDENT_T:
        for j in range(n):
            z[j] = rng.standard_t(T_NU) * T_SCALE
    elif law == LawCode.EXPONENTIAL:
        for j in range(n):
            z[j] = rng.standard_exponential() - 1.0
    elif law == LawCode.RADEMACHER:
        for j in range(n):
            z[j] = 0.0
        _draw_signs(rng, z, n, 1.0)
    elif law == LawCode.MIXTURE:  # n normals, then n signs
        for j in range(n):
            z[j] = rng.standard_normal() * MIX_TAU
        _draw_signs(rng, z, n, MIX_MU)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _transform(cov, cov_vec, rho, s_ar, cov_L, z, x, n):  # pragma: no cover - compiled
    """Map ``z`` (held in ``x``) to ``x = L z`` in place; ``z`` is scratch (dense only).

    The compiled branch of each :class:`~convotron._codes.CovCode` (identity: nothing).
    """
    if cov == CovCode.DIAGONAL:
        for j in range(n):
            x[j] = x[j] * cov_vec[j]
    elif cov == CovCode.AR1:
        # x_1 = z_1, x_j = ρ x_{j−1} + √(1−ρ²) z_j: x[j] still holds z_j when it is read
        prev = x[0]
        for j in range(1, n):
            prev = rho * prev + x[j] * s_ar
            x[j] = prev
    elif cov == CovCode.DENSE:
        for j in range(n):
            z[j] = x[j]
        for j in range(n):
            acc = 0.0
            for c in range(n):
                acc += cov_L[j, c] * z[c]
            x[j] = acc


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _draw_noise(rng, noise, level, sqrt_trace, x, n):  # pragma: no cover - compiled
    """Return the label noise ``ξ`` of the sample ``x`` (0.0 without a draw for ``none``).

    The compiled branch of each :class:`~convotron._codes.NoiseCode`.
    """
    if noise == NoiseCode.NONE:
        return 0.0
    if noise == NoiseCode.GAUSSIAN:
        return level * rng.standard_normal()
    if noise == NoiseCode.UNIFORM:
        return rng.uniform(-level * SQRT3, level * SQRT3)
    if noise == NoiseCode.HETERO:
        ss = 0.0
        for j in range(n):
            ss += x[j] * x[j]
        return level * math.sqrt(ss) / sqrt_trace * rng.standard_normal()
    return 0.0


# --------------------------------------------------------------------------- the update loop


@njit(cache=True, nogil=True, fastmath=False)
def _updates(w, model, rows, draws, fast, step, rec, t0, n_updates, out=None):  # pragma: no cover
    """Run ``n_updates`` updates of ``w`` in place: the one loop of every rule and source.

    Exactly one of ``rows`` (a :class:`~convotron._codes.RowSource`: sample ``s`` is the row
    ``X[s]``, label ``y[s]``) and ``draws`` (a :class:`~convotron._codes.DrawSource`: sample
    ``s`` is drawn here, ``x = L z`` then the noise ``ξ``, and labelled
    ``f_{teacher_w}(x) + ξ``) is given, the other is None. numba compiles one version per
    source and drops the other's branches (an ``is not None`` test of a None argument is
    decided at compile time), so each source pays only for itself. With ``draws``, ``fast`` is
    None (numba's compiled ``numpy.random.Generator`` ``draws.rng`` draws: numpy's stream) or
    a :class:`convotron._compiled._rng.FastStream` (its stream draws; ``draws.rng`` is typed but not
    used: numba types both branches, so it must be a Generator). The update itself, the
    recording and the divergence checks are written once, here, in the body: inlined helpers
    taking arrays measured up to 60% slower (reference counts on every call).

    Update ``t = t0 + 1, ...``: ``G = (1/B) Σ_b g(x_b, y_b)``, ``w ← w + η G``, with the
    rule's step ``g`` (``step.rule.code``, :class:`~convotron._codes.RuleCode`):

    - ``CONVOTRON``: ``g = (y − f_w(x)) Σ_i P_i x`` (Algorithm 1, [paper]), or
      ``g = (y − f_w(x)) P_j x`` with ``only_patch = j >= 0`` (the disjoint-patch variant);
      with a preconditioner (``step.rule.precond`` r×r, [derived], ``alg-precond``)
      ``g = (y − f_w(x)) H Σ_i P_i x``;
    - ``SGD``: ``g = (y − f_w(x)) (1/k) Σ_i σ′(wᵀ P_i x) P_i x``, ``σ′(z) = 1`` for
      ``z > 0``, ``α`` for ``z < 0`` and ``deriv_at_zero`` at ``z = 0``.

    Returns ``(status, t)``: :class:`~convotron._codes.Status` and the updates done in
    total (``t0 + n_updates``), or the (1-based) update at which a problem appeared.

    ``out`` (draws only; None everywhere but :func:`_lockstep`): a pair ``(X, xi)`` of a
    ``(n_updates · B, ≥ n)`` and a ``(n_updates · B,)`` array. Then the loop only *draws*:
    sample ``s`` goes to ``X[s, :n]`` and its noise to ``xi[s]`` (``0.0`` for none), the
    same draws in the same order as a run, and ``w``, ``rec`` are untouched. Like
    ``rows``/``draws``, a None ``out`` is pruned at compile time.
    """
    indices = model.indices
    alpha = model.alpha
    k, r = indices.shape
    inv_k = 1.0 / k
    batch = step.batch
    eta = step.eta
    code = step.rule.code
    only_patch = step.rule.only_patch
    deriv_at_zero = step.rule.deriv_at_zero
    precond = step.rule.precond  # (r, r) H of the preconditioned update, or (0, 0)
    use_h = precond.shape[0] > 0
    inv_b = 1.0 / batch
    w_star = rec.w_star
    every = rec.every
    eps = rec.eps
    first_hit = rec.first_hit
    track = w_star.shape[0] > 0
    nd = 0  # a drawn sample's length (0 for rows: no scratch)
    s_ar = 0.0
    if draws is not None:
        # unpacked once: reading an array out of a bundle per sample costs reference counts
        nd = draws.n
        rng = draws.rng
        teacher_w = draws.teacher_w
        law, cov, cov_vec, rho, cov_L, noise, level, sqrt_trace = draws.codes
        s_ar = math.sqrt(1.0 - rho * rho)
    if fast is not None:
        f_lanes, f_aux, f_words, f_normals, f_raw, f_mant, f_flags, f_pos = fast
        E_K = _rng._EK
        E_W = _rng._EW
    xd = np.zeros(nd)  # a drawn sample
    zd = np.zeros(nd)  # scratch of the dense transform
    G = np.zeros(r)
    px = np.zeros(r)
    zs = np.zeros(k)
    x = xd
    label = 0.0
    f = 0.0
    for u in range(n_updates):
        t = t0 + u + 1
        for a in range(r):
            G[a] = 0.0
        for b in range(batch):
            if rows is not None:
                x = rows.X[u * batch + b]
                label = rows.y[u * batch + b]
                f, _ = _forward(x, indices, w, alpha, px, zs, True, w, False)
            if draws is not None:
                # z straight into x, then x = L z in place, then the noise of this sample
                if fast is None:
                    _draw_z(rng, law, xd, nd)
                else:
                    # the fast stream's draws (convotron._compiled._rng, the order of its module
                    # docstring), written out here with the stream's arrays: through inlined
                    # helpers taking those arrays, the reference counts of every call cost
                    # up to 80x (Student-t: 30 us per sample instead of 0.4)
                    if law == LawCode.GAUSSIAN or law == LawCode.MIXTURE:
                        j = 0
                        while j < nd:  # n normals, block by block
                            p = f_pos[1]
                            if p >= _rng.BLOCK:
                                _rng._refill_block(f_lanes, f_aux, f_raw, f_mant, f_flags,
                                                   f_normals)  # fmt: skip
                                p = 0
                            m = min(nd - j, _rng.BLOCK - p)
                            ju = np.uint64(j)  # unsigned indices: no negative-index
                            pu = np.uint64(p)  # wrap-around, so the copy is vectorised
                            for c_ in range(np.uint64(m)):
                                xd[ju + c_] = f_normals[pu + c_]
                            f_pos[1] = p + m
                            j += m
                        if law == LawCode.MIXTURE:
                            for j in range(nd):
                                xd[j] *= MIX_TAU
                    elif law == LawCode.UNIFORM:
                        for j in range(nd):  # one word-queue uniform each
                            p = f_pos[0]
                            if p >= _rng.BLOCK:
                                _rng._refill(f_lanes, f_words)
                                p = 0
                            f_pos[0] = p + 1
                            unif = float(f_words[p] >> _rng._U11) * _rng._TWO_M53
                            xd[j] = -SQRT3 + (SQRT3 - -SQRT3) * unif
                    elif law == LawCode.STUDENT_T:
                        # g_0 sqrt(3 / (g_1^2 + ... + g_5^2)), six normals
                        for j in range(nd):
                            g0 = 0.0
                            ss = 0.0
                            for i6 in range(6):
                                p = f_pos[1]
                                if p >= _rng.BLOCK:
                                    _rng._refill_block(f_lanes, f_aux, f_raw, f_mant, f_flags,
                                                       f_normals)  # fmt: skip
                                    p = 0
                                f_pos[1] = p + 1
                                g = f_normals[p]
                                if i6 == 0:
                                    g0 = g
                                else:
                                    ss += g * g
                            xd[j] = g0 * math.sqrt(3.0 / ss)
                    elif law == LawCode.EXPONENTIAL:
                        # E - 1, E of the exponential ziggurat, one word-queue word each
                        # (_rng._exp_chunk written out: the fast path per word, a rejected
                        # word through the slow path at once)
                        j = 0
                        while j < nd:
                            p = f_pos[0]
                            if p >= _rng.BLOCK:
                                _rng._refill(f_lanes, f_words)
                                p = 0
                            m = min(nd - j, _rng.BLOCK - p)
                            for c_ in range(m):
                                e_w = f_words[p + c_]
                                e_i = np.int64(e_w & _rng._EMASK)
                                e_u = float(e_w >> _rng._U12) * 2.0**-52
                                e_x = e_u * E_W[e_i]
                                if e_u >= E_K[e_i]:  # rare (0.64%): the slow path
                                    e_x = _rng._exp_slow(f_aux, e_i, e_x)
                                xd[j + c_] = e_x - 1.0
                            f_pos[0] = p + m
                            j += m
                    elif law == LawCode.RADEMACHER:  # zeros, then the signs below
                        for j in range(nd):
                            xd[j] = 0.0
                    if law == LawCode.RADEMACHER or law == LawCode.MIXTURE:
                        mu = MIX_MU if law == LawCode.MIXTURE else 1.0
                        word = np.uint64(0)
                        for j in range(nd):  # bit j % 64 of a fresh word per 64 coordinates
                            if j % 64 == 0:
                                p = f_pos[0]
                                if p >= _rng.BLOCK:
                                    _rng._refill(f_lanes, f_words)
                                    p = 0
                                f_pos[0] = p + 1
                                word = f_words[p]
                            bit = (word >> np.uint64(j % 64)) & np.uint64(1)
                            xd[j] += mu * (float(bit) * 2.0 - 1.0)
                if cov != CovCode.IDENTITY:
                    _transform(cov, cov_vec, rho, s_ar, cov_L, zd, xd, nd)
                if fast is None:
                    xi = _draw_noise(rng, noise, level, sqrt_trace, xd, nd)
                elif noise == NoiseCode.NONE:
                    xi = 0.0
                elif noise == NoiseCode.UNIFORM:  # low + (high - low) U
                    p = f_pos[0]
                    if p >= _rng.BLOCK:
                        _rng._refill(f_lanes, f_words)
                        p = 0
                    f_pos[0] = p + 1
                    unif = float(f_words[p] >> _rng._U11) * _rng._TWO_M53
                    low = -level * SQRT3
                    high = level * SQRT3
                    xi = low + (high - low) * unif
                else:  # S g, or S ||x|| / sqrt(tr Sigma) g
                    p = f_pos[1]
                    if p >= _rng.BLOCK:
                        _rng._refill_block(f_lanes, f_aux, f_raw, f_mant, f_flags, f_normals)
                        p = 0
                    f_pos[1] = p + 1
                    g = f_normals[p]
                    if noise == NoiseCode.GAUSSIAN:
                        xi = level * g
                    else:
                        ss = 0.0
                        for j in range(nd):
                            ss += xd[j] * xd[j]
                        xi = level * math.sqrt(ss) / sqrt_trace * g
                if out is not None:  # draw only (the lockstep runs' draws)
                    out_x, out_xi = out
                    for j in range(nd):
                        out_x[u * batch + b, j] = xd[j]
                    out_xi[u * batch + b] = xi
                    continue
                x = xd
                f, ft = _forward(x, indices, w, alpha, px, zs, True, teacher_w, True)
                label = ft * inv_k
                if noise != NoiseCode.NONE:
                    label = label + xi
            res = label - f * inv_k
            if not np.isfinite(res):
                # finite weights (checked after every update): either the sample is
                # non-finite (fixed rows only), or the weights are so large that f_w(x)
                # overflows
                if rows is not None:
                    if not np.isfinite(label):
                        return STATUS_BAD_SAMPLE, t
                    for c_ in range(x.shape[0]):
                        if not np.isfinite(x[c_]):
                            return STATUS_BAD_SAMPLE, t
                return STATUS_DIVERGED, t
            if code == RuleCode.CONVOTRON:
                if only_patch >= 0:
                    for a in range(r):
                        G[a] += res * _read(x, indices[only_patch, a])
                elif use_h:  # g = res H Σ_i P_i x, (H px)_a summed over b in order
                    for a in range(r):
                        hq = 0.0
                        for b2 in range(r):
                            hq += precond[a, b2] * px[b2]
                        G[a] += res * hq
                else:
                    for a in range(r):
                        G[a] += res * px[a]
            elif code == RuleCode.SGD:
                for i in range(k):
                    zi = zs[i]
                    if zi > 0.0:
                        d = 1.0
                    elif zi < 0.0:
                        d = alpha
                    else:
                        d = deriv_at_zero
                    if d != 0.0:
                        cf = res * d * inv_k
                        for a in range(r):
                            G[a] += cf * _read(x, indices[i, a])
        if out is not None:
            continue
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
            do_record = every > 0 and t % every == 0
            if do_record or (eps >= 0.0 and first_hit[0] < 0):
                d2 = 0.0
                for a in range(r):
                    diff = w[a] - w_star[a]
                    d2 += diff * diff
                if do_record:
                    rec.hist[t // every] = d2
                if eps >= 0.0 and first_hit[0] < 0 and d2 <= eps:
                    first_hit[0] = t
    return STATUS_OK, t0 + n_updates


@njit(cache=True, nogil=True, fastmath=False)
def run_rows(w, model, rows, step, rec, t0):  # pragma: no cover - compiled
    """Perform ``len(rows.X) // step.batch`` updates of ``w`` on fixed rows, in place.

    ``w`` ``(r,)``; ``model`` :class:`~convotron._codes.Model`; ``rows``
    :class:`~convotron._codes.RowSource`; ``step`` :class:`~convotron._codes.Step`; ``rec``
    :class:`~convotron._codes.Recorder`; ``t0`` the updates done before this call. Returns
    ``(status, t)`` (:func:`_updates`): ``STATUS_OK``, ``STATUS_DIVERGED`` or
    ``STATUS_BAD_SAMPLE`` (a non-finite row), and ``t0 + m // batch`` on success, else the
    update at which the problem appeared.
    """
    return _updates(w, model, rows, None, None, step, rec, t0, rows.X.shape[0] // step.batch)


@njit(cache=True, nogil=True, fastmath=False)
def run_draws(w, model, draws, step, rec, t0, n_updates):  # pragma: no cover - compiled
    """Perform ``n_updates`` updates of ``w`` on fresh samples drawn in the loop, in place.

    ``draws`` is a :class:`~convotron._codes.DrawSource` (the generator, ``n``, the
    teacher's filter and its :class:`~convotron._codes.SourceCodes`); the other arguments
    and the results are those of :func:`run_rows` (``STATUS_OK`` or ``STATUS_DIVERGED``).
    Calls in pieces with the same generator continue one stream (the result does not
    depend on the pieces); ``n_updates = 0`` compiles or loads the kernel and draws nothing.
    """
    return _updates(w, model, None, draws, None, step, rec, t0, n_updates)


@njit(cache=True, nogil=True, fastmath=False)
def run_draws_fast(w, model, draws, fast, step, rec, t0, n_updates):  # pragma: no cover
    """:func:`run_draws` with the samples drawn from the fast stream ``fast``.

    ``fast`` is a :class:`convotron._compiled._rng.FastStream` (updated in place: calls in pieces
    continue one stream); ``draws.rng`` is not used (but must be a Generator). The order of
    the draws is that of :mod:`convotron.learning._sampling`; the values are the fast stream's
    (:mod:`convotron._compiled._rng`).
    """
    return _updates(w, model, None, draws, fast, step, rec, t0, n_updates)


def run_updates(
    w: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    indices: np.ndarray,
    alpha: float,
    eta: float,
    batch: int,
    only_patch: int,
    mode: int,
    deriv_at_zero: float,
    w_star: np.ndarray,
    record_every: int,
    t0: int,
    hist: np.ndarray,
    eps: float,
    first_hit: np.ndarray,
) -> tuple[int, int]:
    """Perform ``X.shape[0] // batch`` updates on fixed rows: :func:`run_rows`, loose arguments.

    A compatibility form of :func:`run_rows` (its callers: :class:`convotron.estimator`,
    the benchmarks) that packs its arguments into the bundles: ``mode`` a
    :class:`~convotron._codes.RuleCode`, ``only_patch`` ``-1`` for all patches,
    ``deriv_at_zero`` SGD's ``σ′(0)``; ``w_star`` (empty: no record), ``record_every``
    (0: none), ``hist``, ``eps`` (``< 0``: none) and ``first_hit`` as in
    :class:`~convotron._codes.Recorder`.
    """
    return run_rows(
        w,
        Model(indices, float(alpha)),
        RowSource(X, y),
        Step(float(eta), int(batch), RuleStep(int(mode), int(only_patch), float(deriv_at_zero))),
        Recorder(w_star, int(record_every), hist, float(eps), first_hit),
        int(t0),
    )


# --------------------------------------------------------------------------- runs in lockstep

#: Runs advanced together by :func:`run_lockstep` (``convotron.learning.many.LOCKSTEP_RUNS``).
LOCKSTEP = 8
_U0, _U1, _U2, _U3, _U4, _U5, _U6, _U7 = (np.uint64(q) for q in range(8))


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _forward_block(XT, idxp, Wf, v, alpha, PX, ZS, F, FT):  # pragma: no cover - compiled
    """:func:`_forward` of one sample of a lockstep block, for its 8 runs at once.

    ``XT`` the sample, flat and interleaved: ``XT[8 c + b]`` is coordinate ``c`` of run
    ``b`` (``c = n``: the padded zero); ``Wf[8 a + b] = w_b[a]``; ``PX[8 a + b]``
    (``Σ_i P_i x``), ``ZS[8 i + b]`` (``wᵀ P_i x``), ``F``, ``FT`` ``(8,)`` (the runs' and
    the teacher's totals). The 8 runs' pre-activations are 8 scalar accumulators and every
    load is 8 consecutive doubles (vector loads; a loop over an array of 8 kept the
    accumulators in memory). Every sum in :func:`_forward`'s order, so bitwise the same.
    """
    k, r = idxp.shape
    for j in range(8 * r):
        PX[j] = 0.0
    for b in range(8):
        F[b] = 0.0
        FT[b] = 0.0
    for i in range(k):
        z0 = z1 = z2 = z3 = z4 = z5 = z6 = z7 = 0.0
        t0 = t1 = t2 = t3 = t4 = t5 = t6 = t7 = 0.0
        for a in range(r):
            c = np.uint64(8 * idxp[i, a])  # unsigned: no negative-index wrap-around
            o = np.uint64(8 * a)
            va = v[a]
            x0 = XT[c + _U0]
            x1 = XT[c + _U1]
            x2 = XT[c + _U2]
            x3 = XT[c + _U3]
            x4 = XT[c + _U4]
            x5 = XT[c + _U5]
            x6 = XT[c + _U6]
            x7 = XT[c + _U7]
            z0 += Wf[o + _U0] * x0
            z1 += Wf[o + _U1] * x1
            z2 += Wf[o + _U2] * x2
            z3 += Wf[o + _U3] * x3
            z4 += Wf[o + _U4] * x4
            z5 += Wf[o + _U5] * x5
            z6 += Wf[o + _U6] * x6
            z7 += Wf[o + _U7] * x7
            t0 += va * x0
            t1 += va * x1
            t2 += va * x2
            t3 += va * x3
            t4 += va * x4
            t5 += va * x5
            t6 += va * x6
            t7 += va * x7
            PX[o + _U0] += x0
            PX[o + _U1] += x1
            PX[o + _U2] += x2
            PX[o + _U3] += x3
            PX[o + _U4] += x4
            PX[o + _U5] += x5
            PX[o + _U6] += x6
            PX[o + _U7] += x7
        oz = 8 * i
        ZS[oz + 0] = z0
        ZS[oz + 1] = z1
        ZS[oz + 2] = z2
        ZS[oz + 3] = z3
        ZS[oz + 4] = z4
        ZS[oz + 5] = z5
        ZS[oz + 6] = z6
        ZS[oz + 7] = z7
        F[0] += _sigma(z0, alpha)
        F[1] += _sigma(z1, alpha)
        F[2] += _sigma(z2, alpha)
        F[3] += _sigma(z3, alpha)
        F[4] += _sigma(z4, alpha)
        F[5] += _sigma(z5, alpha)
        F[6] += _sigma(z6, alpha)
        F[7] += _sigma(z7, alpha)
        FT[0] += _sigma(t0, alpha)
        FT[1] += _sigma(t1, alpha)
        FT[2] += _sigma(t2, alpha)
        FT[3] += _sigma(t3, alpha)
        FT[4] += _sigma(t4, alpha)
        FT[5] += _sigma(t5, alpha)
        FT[6] += _sigma(t6, alpha)
        FT[7] += _sigma(t7, alpha)


#: ``_DIRECT_LAW[code]``: whether :func:`run_lockstep`'s direct path has the law's branch
#: (indexed by :class:`~convotron._codes.LawCode`; a new law is False until its branch is
#: written, and its lockstep runs take the buffer path meanwhile)
_DIRECT_LAW = np.zeros(max(LawCode) + 1, np.bool_)
for _code in (LawCode.GAUSSIAN, LawCode.RADEMACHER, LawCode.UNIFORM, LawCode.MIXTURE,
              LawCode.STUDENT_T, LawCode.EXPONENTIAL):  # fmt: skip
    _DIRECT_LAW[_code] = True
_DIRECT_LAW.setflags(write=False)


@njit(cache=True, nogil=True, fastmath=False)
def run_lockstep(
    W, model, idxp, draws, gens, fasts, step, rec, t0, n_updates, block, status, direct=True
):  # pragma: no cover
    """Advance ``B`` independent runs of one rule on one teacher together, in place.

    ``W`` ``(r, B)``: column ``b`` is run ``b``'s filter (the runs are the inner, contiguous
    axis, so that the forward pass and the update are one vector loop over the runs).
    ``draws`` a :class:`~convotron._codes.DrawSource` (``n``, the teacher's ``w*``, the
    codes; its ``rng`` is not used); ``gens`` a ``numba.typed.List`` of the runs'
    ``numpy.random.Generator`` (run ``b`` draws from ``gens[b]``), ``fasts`` None (numpy's
    stream) or a typed list of the runs' :class:`convotron._compiled._rng.FastStream`. ``idxp`` is
    ``model.indices`` with the padding ``-1`` replaced by ``n`` (the sample buffer's row
    ``n`` holds zeros). ``rec`` a :class:`~convotron._codes.Recorder` whose ``hist`` is
    ``(B, L)`` and ``first_hit`` ``(B,)`` (one row per run, one shared ``w_star``).
    ``status`` ``(B, 2)`` int64: ``[Status, t]`` per run; a run whose status is not OK
    is not advanced (its draws stop, its column is zeroed, nothing more is recorded).

    Every ``block`` updates, each live run draws its next ``block · batch`` samples with
    :func:`_updates` in draw-only mode (its own generator or stream, exactly the draws and
    order of a run alone), into ``X (B, block·batch, n + 1)`` and ``xi``; then the updates
    run over those samples for all runs at once. Every per-run sum keeps the order of
    :func:`_forward` and :func:`_updates` (``z_i`` over ``a``, ``Σ_i P_i x`` and the totals
    over ``i``, ``G`` over the batch): each run is **bitwise** the run alone.

    The fast stream (the **direct path**, for the laws written out below: every law of the
    fast stream today; a law of the fast stream without a branch here, or ``direct=False``,
    takes the buffer path above, its draws through :func:`_updates`' fast branch: bitwise
    the same, slower; ``tests/convotron/test_lockstep.py`` runs every law both ways): no
    buffer and no interleaving pass. Sample by sample, each live run's draws go from its
    stream's blocks straight into the interleaved sample ``XT[8 c + b]`` (the code of
    :func:`_updates`' fast branch with ``xd[j]`` read as ``XT[8 j + b]``; the covariance
    applied to each run's column in :func:`_transform`'s order, then the noise), so the
    draws are the stream's
    own, in its order. The normal blocks, word queues and read positions of the 8 streams
    are copied into the kernel's arrays at the start and back at the end (per-sample reads
    of the streams' tuples would cost reference counts; so would helpers for the reads
    below: two ``inline="always"`` ones, "run ``b``'s next normal / word", measured 4x
    slower on the gaussian law and 200x on Student-t), the refills share one scratch
    (the streams' ``raw``, ``mant``, ``flags`` are scratch: 8 sets no longer
    crowd the L1 cache), and when the live runs' normal blocks are in step (``run_many``
    starts every stream empty, and each run draws as many normals per sample) and the sample
    does not cross a block, the gaussian and mixture normals of the 8 runs are one
    transposed copy. ``tests/convotron/test_lockstep.py`` checks it for every law ×
    covariance × noise against the runs alone, and with the streams out of step.
    """
    indices = model.indices
    alpha = model.alpha
    k, r = indices.shape
    nb = LOCKSTEP  # W.shape[1], a constant: the loops over the runs unroll
    n = draws.n
    v = draws.teacher_w
    inv_k = 1.0 / k
    batch = step.batch
    eta = step.eta
    code = step.rule.code
    only_patch = step.rule.only_patch
    deriv_at_zero = step.rule.deriv_at_zero
    precond = step.rule.precond
    use_h = precond.shape[0] > 0
    inv_b = 1.0 / batch
    w_star = rec.w_star
    every = rec.every
    eps = rec.eps
    first_hit = rec.first_hit
    hist = rec.hist
    track = w_star.shape[0] > 0
    m = block * batch
    X = np.zeros((nb, m, n + 1))  # run b's samples contiguous (its draws write in order)
    XI = np.zeros((nb, m))
    wd = np.zeros(r)
    recd = Recorder(np.zeros(0), 0, np.zeros(1), -1.0, np.full(1, -1, np.int64))
    G = np.zeros((r, nb))
    Wf = W.reshape(r * nb)  # views: flat forms for _forward_block
    PXf = np.zeros(r * nb)
    PX = PXf.reshape((r, nb))
    ZSf = np.zeros(k * nb)
    ZS = ZSf.reshape((k, nb))
    XT = np.zeros((n + 1) * nb)  # one sample of the runs, interleaved (XT[8 n + b] = 0)
    F = np.zeros(nb)
    FT = np.zeros(nb)
    res = np.zeros(nb)
    cf = np.zeros(nb)
    on = np.zeros(nb, np.bool_)
    hq = np.zeros(nb)
    total = np.zeros(nb)
    big = np.zeros(nb)
    # the fast stream's direct path (gaussian law): each run's normals go straight from its
    # normal block into XT, sample by sample, with no buffer and no interleaving pass; the
    # blocks and read positions live here (NRM, WRD, POS: no reference counts per sample)
    # and go back to the streams at the end
    law, cov, cov_vec, rho, cov_L, noise, level, sqrt_trace = draws.codes
    s_ar = math.sqrt(1.0 - rho * rho)
    direct = direct and fasts is not None and _DIRECT_LAW[law]
    NRM = np.zeros((nb, _rng.BLOCK))
    WRD = np.zeros((nb, _rng.BLOCK), np.uint64)
    POS = np.zeros((nb, 2), np.int64)
    ZT = np.zeros(n * nb)  # scratch of the dense transform
    RAW = np.zeros(_rng.BLOCK, np.uint64)  # one refill's scratch, shared by the runs
    MANT = np.zeros(_rng.BLOCK, np.uint64)
    FLAGS = np.zeros(_rng.BLOCK, np.uint8)
    live0 = np.zeros(nb, np.bool_)
    E_K = _rng._EK  # the exponential ziggurat's tables
    E_W = _rng._EW
    if fasts is not None:  # (typed away when there is no fast stream)
        if direct:
            for b in range(nb):
                live0[b] = status[b, 0] == STATUS_OK
                if live0[b]:
                    fb = fasts[b]
                    NRM[b, :] = fb.normals
                    WRD[b, :] = fb.words
                    POS[b, :] = fb.pos
    done = 0
    while done < n_updates:
        u_blk = min(block, n_updates - done)
        for b in range(nb):  # the draws, run by run (each its own generator, as alone)
            if status[b, 0] == STATUS_OK and not direct:
                db = DrawSource(gens[b], n, v, draws.codes)
                if fasts is None:
                    _updates(wd, model, None, db, None, step, recd, 0, u_blk, (X[b], XI[b]))
                else:
                    _updates(wd, model, None, db, fasts[b], step, recd, 0, u_blk, (X[b], XI[b]))
        for u in range(u_blk):
            t = t0 + done + u + 1
            G[:, :] = 0.0
            for bb in range(batch):
                s = u * batch + bb
                drawn = False
                if fasts is not None:
                    if direct:  # _updates' fast draws, written to XT[8 c + b]
                        # the live runs' blocks refilled where empty; in step (the runs draw
                        # alike), the sample is one transposed copy, else run by run
                        if law == LawCode.GAUSSIAN or law == LawCode.MIXTURE:
                            p0 = -1
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                p = POS[b, 1]
                                if p >= _rng.BLOCK:
                                    fb = fasts[b]
                                    _rng._refill_block(fb.lanes, fb.aux, RAW, MANT, FLAGS, NRM[b])
                                    p = 0
                                    POS[b, 1] = 0
                                if p0 == -1:
                                    p0 = p
                                elif p0 != p:
                                    p0 = -2
                            in_step = p0 >= 0 and p0 + n <= _rng.BLOCK
                            if in_step:  # unsigned indices: no negative-index checks
                                pu = np.uint64(p0)
                                for c in range(np.uint64(n)):
                                    o = np.uint64(nb) * c
                                    for b in range(np.uint64(nb)):
                                        XT[o + b] = NRM[b, pu + c]
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                if in_step:
                                    POS[b, 1] = p0 + n
                                    continue
                                j = 0
                                while j < n:
                                    p = POS[b, 1]
                                    if p >= _rng.BLOCK:
                                        fb = fasts[b]
                                        _rng._refill_block(fb.lanes, fb.aux, RAW, MANT, FLAGS,
                                                           NRM[b])  # fmt: skip
                                        p = 0
                                    mm = min(n - j, _rng.BLOCK - p)
                                    o = np.uint64(nb * j + b)  # XT's (j, b), unsigned
                                    pu = np.uint64(p)
                                    for c_ in range(np.uint64(mm)):
                                        XT[o + np.uint64(nb) * c_] = NRM[b, pu + c_]
                                    POS[b, 1] = p + mm
                                    j += mm
                            if law == LawCode.MIXTURE:
                                for j in range(n * nb):
                                    XT[j] *= MIX_TAU
                        elif law == LawCode.UNIFORM:  # one word-queue uniform each
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                for j in range(n):
                                    p = POS[b, 0]
                                    if p >= _rng.BLOCK:
                                        _rng._refill(fasts[b].lanes, WRD[b])
                                        p = 0
                                    POS[b, 0] = p + 1
                                    unif = float(WRD[b, p] >> _rng._U11) * _rng._TWO_M53
                                    XT[nb * j + b] = -SQRT3 + (SQRT3 - -SQRT3) * unif
                        elif law == LawCode.STUDENT_T:  # g_0 sqrt(3 / (g_1^2 + ... + g_5^2))
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                for j in range(n):
                                    g0 = 0.0
                                    ss = 0.0
                                    for i6 in range(6):
                                        p = POS[b, 1]
                                        if p >= _rng.BLOCK:
                                            fb = fasts[b]
                                            _rng._refill_block(fb.lanes, fb.aux, RAW, MANT, FLAGS,
                                                               NRM[b])  # fmt: skip
                                            p = 0
                                        POS[b, 1] = p + 1
                                        g = NRM[b, p]
                                        if i6 == 0:
                                            g0 = g
                                        else:
                                            ss += g * g
                                    XT[nb * j + b] = g0 * math.sqrt(3.0 / ss)
                        elif law == LawCode.EXPONENTIAL:  # E - 1, the exponential ziggurat
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                j = 0
                                while j < n:  # one word-queue word each
                                    p = POS[b, 0]
                                    if p >= _rng.BLOCK:
                                        _rng._refill(fasts[b].lanes, WRD[b])
                                        p = 0
                                    mm = min(n - j, _rng.BLOCK - p)
                                    for c_ in range(mm):
                                        e_w = WRD[b, p + c_]
                                        e_i = np.int64(e_w & _rng._EMASK)
                                        e_u = float(e_w >> _rng._U12) * 2.0**-52
                                        e_x = e_u * E_W[e_i]
                                        if e_u >= E_K[e_i]:  # rare (0.64%): the slow path
                                            e_x = _rng._exp_slow(fasts[b].aux, e_i, e_x)
                                        XT[nb * (j + c_) + b] = e_x - 1.0
                                    POS[b, 0] = p + mm
                                    j += mm
                        elif law == LawCode.RADEMACHER:  # zeros, then the signs below
                            for j in range(n * nb):
                                XT[j] = 0.0
                        if law == LawCode.RADEMACHER or law == LawCode.MIXTURE:
                            mu = MIX_MU if law == LawCode.MIXTURE else 1.0
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                word = np.uint64(0)
                                for j in range(n):  # bit j % 64 of a fresh word per 64
                                    if j % 64 == 0:
                                        p = POS[b, 0]
                                        if p >= _rng.BLOCK:
                                            _rng._refill(fasts[b].lanes, WRD[b])
                                            p = 0
                                        POS[b, 0] = p + 1
                                        word = WRD[b, p]
                                    bit = (word >> np.uint64(j % 64)) & np.uint64(1)
                                    XT[nb * j + b] += mu * (float(bit) * 2.0 - 1.0)
                        # x = L z, each run's column in _transform's order
                        if cov == CovCode.DIAGONAL:
                            for j in range(n):
                                cj = cov_vec[j]
                                for b in range(nb):
                                    XT[nb * j + b] = XT[nb * j + b] * cj
                        elif cov == CovCode.AR1:
                            for j in range(1, n):  # XT[j - 1] holds x_{j-1}, XT[j] z_j
                                for b in range(nb):
                                    prev = XT[nb * (j - 1) + b]
                                    XT[nb * j + b] = rho * prev + XT[nb * j + b] * s_ar
                        elif cov == CovCode.DENSE:
                            for j in range(n * nb):
                                ZT[j] = XT[j]
                            for j in range(n):
                                for b in range(nb):
                                    acc = 0.0
                                    for c in range(n):
                                        acc += cov_L[j, c] * ZT[nb * c + b]
                                    XT[nb * j + b] = acc
                        if noise != NoiseCode.NONE:
                            for b in range(nb):
                                if status[b, 0] != STATUS_OK:
                                    continue
                                if noise == NoiseCode.UNIFORM:  # low + (high - low) U
                                    p = POS[b, 0]
                                    if p >= _rng.BLOCK:
                                        _rng._refill(fasts[b].lanes, WRD[b])
                                        p = 0
                                    POS[b, 0] = p + 1
                                    unif = float(WRD[b, p] >> _rng._U11) * _rng._TWO_M53
                                    low = -level * SQRT3
                                    high = level * SQRT3
                                    XI[b, s] = low + (high - low) * unif
                                else:  # S g, or S ||x|| / sqrt(tr Sigma) g
                                    p = POS[b, 1]
                                    if p >= _rng.BLOCK:
                                        fb = fasts[b]
                                        _rng._refill_block(fb.lanes, fb.aux, RAW, MANT, FLAGS,
                                                           NRM[b])  # fmt: skip
                                        p = 0
                                    POS[b, 1] = p + 1
                                    g = NRM[b, p]
                                    if noise == NoiseCode.GAUSSIAN:
                                        XI[b, s] = level * g
                                    else:
                                        ss = 0.0
                                        for j in range(n):
                                            ss += XT[nb * j + b] * XT[nb * j + b]
                                        XI[b, s] = level * math.sqrt(ss) / sqrt_trace * g
                        drawn = True
                if not drawn:
                    for c in range(n):  # interleave sample s of the runs: XT[8 c + b]
                        for b in range(nb):
                            XT[nb * c + b] = X[b, s, c]
                _forward_block(XT, idxp, Wf, v, alpha, PXf, ZSf, F, FT)
                for b in range(nb):
                    label = FT[b] * inv_k
                    if noise != NoiseCode.NONE:
                        label = label + XI[b, s]
                    res[b] = label - F[b] * inv_k
                    if status[b, 0] == STATUS_OK and not np.isfinite(res[b]):
                        status[b, 0] = STATUS_DIVERGED
                        status[b, 1] = t
                if code == RuleCode.CONVOTRON:
                    if only_patch >= 0:
                        for a in range(r):
                            c = idxp[only_patch, a]
                            for b in range(nb):
                                G[a, b] += res[b] * XT[nb * c + b]
                    elif use_h:
                        for a in range(r):
                            hq[:] = 0.0
                            for b2 in range(r):
                                h = precond[a, b2]
                                for b in range(nb):
                                    hq[b] += h * PX[b2, b]
                            for b in range(nb):
                                G[a, b] += res[b] * hq[b]
                    else:
                        for a in range(r):
                            for b in range(nb):
                                G[a, b] += res[b] * PX[a, b]
                elif code == RuleCode.SGD:
                    for i in range(k):
                        for b in range(nb):
                            zi = ZS[i, b]
                            if zi > 0.0:
                                d = 1.0
                            elif zi < 0.0:
                                d = alpha
                            else:
                                d = deriv_at_zero
                            on[b] = d != 0.0
                            cf[b] = res[b] * d * inv_k
                        for a in range(r):
                            c = idxp[i, a]
                            for b in range(nb):
                                if on[b]:
                                    G[a, b] += cf[b] * XT[nb * c + b]
            total[:] = 0.0
            big[:] = 0.0
            for a in range(r):
                for b in range(nb):
                    W[a, b] += eta * (G[a, b] * inv_b)
                    total[b] += W[a, b]
                    big[b] = max(big[b], abs(W[a, b]))
            do_record = every > 0 and t % every == 0
            for b in range(nb):
                if status[b, 0] != STATUS_OK:
                    for a in range(r):
                        W[a, b] = 0.0
                    continue
                if not np.isfinite(total[b]) or big[b] > DIVERGENCE_LIMIT:
                    status[b, 0] = STATUS_DIVERGED
                    status[b, 1] = t
                    for a in range(r):
                        W[a, b] = 0.0
                    continue
                if track and (do_record or (eps >= 0.0 and first_hit[b] < 0)):
                    d2 = 0.0
                    for a in range(r):
                        diff = W[a, b] - w_star[a]
                        d2 += diff * diff
                    if do_record:
                        hist[b, t // every] = d2
                    if eps >= 0.0 and first_hit[b] < 0 and d2 <= eps:
                        first_hit[b] = t
        done += u_blk
    if fasts is not None:
        if direct:  # the streams continue where the runs stopped
            for b in range(nb):
                if live0[b]:
                    fb = fasts[b]
                    fb.normals[:] = NRM[b]
                    fb.words[:] = WRD[b]
                    fb.pos[:] = POS[b]
    for b in range(nb):
        if status[b, 0] == STATUS_OK:
            status[b, 1] = t0 + n_updates
