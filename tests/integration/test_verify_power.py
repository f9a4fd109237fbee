"""verify with power: the lemma checks see a 10 % error in a, rho and beta; the suite's limits.

Each patched run below changes one constant where the glue computes it (so η and T follow
it, as a real bug would) and asserts that ``verify`` FAILs exactly the affected cases, with
the lemma check that sees that constant among the failures. Sizes are small (a few runs per
case): the lemma checks, not the (ε, δ) runs, carry the power here.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from convotron._errors import ConvotronError
from convotron.cli import main as cli_main
from convotron.glue import _constants as GC
from convotron.glue import parameters as GP
from convotron.glue import verify as V
from convotron.glue.verify import lemmas as L
from convotron.glue.verify import mse, suite


def _quick(name: str) -> V.Case:
    return next(c for c in V.default_cases("quick") if c.name == name)


def _verify_quick_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    rc = cli_main(["verify", "--quick", "--seeds", "3", "--json", *extra])
    obj = json.loads(capsys.readouterr().out)
    assert rc == (0 if obj["all_pass"] else 1)
    return obj


def _failed_kinds(case_json: dict) -> set[str]:
    return {c["kind"] for c in case_json["lemma_checks"] if not c["passed"]}


# ---------------------------------------------------------------- a 10 % too large


def test_a_ten_percent_too_large_fails_verify_quick(monkeypatch, capsys) -> None:
    """λ_min inflated by 10 % in the glue: a (and η, T) 10 % off; progress along v_min sees it.

    Affected: every case whose a is (1+α)λ_min/k (all but the controls and the disjoint
    variant, whose a_1 = (1+α)/k does not read λ_min).
    """
    real = GC.Spectrum.of.__func__  # type: ignore[attr-defined]

    def inflated(cls, problem):
        spec = real(cls, problem)
        lam = 1.1 * spec.lambda_min  # λ_max kept >= λ_min (1d:12,4,4 has λ_min = λ_max)
        # the theorem's a reads lambda_min_used (the proven value it is computed from)
        return dataclasses.replace(
            spec,
            lambda_min=lam,
            lambda_min_used=1.1 * spec.lambda_min_used,
            lambda_max=max(lam, spec.lambda_max),
        )

    monkeypatch.setattr(GC.Spectrum, "of", classmethod(inflated))
    obj = _verify_quick_json(capsys)
    assert not obj["all_pass"]
    for case in obj["cases"]:
        if case["control"] is not None or case["only_patch"] is not None:
            assert case["status"] != V.STATUS_FAIL, case["name"]
        else:
            assert case["status"] == V.STATUS_FAIL, case["name"]
            assert "progress" in _failed_kinds(case), case["name"]


def test_unpatched_quick_suite_passes_with_its_lemma_checks(capsys) -> None:
    obj = _verify_quick_json(capsys, "--seed", "7")
    assert obj["all_pass"], [c["note"] for c in obj["cases"] if c["status"] == V.STATUS_FAIL]
    total = sum(len(c["lemma_checks"]) for c in obj["cases"])
    assert total == obj["lemma_checks"] and total >= 100
    assert obj["lemma_level"] == pytest.approx(L.LEMMA_FAMILY_LEVEL / total)
    assert "Bonferroni" in obj["multiple_testing"]
    for case in obj["cases"]:
        if case["control"] is None:
            kinds = {c["kind"] for c in case["lemma_checks"]}
            assert {"progress", "drift", "second-moment"} <= kinds
            assert ("noise-moment" in kinds) == (case["noise"] != "0")
            assert case["detectable_relative_error"]["a"] < 0.1
            if case["claim"] != "lem-linear-mse":
                assert {d["direction"] for d in case["directions"]} == set(suite.DIRECTIONS)
                assert case["worst_tightness"] == min(d["tightness"] for d in case["directions"])


# ---------------------------------------------------------------- rho 10 % too small

NOISY = ("noise-gaussian", "noise-hetero", "linear-mse-curve")


def test_rho_ten_percent_too_small_fails_the_noisy_cases(monkeypatch) -> None:
    real = GP.noise_moment

    def low(problem, spectrum, beta):
        rule, moment = real(problem, spectrum, beta)
        return rule, None if moment is None else 0.9 * moment

    monkeypatch.setattr(GP, "noise_moment", low)
    cases = [_quick(n) for n in NOISY] + [_quick("1d-stride3-relu")]
    report = V.run_suite(cases, runs=3, seed=0)
    by_name = {c.case.name: c for c in report.cases}
    for name in NOISY:
        c = by_name[name]
        assert c.status == V.STATUS_FAIL, name
        assert [k.kind for k in c.lemma_checks if not k.passed] == ["noise-moment"], name
        assert c.detectable("rho") is not None and c.detectable("rho") < 0.1
    assert by_name["1d-stride3-relu"].status == V.STATUS_PASS  # no noise: unaffected


# ---------------------------------------------------------------- beta below the measured max


@pytest.mark.parametrize("name", ["1d-stride2-relu", "1d-linear", "noise-gaussian", "1d-ar1-relu"])
def test_beta_below_the_measured_second_moment_fails(name: str, monkeypatch) -> None:
    """β set 11 % below the largest measured E‖G₀‖²/‖Δ‖² makes L4's one-sided check FAIL.

    (Student-t ν = 5 is left out on purpose: ‖G‖² has no variance there, its detectable β
    error is about 20 %, reported by the case.)
    """
    case = _quick(name)
    base = suite.run_case(case, runs=3, seed=0)
    assert base.status == V.STATUS_PASS, base.note
    top = base.beta_max_ratio
    assert top is not None and 0 < top.ratio < 1  # L4 holds, with slack
    assert base.detectable("beta") is not None and base.detectable("beta") < 0.1
    q_max = top.ratio * base.beta
    real = GC.Beta.of.__func__  # type: ignore[attr-defined]

    def low(cls, problem, spectrum):
        b = real(cls, problem, spectrum)
        return dataclasses.replace(b, exact=0.89 * q_max)

    monkeypatch.setattr(GC.Beta, "of", classmethod(low))
    bad = suite.run_case(case, runs=3, seed=0)
    assert bad.beta == pytest.approx(0.89 * q_max)
    assert bad.status == V.STATUS_FAIL
    assert "second-moment" in {k.kind for k in bad.lemma_checks if not k.passed}


# ---------------------------------------------------------------- the checks themselves


def test_exact_linear_second_moment_matches_a_direct_average() -> None:
    """The α = 1 formula against a plain Monte-Carlo average with many samples (AR(1), uniform)."""
    problem = V.Case("x", "1d:8,4,2", alpha=1.0, dist="uniform", cov="ar1:0.5").problem()
    geom = L._Geometry.of(problem, None)
    d = np.array([0.3, -1.0, 0.5, 0.2])
    exact = L.exact_linear_second_moment(geom, d)
    rng = np.random.default_rng(0)
    X = problem.cov.transform(problem.law.draw(rng, (400_000, problem.n)))
    PX = geom.px(X)
    mc = np.mean((PX @ d) ** 2 * np.einsum("ij,ij->i", PX, PX)) / problem.k**2 / (d @ d)
    assert mc == pytest.approx(exact, rel=0.02)


def test_check_statistics_and_detectable_error() -> None:
    rng = np.random.default_rng(3)
    bm = 1.0 + 0.01 * rng.standard_normal(L.BATCHES)
    ok = L._check("progress", "v_min", bm, 1.0, 1e-5)
    assert ok.passed and ok.ratio_low < 1 < ok.ratio_high
    # the detectable error: (t_c + t_0.9) SE / |value|, about 5.8 x 0.1 % here
    assert 0.003 < ok.detectable < 0.009
    bad = L._check("progress", "v_min", bm, 1.0 / (1 + 3 * ok.detectable), 1e-5)
    assert not bad.passed
    one = L._check("second-moment", "u_K", bm, 0.95, 1e-5, one_sided=True)
    assert not one.passed and one.sided == "one-sided"
    assert L._check("second-moment", "u_K", bm, 2.0, 1e-5, one_sided=True).passed


def test_hardest_direction_is_the_lambda_min_eigenvector() -> None:
    problem = _quick("1d-stride2-relu").problem()
    v = L.hardest_direction(problem, None)
    M = np.asarray(problem.scheme.overlap_matrix(problem.cov), dtype=float)
    lam = np.linalg.eigvalsh(M)[0]
    np.testing.assert_allclose(M @ v, lam * v, atol=1e-10)
    assert lam == pytest.approx(1.0)


# ---------------------------------------------------------------- the alpha = 1 curve check


def test_curve_statistics_hold_their_level_on_heavy_tails() -> None:
    """Correct means of heavy-tailed runs (Pareto, tail index 3) are not rejected; 10 % off is.

    A rejection needs both the group-mean t and the single-run z past their limits.
    """
    rng = np.random.default_rng(0)
    ts = 20
    exact = np.full(ts, 1.5)  # the mean of 1 + Pareto(3) is 3/2
    rejected = 0
    for _ in range(100):
        H = 1.0 + rng.pareto(3.0, size=(1000, ts))
        st = mse.curve_statistics(H, exact)
        rejected += st.rejected
    assert rejected <= 1
    H = 1.0 + rng.pareto(3.0, size=(1000, ts))
    bad = mse.curve_statistics(H, 1.1 * exact)  # a 10 % error: rejected by both
    assert bad.rejected and bad.group_average_t <= -mse.Z_LIMIT
    assert bad.run_average_z <= -mse.RUN_Z_LIMIT


def test_curve_check_refuses_an_unsupported_step_factor() -> None:
    case = _quick("linear-mse-curve")
    tp = suite._parameters(case)
    with pytest.raises(ConvotronError,
                       match=r"eta_factor \(.*\) must lie in \[1, 32\], .*; got 48\."):  # fmt: skip
        mse.run_mse_case(case, tp, runs=10, seed_sequence=np.random.SeedSequence(0),
                         workers=1, eta_factor=48)  # fmt: skip


# ---------------------------------------------------------------- verify --full fits its limits


def test_every_full_case_fits_the_limits_without_running() -> None:
    """The cost of each --full case against every limit, computed without a run (issue 23)."""
    from convotron._limits import MAX_RUN_WORK, MAX_RUNS

    mode = V.MODES["full"]
    planned = suite.plan_suite(V.default_cases("full"), runs=int(mode["runs"]),
                               max_updates=mode["max_updates"],
                               control_iters=int(mode["control_iters"]))  # fmt: skip
    assert len(planned) == len(V.default_cases("full"))
    for p in planned:
        assert p.refusal is None, (p.case.name, p.refusal)
        assert p.runs <= MAX_RUNS and p.run_work <= MAX_RUN_WORK, p.case.name
        if p.iters is not None and p.case.claim != "lem-linear-mse":
            assert p.updates <= mode["max_updates"], p.case.name
    # the case that made `make verify-full` exit 2: its runs together exceed the limit of one
    # run_many call, which the suite no longer uses (its budget is its own)
    big = next(p for p in planned if p.case.name == "dl18-160-16-9")
    assert big.runs * big.run_work > MAX_RUN_WORK


def test_limits_are_checked_for_all_cases_before_the_first_run(monkeypatch) -> None:
    from convotron import _limits

    ran: list[str] = []
    real = suite._simulate

    def spy(case, *args, **kwargs):
        ran.append(case.name)
        return real(case, *args, **kwargs)

    monkeypatch.setattr(suite, "_simulate", spy)
    small = V.Case("small-1d", "1d:8,4,4", eps=0.05, delta=0.2)
    with pytest.raises(ConvotronError,
                       match=r"must be at most 100000 .* case 'huge'"):  # fmt: skip
        V.run_suite([small, dataclasses.replace(small, name="huge", runs=10**6)], runs=2)
    assert ran == []  # refused before the first case ran
    # a per-run cost over the core's limit: NOT RUN, decided up front, the others run
    monkeypatch.setattr(_limits, "MAX_RUN_WORK", 10**5)
    report = V.run_suite([small, V.Case("bigger", "1d:16,4,2")], runs=2)
    status = {c.case.name: c for c in report.cases}
    assert status["bigger"].status == V.STATUS_NOT_RUN
    assert "per-run limit" in status["bigger"].note and ran == ["small-1d"]


# ---------------------------------------------------------------- the terminal table


def test_table_fits_100_columns_with_a_key_and_wide_shows_all(tmp_path, capsys) -> None:
    out = tmp_path / "v"
    rc = cli_main(["verify", "--quick", "--seeds", "3", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    # every line fits 100 columns, but those naming the --out path (as long as the user's)
    assert max(len(line) for line in text.splitlines() if str(out) not in line) <= 100
    assert "Key: T = the theorem's iterations" in text
    assert f"report: {out / 'report.md'}" in text and "figures:" in text
    assert "convotron check --scheme" in text and "convotron run --scheme" in text
    md = (out / "report.md").read_text()
    assert "max E‖G‖²/(β‖Δ‖²)" in md and "Multiple testing (Bonferroni)" in md
    assert "lemma checks:" in md and "teacher direction hardest" in md
    report = V.Report(cases=(), all_pass=True, significance=1e-3, seed=0, runs=1, seconds=0.0)
    assert "β closed" in report.rows()[0] and "lemmas" in report.short_rows()[0]


def test_wide_flag_prints_every_column(capsys) -> None:
    report = V.run_suite([_quick("1d-stride3-relu")], runs=2)
    wide = report.table(wide=True)
    assert "β closed" in wide and "T closed/median" in wide and "worst T/median" in wide
    assert "β closed" not in report.table()
    from convotron.cli import build_parser

    args = build_parser().parse_args(["verify", "--wide"])
    assert args.wide is True
