r"""The verification suite: Convotron, run with the theorem's own step size and iteration count.

This is the glue behind ``convotron verify``. For every :class:`Case` (a patch scheme, an
activation slope ``α``, an input law, a covariance, a noise model, a target ``(ε, δ)``) it

1. asks :func:`convotron.glue.parameters.theorem_parameters` for the theorem's numbers: ``λ_min(M)``
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
   iterations with that ``η`` (:func:`convotron.learning.many.run_many`, seeds spawned from one
   :class:`numpy.random.SeedSequence`, so the outcome does not depend on the number of
   workers);
3. counts the runs that miss the target, ``‖w_{T+1} − w*‖² > ε``, and tests the failure
   fraction against ``δ`` with a one-sided exact binomial test;
4. tests the lemmas behind the theorem at their adversarial points, each against its exact
   value (:mod:`convotron.glue.verify.lemmas`, "Lemma checks" below).

The runs of a case are split over three teachers
(:data:`~convotron.glue.verify.suite.DIRECTIONS`): ``w*`` along the eigenvector of ``M`` with
the smallest eigenvalue (the hardest direction: the slowest mode of the mean drift), a random
direction and the top eigenvector, all of norm ``‖w*‖`` (for a repeated eigenvalue, the
canonical vector of its eigenspace of :func:`convotron.glue.directions.eigen_direction`, the
same on every processor). ``T``/median is reported per direction
and for the worst; the binomial test pools the runs (each run's failure probability is at most
``δ`` under the theorem, so the pooled count is stochastically below ``Binomial(N, δ)``). On
the quick suite the hardest direction is the worst in nearly every case, with ``T``/median
about 3 (against up to 77 for the top eigenvector).

Preconditioned cases (``convotron verify --precondition exact|plugin``,
:func:`preconditioned_cases`; thm-precond, this project's extension, **[derived]**, not the
paper's) run ``w ← w + η (y − f_w(x)) H Σᵢ Pᵢx`` with ``H = M⁻¹`` or a plug-in ``M̂⁻¹`` (one
per case, from its own seed; the theorem holds conditionally on it), with the preconditioned
theorem's ``η`` and ``T`` (:mod:`convotron.glue.verify.precond`) and the ``H`` analogues of
the lemma checks, plus the ``K_H`` quotient that sees ``β_H``. The three teacher directions
are the same; for ``H = M⁻¹`` the worst ``Φ₁ = w*ᵀMw*`` of a given norm is the *top*
eigenvector of ``M`` (``easiest`` above), so the directions cover the preconditioned worst
case too.

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

Lemma checks
------------
The (ε, δ) test sees a constant only through ``T``, which is about 3 times the runs' median
time to ε even in the hardest direction: an ``a`` 10 % too large or a ``ρ`` 10 % too small
passes it unseen. The lemma checks (:mod:`convotron.glue.verify.lemmas`) see them, because
three lemmas are equalities at the right point: progress along ``v_min``
(``E[ΔᵀG] = −(a/2)‖Δ‖²``, two-sided, sees ``a``), the noise moment at ``w = w*``
(``E‖G‖² = ρ``, two-sided, sees ``ρ``), the drift ``E[G | w] = ((1+α)/(2k)) M (w* − w)`` at
``v_min`` and at two points of a run (two-sided), and, for α = 1, the exact second moment.
L4 (``E‖G₀‖² ≤ β‖Δ‖²``) is an inequality and is tested one-sided at the top eigenvector of
``K``, at ``v_min`` and on the run: a ``β`` below the largest measured ``E‖G₀‖²/‖Δ‖²`` by
more than the case's detectable error fails. Each check reports the ratio Monte-Carlo value
/ lemma value with its confidence interval (the lemma's tightness at that point) and the
smallest relative error of its constant it detects with power 0.9. On the quick suite
(seed 0) those are 1.6-5.7 % for ``a``, 2.7-3.3 % for ``ρ`` and 3-6 % for ``β`` (21 % for
Student-t ν = 5, whose ``‖G‖²`` has no variance; the one-sided test is conservative there).
A failed lemma check FAILs the case.

Multiple testing
----------------
Bonferroni over the whole suite: each binomial test at ``s``; the lemma checks of the suite
share the family level :data:`~convotron.glue.verify.lemmas.LEMMA_FAMILY_LEVEL` (``1e-3``),
split equally (about 130 checks in the quick suite, each at about ``7.5e-6``); the α = 1
curve check at its own level ``1e-3`` for its whole curve. A correct implementation with
correct constants therefore FAILs some case of the quick suite with probability at most
``15 s + 2e-3 ≈ 1.7 %`` (the binomial tests counted at their worst case ``p = δ``, far above
their real rate). Every report states the rule with its numbers
(:meth:`~convotron.glue.verify.Report.multiple_testing`).

Limits
------
:func:`~convotron.glue.verify.suite.plan_suite` computes the theorem's numbers of every case
and checks every limit before the first run: the suite's own budget (``max_updates`` of the
mode, ``T × runs`` per case) and the core's per-run cost limit decide NOT RUN up front; too
many runs is an error. The runs go through :func:`convotron.learning.many.run_range` in chunks, so
the limit of one ``run_many`` call on the total work (meant against hostile input) does not
refuse the suite's own cases (it refused ``dl18-160-16-9`` of ``--full``).

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
which ``‖w_t − w*‖² ≤ ε`` (checked after every update by
:func:`convotron.learning.algorithm.convotron`); runs that never reach ``ε`` count as ``+∞`` (the
median is then reported as missing when more than half of the runs never reach ``ε``). ``tightness =
T / median_iters_to_eps``: how many times more iterations the theorem asks for than a typical run
needs.

Modules
-------
``convotron.glue.verify.cases`` (the cases and suites), ``convotron.glue.verify.stats``
(the binomial test), ``convotron.glue.verify.drift`` (the drift check and the kernel
floor), ``convotron.glue.verify.lemmas`` (the lemma checks), ``convotron.glue.verify.mse``
(the α = 1 curve), ``convotron.glue.verify.report`` (results, tables, files) and
``convotron.glue.verify.suite`` (planning and running a case and a suite). The names below are
re-exported here.
"""

