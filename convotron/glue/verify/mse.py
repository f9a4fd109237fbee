r"""The α = 1 verify case (``lem-linear-mse``): the measured error curve against the exact one.

For the linear case with inputs :math:`x = Lz` the mean-square error
:math:`\mathbb{E}\|w_t - w^*\|^2 = \operatorname{tr} S_t` follows a linear recursion on the
error second moment (:func:`convotron_theory.second_moment.linear_mse_curve`, [derived]). The case
runs
many independent copies of Convotron at a step above the theorem's (``eta_factor`` times the
realizable :math:`a/(2\beta)`, exact β, where the :math:`\eta^2` terms matter; default
:data:`ETA_FACTOR`) and checks, as book/theorem.md does:

* at **every** recorded t, the mean over runs against the exact curve, two-sided;
* each run's time average over the second half of the record against the exact average:
  the sharp one (a 10 % error in the fourth-moment term moves it by many standard errors).

Statistic (robust to heavy tails)
---------------------------------
Near the edge of stability the error ``‖w_t − w*‖²`` of one run is heavy-tailed (a product
of random matrices): a z statistic with the standard deviation of single runs is then far
from normal in its lower tail (a sample that missed the rare large errors has both a low
mean and a low standard deviation), and at 48x the theorem's step 4 of 16 seeds were
rejected with the correct curve. A deviation of the mean from the exact curve (at a
recorded t, or of the time average over the second half) therefore rejects only when it is
significant **both** ways:

* over **independent groups** of runs: the runs are split into :data:`GROUPS` groups of
  equal size, each group's mean is one nearly normal observation (a mean of ≥ 50 runs), and
  ``t = (mean of group means − exact)/(sd of group means/√G)`` is referred to Student's
  ``t`` with ``G − 1`` degrees of freedom, whose heavy tails pay for the estimated variance
  (limit :data:`Z_LIMIT`: the level :data:`LEVEL` for the whole curve, Bonferroni over the
  ``1 + (number of recorded t)`` tests);
* over **single runs** (the CLT for the mean of all runs, limit :data:`RUN_Z_LIMIT`).

A rejection region that is the intersection of two level-:data:`LEVEL` regions has level at
most :data:`LEVEL`; a real error (a 10 % change of the curve, of its fourth-moment term)
moves both statistics far past their limits. Either statistic alone rejected the correct
curve now and then (the group t when its 19-df standard deviation came out low, the
single-run z under heavy tails); the measured rates are in ``benchmarks/README.md``.

Supported step factors: :data:`ETA_FACTORS`, from 1 to 32 times the theorem's step. At 48x
the false-rejection rate is far above the level whatever the statistic (the mean of 1000
runs is then typically below the true mean: the fourth moment of the error grows), so a
larger factor is refused.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._validate import DEFAULT_STREAM
from ..moments import cov_spec, noise_spec
from ..parameters import TheoremParameters
from .cases import Case
from .report import STATUS_FAIL, STATUS_PASS, CaseResult

__all__ = [
    "ETA_FACTOR",
    "ETA_FACTORS",
    "GROUPS",
    "ITERS",
    "LEVEL",
    "MIN_RUNS",
    "RECORD_EVERY",
    "RUN_Z_LIMIT",
    "Z_LIMIT",
    "CurveStatistics",
    "curve_statistics",
    "run_mse_case",
]

#: The step is this many times the theorem's η (the theorem's step is too small to see η²).
ETA_FACTOR = 32.0
#: The supported range of step factors (inclusive).
ETA_FACTORS = (1.0, 32.0)
#: Iterations and the recording period of each run.
ITERS, RECORD_EVERY = 1500, 15
#: Independent groups of runs whose means are the observations of the t statistics.
GROUPS = 20
#: Level of the whole curve check (Bonferroni over the recorded t and the time average).
LEVEL = 1e-3
#: The critical ``|t|`` of each test: Student's t with GROUPS − 1 degrees of freedom at
#: ``LEVEL / (2 × (ITERS / RECORD_EVERY + 1))`` in each tail (about 5.95).
Z_LIMIT = 5.954
#: The critical ``|z|`` of the same mean with the runs' own standard deviation (single runs).
RUN_Z_LIMIT = 5.0
#: Fewest runs: the z statistics are CLT statements about a mean of runs, so the case runs at
#: least this many whatever the suite's runs per case (``--seeds``) asks (about 2 s).
MIN_RUNS = 1000


@dataclass(frozen=True)
class CurveStatistics:
    """The statistics of the curve check (module docstring), from one set of runs.

    ``group_max_t``/``group_average_t``: the group-mean t's (largest ``|t|`` over the
    recorded t ≥ 1, and the time average over the second half); ``run_max_z``/
    ``run_average_z``: the same with the runs' own standard deviation (CLT over single runs);
    ``score``: the largest over the recorded t and the time average of
    ``min(|t_group|/Z_LIMIT, |z_run|/RUN_Z_LIMIT)``; the curve is rejected when
    ``score >= 1``, that is when some deviation is significant both ways.
    """

    group_max_t: float
    group_average_t: float
    run_max_z: float
    run_average_z: float
    score: float

    @property
    def rejected(self) -> bool:
        """Whether some deviation is significant for both statistics (or a value is not finite)."""
        return not self.score < 1.0


def _t_and_z(H: np.ndarray, exact: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per recorded t ≥ 1 and, last, for the time average: group-mean t and per-run z."""
    half = H.shape[1] // 2
    cols = np.concatenate([H[:, 1:], H[:, half:].mean(axis=1, keepdims=True)], axis=1)
    target = np.concatenate([exact[1:], [exact[half:].mean()]])
    runs = H.shape[0] - H.shape[0] % groups
    G = cols[:runs].reshape(groups, runs // groups, cols.shape[1]).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (G.mean(0) - target) / (G.std(0, ddof=1) / math.sqrt(groups))
        z = (cols.mean(0) - target) / (cols.std(0, ddof=1) / math.sqrt(cols.shape[0]))
    return np.nan_to_num(t, nan=np.inf), np.nan_to_num(z, nan=np.inf)


def curve_statistics(H: np.ndarray, exact: np.ndarray, groups: int = GROUPS) -> CurveStatistics:
    """Return the statistics of the curve check (:class:`CurveStatistics`).

    ``H`` holds one run per row (``(runs, len(exact))``; for the group means the runs beyond
    a multiple of ``groups`` are dropped).
    """
    from scipy.stats import t as student

    t, z = _t_and_z(np.asarray(H, dtype=np.float64), np.asarray(exact, np.float64), groups)
    n_tests = len(t)
    limit = float(student.ppf(1.0 - LEVEL / (2.0 * n_tests), groups - 1))
    score = np.minimum(np.abs(t) / limit, np.abs(z) / RUN_Z_LIMIT)
    return CurveStatistics(
        group_max_t=float(np.max(np.abs(t[:-1]))),
        group_average_t=float(t[-1]),
        run_max_z=float(np.max(np.abs(z[:-1]))),
        run_average_z=float(z[-1]),
        score=float(np.max(score)),
    )


def _curve_runs(
    teacher: Any,
    tp: TheoremParameters,
    runs_ss: Any,
    *,
    runs: int,
    workers: int,
    eta_factor: float,
    stream: str | None = None,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(η, recorded t, exact curve, the runs' recorded errors (runs, len(t)))``.

    ``stream`` is the runs' random stream (``--rng``, :func:`convotron.learning.many.run_many`).
    """
    from convotron_theory.second_moment import linear_mse_curve

    from ...learning.many import run_many
    from ...learning.rules import ConvotronRule

    problem = tp.problem
    eta = float(eta_factor) * float(tp.a) / (2.0 * float(tp.beta))
    ts, exact = linear_mse_curve(
        problem.n,
        problem.scheme.indices,
        cov_spec(problem.cov),
        float(problem.law.fourth_moment),
        eta,
        teacher.w_star,
        noise_spec(problem.noise),
        ITERS,
        RECORD_EVERY,
    )
    many = run_many(
        ConvotronRule(),
        teacher,
        eta=eta,
        iters=ITERS,
        runs=runs,
        seed=int(runs_ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)),
        workers=workers,
        record_every=RECORD_EVERY,
        stream=stream,
    )
    assert many.histories is not None and many.history_t is not None
    H = np.asarray(many.histories, dtype=np.float64)
    if not np.array_equal(np.asarray(many.history_t), ts):
        raise AssertionError("the runs' recorded times differ from the exact curve's")
    return eta, np.asarray(ts), np.asarray(exact), H


def run_mse_case(
    case: Case,
    tp: TheoremParameters,
    *,
    runs: int,
    seed_sequence: Any,
    workers: int,
    eta_factor: float = ETA_FACTOR,
    lemma_level: float | None = None,
    stream: str | None = None,
) -> CaseResult:
    """Run the ``lem-linear-mse`` case (``case.alpha`` must be 1; see the module docstring).

    ``runs`` is raised to :data:`MIN_RUNS` when smaller (the group means need many runs);
    ``eta_factor`` must lie in :data:`ETA_FACTORS`. With ``lemma_level`` the lemma checks of
    :mod:`convotron.glue.verify.lemmas` run too, and a failed one makes the case FAIL.
    ``stream`` (``--rng``) is the runs' random stream, ``"numpy"`` or ``"fast"``.
    """
    from ..._errors import ConvotronError

    lo, hi = ETA_FACTORS
    if not (lo <= float(eta_factor) <= hi):
        raise ConvotronError(
            f"eta_factor (the step of the alpha = 1 curve check in units of the theorem's "
            f"step) must lie in [{lo:g}, {hi:g}], the range where its false-rejection rate "
            f"was measured; got {eta_factor!r}. Pass e.g. eta_factor={ETA_FACTOR:g}."
        )
    runs = max(int(runs), MIN_RUNS)
    t0 = time.perf_counter()
    problem = tp.problem
    from .drift import drift_at_start
    from .lemmas import lemma_checks

    teacher_ss, runs_ss, drift_ss, lemma_ss = seed_sequence.spawn(4)
    teacher = problem.random_teacher(np.random.default_rng(teacher_ss), w_norm=case.w_norm)
    drift_z, drift_rel = drift_at_start(teacher, np.random.default_rng(drift_ss))
    checks = (
        ()
        if lemma_level is None
        else tuple(lemma_checks(teacher, tp, np.random.default_rng(lemma_ss), level=lemma_level))
    )
    eta, ts, exact, H = _curve_runs(teacher, tp, runs_ss, runs=runs, workers=workers,
                                    eta_factor=eta_factor, stream=stream)  # fmt: skip
    st = curve_statistics(H, exact)
    max_z, z_avg = st.group_max_t, st.group_average_t
    mean = H.mean(0)
    curve_ok = not st.rejected and bool(np.isfinite(H).all())
    failed = [c for c in checks if not c.passed]
    note = (
        f"{'consistent with' if curve_ok else 'REJECTS'} the exact α = 1 curve "
        f"(lem-linear-mse): {runs} runs of {ITERS} iterations"
        f"{'' if stream in (None, DEFAULT_STREAM) else f' ({stream} stream)'}"
        f" at eta = {eta_factor:g} "
        f"a/(2 beta) = {eta:.3g}; over {len(ts) - 1} recorded t and the time average of the "
        f"second half: max |t| of {GROUPS} group means = {max_z:.2f} (average t = "
        f"{z_avg:.2f}; limit {Z_LIMIT:g}, level {LEVEL:g} for the whole curve), max |z| over "
        f"single runs = {st.run_max_z:.2f} (average z = {st.run_average_z:.2f}; limit "
        f"{RUN_Z_LIMIT:g}); a deviation rejects only when both exceed their limits (score "
        f"{st.score:.2f}, rejected at 1); exact floor {exact[-1]:.4g}, measured {mean[-1]:.4g}"
        + "".join(f"; a lemma check FAILS: {c.describe()}" for c in failed)
    )
    return CaseResult(
        case=case,
        params=tp,
        eta=eta,
        iters_run=ITERS,
        runs=runs,
        status=STATUS_PASS if curve_ok and not failed else STATUS_FAIL,
        note=note,
        seconds=time.perf_counter() - t0,
        history_t=np.asarray(ts, dtype=np.float64),
        quantiles=np.quantile(H, [0.1, 0.5, 0.9], axis=0),
        w_norm_sq=float(teacher.w_star @ teacher.w_star),
        drift_max_z=drift_z,
        drift_rel_error=drift_rel,
        mse_max_z=max_z,
        mse_time_average_z=z_avg,
        lemma_checks=checks,
    )
