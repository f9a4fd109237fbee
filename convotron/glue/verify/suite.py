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
from ..._io import pick
from ..._validate import Interval, Param, validate_params
from ...model.problem import Problem
from ..parameters import TheoremParameters, theorem_parameters
from .cases import Case
from .drift import DRIFT_SAMPLES, DRIFT_Z_LIMIT, drift_at_start, kernel_floor
from .report import (
    STATUS_FAIL,
    STATUS_NOT_RUN,
    STATUS_PASS,
    STATUS_VIOLATED,
    CaseResult,
    DirectionResult,
    Report,
)
from .stats import DEFAULT_SIGNIFICANCE, binomial_p_value, clopper_pearson_upper

__all__ = [
    "CASE_KINDS",
    "DIRECTIONS",
    "CaseKind",
    "PlannedCase",
    "case_kind",
    "plan_suite",
    "run_case",
    "run_suite",
]

#: Number of points recorded along each run (for the figures and the first-hit times).
RECORD_POINTS = 400
#: Runs per Dask task with ``scheduler`` set (the results do not depend on it).
CHUNK_RUNS = 10


@dataclass(frozen=True)
class RunsChunk:
    """Runs ``start .. stop − 1`` of one case: a Dask task (a pure function of its fields)."""

    case: str
    teacher: Any  # convotron.model.problem.Teacher
    only_patch: int | None
    eta: float
    iters: int
    seed: int
    record_every: int
    eps: float
    start: int
    stop: int
    precondition: Any = None  # H as a tuple of rows (thm-precond), or None: Algorithm 1
    stream: str | None = None  # the fused loop's random stream (learning.algorithm.fit)


def _rule(only_patch: int | None, H: Any) -> Any:
    """Return Algorithm 1's rule (along a patch), or the preconditioned update with ``H``."""
    from ...learning.rules import ConvotronRule

    if H is None:
        return ConvotronRule(only_patch=only_patch)
    return ConvotronRule(precondition=tuple(tuple(float(v) for v in row) for row in H))


def run_runs_chunk(chunk: RunsChunk) -> list[Any]:
    """Run a chunk's runs: exactly runs ``start .. stop − 1`` of the case's ``run_many``."""
    from ...learning.many import run_range

    return run_range(
        _rule(chunk.only_patch, chunk.precondition),
        chunk.teacher,
        **pick(chunk, "eta", "iters", "seed", "start", "stop", "record_every", "eps", "stream"),
    )


def _many_on(executor: Any, chunks: list[RunsChunk]) -> Any:
    """Run the chunks on the executor and stack their runs in run order (``run_many``'s result)."""
    from ...learning.many import collect_runs

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
    stream = ch.stream or "default"
    return f"convotron-verify-{ch.case}-{ch.seed}-{stream}-{ch.start:09d}-{ch.stop:09d}"


def _case_seed(seed: int, name: str) -> np.random.SeedSequence:
    """Seed of one case: independent of the other cases and of their order."""
    return np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8"))])


def _parameters(case: Case, seed: int = 0) -> TheoremParameters:
    """Return the theorem's numbers for the case (never raises for a failing hypothesis).

    A preconditioned case (``case.precondition`` ``exact``/``plugin``) whose hypotheses hold
    gets thm-precond's numbers (:func:`~convotron.glue.verify.precond.preconditioned_theorem`;
    the plug-in ``M̂`` is drawn from ``seed`` and the case's name).
    """
    tp = theorem_parameters(
        case.problem(),
        eps=case.eps,
        delta=case.delta,
        w_norm=case.w_norm,
        only_patch=case.only_patch,
    )
    if case.precondition == "none" or not tp.applies or not tp.lambda_min > 0:
        return tp
    from .precond import preconditioned_theorem

    return preconditioned_theorem(tp, case.precondition, seed=seed, name=case.name)


