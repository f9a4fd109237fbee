r"""The value :func:`~theory.spectra.check_scheme` returns: :class:`SchemeCheck`, and its JSON.

Part of :mod:`theory.spectra` (re-exported there and by :mod:`theory.spectra.check`, which
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

__all__ = ["SchemeCheck"]


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
        :math:`\lambda_{\min}(M) > 0` (the hypothesis of ``thm-convotron``): decided by the
        exact certificate when ``certificate == "exact"``, by the verified lower bound when
        ``certificate == "verified-float"``, else by
        :math:`\lambda_{\min} > 10^{-10}\max(\lambda_{\max}, 1)`.
    certificate : str
        Which certificate decided ``condition_holds``: ``"exact"`` (rational
        :math:`LDL^\top`), ``"verified-float"`` (a proven lower bound on
        :math:`\lambda_{\min}(M)` from floating point,
        :func:`~theory.spectra.certify_positive_definite_float`) or ``"numeric"``
        (floating-point eigenvalues only, no proof).
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
        A proven lower bound on :math:`\lambda_{\min}(M)` (``certificate ==
        "verified-float"``); ``None`` otherwise.
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

    @property
    def certificate_summary(self) -> str:
        """One phrase: which certificate decided the condition, and why (for reports)."""
        if self.certificate == "exact" and self.certificate_detail is not None:
            return f"certified exactly (LDLᵀ in rationals): {self.certificate_detail.reason}"
        if self.certificate == "verified-float" and self.float_certificate is not None:
            return self.float_certificate.reason
        return "numeric (floating-point eigenvalues; no certificate)"

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
            "certificate": self.certificate,
            "certificate_reason": (
                cert.reason
                if cert is not None
                else self.float_certificate.reason
                if self.float_certificate is not None
                else None
            ),
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
