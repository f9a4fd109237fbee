"""verify's runner (``convotron.glue.verify.suite``) against independent constructions.

A uniform sample of 80 of the module's 1,095 mutants (MUTATION.md, "Issue 21: verify's
runner") left 21 alive; the tests below kill the ones that were not equivalent. Each names
what it guards: that a preconditioned case runs the preconditioned update (its ``H``, on
threads and on an executor), that the teachers of the three directions are ``M``'s extreme
eigenvectors, that the disjoint-patch drift reads the patch, that a named stream reaches an
executor's chunks, the budget's edge and the per-run limit's words, the binomial test's edge,
a control's last sentence, and what ``plan_suite`` and ``run_case`` pass on.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import convotron.glue.verify as V
from convotron import ConvotronRule, run_many
from convotron._limits import MAX_RUN_WORK, sample_cost
from convotron.glue.dask import Executor
from convotron.glue.verify import suite
from convotron.glue.verify.cases import Case, preconditioned_cases
from convotron.glue.verify.drift import drift_at_start
from convotron.glue.verify.lemmas import check_count
from tests import reference as ref

PRECOND = next(c for c in preconditioned_cases("quick") if c.precondition == "exact")
PLAIN = Case("plain", "1d:8,4,2")


def _seeds(seed: int, name: str) -> tuple[np.random.SeedSequence, ...]:
    """The case's four streams (teachers, runs, drift, lemmas), rebuilt from their rule."""
    return tuple(np.random.SeedSequence([seed, zlib.crc32(name.encode("utf-8"))]).spawn(4))


