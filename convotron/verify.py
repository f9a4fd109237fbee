r"""The verification suite: Convotron, run with the theorem's own step size and iteration count.

This is the glue behind ``convotron verify``. For every :class:`Case` (a patch scheme, an
activation slope ``α``, an input law, a covariance, a noise model, a target ``(ε, δ)``) it

1. asks :func:`convotron.bridge.theorem_parameters` for the theorem's numbers: ``λ_min(M)``
   and how it was certified, ``β``, ``ρ``, ``a = (1+α)λ_min/k``, the step size ``η`` and the
   iteration count ``T`` of the explicit-constant version of the paper's main theorem
   (label ``thm-convotron``, **[derived]**, ``../shared/spec/convotron-theory.md`` §4):

   .. math::

      T = \frac{4\beta k^2}{(1+\alpha)^2\lambda_{\min}^2}\,
          \ln\frac{\lVert w^*\rVert^2}{\varepsilon\delta}
      \quad\text{(realizable, } \eta = a/(2\beta)\text{)},

   and ``T = max{4β/a², 8ρ/(εδa²)} ln(2‖w*‖²/(εδ))`` with ``η = min{a/(2β), εδa/(4ρ)}`` with
   label noise (``cor-realizable``, ``cor-noisy``; both **[derived]**);
2. runs ``runs`` independent copies of Algorithm 1 (**[paper]**) for *exactly* ``T``
   iterations with that ``η`` (:func:`convotron.algorithm.run_many`, seeds spawned from one
   :class:`numpy.random.SeedSequence`, so the outcome does not depend on the number of
   workers);
3. counts the runs that miss the target, ``‖w_{T+1} − w*‖² > ε``, and tests the failure
   fraction against ``δ`` with a one-sided exact binomial test.

Statistics
----------
The theorem says ``P[‖w_{T+1} − w*‖² > ε] ≤ δ`` for every run. With ``F`` failures among
``N`` independent runs, the null hypothesis is ``H₀: p ≤ δ`` and the p-value is the exact
binomial tail ``P[Binomial(N, δ) ≥ F]`` (:func:`scipy.stats.binomtest`,
``alternative="greater"``), the largest tail over the whole null.

- **PASS**: the p-value is at least the significance level ``s`` (default ``1e-3``): the runs
  give no evidence that the failure probability exceeds ``δ``.
- **FAIL**: the p-value is below ``s``: at level ``s`` the failure probability exceeds ``δ``,
  so the theorem, its constants or the implementation is wrong for this case.

Why ``s = 1e-3``: a suite has about twenty cases, so even if every case sat exactly on the
boundary ``p = δ`` the probability of at least one false FAIL would be at most about 2 %
(Bonferroni); in fact the theorem's Markov step is loose and the observed failure fraction
is usually 0, far from the boundary. Power: with ``δ = 0.1`` and the ``N = 200`` runs of
``--quick``, a failure fraction of 0.2 (twice ``δ``) gives a p-value near ``2e-5`` (FAIL),
where ``N = 100`` would give ``2e-3`` (a miss); 0.3 gives ``4e-15``. The report also gives the
one-sided Clopper-Pearson upper bound of the failure probability at confidence ``1 − s``.

Negative controls (cases with ``control`` set) break an assumption on purpose (an
asymmetric input law; a scheme with ``λ_min(M) = 0``). They are reported as
**ASSUMPTION VIOLATED** with the behaviour observed, never as failures. When the theorem's
``T`` is infinite (``λ_min = 0``) a control runs a fixed diagnostic budget instead, with the
step ``η = a_max/(2β)``, ``a_max = (1+α)λ_max/k`` (the theorem's rule with ``λ_min`` replaced by
``λ_max``; its second-moment factor ``1 − η a_max + η²β`` is below 1), and the report
compares the final error with the floor ``Σ_j (u_jᵀ w*)²`` over an orthonormal basis ``u_j``
of the kernel of ``M``: updates ``η G_t`` lie in the range of ``P``, so the kernel part of
``w_t − w*`` never moves from ``−`` that of ``w*``.

Drift at the start
------------------
Every case also checks the drift identity ``lem-drift`` (L2, [derived]) at the start
``w_1 = 0``, where it reads ``E[G_1] = E[y Px] = ((1+α)/(2k)) M w*`` (with the disjoint-patch
variant along patch ``j``: ``E[y P_j x] = ((1+α)/(2k)) P_j Σ Pᵀ w*``). The mean of
``DRIFT_SAMPLES`` fresh updates is compared with it coordinate by coordinate: the report gives
the largest ``|z|`` (difference over its estimated standard error) and the relative error
``‖mean − predicted‖ / ‖predicted‖``. For a symmetric law the identity is exact, so ``|z|`` is
of order 1 (the suite's tests assert ``< 6``); it is a report, not part of PASS/FAIL, which
is the binomial test above. For the asymmetric negative control the identity is *false*
(the proof of L1 uses ``x ≐ −x``): the control reports how far the drift is from the
identity, which is what breaks, and whether the runs nevertheless reached ``ε`` (symmetry is
sufficient for the theorem, not necessary for convergence; see the ``assumptions`` experiment).

A case whose ``T × runs`` exceeds ``max_updates`` is **NOT RUN**, and its status says so with
the theory's ``T``: never silently fewer iterations than the theorem asks for.

Tightness
---------
``median_iters_to_eps`` is the median over runs of the first number of updates ``t`` after
which ``‖w_t − w*‖² ≤ ε`` (checked after every update by :func:`convotron.algorithm.convotron`);
runs that never reach ``ε`` count as ``+∞`` (the median is then reported as missing when
more than half of the runs never reach ``ε``). ``tightness = T / median_iters_to_eps``: how many
times more iterations the theorem asks for than a typical run needs.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import ConvotronError
from ._io import atomic_write_json, atomic_write_text, save_figure

__all__ = [
    "DEFAULT_SIGNIFICANCE",
    "DRIFT_SAMPLES",
    "DRIFT_Z_LIMIT",
    "MODES",
    "STATUS_FAIL",
    "STATUS_NOT_RUN",
    "STATUS_PASS",
    "STATUS_VIOLATED",
    "Case",
    "CaseResult",
    "Report",
    "binomial_p_value",
    "check_out_dir",
    "clopper_pearson_upper",
    "default_cases",
    "drift_at_start",
    "run_case",
    "run_suite",
    "theorem_curve",
    "write_report",
]

STATUS_PASS = "PASS"
STATUS_FAIL = "FAIL"
STATUS_VIOLATED = "ASSUMPTION VIOLATED"
STATUS_NOT_RUN = "NOT RUN"

#: Significance level of the one-sided binomial test (see the module docstring for why).
DEFAULT_SIGNIFICANCE = 1e-3

#: Suite sizes: the runs per case and the budget of updates (``T × runs``) per case.
MODES: dict[str, dict[str, float]] = {
    "quick": {"runs": 200, "max_updates": 5e7, "control_iters": 5_000},
    "default": {"runs": 500, "max_updates": 4e8, "control_iters": 20_000},
    "full": {"runs": 200, "max_updates": 1e8, "control_iters": 20_000},
}

#: Number of points recorded along each run (for the figures and the first-hit times).
RECORD_POINTS = 400

#: Fresh samples for the drift check at ``w_1 = 0`` (module docstring, "Drift at the start").
DRIFT_SAMPLES = 50_000

#: ``|z|`` above which the drift check reports the identity as failing: for a symmetric law
#: each coordinate's ``z`` is approximately standard normal, ``P[|N(0,1)| > 6] ≈ 2e-9``.
DRIFT_Z_LIMIT = 6.0


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One verification case: a problem and the target ``(ε, δ)``.

    Parameters
    ----------
    name : str
        Short unique name (letters, digits, ``-`` and ``_``); used for figure file names.
    scheme : str
        Patch scheme spec as accepted by :func:`convotron.patches.parse_spec`
        (``1d:N,R,STRIDE``, ``2d:H,W,PH,PW,SH,SW``, ...), or ``"indices"`` together with
        ``n`` and ``indices`` for an arbitrary index scheme.
    alpha : float
        Leaky ReLU slope ``α ∈ [0, 1]`` (0: ReLU, 1: linear).
    dist : str
        Input law name (:data:`convotron.data.LAWS`).
    cov : str
        Covariance spec (:func:`convotron.covariance.parse_cov`), e.g. ``"ar1:0.5"``.
    noise : str
        Noise spec (:func:`convotron.data.parse_noise`), e.g. ``"gaussian:0.2"``.
    eps, delta : float
        Target: ``P[‖w_{T+1} − w*‖² > ε] ≤ δ``.
    w_norm : float
        ``‖w*‖`` of the teacher (drawn uniformly on that sphere).
    only_patch : int or None
        Run the disjoint-patch variant along this patch (``thm-disjoint``).
    n : int or None
        Input dimension, only with ``scheme="indices"``.
    indices : tuple of tuple of int or None
        The ``(k, r)`` index array, only with ``scheme="indices"``.
    runs : int or None
        Runs for this case, overriding the suite's (used to keep the largest ``full`` cases
        within minutes); None: the suite's number.
    control : str or None
        For a negative control: which assumption the case breaks on purpose. Its status is
        ASSUMPTION VIOLATED, never FAIL.
    claim : str
        Book label of the claim the case checks: ``cor-realizable`` (the default: noiseless
        labels, the theorem's realizable η and T), ``cor-noisy``, ``thm-disjoint``, or
        ``thm-convotron`` for the negative controls, whose hypotheses fail.
    """

    name: str
    scheme: str
    alpha: float = 0.0
    dist: str = "gaussian"
    cov: str = "identity"
    noise: str = "0"
    eps: float = 0.01
    delta: float = 0.1
    w_norm: float = 1.0
    only_patch: int | None = None
    n: int | None = None
    indices: tuple[tuple[int, ...], ...] | None = None
    runs: int | None = None
    control: str | None = None
    claim: str = "cor-realizable"

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise ConvotronError(
                "case name must be non-empty and use only letters, digits, '-', '_' and '.'; "
                f"got {self.name!r}. Rename the case, e.g. 'my-case'."
            )
        if not (0.0 < self.eps and math.isfinite(self.eps)):
            raise ConvotronError(
                f"eps must be a finite number > 0; got {self.eps!r} in case {self.name!r}. "
                "Pass e.g. eps=0.01."
            )
        if not (0.0 < self.delta < 1.0):
            raise ConvotronError(
                f"delta must satisfy 0 < delta < 1; got {self.delta!r} in case {self.name!r}. "
                "Pass e.g. delta=0.1."
            )
        if self.runs is not None and (isinstance(self.runs, bool) or int(self.runs) < 1):
            raise ConvotronError(
                f"runs of a case must be None or an integer >= 1; got {self.runs!r} in case "
                f"{self.name!r}. Pass e.g. runs=20, or None for the suite's number."
            )
        if (self.scheme == "indices") != (self.indices is not None and self.n is not None):
            raise ConvotronError(
                "an arbitrary index scheme needs scheme='indices' together with n and indices; "
                f"got scheme={self.scheme!r}, n={self.n!r}, indices given: "
                f"{self.indices is not None} in case {self.name!r}. Pass all three, or a spec "
                "string such as '1d:16,4,2' without n and indices."
            )

    @property
    def scheme_label(self) -> str:
        """The scheme as one string: the spec, or ``indices:n=N,[[...],...]``."""
        if self.scheme != "indices":
            return self.scheme
        rows = ",".join("[" + ",".join(str(v) for v in row) + "]" for row in self.indices or ())
        return f"indices:n={self.n},[{rows}]"

    def build_scheme(self) -> Any:
        """Build the :class:`convotron.patches.PatchScheme` of the case."""
        from .patches import PatchScheme, parse_spec

        if self.scheme == "indices":
            return PatchScheme.from_indices(int(self.n or 0), np.asarray(self.indices, np.int64))
        return parse_spec(self.scheme)


