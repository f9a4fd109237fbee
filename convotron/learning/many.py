"""Many independent runs of one rule on one teacher: :func:`run_many`, :func:`run_range`.

Run ``j`` of ``run_many(rule, teacher, ..., seed=s)`` uses
``numpy.random.default_rng(SeedSequence(s).spawn(runs)[j])``, which is the generator of
``SeedSequence(s, spawn_key=(j,))``: :func:`run_range` computes any slice of the runs
(a chunk sent to a Dask worker by :mod:`convotron.glue.dask`) exactly as :func:`run_many`
computes them, and :func:`collect_runs` assembles both, so the two cannot drift apart. The
results do not depend on ``workers`` (threads: the compiled loop releases the GIL).

**Lockstep** (``lockstep=True``, the default): the runs go through the
compiled loop in blocks of :data:`LOCKSTEP_RUNS`, :func:`convotron._compiled._kernels.run_lockstep`
advancing a block's runs together with the loop over runs innermost (the filters and each
sample laid out ``[dim, run]``, so that the patch gather, the forward pass, the leaky ReLU
and the update run over the runs at once). Each run keeps its own generator (and fast
stream) and draws exactly what it draws alone, in the same order, and every sum keeps its
order: each run's result is **bitwise** that of the one-by-one path (``lockstep=False``:
one :func:`convotron.learning.algorithm.fit` per run; tested for every law, covariance, noise and
rule, ``tests/convotron/test_lockstep.py``). Only ``seconds`` differs (a run's share of its
block's time). Runs that cannot be lockstepped go one by one, with the same results: a rule
bound per run from its own samples (``ConvotronRule(precondition="plugin")``, or a rule
other than :class:`~convotron.learning.rules.ConvotronRule` and
:class:`~convotron.learning.rules.SGDRule` with a ``bind``), a teacher whose law, covariance or
noise the fused loop does not draw (or whose scheme or slope is not the run's), samples too long for
a block's buffer (``(n + 1) · 8 · LOCKSTEP_RUNS · batch`` bytes above ``64 · _BUFFER_BYTES``), a
block of a single run, and any call whose arguments ``fit`` refuses (the one-by-one path then raises
its usual error).

Speed (``benchmarks/bench_lockstep.py``, thread CPU time, the development machine): each
run's draws stay its own (about 60 % of a run of ``1d:64,8,2`` on numpy's stream); on the
fast stream (every law) the kernel copies each run's draws from its
stream's blocks straight into the interleaved sample, with no per-run buffer and no
interleaving pass. The forward pass of the 8
runs is 8 independent scalar chains, which become vector instructions only with LLVM's SLP
vectoriser, off in numba by default: :func:`_slp_vectorised` turns it on while the lockstep
kernel compiles (the same bits: ``fastmath=False``). Lockstep against one by one on
``1d:64,8,2``: 1.43-1.50x on the fast stream, 1.16-1.19x on numpy's; ``1d:16,4,2``
1.83-1.89x and 1.26-1.31x; ``2d:32,32,5,5,1,1`` 1.66-1.70x and 1.58-1.63x.
``benchmarks/README.md`` has the figures and where the time goes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .._codes import Recorder, start_recorder
from .._errors import ConvotronError
from .._interrupts import holding_interrupts
from .._limits import MAX_RECORDS, MAX_RUN_WORK, sample_cost
from .._validate import (
    BATCH,
    EPS,
    ITERS,
    ON_DIVERGENCE,
    RECORD_EVERY,
    RUNS,
    SEEDS,
    STREAM,
    WORKERS,
    InstanceOf,
    Interval,
    Param,
    table,
    validate,
    validate_params,
)
from ..model.problem import Teacher
from ._engine import _Checked, _finish, _mark_diverged, _progress_bar
from .algorithm import _ETA, _RULE, _check_common, _check_cost, _fit
from .results import ManyResult, RunResult

if TYPE_CHECKING:
    from .rules import Rule

__all__ = ["LOCKSTEP_RUNS", "collect_runs", "run_many", "run_range"]

#: Runs advanced together by :func:`convotron._compiled._kernels.run_lockstep` (a block; the last
#: block of a call is padded with idle runs that draw nothing).
LOCKSTEP_RUNS = 8
#: Bytes of one block's sample buffer, ``updates · batch · (n + 1) · 8 · LOCKSTEP_RUNS``
#: (kept within the L2 cache): it sets how many updates the runs draw at a time.
_BUFFER_BYTES = 1 << 17

_TEACHER = Param(
    "teacher",
    InstanceOf(Teacher, "a convotron.model.problem.Teacher"),
    fix="Build one with Teacher.random(scheme, alpha, rng); run_many(rule, teacher, ...) takes "
    "the rule first.",
)
_START = Param("start", Interval(int, 0, None), meaning="the first run",
               fix="Pass a range of run indices, 0 <= start <= stop.")  # fmt: skip
_RUNS_OF = (_ETA, BATCH, RECORD_EVERY, EPS, ON_DIVERGENCE, ITERS, STREAM)
#: The tables (convotron._validate); the scheme's, the slope's and w*'s checks are fit's.
RUN_MANY_TABLE = table(_RULE, _TEACHER, RUNS, WORKERS, SEEDS, *_RUNS_OF)
RUN_RANGE_TABLE = table(_RULE, _TEACHER, SEEDS, _START, *_RUNS_OF)


@validate_params(RUN_MANY_TABLE)
def run_many(
    rule: Rule,
    teacher: Teacher,
    *,
    eta: float,
    iters: int,
    runs: int,
    seed: int | Sequence[int],
    workers: int = 2,
    batch: int = 1,
    record_every: int | None = None,
    eps: float | None = None,
    progress: bool = False,
    on_divergence: str = "record",
    stream: str | None = None,
    lockstep: bool = True,
) -> ManyResult:
    """Run ``runs`` independent runs of ``rule`` on fresh samples of one teacher.

    Run ``j`` is ``fit(rule, teacher, teacher.scheme, teacher.alpha, ..., w_star=teacher.w_star,
    rng=numpy.random.default_rng(SeedSequence(seed).spawn(runs)[j]))``, so the results are
    identical whatever ``workers`` is. The runs execute on ``workers`` threads; the compiled
    loop releases the GIL (``nogil=True``) and numpy's generators release it while filling
    arrays, so two workers use two cores (see ``benchmarks/README.md``).

    Parameters
    ----------
    rule : ConvotronRule or SGDRule
        The update (:mod:`convotron.learning.rules`), as in :func:`fit`.
    teacher : Teacher
        Supplies ``sample``, ``scheme``, ``alpha`` and ``w_star`` (used only for recording).
    eta, iters, batch, record_every, eps
        As in :func:`fit`.
    runs : int
        Number of independent runs.
    seed : int or sequence of int
        Entropy of the root ``SeedSequence`` (non-negative: a seed, or several words such as
        a sweep cell's ``[seed, cell hash]``).
    workers : int, default 2
        Threads.
    progress : bool
        Progress bar over runs (terminal only).
    on_divergence : {"record", "raise"}, default "record"
        A run whose weights become non-finite is recorded (``diverged[j]``, final squared
        error ``inf``, NaN weights) so that one divergent run does not discard the others;
        ``"raise"`` raises :class:`DivergenceError` instead.
    stream : {None, "fast", "numpy"}, default None
        The random stream of each run's fused loop, as in :func:`fit` (the fast one by
        default; run ``j``'s fast stream is seeded from its generator).
    lockstep : bool, default True
        True advances the runs in blocks of :data:`LOCKSTEP_RUNS` together (the module
        docstring; bitwise the same results); False runs them one by one (one :func:`fit`
        each, the reference and the benchmarks' baseline).
    """
    R, nw, root = runs, workers, seed  # checked and converted by the table
    # validate once, before any thread starts
    _check_common(rule, teacher.scheme, teacher.alpha, eta, batch, teacher.w_star,
                  record_every, eps, on_divergence)  # fmt: skip
    T, b = iters, batch
    k, r = teacher.scheme.k, teacher.scheme.r
    _check_cost(T, b, teacher.scheme.n, k * r)  # one run
    work = R * T * b * sample_cost(k * r, teacher.scheme.n)
    if work > MAX_RUN_WORK:
        raise ConvotronError(
            f"runs is too large for this problem: {R} runs of {T} updates would take about "
            f"{work / 1e9 / 60:.3g} minutes of one core, above the limit of "
            f"{MAX_RUN_WORK / 1e9 / 60:.0f} minutes. Pass fewer runs or fewer iters.",
            param="runs",
        )
    if record_every is not None and R * (T // int(record_every) + 1) > MAX_RECORDS:
        raise ConvotronError(
            f"record_every is too small for {R} runs of {T} updates: "
            f"{R * (T // int(record_every) + 1)} distances would be kept, above the limit of "
            f"{MAX_RECORDS}. Pass a larger record_every.",
            param="record_every",
        )
    seqs = np.random.SeedSequence(root).spawn(R)
    kw = dict(eta=eta, iters=iters, batch=batch, record_every=record_every, eps=eps,
              on_divergence=on_divergence, stream=stream)  # fmt: skip

    # blocks of runs: LOCKSTEP_RUNS at most, and at least one block per worker
    per = max(1, min(LOCKSTEP_RUNS, -(-R // nw))) if lockstep else 1
    bounds = [(lo, min(lo + per, R)) for lo in range(0, R, per)]

    def one_block(lo_hi: tuple[int, int]) -> list[RunResult]:
        return _run_seqs(rule, teacher, seqs[lo_hi[0] : lo_hi[1]], lockstep, kw)

    start = time.perf_counter()
    results: list[RunResult] = []
    with _progress_bar(R, progress, f"{rule.algorithm} runs") as bar:
        if nw == 1 or len(bounds) == 1:
            for blk in bounds:
                results.extend(one_block(blk))
                bar.update(blk[1] - blk[0])
        else:
            with ThreadPoolExecutor(max_workers=nw) as pool:
                for blk, res in zip(bounds, pool.map(one_block, bounds), strict=True):
                    results.extend(res)
                    bar.update(blk[1] - blk[0])
    return collect_runs(results, time.perf_counter() - start)


def _seeded_run(rule: Rule, teacher: Teacher, seq: np.random.SeedSequence, **kw: Any) -> RunResult:
    """One run of :func:`run_many`: ``fit`` on the teacher with the generator of ``seq``."""
    return _fit(rule, teacher, teacher.scheme, teacher.alpha, rng=np.random.default_rng(seq),
                w_star=teacher.w_star, **kw)  # fmt: skip


@validate_params(RUN_RANGE_TABLE)
def run_range(
    rule: Rule,
    teacher: Teacher,
    *,
    eta: float,
    iters: int,
    seed: int | Sequence[int],
    start: int,
    stop: int,
    batch: int = 1,
    record_every: int | None = None,
    eps: float | None = None,
    on_divergence: str = "record",
    stream: str | None = None,
    lockstep: bool = True,
) -> list[RunResult]:
    """Run runs ``start .. stop − 1`` of :func:`run_many` with the same ``seed``, one result each.

    Run ``j`` uses ``SeedSequence(seed, spawn_key=(j,))``, which is
    ``SeedSequence(seed).spawn(runs)[j]`` for any ``runs > j``: so ``run_many`` is
    ``collect_runs(run_range(..., start=0, stop=a) + run_range(..., start=a, stop=runs))``
    bitwise, whatever the split (how :mod:`convotron.glue.verify` and
    :mod:`convotron.glue.sweep` send the runs of a case or a cell to Dask workers in chunks).
    ``seed`` is an int or a list of ints, ``stream`` a stream and ``lockstep`` as in
    :func:`run_many` (blocks of :data:`LOCKSTEP_RUNS` runs within the range).
    """
    root, lo = seed, start  # checked and converted by the table
    hi = validate("stop", stop, Interval(int, lo, None), meaning="one past the last run",
                  fix=_START.fix)  # fmt: skip
    kw = dict(eta=eta, iters=iters, batch=batch, record_every=record_every, eps=eps,
              on_divergence=on_divergence, stream=stream)  # fmt: skip
    seqs = [np.random.SeedSequence(root, spawn_key=(j,)) for j in range(lo, hi)]
    per = LOCKSTEP_RUNS if lockstep else 1
    out: list[RunResult] = []
    for b in range(0, len(seqs), per):
        out.extend(_run_seqs(rule, teacher, seqs[b : b + per], lockstep, kw))
    return out


def _run_seqs(
    rule: Rule, teacher: Teacher, seqs: list[np.random.SeedSequence], lockstep: bool,
    kw: dict[str, Any],
) -> list[RunResult]:  # fmt: skip
    """Run ``seqs``'s runs: in lockstep where :func:`_lockstep` can, else one by one."""
    if lockstep and len(seqs) > 1:
        done = _lockstep(rule, teacher, seqs, **kw)
        if done is not None:
            return done
    return [_seeded_run(rule, teacher, seq, **kw) for seq in seqs]


def _lockstep_rule(rule: Any, teacher: Teacher) -> Any:
    """Return the rule the runs share (``"exact"`` bound once), or None if it is per run."""
    from .rules import ConvotronRule, SGDRule

    if isinstance(rule, ConvotronRule):
        pre = rule.precondition
        if pre == "plugin":  # H = M̂⁻¹ from each run's own first samples
            return None
        if isinstance(pre, str):  # "exact": H = M⁻¹ of the teacher, drawn from nothing
            try:
                return rule.bind(teacher, teacher.scheme, None)[0]
            except ConvotronError:  # one by one: fit raises it
                return None
        return rule
    if isinstance(rule, SGDRule) and getattr(rule, "bind", None) is None:
        return rule
    return None


def _lockstep_checked(
    rule: Any, teacher: Teacher, kw: dict[str, Any]
) -> tuple[_Checked, int, Any, str] | None:
    """Validate as :func:`fit` does: ``(checked, iters, source codes, stream)``, or None.

    None also for any argument ``fit`` refuses: the one-by-one path then raises its error.
    """
    from .._compiled import _rng
    from .._limits import MAX_RECORDS
    from ._sampling import fused_stream
    from .algorithm import _ITERS, _STREAM, _fused_codes

    bound = _lockstep_rule(rule, teacher)
    if bound is None:
        return None
    try:
        stream = _STREAM(kw["stream"])
        c = _check_common(bound, teacher.scheme, teacher.alpha, kw["eta"], kw["batch"],
                          teacher.w_star, kw["record_every"], kw["eps"],
                          kw["on_divergence"])  # fmt: skip
        T = int(_ITERS(kw["iters"]))
        _check_cost(T, c.batch, c.n, c.indices.size)
        codes = _fused_codes(teacher, c)
        if codes is not None:
            stream = fused_stream(stream, codes)
            if stream == "fast":
                _rng.check_fast_law(codes.law)
    except ConvotronError:
        return None
    if codes is None or (c.record_every is not None and T // c.record_every + 1 > MAX_RECORDS):
        return None
    if (c.n + 1) * 8 * LOCKSTEP_RUNS * c.batch > 64 * _BUFFER_BYTES:
        return None
    return c, T, codes, stream


_SLP_LOCK = threading.Lock()


@contextmanager
def _slp_vectorised() -> Iterator[None]:
    """Compile with LLVM's SLP vectoriser on (numba's default is off), then restore it.

    numba reads ``config.SLP_VECTORIZE`` when it optimises a compiled library, so a kernel
    compiled inside this block (:func:`convotron._compiled._kernels.run_lockstep`, on its first call
    with a new signature; a cached kernel keeps the code it was compiled to) is SLP
    vectorised: its 8 runs' scalar chains become vector instructions. The results are the
    same bits (``fastmath=False``: lanes of independent IEEE operations, nothing
    reordered; ``tests/convotron/test_lockstep.py``). The switch is process-wide while it
    lasts (a lock keeps two lockstep calls from interleaving it); another thread compiling
    meanwhile would be vectorised too, with the same bits.
    """
    from numba.core import config

    with _SLP_LOCK:
        old = getattr(config, "SLP_VECTORIZE", 0)
        setattr(config, "SLP_VECTORIZE", 1)  # noqa: B010 (numba's config has no stubs)
        try:
            yield
        finally:
            setattr(config, "SLP_VECTORIZE", old)  # noqa: B010


def _lockstep(
    rule: Rule, teacher: Teacher, seqs: list[np.random.SeedSequence], **kw: Any
) -> list[RunResult] | None:
    """Run ``seqs``'s runs together (:func:`convotron._compiled._kernels.run_lockstep`), or None.

    Run ``j`` is bitwise ``_seeded_run(rule, teacher, seqs[j], **kw)`` (only ``seconds``
    differs: an equal share of the block's time). None when the runs cannot be lockstepped
    (the module docstring lists when); the caller then runs them one by one.
    """
    from .._compiled import _kernels, _rng
    from ._sampling import draw_source

    checked = _lockstep_checked(rule, teacher, kw)
    if checked is None:
        return None
    c, T, codes, stream = checked
    nb, live = LOCKSTEP_RUNS, len(seqs)
    r = c.indices.shape[1]
    fast = stream == "fast"
    gens, fasts, recs = [], [], []
    W = np.zeros((r, nb))
    for j, seq in enumerate(seqs):  # as fit: w_1, then the fast stream's seed, per run
        rng = np.random.default_rng(seq)
        W[:, j] = c.rule.start(r, rng)
        if fast:
            fasts.append(_rng.stream_from_generator(rng))
        gens.append(rng)
        recs.append(start_recorder(W[:, j], c.w_star, T, c.record_every, c.eps))
    idle = nb - live  # padding runs: never drawn from (status -1)
    gens += [gens[0]] * idle
    fasts += fasts[:1] * idle
    hist = np.stack([rec.hist for rec in recs] + [recs[0].hist] * idle)
    first = np.array([rec.first_hit[0] for rec in recs] + [-1] * idle, dtype=np.int64)
    rec = Recorder(recs[0].w_star, recs[0].every, hist, recs[0].eps, first)
    status = np.zeros((nb, 2), dtype=np.int64)
    status[live:, 0] = -1
    idxp = np.where(c.indices < 0, c.n, c.indices).astype(np.int64)
    draws = draw_source(gens[0], c.n, teacher.w_star, codes)
    row = (c.n + 1) * 8 * nb * c.batch
    block = max(1, _BUFFER_BYTES // row)
    args = (c.model, idxp, draws, tuple(gens), tuple(fasts) if fast else None, c.step, rec)
    with _slp_vectorised(), holding_interrupts():  # compiles (or loads), updates nothing
        _kernels.run_lockstep(np.zeros((r, nb)), *args, 0, 0, block, np.full((nb, 2), -1))
    start = time.perf_counter()
    with holding_interrupts():  # unboxing the generators: no Ctrl-C or kill mid-way
        _kernels.run_lockstep(W, *args, 0, T, block, status)
    share = (time.perf_counter() - start) / live
    disjoint = None if c.only_patch is None else bool(teacher.scheme.is_disjoint(c.only_patch))
    out = []
    for j in range(live):
        w = W[:, j].copy()
        rj = Recorder(rec.w_star, rec.every, hist[j], rec.eps, first[j : j + 1])
        diverged = int(status[j, 0]) == int(_kernels.STATUS_DIVERGED)
        if diverged:
            if not c.record_divergence:  # raise fit's own error (with its step hint)
                _seeded_run(rule, teacher, seqs[j], **kw)
            _mark_diverged(w, rj, int(status[j, 1]))
        out.append(_finish(c, w, rj, T, diverged, share, disjoint))
    return out


def collect_runs(results: list[RunResult], seconds: float) -> ManyResult:
    """Stack the results of runs (in run order) into the :class:`ManyResult` of ``run_many``."""
    histories = None
    if results[0].history is not None:
        histories = np.stack([res.history for res in results if res.history is not None])
    return ManyResult(
        final_sq_errors=np.array([res.sq_error for res in results], dtype=np.float64),
        history_t=results[0].history_t,
        histories=histories,
        first_hits=np.array(
            [-1 if res.first_hit is None else res.first_hit for res in results], dtype=np.int64
        ),
        seconds=seconds,
        w=np.stack([res.w for res in results]),
        diverged=np.array([res.diverged for res in results], dtype=bool),
    )
