r"""GLUE: the theorem's numbers for a concrete problem, through :mod:`convotron_theory`.

Part of ``convotron.glue``, the only sub-package allowed to import :mod:`convotron_theory` (see
``ARCHITECTURE.md``). It maps a :class:`~convotron.problem.Problem` (patch scheme, slope,
input law, covariance, noise) and a target :math:`(\epsilon, \delta, \|w^*\|)` to one
:class:`TheoremParameters`, through the plain numbers that
:func:`convotron_theory.instantiate.theorem_parameters` turns into :math:`a, \beta, \rho, \eta, T`:
all
[derived], the explicit-constant version of GKM18's main theorem (``thm-convotron``), or
the disjoint-patch variant (``thm-disjoint``) with ``only_patch``.

How each number is obtained [derived]:

* :math:`\lambda_{\min}(M)`, :math:`\lambda_{\max}(M)`, :math:`\operatorname{tr} M` and the
  certificate: :func:`convotron_theory.spectra.check_scheme` (exact :math:`LDL^\top` when cheap).
* :math:`\beta = \lambda_{\max}(K)` by default (``lem-exact-k``): :math:`K` the exact
  second moment of :math:`x = Lz` (:func:`convotron_theory.second_moment.second_moment_matrix`)
  with the
  sampler's own factor :math:`L` (:func:`~convotron.glue.moments.cov_spec`) and the law's
  :math:`\kappa = \mathbb{E}z^4`; every law the package samples is of this form, the
  asymmetric control too. A padded scheme (``-1`` indices) reads one extra coordinate of
  variance 0. When :func:`~convotron.glue.moments.exact_beta_cost` exceeds
  :data:`~convotron.glue.moments.EXACT_COST_LIMIT` (or for zero
  padding with AR(1)) the best closed form below is used and ``beta_note`` says so.
* The closed forms (``lem-beta``), each an upper bound of :math:`\lambda_{\max}(K)`, kept in
  ``beta_candidates``, the smallest as ``beta_closed`` with the :math:`\eta, T` it gives:
  Gaussian law: :math:`\lambda_{\max}(\Sigma)(\operatorname{tr} M + 2\lambda_{\max}(M))`.
  Bounded law (:math:`|z_j| \le b`): :math:`\|x\|^2 = z^\top L^\top L z \le
  \lambda_{\max}(\Sigma)\, n b^2 =: B^2`, so :math:`\beta = \lambda_{\max}(PP^\top) B^2
  \lambda_{\max}(\Sigma)`. Every law (finite :math:`\kappa = \mathbb{E} z^4`):
  :math:`\beta = \lambda_{\max}(PP^\top)\,\mathbb{E}\|x\|^4` with, for :math:`x = Lz`,
  :math:`G = L^\top L`, :math:`\mathbb{E}\|x\|^4 = \mathbb{E}(z^\top G z)^2
  = (\operatorname{tr}\Sigma)^2 + 2\operatorname{tr}(\Sigma^2) + (\kappa - 3)\sum_j G_{jj}^2`
  (iid standardized :math:`z`; :math:`\operatorname{tr} G^2 = \operatorname{tr}\Sigma^2`).
  :math:`G = \Sigma` when :math:`L` is diagonal (identity, diagonal Σ): the formula is exact.
  Otherwise :math:`G_{jj}` depends on the square root :math:`L` chosen by the sampler, and
  :math:`\sum_j G_{jj}^2 \le \|G\|_F^2 = \operatorname{tr}\Sigma^2` gives the bound
  :math:`(\operatorname{tr}\Sigma)^2 + 2\operatorname{tr}\Sigma^2 + \max(\kappa-3, 0)
  \operatorname{tr}\Sigma^2` (note: :math:`\sum_j \Sigma_{jj}^2` in place of
  :math:`\sum_j G_{jj}^2` would be wrong for a Cholesky or AR(1) :math:`L`).
* :math:`\rho = \mathbb{E}[\xi^2\|Px\|^2]` (``lem-second-moment``), exact for every noise
  model (``rho_rule="exact"``): :math:`\varsigma^2\operatorname{tr} M` for noise independent
  of :math:`x`; for ``hetero:S`` :func:`convotron_theory.second_moment.rho_exact`,
  :math:`S^2\,\mathbb{E}[\|x\|^2\|Px\|^2]/\operatorname{tr}\Sigma` with the exact
  fourth moment of :math:`x = Lz`. Above the cost limit: the Gaussian Isserlis value
  (``"exact-gaussian"``) or the bound :math:`\lambda_{\max}(PP^\top)\mathbb{E}\|x\|^4`
  (``"fourth-moment-bound"``).

Assumptions that fail do not raise: :attr:`TheoremParameters.applies` is False and
:attr:`TheoremParameters.violations` says why, citing the claim (an asymmetric law breaks
``lem-symmetric`` and so ``thm-convotron``; :math:`\lambda_{\min}(M) = 0` breaks
``thm-convotron``, with the kernel direction; ``only_patch`` needs a disjoint patch and
:math:`x \sim N(0, I)` for ``thm-disjoint``). When :math:`\lambda_{\min}(M) \le 0` there is
no finite :math:`T`: :math:`a = 0`, so ``eta`` :math:`= a/(2\beta) = 0`, and ``T``,
``samples`` are infinite. The condition is decided by proofs only
(:func:`convotron_theory.spectra.check_scheme`: HOLDS, FAILS or UNDECIDED); when only a lemma
proves it,
:math:`a` uses the lemma's lower bound (``lambda_min_used``, ``lambda_min_note``), and when it
is undecided the theorem does not apply (a violation says what would decide it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import ConvotronError
from .._validate import InstanceOf, Interval, Param, validate
from ..covariance import Identity
from ..problem import Problem
from ._constants import Beta, Spectrum, noise_moment

__all__ = [
    "JSON_KEYS",
    "SUMMARY_KEYS",
    "TheoremParameters",
    "theorem_parameters",
]


#: The keys of :meth:`TheoremParameters.to_dict` (``convotron bounds --json``), in order.
JSON_KEYS = (
    "lambda_min", "lambda_max", "trace_M", "lambda_max_Sigma", "lambda_max_PPT", "certificate",
    "verdict", "lambda_min_used", "lambda_min_note",
    "a", "beta", "beta_rule", "beta_candidates", "beta_exact", "beta_closed", "beta_closed_rule",
    "eta_closed", "T_closed", "beta_note", "rho", "rho_rule", "eta", "T", "samples",
    "realizable", "applies", "violations", "claim", "formulas", "eps", "delta", "w_norm", "alpha",
)  # fmt: skip

#: The numbers of :meth:`TheoremParameters.summary` (the experiments' ``theorem`` entries).
SUMMARY_KEYS = ("lambda_min", "lambda_max", "a", "beta", "rho", "eta", "T", "applies", "violations")


@dataclass(frozen=True)
class TheoremParameters:
    r"""The theorem's numbers for one problem (all [derived]; see the module docstring).

    Attributes
    ----------
    lambda_min, lambda_max : float
        Extreme eigenvalues of :math:`M = P\Sigma P^\top` (of :math:`P_i\Sigma P_i^\top = I`
        for the disjoint-patch variant).
    certificate : str
        The kind of proof that decided the condition (``check.certificate``: ``"exact"``,
        ``"verified-float"``, ``"lemma"``, ``"kernel-witness"``, ``"upper-bound"``,
        ``"none"``); ``certificate_detail`` holds the :class:`convotron_theory.spectra.Certificate`
        when exact.
    verdict : str
        ``"HOLDS"``, ``"FAILS"`` or ``"UNDECIDED"`` (:func:`convotron_theory.spectra.check_scheme`).
    lambda_min_used, lambda_min_note
        The :math:`\lambda_{\min}` in :math:`a = (1+\alpha)\lambda_{\min}/k` and why
        (:class:`~convotron.glue._constants.Spectrum`): the lemma's proven bound when only the
        lemma proves the condition, 0 when it fails or is undecided.
    a, beta, rho : float
        Drift, second-moment and noise constants.
    beta_rule, rho_rule : str
        Which value was used: ``"exact"`` (:math:`\lambda_{\max}(K)`), else a closed form
        ``"gaussian"``, ``"bounded"``, ``"fourth-moment"`` (see ``beta_note``), or
        ``"disjoint"``; ``"none"``, ``"exact"``, ``"exact-gaussian"``,
        ``"fourth-moment-bound"``, ``"disjoint"``.
    beta_exact : float or None
        :math:`\lambda_{\max}(K)`, None when not computed.
    beta_closed, beta_closed_rule, eta_closed, T_closed
        The best closed-form β (``lem-beta``), its rule, and the η and T it gives (for the
        disjoint variant the same as ``beta``, ``eta``, ``T``).
    beta_note : str
        Why the exact β was not computed (empty when it was).
    eta : float
        Step size (0 when no positive :math:`\lambda_{\min}` is proven: :math:`a = 0`).
    T, samples : int or float
        Iterations for the :math:`(\epsilon, \delta)` guarantee, and samples (= T);
        ``math.inf`` when :math:`\lambda_{\min}(M) \le 0`.
    applies : bool
        Every hypothesis of the claim holds.
    violations : tuple of str
        Why not, each naming the claim it breaks.
    claim : str
        ``"thm-convotron"`` or ``"thm-disjoint"``.
    realizable : bool
        :math:`\rho = 0` (realizable formulas) or not (noisy formulas).
    formulas : dict
        LaTeX of the ``eta`` and ``T`` formulas used.
    check : convotron_theory.spectra.SchemeCheck
        Everything ``convotron check`` reports about the scheme.
    problem : Problem
        The problem the numbers are for.
    only_patch : int or None
        The patch of the disjoint-patch variant, or None.
    """

    lambda_min: float
    lambda_max: float
    certificate: str
    a: float
    beta: float
    beta_rule: str
    rho: float
    rho_rule: str
    eta: float
    T: int | float
    samples: int | float
    applies: bool
    violations: tuple[str, ...]
    claim: str
    realizable: bool
    formulas: dict[str, str]
    eps: float
    delta: float
    w_norm: float
    alpha: float
    trace_M: float
    lambda_max_Sigma: float
    lambda_max_PPT: float
    beta_candidates: dict[str, float]
    problem: Problem = field(repr=False, compare=False)
    beta_exact: float | None = None
    beta_closed: float = math.nan
    beta_closed_rule: str = ""
    eta_closed: float = math.nan
    T_closed: int | float = math.inf
    beta_note: str = ""
    certificate_detail: Any = field(default=None, repr=False)
    check: Any = field(default=None, repr=False)
    only_patch: int | None = None
    verdict: str = "HOLDS"
    lambda_min_used: float = math.nan
    lambda_min_note: str = ""

    def curve(self, t: Any) -> Any:
        r"""Evaluate the theorem's bound :math:`(1 - \eta a/2)^t\|w^*\|^2 + 2\eta\rho/a` at ``t``.

        ``t`` an int or an integer array; NaN when there is no positive step size.
        """
        from convotron_theory.bounds import THEOREM_CURVE

        if not self.eta > 0:  # no proven λ_min(M) > 0: no step size, no curve
            return math.nan if np.ndim(t) == 0 else np.full(np.shape(t), math.nan)
        tt = np.asarray(t) if np.ndim(t) else int(t)
        return THEOREM_CURVE(a=self.a, eta=self.eta, rho=self.rho, t=tt, w_norm=self.w_norm)

    def summary(self, keys: tuple[str, ...] = SUMMARY_KEYS) -> dict[str, Any]:
        """Return the main numbers as plain values (numbers as floats; ``inf``/``nan`` kept).

        ``keys`` picks among :data:`SUMMARY_KEYS` (``applies`` a bool, ``violations`` a
        list). Used where a result is written as JSON: ``convotron run --json`` (its
        ``theorem`` object) and the experiments' ``theorem`` entries.
        """
        out: dict[str, Any] = {}
        for key in keys:
            if key not in SUMMARY_KEYS:
                raise ConvotronError(
                    f"summary keys must be among {SUMMARY_KEYS}; got {key!r}. Drop it."
                )
            value = getattr(self, key)
            if key == "applies":
                out[key] = bool(value)
            elif key == "violations":
                out[key] = [str(v) for v in value]
            else:
                out[key] = float(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary: the attributes named by :data:`JSON_KEYS`, in that order."""
        out = {key: getattr(self, key) for key in JSON_KEYS}
        out["beta_candidates"] = dict(self.beta_candidates)
        out["violations"] = list(self.violations)
        out["formulas"] = dict(self.formulas)
        return out


