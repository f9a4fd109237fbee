r"""Lemma-level checks of ``convotron verify``: each lemma tested at its adversarial point.

The (ε, δ) test of a case (:mod:`convotron.glue.verify`) sees a constant only through
``T``, and ``T`` is several times the runs' median time to ε: a 10 % error in ``a`` or
``ρ`` passes it unseen. The lemmas behind the theorem are sharper, because three of them are
*equalities* at the right point. With ``G = (y − f_w(x)) Px`` (or ``P_j x`` along patch ``j``
for the disjoint variant), ``Δ = w − w*``, ``c = (1+α)/(2k)`` and ``Q = PΣPᵀ = M`` (or
``P_jΣPᵀ``), for a symmetric law with ``E[ξ | x] = 0`` [derived, spec §4]:

* **drift** (``lem-drift``, L2): ``E[G | w] = c Q (w* − w)``, an identity at every ``w``;
  checked at the points below, coordinate by coordinate (Bonferroni over the ``r``
  coordinates inside the check);
* **progress** (``lem-progress``, L3): ``E[ΔᵀG | w] = −c ΔᵀQΔ``, which along the eigenvector
  ``v_min`` of ``Q`` with the smallest eigenvalue is the **equality**
  ``E[ΔᵀG] = −(a/2)‖Δ‖²`` with the theorem's ``a = (1+α)λ_min/k``. Tested two-sided against
  ``−a/2`` with the ``a`` the theorem uses: an ``a`` 10 % too large makes the lemma false
  here;
* **noise moment** (``lem-second-moment``, the ``ρ`` part): at ``w = w*``, ``G = ξ Px`` and
  ``E‖G‖² = ρ`` **exactly**. Tested two-sided against the theorem's ``ρ`` (noisy cases);
* **second moment** (``lem-second-moment``, L4): ``E[‖G‖² | w] ≤ β ‖Δ‖²`` at ``ξ = 0`` is an
  *inequality* (σ 1-Lipschitz, Jensen over the patches), so it is tested one-sided:
  ``q = E‖G₀‖²/‖Δ‖²`` (``G₀`` the update with the noiseless label) must not exceed ``β``,
  at ``Δ = ‖w*‖ u_K`` (``u_K`` the top eigenvector of the exact ``K``, where L4's quotient
  bound is attained by ``β = λ_max(K)``), at ``v_min`` and at points of a trajectory. For
  ``α = 1`` the second moment is known exactly, ``q = E[(ΔᵀPx)²‖Px‖²]/(k²‖Δ‖²)``
  (:func:`exact_linear_second_moment`), and that equality is tested two-sided too.
  The largest measured ``q`` over the points is reported: a ``β`` below it by more than the
  check's detectable error fails.

Preconditioned cases (thm-precond, [derived]; ``H`` fixed, potential ``Φ(Δ) = ΔᵀH⁻¹Δ``, update
``G_H = H G``) get the ``H`` analogue of every check, with the preconditioned constants:

* **drift**: ``E[G_H | w] = c HM (w* − w)``, coordinate by coordinate;
* **progress** (the first-order term of lem-precond-one-step): ``E[ΔᵀH⁻¹G_H] = E[ΔᵀG] =
  −c ΔᵀMΔ``, which at the bottom generalised eigenvector of ``(M, H⁻¹)`` is the equality
  ``E[ΔᵀG]/Φ(Δ) = −a_H/2`` with ``a_H = (1+α)μ_H/k``, ``μ_H = λ_min(H^{1/2}MH^{1/2})``
  (for ``H = M⁻¹`` every direction is that eigenvector);
* **second moment** (the second-order term): ``E[G₀ᵀHG₀]/Φ(Δ) ≤ β_H`` one-sided, at the top
  generalised eigenvector of ``(K_H, H⁻¹)`` (where ``ΔᵀK_HΔ/Φ(Δ) = β_H``), at the bottom one
  above and at two points of a preconditioned trajectory; for α = 1 the exact value
  ``E[(ΔᵀPx)² qᵀHq]/(k²Φ(Δ))`` (Isserlis with ``C = BᵀHB`` in place of ``BᵀB``), two-sided;
* **noise moment**: ``E[ξ² qᵀHq] = ρ_H`` exactly at ``w = w*``;
* **K_H quotient** (``lem-exact-kh``, preconditioned cases only): the second-moment checks
  above are one-sided and, for ReLU, loose (the measured ``E[G₀ᵀHG₀]/Φ`` is about a tenth of
  ``β_H`` on the suite's cases: Lipschitz and Jensen), so they cannot see a ``β_H`` 10 % too
  small. ``β_H`` itself is an *equality* of moments of ``x`` alone: at the top generalised
  eigenvector ``u`` of ``(K_H, H⁻¹)``, ``E[(qᵀHq)(1/k)Σᵢ(uᵀPᵢx)²]/Φ(u) = uᵀK_Hu/Φ(u) = β_H``.
  Tested two-sided against the theorem's ``β_H``.

The check kinds keep their names (``progress``, ``drift``, ...); ``LemmaCheck.preconditioned``
is true and ``lemma`` names the preconditioned lemma. No check lacks an analogue.

The points: ``Δ = ‖w*‖ v_min`` (progress, drift, second moment), ``Δ = ‖w*‖ u_K`` (second
moment), ``w = w*`` (noise moment), and two points of one run of Convotron with the
theorem's ``η`` from ``w_1 = 0`` (after ``⌈T/10⌉`` and ``⌈T/3⌉`` updates: drift and second
moment).

Batch statistics
----------------
Each point draws :data:`BATCHES` independent batches of :data:`BATCH_SIZE` fresh samples
(:data:`VMIN_FACTOR` times more at ``v_min``, where the progress check sees ``a``).
A check's estimate is the mean of its ``B`` batch means and its standard error the sample
standard deviation of the batch means over ``√B``; the test statistic
``t = (estimate − value)/SE`` is referred to Student's ``t`` with ``B − 1`` degrees of
freedom. Batch means of thousands of samples are close to normal whenever the summand has a
finite variance (true for every symmetric law of the package, Student-t ν = 5 included:
``ΔᵀG`` is quadratic in ``x``); for the second moment (quartic in ``x``) under Student-t
ν = 5 the variance is infinite, and the one-sided test is then conservative (a large batch
raises the standard error with the mean, so ``t`` stays small) — it can miss, not
falsely fail.

Each check is made at the level ``level`` (two-sided for equalities, one-sided for L4);
:func:`convotron.glue.verify.run_suite` sets it by Bonferroni, so that *all* lemma checks of
the suite together falsely fail with probability at most :data:`LEMMA_FAMILY_LEVEL`. Every
check reports

* the ratio Monte-Carlo value / the lemma's value with its ``1 − level`` confidence interval
  (``[r − t_c SE/|v|, r + t_c SE/|v|]``): the lemma's *tightness* at that point; a check
  passes exactly when the interval contains 1 (equalities) or its lower end is at most 1
  (L4);
* the smallest relative error of the tested constant that the check detects with power 0.9
  at its level: ``(t_{1−level/2} + t_{0.9}) · SE/|v|``. This is the *detectable error* of
  ``a`` (progress) and ``ρ`` (noise); for ``β`` (one-sided) it is
  ``(t_{1−level} + t_{0.9}) · SE/q̂``: a ``β`` below the measured ``q̂`` by more than that
  fraction fails with probability 0.9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._io import pick
from ..directions import eigen_direction

__all__ = [
    "BATCHES",
    "BATCH_SIZE",
    "LEMMA_FAMILY_LEVEL",
    "VMIN_FACTOR",
    "LemmaCheck",
    "check_count",
    "exact_linear_second_moment",
    "lemma_checks",
]

#: Family-wise level of all lemma checks of a suite together (Bonferroni).
LEMMA_FAMILY_LEVEL = 1e-3
#: Independent batches per point, and fresh samples per batch.
BATCHES, BATCH_SIZE = 100, 2000
#: The point ``v_min`` (progress: the check that sees ``a``) draws this many times more.
VMIN_FACTOR = 4
#: Power at which the detectable error is stated.
POWER = 0.9

#: Each kind of check: the lemma it tests, the lemma it tests in a preconditioned case
#: (thm-precond, [derived]), and the constant it can see.
KINDS: dict[str, tuple[str, str, str]] = {
    "progress": ("lem-progress", "lem-precond-one-step", "a"),
    "drift": ("lem-drift", "lem-drift", "M"),
    "second-moment": ("lem-second-moment", "lem-precond-one-step", "beta"),
    "second-moment-exact": ("lem-second-moment", "lem-exact-kh", "beta"),
    "noise-moment": ("lem-second-moment", "lem-precond-one-step", "rho"),
    "k-quotient": ("lem-exact-kh", "lem-exact-kh", "beta"),
}


@dataclass(frozen=True)
class LemmaCheck:
    """One lemma-level check at one point (see the module docstring).

    Attributes
    ----------
    kind : str
        ``progress``, ``drift``, ``second-moment``, ``second-moment-exact``, ``noise-moment``.
    point : str
        Where: ``v_min``, ``u_K``, ``w*``, ``trajectory t=N``.
    sided : str
        ``two-sided`` (an equality) or ``one-sided`` (L4's upper bound).
    measured, se : float
        The Monte-Carlo value and its standard error (batch means). For ``drift`` the
        coordinate with the largest ``|t|``.
    value : float
        The lemma's value with the theorem's constant (``−a/2``, ``β``, ``ρ``, the exact
        drift or the exact α = 1 second moment).
    t, p_value, level : float
        The statistic, its p-value (Bonferroni over coordinates for ``drift``) and the level.
    ratio, ratio_low, ratio_high : float
        ``measured / value`` and its ``1 − level`` confidence interval.
    detectable : float
        Smallest relative error of the tested constant detected with power 0.9 at ``level``.
    passed : bool
    samples : int
    """

    kind: str
    point: str
    sided: str
    measured: float
    se: float
    value: float
    t: float
    p_value: float
    level: float
    ratio: float
    ratio_low: float
    ratio_high: float
    detectable: float
    passed: bool
    samples: int
    preconditioned: bool = False

    @property
    def lemma(self) -> str:
        """The book label of the lemma checked."""
        return KINDS[self.kind][1 if self.preconditioned else 0]

    @property
    def constant(self) -> str:
        """The constant the check can see: ``a``, ``beta``, ``rho`` or ``M``."""
        return KINDS[self.kind][2]

    def describe(self) -> str:
        """One line: what, where, the ratio and its interval, the verdict."""
        return (
            f"{self.kind} ({self.lemma}, {self.sided}) at {self.point}: measured/lemma = "
            f"{self.ratio:.4g} [{self.ratio_low:.4g}, {self.ratio_high:.4g}], t = {self.t:.3g}, "
            f"p = {self.p_value:.3g} (level {self.level:.2g}); detectable {self.constant} error "
            f"{100 * self.detectable:.2g}% (power {POWER:g}): "
            + ("PASS" if self.passed else "FAIL")
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            **pick(self, "kind", "lemma", "constant", "point", "sided", "measured", "se",
                          "value", "t", "p_value", "level", "ratio"),
            "ratio_ci": [self.ratio_low, self.ratio_high],
            "detectable_relative_error": self.detectable,
            **pick(self, "passed", "samples", "preconditioned"),
        }  # fmt: skip


def check_count(*, noisy: bool, linear: bool, preconditioned: bool = False) -> int:
    """How many checks :func:`lemma_checks` makes for a case (for the Bonferroni split)."""
    # v_min: progress, drift, second moment; u_K: second moment (+ exact for α = 1);
    # two trajectory points: drift, second moment; w*: noise moment; K_H quotient (precond)
    return 3 + 1 + int(linear) + 4 + int(noisy) + int(preconditioned)


def _k_quotient(
    teacher: Any, geom: _Geometry, H: np.ndarray, u: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Batch means of ``(qᵀHq)(1/k)Σᵢ(uᵀPᵢx)²/Φ(u)`` (``q = Σᵢ Pᵢx``): ``uᵀK_Hu/Φ(u)``."""
    out = np.empty(BATCHES)
    phi = _phi(u, H)
    for b in range(BATCHES):
        X, _ = teacher.sample(rng, BATCH_SIZE)
        Xp = np.concatenate([X, np.zeros((X.shape[0], 1))], axis=1)
        PiX = Xp[:, geom.rows]  # (m, k, r)
        q = PiX.sum(axis=1)
        s = np.einsum("ij,jl,il->i", q, H, q)
        out[b] = float(np.mean(s * np.mean((PiX @ u) ** 2, axis=1))) / phi
    return out


# ----------------------------------------------------------------------------- the geometry
@dataclass(frozen=True)
class _Geometry:
    """The dense matrices of a small problem.

    ``P`` (r × (n+1), the last column the padding), ``L`` ((n+1) × n, x = Lz with a zero
    row for the padding), ``Q`` and the update's rows.
    """

    P: np.ndarray
    L: np.ndarray
    Q: np.ndarray
    rows: np.ndarray  # (r,) indices of P_j x, or (k, r) of all patches
    only_patch: int | None
    c: float  # (1 + α)/(2k)
    kappa: float
    k: int

    @classmethod
    def of(cls, problem: Any, only_patch: int | None) -> _Geometry:
        scheme, cov = problem.scheme, problem.cov
        n, k, r = scheme.n, scheme.k, scheme.r
        idx = np.where(np.asarray(scheme.indices) < 0, n, np.asarray(scheme.indices))
        L = np.zeros((n + 1, n))
        L[:n] = np.asarray(cov.transform(np.eye(n)), dtype=np.float64).T  # rows of X = Z Lᵀ
        S = L @ L.T  # Σ with a zero row and column for the padding
        Pfull = np.zeros((r, n + 1))
        for i in range(k):
            np.add.at(Pfull, (np.arange(r), idx[i]), 1.0)
        if only_patch is None:
            Pu = Pfull  # the update reads P x
        else:
            Pu = np.zeros((r, n + 1))
            Pu[np.arange(r), idx[only_patch]] = 1.0
        Q = Pu @ S @ Pfull.T  # M, or P_j Σ Pᵀ
        rows = idx[only_patch] if only_patch is not None else idx
        c = (1.0 + float(problem.alpha)) / (2.0 * k)
        return cls(Pu, L, Q, rows, only_patch, c, float(problem.law.fourth_moment), k)

    def px(self, X: np.ndarray) -> np.ndarray:
        """Return the rows ``P x`` (or ``P_j x``) of a sample ``X`` (m, n)."""
        Xp = np.concatenate([X, np.zeros((X.shape[0], 1))], axis=1)
        return Xp[:, self.rows] if self.only_patch is not None else Xp[:, self.rows].sum(axis=1)


def exact_linear_second_moment(geom: _Geometry, delta: np.ndarray, H: Any = None) -> float:
    r"""α = 1: the exact ``E‖G₀‖²/‖Δ‖²`` at ``w = w* + Δ`` [derived].

    For α = 1, ``y − f_w = −(1/k) ΔᵀPx`` (``P`` the sum of all patches), so
    ``‖G₀‖² = (ΔᵀPx)² ‖P_u x‖²/k²`` with ``P_u`` the update's matrix (``P`` or ``P_j``).
    With ``x = Lz`` (iid standardised ``z``, ``E z⁴ = κ``), ``a = LᵀPᵀΔ`` and ``B = P_u L``,
    Isserlis plus the fourth cumulant give
    ``E[(aᵀz)² ‖Bz‖²] = ‖a‖² ‖B‖_F² + 2 ‖Ba‖² + (κ − 3) Σ_j a_j² ‖B_{:j}‖²``.

    With a preconditioner ``H`` (thm-precond): ``E[G₀ᵀHG₀]/Φ(Δ)``, ``Φ(Δ) = ΔᵀH⁻¹Δ``, from
    ``E[(aᵀz)² zᵀCz] = ‖a‖² tr C + 2 aᵀCa + (κ − 3) Σ_j a_j² C_jj`` with ``C = BᵀHB``.
    """
    if geom.only_patch is not None:  # the label reads all patches, the update one
        raise ValueError("exact_linear_second_moment is for the full update (only_patch=None)")
    a = geom.L.T @ (geom.P.T @ delta)
    B = geom.P @ geom.L
    C = B.T @ B if H is None else B.T @ np.asarray(H, dtype=np.float64) @ B
    col = np.diag(C)
    val = (a @ a) * float(col.sum()) + 2.0 * float(a @ C @ a)
    val += (geom.kappa - 3.0) * float(np.sum(a * a * col))
    return float(val / geom.k**2 / _phi(delta, H))


def _phi(delta: np.ndarray, H: Any) -> float:
    """Return the potential ``Φ(Δ) = ΔᵀH⁻¹Δ`` (``‖Δ‖²`` without ``H``)."""
    if H is None:
        return float(delta @ delta)
    return float(delta @ np.linalg.solve(np.asarray(H, dtype=np.float64), delta))


# ----------------------------------------------------------------------------- statistics
def _t_quantile(q: float, df: int) -> float:
    from scipy.stats import t as student

    return float(student.ppf(q, df))


def _check(
    kind: str,
    point: str,
    batch_means: np.ndarray,
    value: float,
    level: float,
    *,
    one_sided: bool = False,
    samples: int = BATCHES * BATCH_SIZE,
) -> LemmaCheck:
    """Make the batch-means t-test of ``mean = value`` (or ``mean <= value`` one-sided)."""
    from scipy.stats import t as student

    B = len(batch_means)
    est = float(np.mean(batch_means))
    se = float(np.std(batch_means, ddof=1) / math.sqrt(B))
    df = B - 1
    if se > 0:
        t = (est - value) / se
    else:
        t = 0.0 if est == value else math.copysign(math.inf, est - value)
    if one_sided:
        p = float(student.sf(t, df))
        crit = _t_quantile(1.0 - level, df)
        passed = p >= level
    else:
        p = float(2.0 * student.sf(abs(t), df))
        crit = _t_quantile(1.0 - level / 2.0, df)
        passed = p >= level
    rel = se / abs(value) if value != 0 else math.inf
    ratio = est / value if value != 0 else math.nan
    return LemmaCheck(
        kind=kind,
        point=point,
        sided="one-sided" if one_sided else "two-sided",
        measured=est,
        se=se,
        value=float(value),
        t=float(t),
        p_value=p,
        level=level,
        ratio=ratio,
        ratio_low=ratio - crit * rel,
        ratio_high=ratio + crit * rel,
        # one-sided (L4): relative to the measured value, how far below it β must lie to fail
        detectable=(crit + _t_quantile(POWER, df))
        * (rel if not one_sided else (se / est if est > 0 else math.inf)),
        passed=bool(passed),
        samples=samples,
    )


def _drift_check(
    point: str,
    batch_means: np.ndarray,
    value: np.ndarray,
    level: float,
    samples: int = BATCHES * BATCH_SIZE,
) -> LemmaCheck:
    """``E[G] = value`` coordinate by coordinate (Bonferroni over the ``r`` coordinates).

    The verdict is the coordinatewise test; the ratio reported is the drift measured along
    the predicted one, ``mean(G)ᵀv/‖v‖²`` (1 when the identity holds), with its interval and
    detectable error from the batch means of ``Gᵀv/‖v‖²``.
    """
    from scipy.stats import t as student

    B, r = batch_means.shape
    est = batch_means.mean(axis=0)
    se = batch_means.std(axis=0, ddof=1) / math.sqrt(B)
    diff = est - value
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff == 0, 0.0, np.inf))
    j = int(np.argmax(np.abs(t)))
    p = float(min(1.0, r * 2.0 * student.sf(abs(t[j]), B - 1)))
    vv = float(value @ value)
    proj = batch_means @ value / vv if vv > 0 else np.zeros(B)
    ratio = float(proj.mean())
    rel_se = float(proj.std(ddof=1) / math.sqrt(B))
    crit = _t_quantile(1.0 - level / 2.0, B - 1)
    return LemmaCheck(
        kind="drift",
        point=point,
        sided="two-sided",
        measured=float(est[j]),
        se=float(se[j]),
        value=float(value[j]),
        t=float(t[j]),
        p_value=p,
        level=level,
        ratio=ratio,
        ratio_low=ratio - crit * rel_se,
        ratio_high=ratio + crit * rel_se,
        detectable=(crit + _t_quantile(POWER, B - 1)) * rel_se,
        passed=p >= level,
        samples=samples,
    )


