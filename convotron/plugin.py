r"""Plug-in estimates of the theorem's constants from data, and the step size ``η = a/(2β)``.

A user with rows ``X`` (and no teacher) does not know the law of ``x``; the theorem's
constants are expectations under that law, so we
estimate them by their empirical counterparts (the law is *assumed symmetric*, so the second
moment is the covariance and no centring is done; ``K̂`` uses empirical fourth moments, so
no closed form is needed):

.. math::

    \hat\Sigma = \frac1m \sum_t x_t x_t^\top, \qquad
    s_t = P x_t = \sum_i P_i x_t,

    \hat M = P \hat\Sigma P^\top = \frac1m \sum_t s_t s_t^\top,

    \hat K = \frac1k \sum_i \frac1m \sum_t (P_i x_t)(P_i x_t)^\top \, \|P x_t\|^2,

    \hat\beta = \lambda_{\max}(\hat K), \qquad
    \hat a = \frac{(1+\alpha)\,\lambda_{\min}(\hat M)}{k}, \qquad
    \hat\eta = \frac{\hat a}{2\hat\beta}.

``K`` is the exact second moment of the proof of L4 (``lem-beta``): ``(1/k) Σ_i E[(uᵀP_i x)²
‖Px‖²] = uᵀKu``, so ``β = λ_max(K)`` is the smallest admissible β; ``η = a/(2β)`` is the
realizable step of the explicit-constant version of the paper's main theorem [derived]
(``thm-convotron``, ``cor-realizable``). ``Σ̂`` itself is never formed (``M̂ = SᵀS/m`` with
``S = XPᵀ``), so the cost is ``O(m k r + m r²)`` and memory does not grow with ``n²``.

Sampling error [derived, asymptotic]. Each constant is a smooth function of sample means,
so a CLT (delta-method) interval is reported: for a simple eigenvalue ``λ`` of ``M̂`` with
unit eigenvector ``v``, ``λ̂ − λ ≈ (1/m) Σ_t ((vᵀs_t)² − λ)``, hence
``se(λ̂) = sd_t((vᵀs_t)²)/√m``; likewise for ``β̂`` with the top eigenvector ``u`` of ``K̂``
and ``h_t = ‖s_t‖² (1/k) Σ_i (uᵀP_i x_t)²``; and ``η̂ = c λ̂_min/β̂`` (``c = (1+α)/(2k)``) has
influence ``c((g_t − λ̂_min)/β̂ − λ̂_min (h_t − β̂)/β̂²)``. The interval is
``estimate ± z se`` with ``z`` the normal quantile of ``level``. It is asymptotic and needs
*simple* extreme eigenvalues: for a repeated one (frequent: stride schemes have
``PPᵀ``-eigenvalues in pairs, ``Σ = cI`` with ``PPᵀ = cI`` all equal) ``λ̂_min`` is the
minimum of several noisy eigenvalues, biased low by ``O(se)``, and the interval under-covers
(observed: about 86-92% for a double eigenvalue and far less for a fourfold one at the nominal
95%, against 95-96% for simple ones). The report lists such constants in ``near_repeated``
(the gap to the next eigenvalue is below 4 standard errors) and says so in ``note``.

**The theorem's guarantee holds for the population constants, not for these estimates.**
``η̂`` is a consistent estimate of the theorem's step; with finitely many rows it may be
larger than ``a/(2β)`` (then the theorem, as stated, does not apply); ``eta_conservative``
(``â_low / (2 β̂_high)``, the interval ends) is smaller than the true step with probability
about ``level`` or more, but it is not a proof either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from ._errors import AssumptionViolation, ConvotronError
from ._limits import MAX_DATA_VALUE
from ._validate import Interval, Param
from .activations import check_alpha
from .patches import _SCHEME, PatchScheme

__all__ = ["GUARANTEE_NOTE", "Estimate", "PluginConstants", "plugin_constants", "plugin_moments"]

_LEVEL = Param(
    "level",
    Interval(float, 0.0, 1.0, closed="neither"),
    meaning="the level of the intervals",
    fix="Pass e.g. level=0.95.",
)

#: Said with every plug-in report.
GUARANTEE_NOTE = (
    "plug-in estimates from the rows of X (law assumed symmetric): the theorem's guarantee "
    "(thm-convotron, [derived]) holds for the population constants, not for these estimates "
    "(of lambda_min(M), beta and eta = a/(2 beta)); the intervals are asymptotic (CLT)."
)

#: Rows of ``X`` handled at once (``chunk * k * r`` floats at most ``_CHUNK_ENTRIES``).
_CHUNK_ENTRIES = 1 << 22


@dataclass(frozen=True)
class Estimate:
    """A plug-in estimate with its standard error and CLT interval ``[low, high]``."""

    value: float
    se: float
    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        """Return ``{"value", "se", "low", "high"}``."""
        return {"value": self.value, "se": self.se, "low": self.low, "high": self.high}


#: The plain-number fields of :class:`PluginConstants` that ``to_json`` copies as they are.
_PLAIN_FIELDS = ("eta_conservative", "n_samples", "k", "r", "alpha", "level")


@dataclass(frozen=True)
class PluginConstants:
    r"""The theorem's constants estimated from rows of ``X`` (see the module docstring).

    Attributes
    ----------
    lambda_min, lambda_max : Estimate
        Extreme eigenvalues of :math:`\hat M = P\hat\Sigma P^\top`.
    beta : Estimate
        :math:`\lambda_{\max}(\hat K)`, the exact second moment's top eigenvalue.
    a : Estimate
        :math:`(1+\alpha)\lambda_{\min}(\hat M)/k`.
    eta : Estimate
        :math:`\hat a/(2\hat\beta)`, the theorem's realizable step [derived] at the estimates.
    eta_conservative : float
        ``a.low / (2 beta.high)`` (0 when ``a.low <= 0``).
    n_samples, k, r : int
        Rows used; number and size of the patches.
    alpha, level : float
        Leaky-ReLU slope; level of the intervals.
    M, K : ndarray, shape (r, r)
        The plug-in matrices :math:`\hat M` and :math:`\hat K`.
    near_repeated : tuple of str
        The constants whose eigenvalue is (nearly) repeated, gap to the next one below 4
        standard errors; their CLT intervals under-cover (see the module docstring).
    note : str
        :data:`GUARANTEE_NOTE`, plus a sentence naming ``near_repeated`` when it is not empty.
    """

    lambda_min: Estimate
    lambda_max: Estimate
    beta: Estimate
    a: Estimate
    eta: Estimate
    eta_conservative: float
    n_samples: int
    k: int
    r: int
    alpha: float
    level: float
    M: np.ndarray = field(repr=False)
    K: np.ndarray = field(repr=False)
    near_repeated: tuple[str, ...] = ()
    note: str = GUARANTEE_NOTE

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the estimates with their intervals; no matrices)."""
        out: dict[str, Any] = {
            name: getattr(self, name).to_json()
            for name in ("lambda_min", "lambda_max", "beta", "a", "eta")
        }
        out.update(
            {name: getattr(self, name) for name in _PLAIN_FIELDS},
            near_repeated=list(self.near_repeated),
            interval="CLT (delta method), estimate +- z*se",
            note=self.note,
        )
        return out

    def summary(self) -> str:
        """Return a few lines: each estimate with its interval, then the note."""
        pct = f"{100 * self.level:g}%"
        lines = [f"plug-in constants from {self.n_samples} rows (k={self.k}, r={self.r}):"]
        for name in ("lambda_min", "lambda_max", "beta", "a", "eta"):
            e = getattr(self, name)
            lines.append(f"  {name:<10} = {e.value:.6g}  ({pct} CI [{e.low:.6g}, {e.high:.6g}])")
        lines.append(f"  eta_conservative = a_low/(2 beta_high) = {self.eta_conservative:.6g}")
        lines.append("  note: " + self.note)
        return "\n".join(lines)