# --------------------------------------------------------------------------- main entry
def theorem_parameters(
    problem: Problem,
    *,
    eps: float,
    delta: float,
    w_norm: float,
    only_patch: int | None = None,
    spectrum: Spectrum | None = None,
) -> TheoremParameters:
    r"""Compute the theorem's numbers for a problem and a target :math:`(\epsilon, \delta)`.

    Parameters
    ----------
    problem : Problem
        Scheme, slope :math:`\alpha`, input law, covariance :math:`\Sigma` and noise
        (:meth:`Problem.from_specs <convotron.problem.Problem.from_specs>` builds one from
        spec strings).
    eps, delta : float
        Accuracy :math:`\epsilon > 0` and failure probability :math:`0 < \delta \le 1`.
    w_norm : float
        :math:`\|w^*\| > 0` (or an upper bound on it).
    only_patch : int or None
        Update only along this patch: the disjoint-patch variant (``thm-disjoint``).
    spectrum : Spectrum or None
        ``Spectrum.of(problem)`` computed earlier for the same scheme and covariance (a
        sweep reuses it over the cells that differ only in ε, δ, ‖w*‖, α, law or noise);
        computed here when ``None``.

    Returns
    -------
    TheoremParameters
        Holding ``problem`` by reference.

    Raises
    ------
    ConvotronError
        For invalid input (never for a failing hypothesis: see ``applies``/``violations``).
    """
    target = _Target.checked(problem, eps, delta, w_norm, only_patch)
    spectrum = Spectrum.of(problem) if spectrum is None else spectrum
    beta = Beta.of(problem, spectrum)
    rho_rule, xi_moment = noise_moment(problem, spectrum, beta)
    violations = _law_violations(problem)
    if target.only_patch is not None:
        return _disjoint_parameters(problem, target, spectrum, violations)
    common: dict[str, Any] = dict(
        lambda_min=spectrum.lambda_min,
        lambda_max=spectrum.lambda_max,
        certificate=spectrum.check.certificate,
        verdict=spectrum.check.verdict,
        lambda_min_used=spectrum.lambda_min_used,
        lambda_min_note=spectrum.lambda_min_note,
        beta=float(beta.value),
        beta_rule=beta.rule,
        beta_exact=beta.exact,
        beta_closed=beta.closed,
        beta_closed_rule=beta.closed_rule,
        beta_note=beta.note,
        claim="thm-convotron",
        eps=target.eps,
        delta=target.delta,
        w_norm=target.w_norm,
        alpha=problem.alpha,
        trace_M=spectrum.trace_M,
        lambda_max_Sigma=spectrum.lambda_max_Sigma,
        lambda_max_PPT=spectrum.lambda_max_PPT,
        beta_candidates=beta.all_candidates,
        certificate_detail=spectrum.check.certificate_detail,
        check=spectrum.check,
        problem=problem,
        rho_rule=rho_rule,
    )
    if not spectrum.check.condition_holds:
        violations.append(_singular_violation(spectrum))
        return _without_step_size(problem, common, spectrum, xi_moment, violations)

    from convotron_theory import instantiate as ti

    shared: dict[str, Any] = dict(
        lambda_min=spectrum.lambda_min_used,
        lambda_max=spectrum.lambda_max,
        tr_M=spectrum.trace_M,
        k=problem.scheme.k,
        r=problem.scheme.r,
        alpha=problem.alpha,
        eps=target.eps,
        delta=target.delta,
        w_norm=target.w_norm,
        lambda_max_Sigma=spectrum.lambda_max_Sigma,
        lambda_max_PPT=spectrum.lambda_max_PPT,
        B=beta.B,
        E_x4=beta.E_x4,
        xi_moment=xi_moment,
    )
    p = ti.theorem_parameters(**shared, beta_rule=beta.rule, lambda_max_K=beta.exact)
    p_closed = ti.theorem_parameters(**shared, beta_rule=beta.closed_rule)
    return TheoremParameters(
        **common,
        a=p["a"],
        rho=p["rho"],
        eta=p["eta"],
        T=p["T"],
        samples=p["samples"],
        applies=not violations,
        violations=tuple(violations),
        realizable=p["realizable"],
        formulas=p["formulas"],
        eta_closed=p_closed["eta"],
        T_closed=p_closed["T"],
    )