def _disjoint_variant_indices() -> tuple[tuple[int, ...], ...]:
    """Patch 0 = coordinates 0..3, disjoint from three overlapping patches on 4..11."""
    return ((0, 1, 2, 3), (4, 5, 6, 7), (6, 7, 8, 9), (8, 9, 10, 11))


def default_cases(mode: str = "default") -> list[Case]:
    """Return the suite of ``convotron verify`` for ``mode`` (``quick``, ``default``, ``full``).

    ``quick`` and ``default`` have the same cases (they differ in the number of runs); the
    theorem's ``T`` of each was kept small by choice of scheme, since ``T`` grows like ``k³``
    (spec §5, instantiated bound). ``full`` adds larger schemes, among them the follow-up
    literature's ``n = 160, r = 16`` at strides 9, 12 and 16 (spec §6), and ``1d:64,8,2``
    whose ``T ≈ 3·10⁷`` is reported as NOT RUN unless the budget allows it. The cases with
    ``T`` in the millions get fewer runs (``Case.runs``, 20): about ``10⁵``-``10⁶`` updates per
    second at ``n = 160`` on these machines put 200 runs of ``T ≈ 2.7·10⁶`` beyond an hour.

    Noisy cases use ``ε = 0.1, δ = 0.2``: with noise ``T`` is linear in ``1/(εδ)``.
    """
    if mode not in MODES:
        raise ConvotronError(
            f"mode must be one of {sorted(MODES)}; got {mode!r}. Pass 'quick', 'default' or 'full'."
        )
    cases = [
        Case("1d-stride2-relu", "1d:16,4,2"),
        Case("1d-stride1-relu", "1d:6,3,1"),
        Case("1d-stride3-relu", "1d:10,4,3"),
        Case("1d-disjoint-relu", "1d:12,4,4"),
        Case("2d-overlap-relu", "2d:5,5,3,3,2,2"),
        Case("1d-ar1-relu", "1d:8,4,2", cov="ar1:0.5"),
        Case("rademacher-relu", "1d:8,4,2", dist="rademacher"),
        Case("uniform-relu", "1d:8,4,2", dist="uniform"),
        Case("mixture-relu", "1d:8,4,2", dist="mixture"),
        Case("student-t-relu", "1d:6,4,2", dist="student-t"),
        Case("1d-leaky-0.5", "1d:16,4,2", alpha=0.5),
        Case("1d-linear", "1d:8,4,2", alpha=1.0),
        Case(
            "noise-gaussian",
            "1d:8,4,2",
            noise="gaussian:0.2",
            eps=0.1,
            delta=0.2,
            claim="cor-noisy",
        ),
        Case("noise-hetero", "1d:8,4,2", noise="hetero:0.2", eps=0.1, delta=0.2, claim="cor-noisy"),
        Case(
            "disjoint-patch-variant",
            "indices",
            n=12,
            indices=_disjoint_variant_indices(),
            only_patch=0,
            claim="thm-disjoint",
        ),
        Case(
            "control-asymmetric",
            "1d:8,4,2",
            dist="exponential",
            control="input law 'exponential' is not symmetric (x and -x differ in law)",
            claim="thm-convotron",
        ),
        Case(
            "control-singular",
            "indices",
            n=2,
            indices=((0, 1), (1, 0)),
            control="lambda_min(M) = 0: patches [0,1] and [1,0] give P = [[1,1],[1,1]]",
            claim="thm-convotron",
        ),
    ]
    if mode == "full":
        cases += [
            Case("2d-stride1-relu", "2d:4,4,2,2,1,1"),
            Case("1d-32-8-4-relu", "1d:32,8,4"),
            Case("dl18-160-16-16", "1d:160,16,16"),
            Case("dl18-160-16-16-uniform", "1d:160,16,16", dist="uniform", runs=50),
            Case("dl18-160-16-12", "1d:160,16,12", runs=20),
            Case("dl18-160-16-9", "1d:160,16,9", runs=20),
            Case("1d-64-8-2-relu", "1d:64,8,2", runs=20),
        ]
    return cases


