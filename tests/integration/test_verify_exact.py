"""verify: the lem-linear-mse case and the before/after (closed-form β / exact β) columns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from convotron.glue import verify as V
from convotron.glue.verify import mse
from convotron.glue.verify.suite import run_case


def _case(name: str) -> V.Case:
    return next(c for c in V.default_cases("quick") if c.name == name)


@pytest.mark.claim("lem-linear-mse")
def test_linear_mse_case_passes_and_a_wrong_curve_fails(monkeypatch) -> None:
    case = _case("linear-mse-curve")
    assert case.alpha == 1.0 and case.claim == "lem-linear-mse"
    res = run_case(case, runs=400, seed=3)
    assert res.status == V.STATUS_PASS, res.note
    assert res.mse_max_z is not None and res.mse_max_z < mse.Z_LIMIT
    js = res.to_json()["mse_check"]
    assert js["claim"] == "lem-linear-mse" and js["max_abs_z"] == res.mse_max_z
    # the check can fail: the exact curve scaled by 1.1 is rejected
    import convotron_theory.second_moment as SM

    real = SM.linear_mse_curve

    def wrong(*args, **kwargs):
        ts, curve = real(*args, **kwargs)
        return ts, 1.1 * curve

    monkeypatch.setattr(SM, "linear_mse_curve", wrong)
    bad = run_case(case, runs=400, seed=3)
    assert bad.status == V.STATUS_FAIL and "REJECTS" in bad.note


def test_before_after_columns() -> None:
    case = _case("rademacher-relu")
    res = run_case(case, runs=20, seed=0)
    assert res.beta_rule == "exact" and res.params.beta_closed_rule == "bounded"
    assert res.beta == pytest.approx(44 / 3) and res.beta_closed == pytest.approx(40.0)
    assert res.T < res.T_closed
    assert res.tightness_closed == pytest.approx(res.T_closed / res.median_iters_to_eps)
    js = res.to_json()
    for key in ("beta_closed", "beta_closed_rule", "T_closed", "tightness_closed", "tightness"):
        assert key in js
    report = V.Report(cases=(res,), all_pass=True, significance=0.001, seed=0, runs=20, seconds=1.0)
    head = report.rows()[0]
    assert {"β closed", "T closed", "T closed/median", "T/median"} <= set(head)
    assert "before: best closed-form β = 40 (bounded)" in report.markdown()
    # a disjoint case has no other beta: before = after
    dj = dataclasses.replace(_case("disjoint-patch-variant"))
    r2 = run_case(dj, runs=5, seed=0)
    assert r2.T_closed == r2.T and np.isfinite(r2.T)
