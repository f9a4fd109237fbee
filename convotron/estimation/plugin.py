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
finite variances of the averaged terms: ``E‖x‖⁴ < ∞`` for ``λ̂`` (``g_t`` is quadratic in
``x``) and **``E‖x‖⁸ < ∞`` for ``β̂`` and ``η̂``** (``h_t`` is quartic) [derived]. Under
heavier tails ``β̂`` is an average of terms of infinite variance: it is usually *below* ``β``
(the rare huge terms that carry the mean are missing), and the CLT interval under-covers
(Student-t with ν = 5 coordinates: 62% for β at the nominal 95%, and ``eta_conservative``
above the true η in 28% of data sets, before this check).

Heavy-tail check [derived, heuristic]. Hill's estimate ``γ̂`` of the tail index of
``‖(P_i x_t)_i‖`` (``P(‖·‖ > s) ≈ C s^{−γ}``, so ``E‖x‖^p < ∞`` for ``p < γ``) on the
``⌈2√m⌉`` largest rows, with the lower confidence limit ``γ̂(1 − z/√k)``. When that limit is
``<= 8`` (an infinite eighth moment is not ruled out) the upper ends of ``β`` and ``η`` (and
so ``eta_conservative``) switch to a Pareto-tail bound: the mean of ``h_t`` up to the
threshold ``τ = h_(k+1)`` by its CLT bound plus ``(k/m) τ γ_l/(γ_l − 1)``, the mean of a
Pareto tail above ``τ`` at Hill's lower limit ``γ_l`` for ``h_t``, capped by a quarter of
the lower limit for ``‖x‖`` (``h_t`` is quartic in ``x``; infinite when ``γ_l <= 1``);
``η``'s interval becomes ``[c λ_low/β_high, c λ_high/β_low]``. Likewise for ``λ_min``,
``λ_max`` and ``a`` (without the cap) when the limit is ``<= 4``. Each :class:`Estimate` says its
``method`` (``"CLT"`` or ``"tail bound"``), ``tail`` holds the check and ``note`` says which
was used. The coverage over 400 data sets per law (Gaussian, Rademacher, uniform, Student-t
ν = 9 and ν = 5) is measured by ``benchmarks/bench_plugin_coverage.py``
(``benchmarks/README.md``): ``eta_conservative`` exceeds the true η in at most 1.2% of them
for every law (3.0% for ν = 4.5, outside the list). With fewer than :data:`MIN_TAIL_ROWS`
rows the tails are not tested.

The intervals also need
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

from .._errors import AssumptionViolation, ConvotronError
from .._io import pick
from .._limits import MAX_DATA_VALUE
from .._validate import ALPHA, Interval, Param, table, validate_params
from ..geometry.patches import _SCHEME, PatchScheme
from ..model.network import GATHER_ENTRIES

__all__ = [
    "FAR",
    "GUARANTEE_NOTE",
    "MIN_TAIL_ROWS",
    "T_DELTA",
    "T_REL_EPS",
    "Estimate",
    "PluginConstants",
    "StepDiagnosis",
    "TailCheck",
    "diagnose_step",
    "plugin_constants",
    "plugin_moments",
]

_LEVEL = Param(
    "level",
    Interval(float, 0.0, 1.0, closed="neither"),
    meaning="the level of the intervals",
    fix="Pass e.g. level=0.95.",
)
#: The table of plugin_constants (convotron._validate); X is checked against the scheme.
PLUGIN_TABLE = table(_SCHEME, ALPHA, _LEVEL)

#: Said with every plug-in report.
GUARANTEE_NOTE = (
    "plug-in estimates from the rows of X (law assumed symmetric): the theorem's guarantee "
    "(thm-convotron, [derived]) holds for the population constants, not for these estimates "
    "(of lambda_min(M), beta and eta = a/(2 beta)); the intervals are asymptotic (CLT)."
)


