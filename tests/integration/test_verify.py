"""``convotron verify`` and :mod:`convotron.glue.verify`: statistics, statuses, reports, CLI."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from convotron._errors import ConvotronError
from convotron.cli import main as cli_main
from convotron.glue import verify as V
from convotron.glue.verify import suite

SMALL = V.Case("small-1d", "1d:8,4,4", eps=0.05, delta=0.2)


# ---------------------------------------------------------------- statistics (oracles)


@pytest.mark.parametrize(
    ("fails", "runs", "delta"), [(0, 10, 0.1), (3, 20, 0.1), (7, 30, 0.2), (30, 30, 0.5)]
)
def test_binomial_p_value_equals_tail_sum(fails: int, runs: int, delta: float) -> None:
    tail = sum(
        math.comb(runs, j) * delta**j * (1 - delta) ** (runs - j) for j in range(fails, runs + 1)
    )
    assert V.binomial_p_value(fails, runs, delta) == pytest.approx(tail, rel=1e-9)


def test_clopper_pearson_upper_bound_oracle() -> None:
    # 0 failures in n runs: the one-sided upper bound solves (1 - p)^n = 1 - confidence
    assert V.clopper_pearson_upper(0, 100, 0.999) == pytest.approx(1 - 0.001 ** (1 / 100), rel=1e-9)
    assert V.clopper_pearson_upper(5, 5, 0.999) == 1.0


def test_binomial_p_value_rejects_bad_counts() -> None:
    with pytest.raises(
        ConvotronError, match=r"need 0 <= fails <= runs and runs >= 1; got fails=5, runs=3"
    ):
        V.binomial_p_value(5, 3, 0.1)


def test_theorem_curve_is_the_formula() -> None:
    tp = suite.theorem_parameters(SMALL.problem(), eps=0.05, delta=0.2, w_norm=1.0)
    tp = tp.replace(eta=0.1, a=0.5, rho=2.0, w_norm=2.0)
    got = tp.curve(np.array([0, 10]))
    np.testing.assert_allclose(got, [4.0 + 0.8, 0.975**10 * 4.0 + 0.8])


# ---------------------------------------------------------------- cases and validation


def test_default_suite_covers_the_required_cases() -> None:
    cases = V.default_cases("default")
    assert len(cases) >= 12 and len({c.name for c in cases}) == len(cases)
    dists = {c.dist for c in cases}
    assert {"gaussian", "rademacher", "uniform", "mixture", "student-t", "exponential"} <= dists
    assert {0.0, 0.5, 1.0} <= {c.alpha for c in cases}
    assert any(c.scheme.startswith("2d:") for c in cases)
    assert any(c.cov.startswith("ar1") for c in cases)
    assert any(c.scheme.startswith("1d:") and c.scheme.endswith(",1") for c in cases)
    assert {"gaussian", "hetero"} <= {c.noise.split(":")[0] for c in cases}
    assert any(c.only_patch is not None for c in cases)
    assert sum(c.control is not None for c in cases) == 2
    full = {c.scheme for c in V.default_cases("full")}
    assert {"1d:160,16,9", "1d:160,16,12", "1d:160,16,16"} <= full
    assert [c.name for c in V.default_cases("quick")] == [c.name for c in cases]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "a b", "scheme": "1d:8,4,2"}, r"case name must be non-empty .* got 'a b'"),
        (
            {"name": "x", "scheme": "1d:8,4,2", "eps": 0.0},
            r"^eps \(the target squared error of case 'x'\) must be a finite .*; got 0\.0\.",
        ),
        (
            {"name": "x", "scheme": "1d:8,4,2", "delta": 1.0},
            r"^delta \(the failure probability of case 'x'\) must be .*\(0, 1\); got 1\.0\.",
        ),
        (
            {"name": "x", "scheme": "indices"},
            r"arbitrary index scheme needs scheme='indices' together",
        ),
    ],
)
def test_case_validation_messages(kwargs: dict, match: str) -> None:
    with pytest.raises(ConvotronError, match=match):
        V.Case(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"runs": 0},
            r"^runs \(the independent runs per case, --seeds\) must be an integer .*; got 0\.",
        ),
        ({"workers": 0}, r"^workers must be an integer with workers >= 1; got 0\."),
        ({"significance": 1.5}, r"^significance \(.*\) must be a number in \(0, 1\); got 1\.5\."),
    ],
)
def test_run_suite_validation_messages(kwargs: dict, match: str) -> None:
    with pytest.raises(ConvotronError, match=match):
        V.run_suite([SMALL], **kwargs)


def test_run_suite_rejects_duplicate_names_and_empty_suites() -> None:
    with pytest.raises(
        ConvotronError, match=r"case names must be unique; got duplicates \['small-1d'\]"
    ):
        V.run_suite([SMALL, SMALL], runs=2)
    with pytest.raises(ConvotronError, match=r"the suite has no cases"):
        V.run_suite([], runs=2)


def test_unknown_mode_message() -> None:
    with pytest.raises(ConvotronError, match=r"^mode must be 'quick', 'default' or 'full'; got"):
        V.default_cases("fast")


# ---------------------------------------------------------------- running


def test_small_case_passes_and_is_independent_of_workers() -> None:
    one = V.run_suite([SMALL], runs=20, seed=3, workers=1)
    two = V.run_suite([SMALL], runs=20, seed=3, workers=2)
    a, b = one.cases[0], two.cases[0]
    assert a.status == V.STATUS_PASS and one.all_pass
    assert (a.fails, a.median_iters_to_eps, a.iters_run) == (
        b.fails,
        b.median_iters_to_eps,
        b.iters_run,
    )
    assert a.iters_run == math.ceil(a.T) and a.runs == 20
    assert a.tightness == pytest.approx(a.iters_run / a.median_iters_to_eps)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)


def test_too_few_iterations_is_reported_as_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sabotaged T (1/40 of the theorem's) must be caught by the binomial test."""
    real = suite.theorem_parameters

    def short(*args, **kwargs):
        tp = real(*args, **kwargs)
        return tp.replace(T=max(1.0, tp.T / 40))

    monkeypatch.setattr(suite, "theorem_parameters", short)
    report = V.run_suite([SMALL], runs=30, seed=0)
    assert report.cases[0].status == V.STATUS_FAIL and not report.all_pass
    assert report.cases[0].p_value < V.DEFAULT_SIGNIFICANCE


