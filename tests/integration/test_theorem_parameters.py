"""Every number and message of :func:`convotron.glue.parameters.theorem_parameters`, each
against an independent computation: the selection matrices :math:`P_i` built here, the exact
second moment summed by Isserlis or over all sign vectors (``tests/theory/sharp.py``), and the
theorem's step size and iteration count recomputed in plain floats from the spec's formulas
(``convotron-theory.md`` §4). Written against the survivors of ``make mutation`` over the
glue (MUTATION.md); every path of the function is taken: exact β, each closed-form fallback,
each noise model, λ_min = 0, the disjoint-patch variant and its violations, bad input.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from convotron import ConvotronError
from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.geometry.patches import PatchScheme
from convotron.glue import moments as gm
from convotron.glue import parameters as gp
from convotron.model.problem import Problem
from convotron_theory import TheoryError
from convotron_theory import bounds as tb
from tests.theory.sharp import _P, COUNTER, STRIDE_8_4_2, _isserlis_K, _lmax, _signs

EPS, DELTA, W = 0.05, 0.2, 1.5


def _params(problem: Problem, **kw):
    return gp.theorem_parameters(problem, eps=EPS, delta=DELTA, w_norm=W, **kw)


def _spectrum(n: int, idx, Sigma: np.ndarray) -> dict[str, float]:
    P = sum(_P(n, idx))
    ev_M = np.linalg.eigvalsh(P @ Sigma @ P.T)
    return {
        "lambda_min": float(ev_M[0]),
        "lambda_max": float(ev_M[-1]),
        "trace_M": float(np.trace(P @ Sigma @ P.T)),
        "lambda_max_PPT": float(np.linalg.eigvalsh(P @ P.T)[-1]),
        "tr_P_S2_Pt": float(np.trace(P @ Sigma @ Sigma @ P.T)),
    }


def _eta_T(a: float, beta: float, rho: float) -> tuple[float, int]:
    """The theorem's step size and iteration count (spec §4), in plain floats."""
    if rho == 0.0:
        eta = a / (2 * beta)
        T = 4 * beta / a**2 * math.log(W**2 / (EPS * DELTA))
    else:
        eta = min(a / (2 * beta), EPS * DELTA * a / (4 * rho))
        T = max(4 * beta / a**2, 8 * rho / (EPS * DELTA * a**2)) * math.log(
            2 * W**2 / (EPS * DELTA)
        )
    return eta, max(1, math.ceil(T))


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


# --------------------------------------------------------------------------- the main path
def test_gaussian_identity_every_field() -> None:
    alpha = 0.25
    problem = Problem.from_specs("1d:8,4,2", alpha=alpha)
    tp = _params(problem)
    s = _spectrum(8, STRIDE_8_4_2, np.eye(8))
    a = (1 + alpha) * s["lambda_min"] / 3
    beta_exact = _lmax(_isserlis_K(8, STRIDE_8_4_2, np.eye(8)))
    assert _close(beta_exact, 18.0)
    gaussian = s["trace_M"] + 2 * s["lambda_max"]  # λ_max(Σ)(tr M + 2λ_max(M)), Σ = I
    fourth = s["lambda_max_PPT"] * (8**2 + 2 * 8)  # λ_max(PPᵀ) E‖x‖⁴, E‖x‖⁴ = n² + 2n
    eta, T = _eta_T(a, beta_exact, 0.0)
    eta_c, T_c = _eta_T(a, gaussian, 0.0)
    expected = {
        "lambda_min": s["lambda_min"], "lambda_max": s["lambda_max"], "trace_M": s["trace_M"],
        "lambda_max_Sigma": 1.0, "lambda_max_PPT": s["lambda_max_PPT"], "certificate": "exact",
        "verdict": "HOLDS", "lambda_min_used": s["lambda_min"], "lambda_min_note": "",
        "a": a, "beta": beta_exact, "beta_rule": "exact",
        "beta_candidates": {"fourth-moment": fourth, "gaussian": gaussian, "exact": beta_exact},
        "beta_exact": beta_exact, "beta_closed": gaussian, "beta_closed_rule": "gaussian",
        "eta_closed": eta_c, "T_closed": T_c, "beta_note": "", "rho": 0.0, "rho_rule": "none",
        "eta": eta, "T": T, "samples": T, "realizable": True, "applies": True, "violations": [],
        "claim": "thm-convotron",
        "formulas": {"eta": tb.ETA_REALIZABLE.latex(), "T": tb.T_REALIZABLE.latex()},
        "eps": EPS, "delta": DELTA, "w_norm": W, "alpha": alpha,
    }  # fmt: skip
    got = tp.to_dict()
    assert list(got) == list(expected)
    for key, value in expected.items():
        if isinstance(value, float):
            assert _close(got[key], value), key
        elif isinstance(value, dict) and key == "beta_candidates":
            assert got[key].keys() == value.keys()
            assert all(_close(got[key][k], v) for k, v in value.items())
        else:
            assert got[key] == value, key
    assert tp.problem is problem and tp.only_patch is None
    assert tp.certificate_detail is tp.check.certificate_detail is not None
    assert tp.check.lemma == "lem-1d" and tp.check.lemma_bounds.upper == 5  # geometry passed


