"""Results of ``convotron verify``: statuses, :class:`CaseResult`, :class:`Report`, the files.

See :mod:`convotron.glue.verify` for what the statuses mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import (
    atomic_write_json,
    atomic_write_text,
    check_output_dir,
    locked_dir,
    pick,
    save_figure,
)
from ..._through import Through
from ..parameters import TheoremParameters
from .cases import Case
from .drift import DRIFT_SAMPLES
from .lemmas import LEMMA_FAMILY_LEVEL, LemmaCheck

__all__ = [
    "STATUS_FAIL",
    "STATUS_NOT_RUN",
    "STATUS_PASS",
    "STATUS_VIOLATED",
    "CaseResult",
    "DirectionResult",
    "Report",
    "check_out_dir",
    "write_report",
]

STATUS_PASS = "PASS"
STATUS_FAIL = "FAIL"
STATUS_VIOLATED = "ASSUMPTION VIOLATED"
STATUS_NOT_RUN = "NOT RUN"


@dataclass(frozen=True)
class DirectionResult:
    """The runs of one teacher direction of a case (``hardest``, ``random``, ``easiest``).

    ``tightness`` is ``T`` over this direction's median time to ε (None when more than half
    of its runs never reach ε).
    """

    name: str
    runs: int
    fails: int
    median_iters_to_eps: float | None
    tightness: float | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            "direction": self.name,
            **pick(self, "runs", "fails", "median_iters_to_eps", "tightness"),
        }


@dataclass(frozen=True, kw_only=True)
class CaseResult:
    """The outcome of one :class:`~convotron.glue.verify.cases.Case` (see ``run_case``).

    The theorem's numbers are not copied: :attr:`params` holds them (and the problem), and
    the attributes ``n, r, k, lambda_min, lambda_max, certificate, a, beta, beta_rule, rho,
    rho_rule, T, violations`` read through it.

    Attributes
    ----------
    case : Case
    params : TheoremParameters
        The theorem's numbers for the case's problem and target.
    eta : float
        The step size the runs used: the theorem's ``η``, or for a negative control whose
        ``T`` is infinite the diagnostic ``a_max/(2β)``.
    iters_run : int
        Iterations each run made: ``T`` (rounded up) unless a control ran a diagnostic budget;
        0 when NOT RUN.
    runs : int
    fails : int or None
    fail_rate, p_value, ci_upper : float or None
    median_iters_to_eps, tightness : float or None
        The binomial test's statistics; None (the default) when none was made (NOT RUN, or
        the ``lem-linear-mse`` case, which tests a curve).
    status : str
        PASS, FAIL, ASSUMPTION VIOLATED or NOT RUN.
    note : str
        Human-readable explanation of the status (what was observed).
    seconds : float
    history_t, quantiles : numpy.ndarray or None
        Recorded times and the 10 %, 50 %, 90 % quantiles over runs of ``‖w_t − w*‖²``
        (shape ``(3, len(history_t))``), for the figures.
    w_norm_sq : float
        ``‖w*‖²`` of the teacher actually drawn.
    drift_max_z, drift_rel_error : float or None
        The drift check of ``lem-drift`` at ``w_1 = 0`` (:func:`drift_at_start`): the largest
        ``|z|`` over coordinates and ``‖mean − predicted‖/‖predicted‖``; None when NOT RUN.
    kernel_floor : float or None
        For a scheme with ``λ_min(M) = 0``: ``Σ_j (u_jᵀ w*)²`` over the kernel of ``M``, a
        lower bound of every run's error; None otherwise.
    mse_max_z, mse_time_average_z : float or None
        The ``lem-linear-mse`` case only: the largest ``|t|`` of the mean error against the
        exact α = 1 curve over the recorded t, and the t of the runs' time average.
    directions : tuple of DirectionResult
        The runs per teacher direction (:data:`convotron.glue.verify.suite.DIRECTIONS`);
        :attr:`worst_tightness` is the smallest ``T``/median among them.
    lemma_checks : tuple of LemmaCheck
        The lemma-level checks (:mod:`convotron.glue.verify.lemmas`); a failed one makes the
        case FAIL.

    The before/after columns: :attr:`T_closed` is the ``T`` the best closed-form β
    (``lem-beta``) gives, :attr:`T` the one of the exact β (``lem-exact-k``, used by the
    runs); :attr:`tightness_closed` is ``T_closed`` over the same measured median time to ε.
    """

    case: Case
    params: TheoremParameters
    eta: float
    iters_run: int
    runs: int
    fails: int | None = None
    fail_rate: float | None = None
    p_value: float | None = None
    ci_upper: float | None = None
    median_iters_to_eps: float | None = None
    tightness: float | None = None
    status: str
    note: str
    seconds: float = 0.0
    history_t: np.ndarray | None = field(default=None, repr=False)
    quantiles: np.ndarray | None = field(default=None, repr=False)
    w_norm_sq: float = 1.0
    drift_max_z: float | None = None
    drift_rel_error: float | None = None
    kernel_floor: float | None = None
    mse_max_z: float | None = None
    mse_time_average_z: float | None = None
    directions: tuple[DirectionResult, ...] = ()
    lemma_checks: tuple[LemmaCheck, ...] = ()

    @property
    def worst_direction(self) -> DirectionResult | None:
        """The direction with the smallest ``T``/median (a missing median counts as smallest)."""
        if not self.directions:
            return None
        return min(self.directions, key=lambda d: -1.0 if d.tightness is None else d.tightness)

    @property
    def worst_tightness(self) -> float | None:
        """``T``/median of :attr:`worst_direction` (None when not measured or not reached)."""
        w = self.worst_direction
        return None if w is None else w.tightness

    @property
    def lemmas_passed(self) -> tuple[int, int]:
        """``(passed, total)`` lemma checks."""
        return sum(c.passed for c in self.lemma_checks), len(self.lemma_checks)

    def detectable(self, constant: str) -> float | None:
        """Return the smallest relative error of ``a``, ``beta`` or ``rho`` this case detects.

        The best (smallest) detectable error over the checks that see the constant, with
        power 0.9 at each check's level; for ``beta`` relative to the largest measured
        ``E‖G₀‖²/‖Δ‖²``. None when no check sees it.
        """
        kinds = {"a": ("progress",), "rho": ("noise-moment",),
                 "beta": ("second-moment", "k-quotient")}[constant]  # fmt: skip
        vals = [c.detectable for c in self.lemma_checks if c.kind in kinds]
        if constant == "beta" and vals:  # the check at the largest measured ratio
            best = max((c for c in self.lemma_checks if c.kind in kinds), key=lambda c: c.ratio)
            return best.detectable  # relative to the measured value (lemmas._check)
        return min(vals) if vals else None

    @property
    def beta_max_ratio(self) -> LemmaCheck | None:
        """The L4 check with the largest measured ``E‖G₀‖²/(β‖Δ‖²)``."""
        l4 = [c for c in self.lemma_checks if c.kind == "second-moment"]
        return max(l4, key=lambda c: c.ratio) if l4 else None

    # -- the theorem's numbers, read through ``params`` (never copied) ----------------------
    n = Through[int]("params.problem", doc="Input dimension of the case's problem.")
    r = Through[int]("params.problem", doc="Patch size.")
    k = Through[int]("params.problem", doc="Number of patches.")
    lambda_min = Through[float]("params", float, "``λ_min(M)``, ``M = PΣPᵀ``.")
    lambda_max = Through[float]("params", float, "``λ_max(M)``.")
    certificate = Through[str]("params", doc="How ``λ_min > 0`` was established (or refuted).")
    a = Through[float]("params", float, "The drift constant ``a = (1+α)λ_min/k``.")
    beta = Through[float]("params", float, "``β`` (``lem-beta``).")
    beta_rule = Through[str]("params", doc="The admissible rule ``β`` comes from.")
    rho = Through[float]("params", float, "``ρ`` (``lem-second-moment``).")
    rho_rule = Through[str]("params", doc="The rule ``ρ`` comes from.")
    T = Through[float]("params", float, "The theorem's iteration count (``inf`` if ``λ_min = 0``).")
    beta_closed = Through[float](
        "params", float, "The best closed-form ``β`` (``lem-beta``), used before the exact one."
    )
    T_closed = Through[float](
        "params", float, "The ``T`` the best closed-form ``β`` gives (``inf`` when there is none)."
    )
    violations = Through[tuple[str, ...]](
        "params", tuple, "Why an assumption fails (empty when the theorem applies)."
    )

    @property
    def tightness_closed(self) -> float | None:
        """``T_closed`` over the measured median time to ε (None when not measured)."""
        m = self.median_iters_to_eps
        return self.T_closed / m if m and math.isfinite(self.T_closed) else None

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON dictionary (the ``cases`` entries of ``report.json``)."""
        c = self.case
        return {
            "name": c.name,
            "scheme": c.scheme_label,
            **pick(c, "alpha", "dist", "cov", "noise", "only_patch", "claim", "precondition",
                   "control", "eps", "delta", "w_norm"),
            **pick(self, "n", "r", "k", "lambda_min", "lambda_max", "certificate", "a", "beta",
                   "beta_rule", "rho", "rho_rule"),
            "T": _json_T(self.T),
            **pick(self, "eta", "iters_run", "runs", "fails", "fail_rate", "p_value"),
            "fail_rate_upper_bound": self.ci_upper,
            **pick(self, "median_iters_to_eps", "tightness"),
            "beta_exact": self.params.beta_exact,
            "beta_closed": self.beta_closed,
            "beta_closed_rule": self.params.beta_closed_rule,
            "T_closed": _json_T(self.T_closed),
            "tightness_closed": self.tightness_closed,
            "mse_check": None
            if self.mse_max_z is None
            else {
                "claim": "lem-linear-mse",
                "max_abs_z": self.mse_max_z,
                "time_average_z": self.mse_time_average_z,
            },
            "drift_at_start": {
                "claim": "lem-drift",
                "samples": DRIFT_SAMPLES,
                "max_abs_z": self.drift_max_z,
                "rel_error": self.drift_rel_error,
            },
            "kernel_floor": self.kernel_floor,
            "directions": [d.to_json() for d in self.directions],
            "worst_tightness": self.worst_tightness,
            "worst_direction": None if self.worst_direction is None else self.worst_direction.name,
            "lemma_checks": [c.to_json() for c in self.lemma_checks],
            "detectable_relative_error": {k: self.detectable(k) for k in ("a", "beta", "rho")},
            "status": self.status,
            "note": self.note,
            "violations": list(self.violations),
            "seconds": round(self.seconds, 3),
        }  # fmt: skip