def _H_of(tp: TheoremParameters) -> np.ndarray | None:
    """Return the preconditioner of the case's numbers (None: Algorithm 1)."""
    return getattr(tp, "H", None)


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
        from convotron_theory import bounds as tb  # a = (1+α)λ/k has one definition

        problem = tp.problem
        a_max = float(tb.A(alpha=problem.alpha, lambda_min=float(tp.lambda_max), k=problem.k))
        return int(control_iters), a_max / (2.0 * float(tp.beta))
    return None


#: The directions of the teachers of a case, in this order: the hardest (``w*`` along the
#: eigenvector of ``M`` with the smallest eigenvalue, the slowest mode of the mean drift), a
#: random one (uniform on the sphere) and the easiest (the top eigenvector). The runs of a
#: case are split among them (the hardest gets the remainder).
DIRECTIONS = ("hardest", "random", "easiest")


@dataclass(frozen=True)
class _Direction:
    """The runs of one teacher direction."""

    name: str
    w_star: np.ndarray
    final: np.ndarray
    first_hits: np.ndarray


@dataclass(frozen=True)
class _Runs:
    """What the runs of one case produced (all directions stacked, in order)."""

    w_star: np.ndarray  # the random teacher (drift at the start, lemma checks)
    drift_z: float
    drift_rel: float
    final: np.ndarray
    first_hits: np.ndarray
    history_t: np.ndarray | None
    histories: np.ndarray | None
    directions: tuple[_Direction, ...] = ()
    lemma_checks: tuple[Any, ...] = ()