def test_summary_and_curve() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2", alpha=0.25, noise="gaussian:0.3"))
    summary = tp.summary()
    assert list(summary) == list(gp.SUMMARY_KEYS)
    for key in gp.SUMMARY_KEYS:
        value = getattr(tp, key)
        if key == "violations":
            assert summary[key] == [] and isinstance(summary[key], list)
        else:
            assert summary[key] == value and type(summary[key]) is (
                bool if key == "applies" else float
            )
    assert tp.summary(("T", "rho")) == {"T": float(tp.T), "rho": tp.rho}
    with pytest.raises(ConvotronError) as info:
        tp.summary(("T", "beta_exact"))
    assert str(info.value) == (
        f"summary keys must be among {gp.SUMMARY_KEYS}; got 'beta_exact'. Drop it."
    )
    # the curve (1 - ηa/2)^t ‖w*‖² + 2ηρ/a, at an int and along an array
    q = 1 - tp.eta * tp.a / 2
    floor = 2 * tp.eta * tp.rho / tp.a
    for t in (0, 1, 7, 1000):
        assert _close(float(tp.curve(t)), q**t * W**2 + floor)
    ts = np.array([0, 3, 50])
    assert np.allclose(tp.curve(ts), q**ts * W**2 + floor, rtol=1e-12, atol=0)


def test_curve_is_nan_without_a_step_size() -> None:
    scheme = PatchScheme.from_indices(4, np.array([[0, 1], [1, 0]]))  # PPᵀ singular
    tp = _params(Problem.from_specs(scheme))
    # issue 24: λ_min = 0 gives a = 0, so η = a/(2β) = 0 (not NaN); T is what is infinite
    assert (tp.verdict, tp.a, tp.eta, tp.T) == ("FAILS", 0.0, 0.0, math.inf)
    assert (tp.eta_closed, tp.T_closed) == (0.0, math.inf)
    assert math.isnan(tp.curve(5))
    out = tp.curve(np.array([1, 2, 3]))
    assert out.shape == (3,) and np.isnan(out).all()


# ------------------------------------------------------------------------------- noise
@pytest.mark.parametrize(("noise", "varsigma2"), [("gaussian:0.3", 0.09), ("uniform:0.2", 0.04)])
def test_independent_noise_rho_is_variance_times_trace(noise, varsigma2) -> None:
    problem = Problem.from_specs("1d:8,4,2", alpha=0.5, noise=noise)
    tp = _params(problem)
    s = _spectrum(8, STRIDE_8_4_2, np.eye(8))
    rho = varsigma2 * s["trace_M"]
    a = 1.5 * s["lambda_min"] / 3
    eta, T = _eta_T(a, 18.0, rho)
    assert (tp.rho_rule, tp.realizable) == ("exact", False)
    assert _close(tp.rho, rho) and _close(tp.eta, eta) and tp.T == T == tp.samples
    assert tp.formulas == {"eta": tb.ETA_NOISY.latex(), "T": tb.T_NOISY.latex()}
    assert gm.noise_spec(problem.noise) == ("independent", pytest.approx(math.sqrt(varsigma2)))