# ----------------------------------------------------------------------------- statistics


def binomial_p_value(fails: int, runs: int, delta: float) -> float:
    """One-sided exact binomial p-value of ``fails`` failures in ``runs`` against ``p ≤ δ``.

    ``P[Binomial(runs, δ) ≥ fails]`` (:func:`scipy.stats.binomtest`, ``alternative="greater"``).
    Small values are evidence that the failure probability exceeds ``δ``.
    """
    from scipy.stats import binomtest

    if runs < 1 or not 0 <= fails <= runs:
        raise ConvotronError(
            f"need 0 <= fails <= runs and runs >= 1; got fails={fails}, runs={runs}. "
            "Count the failures among at least one run."
        )
    return float(binomtest(int(fails), int(runs), float(delta), alternative="greater").pvalue)


def clopper_pearson_upper(fails: int, runs: int, confidence: float) -> float:
    """One-sided Clopper-Pearson upper confidence bound of a failure probability."""
    from scipy.stats import beta as beta_dist

    if fails >= runs:
        return 1.0
    return float(beta_dist.ppf(confidence, fails + 1, runs - fails))


def theorem_curve(t: np.ndarray, *, eta: float, a: float, rho: float, w_norm: float) -> np.ndarray:
    r"""Evaluate the theorem's bound on ``E‖w_{t+1} − w*‖²`` after ``t`` updates ([derived]).

    .. math:: (1 - \eta a/2)^t \lVert w^*\rVert^2 + 2\eta\rho/a
    """
    t = np.asarray(t, dtype=np.float64)
    return (1.0 - eta * a / 2.0) ** t * w_norm**2 + 2.0 * eta * rho / a


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one :class:`Case` (see :func:`run_case`).

    Attributes
    ----------
    case : Case
    n, r, k : int
    lambda_min, lambda_max : float
        Extreme eigenvalues of ``M = PΣPᵀ``.
    certificate : str
        How ``λ_min > 0`` was established (or refuted).
    a, beta, rho, eta : float
        Theorem constants; ``beta_rule`` and ``rho_rule`` name the admissible rule used.
    T : float
        The theorem's iteration count (``inf`` when ``λ_min = 0``).
    iters_run : int
        Iterations each run made: ``T`` (rounded up) unless a control ran a diagnostic budget;
        0 when NOT RUN.
    runs, fails : int
    fail_rate, p_value, ci_upper : float or None
    median_iters_to_eps, tightness : float or None
    status : str
        PASS, FAIL, ASSUMPTION VIOLATED or NOT RUN.
    note : str
        Human-readable explanation of the status (what was observed).
    violations : tuple of str
        The bridge's reasons why an assumption fails.
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
    """

    case: Case
    n: int
    r: int
    k: int
    lambda_min: float
    lambda_max: float
    certificate: str
    a: float
    beta: float
    beta_rule: str
    rho: float
    rho_rule: str
    eta: float
    T: float
    iters_run: int
    runs: int
    fails: int | None
    fail_rate: float | None
    p_value: float | None
    ci_upper: float | None
    median_iters_to_eps: float | None
    tightness: float | None
    status: str
    note: str
    violations: tuple[str, ...] = ()
    seconds: float = 0.0
    history_t: np.ndarray | None = field(default=None, repr=False)
    quantiles: np.ndarray | None = field(default=None, repr=False)
    w_norm_sq: float = 1.0
    drift_max_z: float | None = None
    drift_rel_error: float | None = None
    kernel_floor: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON dictionary (the ``cases`` entries of ``report.json``)."""
        c = self.case
        return {
            "name": c.name,
            "scheme": c.scheme_label,
            "alpha": c.alpha,
            "dist": c.dist,
            "cov": c.cov,
            "noise": c.noise,
            "only_patch": c.only_patch,
            "claim": c.claim,
            "control": c.control,
            "eps": c.eps,
            "delta": c.delta,
            "w_norm": c.w_norm,
            "n": self.n,
            "r": self.r,
            "k": self.k,
            "lambda_min": self.lambda_min,
            "lambda_max": self.lambda_max,
            "certificate": self.certificate,
            "a": self.a,
            "beta": self.beta,
            "beta_rule": self.beta_rule,
            "rho": self.rho,
            "rho_rule": self.rho_rule,
            "T": _json_T(self.T),
            "eta": self.eta,
            "iters_run": self.iters_run,
            "runs": self.runs,
            "fails": self.fails,
            "fail_rate": self.fail_rate,
            "p_value": self.p_value,
            "fail_rate_upper_bound": self.ci_upper,
            "median_iters_to_eps": self.median_iters_to_eps,
            "tightness": self.tightness,
            "drift_at_start": {
                "claim": "lem-drift",
                "samples": DRIFT_SAMPLES,
                "max_abs_z": self.drift_max_z,
                "rel_error": self.drift_rel_error,
            },
            "kernel_floor": self.kernel_floor,
            "status": self.status,
            "note": self.note,
            "violations": list(self.violations),
            "seconds": round(self.seconds, 3),
        }


