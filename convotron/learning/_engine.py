"""The engine under :func:`convotron.learning.algorithm.fit`.

The compiled loop driven chunk by chunk.

:func:`_drive` runs a step ``u`` updates at a time: over a source's rows
(:func:`_chunked_step`, :func:`convotron._compiled._kernels.run_rows`) or drawing a teacher's
samples in the loop (:func:`_fused_step`, :func:`convotron._compiled._kernels.run_draws`). Either
updates ``w`` in place, records ``‖w_t − w*‖²`` and the first hit (a
:class:`~convotron._codes.Recorder`), and stops on divergence or a non-finite sample;
:func:`_drive` then builds the :class:`RunResult`. Everything it receives is already
validated (:class:`_Checked`); the rule enters only through its protocol
(:class:`convotron.learning.rules.Rule`): its compiled step and its linearised direction.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._codes import Model, Recorder, RowSource, SourceCodes, Step, start_recorder
from .._compiled import _kernels
from .._errors import ConvotronError, DivergenceError
from .._interrupts import holding_interrupts
from .._limits import DIVERGENCE_LIMIT
from .._validate import DEFAULT_STREAM
from .results import RunResult

if TYPE_CHECKING:
    from .rules import Rule
    from .sources import NextChunk

__all__: list[str] = []

#: ``step(w, u, done, rec) -> (status, t)``: ``u`` updates of ``w`` in place after ``done``,
#: recording into ``rec`` (the contract of :func:`convotron._compiled._kernels.run_draws`).
RunStep = Callable[[np.ndarray, int, int, Recorder], tuple[int, int]]


@dataclass(frozen=True)
class _Checked:
    """The arguments common to every run, validated once."""

    rule: Rule
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

    @property
    def model(self) -> Model:
        """The compiled loop's :class:`~convotron._codes.Model` (patch indices, slope)."""
        return Model(self.indices, self.alpha)

    @property
    def step(self) -> Step:
        """The compiled loop's :class:`~convotron._codes.Step` (η, B, the rule's step)."""
        return Step(self.eta, self.batch, self.rule.compiled(self.alpha))


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
    g = c.rule.direction(patches)
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


def _chunked_step(
    next_chunk: NextChunk, c: _Checked
) -> tuple[RunStep, Callable[[], None], Callable[[], np.ndarray | None]]:
    """Return the step over a source's rows, the call that loads its kernel, and the rows.

    The third function gives the rows of the last chunk (the divergence message's step hint).
    """
    model, kstep = c.model, c.step
    last: list[np.ndarray | None] = [None]

    def step(w: np.ndarray, u: int, done: int, rec: Recorder) -> tuple[int, int]:
        X, y = next_chunk(u)
        last[0] = X
        status, t = _kernels.run_rows(w, model, RowSource(X, y), kstep, rec, done)
        return int(status), int(t)

    def warm() -> None:  # empty rows: compiles or loads the kernel and updates nothing
        r = c.indices.shape[1]
        rows = RowSource(np.zeros((0, c.n)), np.zeros(0))
        _kernels.run_rows(np.zeros(r), model, rows, kstep, _empty_recorder(), 0)

    return step, warm, lambda: last[0]


def _empty_recorder() -> Recorder:
    return start_recorder(np.zeros(0), None, 0, None, None)