def _split_runs(runs: int) -> list[int]:
    """Return the runs per direction of :data:`DIRECTIONS` (equal shares, hardest first)."""
    d = len(DIRECTIONS)
    return [runs // d + (1 if j < runs % d else 0) for j in range(d)]


def _teachers(case: Case, problem: Problem, teacher_ss: Any) -> list[Any]:
    """Return the teachers of :data:`DIRECTIONS`, each with ``‖w*‖ = w_norm``."""
    from ..directions import extreme_directions
    from .lemmas import _Geometry

    hardest, easiest = extreme_directions(_Geometry.of(problem, case.only_patch).Q)
    rnd = problem.random_teacher(np.random.default_rng(teacher_ss), w_norm=case.w_norm)
    return [
        problem.teacher(case.w_norm * hardest),
        rnd,
        problem.teacher(case.w_norm * easiest),
    ]


def _many_local(rule: Any, teacher: Any, *, runs: int, workers: int, **kw: Any) -> Any:
    """``run_many(rule, teacher, runs=runs, **kw)`` bitwise, as chunks of :func:`run_range`.

    The suite's budget is its own (``max_updates`` of the mode, checked by
    :func:`plan_suite` before the first run); the per-run limits of :func:`convotron.fit`
    still apply to every run, but not ``run_many``'s limit on the total work of one call,
    which protects an interactive command and would refuse the suite's own largest cases.
    """
    from concurrent.futures import ThreadPoolExecutor

    from ...learning.many import collect_runs, run_range

    t0 = time.perf_counter()
    bounds = [(s, min(s + CHUNK_RUNS, runs)) for s in range(0, runs, CHUNK_RUNS)]

    def one(b: tuple[int, int]) -> list[Any]:
        return run_range(rule, teacher, start=b[0], stop=b[1], **kw)

    if workers == 1 or len(bounds) == 1:
        parts = [one(b) for b in bounds]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(one, bounds))
    return collect_runs([r for p in parts for r in p], time.perf_counter() - t0)


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
    tp: TheoremParameters | None = None,
    lemma_level: float | None = None,
    stream: str | None = None,
) -> _Runs:
    """Draw the teachers, check the drift at ``w_1 = 0`` and the lemmas, run the runs.

    The runs are split among the teachers of :data:`DIRECTIONS`; each direction's runs are
    ``run_many``'s runs of its own seed, on ``workers`` threads here (chunks of
    :func:`convotron.learning.many.run_range`), or, with an ``executor``
    (:class:`convotron.glue.dask.Executor`), in chunks of :data:`CHUNK_RUNS` runs on Dask:
    the same runs, bitwise. With ``lemma_level`` the lemma checks
    (:func:`convotron.glue.verify.lemmas.lemma_checks`) run on the random teacher.
    """
    from .lemmas import lemma_checks

    H = None if tp is None else _H_of(tp)
    teacher_ss, runs_ss, drift_ss, lemma_ss = _case_seed(seed, case.name).spawn(4)
    teachers = _teachers(case, problem, teacher_ss)
    teacher = teachers[DIRECTIONS.index("random")]
    drift_z, drift_rel = drift_at_start(
        teacher, np.random.default_rng(drift_ss), only_patch=case.only_patch
    )
    checks: tuple[Any, ...] = ()
    if lemma_level is not None and tp is not None:
        checks = tuple(lemma_checks(teacher, tp, np.random.default_rng(lemma_ss),
                                    level=lemma_level, only_patch=case.only_patch))  # fmt: skip
    record_every = max(1, math.ceil(iters / RECORD_POINTS))
    directions: list[_Direction] = []
    manys = []
    for name, tch, n_runs, ss in zip(DIRECTIONS, teachers, _split_runs(runs),
                                     runs_ss.spawn(len(DIRECTIONS)), strict=True):  # fmt: skip
        if n_runs == 0:
            continue
        runs_seed = int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))  # >= 0
        if executor is None:
            many = _many_local(_rule(case.only_patch, H), tch, runs=n_runs,
                               workers=workers, eta=eta, iters=iters, seed=runs_seed,
                               record_every=record_every, eps=case.eps,
                               stream=stream)  # fmt: skip
        else:
            chunks = [
                RunsChunk(case.name, tch, case.only_patch, eta, iters, runs_seed, record_every,
                          case.eps, s, min(s + CHUNK_RUNS, n_runs),
                          None if H is None else tuple(map(tuple, H.tolist())), stream)
                for s in range(0, n_runs, CHUNK_RUNS)
            ]  # fmt: skip
            many = _many_on(executor, chunks)
        manys.append(many)
        directions.append(
            _Direction(
                name=name,
                w_star=np.asarray(tch.w_star, dtype=np.float64),
                final=np.asarray(many.final_sq_errors, dtype=np.float64),
                first_hits=np.asarray(many.first_hits, dtype=np.float64),
            )
        )
    hists = [m.histories for m in manys]
    history_t = manys[0].history_t
    return _Runs(
        w_star=np.asarray(teacher.w_star, dtype=np.float64),
        drift_z=drift_z,
        drift_rel=drift_rel,
        final=np.concatenate([d.final for d in directions]),
        first_hits=np.concatenate([d.first_hits for d in directions]),
        history_t=None if history_t is None else np.asarray(history_t, np.float64),
        histories=None
        if any(h is None for h in hists)
        else np.concatenate([np.asarray(h, np.float64) for h in hists]),
        directions=tuple(directions),
        lemma_checks=checks,
    )


@dataclass(frozen=True)
class _Stats:
    """The binomial test and the times to ``ε`` of one case's runs (fields of CaseResult)."""

    fails: int
    fail_rate: float
    p_value: float
    ci_upper: float
    median_iters_to_eps: float | None
    tightness: float | None


def _median_hit(first_hits: np.ndarray) -> float | None:
    """Median first time to ε over runs (never reached: +∞); None when that median is ∞."""
    med = float(np.median(np.where(first_hits < 0, np.inf, first_hits)))
    return med if math.isfinite(med) else None


def _direction_results(case: Case, out: _Runs, iters: int) -> tuple[DirectionResult, ...]:
    """Return the runs, failures and ``T``/median of each teacher direction."""
    res = []
    for d in out.directions:
        med = _median_hit(d.first_hits)
        res.append(DirectionResult(d.name, len(d.final),
                                   int(np.count_nonzero(~(d.final <= case.eps))), med,
                                   iters / med if med else None))  # fmt: skip
    return tuple(res)