def _json_T(T: float) -> int | None:
    return math.ceil(T) if math.isfinite(T) else None


@dataclass(frozen=True)
class Report:
    """The outcome of a suite (see :func:`run_suite`).

    Attributes
    ----------
    cases : tuple of CaseResult
    all_pass : bool
        No case has status FAIL (ASSUMPTION VIOLATED and NOT RUN are not failures).
    significance : float
    seed : int
    runs : int
    seconds : float
    """

    cases: tuple[CaseResult, ...]
    all_pass: bool
    significance: float
    seed: int
    runs: int
    seconds: float

    def counts(self) -> dict[str, int]:
        """Count the cases per status."""
        out = {s: 0 for s in (STATUS_PASS, STATUS_FAIL, STATUS_VIOLATED, STATUS_NOT_RUN)}
        for c in self.cases:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"cases": [...], "all_pass": bool, ...}`` as written to ``report.json``."""
        return {
            "cases": [c.to_json() for c in self.cases],
            "all_pass": self.all_pass,
            "counts": self.counts(),
            "significance": self.significance,
            "seed": self.seed,
            "runs": self.runs,
            "seconds": round(self.seconds, 3),
            "test": "one-sided exact binomial test of H0: P[|w_T+1 - w*|^2 > eps] <= delta",
        }

    def rows(self) -> list[list[str]]:
        """Table rows (header first), shared by :meth:`table` and :meth:`markdown`."""
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
            "drift |z|",
            "status",
        ]
        rows = [head]
        for c in self.cases:
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
                    _fmt_opt(c.drift_max_z, "{:.3g}"),
                    c.status,
                ]
            )
        return rows

    def table(self) -> str:
        """Plain-text table for the terminal, followed by the notes of non-PASS cases."""
        rows = self.rows()
        widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
        lines = [
            "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        for c in self.cases:
            if c.status != STATUS_PASS:
                lines.append(f"{c.case.name}: {c.status}: {c.note}")
        counts = self.counts()
        lines.append(
            f"{counts[STATUS_PASS]} PASS, {counts[STATUS_FAIL]} FAIL, "
            f"{counts[STATUS_VIOLATED]} ASSUMPTION VIOLATED, {counts[STATUS_NOT_RUN]} NOT RUN "
            f"in {self.seconds:.1f} s (significance {self.significance:g}, seed {self.seed}); "
            + ("all pass" if self.all_pass else "SOME CASES FAIL")
        )
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
            f"significance {self.significance:g}. The column `drift |z|` checks `lem-drift` at "
            f"`w_1 = 0` with {DRIFT_SAMPLES} fresh samples (largest |z| over coordinates; "
            "of order 1 when the identity holds).",
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
            out += [
                f"### {c.case.name}: {c.status}",
                "",
                f"- scheme `{c.case.scheme_label}` (n={c.n}, r={c.r}, k={c.k}), "
                f"α={c.case.alpha:g}, law {c.case.dist}, covariance {c.case.cov}, "
                f"noise {c.case.noise}"
                + ("" if c.case.only_patch is None else f", only patch {c.case.only_patch}")
                + f"; claim `{c.case.claim}`",
                f"- λ_min(M) = {c.lambda_min:.6g} ({c.certificate}), λ_max(M) = {c.lambda_max:.6g}",
                f"- a = {c.a:.6g}, β = {c.beta:.6g} ({c.beta_rule}), "
                f"ρ = {c.rho:.6g} ({c.rho_rule})",
                f"- η = {c.eta:.6g}, T = {_fmt_T(c.T)}, iterations run = {c.iters_run}, "
                f"target ε = {c.case.eps:g}, δ = {c.case.delta:g}",
                f"- drift at w_1 = 0 (`lem-drift`, {DRIFT_SAMPLES} samples): max |z| = "
                f"{_fmt_opt(c.drift_max_z, '{:.3g}')}, relative error "
                f"{_fmt_opt(c.drift_rel_error, '{:.3g}')}",
                f"- {c.note}",
            ]
            if c.violations:
                out.append("- violated: " + "; ".join(c.violations))
            if c.quantiles is not None:
                out.append(f"- figure: ![{c.case.name}](fig-{c.case.name}.png)")
            out.append("")
        return "\n".join(out)


def _fmt_T(T: float) -> str:
    if not math.isfinite(T):
        return "inf"
    return f"{math.ceil(T):d}" if T < 1e6 else f"{T:.3g}"


def _fmt_opt(v: float | None, fmt: str) -> str:
    return "-" if v is None else fmt.format(v)


# ----------------------------------------------------------------------------- running


def _describe_certificate(cert: Any) -> str:
    """Describe the bridge's certificate (a string or a certificate object) in a few words."""
    if cert is None:
        return "numeric"
    if isinstance(cert, str):
        return cert
    method = getattr(cert, "method", None)
    holds = getattr(cert, "holds", None)
    if method is not None:
        return f"exact ({method}{'' if holds is None else ', holds' if holds else ', fails'})"
    return str(cert)


