r"""GLUE: the constants β and ρ of the theorem for a problem (private to :mod:`.parameters`).

How each number is obtained is told in :mod:`convotron.glue.parameters`' docstring; here
:class:`Spectrum` holds the spectra the theorem reads (through
:func:`convotron_theory.spectra.check_scheme`), :class:`Beta` the exact :math:`\lambda_{\max}(K)`
when
affordable (:data:`~convotron.glue.moments.EXACT_COST_LIMIT`, read at call time) and the
closed forms always, and :func:`noise_moment` the exact :math:`\rho` of each noise model (or
its fallback above the cost limit). All [derived].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..data.covariance import Identity
from ..model.problem import Problem
from . import moments as gm

__all__ = ["Beta", "Spectrum", "bound_B", "noise_moment"]


@dataclass(frozen=True)
class Spectrum:
    r"""The spectra the theorem reads: :math:`M = P\Sigma P^\top`, :math:`PP^\top`, :math:`\Sigma`.

    ``check`` is what :func:`convotron_theory.spectra.check_scheme` says of :math:`M` (its verdict
    HOLDS, FAILS or UNDECIDED, each from a proof). ``lambda_min_used`` is the
    :math:`\lambda_{\min}` the theorem's numbers are computed from, ``lambda_min_note`` why
    [derived]: the float eigenvalue when an exact or verified float certificate proves
    :math:`M \succ 0` (then it is resolved to its own rounding error); the lemma's proven
    lower bound when only the lemma proves it (the float eigenvalue is then below the float
    certificate's resolution, unproven, and a smaller :math:`a` keeps every step of the
    theorem valid: the drift and progress lemmas hold for any :math:`a' \le a`); 0 when the
    condition FAILS or is UNDECIDED (no positive lower bound is proven: no finite T).
    """

    check: Any
    lambda_min: float
    lambda_max: float
    trace_M: float
    lambda_max_PPT: float
    lambda_max_Sigma: float
    lambda_min_used: float = math.nan
    lambda_min_note: str = ""

    @classmethod
    def of(cls, problem: Problem) -> Spectrum:
        from convotron_theory.spectra import check_scheme, extreme_eigenvalues

        scheme, cov = problem.scheme, problem.cov
        check = check_scheme(
            scheme.n, scheme.indices, gm.cov_for_theory(cov), geometry=scheme.geometry
        )
        if isinstance(cov, Identity):
            lmax_ppt = float(check.lambda_max)
        else:
            lmax_ppt = float(extreme_eigenvalues(scheme.n, scheme.indices)[1])
        used, note = _lambda_min_used(check)
        return cls(
            check=check,
            lambda_min=float(check.lambda_min),
            lambda_max=float(check.lambda_max),
            trace_M=float(check.trace),
            lambda_max_PPT=lmax_ppt,
            lambda_max_Sigma=float(cov.lambda_max()),
            lambda_min_used=used,
            lambda_min_note=note,
        )


def _lambda_min_used(check: Any) -> tuple[float, str]:
    """Return the λ_min the theorem's numbers use, and why (see :class:`Spectrum`)."""
    if check.verdict == "HOLDS" and check.certificate == "lemma":
        low = max(b.value for b in check.proved_bounds if b.proof == check.proof)
        return low, (
            f"λ_min(M) is the proven lower bound {low:.6g} of {check.proof} (the float "
            f"eigenvalue {check.lambda_min:.6g} is below the float certificate's resolution, "
            "not proven); a smaller a keeps the theorem valid"
        )
    if check.verdict == "HOLDS":
        return float(check.lambda_min), ""
    if check.verdict == "FAILS":
        return 0.0, f"λ_min(M) <= 0, proven ({check.proof}): no drift, a = 0"
    lows = [b.value for b in check.proved_bounds if b.side == "lower"]
    best = max([0.0, *lows])
    return best, (
        f"λ_min(M) > 0 is undecided; the theorem's numbers use the best proven lower bound "
        f"max(0, {max(lows):.3g}) = {best:.3g}"
        if lows
        else "λ_min(M) > 0 is undecided and no lower bound is proven: a = 0"
    )


def bound_B(problem: Problem, spectrum: Spectrum) -> float:
    r""":math:`B` with :math:`\|x\| \le B`: :math:`\sqrt{\lambda_{\max}(\Sigma) n}\,b`."""
    bound = cast(float, problem.law.bound)  # called for bounded laws only
    return math.sqrt(spectrum.lambda_max_Sigma * problem.n) * float(bound)


