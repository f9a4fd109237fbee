"""The readable oracle of the fused loop (:mod:`convotron.learning._sampling`), kept beside it.

:func:`fused_reference` draws every sample with numpy's own ``Generator`` methods, one sample
at a time and in the compiled loop's order (the standardised coordinates, then the
covariance transform, then that sample's noise), and applies the update with plain numpy;
the compiled loop must agree with it bitwise (``tests/convotron/test_sampling.py``).
With ``stream="fast"`` it draws from :class:`convotron._compiled._rng.ReferenceStream` (the fast
stream in plain Python integers) in the same order, the oracle of the compiled fast path
(``tests/convotron/test_fast_runs.py``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._codes import CovCode, start_recorder
from .._compiled import _kernels, _rng
from .._limits import DIVERGENCE_LIMIT
from .._validate import DEFAULT_STREAM
from ..data.covariance import Covariance
from ..data.laws import SQRT3
from ..model.activations import leaky_relu
from ._sampling import FusedRun, initial_filter

if TYPE_CHECKING:
    from .rules import Rule

__all__ = ["fused_reference"]


def _seq_sum(values: np.ndarray) -> float:
    """``values[0] + values[1] + ...`` left to right (the compiled loop's order)."""
    total = 0.0
    for v in values.tolist():
        total += v
    return total


@np.errstate(over="ignore", invalid="ignore")  # divergence is a status, not a warning
def fused_reference(
    n: int,
    indices: np.ndarray,
    alpha: float,
    teacher_w: np.ndarray,
    law: Any,
    cov: Covariance,
    noise: Any,
    *,
    eta: float,
    iters: int,
    rng: np.random.Generator,
    batch: int = 1,
    rule: Rule | None = None,
    w0: np.ndarray | None = None,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    stream: str = DEFAULT_STREAM,
) -> FusedRun:
    """Readable per-sample numpy version of :func:`fused_convotron` (the oracle).

    Takes the law, covariance and noise *objects* of :mod:`convotron.data.laws` and draws with
    their own code (``law.draw(rng, (1, n))``, ``cov.transform``, ``noise.sample``), one sample
    at a time in the order of the module docstring, and updates with the rule's readable
    step (:meth:`convotron.learning.rules.Rule.step`). Every sum is written left to right in the
    order of the compiled loop (a numpy reduction or a matrix product may sum in another
    order), which is why the dense ``L z`` and the ``hetero`` norm are explicit loops here.

    ``stream="fast"``: the draws come from ``ReferenceStream(seed_from_generator(rng))``
    (taken after ``w_1``, as the compiled fast path seeds its stream): ``z`` its
    ``draw(law.name, n)``, the noise ``S g``, ``−S√3 + (S√3 − (−S√3)) U`` or
    ``S ‖x‖ / √tr Σ · g`` with its next normal ``g`` or word-queue uniform ``U``.
    """
    idx = np.asarray(indices, dtype=np.int64)
    k, r = idx.shape
    tw = np.asarray(teacher_w, dtype=np.float64)
    rule, w = initial_filter(rule, r, alpha, rng, w0)
    fast = _rng.ReferenceStream(_rng.seed_from_generator(rng)) if stream == "fast" else None
    rec = start_recorder(w, w_star, iters, record_every, eps)
    hist, first, every, e = rec.hist, rec.first_hit, rec.every, rec.eps
    inv_k = 1.0 / k
    inv_b = 1.0 / batch
    kind = noise.kind
    track = w_star is not None
    dense_L = cov.factor() if cov.code == CovCode.DENSE else None
    for t in range(1, iters + 1):
        G = np.zeros(r)
        for _ in range(batch):
            if fast is None:
                z = law.draw(rng, (1, n))[0]
            else:
                z = np.array(fast.draw(law.name, n))
            if dense_L is not None:
                x = np.zeros(n)
                for c in range(n):  # x_j = Σ_c L[j, c] z_c, c in order
                    x = x + dense_L[:, c] * z[c]
            else:
                x = cov.transform(z[None, :])[0]
            if kind == "hetero":
                g = rng.standard_normal() if fast is None else fast.normal()
                xi = noise.level * math.sqrt(_seq_sum(x * x)) / math.sqrt(cov.trace()) * g
            elif kind != "none" and fast is not None:
                if kind == "gaussian":
                    xi = noise.level * fast.normal()
                else:  # uniform
                    low, high = -noise.level * SQRT3, noise.level * SQRT3
                    xi = low + (high - low) * fast.double()
            elif kind != "none":
                xi = float(noise.sample(rng, x[None, :], cov)[0])
            patches = np.where(idx >= 0, x[idx], 0.0)  # (k, r): P_i x; -1 reads a padded 0
            pre_w = np.zeros(k)
            pre_t = np.zeros(k)
            for a in range(r):  # w^T P_i x for all i, summed over a in order
                pre_w = pre_w + w[a] * patches[:, a]
                pre_t = pre_t + tw[a] * patches[:, a]
            y = _seq_sum(leaky_relu(pre_t, alpha)) * inv_k
            if kind != "none":
                y = y + xi
            res = y - _seq_sum(leaky_relu(pre_w, alpha)) * inv_k
            if not math.isfinite(res):
                return FusedRun(w, _kernels.STATUS_DIVERGED, t, hist, int(first[0]))
            G = rule.step(G, patches, pre_w, res, alpha)
        w = w + eta * (G * inv_b)
        if not math.isfinite(_seq_sum(w)) or float(np.max(np.abs(w))) > DIVERGENCE_LIMIT:
            return FusedRun(w, _kernels.STATUS_DIVERGED, t, hist, int(first[0]))
        if track:
            d2 = _seq_sum((w - rec.w_star) * (w - rec.w_star))
            if every and t % every == 0:
                hist[t // every] = d2
            if e >= 0.0 and first[0] < 0 and d2 <= e:
                first[0] = t
    return FusedRun(w, _kernels.STATUS_OK, iters, hist, int(first[0]))
