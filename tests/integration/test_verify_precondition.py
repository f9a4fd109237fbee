"""verify --precondition: the preconditioned cases PASS, and a 10 % error in ρ_H, a_H or β_H FAILs.

Each patched run changes one constant where the theory computes it
(:func:`convotron_theory.precondition.preconditioned_constants`), so that ``η`` and ``T``
follow it as
a real bug would, and asserts that the affected preconditioned cases FAIL with the lemma
check that sees that constant. Few runs per case: the lemma checks carry the power.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import convotron_theory.precondition as TP
from convotron.cli import main as cli_main
from convotron.glue import verify as V
from convotron.glue.verify import suite
from convotron.glue.verify.precond import PreconditionedParameters


def _case(name: str, pre: str = "exact") -> V.Case:
    return next(c for c in V.preconditioned_cases("quick", pre) if c.name == name)


def _patch_constants(monkeypatch: pytest.MonkeyPatch, **factors: float) -> None:
    real = TP.preconditioned_constants

    def patched(*args, **kw):
        pc = real(*args, **kw)
        return dataclasses.replace(pc, **{k: f * getattr(pc, k) for k, f in factors.items()})

    monkeypatch.setattr(TP, "preconditioned_constants", patched)


def test_the_suites_cases() -> None:
    quick = V.preconditioned_cases("quick", "exact")
    full = V.preconditioned_cases("full", "exact")
    assert {c.cov for c in quick} >= {"ar1:0.5", "ar1:0.9", "ar1:0.99"}
    assert {c.dist for c in quick} >= {"gaussian", "rademacher", "uniform"}
    assert len(full) > len(quick) and all(c.claim == "thm-precond" for c in full)
    dense = next(c for c in quick if c.sigma is not None)
    tp = suite._parameters(dense)
    assert isinstance(tp, PreconditionedParameters)
    assert tp.cond_M >= 1000  # badly conditioned, every entry of Σ non-zero
    assert np.all(np.asarray(dense.sigma) > 0)
    # the theorem's T is the preconditioned one: at least 100-fold below Algorithm 1's
    assert tp.T * 100 <= tp.T_plain
    assert {c.name.split("-")[0] for c in V.preconditioned_cases("quick", "plugin")} == {"plugin"}


def test_plugin_numbers_are_those_of_the_drawn_H() -> None:
    case = _case("plugin-ar1-0.9", "plugin")
    a, b = suite._parameters(case, 3), suite._parameters(case, 3)
    np.testing.assert_array_equal(a.H, b.H)  # the same M̂ from the same seed
    c = suite._parameters(case, 4)
    assert not np.array_equal(a.H, c.H)
    pc = TP.preconditioned_constants(8, case.build_scheme().indices, a.H, cov=("ar1", 0.9))
    assert a.beta == pytest.approx(pc.beta_H, rel=1e-12)
    assert a.mu_H == pytest.approx(pc.mu_H, rel=1e-12) and a.mu_H < 1


def test_quick_preconditioned_suite_passes(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(["verify", "--quick", "--precondition", "exact", "--seeds", "6", "--json"])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0 and obj["all_pass"], [c["note"] for c in obj["cases"] if c["status"] != "PASS"]
    assert obj["precondition"] == "exact"
    for case in obj["cases"]:
        assert case["status"] == V.STATUS_PASS and case["claim"] == "thm-precond"
        assert {d["direction"] for d in case["directions"]} == set(suite.DIRECTIONS)
        assert all(k["preconditioned"] for k in case["lemma_checks"])
        kinds = {k["kind"] for k in case["lemma_checks"]}
        assert {"progress", "drift", "second-moment", "k-quotient"} <= kinds
        assert ("noise-moment" in kinds) == (case["noise"] != "0")


def test_rho_H_ten_percent_too_small_fails_the_noisy_case(monkeypatch) -> None:
    noisy, clean = _case("precond-noise-ar1-0.9"), _case("precond-ar1-0.9")
    _patch_constants(monkeypatch, rho_H=0.9)
    report = V.run_suite([noisy, clean], runs=3, seed=0)
    assert report.cases[0].detectable("rho") < 0.1
    by = {c.case.name: c for c in report.cases}
    bad = by[noisy.name]
    assert bad.status == V.STATUS_FAIL
    assert [k.kind for k in bad.lemma_checks if not k.passed] == ["noise-moment"]
    assert by[clean.name].status == V.STATUS_PASS  # no noise: unaffected


@pytest.mark.parametrize("name", ["precond-ar1-0.99", "plugin-dense-se"])
def test_a_H_ten_percent_too_large_fails(name: str, monkeypatch) -> None:
    case = _case(name, "plugin" if name.startswith("plugin") else "exact")
    _patch_constants(monkeypatch, mu_H=1.1)
    bad = suite.run_case(case, runs=3, seed=0)
    assert bad.status == V.STATUS_FAIL
    assert "progress" in {k.kind for k in bad.lemma_checks if not k.passed}


@pytest.mark.parametrize(
    "name", ["precond-ar1-0.99", "precond-uniform-ar1-0.9", "plugin-rademacher-ar1-0.9"]
)
def test_beta_H_ten_percent_too_small_fails(name: str, monkeypatch) -> None:
    """β_H 10 % too small (η, T follow): the K_H quotient (an equality at u_K) sees it."""
    case = _case(name, "plugin" if name.startswith("plugin") else "exact")
    _patch_constants(monkeypatch, beta_H=0.9)
    bad = suite.run_case(case, runs=3, seed=0)
    assert bad.status == V.STATUS_FAIL
    assert [k.kind for k in bad.lemma_checks if not k.passed] == ["k-quotient"]
    assert bad.detectable("beta") is not None and bad.detectable("beta") < 0.1


def test_beta_H_below_the_measured_second_moment_fails(monkeypatch) -> None:
    """β_H 11 % below the largest measured E[G₀ᵀHG₀]/Φ(Δ): the one-sided check FAILs too."""
    case = _case("precond-ar1-0.9")
    base = suite.run_case(case, runs=3, seed=0)
    assert base.status == V.STATUS_PASS, base.note
    top = base.beta_max_ratio
    assert top is not None and 0 < top.ratio < 1
    q_max = top.ratio * base.beta
    _patch_constants(monkeypatch, beta_H=0.89 * q_max / base.beta)
    bad = suite.run_case(case, runs=3, seed=0)
    assert bad.beta == pytest.approx(0.89 * q_max, rel=1e-9)
    assert bad.status == V.STATUS_FAIL
    assert "second-moment" in {k.kind for k in bad.lemma_checks if not k.passed}