@dataclass(frozen=True)
class Estimate:
    """A plug-in estimate with its standard error and interval ``[low, high]``.

    ``method`` is ``"CLT"`` (``value ± z se``) or ``"tail bound"`` (heavy tails: the upper end
    from a Pareto tail fitted to the rows, :func:`plugin_constants`).
    """

    value: float
    se: float
    low: float
    high: float
    method: str = "CLT"

    def to_json(self) -> dict[str, Any]:
        """Return ``{"value", "se", "low", "high", "method"}``."""
        return pick(self)


#: The target of :meth:`PluginConstants.updates_needed`: ``E‖w_T − w*‖² <= 1% of ‖w*‖²``
#: with probability 0.9.
T_REL_EPS, T_DELTA = 0.01, 0.1

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
        ``a.low / (2 beta.high)`` (0 when ``a.low <= 0`` or ``beta.high = inf``).
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
        :data:`GUARANTEE_NOTE`, plus a sentence naming ``near_repeated`` when it is not empty,
        and one on the tails (untested, not contradicted, or HEAVY TAILS and what switched).
    tail : TailCheck or None
        The heavy-tail check (:func:`plugin_constants`).
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
    tail: TailCheck | None = None

    @property
    def cond(self) -> float:
        """The condition number ``λ_max(M̂)/λ_min(M̂)``."""
        return self.lambda_max.value / self.lambda_min.value

    @property
    def eta_scale(self) -> float:
        r"""``(1+α) λ_max(M̂)/(2kβ̂)``: the formula of ``η`` with ``λ_max`` for ``λ_min``.

        The step at which the best-conditioned direction moves as fast as the theorem's step
        moves the worst; ``η̂ = eta_scale / cond``. A scale for a hand-set step, not a guarantee.
        """
        return (1.0 + self.alpha) * self.lambda_max.value / (2.0 * self.k * self.beta.value)

    def updates_needed(self, rel_eps: float = T_REL_EPS, delta: float = T_DELTA) -> float:
        r"""Return the theorem's ``T`` at the estimates: ``(4β̂/â²) ln(1/(rel_eps δ))``.

        ``T_realizable`` (``cor-realizable``, [derived]) with ``ε = rel_eps ‖w*‖²``: the updates
        after which ``E‖w_T − w*‖² <= rel_eps ‖w*‖²`` with probability ``1 − δ``, at the step
        ``η̂``; not rounded (it may exceed every integer type).
        """
        return 4.0 * self.beta.value / self.a.value**2 * math.log(1.0 / (rel_eps * delta))

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the estimates with their intervals; no matrices)."""
        out: dict[str, Any] = {
            name: getattr(self, name).to_json()
            for name in ("lambda_min", "lambda_max", "beta", "a", "eta")
        }
        out.update(
            {name: getattr(self, name) for name in _PLAIN_FIELDS},
            near_repeated=list(self.near_repeated),
            interval=(
                "CLT (delta method), estimate +- z*se"
                if self.tail is None or not (self.tail.heavy_beta or self.tail.heavy_lambda)
                else "heavy tails: CLT lower ends, Pareto-tail upper ends (see 'method')"
            ),
            tail=None if self.tail is None else self.tail.to_json(),
            cond=self.cond,
            T=self.updates_needed(),
            T_target={"rel_eps": T_REL_EPS, "delta": T_DELTA},
            note=self.note,
        )
        return out

    def summary(self) -> str:
        """Return a few lines: each estimate with its interval, then the note."""
        pct = f"{100 * self.level:g}%"
        lines = [f"plug-in constants from {self.n_samples} rows (k={self.k}, r={self.r}):"]
        for name in ("lambda_min", "lambda_max", "beta", "a", "eta"):
            e = getattr(self, name)
            how = "" if e.method == "CLT" else f", {e.method}"
            lines.append(
                f"  {name:<10} = {e.value:.6g}  ({pct} CI [{e.low:.6g}, {e.high:.6g}]{how})"
            )
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
    step = max(1, min(4096, GATHER_ENTRIES // max(k * r, r * r)))
    return range(0, m, step)


def _patches(rows: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Return ``Z`` with ``Z[t, i] = P_i x_t``, shape ``(c, k, r)``; ``PAD = -1`` reads 0."""
    if (idx >= 0).all():
        return rows[:, idx]
    padded = np.concatenate([rows, np.zeros((rows.shape[0], 1))], axis=1)  # column n is 0
    return padded[:, np.where(idx < 0, rows.shape[1], idx)]


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
        Z = _patches(Xa[s : s + _chunks(m, k, r).step], idx)  # (c, k, r): Z[t, i] = P_i x_t
        S = Z.sum(axis=1)  # (c, r): P x_t
        q = np.einsum("ta,ta->t", S, S)  # ‖P x_t‖²
        M += S.T @ S
        K += np.einsum("t,tia,tib->ab", q, Z, Z, optimize=True)
    return M / m, K / (k * m)