def _case_seed(seed: int, name: str) -> np.random.SeedSequence:
    """Seed of one case: independent of the other cases and of their order."""
    return np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8"))])


def _kernel_floor(scheme: Any, cov: Any, w_star: np.ndarray, lambda_max: float) -> float:
    """``Σ_j (u_jᵀ w*)²`` over an orthonormal basis of the (numerical) kernel of ``M``."""
    M = np.asarray(scheme.overlap_matrix(cov), dtype=np.float64)
    vals, vecs = np.linalg.eigh(M)
    ker = vecs[:, vals <= 1e-9 * max(lambda_max, 1.0)]
    return float(np.sum((ker.T @ w_star) ** 2))


def drift_at_start(
    teacher: Any, rng: np.random.Generator, *, only_patch: int | None = None, m: int = DRIFT_SAMPLES
) -> tuple[float, float]:
    r"""Check ``lem-drift`` (L2, [derived]) at ``w_1 = 0`` by Monte Carlo.

    At ``w = 0`` the update is ``G = y Px`` (or ``y P_j x`` along patch ``j``), and L2 predicts
    ``E[G] = ((1+α)/(2k)) Q w*`` with ``Q = PΣPᵀ = M`` (or ``Q = P_j Σ Pᵀ``). This holds for a
    *symmetric* input law with ``E[ξ | x] = 0``; for an asymmetric law it generally fails.

    Returns
    -------
    max_abs_z : float
        ``max_a |mean_a − predicted_a| / SE_a`` over the ``r`` coordinates (``SE`` from the
        sample standard deviation of the ``m`` updates).
    rel_error : float
        ``‖mean − predicted‖ / ‖predicted‖``.
    """
    scheme, cov = teacher.scheme, teacher.cov
    w_star = np.asarray(teacher.w_star, dtype=np.float64)
    idx = np.asarray(scheme.indices)
    total = np.zeros(scheme.r)
    total_sq = np.zeros(scheme.r)
    done = 0
    while done < m:
        size = min(10_000, m - done)
        X, y = teacher.sample(rng, size)
        Xp = np.concatenate([X, np.zeros((X.shape[0], 1))], axis=1)  # index -1: a padded 0
        PX = Xp[:, idx[only_patch]] if only_patch is not None else Xp[:, idx].sum(axis=1)
        G = np.asarray(y, dtype=np.float64)[:, None] * PX
        total += G.sum(axis=0)
        total_sq += (G * G).sum(axis=0)
        done += size
    mean = total / m
    var = np.maximum(total_sq / m - mean**2, 0.0) * m / (m - 1)
    rows = idx[only_patch] if only_patch is not None else None
    if rows is None:
        Q = np.asarray(scheme.overlap_matrix(cov), dtype=np.float64)
    else:
        Q = np.zeros((scheme.r, scheme.r))
        for i in range(scheme.k):
            Q += np.asarray(cov.block(rows, idx[i]), dtype=np.float64)
    predicted = (1.0 + teacher.alpha) / (2.0 * scheme.k) * (Q @ w_star)
    se = np.sqrt(var / m)
    diff = np.abs(mean - predicted)
    z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff > 1e-12, np.inf, 0.0))
    rel = float(np.linalg.norm(mean - predicted) / max(float(np.linalg.norm(predicted)), 1e-300))
    return float(np.max(z)), rel