# ----------------------------------------------------------------------------- sampling
@dataclass(frozen=True)
class _Moments:
    """Batch means at one point: ``G``, ``ΔᵀG``, ``‖G₀‖²`` (noiseless label), ``‖G‖²``."""

    G: np.ndarray  # (B, r)
    dG: np.ndarray  # (B,)
    G0sq: np.ndarray  # (B,)
    Gsq: np.ndarray  # (B,)


def _moments(
    teacher: Any,
    w: np.ndarray,
    geom: _Geometry,
    rng: np.random.Generator,
    size: int = BATCH_SIZE,
    H: Any = None,
) -> _Moments:
    """Draw :data:`BATCHES` batches of ``size`` at ``w`` (the teacher's sampler and model).

    With ``H``: ``G`` is ``H G`` and the squares are ``G₀ᵀHG₀``, ``GᵀHG``; ``ΔᵀG`` stays
    the unpreconditioned ``ΔᵀG = ΔᵀH⁻¹(HG)``.
    """
    from ...model.problem import Teacher

    student = Teacher(teacher.problem, w)
    delta = w - np.asarray(teacher.w_star, dtype=np.float64)
    out = np.empty((BATCHES, geom.Q.shape[0] + 3))
    for b in range(BATCHES):
        X, y = teacher.sample(rng, size)
        PX = geom.px(X)
        fw = student.predict(X)
        y0 = teacher.predict(X)
        G = (np.asarray(y) - fw)[:, None] * PX
        G0 = (y0 - fw)[:, None] * PX
        out[b, -3] = float(np.mean(G @ delta))
        if H is None:
            out[b, :-3] = G.mean(axis=0)
            out[b, -2] = float(np.mean(np.einsum("ij,ij->i", G0, G0)))
            out[b, -1] = float(np.mean(np.einsum("ij,ij->i", G, G)))
        else:
            HG, HG0 = G @ H, G0 @ H  # H symmetric
            out[b, :-3] = HG.mean(axis=0)
            out[b, -2] = float(np.mean(np.einsum("ij,ij->i", G0, HG0)))
            out[b, -1] = float(np.mean(np.einsum("ij,ij->i", G, HG)))
    return _Moments(out[:, :-3], out[:, -3], out[:, -2], out[:, -1])


