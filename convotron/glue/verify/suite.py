"""Running ``convotron verify``: one case (:func:`run_case`) and a suite (:func:`run_suite`).

:func:`run_case` reads as its steps: the theorem's numbers for the case's problem
(:func:`convotron.glue.parameters.theorem_parameters`), the plan (how many iterations at
which step size, or no run at all), the runs, the statistics, and the verdict.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._errors import ConvotronError
from ..._validate import Interval, Param
from ...problem import Problem
from ..parameters import TheoremParameters, theorem_parameters
from .cases import Case
from .drift import DRIFT_SAMPLES, DRIFT_Z_LIMIT, drift_at_start, kernel_floor
from .report import (
    STATUS_FAIL,
    STATUS_NOT_RUN,
    STATUS_PASS,
    STATUS_VIOLATED,
    CaseResult,
    Report,
)
from .stats import DEFAULT_SIGNIFICANCE, binomial_p_value, clopper_pearson_upper

__all__ = ["run_case", "run_suite"]

#: Number of points recorded along each run (for the figures and the first-hit times).
RECORD_POINTS = 400
#: Runs per Dask task with ``scheduler`` set (the results do not depend on it).
CHUNK_RUNS = 10


@dataclass(frozen=True)
class RunsChunk:
    """Runs ``start .. stop − 1`` of one case: a Dask task (a pure function of its fields)."""

    case: str
    teacher: Any  # convotron.problem.Teacher
    only_patch: int | None
    eta: float
    iters: int
    seed: int
    record_every: int
    eps: float
    start: int
    stop: int
    stream: str = "numpy"  # the fused loop's random stream (convotron.algorithm.fit)


def run_runs_chunk(chunk: RunsChunk) -> list[Any]:
    """Run a chunk's runs: exactly runs ``start .. stop − 1`` of the case's ``run_many``."""
    from ...many import run_range
    from ...rules import ConvotronRule

    return run_range(
        ConvotronRule(only_patch=chunk.only_patch),
        chunk.teacher,
        eta=chunk.eta,
        iters=chunk.iters,
        seed=chunk.seed,
        start=chunk.start,
        stop=chunk.stop,
        record_every=chunk.record_every,
        eps=chunk.eps,
        stream=chunk.stream,
    )


def _many_on(executor: Any, chunks: list[RunsChunk]) -> Any:
    """Run the chunks on the executor and stack their runs in run order (``run_many``'s result)."""
    from ...many import collect_runs

    t0 = time.perf_counter()
    got: dict[int, list[Any]] = {}
    for ch, out in executor.run(run_runs_chunk, chunks, key=_chunk_key):
        if isinstance(out, BaseException):
            raise ConvotronError(
                f"runs {ch.start}..{ch.stop - 1} of verify case {ch.case!r} failed on the Dask "
                f"cluster ({executor.address}) after retries: {type(out).__name__}: {out}. "
                "Check the workers' logs, or rerun without --scheduler."
            ) from out
        got[ch.start] = out
    results = [res for start in sorted(got) for res in got[start]]
    return collect_runs(results, time.perf_counter() - t0)


def _chunk_key(ch: RunsChunk) -> str:
    return f"convotron-verify-{ch.case}-{ch.seed}-{ch.stream}-{ch.start:09d}-{ch.stop:09d}"


def _case_seed(seed: int, name: str) -> np.random.SeedSequence:
    """Seed of one case: independent of the other cases and of their order."""
    return np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8"))])


def _parameters(case: Case) -> TheoremParameters:
    """Return the theorem's numbers for the case (never raises for a failing hypothesis)."""
    return theorem_parameters(
        case.problem(),
        eps=case.eps,
        delta=case.delta,
        w_norm=case.w_norm,
        only_patch=case.only_patch,
    )


def _has_finite_theory(tp: TheoremParameters) -> bool:
    """Whether the theorem gives a finite ``T >= 1`` and a step ``η > 0``."""
    return math.isfinite(tp.T) and tp.T >= 1 and math.isfinite(tp.eta) and tp.eta > 0


def _without_runs(
    case: Case, tp: TheoremParameters, status: str, note: str, t0: float
) -> CaseResult:
    """Return a result with the theory's numbers only (no run was made)."""
    return CaseResult(
        case=case,
        params=tp,
        eta=float(tp.eta),
        iters_run=0,
        runs=0,
        status=status,
        note=note,
        seconds=time.perf_counter() - t0,
    )


def _plan(case: Case, tp: TheoremParameters, control_iters: int) -> tuple[int, float] | None:
    """Return the iterations and step size of the runs, or None when the case cannot run.

    The theorem's ``⌈T⌉`` and ``η`` when finite; for a negative control whose ``T`` is
    infinite, ``control_iters`` at ``η = a_max/(2β)`` with ``a_max = (1+α)λ_max/k``.
    """
    if _has_finite_theory(tp):
        return math.ceil(float(tp.T)), float(tp.eta)
    if case.control is not None:
        problem = tp.problem
        a_max = (1.0 + problem.alpha) * float(tp.lambda_max) / problem.k
        return int(control_iters), a_max / (2.0 * float(tp.beta))
    return None


@dataclass(frozen=True)
class _Runs:
    """What the runs of one case produced."""

    w_star: np.ndarray
    drift_z: float
    drift_rel: float
    final: np.ndarray
    first_hits: np.ndarray
    history_t: np.ndarray | None
    histories: np.ndarray | None


def _simulate(
    case: Case,
    problem: Problem,
    *,
    eta: float,
    iters: int,
    runs: int,
    seed: int,
    workers: int,
    executor: Any = None,
    stream: str = "numpy",
) -> _Runs:
    """Draw the teacher, check the drift at ``w_1 = 0``, run ``runs`` copies of Convotron.

    On ``workers`` threads here (:func:`convotron.many.run_many`), or, with an
    ``executor`` (:class:`convotron.glue.dask.Executor`), in chunks of :data:`CHUNK_RUNS` runs
    on Dask (:func:`convotron.many.run_range`): the same runs, bitwise.
    """
    from ...many import run_many
    from ...rules import ConvotronRule

    teacher_ss, runs_ss, drift_ss = _case_seed(seed, case.name).spawn(3)
    teacher = problem.random_teacher(np.random.default_rng(teacher_ss), w_norm=case.w_norm)
    drift_z, drift_rel = drift_at_start(
        teacher, np.random.default_rng(drift_ss), only_patch=case.only_patch
    )
    runs_seed = int(runs_ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))  # >= 0
    record_every = max(1, math.ceil(iters / RECORD_POINTS))
    if executor is None:
        many = run_many(
            ConvotronRule(only_patch=case.only_patch),
            teacher,
            eta=eta,
            iters=iters,
            runs=runs,
            seed=runs_seed,
            workers=workers,
            record_every=record_every,
            eps=case.eps,
            stream=stream,
        )
    else:
        chunks = [
            RunsChunk(
                case.name,
                teacher,
                case.only_patch,
                eta,
                iters,
                runs_seed,
                record_every,
                case.eps,
                s,
                min(s + CHUNK_RUNS, runs),
                stream,
            )
            for s in range(0, runs, CHUNK_RUNS)
        ]
        many = _many_on(executor, chunks)
    return _Runs(
        w_star=np.asarray(teacher.w_star, dtype=np.float64),
        drift_z=drift_z,
        drift_rel=drift_rel,
        final=np.asarray(many.final_sq_errors, dtype=np.float64),
        first_hits=np.asarray(many.first_hits, dtype=np.float64),
        history_t=None if many.history_t is None else np.asarray(many.history_t, np.float64),
        histories=None if many.histories is None else np.asarray(many.histories, np.float64),
    )