@dataclass(frozen=True)
class _Fallback:
    """Numbers of a negative control for which the bridge refused to compute the theorem's."""

    lambda_min: float
    lambda_max: float
    certificate: str
    a: float
    beta: float
    beta_rule: str
    rho: float
    rho_rule: str
    eta: float
    T: float
    applies: bool
    violations: tuple[str, ...]


def _fallback_parameters(scheme: Any, cov: Any, exc: Exception) -> _Fallback:
    """Eigenvalues of ``M`` and the Gaussian ``β = λ_max(Σ)(tr M + 2λ_max(M))`` ([derived]).

    Used only for a negative control whose hypotheses the bridge refuses (it raised
    ``exc``); ``T`` is then infinite and the control runs its diagnostic budget.
    """
    M = np.asarray(scheme.overlap_matrix(cov), dtype=np.float64)
    ev = np.linalg.eigvalsh(M)
    beta = float(cov.lambda_max()) * (float(np.trace(M)) + 2.0 * float(ev[-1]))
    return _Fallback(
        lambda_min=float(ev[0]),
        lambda_max=float(ev[-1]),
        certificate="numeric (bridge refused)",
        a=0.0,
        beta=beta,
        beta_rule="gaussian (fallback for the diagnostic run)",
        rho=0.0,
        rho_rule="none",
        eta=0.0,
        T=math.inf,
        applies=False,
        violations=(str(exc),),
    )


