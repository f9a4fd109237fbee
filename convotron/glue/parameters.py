r"""GLUE: the theorem's numbers for a concrete problem, through :mod:`convotron_theory`.

Part of ``convotron.glue``, the only sub-package allowed to import :mod:`convotron_theory` (see
``ARCHITECTURE.md``). It maps a :class:`~convotron.model.problem.Problem` (patch scheme, slope,
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

The numbers are grouped in typed records (:class:`Target`, :class:`Spectra`,
:class:`Constants`, :class:`Step`); :class:`TheoremParameters` holds them and reads each
flat name (``tp.eta``, ``tp.beta_rule``, ...) from its record. The exact β and ρ are computed
only for ``thm-convotron``: the disjoint-patch variant uses neither.

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

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import ConvotronError
from .._io import pick
from .._through import Through
from .._validate import InstanceOf, Interval, Param, only_patch_param, table, validate_params
from ..data.covariance import Identity
from ..model.problem import Problem
from ._constants import Beta, Spectrum, noise_moment

__all__ = [
    "JSON_KEYS",
    "SUMMARY_KEYS",
    "Constants",
    "Spectra",
    "Step",
    "Target",
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


# ------------------------------------------------------------------------------ the records
@dataclass(frozen=True)
class Target:
    r"""The checked target :math:`(\epsilon, \delta, \|w^*\|)` and the disjoint patch (or None)."""

    eps: float
    delta: float
    w_norm: float
    only_patch: int | None = None

    @classmethod
    def checked(cls, problem: Any, eps: Any, delta: Any, w_norm: Any, only_patch: Any) -> Target:
        """Validate the inputs of :func:`theorem_parameters` (one row each, below)."""
        _PROBLEM(problem)
        if only_patch is not None:
            only_patch = only_patch_param(problem.scheme.k)(only_patch)
        return cls(
            eps=_EPS(eps),
            delta=_DELTA(delta),
            w_norm=_W_NORM(w_norm),
            only_patch=only_patch,
        )


@dataclass(frozen=True)
class Spectra:
    r"""What the theorem reads of :math:`M = P\Sigma P^\top`, :math:`PP^\top` and :math:`\Sigma`.

    ``lambda_min``, ``lambda_max``: extreme eigenvalues of :math:`M` (of
    :math:`P_i\Sigma P_i^\top = I` for the disjoint variant); ``certificate``, ``verdict``,
    ``check``, ``certificate_detail``: the proof that decided the condition
    (:func:`convotron_theory.spectra.check_scheme`); ``lambda_min_used``/``lambda_min_note``: the
    :math:`\lambda_{\min}` in :math:`a` and why (:class:`~convotron.glue._constants.Spectrum`).
    """

    lambda_min: float
    lambda_max: float
    trace_M: float
    lambda_max_Sigma: float
    lambda_max_PPT: float
    certificate: str
    verdict: str
    lambda_min_used: float
    lambda_min_note: str = ""
    certificate_detail: Any = field(default=None, repr=False)
    check: Any = field(default=None, repr=False)

    @classmethod
    def of(cls, spectrum: Spectrum) -> Spectra:
        """Build the record of a :class:`~convotron.glue._constants.Spectrum` and its check."""
        check = spectrum.check
        return cls(
            **pick(spectrum, "lambda_min", "lambda_max", "trace_M", "lambda_max_Sigma",
                   "lambda_max_PPT", "lambda_min_used", "lambda_min_note"),
            **pick(check, "certificate", "verdict", "certificate_detail"),
            check=check,
        )  # fmt: skip


@dataclass(frozen=True)
class Constants:
    r"""The constants :math:`a, \beta, \rho` and their provenance (module docstring).

    ``beta_rule``/``rho_rule``: which value was used; ``beta_exact``:
    :math:`\lambda_{\max}(K)` or None; ``beta_candidates``: every β computed;
    ``beta_closed``/``beta_closed_rule``: the best closed form (``lem-beta``);
    ``beta_note``: why the exact β was not computed (empty when it was).
    """

    a: float
    beta: float
    beta_rule: str
    rho: float
    rho_rule: str
    beta_candidates: dict[str, float]
    beta_closed: float
    beta_closed_rule: str
    beta_exact: float | None = None
    beta_note: str = ""

    @classmethod
    def of(cls, a: float, rho: float, rho_rule: str, beta: Beta) -> Constants:
        """Build the record for ``thm-convotron``: β and its provenance from :class:`Beta`."""
        return cls(
            a=a,
            beta=float(beta.value),
            beta_rule=beta.rule,
            rho=rho,
            rho_rule=rho_rule,
            beta_candidates=beta.all_candidates,
            beta_closed=beta.closed,
            beta_closed_rule=beta.closed_rule,
            beta_exact=beta.exact,
            beta_note=beta.note,
        )


@dataclass(frozen=True)
class Step:
    r"""The step size and iteration numbers: :math:`\eta`, :math:`T`, samples (= T).

    ``eta_closed``/``T_closed``: what the best closed-form β gives; ``realizable``:
    :math:`\rho = 0`; ``formulas``: LaTeX of the ``eta`` and ``T`` formulas used.
    """

    eta: float
    T: int | float
    samples: int | float
    realizable: bool
    formulas: dict[str, str]
    eta_closed: float
    T_closed: int | float

    @classmethod
    def of(cls, p: dict[str, Any], p_closed: dict[str, Any]) -> Step:
        """Read the dictionaries of :func:`convotron_theory.instantiate.theorem_parameters`.

        ``p`` for the β used, ``p_closed`` for the best closed form (the one place they
        are read by key).
        """
        return cls(
            eta=p["eta"],
            T=p["T"],
            samples=p["samples"],
            realizable=p["realizable"],
            formulas=p["formulas"],
            eta_closed=p_closed["eta"],
            T_closed=p_closed["T"],
        )


@dataclass(frozen=True)
class TheoremParameters:
    r"""The theorem's numbers for one problem (all [derived]; see the module docstring).

    Four records and the verdict: ``target`` (:class:`Target`), ``spectra``
    (:class:`Spectra`), ``constants`` (:class:`Constants`), ``step`` (:class:`Step`);
    ``claim`` (``"thm-convotron"`` or ``"thm-disjoint"``), ``violations`` (why a hypothesis
    fails, each naming the claim it breaks; ``applies`` is that there are none) and
    ``problem`` (held by reference). Every field of a record also reads as a flat attribute
    (``tp.eta``, ``tp.beta_rule``, ``tp.lambda_min``, ``tp.eps``, ...), as in
    :data:`JSON_KEYS`; ``alpha`` is the problem's slope. When no positive
    :math:`\lambda_{\min}(M)` is proven, ``a = eta = 0`` and ``T = samples = inf``.
    """

    target: Target
    spectra: Spectra
    constants: Constants
    step: Step
    claim: str
    violations: tuple[str, ...]
    problem: Problem = field(repr=False, compare=False)

    # the flat names, each read from its record (to_dict, summary and callers use them)
    eps = Through[float]("target")
    delta = Through[float]("target")
    w_norm = Through[float]("target")
    only_patch = Through["int | None"]("target")
    lambda_min = Through[float]("spectra")
    lambda_max = Through[float]("spectra")
    trace_M = Through[float]("spectra")
    lambda_max_Sigma = Through[float]("spectra")
    lambda_max_PPT = Through[float]("spectra")
    certificate = Through[str]("spectra")
    verdict = Through[str]("spectra")
    lambda_min_used = Through[float]("spectra")
    lambda_min_note = Through[str]("spectra")
    certificate_detail = Through[Any]("spectra")
    check = Through[Any]("spectra")
    a = Through[float]("constants")
    beta = Through[float]("constants")
    beta_rule = Through[str]("constants")
    rho = Through[float]("constants")
    rho_rule = Through[str]("constants")
    beta_candidates = Through["dict[str, float]"]("constants")
    beta_closed = Through[float]("constants")
    beta_closed_rule = Through[str]("constants")
    beta_exact = Through["float | None"]("constants")
    beta_note = Through[str]("constants")
    eta = Through[float]("step")
    T = Through["int | float"]("step")
    samples = Through["int | float"]("step")
    realizable = Through[bool]("step")
    formulas = Through["dict[str, str]"]("step")
    eta_closed = Through[float]("step")
    T_closed = Through["int | float"]("step")

    @property
    def applies(self) -> bool:
        """Every hypothesis of the claim holds (no violation)."""
        return not self.violations

    @property
    def alpha(self) -> float:
        r"""The problem's leaky-ReLU slope :math:`\alpha`."""
        return self.problem.alpha

    def replace(self, **changes: Any) -> TheoremParameters:
        """Return a copy with attributes changed, a flat one in its record (``eta=0.1``)."""
        own = {f.name for f in dataclasses.fields(self)}
        top: dict[str, Any] = {}
        records: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            alias = vars(TheoremParameters).get(name)
            if name in own:
                top[name] = value
            elif isinstance(alias, Through):
                records.setdefault(alias.via, {})[name] = value
            else:
                raise ConvotronError(
                    f"replace: {name!r} is neither a field of TheoremParameters nor of one of "
                    "its records. Pass a flat name of JSON_KEYS (not applies or alpha: change "
                    "violations or the problem), or claim, violations, problem."
                )
        for rec, kw in records.items():
            top[rec] = dataclasses.replace(getattr(self, rec), **kw)
        return dataclasses.replace(self, **top)

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
        (:meth:`Problem.from_specs <convotron.model.problem.Problem.from_specs>` builds one from
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
    target = Target.checked(problem, eps, delta, w_norm, only_patch)
    spectrum = Spectrum.of(problem) if spectrum is None else spectrum
    violations = _law_violations(problem)
    if target.only_patch is not None:  # before β and ρ: the variant uses neither
        return _disjoint_parameters(problem, target, spectrum, violations)
    beta = Beta.of(problem, spectrum)
    rho_rule, xi_moment = noise_moment(problem, spectrum, beta)
    if not spectrum.check.condition_holds:
        violations.append(_singular_violation(spectrum))
        a, rho, step = _without_step_size(xi_moment)
    else:
        from convotron_theory import instantiate as ti

        shared: dict[str, Any] = dict(
            lambda_min=spectrum.lambda_min_used,
            lambda_max=spectrum.lambda_max,
            tr_M=spectrum.trace_M,
            k=problem.scheme.k,
            r=problem.scheme.r,
            alpha=problem.alpha,
            **pick(target, "eps", "delta", "w_norm"),
            **pick(spectrum, "lambda_max_Sigma", "lambda_max_PPT"),
            **pick(beta, "B", "E_x4"),
            xi_moment=xi_moment,
        )
        p = ti.theorem_parameters(**shared, beta_rule=beta.rule, lambda_max_K=beta.exact)
        p_closed = ti.theorem_parameters(**shared, beta_rule=beta.closed_rule)
        a, rho, step = p["a"], p["rho"], Step.of(p, p_closed)
    return TheoremParameters(
        target=target,
        spectra=Spectra.of(spectrum),
        constants=Constants.of(a, rho, rho_rule, beta),
        step=step,
        claim="thm-convotron",
        violations=tuple(violations),
        problem=problem,
    )


# ------------------------------------------------------------------------------ the pieces
# One table: the inputs of theorem_parameters, their rules and fixes (convotron._validate);
# only_patch's rule is the update rule's (convotron.learning.rules.only_patch_param).
_PROBLEM = Param(
    "problem",
    InstanceOf(Problem, "a Problem"),
    fix="Pass e.g. Problem.from_specs('1d:16,4,2', alpha=0.0).",
)
_POSITIVE = Interval(float, 0.0, None, closed="neither")
_EPS = Param("eps", _POSITIVE, "Pass a positive accuracy, e.g. 0.01.", "the target squared error")
_DELTA = Param("delta", Interval(float, 0.0, 1.0, closed="right"),
               "Pass a probability, e.g. 0.1.", "the failure probability")  # fmt: skip
_W_NORM = Param("w_norm", _POSITIVE, "Pass the norm of w*, e.g. 1.", "the norm of w*")
#: The table of theorem_parameters (convotron._validate); only_patch (< k) is checked by Target.
THEOREM_TABLE = table(_PROBLEM, _EPS, _DELTA, _W_NORM)
theorem_parameters = validate_params(THEOREM_TABLE)(theorem_parameters)


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


def _without_step_size(xi_moment: float | None) -> tuple[float, float, Step]:
    """No proven λ_min(M) > 0: ``(a, rho, step)`` with a = 0, η = a/(2β) = 0, T infinite.

    ``convotron_theory.bounds.A`` is defined for a proven λ_min > 0 only; without one there is
    no drift.
    """
    from convotron_theory import bounds as tb

    rho = 0.0 if xi_moment is None else float(xi_moment)
    realizable = rho == 0.0
    eta_b, t_b = (tb.ETA_REALIZABLE, tb.T_REALIZABLE) if realizable else (tb.ETA_NOISY, tb.T_NOISY)
    step = Step(
        eta=0.0,
        T=math.inf,
        samples=math.inf,
        realizable=realizable,
        formulas={"eta": eta_b.latex(), "T": t_b.latex()},
        eta_closed=0.0,
        T_closed=math.inf,
    )
    return 0.0, rho, step


def _disjoint_parameters(
    problem: Problem, target: Target, spectrum: Spectrum, violations: list[str]
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
    spectra = dataclasses.replace(  # P_i Σ P_iᵀ = I: λ_min = λ_max = 1, tr = r, exactly
        Spectra.of(spectrum),
        lambda_min=1.0,
        lambda_max=1.0,
        trace_M=float(scheme.r),
        certificate="exact",
        verdict="HOLDS",
        lambda_min_used=1.0,
        lambda_min_note="",
        certificate_detail=None,
    )
    constants = Constants(
        a=p["a"],
        beta=p["beta"],
        beta_rule="disjoint",
        rho=p["rho"],
        rho_rule="disjoint",
        beta_candidates={"disjoint": p["beta"]},
        beta_closed=p["beta"],
        beta_closed_rule="disjoint",
    )
    return TheoremParameters(
        target=target,
        spectra=spectra,
        constants=constants,
        step=Step.of(p, p),
        claim="thm-disjoint",
        violations=tuple(violations),
        problem=problem,
    )


def _fmt_vec(kd: Any) -> str:
    if getattr(kd, "exact", None) is not None:
        return "[" + ", ".join(str(v) for v in kd.exact) + "]"
    return "[" + ", ".join(f"{float(v):.3g}" for v in kd.w) + "]"