def _fused_step(
    rng: np.random.Generator,
    teacher_w: np.ndarray,
    codes: SourceCodes,
    c: _Checked,
    stream: str = DEFAULT_STREAM,
) -> tuple[RunStep, Callable[[], None]]:
    """Return the step drawing a teacher's samples in the compiled loop, and its warm-up.

    ``stream="fast"``: the samples come from the fast stream seeded from ``rng``
    (:func:`convotron._compiled._rng.stream_from_generator`, called here, once per run).
    """
    from ._sampling import draw_source

    model, kstep = c.model, c.step
    if stream == "fast":
        from .._compiled import _rng

        _rng.check_fast_law(codes.law)
        fast = _rng.stream_from_generator(rng)
        draws = draw_source(rng, c.n, teacher_w, codes)  # its rng is typed, not used

        def step(w: np.ndarray, u: int, done: int, rec: Recorder) -> tuple[int, int]:
            with holding_interrupts():  # unboxing the generator: no Ctrl-C or kill mid-way
                status, t = _kernels.run_draws_fast(w, model, draws, fast, kstep, rec, done, u)
            return int(status), int(t)

    else:
        draws = draw_source(rng, c.n, teacher_w, codes)

        def step(w: np.ndarray, u: int, done: int, rec: Recorder) -> tuple[int, int]:
            with holding_interrupts():  # unboxing the generator: no Ctrl-C or kill mid-way
                status, t = _kernels.run_draws(w, model, draws, kstep, rec, done, u)
            return int(status), int(t)

    def warm() -> None:  # n_updates = 0 compiles or loads the kernel and draws nothing
        step(np.zeros(c.indices.shape[1]), 0, 0, _empty_recorder())

    return step, warm


def _drive(
    step: RunStep,
    warm: Callable[[], None],
    c: _Checked,
    w0: np.ndarray,
    *,
    step_name: str,
    iters: int,
    chunk_updates: int,
    progress: bool,
    only_patch_disjoint: bool | None,
    hint_rows: Callable[[], np.ndarray | None] = lambda: None,
) -> RunResult:
    """Run ``iters`` updates, ``chunk_updates`` at a time, with ``step``.

    The compiled kernel is loaded (or compiled) by ``warm()`` before the clock starts, so
    ``seconds`` measures the run itself, sample drawing included.
    """
    eta, algorithm = c.eta, c.rule.algorithm
    warm()
    start = time.perf_counter()
    w = np.array(w0, dtype=np.float64, copy=True)
    recorder = start_recorder(w, c.w_star, iters, c.record_every, c.eps)
    done = 0
    diverged = False
    with _progress_bar(iters, progress, algorithm) as bar:
        while done < iters:
            u = min(chunk_updates, iters - done)
            status, t = step(w, u, done, recorder)
            if status == _kernels.STATUS_DIVERGED:
                if not c.record_divergence:
                    rows = hint_rows()
                    stable = None if rows is None else _stable_step(rows, c)
                    raise _divergence(algorithm, step_name, eta, int(t), iters, stable)
                diverged = True
                _mark_diverged(w, recorder, int(t))
                break
            if status == _kernels.STATUS_BAD_SAMPLE:
                raise ConvotronError(
                    f"a sample used at iteration {int(t)} is not finite (NaN or inf in x or "
                    "y); every sample must be finite. Fix the sampler or the data."
                )
            done += u
            bar.update(u)
    seconds = time.perf_counter() - start
    return _finish(c, w, recorder, iters, diverged, seconds, only_patch_disjoint)


def _mark_diverged(w: np.ndarray, recorder: Recorder, t: int) -> None:
    """Mark a run diverged at update ``t``: NaN weights, ``+inf`` records from ``t`` on."""
    w[:] = np.nan
    if recorder.every:
        recorder.hist[-(-t // recorder.every) :] = np.inf


def _finish(
    c: _Checked,
    w: np.ndarray,
    recorder: Recorder,
    iters: int,
    diverged: bool,
    seconds: float,
    only_patch_disjoint: bool | None,
) -> RunResult:
    """Return the :class:`RunResult` of a run of ``iters`` updates that ended with ``w``."""
    w_star, rec, hist, first = c.w_star, recorder.every, recorder.hist, recorder.first_hit
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
        eta=c.eta,
        algorithm=c.rule.algorithm,
        batch=c.batch,
        only_patch=c.only_patch,
        record_every=c.record_every,
        history_t=history_t,
        history=history,
        sq_error=None
        if w_star is None
        else (math.inf if diverged else float(np.sum((w - w_star) ** 2))),
        first_hit=int(first[0]) if first[0] >= 0 else None,
        seconds=seconds,
        updates_per_second=iters / seconds if seconds > 0 else math.inf,
        samples=iters * c.batch,
        only_patch_disjoint=only_patch_disjoint,
        diverged=diverged,
    )