def _json_T(T: float) -> int | None:
    return math.ceil(T) if math.isfinite(T) else None


#: How the significance levels of a suite are combined, as printed in every report.
MULTIPLE_TESTING = (
    "Multiple testing (Bonferroni): each case's binomial test is made at the significance "
    "level s; the lemma checks of the whole suite share the family level {family:g} (each "
    "check at {family:g}/{checks} = {level:.2g}); the alpha = 1 curve check has its own level "
    "{mse:g} for the whole curve. The probability that a correct implementation with correct "
    "constants FAILs some case is at most {n_binom} x s + {family:g} + {mse:g} = {total:.3g} "
    "(the binomial tests sit at their worst case p = delta; the theorem's Markov step makes "
    "their real false-failure rate much smaller)."
)

#: The key of the short terminal table (``convotron verify`` without ``--wide``).
TABLE_KEY = (
    "Key: T = the theorem's iterations; runs = runs of exactly T iterations (split over "
    "three teacher directions); miss = runs ending with |w - w*|^2 > eps; p = one-sided "
    "binomial p-value against delta; T/med = T over the median time to eps for the worst "
    "direction; lemmas = lemma checks passed; a err, rho err = smallest relative error of "
    "the constant a, rho that the case detects (power 0.9); VIOLATED = ASSUMPTION VIOLATED "
    "(a negative control). convotron verify --wide shows every column."
)