@dataclass(frozen=True)
class Beta:
    r"""β: the exact :math:`\lambda_{\max}(K)` when affordable, the closed forms always.

    Also the problem as :mod:`convotron_theory.second_moment` reads it (``n``, ``indices`` with the
    padding as coordinate ``n``, the factor ``spec``, ``kappa``) and whether the exact
    computations are affordable (``exact_ok``), which the exact ρ shares.
    """

    exact: float | None
    note: str
    candidates: dict[str, float]
    closed_rule: str
    E_x4: float
    B: float | None
    n: int
    indices: np.ndarray
    spec: Any
    kappa: float
    exact_ok: bool

    @property
    def rule(self) -> str:
        """``"exact"`` when λ_max(K) was computed, else the best closed form's rule."""
        return "exact" if self.exact is not None else self.closed_rule

    @property
    def closed(self) -> float:
        """The best (smallest) closed-form β."""
        return float(self.candidates[self.closed_rule])

    @property
    def value(self) -> float:
        """The β used: the exact one when computed, else :attr:`closed`."""
        return self.exact if self.exact is not None else self.closed

    @property
    def all_candidates(self) -> dict[str, float]:
        out = dict(self.candidates)
        if self.exact is not None:
            out["exact"] = self.exact
        return out

    @classmethod
    def of(cls, problem: Problem, spectrum: Spectrum) -> Beta:
        from convotron_theory import bounds as tb

        scheme, law, cov = problem.scheme, problem.law, problem.cov
        kappa = float(law.fourth_moment)
        E_x4, _ = gm.fourth_moment_norm(cov, kappa)
        candidates = {
            "fourth-moment": tb.BETA_FOURTH(lambda_max_PPT=spectrum.lambda_max_PPT, E_x4=E_x4)
        }
        if law.name == "gaussian":
            candidates["gaussian"] = tb.BETA_GAUSSIAN(
                lambda_max_Sigma=spectrum.lambda_max_Sigma,
                tr_M=spectrum.trace_M,
                lambda_max=spectrum.lambda_max,
            )
        B = None if law.bound is None else bound_B(problem, spectrum)
        if B is not None:
            candidates["bounded"] = tb.BETA_BOUNDED(
                lambda_max_PPT=spectrum.lambda_max_PPT,
                B=B,
                lambda_max_Sigma=spectrum.lambda_max_Sigma,
            )
        closed_rule = min(candidates, key=lambda key: candidates[key])
        padded = bool((scheme.indices < 0).any())
        n = scheme.n + 1 if padded else scheme.n  # the padding reads coordinate n, variance 0
        indices = np.where(scheme.indices < 0, scheme.n, scheme.indices)
        spec = gm.cov_spec(cov, padded=padded)
        cost = gm.exact_beta_cost(scheme, cov, kappa)
        exact: float | None = None
        note = ""
        if spec is None:
            note = (
                "exact lambda_max(K) not computed (zero padding with an AR(1) covariance); "
                f"beta is the closed form {closed_rule!r}, an upper bound of it"
            )
        elif cost > gm.EXACT_COST_LIMIT:
            note = (
                f"exact lambda_max(K) not computed: cost estimate {cost:.2g} flops > "
                f"{gm.EXACT_COST_LIMIT:.2g} (EXACT_COST_LIMIT); beta is the closed form "
                f"{closed_rule!r}, an upper bound of it"
            )
        else:
            from convotron_theory.second_moment import beta_exact, second_moment_matrix

            exact = beta_exact(second_moment_matrix(n, indices, spec, kappa))
        return cls(
            exact=exact,
            note=note,
            candidates=candidates,
            closed_rule=closed_rule,
            E_x4=E_x4,
            B=B,
            n=n,
            indices=indices,
            spec=spec,
            kappa=kappa,
            exact_ok=spec is not None and cost <= gm.EXACT_COST_LIMIT,
        )


def noise_moment(problem: Problem, spectrum: Spectrum, beta: Beta) -> tuple[str, float | None]:
    r"""``(rho_rule, E[ξ²‖Px‖²])``; the moment is None without noise (module docstring)."""
    noise, cov = problem.noise, problem.cov
    nspec = gm.noise_spec(noise)
    if nspec is None:
        return "none", None
    if nspec[0] == "independent":  # ς² tr M, exact whatever the law of ξ
        return "exact", float(nspec[1]) ** 2 * spectrum.trace_M
    if beta.exact_ok:
        from convotron_theory.second_moment import rho_exact

        return "exact", rho_exact(beta.n, beta.indices, beta.spec, beta.kappa, nspec)
    if problem.law.name == "gaussian":  # Isserlis, exact too, without the r x n matrices
        from convotron_theory import instantiate as ti

        moment = ti.gaussian_norm_product_moment(
            cov.trace(), spectrum.trace_M, gm._trace_P_sigma2_Pt(problem.scheme, cov)
        )
        return "exact-gaussian", noise.level**2 * moment / cov.trace()
    bound = noise.level**2 * spectrum.lambda_max_PPT * beta.E_x4 / cov.trace()
    return "fourth-moment-bound", bound