from __future__ import annotations

from .cases import MODES, PRECONDITIONS, Case, default_cases, preconditioned_cases
from .drift import DRIFT_SAMPLES, DRIFT_Z_LIMIT, drift_at_start, kernel_floor
from .lemmas import LEMMA_FAMILY_LEVEL, LemmaCheck, lemma_checks
from .report import (
    STATUS_FAIL,
    STATUS_NOT_RUN,
    STATUS_PASS,
    STATUS_VIOLATED,
    CaseResult,
    DirectionResult,
    Report,
    check_out_dir,
    write_report,
)
from .stats import DEFAULT_SIGNIFICANCE, binomial_p_value, clopper_pearson_upper
from .suite import DIRECTIONS, PlannedCase, plan_suite, run_case, run_suite

__all__ = [
    "DEFAULT_SIGNIFICANCE",
    "DIRECTIONS",
    "DRIFT_SAMPLES",
    "DRIFT_Z_LIMIT",
    "LEMMA_FAMILY_LEVEL",
    "MODES",
    "PRECONDITIONS",
    "STATUS_FAIL",
    "STATUS_NOT_RUN",
    "STATUS_PASS",
    "STATUS_VIOLATED",
    "Case",
    "CaseResult",
    "DirectionResult",
    "LemmaCheck",
    "PlannedCase",
    "Report",
    "binomial_p_value",
    "check_out_dir",
    "clopper_pearson_upper",
    "default_cases",
    "drift_at_start",
    "kernel_floor",
    "lemma_checks",
    "plan_suite",
    "preconditioned_cases",
    "run_case",
    "run_suite",
    "write_report",
]