@dataclass(frozen=True)
class _Stats:
    """The binomial test and the times to ``ε`` of one case's runs."""

    fails: int
    fail_rate: float
    p_value: float
    ci_upper: float
    median_iters: float | None
    tightness: float | None


def _statistics(case: Case, out: _Runs, iters: int, significance: float) -> _Stats:
    """Count the runs that miss ``ε``, test the count against ``δ``, time the first hits."""
    runs = len(out.final)
    fails = int(np.count_nonzero(~(out.final <= case.eps)))  # non-finite counts as a failure
    med = float(np.median(np.where(out.first_hits < 0, np.inf, out.first_hits)))
    median_iters = med if math.isfinite(med) else None
    return _Stats(
        fails=fails,
        fail_rate=fails / runs,
        p_value=binomial_p_value(fails, runs, case.delta),
        ci_upper=clopper_pearson_upper(fails, runs, 1.0 - significance),
        median_iters=median_iters,
        tightness=iters / median_iters if median_iters else None,
    )


def _verdict(
    case: Case,
    tp: TheoremParameters,
    out: _Runs,
    *,
    observed: str,
    drift_text: str,
    finite_theory: bool,
    p_value: float,
    significance: float,
    tightness: float | None,
) -> tuple[str, str]:
    """Return the status and the note of a case that ran."""
    if case.control is None and tp.applies:
        status = STATUS_PASS if p_value >= significance else STATUS_FAIL
        verdict = (
            "consistent with the theorem"
            if status == STATUS_PASS
            else f"the failure probability exceeds delta at significance {significance:g}"
        )
        tight = "" if tightness is None else f"; T is {tightness:.3g}x the median time to eps"
        return status, f"{verdict}: {observed}{tight}; {drift_text}"
    violations = tuple(tp.violations)
    reason = case.control or "; ".join(violations)
    if case.control is not None and tp.applies:
        return STATUS_FAIL, (
            f"negative control expected an assumption to fail ({reason}) but the bridge "
            "reports that the theorem applies; " + observed
        )
    if case.control is None:
        return STATUS_FAIL, (
            "the case expects the theorem to apply but the bridge reports: "
            + "; ".join(violations)
            + "; "
            + observed
        )
    broken = "the identity FAILS: " if out.drift_z > DRIFT_Z_LIMIT else "the identity holds: "
    reached = int(np.count_nonzero(out.final <= case.eps))
    runs = len(out.final)
    return STATUS_VIOLATED, (
        f"assumption violated on purpose ({reason}); observed: {broken}{drift_text}; "
        f"{observed}"
        + (
            f"; {reached}/{runs} runs nevertheless reached eps (symmetry is sufficient "
            "for the theorem, not necessary for convergence)"
            if finite_theory and reached
            else ""
        )
    )