def _hetero_gaussian_rho(n: int, idx, Sigma: np.ndarray, S: float) -> float:
    """S² E[‖x‖²‖Px‖²]/tr Σ for x ~ N(0, Σ), by Isserlis: tr Σ tr M + 2 tr(PΣ²Pᵀ)."""
    s = _spectrum(n, idx, Sigma)
    return S**2 * (np.trace(Sigma) * s["trace_M"] + 2 * s["tr_P_S2_Pt"]) / np.trace(Sigma)


def test_hetero_rho_exact_and_the_gaussian_fallback_agree(monkeypatch) -> None:
    scheme = PatchScheme.from_indices(8, np.array(COUNTER))
    A = np.random.default_rng(3).normal(size=(8, 8))
    covs = [Identity(8), Dense(A @ A.T / 8 + 0.2 * np.eye(8)), AR1(8, 0.4)]
    exact = []
    for cov in covs:
        tp = _params(Problem.from_specs(scheme, cov=cov, noise="hetero:0.5"))
        rho = _hetero_gaussian_rho(8, COUNTER, cov.dense(), 0.5)
        assert tp.rho_rule == "exact" and _close(tp.rho, rho), cov
        exact.append(rho)
    assert _close(exact[0], 0.25 * 25.0)  # the counterexample: 25 for S = 1
    # above the cost limit: the Gaussian Isserlis value, without the r x n matrices; the same
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", 0.0)
    for cov, rho in zip(covs, exact, strict=True):
        tp = _params(Problem.from_specs(scheme, cov=cov, noise="hetero:0.5"))
        assert tp.rho_rule == "exact-gaussian" and _close(tp.rho, rho), cov
        assert _close(
            gm._trace_P_sigma2_Pt(scheme, cov), _spectrum(8, COUNTER, cov.dense())["tr_P_S2_Pt"]
        )


def test_hetero_fourth_moment_bound_for_a_non_gaussian_law(monkeypatch) -> None:
    scheme = PatchScheme.from_indices(8, np.array(COUNTER))
    problem = Problem.from_specs(scheme, law="rademacher", noise="hetero:0.5")
    X = _signs(8)
    P = sum(_P(8, COUNTER))
    exact = 0.25 * float(np.mean(np.sum(X * X, 1) * np.sum((X @ P.T) ** 2, 1))) / 8
    assert _close(_params(problem).rho, exact)
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", 0.0)
    tp = _params(problem)
    lmax_ppt = _spectrum(8, COUNTER, np.eye(8))["lambda_max_PPT"]
    bound = 0.25 * lmax_ppt * 8**2 / 8  # ‖x‖⁴ = n² for ±1 inputs, tr Σ = n
    assert tp.rho_rule == "fourth-moment-bound" and _close(tp.rho, bound) and bound >= exact


# ------------------------------------------------------------------- β fallbacks and notes
def test_cost_limit_boundary_and_note(monkeypatch) -> None:
    problem = Problem.from_specs("1d:8,4,2")
    cost = gm.exact_beta_cost(problem.scheme, problem.cov, 3.0)
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", cost)
    assert _params(problem).beta_rule == "exact"  # cost <= limit: computed
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", cost * (1 - 1e-12))
    tp = _params(problem)
    assert (tp.beta_rule, tp.beta_exact, tp.beta) == ("gaussian", None, 22.0)
    assert "exact" not in tp.beta_candidates
    assert tp.beta_note == (
        f"exact lambda_max(K) not computed: cost estimate {cost:.2g} flops > "
        f"{cost * (1 - 1e-12):.2g} (EXACT_COST_LIMIT); beta is the closed form 'gaussian', an "
        "upper bound of it"
    )
    assert (tp.eta, tp.T) == (tp.eta_closed, tp.T_closed)