def _statistics(case: Case, out: _Runs, iters: int, significance: float) -> _Stats:
    """Count the runs that miss ``ε``, test the count against ``δ``, time the first hits.

    The runs of all directions are pooled: each run's failure probability is at most ``δ``
    under the theorem, so the pooled count is stochastically below ``Binomial(N, δ)`` and
    the one-sided test keeps its level.
    """
    runs = len(out.final)
    fails = int(np.count_nonzero(~(out.final <= case.eps)))  # non-finite counts as a failure
    med = float(np.median(np.where(out.first_hits < 0, np.inf, out.first_hits)))
    median_iters = med if math.isfinite(med) else None
    return _Stats(
        fails=fails,
        fail_rate=fails / runs,
        p_value=binomial_p_value(fails, runs, case.delta),
        ci_upper=clopper_pearson_upper(fails, runs, 1.0 - significance),
        median_iters_to_eps=median_iters,
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
        failed = [c for c in out.lemma_checks if not c.passed]
        binom_ok = p_value >= significance
        status = STATUS_PASS if binom_ok and not failed else STATUS_FAIL
        if status == STATUS_PASS:
            verdict = "consistent with the theorem"
        else:
            parts = (
                []
                if binom_ok
                else [f"the failure probability exceeds delta at significance {significance:g}"]
            )
            parts += [f"a lemma check FAILS: {c.describe()}" for c in failed]
            verdict = "; ".join(parts)
        tight = "" if tightness is None else f"; T is {tightness:.3g}x the median time to eps"
        return status, f"{verdict}: {observed}{tight}; {drift_text}"
    violations = tuple(tp.violations)
    reason = case.control or "; ".join(violations)
    if case.control is not None and tp.applies:
        return STATUS_FAIL, (
            f"negative control expected an assumption to fail ({reason}) but "
            "theorem_parameters reports that the theorem applies; " + observed
        )
    if case.control is None:
        return STATUS_FAIL, (
            "the case expects the theorem to apply but theorem_parameters reports: "
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
    lemma_level: float | None = None,
    params: TheoremParameters | None = None,
    stream: str | None = None,
) -> CaseResult:
    """Run one case: theory numbers, ``runs`` runs of exactly ``T`` iterations, the tests.

    Parameters
    ----------
    case : Case
    runs : int
        Independent runs (seeds spawned from ``SeedSequence([seed, crc32(case.name)])``).
    seed : int
    workers : int
        Threads for :func:`convotron.learning.many.run_many`; the result does not depend on it.
    significance : float
        Level of the one-sided binomial test (:mod:`convotron.glue.verify`).
    max_updates : float or None
        Skip (status NOT RUN) a case whose ``T × runs`` exceeds it; ``None``: no limit.
    control_iters : int
        Diagnostic iterations of a negative control whose ``T`` is infinite.
    executor : convotron.glue.dask.Executor, optional
        Run the runs in chunks on this Dask backend instead of ``workers`` threads; the
        result is the same.
    lemma_level : float or None
        Level of each lemma check (:mod:`convotron.glue.verify.lemmas`); None: the family
        level :data:`~convotron.glue.verify.lemmas.LEMMA_FAMILY_LEVEL` split (Bonferroni)
        over this case's checks. :func:`run_suite` splits it over the whole suite.
    params : TheoremParameters or None
        The theorem's numbers when already computed (:func:`plan_suite`).
    stream : {None, "fast", "numpy"}
        The random stream of the runs' fused loop (:func:`convotron.learning.algorithm.fit`).

    Returns
    -------
    CaseResult
    """
    from .lemmas import LEMMA_FAMILY_LEVEL

    t0 = time.perf_counter()
    tp = _parameters(case, seed) if params is None else params
    if lemma_level is None:
        lemma_level = LEMMA_FAMILY_LEVEL / max(1, _lemma_count(case, tp))
    return case_kind(case).run(case, tp, runs=runs, seed=seed, workers=workers,
                               significance=significance, max_updates=max_updates,
                               control_iters=control_iters, executor=executor,
                               lemma_level=lemma_level, t0=t0, stream=stream)  # fmt: skip


def _run_mse(case: Case, tp: TheoremParameters, *, runs: int, seed: int, workers: int,
             lemma_level: float, stream: str | None = None, **_: Any) -> CaseResult:  # fmt: skip
    """Run a ``lem-linear-mse`` case: the exact α = 1 curve (:mod:`.mse`), not the (ε, δ) test."""
    from .mse import run_mse_case

    return run_mse_case(
        case,
        tp,
        runs=runs,
        seed_sequence=_case_seed(seed, case.name),
        workers=workers,
        lemma_level=lemma_level if _lemma_count(case, tp) else None,
        stream=stream,
    )


def _run_eps_delta(
    case: Case,
    tp: TheoremParameters,
    *,
    runs: int,
    seed: int,
    workers: int,
    significance: float,
    max_updates: float | None,
    control_iters: int,
    executor: Any,
    lemma_level: float,
    t0: float,
    stream: str | None = None,
) -> CaseResult:
    """Run an (ε, δ) case: runs of the theorem's ``T`` at its ``η``, the tests, the verdict.

    Every claim but ``lem-linear-mse`` (the realizable and noisy corollaries, the
    disjoint-patch variant, the negative controls and thm-precond, whose ``η``, ``T`` and
    ``H`` ride in ``tp``).
    """
    problem = tp.problem
    # -- the plan: the theorem's T and eta, a control's diagnostic budget, or no run ----------
    plan = _plan(case, tp, control_iters)
    if plan is None:
        return _without_runs(
            case,
            tp,
            STATUS_FAIL,
            f"the theorem gives no finite T (T={float(tp.T)}, eta={float(tp.eta)}) although the "
            "case expects it to apply: "
            + ("; ".join(tp.violations) or "no reason given by theorem_parameters"),
            t0,
        )
    iters, run_eta = plan
    finite_theory = _has_finite_theory(tp)
    refusal = _refusal(case, tp, plan, runs, max_updates)
    if refusal is not None:
        return _without_runs(case, tp, STATUS_NOT_RUN, refusal, t0)

    # -- the runs and their statistics --------------------------------------------------------
    out = _simulate(case, problem, eta=run_eta, iters=iters, runs=runs, seed=seed,
                    workers=workers, executor=executor, tp=tp, stream=stream,
                    lemma_level=lemma_level if _lemma_count(case, tp) else None)  # fmt: skip
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
        per_dir = "; ".join(
            f"{d.name} w*: minimum final error {float(np.min(d.final)):.3g} against the "
            f"predicted floor (kernel part of w*) "
            f"{kernel_floor(problem.scheme, problem.cov, d.w_star, float(tp.lambda_max)):.3g}"
            for d in out.directions
        )
        observed = (
            f"the theorem gives T = inf; ran a diagnostic {iters} iterations at "
            f"eta = a_max/(2 beta) = {run_eta:.3g}: " + observed + "; " + per_dir
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
        **pick(st),
        status=status,
        note=note,
        seconds=time.perf_counter() - t0,
        history_t=out.history_t,
        quantiles=quantiles,
        w_norm_sq=float(out.w_star @ out.w_star),
        drift_max_z=out.drift_z,
        drift_rel_error=out.drift_rel,
        kernel_floor=floor,
        directions=_direction_results(case, out, iters),
        lemma_checks=out.lemma_checks,
    )


@dataclass(frozen=True)
class CaseKind:
    """How one kind of case is planned and run (the table :data:`CASE_KINDS`).

    Attributes
    ----------
    name : str
    run : callable
        ``run(case, tp, *, runs, seed, workers, significance, max_updates, control_iters,
        executor, lemma_level, t0) -> CaseResult``.
    budgeted : bool
        Whether the suite's budget and the per-run cost limit (:func:`_refusal`) apply.
    fixed : callable or None
        ``() -> (iters, min_runs)`` for a kind with its own iteration count and a minimum
        of runs (``lem-linear-mse``: :data:`.mse.ITERS`, :data:`.mse.MIN_RUNS`); None: the
        theorem's ``T`` and the suite's runs.
    """

    name: str
    run: Any
    budgeted: bool = True
    fixed: Any = None


def _mse_fixed() -> tuple[int, int]:
    from .mse import ITERS, MIN_RUNS

    return int(ITERS), int(MIN_RUNS)


_EPS_DELTA = CaseKind("eps-delta", _run_eps_delta)
#: The kind of each claim (:attr:`Case.claim`); a claim not listed is an (ε, δ) case.
CASE_KINDS: dict[str, CaseKind] = {
    "cor-realizable": _EPS_DELTA,
    "cor-noisy": _EPS_DELTA,
    "thm-disjoint": _EPS_DELTA,
    "thm-convotron": _EPS_DELTA,
    "thm-precond": _EPS_DELTA,
    "lem-linear-mse": CaseKind("linear-mse-curve", _run_mse, budgeted=False, fixed=_mse_fixed),
}


def case_kind(case: Case) -> CaseKind:
    """Return the :class:`CaseKind` of a case (by its claim; default the (ε, δ) test)."""
    return CASE_KINDS.get(case.claim, _EPS_DELTA)


def _refusal(
    case: Case,
    tp: TheoremParameters,
    plan: tuple[int, float] | None,
    runs: int,
    max_updates: float | None,
) -> str | None:
    """Why a case is NOT RUN, decided from its numbers alone (before any run); None: it runs.

    Two limits: the suite's own budget ``max_updates`` of ``T × runs`` per case (the mode's,
    :data:`~convotron.glue.verify.cases.MODES`, or ``--max-updates``), and the per-run cost
    limit of the core (:data:`convotron._limits.MAX_RUN_WORK`, about ten minutes of one
    core for one run), which every run of :func:`convotron.fit` obeys. ``run_many``'s limit on
    the total work of one call does not apply: the suite runs its runs in chunks
    (:func:`_many_local`), its budget is its own.
    """
    from ..._limits import MAX_RUN_WORK, sample_cost

    if plan is None or not case_kind(case).budgeted:
        return None
    iters = plan[0]
    if max_updates is not None and iters * runs > max_updates:
        return (
            f"NOT RUN: the theorem's T = {iters} iterations x {runs} runs = "
            f"{iters * runs:.3g} updates exceeds this mode's budget of {max_updates:.3g} "
            "updates; the theory numbers above are exact, the runs were not made "
            "(raise the budget with --max-updates to run them)"
        )
    problem = tp.problem
    work = iters * sample_cost(problem.k * problem.r, problem.n)
    if work > MAX_RUN_WORK:
        return (
            f"NOT RUN: one run of the theorem's T = {iters} iterations would take about "
            f"{work / 1e9 / 60:.3g} minutes of one core, above the per-run limit of "
            f"{MAX_RUN_WORK / 1e9 / 60:.0f} minutes (convotron._limits.MAX_RUN_WORK); the "
            "theory numbers above are exact, the runs were not made"
        )
    return None


@dataclass(frozen=True)
class PlannedCase:
    """One case of a suite as planned before the first run (:func:`plan_suite`).

    ``iters`` and ``eta`` are None when the theorem gives no finite ``T`` (and the case is
    no control); ``refusal`` says why a case will be NOT RUN (None: it runs); ``updates`` is
    ``iters × runs`` of the (ε, δ) runs and ``run_work`` the cost units of one run
    (:func:`convotron._limits.sample_cost`).
    """

    case: Case
    params: TheoremParameters
    runs: int
    iters: int | None
    eta: float | None
    refusal: str | None
    updates: float
    run_work: float
    lemma_checks: int


def plan_suite(
    cases: Iterable[Case],
    *,
    runs: int,
    max_updates: float | None,
    control_iters: int = 20_000,
    seed: int = 0,
) -> list[PlannedCase]:
    """Compute the theorem's numbers and check every limit for all cases, before any run.

    Computes :func:`~convotron.glue.parameters.theorem_parameters` of each case (cheap: the
    largest ``--full`` case takes milliseconds) and checks every limit a run will meet: the
    number of runs (:data:`convotron._limits.MAX_RUNS`, an error: bad input), the suite's
    budget and the per-run cost (:func:`_refusal`: NOT RUN, decided here). Nothing is run
    (a plug-in preconditioned case draws its ``M̂`` from ``seed``, as :func:`run_case` does).
    """
    from ..._limits import MAX_RUNS, sample_cost

    out = []
    for case in cases:
        n_runs = int(runs if case.runs is None else case.runs)
        fixed = case_kind(case).fixed
        fixed_iters, min_runs = fixed() if fixed is not None else (None, 0)
        n_runs = max(n_runs, min_runs)
        if n_runs > MAX_RUNS:
            raise ConvotronError(
                f"runs (the independent runs per case, --seeds) must be at most {MAX_RUNS} "
                f"(each run keeps its result in memory); got {n_runs} for case "
                f"{case.name!r}. Pass e.g. --seeds 500."
            )
        tp = _parameters(case, seed)
        plan = _plan(case, tp, control_iters)
        if fixed_iters is not None and plan is not None:
            plan = (fixed_iters, plan[1])
        iters, eta = (None, None) if plan is None else plan
        cost = 0.0 if iters is None else float(
            iters * sample_cost(tp.problem.k * tp.problem.r, tp.problem.n))  # fmt: skip
        out.append(PlannedCase(case=case, params=tp, runs=n_runs, iters=iters, eta=eta,
                               refusal=_refusal(case, tp, plan, n_runs, max_updates),
                               updates=0.0 if iters is None else float(iters) * n_runs,
                               run_work=cost, lemma_checks=_lemma_count(case, tp)))  # fmt: skip
    return out


def _lemma_count(case: Case, tp: TheoremParameters) -> int:
    """Return the number of lemma checks of a case (0 for a control or a failing theorem)."""
    from .lemmas import check_count

    if case.control is not None or not tp.applies or not _has_finite_theory(tp):
        return 0
    return check_count(noisy=float(tp.rho) > 0,
                       linear=float(case.alpha) == 1.0 and case.only_patch is None,
                       preconditioned=getattr(tp, "H", None) is not None)  # fmt: skip


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


@validate_params(_SUITE)
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
    stream: str | None = None,
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
    stream : {None, "fast", "numpy"}, default None
        The random stream of every run's fused loop (:func:`convotron.learning.algorithm.fit`):
        the fast one of :mod:`convotron._compiled._rng` (None: the default, where the compiled
        loop draws the samples), or numpy's own.

    Returns
    -------
    Report
        ``all_pass`` is false exactly when some case has status FAIL.
    """
    cases = list(cases)
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
    from .lemmas import LEMMA_FAMILY_LEVEL

    planned = plan_suite(cases, runs=runs, max_updates=max_updates,
                         control_iters=control_iters, seed=seed)  # fmt: skip
    n_checks = sum(p.lemma_checks for p in planned if p.refusal is None)
    lemma_level = LEMMA_FAMILY_LEVEL / max(1, n_checks)
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
            settings = dict(seed=seed, workers=workers, significance=significance,
                            max_updates=max_updates, control_iters=control_iters,
                            lemma_level=lemma_level, stream=stream)  # fmt: skip
            _run_cases(planned, results, bar, executor, settings)
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
        lemma_level=lemma_level,
        lemma_checks=n_checks,
    )


def _run_cases(
    planned: list[PlannedCase],
    results: list[CaseResult],
    bar: Any,
    executor: Any,
    settings: dict[str, Any],
) -> None:
    """Run the planned cases in order, appending to ``results`` (the body of :func:`run_suite`).

    ``settings``: the keyword arguments of :func:`run_case` that are the suite's.
    """
    for p in planned:
        if bar is not None:
            bar.set_postfix_str(p.case.name)
        results.append(
            run_case(p.case, runs=int(p.runs), params=p.params, executor=executor, **settings)
        )
        if bar is not None:
            bar.update(1)