def _estimate(value: float, influence: np.ndarray, z: float) -> Estimate:
    m = influence.size
    se = float(np.std(influence, ddof=1) / math.sqrt(m)) if m > 1 else math.inf
    return Estimate(value=value, se=se, low=value - z * se, high=value + z * se)


def _hill(v: np.ndarray, k_tail: int) -> tuple[float, float]:
    r"""Hill's estimate of the tail index of ``v >= 0`` from its ``k_tail`` largest values.

    :math:`1/\hat\gamma = \frac1{k}\sum_{j \le k} \ln(v_{(j)}/v_{(k+1)})` (order statistics,
    largest first); returns ``(γ̂, v_(k+1))``. A tail with no spread above the threshold (a
    bounded law, ties) gives ``γ̂ = inf``; a threshold ``<= 0`` gives ``γ̂ = 0`` (no tail can
    be fitted: treated as heavy).
    """
    top = np.partition(v, v.size - k_tail - 1)[v.size - k_tail - 1 :]  # the k + 1 largest
    tau = float(top.min())
    if tau <= 0.0:
        return 0.0, tau
    mean_log = float(np.sum(np.log(top / tau))) / k_tail
    return (math.inf if mean_log <= 0.0 else 1.0 / mean_log), tau


@dataclass(frozen=True)
class TailCheck:
    r"""The heavy-tail diagnostic of the rows (see :func:`plugin_constants`).

    Attributes
    ----------
    tested : bool
        False with fewer than :data:`MIN_TAIL_ROWS` rows (the CLT intervals are used, untested).
    index, index_low : float
        Hill's estimate of the tail index ``γ`` of ``‖(P_i x)_i‖`` (``P(‖·‖ > s) ≈ C s^{−γ}``;
        ``E‖x‖^p < ∞`` for ``p < γ``) and its lower confidence limit
        ``γ̂ (1 − z/√k_tail)``; ``inf`` for a bounded law.
    k_tail : int
        Rows in the tail, ``⌈2√m⌉``.
    heavy_beta, heavy_lambda : bool
        ``index_low <= 8`` (an infinite ``E‖x‖⁸``, which the CLT interval of ``β̂`` needs, is
        not ruled out) and ``index_low <= 4`` (likewise ``E‖x‖⁴`` for ``λ̂``).
    """

    tested: bool
    index: float
    index_low: float
    k_tail: int
    heavy_beta: bool
    heavy_lambda: bool

    def to_json(self) -> dict[str, Any]:
        """Return the fields as a dict (``inf`` becomes null in JSON)."""
        return {
            **pick(self),
            "rule": "Hill estimate of the tail index of ‖(P_i x)_i‖ on the ⌈2√m⌉ largest rows; "
            "heavy when its lower confidence limit is <= 8 (beta) or <= 4 (lambda)",
        }