def _trajectory_points(teacher: Any, tp: Any, only_patch: int | None, rng: np.random.Generator
                       ) -> list[tuple[int, np.ndarray]]:  # fmt: skip
    """``w_t`` of one run with the theorem's step at ``t = ⌈T/10⌉`` and ``⌈T/3⌉``.

    A preconditioned case (``tp.H``) runs the preconditioned update with that ``H``.
    """
    from ...learning.algorithm import convotron, fit
    from ...learning.rules import ConvotronRule

    T = math.ceil(float(tp.T))
    H = getattr(tp, "H", None)
    points = []
    for t in sorted({max(1, math.ceil(T / 10)), max(2, math.ceil(T / 3))}):
        run_rng = np.random.default_rng(rng.integers(2**63))
        if H is None:
            res = convotron(teacher.sample, teacher.scheme, teacher.alpha, eta=float(tp.eta),
                            iters=t, rng=run_rng, only_patch=only_patch)  # fmt: skip
        else:
            rule = ConvotronRule(precondition=tuple(map(tuple, np.asarray(H).tolist())))
            res = fit(rule, teacher, teacher.scheme, teacher.alpha, eta=float(tp.eta),
                      iters=t, rng=run_rng)  # fmt: skip
        points.append((t, np.asarray(res.w, dtype=np.float64)))
    return points