def test_padding_with_ar1_falls_back_and_says_why() -> None:
    scheme = PatchScheme.from_indices(6, np.array([[-1, 0, 1], [0, 1, 2], [2, 3, 4], [4, 5, -1]]))
    tp = _params(Problem.from_specs(scheme, cov=AR1(6, 0.3)))
    assert tp.beta_exact is None and tp.beta_rule == tp.beta_closed_rule == "gaussian"
    assert tp.beta_note == (
        "exact lambda_max(K) not computed (zero padding with an AR(1) covariance); beta is the "
        "closed form 'gaussian', an upper bound of it"
    )


def test_bounded_law_candidate() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2", law="uniform"))
    B2 = 8 * 3.0  # B² = λ_max(Σ) n b², b = √3
    lmax_ppt = _spectrum(8, STRIDE_8_4_2, np.eye(8))["lambda_max_PPT"]
    assert _close(tp.beta_candidates["bounded"], lmax_ppt * B2)
    assert "gaussian" not in tp.beta_candidates


# ------------------------------------------------------------------------- violations
def test_singular_scheme_violation_with_the_kernel_direction() -> None:
    scheme = PatchScheme.from_indices(4, np.array([[0, 1], [1, 0]]))
    tp = _params(Problem.from_specs(scheme, alpha=0.5))
    kd = tp.check.kernel_direction
    assert (tp.applies, tp.T, tp.samples, tp.a, tp.rho) == (False, math.inf, math.inf, 0.0, 0.0)
    assert tp.realizable and tp.formulas["T"] == tb.T_REALIZABLE.latex()
    assert tp.violations == (
        f"lambda_min(P Σ Pᵀ) = 0 exactly (float eigenvalue {tp.lambda_min:.3g}) for this "
        f"scheme (proven: exact kernel witness), so the "
        f"theorem (thm-convotron) does not apply; kernel direction w = "
        f"[{', '.join(str(v) for v in kd.exact)}]: {kd.explanation}",
    )
    noisy = _params(Problem.from_specs(scheme, noise="gaussian:0.5"))
    assert not noisy.realizable and _close(noisy.rho, 0.25 * 4.0)  # ς² tr M, tr M = 4
    assert noisy.formulas == {"eta": tb.ETA_NOISY.latex(), "T": tb.T_NOISY.latex()}


def test_fmt_vec_exact_and_float() -> None:
    assert gp._fmt_vec(SimpleNamespace(exact=[1, -1, 0])) == "[1, -1, 0]"
    assert gp._fmt_vec(SimpleNamespace(exact=None, w=[0.123456, -2.0])) == "[0.123, -2]"
    assert gp._fmt_vec(SimpleNamespace(w=[1e-7])) == "[1e-07]"


def test_asymmetric_law_violation() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2", law="exponential"))
    assert not tp.applies
    assert tp.violations == (
        "input law 'exponential' is not symmetric (x and -x differ in law): Lemma 1 "
        "(lem-symmetric) and so the theorem (thm-convotron) need a symmetric law; use a "
        "symmetric law or symmetrize the data",
    )


# --------------------------------------------------------------------- disjoint patch
def test_disjoint_variant_every_field() -> None:
    alpha = 0.5
    problem = Problem.from_specs("1d:8,4,4", alpha=alpha, noise="gaussian:0.3")
    tp = _params(problem, only_patch=1)
    k, r = 2, 4
    a, beta, rho = (1 + alpha) / k, r + 2 / k, 0.09 * r
    eta, T = _eta_T(a, beta, rho)
    assert (tp.claim, tp.applies, tp.violations, tp.only_patch) == ("thm-disjoint", True, (), 1)
    assert (tp.lambda_min, tp.lambda_max, tp.certificate) == (1.0, 1.0, "exact")
    assert (tp.beta_rule, tp.rho_rule, tp.beta_closed_rule) == ("disjoint",) * 3
    assert _close(tp.a, a) and _close(tp.beta, beta) and _close(tp.rho, rho)
    assert tp.beta_candidates == {"disjoint": tp.beta} and tp.beta_closed == tp.beta
    assert _close(tp.eta, eta) and tp.eta_closed == tp.eta
    assert tp.T == T == tp.samples == tp.T_closed and not tp.realizable
    assert (tp.trace_M, tp.lambda_max_Sigma, tp.lambda_max_PPT) == (4.0, 1.0, 2.0)  # PPᵀ = kI
    assert (tp.eps, tp.delta, tp.w_norm, tp.alpha) == (EPS, DELTA, W, alpha)
    assert tp.problem is problem and tp.check is not None and tp.certificate_detail is None
    assert tp.formulas == {"eta": tb.ETA_NOISY.latex(), "T": tb.T_NOISY.latex()}
    assert _params(problem, only_patch=0).applies  # index 0 is not padding


