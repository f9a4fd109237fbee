"""Many independent runs of one rule on one teacher: :func:`run_many`, :func:`run_range`.

Run ``j`` of ``run_many(rule, teacher, ..., seed=s)`` uses
``numpy.random.default_rng(SeedSequence(s).spawn(runs)[j])``, which is the generator of
``SeedSequence(s, spawn_key=(j,))``: :func:`run_range` computes any slice of the runs
(a chunk sent to a Dask worker by :mod:`convotron.glue.dask`) exactly as :func:`run_many`
computes them, and :func:`collect_runs` assembles both, so the two cannot drift apart. The
results do not depend on ``workers`` (threads: the compiled loop releases the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ._engine import _progress_bar
from ._errors import ConvotronError
from ._limits import MAX_RECORDS, MAX_RUN_WORK, sample_cost
from ._validate import (
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
from .algorithm import _ETA, _RULE, _check_common, _check_cost, _fit
from .problem import Teacher
from .results import ManyResult, RunResult

if TYPE_CHECKING:
    from .rules import Rule

__all__ = ["collect_runs", "run_many", "run_range"]

_TEACHER = Param(
    "teacher",
    InstanceOf(Teacher, "a convotron.problem.Teacher"),
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
    stream: str = "numpy",
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
        The update (:mod:`convotron.rules`), as in :func:`fit`.
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
    stream : {"numpy", "fast"}, default "numpy"
        The random stream of each run's fused loop, as in :func:`fit` (``"fast"``: run
        ``j``'s fast stream is seeded from its generator).
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

    def one_run(seq: np.random.SeedSequence) -> RunResult:
        return _seeded_run(rule, teacher, seq, **kw)

    start = time.perf_counter()
    results: list[RunResult] = []
    with _progress_bar(R, progress, f"{rule.algorithm} runs") as bar:
        if nw == 1:
            for seq in seqs:
                results.append(one_run(seq))
                bar.update(1)
        else:
            with ThreadPoolExecutor(max_workers=nw) as pool:
                for res in pool.map(one_run, seqs):
                    results.append(res)
                    bar.update(1)
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
    stream: str = "numpy",
) -> list[RunResult]:
    """Run runs ``start .. stop − 1`` of :func:`run_many` with the same ``seed``, one result each.

    Run ``j`` uses ``SeedSequence(seed, spawn_key=(j,))``, which is
    ``SeedSequence(seed).spawn(runs)[j]`` for any ``runs > j``: so ``run_many`` is
    ``collect_runs(run_range(..., start=0, stop=a) + run_range(..., start=a, stop=runs))``
    bitwise, whatever the split (how :mod:`convotron.glue.verify` and
    :mod:`convotron.glue.sweep` send the runs of a case or a cell to Dask workers in chunks).
    ``seed`` is an int or a list of ints and ``stream`` a stream, as in :func:`run_many`.
    """
    root, lo = seed, start  # checked and converted by the table
    hi = validate("stop", stop, Interval(int, lo, None), meaning="one past the last run",
                  fix=_START.fix)  # fmt: skip
    kw = dict(eta=eta, iters=iters, batch=batch, record_every=record_every, eps=eps,
              on_divergence=on_divergence, stream=stream)  # fmt: skip
    return [
        _seeded_run(rule, teacher, np.random.SeedSequence(root, spawn_key=(j,)), **kw)
        for j in range(lo, hi)
    ]


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