def run_case(
    case: Case,
    *,
    runs: int,
    seed: int = 0,
    workers: int = 2,
    significance: float = DEFAULT_SIGNIFICANCE,
    max_updates: float | None = None,
    control_iters: int = 20_000,
    executor: Any = None,
    stream: str = "numpy",
) -> CaseResult:
    """Run one case: theory numbers, ``runs`` runs of exactly ``T`` iterations, the test.

    Parameters
    ----------
    case : Case
    runs : int
        Independent runs (seeds spawned from ``SeedSequence([seed, crc32(case.name)])``).
    seed : int
    workers : int
        Threads for :func:`convotron.many.run_many`; the result does not depend on it.
    significance : float
        Level of the one-sided binomial test (:mod:`convotron.glue.verify`).
    max_updates : float or None
        Skip (status NOT RUN) a case whose ``T × runs`` exceeds it; ``None``: no limit.
    control_iters : int
        Diagnostic iterations of a negative control whose ``T`` is infinite.
    executor : convotron.glue.dask.Executor, optional
        Run the runs in chunks on this Dask backend instead of ``workers`` threads; the
        result is the same.
    stream : {"numpy", "fast"}
        The random stream of the runs' fused loop (:func:`convotron.algorithm.fit`).

    Returns
    -------
    CaseResult
    """
    t0 = time.perf_counter()
    tp = _parameters(case)
    problem = tp.problem
    if case.claim == "lem-linear-mse":  # the exact α = 1 curve, not the (ε, δ) test
        from .mse import run_mse_case

        return run_mse_case(
            case, tp, runs=runs, seed_sequence=_case_seed(seed, case.name), workers=workers
        )

    # -- the plan: the theorem's T and eta, a control's diagnostic budget, or no run ----------
    plan = _plan(case, tp, control_iters)
    if plan is None:
        return _without_runs(
            case,
            tp,
            STATUS_FAIL,
            f"the theorem gives no finite T (T={float(tp.T)}, eta={float(tp.eta)}) although the "
            "case expects it to apply: "
            + ("; ".join(tp.violations) or "no reason given by the bridge"),
            t0,
        )
    iters, run_eta = plan
    finite_theory = _has_finite_theory(tp)
    if max_updates is not None and iters * runs > max_updates:
        return _without_runs(
            case,
            tp,
            STATUS_NOT_RUN,
            f"NOT RUN: the theorem's T = {iters} iterations x {runs} runs = "
            f"{iters * runs:.3g} updates exceeds this mode's budget of {max_updates:.3g} "
            "updates; the theory numbers above are exact, the runs were not made "
            "(raise the budget with --max-updates to run them)",
            t0,
        )

    # -- the runs and their statistics --------------------------------------------------------
    out = _simulate(case, problem, eta=run_eta, iters=iters, runs=runs, seed=seed,
                    workers=workers, executor=executor, stream=stream)  # fmt: skip
    drift_text = (
        f"drift at w_1 = 0 against lem-drift ((1+alpha)/(2k)) M w*: relative error "
        f"{out.drift_rel:.3g}, max |z| = {out.drift_z:.3g} over {problem.r} coordinates "
        f"({DRIFT_SAMPLES} samples)"
    )
    final = out.final
    st = _statistics(case, out, iters, significance)
    quantiles = None
    if out.histories is not None and out.history_t is not None:
        quantiles = np.quantile(out.histories, [0.1, 0.5, 0.9], axis=0)

    # -- the verdict --------------------------------------------------------------------------
    observed = (
        f"{st.fails}/{runs} runs ended with |w - w*|^2 > eps={case.eps:g} "
        f"(fail rate {st.fail_rate:.3f}, one-sided binomial p = {st.p_value:.3g} against "
        f"delta={case.delta:g}; {100 * (1 - significance):g}% upper bound {st.ci_upper:.3f}); "
        f"median final error {float(np.median(final)):.3g}"
    )
    floor = None
    if (case.control is not None or not tp.applies) and not finite_theory:
        floor = kernel_floor(problem.scheme, problem.cov, out.w_star, float(tp.lambda_max))
        observed = (
            f"the theorem gives T = inf; ran a diagnostic {iters} iterations at "
            f"eta = a_max/(2 beta) = {run_eta:.3g}: " + observed + f"; minimum final error "
            f"{float(np.min(final)):.3g} against the predicted floor (kernel part of w*) "
            f"{floor:.3g}"
        )
    status, note = _verdict(
        case,
        tp,
        out,
        observed=observed,
        drift_text=drift_text,
        finite_theory=finite_theory,
        p_value=st.p_value,
        significance=significance,
        tightness=st.tightness,
    )
    return CaseResult(
        case=case,
        params=tp,
        eta=run_eta,
        iters_run=iters,
        runs=runs,
        fails=st.fails,
        fail_rate=st.fail_rate,
        p_value=st.p_value,
        ci_upper=st.ci_upper,
        median_iters_to_eps=st.median_iters,
        tightness=st.tightness,
        status=status,
        note=note,
        seconds=time.perf_counter() - t0,
        history_t=out.history_t,
        quantiles=quantiles,
        w_norm_sq=float(out.w_star @ out.w_star),
        drift_max_z=out.drift_z,
        drift_rel_error=out.drift_rel,
        kernel_floor=floor,
    )