#: Fewer rows than this: the tail is not tested (Hill's estimate needs a tail of >= 40 rows).
MIN_TAIL_ROWS = 400


def _tail_check(norms: np.ndarray, z: float) -> TailCheck:
    m = norms.size
    k_tail = math.ceil(2.0 * math.sqrt(m))
    if m < MIN_TAIL_ROWS:
        return TailCheck(False, math.nan, math.nan, k_tail, False, False)
    gamma, _ = _hill(norms, k_tail)
    low = gamma * (1.0 - z / math.sqrt(k_tail))
    return TailCheck(True, gamma, low, k_tail, low <= 8.0, low <= 4.0)


def _tail_upper(
    v: np.ndarray, clt_high: float, z: float, k_tail: int, cap: float = math.inf
) -> float:
    r"""Return an upper confidence bound for ``E v`` (``v >= 0``) robust to a heavy right tail.

    The body (values up to the threshold ``τ = v_(k+1)``) by its CLT bound, the tail by a Pareto
    tail fitted by Hill at the index's lower confidence limit ``γ_l`` (at most ``cap``: for ``β̂``
    the tail check's lower limit for ``‖x‖`` over 4, ``h_t`` being quartic in ``x``):
    ``E[v 1{v > τ}] ≈ (k/m) τ γ_l/(γ_l − 1)``; ``inf`` when ``γ_l <= 1`` (no finite mean is
    ruled out). Never below the CLT bound ``clt_high``. [derived, heuristic: the coverage is
    measured, ``benchmarks/bench_plugin_coverage.py``]
    """
    m = v.size
    gamma, tau = _hill(v, k_tail)
    g_low = min(gamma * (1.0 - z / math.sqrt(k_tail)), cap)
    if g_low <= 1.0:
        return math.inf
    body = v[v <= tau] if tau > 0.0 else v[v <= 0.0]
    body_sd = float(np.std(body, ddof=1)) if body.size > 1 else 0.0
    tail = (k_tail / m) * tau * (1.0 if math.isinf(g_low) else g_low / (g_low - 1.0))
    return max(clt_high, float(body.sum()) / m + tail + z * body_sd / math.sqrt(m))


def _tail_method(e: Estimate, high: float) -> Estimate:
    return Estimate(e.value, e.se, e.low, high, "tail bound")


def _scaled(e: Estimate, f: float) -> Estimate:
    """``e`` multiplied by ``f > 0`` (a change of the data's scale)."""
    return Estimate(e.value * f, e.se * f, e.low * f, e.high * f, e.method)


def _tail_note(tail: TailCheck) -> str:
    if not tail.tested:
        return (
            f"Tails not tested (fewer than {MIN_TAIL_ROWS} rows): the CLT intervals assume "
            "E‖x‖⁸ < ∞ (beta) and E‖x‖⁴ < ∞ (lambda)."
        )
    if not (tail.heavy_beta or tail.heavy_lambda):
        return (
            f"Tail index of ‖x‖ estimated {tail.index:.3g} (lower limit {tail.index_low:.3g} > 8): "
            "the CLT intervals' condition E‖x‖⁸ < ∞ is not contradicted."
        )
    which = "beta, eta" + (" and lambda, a" if tail.heavy_lambda else "")
    moment = "E‖x‖⁴" if tail.heavy_lambda else "E‖x‖⁸"
    return (
        f"HEAVY TAILS: the tail index of ‖x‖ is estimated {tail.index:.3g} (lower limit "
        f"{tail.index_low:.3g}), so {moment} may be infinite and the CLT intervals do not hold; "
        f"the upper ends for {which} (and eta_conservative) use a Pareto-tail bound instead "
        "(conservative; its coverage is measured in benchmarks/README.md)."
    )