# ------------------------------------------------------------------------------ the pieces
@dataclass(frozen=True)
class _Target:
    r"""The checked :math:`(\epsilon, \delta, \|w^*\|)` and disjoint-patch index."""

    eps: float
    delta: float
    w_norm: float
    only_patch: int | None

    @classmethod
    def checked(cls, problem: Any, eps: Any, delta: Any, w_norm: Any, only_patch: Any) -> _Target:
        _PROBLEM(problem)
        k = problem.scheme.k
        if only_patch is not None:
            only_patch = validate(
                "only_patch",
                only_patch,
                Interval(int, 0, k, closed="left"),
                meaning="the disjoint patch",
                fix=f"Pass the index of one of the k={k} patches, 0 to {k - 1}.",
            )
        return cls(
            eps=_TARGET["eps"](eps),
            delta=_TARGET["delta"](delta),
            w_norm=_TARGET["w_norm"](w_norm),
            only_patch=only_patch,
        )


# One table: the inputs of theorem_parameters, their rules and fixes (convotron._validate).
_PROBLEM = Param(
    "problem",
    InstanceOf(Problem, "a Problem"),
    fix="Pass e.g. Problem.from_specs('1d:16,4,2', alpha=0.0).",
)
_POSITIVE = Interval(float, 0.0, None, closed="neither")
_PROBABILITY = Interval(float, 0.0, 1.0, closed="right")
_TARGET = {
    name: Param(name, rule, meaning=meaning, fix=fix)
    for name, rule, meaning, fix in [
        ("eps", _POSITIVE, "the target squared error", "Pass a positive accuracy, e.g. 0.01."),
        ("delta", _PROBABILITY, "the failure probability", "Pass a probability, e.g. 0.1."),
        ("w_norm", _POSITIVE, "the norm of w*", "Pass the norm of w*, e.g. 1."),
    ]
}