# One table: run_suite's numeric inputs, their rules and fixes (convotron._validate).
_COUNT, _LEVEL = Interval(int, 1, None), Interval(float, 0.0, 1.0, closed="neither")
_SUITE = {
    name: Param(name, rule, meaning=meaning, fix=fix)
    for name, rule, meaning, fix in [
        ("runs", _COUNT, "the independent runs per case, --seeds", "Pass e.g. 100."),
        ("workers", _COUNT, None, "Pass e.g. 2 (one per core)."),
        ("significance", _LEVEL, "the level of each case's binomial test", "Pass e.g. 0.001."),
    ]
}


def run_suite(
    cases: Iterable[Case],
    *,
    runs: int = 100,
    seed: int = 0,
    workers: int = 2,
    significance: float = DEFAULT_SIGNIFICANCE,
    max_updates: float | None = None,
    control_iters: int = 20_000,
    progress: bool = False,
    scheduler: str | None = None,
    stream: str = "numpy",
) -> Report:
    """Run every case (see :func:`run_case`) and collect a :class:`Report`.

    Parameters
    ----------
    cases : iterable of Case
        E.g. :func:`default_cases` ``("quick")``. Names must be unique.
    runs : int
        Independent runs per case (``>= 1``).
    seed : int
        Master seed; each case derives its own from it and its name.
    workers : int
        Threads per case (``>= 1``), or with ``scheduler="local"`` the worker processes of
        the embedded Dask cluster; results do not depend on it.
    significance : float
        Level of the one-sided binomial test, in ``(0, 1)``.
    max_updates : float or None
        Budget of ``T × runs`` per case; larger cases are NOT RUN (and say so).
    control_iters : int
        Diagnostic iterations of a negative control whose ``T`` is infinite.
    progress : bool
        Show a progress bar over the cases (on stderr).
    scheduler : str or None
        ``None``: each case's runs on ``workers`` threads here (:func:`run_many`). Otherwise
        the runs go to Dask in chunks of :data:`CHUNK_RUNS` with the executor ``convotron
        sweep`` uses (:class:`convotron.glue.dask.Executor`): ``"local"`` an embedded
        ``LocalCluster`` with ``workers`` processes, ``"tcp://HOST:PORT"`` a running
        scheduler, ``"inline"`` this process without Dask. Run ``j`` of a case is seeded by
        ``SeedSequence(s, spawn_key=(j,))`` either way, so the report is the same.
    stream : {"numpy", "fast"}, default "numpy"
        The random stream of every run's fused loop (:func:`convotron.algorithm.fit`):
        numpy's (the recorded reports) or the fast one of :mod:`convotron._rng`.

    Returns
    -------
    Report
        ``all_pass`` is false exactly when some case has status FAIL.
    """
    cases = list(cases)
    runs, workers = _SUITE["runs"](runs), _SUITE["workers"](workers)
    significance = _SUITE["significance"](significance)
    if not cases:
        raise ConvotronError(
            "the suite has no cases; got an empty list. Pass default_cases('quick') or your own."
        )
    names = [c.name for c in cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConvotronError(
            f"case names must be unique; got duplicates {dupes}. Rename the repeated cases."
        )
    t0 = time.perf_counter()
    results: list[CaseResult] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(cases), desc="verify", unit="case", leave=False)
    from contextlib import nullcontext

    from ..dask import Executor

    backend: Any = (
        nullcontext(None)
        if scheduler is None
        else Executor(None if scheduler == "local" else scheduler, int(workers))
    )
    try:
        with backend as executor:
            _run_cases(cases, results, bar, executor, runs=runs, seed=seed, workers=workers,
                       significance=significance, max_updates=max_updates,
                       control_iters=control_iters, stream=stream)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    return Report(
        cases=tuple(results),
        all_pass=all(r.status != STATUS_FAIL for r in results),
        significance=significance,
        seed=int(seed),
        runs=int(runs),
        seconds=time.perf_counter() - t0,
    )


def _run_cases(
    cases: list[Case],
    results: list[CaseResult],
    bar: Any,
    executor: Any,
    *,
    runs: int,
    seed: int,
    workers: int,
    significance: float,
    max_updates: float | None,
    control_iters: int,
    stream: str = "numpy",
) -> None:
    """Run the cases in order, appending to ``results`` (the body of :func:`run_suite`)."""
    for case in cases:
        if bar is not None:
            bar.set_postfix_str(case.name)
        results.append(
            run_case(
                case,
                runs=int(runs if case.runs is None else case.runs),
                seed=seed,
                workers=int(workers),
                significance=significance,
                max_updates=max_updates,
                control_iters=control_iters,
                executor=executor,
                stream=stream,
            )
        )
        if bar is not None:
            bar.update(1)