def _top_of_K(tp: Any, geom: _Geometry) -> np.ndarray:
    """Return the top unit eigenvector of the exact ``K`` (lem-exact-k), else of ``Q``.

    Canonical and positive at its largest entry (:func:`convotron.glue.directions.eigen_direction`).
    """
    problem = tp.problem
    if geom.only_patch is None:
        try:
            from convotron_theory.second_moment import second_moment_matrix

            from ..moments import cov_spec

            scheme = problem.scheme
            padded = bool((np.asarray(scheme.indices) < 0).any())
            spec = cov_spec(problem.cov, padded=padded)
            if spec is not None and scheme.n <= 400:
                n = scheme.n + 1 if padded else scheme.n
                idx = np.where(scheme.indices < 0, scheme.n, scheme.indices)
                K = second_moment_matrix(n, idx, spec, float(problem.law.fourth_moment))
                return eigen_direction(K, "max")
        except (ImportError, ValueError):  # pragma: no cover - an unusual covariance
            pass
    return eigen_direction(geom.Q, "max")


def hardest_direction(problem: Any, only_patch: int | None) -> np.ndarray:
    """Return the unit eigenvector of ``Q`` (``M``, or ``P_jΣPᵀ``) of the smallest eigenvalue.

    The canonical one of :func:`convotron.glue.directions.eigen_direction` (the same on every
    processor, also when ``λ_min`` is repeated).
    """
    geom = _Geometry.of(problem, only_patch)
    return eigen_direction(geom.Q, "min")