def _law_violations(problem: Problem) -> list[str]:
    law = problem.law
    if law.symmetric:
        return []
    return [
        f"input law {law.name!r} is not symmetric (x and -x differ in law): Lemma 1 "
        "(lem-symmetric) and so the theorem (thm-convotron) need a symmetric law; use a "
        "symmetric law or symmetrize the data"
    ]


def _singular_violation(spectrum: Spectrum) -> str:
    check = spectrum.check
    kd = check.kernel_direction
    direction = "" if kd is None else f"; kernel direction w = {_fmt_vec(kd)}: {kd.explanation}"
    if getattr(check, "verdict", "FAILS") == "UNDECIDED":
        hint = f"; to decide it: {check.to_decide}" if getattr(check, "to_decide", None) else ""
        return (
            f"lambda_min(P Σ Pᵀ) > 0 is not proven for this scheme (UNDECIDED: "
            f"{check.verdict_reason}){hint}; the theorem (thm-convotron) needs it, so its "
            "guarantee is not established"
        )
    proof = getattr(check, "proof", None) or check.certificate
    if kd is not None and getattr(kd, "exact", None) is not None:
        # an integer u with uᵀMu = 0 exactly and M ⪰ 0: λ_min is 0, not the float eigenvalue
        value = f"0 exactly (float eigenvalue {spectrum.lambda_min:.3g})"
    else:
        value = f"{spectrum.lambda_min:.3g} <= 0"
    return (
        f"lambda_min(P Σ Pᵀ) = {value} for this scheme (proven: {proof}), so the theorem "
        f"(thm-convotron) does not apply{direction}"
    )