def _scale(Xa: np.ndarray) -> float:
    """Return a power of two near ``max |X|`` (1 for an all-zero X): dividing by it is exact."""
    top = float(np.max(np.abs(Xa)))
    return 1.0 if top == 0.0 else float(2.0 ** math.floor(math.log2(top)))


def _normal(value: float) -> bool:
    return math.isfinite(value) and abs(value) >= float(np.finfo(float).tiny)


def _refuse_singular(
    lam_min: float, lam_max: float, beta: float, m: int, r: int, sc: float
) -> None:
    """Raise :class:`AssumptionViolation` when ``λ_min(M̂)`` is 0 or at the round-off level.

    ``lam_min``, ``lam_max`` and ``beta`` are at the scale of ``X / sc``; the message gives the
    cause (fewer rows than ``r``, rows spanning fewer than ``r`` directions, all zero).
    """
    tiny = 64 * np.finfo(float).eps * max(r, 1) * max(lam_max, 0.0)
    if lam_max <= 0.0 or beta <= 0.0 or lam_min <= tiny:
        if m < r:
            why = (
                f" (n_samples={m} rows for a filter of size r={r}: fewer rows than r always give 0)"
            )
        elif lam_max > 0.0:
            why = (
                f", at the round-off level of lambda_max(P Σ̂ Pᵀ) = {lam_max * sc**2:.3g} "
                f"(below 64 eps r lambda_max = {tiny * sc**2:.3g}: cond(P Σ̂ Pᵀ) >= "
                f"{1 / (64 * np.finfo(float).eps * max(r, 1)):.3g}, numerically singular)"
                " (the patch sums P x_t of the rows span fewer than r directions, e.g. a "
                "constant or duplicated feature, or a coordinate no patch covers)"
            )
        else:
            why = " (the patch sums P x_t of the rows are all 0, e.g. X = 0)"
        raise AssumptionViolation(
            f"eta='auto' needs lambda_min(P Σ̂ Pᵀ) > 0 (thm-convotron); got the plug-in estimate "
            f"{lam_min * sc**2:.3g} from n_samples={m}{why}. Pass more rows or a "
            "numeric eta.",
            "thm-convotron",
        )