def test_disjoint_variant_violations() -> None:
    overlapping = _params(Problem.from_specs("1d:8,4,2"), only_patch=0)
    assert overlapping.violations == (
        "only_patch=0: patch 0 shares input coordinates with another patch; the disjoint-patch "
        "variant (thm-disjoint) needs a patch disjoint from all others",
    )
    padded = PatchScheme.from_indices(6, np.array([[-1, 0, 1], [2, 3, 4]]))
    tp = _params(Problem.from_specs(padded), only_patch=0)
    assert tp.violations == (
        "only_patch=0: patch 0 reads zero padding (a zero row of P_0, so P_0P_0ᵀ ≠ I and the "
        "variant never learns those taps); the disjoint-patch variant (thm-disjoint) needs a "
        "padding-free patch (book/conv.md, lem-conv-padded)",
    )
    assert _params(Problem.from_specs(padded), only_patch=1).applies
    for law, cov in (("rademacher", None), ("gaussian", Diagonal(np.full(8, 2.0)))):
        tp = _params(Problem.from_specs("1d:8,4,4", law=law, cov=cov), only_patch=1)
        name = "identity" if cov is None else cov.name
        assert tp.violations == (
            f"only_patch=1: the disjoint-patch variant (thm-disjoint) needs x ~ N(0, I); got "
            f"law {law!r} with covariance {name!r}",
        )
    tp = _params(Problem.from_specs("1d:8,4,4", noise="hetero:0.5"), only_patch=1)
    assert tp.violations == (
        "only_patch=1: the disjoint-patch constants (thm-disjoint) assume noise independent of "
        "x; got 'hetero:0.5'",
    )


# ---------------------------------------------------------------------------- bad input
_EPS = "Pass a positive accuracy, e.g. 0.01."
_DELTA = "Pass a probability, e.g. 0.1."
_W = "Pass the norm of w*, e.g. 1."
_E = "eps (the target squared error)"
_D = "delta (the failure probability)"
_WN = "w_norm (the norm of w*)"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"eps": 0.0}, f"{_E} must be a finite number > 0; got 0.0. {_EPS}"),
        ({"eps": math.inf}, f"{_E} must be a finite number > 0; got inf. {_EPS}"),
        ({"eps": "0.1"}, f"{_E} must be a finite number > 0; got '0.1'. {_EPS}"),
        ({"delta": 1.5}, f"{_D} must be a number in (0, 1]; got 1.5. {_DELTA}"),
        ({"delta": 0}, f"{_D} must be a number in (0, 1]; got 0. {_DELTA}"),
        ({"delta": True}, f"{_D} must be a number in (0, 1]; got True. {_DELTA}"),
        ({"w_norm": -1}, f"{_WN} must be a finite number > 0; got -1. {_W}"),
        ({"w_norm": math.nan}, f"{_WN} must be a finite number > 0; got nan. {_W}"),
    ],
)  # fmt: skip
def test_bad_targets_are_named(kw, message) -> None:
    args = {"eps": EPS, "delta": DELTA, "w_norm": W, **kw}
    with pytest.raises(ConvotronError) as info:
        gp.theorem_parameters(Problem.from_specs("1d:8,4,2"), **args)
    assert str(info.value) == message