def test_budget_gives_not_run_with_the_theory_numbers() -> None:
    report = V.run_suite([SMALL], runs=10, max_updates=10)
    c = report.cases[0]
    assert c.status == V.STATUS_NOT_RUN and c.iters_run == 0 and report.all_pass
    assert math.isfinite(c.T) and f"T = {math.ceil(c.T)} iterations" in c.note


def test_singular_control_stalls_at_the_kernel_floor() -> None:
    case = next(c for c in V.default_cases("quick") if c.name == "control-singular")
    c = V.run_suite([case], runs=8, control_iters=2000).cases[0]
    assert c.status == V.STATUS_VIOLATED and not math.isfinite(c.T)
    assert "predicted floor" in c.note and c.iters_run == 2000


# ---------------------------------------------------------------- reports and CLI


def test_write_report_refuses_a_file(tmp_path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    report = V.run_suite([SMALL], runs=2)
    with pytest.raises(
        ConvotronError, match=r"--out folder must be a folder; got .*f.txt.*which is a file"
    ):
        V.write_report(report, f)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--seeds", "0"], r"--seeds must be an integer >= 1; got '0'"),
        (["--workers", "x"], r"--workers must be an integer >= 1; got 'x'"),
        (["--seed", "-1"], r"--seed must be an integer >= 0; got '-1'"),
        (["--max-updates", "0"], r"--max-updates must be a number > 0; got '0'"),
    ],
)
def test_cli_bad_input_exits_2(argv: list[str], match: str, capsys) -> None:
    assert cli_main(["verify", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert __import__("re").search(match, err)


def test_cli_out_file_exits_2(tmp_path, capsys) -> None:
    f = tmp_path / "report"
    f.write_text("")
    assert cli_main(["verify", "--quick", "--out", str(f)]) == 2
    assert "--out folder must be a folder" in capsys.readouterr().err


def test_cli_quick_json_and_files(tmp_path, capsys) -> None:
    out = tmp_path / "sub" / "verify"
    rc = cli_main(["verify", "--quick", "--seeds", "6", "--json", "--out", str(out)])
    captured = capsys.readouterr().out
    obj = json.loads(captured)
    assert captured.count("\n") == 1
    keys = {"name", "scheme", "alpha", "dist", "noise", "eps", "delta", "T", "eta", "runs"}
    keys |= {"fail_rate", "p_value", "median_iters_to_eps", "tightness", "status"}
    keys |= {"drift_at_start", "kernel_floor"}
    for case in obj["cases"]:
        assert keys <= set(case)
    statuses = {c["name"]: c["status"] for c in obj["cases"]}
    assert statuses["control-asymmetric"] == statuses["control-singular"] == V.STATUS_VIOLATED
    assert obj["all_pass"] is (V.STATUS_FAIL not in statuses.values())
    assert rc == (0 if obj["all_pass"] else 1)
    assert (out / "report.md").read_text().startswith("# Convotron verification report")
    assert (
        json.loads((out / "report.json").read_text())["cases"][0]["name"] == obj["cases"][0]["name"]
    )
    pngs = sorted(p.name for p in out.glob("fig-*.png"))
    assert len(pngs) == len(obj["cases"]) and all(
        (out / p).read_bytes()[:4] == b"\x89PNG" for p in pngs
    )


def test_case_runs_overrides_the_suite_and_is_validated() -> None:
    case = dataclasses.replace(SMALL, runs=3)
    assert V.run_suite([case], runs=10).cases[0].runs == 3
    match = r"^runs \(the independent runs of case '.*'\) must be an integer .* or None; got 0\."
    with pytest.raises(ConvotronError, match=match):
        dataclasses.replace(SMALL, runs=0)


def test_singular_control_carries_the_parameters_and_their_violation() -> None:
    """The theorem's numbers are held by reference; lambda_min = 0 is a violation, not an error."""
    case = next(c for c in V.default_cases("quick") if c.name == "control-singular")
    c = V.run_suite([case], runs=4, control_iters=500).cases[0]
    assert c.status == V.STATUS_VIOLATED and c.lambda_min == pytest.approx(0.0, abs=1e-12)
    assert c.lambda_min == c.params.lambda_min and c.violations == c.params.violations
    assert "lambda_min(P Σ Pᵀ)" in c.violations[0] and c.iters_run == 500
    assert (c.n, c.r, c.k) == (2, 2, 2) and c.params.problem.scheme.n == 2


# ---------------------------------------------------------------- drift check at w_1 = 0


@pytest.mark.claim("lem-drift")
@pytest.mark.parametrize(
    ("law", "only_patch", "symmetric"),
    [("gaussian", None, True), ("student-t", None, True), ("gaussian", 0, True),
     ("exponential", None, False)],
)  # fmt: skip
def test_drift_at_start_holds_for_symmetric_laws_and_fails_for_the_asymmetric(
    law: str, only_patch: int | None, symmetric: bool
) -> None:
    """L2 at w_1 = 0: |z| of order 1 for symmetric laws; the exponential law breaks it."""
    from convotron.geometry.patches import PatchScheme, parse_spec
    from convotron.model.problem import Teacher

    scheme = (
        PatchScheme.from_indices(12, np.array([[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]]))
        if only_patch is not None
        else parse_spec("1d:8,4,2")
    )
    rng = np.random.default_rng(11)
    teacher = Teacher.random(scheme, 0.0, rng, law=law, noise="gaussian:0.2")
    z, rel = V.drift_at_start(teacher, rng, only_patch=only_patch)
    if symmetric:
        assert z < V.DRIFT_Z_LIMIT and rel < 0.05
    else:
        assert z > 10 * V.DRIFT_Z_LIMIT / 6 and rel > 0.2


def test_drift_at_start_detects_a_wrong_slope() -> None:
    """Power: a teacher with alpha = 0.2 checked against alpha = 0 is caught."""
    from convotron.geometry.patches import parse_spec
    from convotron.model.problem import Teacher

    rng = np.random.default_rng(5)
    teacher = Teacher.random(parse_spec("1d:8,4,2"), 0.2, rng)
    assert V.drift_at_start(teacher, np.random.default_rng(1))[0] < V.DRIFT_Z_LIMIT
    # predicted drift 1/(2k) M w* instead of 1.2/(2k) M w*
    z_wrong, _ = V.drift_at_start(_AlphaMismatch(teacher, 0.0), np.random.default_rng(1))
    assert z_wrong > V.DRIFT_Z_LIMIT


class _AlphaMismatch:
    """A teacher whose labels use its own slope but which reports another ``alpha``."""

    def __init__(self, teacher, alpha: float) -> None:
        self._t, self.alpha = teacher, alpha
        self.scheme, self.cov, self.w_star = teacher.scheme, teacher.cov, teacher.w_star

    def sample(self, rng, m):
        return self._t.sample(rng, m)


def test_asymmetric_control_reports_the_broken_drift_and_the_runs() -> None:
    case = next(c for c in V.default_cases("quick") if c.name == "control-asymmetric")
    c = V.run_suite([case], runs=3).cases[0]
    assert c.status == V.STATUS_VIOLATED
    assert c.drift_max_z is not None and c.drift_max_z > V.DRIFT_Z_LIMIT
    assert c.drift_rel_error is not None and c.drift_rel_error > 0.2
    assert "the identity FAILS" in c.note and f"{c.drift_rel_error:.3g}" in c.note
    js = c.to_json()["drift_at_start"]
    assert js["claim"] == "lem-drift" and js["max_abs_z"] == c.drift_max_z


def test_singular_control_reports_its_kernel_floor() -> None:
    case = next(c for c in V.default_cases("quick") if c.name == "control-singular")
    c = V.run_suite([case], runs=4, control_iters=1000).cases[0]
    # w* uniform on the unit circle; the kernel of [[2,2],[2,2]] is (1,-1)/sqrt(2)
    assert c.kernel_floor is not None and 0.0 < c.kernel_floor <= 1.0 + 1e-12
    assert f"{c.kernel_floor:.3g}" in c.note


# ------------------------------------------------------------------ on Dask (--scheduler)

#: A few cases with different problems, noise and the disjoint-patch variant: cheap runs.
DASK_CASES = [
    SMALL,
    V.Case("noise-small", "1d:8,4,4", noise="gaussian:0.2", eps=0.1, delta=0.2),
    V.Case("patch-small", "1d:8,4,4", only_patch=1, eps=0.05, delta=0.2),
]


def _without_seconds(obj):
    """The report's JSON without its wall times (the only thing a backend may change)."""
    if isinstance(obj, dict):
        return {k: _without_seconds(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_without_seconds(v) for v in obj]
    return obj


def _report(**kw) -> dict:
    return _without_seconds(V.run_suite(DASK_CASES, runs=23, seed=4, **kw).to_json())


@pytest.fixture(scope="module")
def threads_report() -> dict:
    """The default: each case's runs on 2 threads here (run_many)."""
    return _report(workers=2)


def test_verify_chunks_are_the_runs_of_run_many() -> None:
    """run_range over any split, collected, is run_many bitwise (child j = spawn_key (j,))."""
    from convotron.learning.many import collect_runs, run_many, run_range
    from convotron.learning.rules import ConvotronRule
    from convotron.model.problem import Teacher

    teacher = Teacher.random(SMALL.problem().scheme, 0.0, np.random.default_rng(0), noise="0.1")
    kw = dict(eta=0.05, iters=300, seed=9, record_every=30, eps=0.05)
    many = run_many(ConvotronRule(), teacher, runs=7, workers=2, **kw)
    parts = [run_range(ConvotronRule(), teacher, start=a, stop=b, **kw)
             for a, b in [(0, 3), (3, 4), (4, 4), (4, 7)]]  # fmt: skip
    got = collect_runs([r for p in parts for r in p], 0.0)
    for field in ("final_sq_errors", "histories", "first_hits", "w", "history_t", "diverged"):
        np.testing.assert_array_equal(getattr(got, field), getattr(many, field))
    with pytest.raises(
        ConvotronError,
        match=r"^stop \(one past the last run\) must be an integer with stop >= 3; got 2\.",
    ):
        run_range(ConvotronRule(), teacher, start=3, stop=2, **kw)


def test_verify_inline_equals_threads(threads_report: dict) -> None:
    assert _report(workers=1, scheduler="inline") == threads_report


def test_verify_local_cluster_with_two_workers_equals_threads(threads_report: dict) -> None:
    assert _report(workers=2, scheduler="local") == threads_report


def test_verify_on_a_real_scheduler_and_two_workers(threads_report: dict, cluster) -> None:
    address, _ = cluster
    assert _report(workers=2, scheduler=address) == threads_report


def test_cli_scheduler_inline_equals_the_default(capsys) -> None:
    """`convotron verify --quick --scheduler inline` prints what `convotron verify --quick` does."""
    base = ["verify", "--quick", "--seeds", "4", "--json"]
    rc = cli_main(base)
    default = _without_seconds(json.loads(capsys.readouterr().out))
    assert cli_main([*base, "--scheduler", "inline"]) == rc
    assert _without_seconds(json.loads(capsys.readouterr().out)) == default


def test_cli_scheduler_bad_address_exits_2(capsys) -> None:
    assert cli_main(["verify", "--quick", "--scheduler", "nowhere"]) == 2
    assert (
        "--scheduler must be 'local', 'inline' or a Dask scheduler address"
        in capsys.readouterr().err
    )
