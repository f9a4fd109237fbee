r"""What :func:`~convotron_theory.spectra.check_scheme` returns: :class:`SchemeCheck`, its JSON.

Part of :mod:`convotron_theory.spectra` (re-exported there and by
:mod:`convotron_theory.spectra.check`, which
computes it). Never imports :mod:`convotron`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .certificate import Certificate, FloatCertificate
from .kernel import KernelDirection
from .lemmas import LemmaBounds

__all__ = ["FAILS", "HOLDS", "UNDECIDED", "VERDICTS", "ProvedBound", "SchemeCheck"]

#: The three verdicts of :func:`~convotron_theory.spectra.check_scheme` on :math:`\lambda_{\min}(M)
#: > 0`.
HOLDS, FAILS, UNDECIDED = "HOLDS", "FAILS", "UNDECIDED"
VERDICTS = (HOLDS, FAILS, UNDECIDED)


@dataclass(frozen=True)
class ProvedBound:
    r"""One proven bound on :math:`\lambda_{\min}(M)`, with the proof that gives it.

    Attributes
    ----------
    side : str
        ``"lower"`` (:math:`\lambda_{\min} \ge` ``value``) or ``"upper"``
        (:math:`\lambda_{\min} \le` ``value``).
    value : float
        The bound as a float, rounded outward (down for a lower bound, up for an upper one),
        so that the float itself is proven.
    proof : str
        Its name: ``"verified float certificate"``, ``"lemma lem-1d"`` (``lem-2d``,
        ``lem-cov-transfer``, ``lem-conv-reduction``), ``"Rayleigh quotient"``.
    exact : str or None
        The exact value (a lemma's rational), when there is one.
    """

    side: str
    value: float
    proof: str
    exact: str | None = None

    def text(self) -> str:
        """``lambda_min >= 1.5e-07 (lemma lem-cov-transfer: 63/399999874)``."""
        rel = ">=" if self.side == "lower" else "<="
        ex = f": {self.exact}" if self.exact is not None else ""
        return f"lambda_min {rel} {self.value:.6g} ({self.proof}{ex})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"side": self.side, "value": self.value, "proof": self.proof, "exact": self.exact}


@dataclass(frozen=True)
class SchemeCheck:
    r"""Everything ``convotron check`` reports about one scheme (see :func:`check_scheme`).

    Attributes
    ----------
    n, r, k : int
    cov : str
        Description of Σ (``"identity"``, ``"ar1:0.5"``, ``"diag"``, ``"dense"``).
    lambda_min, lambda_max : float
        Extreme eigenvalues of :math:`M = P\Sigma P^\top` (``eigvalsh``).
    trace : float
        :math:`\operatorname{tr} M`. For Σ = I, :math:`\operatorname{tr} PP^\top =
        \sum_{a,j} P_{aj}^2 \ge rk`, with equality iff at every filter position the patches
        read distinct coordinates (stride schemes); e.g. 20, not 12, for ``n = 8``,
        ``[[0,1,2,3],[0,1,4,5],[6,7,2,3]]``.
    condition_holds : bool
        ``verdict == "HOLDS"`` (kept for the consumers that need a yes/no: False for
        ``"FAILS"`` *and* ``"UNDECIDED"``).
    certificate : str
        The kind of proof that decided the verdict: ``"exact"`` (rational :math:`LDL^\top`,
        or its integer witness when it fails), ``"verified-float"``
        (:func:`~convotron_theory.spectra.certify_positive_definite_float`), ``"lemma"`` (a lemma's
        lower bound > 0), ``"kernel-witness"`` (an integer :math:`u`, :math:`u^\top Mu = 0`
        exactly), ``"upper-bound"`` (a verified Rayleigh quotient :math:`\le 0`) or
        ``"none"`` (``verdict == "UNDECIDED"``).
    certificate_detail : Certificate or None
        The exact certificate (``certificate == "exact"``).
    lemma : str or None
        Label of the lemma that applies (``"lem-1d"``, ``"lem-2d"``, ``"lem-cov-transfer"``).
    lemma_lower_bound, lemma_upper_bound : sympy number or None
        None when no geometry was given or the lemma's hypotheses fail.
    lemma_reason : str or None
        Why no lemma bound is reported (the failing hypothesis), else the case that applied.
    lemma_bounds : LemmaBounds or None
    kernel_direction : KernelDirection or None
        None when the condition holds.
    exact_lambda_min, exact_lambda_max : sympy.Expr or None
        Exact expressions when small enough (identity Σ with a stride geometry, or
        :math:`r \le 8` with rational Σ).
    notes : tuple of str
        Conversions made (floats read as rationals) and choices (why not exact, why numeric).
    geometry : dict or None
    overlap : numpy.ndarray
        :math:`M` itself (``int64`` for Σ = I); not in :meth:`to_dict`.
    float_certificate : FloatCertificate or None
        The verified float certificate when one was attempted (``certificate ==
        "verified-float"``, or ``"numeric"`` when it could not prove positivity).
    lambda_min_lower_bound : float or None
        The best proven lower bound on :math:`\lambda_{\min}(M)` (verified float certificate
        or lemma, whichever is larger; rounded down); ``None`` when there is none.
    verdict : str
        ``"HOLDS"`` (:math:`\lambda_{\min}(M) > 0` proven), ``"FAILS"`` (:math:`\lambda_{\min}
        (M) \le 0` proven) or ``"UNDECIDED"`` (neither proven; never decided by a threshold).
    proof : str or None
        The name of the proof that decided it (``"exact LDLᵀ"``, ``"verified float
        certificate"``, ``"lemma lem-1d"``, ``"exact kernel witness"``, ``"verified upper
        bound"``); None when undecided.
    verdict_reason : str
        One sentence: the verdict and its proof.
    to_decide : str or None
        When undecided: what would decide it (``exact=True``, higher precision).
    proved_bounds : tuple of ProvedBound
        Every proven bound on :math:`\lambda_{\min}(M)` that was computed.
    lambda_min_upper_bound : float or None
        The best proven upper bound on :math:`\lambda_{\min}(M)` (a verified Rayleigh
        quotient), when computed.
    """

    n: int
    r: int
    k: int
    cov: str
    lambda_min: float
    lambda_max: float
    trace: float
    condition_holds: bool
    certificate: str
    certificate_detail: Certificate | None
    lemma: str | None
    lemma_lower_bound: sp.Expr | None
    lemma_upper_bound: sp.Expr | None
    lemma_reason: str | None
    lemma_bounds: LemmaBounds | None
    kernel_direction: KernelDirection | None
    exact_lambda_min: sp.Expr | None
    exact_lambda_max: sp.Expr | None
    notes: tuple[str, ...] = ()
    geometry: dict[str, Any] | None = None
    overlap: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    float_certificate: FloatCertificate | None = None
    lambda_min_lower_bound: float | None = None
    verdict: str = UNDECIDED
    proof: str | None = None
    verdict_reason: str = ""
    to_decide: str | None = None
    proved_bounds: tuple[ProvedBound, ...] = ()
    lambda_min_upper_bound: float | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS or self.condition_holds != (self.verdict == HOLDS):
            raise ValueError(
                f"SchemeCheck: verdict must be one of {VERDICTS} and condition_holds must be "
                f"verdict == 'HOLDS'; got {self.verdict!r} and {self.condition_holds!r}"
            )

    @property
    def certificate_summary(self) -> str:
        """One phrase: the proof that decided the verdict, and why (for reports)."""
        return self.verdict_reason

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (keys of ``convotron check --json``)."""

        def num(v: Any) -> float | None:
            return None if v is None else float(v)

        def txt(v: Any) -> str | None:
            return None if v is None else str(v)

        cert = self.certificate_detail
        return {
            "n": self.n,
            "r": self.r,
            "k": self.k,
            "cov": self.cov,
            "lambda_min": self.lambda_min,
            "lambda_max": self.lambda_max,
            "trace": self.trace,
            "condition_holds": self.condition_holds,
            "verdict": self.verdict,
            "proof": self.proof,
            "verdict_reason": self.verdict_reason,
            "to_decide": self.to_decide,
            "proved_bounds": [b.to_dict() for b in self.proved_bounds],
            "lambda_min_upper_bound": self.lambda_min_upper_bound,
            "certificate": self.certificate,
            "certificate_reason": self.verdict_reason,  # the deciding proof's, in words
            "lambda_min_lower_bound": self.lambda_min_lower_bound,
            "pivots": [str(p) for p in cert.pivots] if cert is not None else None,
            "lemma": self.lemma,
            "lemma_lower_bound": num(self.lemma_lower_bound),
            "lemma_upper_bound": num(self.lemma_upper_bound),
            "lemma_lower_bound_exact": txt(self.lemma_lower_bound),
            "lemma_upper_bound_exact": txt(self.lemma_upper_bound),
            "lemma_reason": self.lemma_reason,
            "kernel_direction": (
                [float(v) for v in self.kernel_direction.w]
                if self.kernel_direction is not None
                else None
            ),
            "kernel_direction_exact": (
                list(self.kernel_direction.exact)
                if self.kernel_direction is not None and self.kernel_direction.exact is not None
                else None
            ),
            "kernel_explanation": (
                self.kernel_direction.explanation if self.kernel_direction is not None else None
            ),
            "exact_lambda_min": txt(self.exact_lambda_min),
            "exact_lambda_max": txt(self.exact_lambda_max),
            "notes": list(self.notes),
            "geometry": self.geometry,
        }