def _row_terms(
    Xs: np.ndarray, idx: np.ndarray, v_min: np.ndarray, v_max: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the per-row terms of the CLT intervals and of the tail check, row block by block.

    ``(v_minᵀ s_t)²``, ``(v_maxᵀ s_t)²``, ``‖s_t‖² (1/k) Σ_i (uᵀ P_i x_t)²`` and
    ``‖(P_i x_t)_i‖`` for each row ``x_t`` of ``Xs``, with ``s_t = Σ_i P_i x_t``.
    """
    m = Xs.shape[0]
    k, r = idx.shape
    g = np.empty(m)  # (v_minᵀ s_t)²
    gmax = np.empty(m)
    h = np.empty(m)  # ‖s_t‖² (1/k) Σ_i (uᵀ P_i x_t)²
    norms = np.empty(m)  # ‖(P_i x_t)_i‖ = (Σ_i ‖P_i x_t‖²)^(1/2), for the tail check
    rows = _chunks(m, k, r)
    for s in rows:
        Z = _patches(Xs[s : s + rows.step], idx)
        S = Z.sum(axis=1)
        q = np.einsum("ta,ta->t", S, S)
        g[s : s + rows.step] = (S @ v_min) ** 2
        gmax[s : s + rows.step] = (S @ v_max) ** 2
        h[s : s + rows.step] = q * np.mean((Z @ u) ** 2, axis=1)
        norms[s : s + rows.step] = np.sqrt(np.einsum("tia,tia->t", Z, Z))
    return g, gmax, h, norms


def _check_normal(Xa: np.ndarray, **estimates: Estimate) -> None:
    """Refuse a constant (at the data's scale) that is not a normal float64 number."""
    for name, e in estimates.items():
        if not _normal(e.value):
            raise ConvotronError(
                f"the plug-in {name} = {e.value:.3g} is not a normal float64 number (magnitude "
                f"between {np.finfo(float).tiny:.3g} and {np.finfo(float).max:.3g}) at the data's "
                f"scale max|X| = {float(np.max(np.abs(Xa))):.3g} ({name} scales as "
                f"{dict(lambda_min='max|X|^2', beta='max|X|^4', eta='max|X|^-2')[name]}), so "
                "the step eta = a/(2 beta) would be numerically meaningless; the rows are not "
                "rank deficient. Rescale X (e.g. divide it by its standard deviation, or "
                "StandardScaler) and y with it.",
                param="X",
            )


def _near_repeated(
    evm: np.ndarray,
    evk: np.ndarray,
    e_lmin: Estimate,
    e_lmax: Estimate,
    e_beta: Estimate,
    sc: float,
) -> tuple[str, ...]:
    """Name the constants whose eigenvalue gap is below 4 standard errors (under-cover)."""
    r = evm.shape[0]
    gaps = {
        "lambda_min": (evm[1] - evm[0]) < 4 * e_lmin.se / sc**2 if r > 1 else False,
        "lambda_max": (evm[-1] - evm[-2]) < 4 * e_lmax.se / sc**2 if r > 1 else False,
        "beta": (evk[-1] - evk[-2]) < 4 * e_beta.se / sc**4 if r > 1 else False,
    }
    gaps["a"] = gaps["lambda_min"]
    gaps["eta"] = gaps["lambda_min"] or gaps["beta"]
    return tuple(name for name, flag in gaps.items() if flag)


def _estimates(
    lam_min: float, lam_max: float, beta: float, terms: tuple[np.ndarray, ...], z: float, c: float
) -> tuple[Estimate, Estimate, Estimate, Estimate, TailCheck]:
    """Return the CLT estimates of λ_min, λ_max, β and η = c λ_min/β, and the tail check.

    ``terms`` are :func:`_row_terms`'s; where the tail check finds the rows heavy-tailed, the
    intervals are the tail bounds instead (η's ends from λ_min's and β's).
    """
    g, gmax, h, norms = terms
    tail = _tail_check(norms, z)
    e_lmin = _estimate(lam_min, g, z)
    e_lmax = _estimate(lam_max, gmax, z)
    e_beta = _estimate(beta, h, z)
    e_eta = _estimate(c * lam_min / beta, c * (g / beta - lam_min * h / beta**2), z)
    if tail.heavy_lambda:
        e_lmin = _tail_method(e_lmin, _tail_upper(g, e_lmin.high, z, tail.k_tail))
        e_lmax = _tail_method(e_lmax, _tail_upper(gmax, e_lmax.high, z, tail.k_tail))
    if tail.heavy_beta:
        cap = tail.index_low / 4.0  # h is quartic in x: its tail index is ‖x‖'s over 4
        e_beta = _tail_method(e_beta, _tail_upper(h, e_beta.high, z, tail.k_tail, cap))
    if tail.heavy_lambda or tail.heavy_beta:
        # the ends from the ends: η = c λ/β is increasing in λ and decreasing in β
        high = c * e_lmin.high / e_beta.low if e_beta.low > 0.0 else math.inf
        e_eta = Estimate(e_eta.value, e_eta.se, c * e_lmin.low / e_beta.high, high, "tail bound")
    return e_lmin, e_lmax, e_beta, e_eta, tail


@validate_params(PLUGIN_TABLE)
def plugin_constants(
    X: Any, scheme: PatchScheme, alpha: float, *, level: float = 0.95
) -> PluginConstants:
    r"""Estimate ``λ_min(M)``, ``λ_max(M)``, ``β = λ_max(K)``, ``a`` and ``η = a/(2β)`` from ``X``.

    The theorem's realizable step [derived] (explicit-constant version of the paper's main
    theorem, ``thm-convotron``) evaluated at plug-in estimates; see the module docstring for
    the formulas, the CLT intervals, their moment conditions and the heavy-tail switch.
    **The guarantee holds for the population constants, not for these estimates.**

    The sums are formed on ``X / s`` with ``s`` a power of two near ``max |X|`` (exact), and the
    constants scaled back (``λ s²``, ``β s⁴``, ``η / s²``), so no intermediate under- or
    overflows; a constant that is itself not a normal float64 is refused with that cause.

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
        If ``λ_min(M̂)`` is 0 or at the round-off level of ``λ_max(M̂)``: the step would be 0
        (claim ``thm-convotron`` needs ``λ_min > 0``); the message gives the cause (fewer
        rows than r, or rows spanning fewer than r directions) and the numbers.
    ConvotronError
        For invalid arguments, and when a constant under- or overflows float64 at the data's
        scale (e.g. ``β̂ ∝ s⁴`` below ``2.2e-308`` for ``max |X| ≈ 1e-80``): the message names
        the constant, the scale and the fix (rescale ``X``).
    """
    a_ = alpha  # scheme, alpha and level: checked and converted by the table
    Xa = _check_X(X, scheme.n)
    sc = _scale(Xa)
    Xs = Xa / sc
    M, K = plugin_moments(Xs, scheme)
    idx = scheme.indices
    k, r = idx.shape
    m = Xa.shape[0]
    evm, vm = np.linalg.eigh(M)
    evk, vk = np.linalg.eigh(K)
    lam_min, lam_max, beta = float(evm[0]), float(evm[-1]), float(evk[-1])
    _refuse_singular(lam_min, lam_max, beta, m, r, sc)
    terms = _row_terms(Xs, idx, vm[:, 0], vm[:, -1], vk[:, -1])
    z = NormalDist().inv_cdf((1.0 + float(level)) / 2.0)
    c = (1.0 + a_) / (2.0 * k)
    e_lmin, e_lmax, e_beta, e_eta, tail = _estimates(lam_min, lam_max, beta, terms, z, c)
    # back to the data's scale: λ ∝ s², β ∝ s⁴, η ∝ 1/s²
    e_lmin, e_lmax = _scaled(e_lmin, sc**2), _scaled(e_lmax, sc**2)
    # (1/s/s, not s**-2: a float power raises OverflowError for s < 2**-511, a quotient
    # gives inf, which the normal-float check below reports)
    e_beta, e_eta = _scaled(e_beta, sc**4), _scaled(e_eta, 1.0 / sc / sc)
    e_a = _scaled(e_lmin, (1.0 + a_) / k)
    _check_normal(Xa, lambda_min=e_lmin, beta=e_beta, eta=e_eta)
    eta_cons = e_a.low / (2.0 * e_beta.high) if e_a.low > 0.0 else 0.0
    repeated = _near_repeated(evm, evk, e_lmin, e_lmax, e_beta, sc)
    note = GUARANTEE_NOTE
    if repeated:
        note += (
            f" The eigenvalues behind {', '.join(repeated)} are (nearly) repeated (gap below 4 "
            "standard errors): their intervals are too narrow (under-cover)."
        )
    note += " " + _tail_note(tail)
    M = M * sc**2
    K = K * sc**4
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
        tail=tail,
    )


#: ``T`` above ``FAR`` times the updates available is "far beyond" them: :func:`diagnose_step`.
FAR = 10.0
#: ``cond(M̂)`` from which whitening is named as a remedy.
_ILL_CONDITIONED = 100.0


@dataclass(frozen=True)
class StepDiagnosis:
    r"""Whether the plug-in step can do its job in the updates available (:func:`diagnose_step`).

    Attributes
    ----------
    T : float
        :meth:`PluginConstants.updates_needed`: the theorem's updates [derived] for
        ``E‖w_T − w*‖² <= 1% ‖w*‖²`` with probability 0.9 at the plug-in constants.
    budget : int
        The updates available (``max_iter × n_samples / batch`` for the estimator, one pass for
        ``convotron run --data``).
    far : bool
        ``T > FAR × budget``: the run stops long before the theorem's ``T``.
    lambda_min, beta, cond, eta, eta_scale : float
        ``λ̂_min``, ``β̂``, ``cond(M̂)``, ``η̂`` and :attr:`PluginConstants.eta_scale`.
    remedies : tuple of str
        What applies here: whitening (when ``cond(M̂) >= 100``), a hand-set step, more rows
        (when ``M̂`` is well conditioned); never ``max_iter`` alone when ``M̂`` is ill conditioned.
    """

    T: float
    budget: int
    far: bool
    lambda_min: float
    beta: float
    cond: float
    eta: float
    eta_scale: float
    remedies: tuple[str, ...]

    def message(self, where: str) -> str:
        """One paragraph: the numbers, ``where`` (the budget in words) and the remedies."""
        ratio = self.T / max(self.budget, 1)
        return (
            f"the theorem's step eta = a/(2 beta) = {self.eta:.3g} at the plug-in constants "
            f"(lambda_min(M̂) = {self.lambda_min:.3g}, beta = {self.beta:.3g}, cond(M̂) = "
            f"{self.cond:.3g}) needs T = (4 beta/a²) ln(1000) = {self.T:.3g} updates to bring "
            f"E‖w − w*‖² to 1% of ‖w*‖² (probability 0.9; [derived]), {ratio:.3g} times the "
            f"{where}: that stops long before the theorem's T, and a training error that "
            "stops changing there is not convergence. Remedies: " + "; ".join(self.remedies) + "."
        )

    def to_json(self) -> dict[str, Any]:
        """Return the fields as a dict (``T`` may be ``inf``: null in JSON)."""
        return {
            "T": self.T,
            "budget": self.budget,
            "far": self.far,
            "lambda_min": self.lambda_min,
            "beta": self.beta,
            "cond": self.cond,
            "eta": self.eta,
            "eta_scale": self.eta_scale,
            "remedies": list(self.remedies),
        }


def diagnose_step(pc: PluginConstants, budget: int, *, eta_name: str = "eta=") -> StepDiagnosis:
    r"""Compare the theorem's ``T`` at the plug-in constants with the ``budget`` updates.

    The one check shared by :class:`~convotron.estimator.ConvotronRegressor` and
    ``convotron run --data --eta auto``: ``far`` when ``T > FAR × budget``. Then the step is
    valid but useless here (typically ``cond(M̂)`` is huge: ``η̂ = eta_scale/cond(M̂)`` is many
    orders below the step scale), and the remedies say what helps; ``eta_name`` is how the
    step parameter is written before its value (``"eta="``, ``"--eta "``).
    """
    T = pc.updates_needed()
    cond = pc.cond
    remedies = []
    if cond >= _ILL_CONDITIONED:
        remedies.append(
            f"whiten or rescale the inputs so that cond(M̂) = {cond:.3g} comes near 1 (e.g. "
            "scikit-learn's PCA(whiten=True) with one patch over every feature; StandardScaler "
            "when the columns differ in scale)"
        )
    remedies.append(
        f"a hand-set step, e.g. {eta_name}{pc.eta_scale:.3g} (the step scale "
        "(1+alpha) lambda_max(M̂)/(2 k beta); no guarantee, watch for divergence)"
    )
    if cond < _ILL_CONDITIONED:
        remedies.append("more rows (the theorem counts fresh samples)")
    return StepDiagnosis(
        T=T,
        budget=int(budget),
        far=bool(T > FAR * budget),
        lambda_min=pc.lambda_min.value,
        beta=pc.beta.value,
        cond=cond,
        eta=pc.eta.value,
        eta_scale=pc.eta_scale,
        remedies=tuple(remedies),
    )