def _without_step_size(
    problem: Problem,
    common: dict[str, Any],
    spectrum: Spectrum,
    xi_moment: float | None,
    violations: list[str],
) -> TheoremParameters:
    """No proven λ_min(M) > 0: a = 0, so η = a/(2β) = 0 and T, samples are infinite."""
    from convotron_theory import bounds as tb

    rho = 0.0 if xi_moment is None else float(xi_moment)
    return TheoremParameters(
        **common,
        a=0.0,
        rho=rho,
        eta=0.0,
        T=math.inf,
        samples=math.inf,
        applies=False,
        violations=tuple(violations),
        realizable=rho == 0.0,
        formulas=(
            {"eta": tb.ETA_REALIZABLE.latex(), "T": tb.T_REALIZABLE.latex()}
            if rho == 0.0
            else {"eta": tb.ETA_NOISY.latex(), "T": tb.T_NOISY.latex()}
        ),
        eta_closed=0.0,
        T_closed=math.inf,
    )


def _disjoint_parameters(
    problem: Problem, target: _Target, spectrum: Spectrum, violations: list[str]
) -> TheoremParameters:
    """Return the disjoint-patch variant's numbers (``thm-disjoint``), patch ``only_patch``."""
    from convotron_theory import instantiate as ti

    scheme, law, cov, noise = problem.scheme, problem.law, problem.cov, problem.noise
    i = target.only_patch
    assert i is not None
    if bool((scheme.indices[i] < 0).any()):
        violations.append(
            f"only_patch={i}: patch {i} reads zero padding (a zero row of P_{i}, so "
            f"P_{i}P_{i}ᵀ ≠ I and the variant never learns those taps); the disjoint-patch "
            "variant (thm-disjoint) needs a padding-free patch (book/conv.md, lem-conv-padded)"
        )
    elif not scheme.is_disjoint(i):
        violations.append(
            f"only_patch={i}: patch {i} shares input coordinates with another patch; the "
            "disjoint-patch variant (thm-disjoint) needs a patch disjoint from all others"
        )
    if law.name != "gaussian" or not isinstance(cov, Identity):
        violations.append(
            f"only_patch={i}: the disjoint-patch variant (thm-disjoint) needs x ~ N(0, I); "
            f"got law {law.name!r} with covariance {cov.name!r}"
        )
    if not noise.independent:
        violations.append(
            f"only_patch={i}: the disjoint-patch constants (thm-disjoint) assume noise "
            f"independent of x; got {noise.spec!r}"
        )
    p = ti.disjoint_parameters(
        k=scheme.k,
        r=scheme.r,
        alpha=problem.alpha,
        eps=target.eps,
        delta=target.delta,
        w_norm=target.w_norm,
        varsigma=float(noise.level),
    )
    return TheoremParameters(
        lambda_min=1.0,
        lambda_max=1.0,
        lambda_min_used=1.0,
        certificate="exact",
        a=p["a"],
        beta=p["beta"],
        beta_rule="disjoint",
        rho=p["rho"],
        rho_rule="disjoint",
        eta=p["eta"],
        T=p["T"],
        samples=p["samples"],
        applies=not violations,
        violations=tuple(violations),
        claim="thm-disjoint",
        realizable=p["realizable"],
        formulas=p["formulas"],
        eps=target.eps,
        delta=target.delta,
        w_norm=target.w_norm,
        alpha=problem.alpha,
        trace_M=float(scheme.r),
        lambda_max_Sigma=spectrum.lambda_max_Sigma,
        lambda_max_PPT=spectrum.lambda_max_PPT,
        beta_candidates={"disjoint": p["beta"]},
        beta_closed=p["beta"],
        beta_closed_rule="disjoint",
        eta_closed=p["eta"],
        T_closed=p["T"],
        check=spectrum.check,
        problem=problem,
        only_patch=i,
    )


def _fmt_vec(kd: Any) -> str:
    if getattr(kd, "exact", None) is not None:
        return "[" + ", ".join(str(v) for v in kd.exact) + "]"
    return "[" + ", ".join(f"{float(v):.3g}" for v in kd.w) + "]"
