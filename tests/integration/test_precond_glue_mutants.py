"""The preconditioned glue and verify's case tables: what a mutation sample found unwatched.

A uniform sample of ``glue/precondition.py``, ``glue/verify/precond.py`` and
``glue/verify/cases.py`` (MUTATION.md, "Verdicts and what stands beside them") left alive,
among others: the preconditioned theorem's curve (the line of verify's figure and of
``convotron run --precondition``) with ``ηa_H/2`` as ``η/(2a_H)``, ``λ_max(H)`` dividing, or
``2ηρ_H a_H`` for ``2ηρ_H/a_H``; the JSON of ``preconditioned_parameters`` without
``violations`` or ``cond_H``, or saying ``H = M^-1`` for a plug-in ``H``; the plug-in ``M̂``'s
seed; the ``full`` suite's extra preconditioned cases built without a scheme or a name.
Each test is built from another source than the code it checks: the plain theorem's curve
(``THEOREM_CURVE``), numbers by hand, the suite's documented values.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from convotron.glue.parameters import theorem_parameters
from convotron.glue.precondition import preconditioned_parameters
from convotron.glue.verify.cases import (
    MODES,
    Case,
    default_cases,
    preconditioned_cases,
    se_kernel,
)
from convotron.glue.verify.precond import plugin_seed, preconditioned_theorem
from convotron.model.problem import Problem
from tests.golden import stored


def _pp(noise: str = "gaussian:0.2"):
    problem = Problem.from_specs("1d:8,4,2", 0.0, "gaussian", "ar1:0.5", noise)
    tp = theorem_parameters(problem, eps=0.1, delta=0.2, w_norm=1.0)
    return tp, preconditioned_theorem(tp, "exact")


@pytest.mark.claim("thm-precond")
def test_the_curve_is_the_plain_theorems_when_H_is_the_identity() -> None:
    """With λ_max(H) = 1 and Φ₁ = ‖w*‖² (H = I), thm-precond's curve is thm-convotron's
    (``THEOREM_CURVE``, another Bound) at the same a, η, ρ: compared over t, and scaled by
    λ_max(H) = 2.5 with Φ₁ = 3 against numbers by hand."""
    tp, pp = _pp()
    assert pp.rho > 0 and pp.eta > 0
    t = np.array([0, 1, 7, 100, 5000], dtype=np.int64)
    as_I = pp.replace(lambda_max_H=1.0, phi_1_bound=tp.w_norm**2)
    plain = tp.replace(a=pp.a, eta=pp.eta, rho=pp.rho)
    np.testing.assert_allclose(as_I.curve(t), plain.curve(t), rtol=1e-13)
    assert as_I.curve(7) == pytest.approx(plain.curve(7), rel=1e-13)
    assert isinstance(as_I.curve(7), float)
    hand = pp.replace(a=0.5, eta=0.1, rho=0.2, lambda_max_H=2.5, phi_1_bound=3.0)
    for s in (0, 4, 30):
        want = 2.5 * ((1 - 0.1 * 0.5 / 2) ** s * 3.0 + 2 * 0.1 * 0.2 / 0.5)
        assert hand.curve(s) == pytest.approx(want, rel=1e-14)
    assert hand.curve(np.array([4, 30])).shape == (2,)
    stopped = pp.replace(eta=0.0)
    assert math.isnan(stopped.curve(3)) and isinstance(stopped.curve(3), float)
    nan = stopped.curve(np.arange(4))
    assert nan.shape == (4,) and np.isnan(nan).all()


@pytest.mark.claim("thm-precond")
def test_preconditioned_theorem_keeps_the_formulas_and_names_the_rho_rule() -> None:
    for noise, rule in (("gaussian:0.2", "exact-H"), ("0", "none")):
        tp, pp = _pp(noise)
        d = preconditioned_parameters(tp.problem, eps=0.1, delta=0.2, w_norm=1.0)
        assert pp.rho_rule == rule and pp.beta_rule == "exact-H"
        assert pp.formulas == d["formulas"] and set(pp.formulas) >= {"eta", "T"}
        assert pp.formulas["T"] != tp.formulas["T"]  # thm-precond's, not Algorithm 1's


def test_preconditioned_parameters_json_names_H_and_keeps_every_key() -> None:
    problem = Problem.from_specs("1d:8,4,2", 0.0, "gaussian", "ar1:0.9", "0")
    d = preconditioned_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0)
    assert list(d) == [
        "applies", "violations", "H", "mu_H", "beta_H", "rho_H", "a_H", "eta", "T",
        "lambda_max_H", "cond_H", "cond_M", "phi_1_bound", "formulas", "T_plain",
    ]  # fmt: skip
    assert d["H"] == "M^-1" and d["violations"] == [] and d["applies"] is True
    P = np.zeros((4, 8))
    for start in (0, 2, 4):
        P[np.arange(4), start + np.arange(4)] += 1.0
    i = np.arange(8)
    ev = np.linalg.eigvalsh(P @ (0.9 ** np.abs(i[:, None] - i[None, :])) @ P.T)
    assert d["cond_M"] == pytest.approx(ev[-1] / ev[0], rel=1e-9)
    assert d["cond_H"] == pytest.approx(ev[-1] / ev[0], rel=1e-9)  # H = M⁻¹: cond(H) = cond(M)
    given = preconditioned_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0, H=np.eye(4))
    assert given["H"] == "given" and given["cond_H"] == pytest.approx(1.0)
    bad = Problem.from_specs("1d:8,4,2", 0.0, "exponential", "identity", "0")
    viol = preconditioned_parameters(bad, eps=0.01, delta=0.1, w_norm=1.0)
    assert viol["applies"] is False and any("symmetric" in v for v in viol["violations"])


def test_a_padded_scheme_is_refused_with_the_parameter_named() -> None:
    from convotron._errors import ConvotronError

    problem = Problem.from_specs("conv1d:1,8,3,padding=1", 0.0, "gaussian", "identity", "0")
    with pytest.raises(ConvotronError) as err:
        preconditioned_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0)
    assert err.value.param == "precondition"


def test_the_plugin_seed_is_its_own_stream_and_fixed() -> None:
    """The seed of a plug-in case's M̂ is part of verify's reproducibility: the same seed
    and name give the same M̂ in every version. Pinned by its first draws (and apart from
    the runs' streams, which are SeedSequence(seed) children)."""
    first = np.random.default_rng(plugin_seed(0, "plugin-ar1-0.5")).integers(0, 2**31, 3)
    assert first.tolist() == PINNED_PLUGIN_DRAWS
    other = np.random.default_rng(plugin_seed(0, "plugin-ar1-0.9")).integers(0, 2**31, 3)
    assert other.tolist() != first.tolist()


PINNED_PLUGIN_DRAWS = [1792574165, 682572220, 358632307]


# ------------------------------------------------------------------------ the case tables
def test_the_default_mode_is_default() -> None:
    assert default_cases() == default_cases("default")
    assert preconditioned_cases() == preconditioned_cases("default", "exact")
    assert set(MODES) == {"quick", "default", "full"}


def test_the_full_suites_extra_preconditioned_cases() -> None:
    """``full`` adds 1d:16,4,2 with AR(1) 0.99 and 1d:32,8,4 with AR(1) 0.9 (the docstring),
    each a buildable problem with its own name."""
    for pre, tag in (("exact", "precond"), ("plugin", "plugin")):
        base = {c.name for c in preconditioned_cases("default", pre)}
        extra = [c for c in preconditioned_cases("full", pre) if c.name not in base]
        assert [(c.name, c.scheme, c.cov) for c in extra] == [
            (f"{tag}-16-ar1-0.99", "1d:16,4,2", "ar1:0.99"),
            (f"{tag}-32-ar1-0.9", "1d:32,8,4", "ar1:0.9"),
        ]
        for c in extra:
            assert (c.precondition, c.claim) == (pre, "thm-precond")
            assert c.problem().scheme.n == int(c.scheme.split(":")[1].split(",")[0])


def test_bad_mode_and_precondition_messages_in_full() -> None:
    from convotron._errors import ConvotronError

    with pytest.raises(ConvotronError) as err:
        preconditioned_cases("fast")
    assert str(err.value) == (
        "mode must be 'quick', 'default' or 'full'; got 'fast'. Pass one of them."
    )
    with pytest.raises(ConvotronError) as err:
        preconditioned_cases("quick", "none")
    assert str(err.value) == (
        "precondition must be 'exact' or 'plugin'; got 'none'. Pass one of them."
    )


def test_se_kernel_defaults_give_the_documented_conditioning() -> None:
    """``se_kernel()``: ℓ = 2, ridge 10⁻³ on n = 8; on 1d:8,4,2, cond(M) ≈ 2774 (its
    docstring and the dense-se case's description)."""
    S = np.array(se_kernel())
    i = np.arange(8.0)
    want = np.exp(-((i[:, None] - i[None, :]) ** 2) / 8.0) + 1e-3 * np.eye(8)
    np.testing.assert_allclose(S, want, rtol=1e-15)
    P = np.zeros((4, 8))
    for start in (0, 2, 4):
        P[np.arange(4), start + np.arange(4)] += 1.0
    ev = np.linalg.eigvalsh(P @ S @ P.T)
    assert round(ev[-1] / ev[0]) == 2774
    case = Case("x", "1d:8,4,2", cov="dense:se", sigma=se_kernel())
    np.testing.assert_array_equal(case.problem().cov.dense(), want)


def test_case_target_messages_in_full() -> None:
    from convotron._errors import ConvotronError

    with pytest.raises(ConvotronError) as err:
        Case("x", "1d:8,4,2", eps=0.0)
    assert str(err.value) == (
        "eps (the target squared error of case 'x') must be a finite number > 0; got 0.0. "
        "Pass e.g. eps=0.01."
    )
    with pytest.raises(ConvotronError) as err:
        Case("x", "1d:8,4,2", delta=1.0)
    assert str(err.value) == (
        "delta (the failure probability of case 'x') must be a number in (0, 1); got 1.0. "
        "Pass e.g. delta=0.1."
    )


SUITE = Path(__file__).resolve().parent.parent / "data" / "verify_suites.txt"


def _line(c: Case) -> str:
    fields = (
        c.name, c.scheme_label, f"alpha={c.alpha:g}", c.dist, c.cov, f"noise={c.noise}",
        f"eps={c.eps:g}", f"delta={c.delta:g}", f"w={c.w_norm:g}", f"only={c.only_patch}",
        f"runs={c.runs}", c.claim, c.precondition, f"sigma={'given' if c.sigma else None}",
        f"control={c.control}",
    )  # fmt: skip
    return " ".join(str(f) for f in fields)


def test_the_suites_are_the_recorded_ones() -> None:
    """Every case of every suite, field by field, against ``tests/data/verify_suites.txt``: a
    case's name is the file name of its figure and its key in ``report.json``, its scheme
    label the row of the table ``benchmarks/README.md`` records. After an intended change of
    a suite: ``CONVOTRON_REGEN_SUITES=1 python -m pytest -k recorded_ones`` and review."""
    parts = []
    for mode in MODES:
        parts.append(f"# default_cases({mode!r})")
        parts += [_line(c) for c in default_cases(mode)]
        for pre in ("exact", "plugin"):
            parts.append(f"# preconditioned_cases({mode!r}, {pre!r})")
            parts += [_line(c) for c in preconditioned_cases(mode, pre)]
    got = "\n".join(parts) + "\n"
    assert got == stored(SUITE, got, "CONVOTRON_REGEN_SUITES")