def lemma_checks(
    teacher: Any, tp: Any, rng: np.random.Generator, *, level: float, only_patch: int | None = None
) -> list[LemmaCheck]:
    """Run every lemma check of one case (see the module docstring); ``level`` per check."""
    from dataclasses import replace

    geom = _Geometry.of(tp.problem, only_patch)
    w_star = np.asarray(teacher.w_star, dtype=np.float64)
    scale = max(float(np.linalg.norm(w_star)), 1e-12)
    Qs = (geom.Q + geom.Q.T) / 2
    H = getattr(tp, "H", None)
    if H is None:
        v_min = eigen_direction(Qs, "min")
        u_K = _top_of_K(tp, geom)
        HQ = geom.Q
    else:  # thm-precond: the generalised eigenvectors against the potential's H⁻¹
        H = np.asarray(H, dtype=np.float64)
        H_inv = np.linalg.inv(H)
        H_inv = (H_inv + H_inv.T) / 2
        v_min = eigen_direction(Qs, "min", metric=H_inv)
        u_K = eigen_direction(np.asarray(tp.K_H, dtype=np.float64), "max", metric=H_inv)
        HQ = H @ geom.Q
    linear = float(tp.problem.alpha) == 1.0 and only_patch is None
    checks: list[LemmaCheck] = []

    def drift_value(w: np.ndarray) -> np.ndarray:
        return geom.c * (HQ @ (w_star - w))

    def phi(d: np.ndarray) -> float:
        return _phi(d, H)

    # v_min: progress (equality with a), drift, second moment
    d = scale * v_min
    big = BATCHES * BATCH_SIZE * VMIN_FACTOR
    m = _moments(teacher, w_star + d, geom, rng, BATCH_SIZE * VMIN_FACTOR, H)
    checks.append(_check("progress", "v_min", m.dG / phi(d), -float(tp.a) / 2.0, level,
                         samples=big))  # fmt: skip
    checks.append(_drift_check("v_min", m.G, drift_value(w_star + d), level, big))
    checks.append(_check("second-moment", "v_min", m.G0sq / phi(d), float(tp.beta), level,
                         one_sided=True, samples=big))  # fmt: skip
    # u_K: second moment (L4 attains β = λ_max(K) in its quotient there); exact for α = 1
    d = scale * u_K
    m = _moments(teacher, w_star + d, geom, rng, H=H)
    checks.append(_check("second-moment", "u_K", m.G0sq / phi(d), float(tp.beta), level,
                         one_sided=True))  # fmt: skip
    if linear:
        exact = exact_linear_second_moment(geom, d, H)
        checks.append(_check("second-moment-exact", "u_K", m.G0sq / phi(d), exact, level))
    # points of a trajectory: drift and second moment
    for t, w in _trajectory_points(teacher, tp, only_patch, rng):
        d = w - w_star
        if not np.any(d):  # pragma: no cover - a run that hit w* exactly
            d = scale * v_min
            w = w_star + d
        m = _moments(teacher, w, geom, rng, H=H)
        checks.append(_drift_check(f"trajectory t={t}", m.G, drift_value(w), level))
        checks.append(_check("second-moment", f"trajectory t={t}", m.G0sq / phi(d),
                             float(tp.beta), level, one_sided=True))  # fmt: skip
    # w = w*: the noise moment E‖G‖² = ρ exactly
    if float(tp.rho) > 0:
        m = _moments(teacher, w_star, geom, rng, H=H)
        checks.append(_check("noise-moment", "w*", m.Gsq, float(tp.rho), level))
    if H is not None:
        checks.append(_check("k-quotient", "u_K", _k_quotient(teacher, geom, H, u_K, rng),
                             float(tp.beta), level))  # fmt: skip
        checks = [replace(c, preconditioned=True) for c in checks]
    return checks