def run_case(
    case: Case,
    *,
    runs: int,
    seed: int = 0,
    workers: int = 2,
    significance: float = DEFAULT_SIGNIFICANCE,
    max_updates: float | None = None,
    control_iters: int = 20_000,
) -> CaseResult:
    """Run one case: theory numbers, ``runs`` runs of exactly ``T`` iterations, the test.

    Parameters
    ----------
    case : Case
    runs : int
        Independent runs (seeds spawned from ``SeedSequence([seed, crc32(case.name)])``).
    seed : int
    workers : int
        Threads for :func:`convotron.algorithm.run_many`; the result does not depend on it.
    significance : float
        Level of the one-sided binomial test (module docstring).
    max_updates : float or None
        Skip (status NOT RUN) a case whose ``T × runs`` exceeds it; ``None``: no limit.
    control_iters : int
        Diagnostic iterations of a negative control whose ``T`` is infinite.

    Returns
    -------
    CaseResult
    """
    from .algorithm import run_many
    from .bridge import theorem_parameters
    from .covariance import parse_cov
    from .data import Teacher, get_law, parse_noise

    t0 = time.perf_counter()
    scheme = case.build_scheme()
    law = get_law(case.dist)
    cov = parse_cov(case.cov, scheme.n)
    noise = parse_noise(case.noise)
    try:
        tp: Any = theorem_parameters(
            scheme,
            case.alpha,
            law,
            cov,
            noise,
            case.eps,
            case.delta,
            case.w_norm,
            only_patch=case.only_patch,
        )
    except (ConvotronError, ValueError) as exc:
        if case.control is None:
            raise
        tp = _fallback_parameters(scheme, cov, exc)
    violations = tuple(str(v) for v in (getattr(tp, "violations", None) or ()))
    applies = bool(getattr(tp, "applies", not violations))
    lam_min, lam_max = float(tp.lambda_min), float(tp.lambda_max)
    a, beta, rho = float(tp.a), float(tp.beta), float(tp.rho)
    eta, T = float(tp.eta), float(tp.T)
    common: dict[str, Any] = dict(
        case=case,
        n=int(scheme.n),
        r=int(scheme.r),
        k=int(scheme.k),
        lambda_min=lam_min,
        lambda_max=lam_max,
        certificate=_describe_certificate(getattr(tp, "certificate", None)),
        a=a,
        beta=beta,
        beta_rule=str(getattr(tp, "beta_rule", "")),
        rho=rho,
        rho_rule=str(getattr(tp, "rho_rule", "")),
        violations=violations,
    )

    def _without_runs(status: str, note: str) -> CaseResult:
        """Return a result with the theory's numbers only (no run was made)."""
        return CaseResult(
            **common,
            eta=eta,
            T=T,
            iters_run=0,
            runs=0,
            fails=None,
            fail_rate=None,
            p_value=None,
            ci_upper=None,
            median_iters_to_eps=None,
            tightness=None,
            status=status,
            note=note,
            seconds=time.perf_counter() - t0,
        )

    finite_theory = math.isfinite(T) and T >= 1 and math.isfinite(eta) and eta > 0
    if finite_theory:
        iters = math.ceil(T)
        run_eta = eta
    elif case.control is not None:
        iters = int(control_iters)
        a_max = (1.0 + case.alpha) * lam_max / scheme.k
        run_eta = a_max / (2.0 * beta)
    else:
        return _without_runs(
            STATUS_FAIL,
            f"the theorem gives no finite T (T={T}, eta={eta}) although the case expects it "
            "to apply: " + ("; ".join(violations) or "no reason given by the bridge"),
        )

    if max_updates is not None and iters * runs > max_updates:
        return _without_runs(
            STATUS_NOT_RUN,
            f"NOT RUN: the theorem's T = {iters} iterations x {runs} runs = "
            f"{iters * runs:.3g} updates exceeds this mode's budget of {max_updates:.3g} "
            "updates; the theory numbers above are exact, the runs were not made "
            "(raise the budget with --max-updates to run them)",
        )

    ss = _case_seed(seed, case.name)
    teacher_ss, runs_ss, drift_ss = ss.spawn(3)  # the first two as with spawn(2)
    teacher = Teacher.random(
        scheme,
        case.alpha,
        np.random.default_rng(teacher_ss),
        law=law,
        cov=cov,
        noise=noise,
        w_norm=case.w_norm,
    )
    w_star = np.asarray(teacher.w_star, dtype=np.float64)
    w_norm_sq = float(w_star @ w_star)
    drift_z, drift_rel = drift_at_start(
        teacher, np.random.default_rng(drift_ss), only_patch=case.only_patch
    )
    drift_text = (
        f"drift at w_1 = 0 against lem-drift ((1+alpha)/(2k)) M w*: relative error "
        f"{drift_rel:.3g}, max |z| = {drift_z:.3g} over {scheme.r} coordinates "
        f"({DRIFT_SAMPLES} samples)"
    )
    record_every = max(1, math.ceil(iters / RECORD_POINTS))
    many = run_many(
        teacher,
        eta=run_eta,
        iters=iters,
        runs=runs,
        seed=int(runs_ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)),  # >= 0
        workers=workers,
        only_patch=case.only_patch,
        record_every=record_every,
        eps=case.eps,
    )
    final = np.asarray(many.final_sq_errors, dtype=np.float64)
    fails = int(np.count_nonzero(~(final <= case.eps)))  # non-finite counts as a failure
    fail_rate = fails / runs
    p_value = binomial_p_value(fails, runs, case.delta)
    ci_upper = clopper_pearson_upper(fails, runs, 1.0 - significance)
    hits = np.asarray(many.first_hits, dtype=np.float64)
    hits = np.where(hits < 0, np.inf, hits)
    med = float(np.median(hits))
    median_iters = med if math.isfinite(med) else None
    tightness = iters / median_iters if median_iters else None
    history_t = quantiles = None
    if many.histories is not None and many.history_t is not None:
        history_t = np.asarray(many.history_t, dtype=np.float64)
        quantiles = np.quantile(
            np.asarray(many.histories, dtype=np.float64), [0.1, 0.5, 0.9], axis=0
        )

    observed = (
        f"{fails}/{runs} runs ended with |w - w*|^2 > eps={case.eps:g} "
        f"(fail rate {fail_rate:.3f}, one-sided binomial p = {p_value:.3g} against "
        f"delta={case.delta:g}; {100 * (1 - significance):g}% upper bound {ci_upper:.3f}); "
        f"median final error {float(np.median(final)):.3g}"
    )
    kernel_floor = None
    if case.control is not None or not applies:
        if not finite_theory:
            floor = kernel_floor = _kernel_floor(scheme, cov, w_star, lam_max)
            observed = (
                f"the theorem gives T = inf; ran a diagnostic {iters} iterations at "
                f"eta = a_max/(2 beta) = {run_eta:.3g}: " + observed + f"; minimum final error "
                f"{float(np.min(final)):.3g} against the predicted floor (kernel part of w*) "
                f"{floor:.3g}"
            )
        reason = case.control or "; ".join(violations)
        if case.control is not None and applies:
            status = STATUS_FAIL
            note = (
                f"negative control expected an assumption to fail ({reason}) but the bridge "
                "reports that the theorem applies; " + observed
            )
        elif case.control is None:
            status = STATUS_FAIL
            note = (
                "the case expects the theorem to apply but the bridge reports: "
                + "; ".join(violations)
                + "; "
                + observed
            )
        else:
            status = STATUS_VIOLATED
            broken = "the identity FAILS: " if drift_z > DRIFT_Z_LIMIT else "the identity holds: "
            reached = int(np.count_nonzero(final <= case.eps))
            note = (
                f"assumption violated on purpose ({reason}); observed: {broken}{drift_text}; "
                f"{observed}"
                + (
                    f"; {reached}/{runs} runs nevertheless reached eps (symmetry is sufficient "
                    "for the theorem, not necessary for convergence)"
                    if finite_theory and reached
                    else ""
                )
            )
    else:
        status = STATUS_PASS if p_value >= significance else STATUS_FAIL
        verdict = (
            "consistent with the theorem"
            if status == STATUS_PASS
            else f"the failure probability exceeds delta at significance {significance:g}"
        )
        tight = "" if tightness is None else f"; T is {tightness:.3g}x the median time to eps"
        note = f"{verdict}: {observed}{tight}; {drift_text}"

    return CaseResult(
        **common,
        eta=run_eta,
        T=T,
        iters_run=iters,
        runs=runs,
        fails=fails,
        fail_rate=fail_rate,
        p_value=p_value,
        ci_upper=ci_upper,
        median_iters_to_eps=median_iters,
        tightness=tightness,
        status=status,
        note=note,
        seconds=time.perf_counter() - t0,
        history_t=history_t,
        quantiles=quantiles,
        w_norm_sq=w_norm_sq,
        drift_max_z=drift_z,
        drift_rel_error=drift_rel,
        kernel_floor=kernel_floor,
    )


