r"""The α = 1 verify case (``lem-linear-mse``): the measured error curve against the exact one.

For the linear case with inputs :math:`x = Lz` the mean-square error
:math:`\mathbb{E}\|w_t - w^*\|^2 = \operatorname{tr} S_t` follows a linear recursion on the
error second moment (:func:`theory.second_moment.linear_mse_curve`, [derived]). The case runs
many independent copies of Convotron at a step well above the theorem's (``ETA_FACTOR`` times
the realizable :math:`a/(2\beta)`, exact β, where the :math:`\eta^2` terms matter) and
checks, as book/theorem.md does:

* at **every** recorded t, the mean over runs against the exact curve, two-sided within
  ``Z_LIMIT`` standard errors (a CLT per t);
* each run's time average over the second half of the record (independent across runs, so
  a plain CLT) against the exact average: the sharp one (a 10 % error in the fourth-moment
  term moves it by about 15 standard errors).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..moments import cov_spec, noise_spec
from ..parameters import TheoremParameters
from .cases import Case
from .report import STATUS_FAIL, STATUS_PASS, CaseResult

__all__ = ["ETA_FACTOR", "ITERS", "MIN_RUNS", "RECORD_EVERY", "Z_LIMIT", "run_mse_case"]

#: The step is this many times the theorem's η (the theorem's step is too small to see η²).
ETA_FACTOR = 32.0
#: Iterations and the recording period of each run.
ITERS, RECORD_EVERY = 1500, 15
#: Largest |z| accepted, per recorded t and for the time average.
Z_LIMIT = 5.0
#: Fewest runs: the z statistics are CLT statements about a mean of runs, so the case runs at
#: least this many whatever the suite's runs per case (``--seeds``) asks (about 2 s).
MIN_RUNS = 1000


def run_mse_case(
    case: Case, tp: TheoremParameters, *, runs: int, seed_sequence: Any, workers: int
) -> CaseResult:
    """Run the ``lem-linear-mse`` case (``case.alpha`` must be 1; see the module docstring).

    ``runs`` is raised to :data:`MIN_RUNS` when smaller (the CLT needs many runs).
    """
    runs = max(int(runs), MIN_RUNS)
    from theory.second_moment import linear_mse_curve

    from ...many import run_many
    from ...rules import ConvotronRule

    t0 = time.perf_counter()
    problem = tp.problem
    from .drift import drift_at_start

    teacher_ss, runs_ss, drift_ss = seed_sequence.spawn(3)
    teacher = problem.random_teacher(np.random.default_rng(teacher_ss), w_norm=case.w_norm)
    drift_z, drift_rel = drift_at_start(teacher, np.random.default_rng(drift_ss))
    eta = ETA_FACTOR * float(tp.a) / (2.0 * float(tp.beta))  # 32 x the realizable a/(2β)
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
    )
    assert many.histories is not None and many.history_t is not None
    H = np.asarray(many.histories, dtype=np.float64)
    if not np.array_equal(np.asarray(many.history_t), ts):
        raise AssertionError("the runs' recorded times differ from the exact curve's")
    mean, se = H.mean(0), H.std(0, ddof=1) / math.sqrt(H.shape[0])
    z = (mean[1:] - exact[1:]) / se[1:]
    max_z = float(np.max(np.abs(z)))
    half = len(ts) // 2
    per_run = H[:, half:].mean(1)
    z_avg = float((per_run.mean() - exact[half:].mean()) / (per_run.std(ddof=1) / math.sqrt(runs)))
    ok = max_z < Z_LIMIT and abs(z_avg) < Z_LIMIT and bool(np.isfinite(H).all())
    note = (
        f"{'consistent with' if ok else 'REJECTS'} the exact α = 1 curve (lem-linear-mse): "
        f"{runs} runs of {ITERS} iterations at eta = {ETA_FACTOR:g} a/(2 beta) = "
        f"{eta:.3g}; max |z| of the mean over {len(ts) - 1} recorded t = {max_z:.2f}, "
        f"time average over the second half z = {z_avg:.2f} (limit {Z_LIMIT:g}); exact floor "
        f"{exact[-1]:.4g}, measured {mean[-1]:.4g}"
    )
    return CaseResult(
        case=case,
        params=tp,
        eta=eta,
        iters_run=ITERS,
        runs=runs,
        status=STATUS_PASS if ok else STATUS_FAIL,
        note=note,
        seconds=time.perf_counter() - t0,
        history_t=np.asarray(ts, dtype=np.float64),
        quantiles=np.quantile(H, [0.1, 0.5, 0.9], axis=0),
        w_norm_sq=float(teacher.w_star @ teacher.w_star),
        drift_max_z=drift_z,
        drift_rel_error=drift_rel,
        mse_max_z=max_z,
        mse_time_average_z=z_avg,
    )