@dataclass(frozen=True)
class Report:
    """The outcome of a suite (see :func:`run_suite`).

    Attributes
    ----------
    cases : tuple of CaseResult
    all_pass : bool
        No case has status FAIL (ASSUMPTION VIOLATED and NOT RUN are not failures).
    significance : float
        Level of each case's binomial test.
    seed : int
    runs : int
    seconds : float
    lemma_level : float
        Level of each lemma check (the family level split over ``lemma_checks``).
    lemma_checks : int
        Number of lemma checks planned in the suite.
    """

    cases: tuple[CaseResult, ...]
    all_pass: bool
    significance: float
    seed: int
    runs: int
    seconds: float
    lemma_level: float = LEMMA_FAMILY_LEVEL
    lemma_checks: int = 0

    def counts(self) -> dict[str, int]:
        """Count the cases per status."""
        out = {s: 0 for s in (STATUS_PASS, STATUS_FAIL, STATUS_VIOLATED, STATUS_NOT_RUN)}
        for c in self.cases:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    def multiple_testing(self) -> str:
        """Return the statement of how the levels combine, with this suite's numbers."""
        from .mse import LEVEL as MSE_LEVEL

        n_binom = sum(1 for c in self.cases if c.p_value is not None and c.case.control is None)
        mse = MSE_LEVEL if any(c.mse_max_z is not None for c in self.cases) else 0.0
        family = LEMMA_FAMILY_LEVEL if self.lemma_checks else 0.0
        return MULTIPLE_TESTING.format(
            family=family,
            checks=max(self.lemma_checks, 1),
            level=self.lemma_level,
            mse=mse,
            n_binom=n_binom,
            total=n_binom * self.significance + family + mse,
        )

    def to_json(self) -> dict[str, Any]:
        """``{"cases": [...], "all_pass": bool, ...}`` as written to ``report.json``."""
        return {
            "cases": [c.to_json() for c in self.cases],
            "all_pass": self.all_pass,
            "counts": self.counts(),
            "significance": self.significance,
            "lemma_family_level": LEMMA_FAMILY_LEVEL,
            "lemma_level": self.lemma_level,
            "lemma_checks": self.lemma_checks,
            "multiple_testing": self.multiple_testing(),
            "seed": self.seed,
            "runs": self.runs,
            "seconds": round(self.seconds, 3),
            "test": "one-sided exact binomial test of H0: P[|w_T+1 - w*|^2 > eps] <= delta, "
            "and the lemma-level checks (convotron.glue.verify.lemmas)",
        }

    def rows(self) -> list[list[str]]:
        """Every column (header first): ``--wide``, the report; see :meth:`short_rows`."""
        head = [
            "case",
            "scheme",
            "α",
            "dist",
            "noise",
            "λ_min",
            "cert",
            "β",
            "η",
            "T",
            "runs",
            "fail",
            "p",
            "median t(ε)",
            "T/median",
            "worst T/median",
            "β closed",
            "T closed",
            "T closed/median",
            "drift |z|",
            "lemmas",
            "a err",
            "β err",
            "ρ err",
            "max E‖G‖²/(β‖Δ‖²)",
            "status",
        ]
        rows = [head]
        for c in self.cases:
            worst = c.worst_direction
            top = c.beta_max_ratio
            rows.append(
                [
                    c.case.name,
                    c.case.scheme_label if len(c.case.scheme_label) <= 24 else "indices",
                    f"{c.case.alpha:g}",
                    c.case.dist + ("" if c.case.cov == "identity" else f"/{c.case.cov}"),
                    c.case.noise,
                    f"{c.lambda_min:.4g}",
                    c.certificate.split(" ")[0],
                    f"{c.beta:.4g}",
                    f"{c.eta:.3g}",
                    _fmt_T(c.T),
                    str(c.runs),
                    "-" if c.fail_rate is None else f"{c.fail_rate:.3f}",
                    "-" if c.p_value is None else f"{c.p_value:.3g}",
                    _fmt_opt(c.median_iters_to_eps, "{:.4g}"),
                    _fmt_opt(c.tightness, "{:.3g}"),
                    "-"
                    if worst is None
                    else f"{_fmt_opt(worst.tightness, '{:.3g}')} ({worst.name})",
                    f"{c.beta_closed:.4g}",
                    _fmt_T(c.T_closed),
                    _fmt_opt(c.tightness_closed, "{:.3g}"),
                    _fmt_opt(c.drift_max_z, "{:.3g}"),
                    _fmt_lemmas(c),
                    _fmt_pct(c.detectable("a")),
                    _fmt_pct(c.detectable("beta")),
                    _fmt_pct(c.detectable("rho")),
                    "-"
                    if top is None
                    else f"{top.ratio:.3g} [{top.ratio_low:.3g}, {top.ratio_high:.3g}]",
                    c.status,
                ]
            )
        return rows

    def short_rows(self) -> list[list[str]]:
        """Return the terminal's default columns (under 100 characters; :data:`TABLE_KEY`)."""
        rows = [["case", "T", "runs", "miss", "p", "T/med", "lemmas", "a err", "rho err", "status"]]
        for c in self.cases:
            rows.append(
                [
                    c.case.name,
                    _fmt_T(c.T),
                    str(c.runs),
                    "-" if c.fails is None else f"{c.fails}/{c.runs}",
                    "-" if c.p_value is None else f"{c.p_value:.2g}",
                    _fmt_opt(c.worst_tightness, "{:.3g}"),
                    _fmt_lemmas(c),
                    _fmt_pct(c.detectable("a")),
                    _fmt_pct(c.detectable("rho")),
                    "VIOLATED" if c.status == STATUS_VIOLATED else c.status,
                ]
            )
        return rows

    def table(self, *, wide: bool = False) -> str:
        """Plain-text table for the terminal, the notes of non-PASS cases, the summary.

        By default the columns of :meth:`short_rows` (under 100 characters) and a key, the
        notes wrapped at 100 characters; ``wide=True``: every column (:meth:`rows`).
        """
        import textwrap

        rows = self.rows() if wide else self.short_rows()
        widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
        lines = [
            "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        if not wide:
            lines += [*textwrap.wrap(TABLE_KEY, 100), ""]
        for c in self.cases:
            if c.status != STATUS_PASS:
                text = f"{c.case.name}: {c.status}: {c.note}"
                lines += [text] if wide else textwrap.wrap(text, 100, subsequent_indent="  ")
        counts = self.counts()
        summary = (
            f"{counts[STATUS_PASS]} PASS, {counts[STATUS_FAIL]} FAIL, "
            f"{counts[STATUS_VIOLATED]} ASSUMPTION VIOLATED, {counts[STATUS_NOT_RUN]} NOT RUN "
            f"in {self.seconds:.1f} s (significance {self.significance:g} per case, "
            f"{self.lemma_checks} lemma checks at {self.lemma_level:.2g} each, seed {self.seed}); "
            + ("all pass" if self.all_pass else "SOME CASES FAIL")
        )
        lines += [summary] if wide else textwrap.wrap(summary, 100)
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """Render the report as Markdown (``report.md``; also rendered by the book)."""
        rows = self.rows()
        out = [
            "# Convotron verification report",
            "",
            "Each case runs Convotron (Algorithm 1, [paper]) for exactly the theorem's `T` "
            "iterations with the theorem's step size `η` (explicit-constant version of the "
            "paper's main theorem, `thm-convotron`, [derived]) and tests the fraction of runs "
            "with `‖w − w*‖² > ε` against `δ` with a one-sided exact binomial test at "
            f"significance {self.significance:g}. The runs are split over three teachers: "
            "`w*` along the eigenvector of `M` with the smallest eigenvalue (the hardest "
            "direction), a random one, and the top eigenvector (for a repeated eigenvalue, "
            "the fixed vector of its eigenspace of `convotron.glue.directions`, the same on "
            "every processor); `T/median` is given for all "
            "runs and for the worst direction. The column `drift |z|` checks `lem-drift` at "
            f"`w_1 = 0` with {DRIFT_SAMPLES} fresh samples (largest |z| over coordinates; "
            "of order 1 when the identity holds). `β` is the exact `λ_max(K)` "
            "(`lem-exact-k`); the columns `β closed`, `T closed` and `T closed/median` give "
            "the best closed-form β (`lem-beta`, used before), its `T`, and that `T` over the "
            "same measured median time to ε. The case `linear-mse-curve` (`lem-linear-mse`) "
            "checks the mean error curve of α = 1 against the exact one instead.",
            "",
            "**Lemma checks** (`convotron.glue.verify.lemmas`): each case also tests the lemmas "
            "behind the theorem at their adversarial points, each against its exact value: "
            "progress along the eigenvector `v_min` of `M` with the smallest eigenvalue "
            "(`lem-progress`: `E[ΔᵀG] = −(a/2)‖Δ‖²` there, an equality that sees `a`), the "
            "drift `E[G | w] = ((1+α)/(2k)) M (w* − w)` at `v_min` and at two points of a run "
            "(`lem-drift`), the noise moment `E‖G‖² = ρ` at `w = w*` (an equality that sees "
            "`ρ`), and the second moment `E‖G₀‖²/‖Δ‖² ≤ β` (`lem-second-moment`, one-sided: an "
            "inequality) at the top eigenvector `u_K` of `K`, at `v_min` and on the run; for "
            "α = 1 also the exact second moment (two-sided). Each check gives the ratio "
            "Monte-Carlo value / lemma value with its confidence interval (the lemma's "
            "tightness) and the smallest relative error of its constant it detects with "
            "power 0.9 (`a err`, `β err`, `ρ err`; for β: how far below the largest measured "
            "ratio a β must lie to fail). A failed check FAILs the case.",
            "",
            *(
                [
                    "**Preconditioned cases** (claim `thm-precond`, this project's extension, "
                    "[derived], not the paper's) run `w ← w + η (y − f_w(x)) H Σᵢ Pᵢx` with "
                    "`H = M⁻¹` or a plug-in `M̂⁻¹` instead of Algorithm 1, for the preconditioned "
                    "theorem's `T` at its `η`; their `a`, `β`, `ρ` are `a_H = (1+α)μ_H/k`, `β_H`, "
                    "`ρ_H`, and their lemma checks are the `H` analogues (potential "
                    "`Φ(Δ) = ΔᵀH⁻¹Δ` in place of `‖Δ‖²`), with the `K_H` quotient "
                    "(`lem-exact-kh`, two-sided) that sees `β_H`.",
                    "",
                ]
                if any(getattr(c.params, "H", None) is not None for c in self.cases)
                else []
            ),
            self.multiple_testing(),
            "",
            "| " + " | ".join(rows[0]) + " |",
            "|" + "|".join("---" for _ in rows[0]) + "|",
        ]
        out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        counts = self.counts()
        out += [
            "",
            f"**{counts[STATUS_PASS]} PASS, {counts[STATUS_FAIL]} FAIL, "
            f"{counts[STATUS_VIOLATED]} ASSUMPTION VIOLATED, {counts[STATUS_NOT_RUN]} NOT RUN** "
            f"({self.runs} runs per case, seed {self.seed}, {self.seconds:.1f} s).",
            "",
            "## Cases",
            "",
        ]
        for c in self.cases:
            out += _case_markdown(c)
        return "\n".join(out)


def _case_markdown(c: CaseResult) -> list[str]:
    """Return the Markdown section of one case: its settings, directions and lemma checks."""
    out = [
        f"### {c.case.name}: {c.status}",
        "",
        f"- scheme `{c.case.scheme_label}` (n={c.n}, r={c.r}, k={c.k}), "
        f"α={c.case.alpha:g}, law {c.case.dist}, covariance {c.case.cov}, "
        f"noise {c.case.noise}"
        + ("" if c.case.only_patch is None else f", only patch {c.case.only_patch}")
        + f"; claim `{c.case.claim}`",
        f"- λ_min(M) = {c.lambda_min:.6g} ({c.certificate}), λ_max(M) = {c.lambda_max:.6g}",
        f"- a = {c.a:.6g}, β = {c.beta:.6g} ({c.beta_rule}), ρ = {c.rho:.6g} ({c.rho_rule})",
        _theory_line(c),
        f"- η = {c.eta:.6g}, T = {_fmt_T(c.T)}, iterations run = {c.iters_run}, "
        f"target ε = {c.case.eps:g}, δ = {c.case.delta:g}",
        f"- drift at w_1 = 0 (`lem-drift`, {DRIFT_SAMPLES} samples): max |z| = "
        f"{_fmt_opt(c.drift_max_z, '{:.3g}')}, relative error "
        f"{_fmt_opt(c.drift_rel_error, '{:.3g}')}",
    ]
    for d in c.directions:
        out.append(
            f"- teacher direction {d.name}: {d.fails}/{d.runs} runs missed ε, median "
            f"time to ε {_fmt_opt(d.median_iters_to_eps, '{:.4g}')}, T/median "
            f"{_fmt_opt(d.tightness, '{:.3g}')}"
            + (" (the worst)" if d is c.worst_direction else "")
        )
    if c.lemma_checks:
        passed, total = c.lemmas_passed
        out.append(
            f"- lemma checks: {passed}/{total} pass; smallest detectable relative "
            f"error (power 0.9): a {_fmt_pct(c.detectable('a'))}, β "
            f"{_fmt_pct(c.detectable('beta'))}, ρ {_fmt_pct(c.detectable('rho'))}"
        )
        out += [f"  - {chk.describe()}" for chk in c.lemma_checks]
    out.append(f"- {c.note}")
    if c.violations:
        out.append("- violated: " + "; ".join(c.violations))
    if c.quantiles is not None:
        out.append(f"- figure: ![{c.case.name}](fig-{c.case.name}.png)")
    out.append("")
    return out


def _fmt_lemmas(c: CaseResult) -> str:
    passed, total = c.lemmas_passed
    return f"{passed}/{total}" if total else "-"


def _fmt_pct(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    return f"{100 * v:.2g}%"


def _theory_line(c: CaseResult) -> str:
    """Return the line on where a case's ``β`` and ``T`` come from (Algorithm 1 or thm-precond)."""
    p: Any = c.params
    H = getattr(p, "H", None)
    if H is not None:  # a preconditioned case (convotron.glue.verify.precond)
        src = ("M̂⁻¹ from " + f"{p.plugin_samples} samples of the case's own seed, the theorem "
               "conditionally on M̂") if p.precondition == "plugin" else "M⁻¹"  # fmt: skip
        return (
            f"- preconditioned (thm-precond, [derived], not the paper's): H = {src}; "
            f"μ_H = {p.mu_H:.6g}, a = a_H = (1+α)μ_H/k, β = β_H, ρ = ρ_H (exact for this H), "
            f"cond(M) = {p.cond_M:.6g}; Algorithm 1's T on the same problem = "
            f"{_fmt_T(p.T_plain)} against T = {_fmt_T(c.T)}"
        )
    return (
        f"- before: best closed-form β = {c.beta_closed:.6g} "
        f"({p.beta_closed_rule}) gives T = {_fmt_T(c.T_closed)}; after: "
        f"β = {c.beta:.6g} ({c.beta_rule}) gives T = {_fmt_T(c.T)}"
        + (f"; {p.beta_note}" if p.beta_note else "")
    )


def _fmt_T(T: float) -> str:
    if not math.isfinite(T):
        return "inf"
    return f"{math.ceil(T):d}" if T < 1e6 else f"{T:.3g}"


def _fmt_opt(v: float | None, fmt: str) -> str:
    return "-" if v is None else fmt.format(v)


# ----------------------------------------------------------------------------- output


def _figure(result: CaseResult) -> Any:
    """Median and 10 %/90 % quantiles of ``‖w_t − w*‖²`` against the theorem's curve.

    Plain-text labels and tick labels (no mathtext) keep a figure at a fraction of a second.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter

    assert result.history_t is not None and result.quantiles is not None
    t = result.history_t
    q10, q50, q90 = result.quantiles
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    floor = 1e-12
    ax.fill_between(
        t, np.maximum(q10, floor), np.maximum(q90, floor), alpha=0.3, label="10%-90% of runs"
    )
    ax.plot(t, np.maximum(q50, floor), label="median of runs")
    if math.isfinite(result.T) and result.a > 0:
        curve = result.params.curve(t.astype(np.int64))
        pre = getattr(result.params, "H", None) is not None  # thm-precond's curve
        ax.plot(t, curve, "k--", label="thm-precond: λ_max(H)[(1 − ηa_H/2)^t Φ₁ + 2ηρ_H/a_H]"
                if pre else "theorem: (1 − ηa/2)^t ‖w*‖² + 2ηρ/a")  # fmt: skip
    ax.axhline(result.case.eps, color="tab:red", lw=0.8, ls=":", label="ε")
    ax.axhline(
        result.case.eps * result.case.delta,
        color="tab:gray",
        lw=0.8,
        ls=":",
        label="εδ (the curve's target at T, by Markov)",
    )
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=True))
    ax.set_xlabel("iteration t")
    ax.set_ylabel("‖w_t − w*‖²")
    ax.set_title(f"{result.case.name}: {result.status}", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.subplots_adjust(left=0.14, right=0.97, top=0.92, bottom=0.12)
    return fig


def write_report(
    report: Report, out: str | Path, *, figures: bool = True, lock: bool = True
) -> list[Path]:
    """Write ``report.md``, ``report.json`` and ``fig-<case>.png`` under ``out`` (atomically).

    ``out`` is created (with its parents) if missing; it must not be an existing file. Each
    file is written atomically, and with ``lock`` (the default) the whole set is written
    under an exclusive lock on the folder (:func:`convotron._io.locked_dir`), so that two
    runs writing to one folder cannot leave ``report.json`` of one and ``report.md`` of the
    other: the second is refused. ``convotron verify --out`` holds that lock for the whole
    run and passes ``lock=False``. Returns the paths written.
    """
    out_dir = check_out_dir(out)
    if not lock:
        return _write_files(report, out_dir, figures)
    with locked_dir(out_dir, what="--out folder"):
        return _write_files(report, out_dir, figures)


def _write_files(report: Report, out_dir: Path, figures: bool) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if figures:
        for c in report.cases:
            if c.quantiles is not None:
                written.append(save_figure(_figure(c), out_dir / f"fig-{c.case.name}.png"))
    written.append(atomic_write_json(out_dir / "report.json", _jsonable(report.to_json())))
    written.append(atomic_write_text(out_dir / "report.md", report.markdown()))
    return written


def _jsonable(obj: Any) -> Any:
    """Replace non-finite floats by ``None`` (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def check_out_dir(out: str | Path) -> Path:
    """Validate ``--out`` before any work (:func:`convotron._io.check_output_dir`).

    Refused: an existing file, a path under a file (``afile/sub``) or a device, a folder
    that cannot be written.
    """
    return check_output_dir(out, what="--out folder")