def test_delta_one_is_allowed() -> None:
    tp = gp.theorem_parameters(Problem.from_specs("1d:8,4,2"), eps=EPS, delta=1, w_norm=W)
    assert tp.delta == 1.0


@pytest.mark.parametrize("only_patch", [-1, 3, True, 1.0, "1"])
def test_bad_only_patch(only_patch) -> None:
    with pytest.raises(ConvotronError) as info:
        _params(Problem.from_specs("1d:8,4,2"), only_patch=only_patch)
    assert str(info.value) == (
        "only_patch (the disjoint patch) must be an integer with 0 <= only_patch < 3; "
        f"got {only_patch!r}. Pass the index of one of the k=3 patches, 0 to 2."
    )
    assert _params(Problem.from_specs("1d:8,4,2"), only_patch=np.int64(2)).only_patch == 2


def test_problem_must_be_a_problem() -> None:
    with pytest.raises(ConvotronError) as info:
        gp.theorem_parameters("1d:8,4,2", eps=EPS, delta=DELTA, w_norm=W)  # type: ignore[arg-type]
    assert str(info.value) == (
        "problem must be a Problem; got str. Pass e.g. Problem.from_specs('1d:16,4,2', alpha=0.0)."
    )


# ------------------------------------------------------------ second round (MUTATION.md)
def test_scalar_curve_values_are_floats() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2"))
    assert type(tp.curve(3)) is float
    singular = _params(Problem.from_specs(PatchScheme.from_indices(4, np.array([[0, 1], [1, 0]]))))
    assert type(singular.curve(3)) is float


def test_summary_lists_the_violations() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2", law="exponential"))
    assert tp.summary(("violations", "applies")) == {
        "violations": list(tp.violations),
        "applies": False,
    }


def test_singular_scheme_formulas_and_drift_constant() -> None:
    tp = _params(Problem.from_specs(PatchScheme.from_indices(4, np.array([[0, 1], [1, 0]]))))
    assert tp.formulas == {"eta": tb.ETA_REALIZABLE.latex(), "T": tb.T_REALIZABLE.latex()}
    # no proven λ_min > 0 (FAILS or UNDECIDED): a = 0 whatever the float eigenvalue says
    a, rho, step = gp._without_step_size(None)
    assert (a, rho, step.eta, step.T, step.samples) == (0.0, 0.0, 0.0, math.inf, math.inf)
    assert step.realizable
    _, rho, step = gp._without_step_size(0.25)  # noisy: the noisy formulas
    assert rho == 0.25 and not step.realizable
    assert step.formulas == {"eta": tb.ETA_NOISY.latex(), "T": tb.T_NOISY.latex()}


def test_singular_violation_without_a_kernel_direction() -> None:
    check = SimpleNamespace(
        kernel_direction=None, verdict="FAILS", proof="verified upper bound",
        certificate="upper-bound",
    )  # fmt: skip
    spectrum = SimpleNamespace(lambda_min=-0.25, check=check)
    assert gp._singular_violation(spectrum) == (
        "lambda_min(P Σ Pᵀ) = -0.25 <= 0 for this scheme (proven: verified upper bound), so "
        "the theorem (thm-convotron) does not apply"
    )
    undecided = SimpleNamespace(
        kernel_direction=None, verdict="UNDECIDED", verdict_reason="undecided: no proof",
        to_decide="pass exact=True",
    )  # fmt: skip
    assert gp._singular_violation(SimpleNamespace(lambda_min=1e-9, check=undecided)) == (
        "lambda_min(P Σ Pᵀ) > 0 is not proven for this scheme (UNDECIDED: undecided: no "
        "proof); to decide it: pass exact=True; the theorem (thm-convotron) needs it, so its "
        "guarantee is not established"
    )


def test_disjoint_realizable_flag_is_a_bool() -> None:
    quiet = _params(Problem.from_specs("1d:8,4,4"), only_patch=1)
    noisy = _params(Problem.from_specs("1d:8,4,4", noise="gaussian:0.3"), only_patch=1)
    assert quiet.realizable is True and noisy.realizable is False