def run_suite(
    cases: Iterable[Case],
    *,
    runs: int = 100,
    seed: int = 0,
    workers: int = 2,
    significance: float = DEFAULT_SIGNIFICANCE,
    max_updates: float | None = None,
    control_iters: int = 20_000,
    progress: bool = False,
) -> Report:
    """Run every case (see :func:`run_case`) and collect a :class:`Report`.

    Parameters
    ----------
    cases : iterable of Case
        E.g. :func:`default_cases` ``("quick")``. Names must be unique.
    runs : int
        Independent runs per case (``>= 1``).
    seed : int
        Master seed; each case derives its own from it and its name.
    workers : int
        Threads per case (``>= 1``); results do not depend on it.
    significance : float
        Level of the one-sided binomial test, in ``(0, 1)``.
    max_updates : float or None
        Budget of ``T × runs`` per case; larger cases are NOT RUN (and say so).
    control_iters : int
        Diagnostic iterations of a negative control whose ``T`` is infinite.
    progress : bool
        Show a progress bar over the cases (on stderr).

    Returns
    -------
    Report
        ``all_pass`` is false exactly when some case has status FAIL.
    """
    cases = list(cases)
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise ConvotronError(
            f"runs (--seeds) must be an integer >= 1; got {runs!r}. "
            "Pass the number of independent runs per case, e.g. 100."
        )
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise ConvotronError(
            f"workers must be an integer >= 1; got {workers!r}. Pass e.g. 2 (one per core)."
        )
    if not (0.0 < significance < 1.0):
        raise ConvotronError(
            f"significance must satisfy 0 < significance < 1; got {significance!r}. "
            "Pass e.g. 0.001."
        )
    if not cases:
        raise ConvotronError(
            "the suite has no cases; got an empty list. Pass default_cases('quick') or your own."
        )
    names = [c.name for c in cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConvotronError(
            f"case names must be unique; got duplicates {dupes}. Rename the repeated cases."
        )
    t0 = time.perf_counter()
    results: list[CaseResult] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(cases), desc="verify", unit="case", leave=False)
    try:
        for case in cases:
            if bar is not None:
                bar.set_postfix_str(case.name)
            results.append(
                run_case(
                    case,
                    runs=int(runs if case.runs is None else case.runs),
                    seed=seed,
                    workers=int(workers),
                    significance=significance,
                    max_updates=max_updates,
                    control_iters=control_iters,
                )
            )
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return Report(
        cases=tuple(results),
        all_pass=all(r.status != STATUS_FAIL for r in results),
        significance=significance,
        seed=int(seed),
        runs=int(runs),
        seconds=time.perf_counter() - t0,
    )


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
        curve = theorem_curve(
            t, eta=result.eta, a=result.a, rho=result.rho, w_norm=math.sqrt(result.w_norm_sq)
        )
        ax.plot(t, curve, "k--", label="theorem: (1 − ηa/2)^t ‖w*‖² + 2ηρ/a")
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


def write_report(report: Report, out: str | Path, *, figures: bool = True) -> list[Path]:
    """Write ``report.md``, ``report.json`` and ``fig-<case>.png`` under ``out`` (atomically).

    ``out`` is created (with its parents) if missing; it must not be an existing file.
    Returns the paths written.
    """
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConvotronError(
            f"--out must be a folder; got {str(out_dir)!r}, which is a file. "
            "Pass a folder path, e.g. build/verify."
        )
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
    """Validate ``--out`` before any work: an existing file, or a missing parent, is refused."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ConvotronError(
            f"--out must be a folder; got {str(p)!r}, which is a file. "
            "Pass a folder path, e.g. build/verify."
        )
    return p