def _check_X(X: Any, n: int) -> np.ndarray:
    Xa = np.asarray(X)
    if Xa.ndim != 2 or Xa.shape[1] != n:
        raise ConvotronError(
            f"X must be a 2-D array of shape (m, n) with n={n} (the scheme's input dimension); "
            f"got shape {Xa.shape}. Pass one sample per row."
        )
    if not (np.issubdtype(Xa.dtype, np.floating) or np.issubdtype(Xa.dtype, np.integer)):
        raise ConvotronError(
            f"X must hold real numbers; got dtype {Xa.dtype}. Convert it to float64."
        )
    Xa = np.asarray(Xa, dtype=np.float64)
    if Xa.shape[0] < 1:
        raise ConvotronError("X must have at least one row; got 0 rows. Pass some samples.")
    if not np.all(np.isfinite(Xa)):
        raise ConvotronError("X must be finite; got NaN or infinite values. Remove those rows.")
    top = float(np.max(np.abs(Xa)))
    if top > MAX_DATA_VALUE:
        raise ConvotronError(
            f"X must hold values of magnitude at most {MAX_DATA_VALUE:g} (the plug-in constants "
            f"use fourth powers of the data); got {top:g}. Rescale the data."
        )
    return Xa


def _chunks(m: int, k: int, r: int) -> range:
    step = max(1, min(4096, _CHUNK_ENTRIES // max(k * r, r * r)))
    return range(0, m, step)


def plugin_moments(X: Any, scheme: PatchScheme) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the plug-in matrices :math:`(\hat M, \hat K)`, both ``(r, r)``.

    :math:`\hat M = \frac1m\sum_t (Px_t)(Px_t)^\top` and
    :math:`\hat K = \frac{1}{km}\sum_t \|Px_t\|^2 \sum_i (P_ix_t)(P_ix_t)^\top`.
    """
    _SCHEME(scheme)
    Xa = _check_X(X, scheme.n)
    idx = scheme.indices
    k, r = idx.shape
    m = Xa.shape[0]
    M = np.zeros((r, r))
    K = np.zeros((r, r))
    for s in _chunks(m, k, r):
        Z = Xa[s : s + _chunks(m, k, r).step][:, idx]  # (c, k, r): Z[t, i] = P_i x_t
        S = Z.sum(axis=1)  # (c, r): P x_t
        q = np.einsum("ta,ta->t", S, S)  # ‖P x_t‖²
        M += S.T @ S
        K += np.einsum("t,tia,tib->ab", q, Z, Z, optimize=True)
    return M / m, K / (k * m)


def _estimate(value: float, influence: np.ndarray, z: float) -> Estimate:
    m = influence.size
    se = float(np.std(influence, ddof=1) / math.sqrt(m)) if m > 1 else math.inf
    return Estimate(value=value, se=se, low=value - z * se, high=value + z * se)


def plugin_constants(
    X: Any, scheme: PatchScheme, alpha: float, *, level: float = 0.95
) -> PluginConstants:
    r"""Estimate ``λ_min(M)``, ``λ_max(M)``, ``β = λ_max(K)``, ``a`` and ``η = a/(2β)`` from ``X``.

    The theorem's realizable step [derived] (explicit-constant version of the paper's main
    theorem, ``thm-convotron``) evaluated at plug-in estimates; see the module docstring for
    the formulas and the CLT intervals. **The guarantee holds for the population constants,
    not for these estimates.**

    Parameters
    ----------
    X : array_like, shape (m, n)
        Inputs, one per row (finite); their law is assumed symmetric.
    scheme : PatchScheme
        The patch operators (``n`` must equal ``X.shape[1]``).
    alpha : float
        Leaky-ReLU slope in ``[0, 1]``.
    level : float, default 0.95
        Level of the intervals, in ``(0, 1)``.

    Raises
    ------
    AssumptionViolation
        If ``λ_min(M̂) = 0`` (numerically) or ``β̂ = 0``: the step would be 0 (claim
        ``thm-convotron`` needs ``λ_min > 0``); the message says why (e.g. fewer rows than r).
    ConvotronError
        For invalid arguments.
    """
    a_ = check_alpha(alpha)
    level = _LEVEL(level)
    M, K = plugin_moments(X, scheme)
    Xa = np.asarray(X, dtype=np.float64)
    idx = scheme.indices
    k, r = idx.shape
    m = Xa.shape[0]
    evm, vm = np.linalg.eigh(M)
    evk, vk = np.linalg.eigh(K)
    lam_min, lam_max, beta = float(evm[0]), float(evm[-1]), float(evk[-1])
    tiny = 64 * np.finfo(float).eps * max(r, 1) * max(lam_max, 0.0)
    if lam_max <= 0.0 or beta <= 0.0 or lam_min <= tiny:
        why = (
            f" (n_samples={m} rows for a filter of size r={r}: fewer rows than r always give 0)"
            if m < r
            else " (the patch sums P x_t of the rows span fewer than r directions, e.g. a "
            "constant or duplicated feature, or a coordinate no patch covers)"
        )
        raise AssumptionViolation(
            f"eta='auto' needs lambda_min(P Σ̂ Pᵀ) > 0 (thm-convotron); got the plug-in estimate "
            f"{max(lam_min, 0.0):.3g} from n_samples={m}{why}. Pass more rows or a numeric eta.",
            "thm-convotron",
        )
    v_min, v_max, u = vm[:, 0], vm[:, -1], vk[:, -1]
    g = np.empty(m)  # (v_minᵀ s_t)²
    gmax = np.empty(m)
    h = np.empty(m)  # ‖s_t‖² (1/k) Σ_i (uᵀ P_i x_t)²
    rows = _chunks(m, k, r)
    for s in rows:
        Z = Xa[s : s + rows.step][:, idx]
        S = Z.sum(axis=1)
        q = np.einsum("ta,ta->t", S, S)
        g[s : s + rows.step] = (S @ v_min) ** 2
        gmax[s : s + rows.step] = (S @ v_max) ** 2
        h[s : s + rows.step] = q * np.mean((Z @ u) ** 2, axis=1)
    z = NormalDist().inv_cdf((1.0 + float(level)) / 2.0)
    c = (1.0 + a_) / (2.0 * k)
    e_lmin = _estimate(lam_min, g, z)
    e_lmax = _estimate(lam_max, gmax, z)
    e_beta = _estimate(beta, h, z)
    e_a = _estimate((1.0 + a_) * lam_min / k, (1.0 + a_) * g / k, z)
    eta = c * lam_min / beta
    e_eta = _estimate(eta, c * (g / beta - lam_min * h / beta**2), z)
    eta_cons = e_a.low / (2.0 * e_beta.high) if e_a.low > 0.0 else 0.0
    gaps = {
        "lambda_min": (evm[1] - evm[0]) < 4 * e_lmin.se if r > 1 else False,
        "lambda_max": (evm[-1] - evm[-2]) < 4 * e_lmax.se if r > 1 else False,
        "beta": (evk[-1] - evk[-2]) < 4 * e_beta.se if r > 1 else False,
    }
    gaps["a"] = gaps["lambda_min"]
    gaps["eta"] = gaps["lambda_min"] or gaps["beta"]
    repeated = tuple(name for name, flag in gaps.items() if flag)
    note = GUARANTEE_NOTE
    if repeated:
        note += (
            f" The eigenvalues behind {', '.join(repeated)} are (nearly) repeated (gap below 4 "
            "standard errors): their intervals are too narrow (under-cover)."
        )
    M.setflags(write=False)
    K.setflags(write=False)
    return PluginConstants(
        lambda_min=e_lmin,
        lambda_max=e_lmax,
        beta=e_beta,
        a=e_a,
        eta=e_eta,
        eta_conservative=float(eta_cons),
        n_samples=m,
        k=k,
        r=r,
        alpha=a_,
        level=float(level),
        M=M,
        K=K,
        near_repeated=repeated,
        note=note,
    )