def _direction_seeds(runs_ss: np.random.SeedSequence) -> list[int]:
    return [int(s.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for s in runs_ss.spawn(3)]


# -- the teachers ---------------------------------------------------------------------------


def test_the_hardest_and_easiest_teachers_are_Ms_extreme_eigenvectors() -> None:
    case = Case("simple-extremes", "1d:8,4,1")  # M's eigenvalues 0.59, 0.93, 3.41, 15.07
    problem = case.problem()
    M = ref.overlap_matrix(problem.n, problem.scheme.indices).astype(float)  # Σ = I
    lam = np.linalg.eigvalsh(M)
    assert lam[0] < lam[1] and lam[-2] < lam[-1] and not np.allclose(M, np.diag(np.diag(M)))
    hard, rnd, easy = suite._teachers(case, problem, _seeds(0, case.name)[0])
    for t, value in ((hard, lam[0]), (easy, lam[-1])):
        w = np.asarray(t.w_star)
        assert np.linalg.norm(w) == pytest.approx(case.w_norm, rel=1e-12)
        np.testing.assert_allclose(M @ w, value * w, atol=1e-10)
    assert np.linalg.norm(np.asarray(rnd.w_star)) == pytest.approx(case.w_norm, rel=1e-12)


# -- the runs: the rule, the stream, the executor ---------------------------------------------


def _simulate(case: Case, tp, **kw):
    return suite._simulate(case, tp.problem, eta=float(tp.eta), iters=300, runs=3, seed=4,
                           workers=1, tp=tp, **kw)  # fmt: skip


def _expected_finals(case: Case, tp, rule, stream=None) -> np.ndarray:
    teacher_ss, runs_ss, _, _ = _seeds(4, case.name)
    teachers = suite._teachers(case, tp.problem, teacher_ss)
    out = []
    for teacher, s in zip(teachers, _direction_seeds(runs_ss), strict=True):
        many = run_many(rule, teacher, runs=1, eta=float(tp.eta), iters=300, seed=s,
                        record_every=math.ceil(300 / suite.RECORD_POINTS), eps=case.eps,
                        stream=stream)  # fmt: skip
        out.append(np.asarray(many.final_sq_errors))
    return np.concatenate(out)


@pytest.mark.parametrize("executor", [None, "inline"])
def test_a_preconditioned_case_runs_the_preconditioned_update(executor) -> None:
    tp = suite._parameters(PRECOND, 0)
    H = np.asarray(tp.H)
    assert H.shape == (tp.problem.r, tp.problem.r)
    pre = ConvotronRule(precondition=tuple(map(tuple, H.tolist())))
    want = _expected_finals(PRECOND, tp, pre)
    assert not np.array_equal(want, _expected_finals(PRECOND, tp, ConvotronRule()))
    ex = None if executor is None else Executor("inline")
    np.testing.assert_array_equal(_simulate(PRECOND, tp, executor=ex).final, want)


@pytest.mark.parametrize("stream", ["numpy", "fast"])
def test_a_named_stream_reaches_the_executors_chunks(stream) -> None:
    tp = suite._parameters(PLAIN, 0)
    want = _expected_finals(PLAIN, tp, ConvotronRule(), stream=stream)
    other = _expected_finals(
        PLAIN, tp, ConvotronRule(), stream="fast" if stream == "numpy" else "numpy"
    )
    assert not np.array_equal(want, other)
    for ex in (None, Executor("inline")):
        np.testing.assert_array_equal(_simulate(PLAIN, tp, executor=ex, stream=stream).final, want)


def test_the_disjoint_patch_drift_reads_the_patch() -> None:
    case = Case("dj", "1d:8,4,2", only_patch=1, claim="thm-disjoint")
    tp = suite._parameters(case, 0)
    teacher_ss, _, drift_ss, _ = _seeds(4, case.name)
    random_teacher = suite._teachers(case, tp.problem, teacher_ss)[1]
    patch = drift_at_start(random_teacher, np.random.default_rng(drift_ss), only_patch=1)
    full = drift_at_start(random_teacher, np.random.default_rng(drift_ss), only_patch=None)
    assert patch != full
    out = _simulate(case, tp)
    assert (out.drift_z, out.drift_rel) == patch


def test_run_case_runs_on_the_executor_it_is_given() -> None:
    ex = Executor("inline")
    calls = []
    real = ex.run

    def counting(fn, items, **kw):
        items = list(items)
        calls.append(len(items))
        return real(fn, items, **kw)

    ex.run = counting  # type: ignore[method-assign]
    res = V.run_case(PLAIN, runs=3, seed=0, executor=ex)
    assert res.status == V.STATUS_PASS and calls == [1, 1, 1]


# -- the plan and the limits ------------------------------------------------------------------


def test_plan_suite_passes_on_the_numbers_and_the_default_seed_is_zero() -> None:
    plugin = Case("plug", "1d:8,4,2", cov="ar1:0.9", precondition="plugin", claim="thm-precond")
    H0 = np.asarray(suite._parameters(plugin, 0).H)
    H5 = np.asarray(suite._parameters(plugin, 5).H)
    assert not np.array_equal(H0, H5)
    (p,) = suite.plan_suite([plugin], runs=3, max_updates=None)
    np.testing.assert_array_equal(np.asarray(p.params.H), H0)
    (p5,) = suite.plan_suite([plugin], runs=3, max_updates=None, seed=5)
    np.testing.assert_array_equal(np.asarray(p5.params.H), H5)
    assert p.params.T == suite._parameters(plugin, 0).T and p.iters == math.ceil(p.params.T)
    # run_case draws its M̂ from its own seed, as plan_suite does
    got = V.run_case(plugin, runs=3, seed=5, max_updates=1)  # NOT RUN: the numbers only
    assert got.status == V.STATUS_NOT_RUN
    np.testing.assert_array_equal(np.asarray(got.params.H), H5)


def test_plan_suite_plans_no_run_for_a_case_without_a_finite_T() -> None:
    singular = Case("singular", "indices", n=2, indices=((0, 1), (1, 0)))
    (p,) = suite.plan_suite([singular], runs=3, max_updates=None)
    assert (p.iters, p.eta, p.updates, p.run_work, p.refusal) == (None, None, 0.0, 0.0, None)


def test_a_preconditioned_case_counts_the_preconditioned_lemma_checks() -> None:
    tp = suite._parameters(PRECOND, 0)
    noisy = float(tp.rho) > 0
    want = check_count(noisy=noisy, linear=False, preconditioned=True)
    assert want != check_count(noisy=noisy, linear=False, preconditioned=False)
    assert suite._lemma_count(PRECOND, tp) == want
    (p,) = suite.plan_suite([PRECOND], runs=3, max_updates=None)
    assert p.lemma_checks == want


def test_the_budget_admits_exactly_T_times_runs() -> None:
    tp = suite._parameters(PLAIN, 0)
    plan = suite._plan(PLAIN, tp, 20_000)
    iters = plan[0]
    assert suite._refusal(PLAIN, tp, plan, 3, max_updates=3 * iters) is None
    assert suite._refusal(PLAIN, tp, plan, 3, max_updates=3 * iters - 1).startswith(
        f"NOT RUN: the theorem's T = {iters} iterations x 3 runs = {3 * iters:.3g} updates "
        f"exceeds this mode's budget of {3 * iters - 1:.3g} updates"
    )


def test_the_per_run_limit_says_how_many_minutes_of_one_core() -> None:
    tp = suite._parameters(PLAIN, 0)
    cost = sample_cost(tp.problem.k * tp.problem.r, tp.problem.n)
    iters = int(MAX_RUN_WORK // cost) + 1
    assert suite._refusal(PLAIN, tp, (iters - 1, 0.1), 1, None) is None
    minutes = iters * cost / 1e9 / 60
    assert 5 < minutes < 60  # the limit is about ten minutes
    assert suite._refusal(PLAIN, tp, (iters, 0.1), 1, None) == (
        f"NOT RUN: one run of the theorem's T = {iters} iterations would take about "
        f"{minutes:.3g} minutes of one core, above the per-run limit of "
        f"{MAX_RUN_WORK / 1e9 / 60:.0f} minutes (convotron._limits.MAX_RUN_WORK); the "
        "theory numbers above are exact, the runs were not made"
    )


def test_a_case_not_run_still_reports_its_seconds() -> None:
    res = V.run_case(PLAIN, runs=3, max_updates=1)
    assert res.status == V.STATUS_NOT_RUN and res.iters_run == 0
    assert isinstance(res.seconds, float) and 0.0 <= res.seconds < 60.0


# -- the verdicts -----------------------------------------------------------------------------


def test_a_p_value_equal_to_the_level_is_not_a_rejection(monkeypatch) -> None:
    """Reject only when p < significance: p = significance exactly still passes."""
    monkeypatch.setattr(suite, "binomial_p_value", lambda fails, runs, delta: 0.25)
    res = V.run_case(PLAIN, runs=3, significance=0.25)
    assert res.p_value == 0.25 and res.status == V.STATUS_PASS, res.note
    monkeypatch.setattr(suite, "binomial_p_value", lambda fails, runs, delta: 0.2499)
    assert V.run_case(PLAIN, runs=3, significance=0.25).status == V.STATUS_FAIL


def test_an_asymmetric_control_that_converges_says_symmetry_is_not_necessary() -> None:
    case = next(c for c in V.default_cases("quick") if c.name == "control-asymmetric")
    res = V.run_case(case, runs=3)
    assert res.status == V.STATUS_VIOLATED and res.fails < 3
    assert res.note.endswith(
        f"; {3 - res.fails}/3 runs nevertheless reached eps (symmetry is sufficient for the "
        "theorem, not necessary for convergence)"
    )


def test_one_run_is_the_hardest_directions_alone() -> None:
    """``--seeds 1``: only the hardest direction runs; its record times are the case's."""
    res = V.run_case(PLAIN, runs=1, seed=0)
    assert [(d.name, d.runs) for d in res.directions] == [("hardest", 1)]
    assert res.history_t is not None and res.history_t[-1] == res.iters_run
    assert res.quantiles is not None and res.quantiles.shape == (3, len(res.history_t))
