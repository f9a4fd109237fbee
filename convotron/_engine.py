"""The engine under :func:`convotron.algorithm.fit`: the compiled loop driven chunk by chunk.

:func:`_drive` asks a source for the rows of ``u`` updates at a time, runs
:func:`convotron._kernels.run_updates` on them (which updates ``w`` in place, records
``‖w_t − w*‖²`` and the first hit, and stops on divergence or a non-finite sample), and
builds the :class:`RunResult`. Everything it receives is already validated (:class:`_Checked`).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _kernels
from ._errors import ConvotronError, DivergenceError
from ._limits import DIVERGENCE_LIMIT
from .results import RunResult

if TYPE_CHECKING:
    from .rules import ConvotronRule, SGDRule, _Start
    from .sources import NextChunk

__all__: list[str] = []


@dataclass(frozen=True)
class _Checked:
    """The arguments common to every run, validated once."""

    rule: ConvotronRule | SGDRule
    indices: np.ndarray
    n: int
    alpha: float
    eta: float
    batch: int
    only_patch: int | None
    w_star: np.ndarray | None
    record_every: int | None
    eps: float | None
    record_divergence: bool


def _stable_step(X: np.ndarray, c: _Checked) -> float | None:
    r"""Half the step at which the linearised update overshoots on average, from rows ``X``.

    With slope 1 the update is :math:`w \leftarrow w - \eta\, g\, h^\top (w - w^*)`
    with :math:`h = \frac1k Px` (the gradient of :math:`f_w`) and :math:`g = Px` (Convotron),
    :math:`P_j x` (one patch) or :math:`\frac1k Px` (SGD); it stays bounded on average when
    :math:`\eta\, \mathbb{E}[h^\top g] < 2`. Returns :math:`1 / \overline{h^\top g}` over
    (a bounded number of) the rows, a step a factor 2 inside that limit; None without rows.
    """
    k, r = c.indices.shape
    rows = max(1, min(X.shape[0], (1 << 22) // (k * r)))
    if X.shape[0] == 0:
        return None
    patches = X[:rows][:, c.indices]  # (rows, k, r)
    px = patches.sum(axis=1)
    if c.rule.algorithm == "sgd":
        g = px / k
    elif c.only_patch is not None:
        g = patches[:, c.only_patch, :]
    else:
        g = px
    mean = float(np.mean(np.abs(np.einsum("ij,ij->i", px / k, g))))
    return 1.0 / mean if mean > 0 and math.isfinite(mean) else None


def _divergence(
    algorithm: str, name: str, eta: float, t: int, iters: int, stable: float | None
) -> DivergenceError:
    hint = (
        f"Use a smaller {name}, e.g. {name}={stable:.2g} or less (half the step at which "
        "the linearised update overshoots on these samples)."
        if stable is not None and stable < eta
        else f"Use a smaller {name}."
    )
    error = DivergenceError(
        f"{algorithm} diverged: the weights became non-finite or larger than "
        f"{DIVERGENCE_LIMIT:.0e} at iteration {t} of {iters} with step size {name}={eta:g}; "
        f"the step size must be small enough for the iterates to stay bounded. {hint}",
        param=name,
    )
    return error


def _progress_bar(total: int, progress: bool, desc: str) -> Any:
    """Return a tqdm bar on stderr, shown only when ``progress`` and stderr is a terminal."""
    from tqdm import tqdm

    disable = not (progress and sys.stderr.isatty())
    return tqdm(total=total, disable=disable, desc=desc, unit="upd", file=sys.stderr, leave=False)


def _warm_kernel(r: int, n: int) -> None:
    """Call the kernel once on empty arrays of the run's types (loads the compiled code)."""
    _kernels.run_updates(
        np.zeros(r), np.zeros((0, n)), np.zeros(0), np.zeros((1, r), dtype=np.int64), 0.0, 1.0,
        1, -1, _kernels.MODE_CONVOTRON, 0.0, np.zeros(0), 0, 0, np.zeros(1), -1.0,
        np.full(1, -1, dtype=np.int64),
    )  # fmt: skip


def _drive(
    next_chunk: NextChunk,
    c: _Checked,
    start_: _Start,
    *,
    step_name: str,
    iters: int,
    chunk_updates: int,
    progress: bool,
    only_patch_disjoint: bool | None,
) -> RunResult:
    """Run ``iters`` updates, asking ``next_chunk(u)`` for the rows of ``u`` updates at a time.

    The compiled kernel is loaded (or compiled) before the clock starts, so ``seconds``
    measures the run itself, sample drawing included.
    """
    indices, n, alpha, eta, batch = c.indices, c.n, c.alpha, c.eta, c.batch
    w_star, record_every, eps, only_patch = c.w_star, c.record_every, c.eps, c.only_patch
    mode, deriv_at_zero, algorithm = start_.mode, start_.deriv_at_zero, c.rule.algorithm
    _warm_kernel(indices.shape[1], n)
    start = time.perf_counter()
    w = np.array(start_.w0, dtype=np.float64, copy=True)
    ws = w_star if w_star is not None else np.zeros(0)
    rec = record_every or 0
    hist = np.full(iters // rec + 1 if rec else 1, np.nan)
    first = np.full(1, -1, dtype=np.int64)
    if w_star is not None:
        d0 = float(np.sum((w - w_star) ** 2))
        hist[0] = d0
        if eps is not None and d0 <= eps:
            first[0] = 0
    op = -1 if only_patch is None else only_patch
    e = -1.0 if eps is None else eps
    done = 0
    diverged = False
    with _progress_bar(iters, progress, algorithm) as bar:
        while done < iters:
            u = min(chunk_updates, iters - done)
            X, y = next_chunk(u)
            status, t = _kernels.run_updates(
                w, X, y, indices, alpha, eta, batch, op, mode, deriv_at_zero,
                ws, rec, done, hist, e, first,
            )  # fmt: skip
            if status == _kernels.STATUS_DIVERGED:
                if not c.record_divergence:
                    stable = _stable_step(X, c)
                    raise _divergence(algorithm, step_name, eta, int(t), iters, stable)
                diverged = True
                w[:] = np.nan
                if rec:  # records at and after the divergence are +inf
                    hist[-(-int(t) // rec) :] = np.inf
                break
            if status == _kernels.STATUS_BAD_SAMPLE:
                raise ConvotronError(
                    f"a sample used at iteration {int(t)} is not finite (NaN or inf in x or "
                    "y); every sample must be finite. Fix the sampler or the data."
                )
            done += u
            bar.update(u)
    seconds = time.perf_counter() - start
    history_t: np.ndarray | None = None
    history: np.ndarray | None = None
    if rec and w_star is not None:
        history_t = np.arange(0, iters + 1, rec, dtype=np.int64)
        history = hist
        if iters % rec:
            history_t = np.append(history_t, iters)
            history = np.append(hist, np.inf if diverged else np.sum((w - w_star) ** 2))
    return RunResult(
        w=w,
        iterations=iters,
        eta=eta,
        algorithm=algorithm,
        batch=batch,
        only_patch=only_patch,
        record_every=record_every,
        history_t=history_t,
        history=history,
        sq_error=None
        if w_star is None
        else (math.inf if diverged else float(np.sum((w - w_star) ** 2))),
        first_hit=int(first[0]) if first[0] >= 0 else None,
        seconds=seconds,
        updates_per_second=iters / seconds if seconds > 0 else math.inf,
        samples=iters * batch,
        only_patch_disjoint=only_patch_disjoint,
        diverged=diverged,
    )