def test_independent_noise_above_the_cost_limit_is_still_variance_times_trace(monkeypatch) -> None:
    problem = Problem.from_specs("1d:8,4,2", law="rademacher", noise="gaussian:0.3")
    exact = _params(problem)
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", 0.0)
    above = _params(problem)
    assert above.rho_rule == exact.rho_rule == "exact"
    assert _close(above.rho, 0.09 * 12.0) and _close(exact.rho, above.rho)


def test_hetero_rho_exact_at_the_cost_limit(monkeypatch) -> None:
    problem = Problem.from_specs("1d:8,4,2", law="rademacher", noise="hetero:0.5")
    cost = gm.exact_beta_cost(problem.scheme, problem.cov, 1.0)
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", cost)
    tp = _params(problem)
    assert (tp.beta_rule, tp.rho_rule) == ("exact", "exact")


def test_closed_rule_of_a_bounded_law_sets_eta_and_T(monkeypatch) -> None:
    """Above the cost limit a Rademacher problem uses its best closed form (not 'gaussian')."""
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", 0.0)
    tp = _params(Problem.from_specs("1d:8,4,2", alpha=0.5, law="rademacher"))
    assert tp.beta_rule == tp.beta_closed_rule == "bounded"
    assert "gaussian" not in tp.beta_candidates
    s = _spectrum(8, STRIDE_8_4_2, np.eye(8))
    beta = s["lambda_max_PPT"] * 8.0  # λ_max(PPᵀ) B² λ_max(Σ), B² = n b² = 8
    a = 1.5 * s["lambda_min"] / 3
    eta, T = _eta_T(a, beta, 0.0)
    assert _close(tp.beta, beta) and _close(tp.eta, eta) and tp.T == T


def test_curve_checks_a_scalar_t() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2"))
    with pytest.raises(TheoryError, match="t must be nonnegative"):
        tp.curve(-1)


# ------------------------------------------------- the records (issue 21, finding 5)
def test_disjoint_variant_computes_neither_beta_nor_rho(monkeypatch: pytest.MonkeyPatch) -> None:
    """β (up to 2e9 flops) and ρ are computed only for thm-convotron, not for thm-disjoint."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the disjoint variant must not compute beta or rho")

    monkeypatch.setattr(gp.Beta, "of", classmethod(refuse))
    monkeypatch.setattr(gp, "noise_moment", refuse)
    tp = gp.theorem_parameters(
        Problem.from_specs("1d:16,4,4"), eps=0.1, delta=0.1, w_norm=1.0, only_patch=1
    )
    assert (tp.claim, tp.beta_rule, tp.beta, tp.applies) == ("thm-disjoint", "disjoint", 4.5, True)
    with pytest.raises(AssertionError, match="must not compute"):
        gp.theorem_parameters(Problem.from_specs("1d:16,4,4"), eps=0.1, delta=0.1, w_norm=1.0)


def test_flat_names_read_the_records_and_replace_writes_them() -> None:
    tp = _params(Problem.from_specs("1d:8,4,2", alpha=0.5))
    assert (tp.eta, tp.T, tp.a, tp.beta) == (tp.step.eta, tp.step.T, tp.constants.a,
                                             tp.constants.beta)  # fmt: skip
    assert (tp.lambda_min, tp.eps, tp.alpha) == (tp.spectra.lambda_min, tp.target.eps, 0.5)
    assert tp.to_dict()["beta_candidates"] == tp.constants.beta_candidates
    new = tp.replace(eta=0.25, a=3.0, w_norm=2.0)
    assert (new.eta, new.a, new.w_norm, new.T) == (0.25, 3.0, 2.0, tp.T)
    assert (tp.eta, tp.a, tp.w_norm) != (0.25, 3.0, 2.0)  # a copy
    assert not tp.replace(violations=("x",)).applies
    with pytest.raises(ConvotronError, match=r"'applies' is neither a field of TheoremParameters"):
        tp.replace(applies=False)
