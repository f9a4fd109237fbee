r"""The theorem's constants and bounds as objects.

Each quantity of the analysis (the chapters "The drift" and "The main theorem") is a
:class:`Bound`: a sympy expression in the symbols of :mod:`convotron_theory.notation`, a numeric
function built once from it (``sympy.lambdify``), the book label of the claim it belongs
to and its provenance. The book displays ``bound.latex()``, the very expression that the
tests evaluate with ``bound(**values)`` and substitute into with ``bound.subs(**values)``.

Provenance. The model, the algorithm and the fact that one fresh sample is used per
iteration are the paper's ([paper], Goel, Klivans and Meka, ICML 2018). Every constant
below is **[derived]**: the explicit-constant version of GKM18's main theorem proved in
this project's book (chapter "The main theorem"), not the paper's own constants (which hide
absolute constants in :math:`O(\cdot)`; none of them is silently set to 1 here).

The quantities [derived], with :math:`M = P\Sigma P^\top`, :math:`P = \sum_i P_i`. The drift
constant, the second-moment constant :math:`\beta` (by default the exact
:math:`\lambda_{\max}(K)` of lem-exact-k; closed-form upper bounds in lem-beta) and the noise
constant :math:`\rho` (:math:`= \varsigma^2 \operatorname{tr} M` for noise independent of
:math:`x`) are

.. math::

    a &= (1+\alpha)\,\lambda_{\min}(M)/k, \\
    \beta &\ge \tfrac1k \textstyle\sum_i
        \mathbb{E}[(u^\top P_i x)^2 \|Px\|^2]/\|u\|^2, \\
    \rho &= \mathbb{E}[\xi^2 \|Px\|^2].

In the realizable case the step and the iteration count are

.. math::

    \eta = \frac{a}{2\beta}, \qquad
    T \ge \frac{4\beta}{a^2}\ln\frac{\|w^*\|^2}{\epsilon\delta},

and in the noisy case

.. math::

    \eta &= \min\Bigl\{\frac{a}{2\beta},\ \frac{\epsilon\delta a}{4\rho}\Bigr\}, \\
    T &\ge \max\Bigl\{\frac{4\beta}{a^2},\ \frac{8\rho}{\epsilon\delta a^2}\Bigr\}
        \ln\frac{2\|w^*\|^2}{\epsilon\delta},

with :math:`T` rounded up to an integer and at least 1, and samples :math:`= T`. The
theorem's curve is :math:`(1-\eta a/2)^t \|w^*\|^2 + 2\eta\rho/a`.

Examples
--------
>>> from convotron_theory.bounds import ETA_REALIZABLE, A
>>> a_value = A(alpha=0, lambda_min=1, k=7)
>>> round(a_value, 6)
0.142857
>>> ETA_REALIZABLE(a=a_value, beta=54.0) == a_value / 108
True
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import log1p

from . import notation as N
from ._bound import Bound
from ._bound import _check_value as _check_value

__all__ = [
    "ALL_BOUNDS",
    "BETA_BOUNDED",
    "BETA_DEFAULT",
    "BETA_EXACT",
    "BETA_FOURTH",
    "BETA_GAUSSIAN",
    "BETA_GAUSSIAN_IDENTITY",
    "BETA_GAUSSIAN_STRIDE",
    "BETA_RULES",
    "DISJOINT_A",
    "DISJOINT_BETA",
    "DISJOINT_ETA",
    "DISJOINT_RHO",
    "DISJOINT_T",
    "ETA_NOISY",
    "ETA_REALIZABLE",
    "ONE_STEP_FACTOR",
    "ONE_STEP_FACTOR_BOUND",
    "RHO_GENERAL",
    "RHO_HETERO",
    "RHO_HETERO_GAUSSIAN",
    "RHO_INDEPENDENT",
    "SAMPLES",
    "THEOREM_CURVE",
    "T_1D_INSTANTIATED",
    "T_NOISY",
    "T_NOISY_CONTINUOUS",
    "T_REALIZABLE",
    "T_REALIZABLE_CONTINUOUS",
    "A",
    "Bound",
]


# --------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------
_DER = "[derived] explicit-constant version of GKM18's main theorem"


def _iterations(continuous: sp.Expr) -> sp.Expr:
    """Return the iteration count from its continuous form: rounded up, and at least 1."""
    return sp.Max(1, sp.ceiling(continuous))


_log_real = sp.log(N.w_norm**2 / (N.epsilon * N.delta))
_log_noisy = sp.log(2 * N.w_norm**2 / (N.epsilon * N.delta))

A = Bound(
    "a",
    "lem-progress",
    "[derived] drift constant: E[Δᵀ G | w] ≤ −(a/2)‖Δ‖² (Rayleigh quotient of M)",
    (1 + N.alpha) * N.lambda_min / N.k,
    "a",
    "Drift constant a = (1+α) λ_min(M)/k.",
)
BETA_GAUSSIAN = Bound(
    "beta_gaussian",
    "lem-beta",
    "[derived] admissible β for Gaussian x ~ N(0, Σ), by Isserlis' theorem",
    N.lambda_max_Sigma * (N.tr_M + 2 * N.lambda_max),
    r"\beta",
    "β for Gaussian inputs: λ_max(Σ)(tr M + 2 λ_max(M)).",
)
BETA_GAUSSIAN_IDENTITY = Bound(
    "beta_gaussian_identity",
    "lem-beta",
    "[derived] admissible β for x ~ N(0, I_n): the Gaussian form with Σ = I "
    "(tr M = tr PPᵀ, λ_max(M) = λ_max(PPᵀ)); an upper bound on λ_max(K)",
    N.tr_PPT + 2 * N.lambda_max_PPT,
    r"\beta",
    "β for standard Gaussian inputs: tr(PPᵀ) + 2 λ_max(PPᵀ).",
)
BETA_GAUSSIAN_STRIDE = Bound(
    "beta_gaussian_stride",
    "lem-beta",
    "[derived] admissible β for x ~ N(0, I_n) and a patch-and-stride scheme, where the k "
    "patches read distinct coordinates at each filter position so tr PPᵀ = rk (not for "
    "general index sets: tr PPᵀ can exceed rk)",
    N.r * N.k + 2 * N.lambda_max_PPT,
    r"\beta",
    "β for standard Gaussian inputs, patch-and-stride schemes only: rk + 2 λ_max(PPᵀ).",
)
BETA_EXACT = Bound(
    "beta_exact",
    "lem-exact-k",
    "[derived] the sharpest β of L4's proof: λ_max(K), K the exact second-moment matrix of "
    "x = Lz with iid standardised coordinates of kurtosis κ (convotron_theory.second_moment)",
    N.lambda_max_K,
    r"\beta",
    "β = λ_max(K), K = (1/k) Σ_i [tr(C) A_iA_iᵀ + 2 A_i C A_iᵀ + (κ − 3) A_i diag(C) A_iᵀ].",
)
BETA_BOUNDED = Bound(
    "beta_bounded",
    "lem-beta",
    "[derived] admissible β when ‖x‖ ≤ B almost surely",
    N.lambda_max_PPT * N.B**2 * N.lambda_max_Sigma,
    r"\beta",
    "β for bounded inputs: λ_max(PPᵀ) B² λ_max(Σ).",
)
BETA_FOURTH = Bound(
    "beta_fourth",
    "lem-beta",
    "[derived] admissible β when E‖x‖⁴ is finite (Cauchy-Schwarz)",
    N.lambda_max_PPT * N.E_x4,
    r"\beta",
    "β from the fourth moment: λ_max(PPᵀ) E‖x‖⁴.",
)
RHO_INDEPENDENT = Bound(
    "rho_independent",
    "lem-second-moment",
    "[derived] ρ = E[ξ²‖Px‖²] for noise independent of x with variance ς²",
    N.varsigma**2 * N.tr_M,
    r"\rho",
    "ρ for independent noise: ς² tr M.",
)
RHO_HETERO = Bound(
    "rho_hetero",
    "lem-second-moment",
    "[derived] ρ for heteroscedastic noise ξ = ς‖x‖g/√(tr Σ), g ~ N(0,1) independent: exact "
    "given E[‖x‖²‖Px‖²] (convotron_theory.second_moment.norm_product_moment)",
    N.varsigma**2 * N.E_x2_Px2 / N.tr_Sigma,
    r"\rho",
    "ρ for heteroscedastic noise: ς² E[‖x‖²‖Px‖²]/tr Σ.",
)
RHO_HETERO_GAUSSIAN = Bound(
    "rho_hetero_gaussian",
    "lem-second-moment",
    "[derived] ρ for heteroscedastic noise and Gaussian x ~ N(0, Σ), exact (Isserlis); for "
    "Σ = I it is ς²(n+2)/n · tr PPᵀ, which is not ς²(n+2)rk/n for general index sets",
    N.varsigma**2 * (N.tr_Sigma * N.tr_M + 2 * N.tr_PSigma2PT) / N.tr_Sigma,
    r"\rho",
    "ρ for heteroscedastic noise, Gaussian x: ς²(tr Σ tr M + 2 tr(PΣ²Pᵀ))/tr Σ.",
)
RHO_GENERAL = Bound(
    "rho_general",
    "lem-second-moment",
    "[derived] ρ = E[ξ²‖Px‖²], the general definition (E[ξ | x] = 0 only)",
    N.xi_moment,
    r"\rho",
    "ρ in general: E[ξ²‖Px‖²].",
)
ETA_REALIZABLE = Bound(
    "eta_realizable",
    "cor-realizable",
    _DER + " (realizable case, ρ = 0)",
    N.a / (2 * N.beta),
    r"\eta",
    "Step size in the realizable case: a/(2β).",
)
T_REALIZABLE_CONTINUOUS = Bound(
    "T_realizable_continuous",
    "cor-realizable",
    _DER + " (realizable case, before rounding up)",
    4 * N.beta / N.a**2 * _log_real,
    "T",
    "Iterations in the realizable case before rounding: (4β/a²) ln(‖w*‖²/(εδ)).",
)
T_REALIZABLE = Bound(
    "T_realizable",
    "cor-realizable",
    _DER + " (realizable case); T is rounded up to an integer and is at least 1",
    _iterations(T_REALIZABLE_CONTINUOUS.expr),
    "T",
    "Iterations in the realizable case: ⌈(4β/a²) ln(‖w*‖²/(εδ))⌉, at least 1.",
)
ETA_NOISY = Bound(
    "eta_noisy",
    "cor-noisy",
    _DER + " (noisy case); with ρ = 0 it equals a/(2β)",
    sp.Min(N.a / (2 * N.beta), N.epsilon * N.delta * N.a / (4 * N.rho)),
    r"\eta",
    "Step size in the noisy case: min{a/(2β), εδa/(4ρ)}.",
)
T_NOISY_CONTINUOUS = Bound(
    "T_noisy_continuous",
    "cor-noisy",
    _DER + " (noisy case, before rounding up)",
    sp.Max(4 * N.beta / N.a**2, 8 * N.rho / (N.epsilon * N.delta * N.a**2)) * _log_noisy,
    "T",
    "Iterations in the noisy case before rounding.",
)
T_NOISY = Bound(
    "T_noisy",
    "cor-noisy",
    _DER + " (noisy case); T is rounded up to an integer and is at least 1",
    _iterations(T_NOISY_CONTINUOUS.expr),
    "T",
    "Iterations in the noisy case: ⌈max{4β/a², 8ρ/(εδa²)} ln(2‖w*‖²/(εδ))⌉, at least 1.",
)
SAMPLES = Bound(
    "samples",
    "alg-convotron",
    "[paper] Algorithm 1 draws one fresh sample per iteration, so samples = T",
    N.T,
    "m",
    "Samples used: one per iteration.",
)
ONE_STEP_FACTOR = Bound(
    "one_step_factor",
    "lem-one-step",
    "[derived] L5: E‖Δ_{t+1}‖² ≤ (1 − ηa + η²β) E‖Δ_t‖² + η²ρ",
    1 - N.eta * N.a + N.eta**2 * N.beta,
    "q",
    "Contraction factor of one step.",
)
ONE_STEP_FACTOR_BOUND = Bound(
    "one_step_factor_bound",
    "lem-one-step",
    "[derived] L5: for 0 < η ≤ a/(2β) the factor is at most 1 − ηa/2",
    1 - N.eta * N.a / 2,
    "q",
    "Bound on the contraction factor for η ≤ a/(2β).",
)
THEOREM_CURVE = Bound(
    "theorem_curve",
    "thm-convotron",
    _DER + ": E‖w_{t+1} − w*‖² ≤ (1 − ηa/2)^t ‖w*‖² + 2ηρ/a",
    (1 - N.eta * N.a / 2) ** N.t * N.w_norm**2 + 2 * N.eta * N.rho / N.a,
    r"\mathbb{E}\|w_{t+1} - w^*\|^2",
    "The theorem's bound on the expected squared error after t iterations.",
    relation=r"\le",
    numeric_expr=sp.Piecewise(
        (sp.exp(N.t * log1p(-N.eta * N.a / 2)), N.eta * N.a / 2 < 1),
        ((1 - N.eta * N.a / 2) ** N.t, True),
    )
    * N.w_norm**2
    + 2 * N.eta * N.rho / N.a,
)
DISJOINT_BETA = Bound(
    "disjoint_beta",
    "thm-disjoint",
    "[derived] β_1 for the disjoint-patch variant, x ~ N(0, I_n)",
    N.r + 2 / N.k,
    r"\beta_1",
    "β_1 = r + 2/k.",
)
DISJOINT_RHO = Bound(
    "disjoint_rho",
    "thm-disjoint",
    "[derived] ρ_1 for the disjoint-patch variant with independent noise of variance ς²",
    N.varsigma**2 * N.r,
    r"\rho_1",
    "ρ_1 = ς² r.",
)
DISJOINT_A = Bound(
    "disjoint_a",
    "thm-disjoint",
    "[derived] a_1 for the disjoint-patch variant (the drift is ((1+α)/(2k))(w* − w))",
    (1 + N.alpha) / N.k,
    "a_1",
    "a_1 = (1+α)/k.",
)
DISJOINT_ETA = Bound(
    "disjoint_eta",
    "thm-disjoint",
    "[derived] η = a_1/(2β_1) for the disjoint-patch variant",
    sp.simplify(DISJOINT_A.expr / (2 * DISJOINT_BETA.expr)),
    r"\eta",
    "η = a_1/(2β_1) = (1+α)/(2(rk+2)).",
)
DISJOINT_T = Bound(
    "disjoint_T",
    "thm-disjoint",
    "[derived] T = ⌈4β_1k²/(1+α)² ln(‖w*‖²/(εδ))⌉ for the disjoint-patch variant (at least 1)",
    _iterations(4 * DISJOINT_BETA.expr * N.k**2 / (1 + N.alpha) ** 2 * _log_real),
    "T",
    "Iterations of the disjoint-patch variant, realizable case.",
)
T_1D_INSTANTIATED = Bound(
    "T_1d_instantiated",
    "cor-1d-instantiated",
    "[derived] instantiated bound: 1D patch-and-stride, x ~ N(0, I), k ≥ ⌈r/d⌉; "
    "upper bound on the realizable T before rounding",
    sp.Piecewise(
        (
            16 * N.k**3 * (N.r + 2 * sp.ceiling(N.r / N.d)) / (1 + N.alpha) ** 2 * _log_real,
            N.epsilon * N.delta < N.w_norm**2,
        ),
        (1, True),
    ),
    "T",
    "16 k³ (r + 2⌈r/d⌉)/(1+α)² ln(‖w*‖²/(εδ)) when εδ < ‖w*‖², else 1.",
    relation=r"\le",
)

#: Every bound of this module, by name.
ALL_BOUNDS: dict[str, Bound] = {
    b.name: b
    for b in (
        A,
        BETA_GAUSSIAN,
        BETA_GAUSSIAN_IDENTITY,
        BETA_GAUSSIAN_STRIDE,
        BETA_EXACT,
        BETA_BOUNDED,
        BETA_FOURTH,
        RHO_INDEPENDENT,
        RHO_HETERO,
        RHO_HETERO_GAUSSIAN,
        RHO_GENERAL,
        ETA_REALIZABLE,
        T_REALIZABLE_CONTINUOUS,
        T_REALIZABLE,
        ETA_NOISY,
        T_NOISY_CONTINUOUS,
        T_NOISY,
        SAMPLES,
        ONE_STEP_FACTOR,
        ONE_STEP_FACTOR_BOUND,
        THEOREM_CURVE,
        DISJOINT_BETA,
        DISJOINT_RHO,
        DISJOINT_A,
        DISJOINT_ETA,
        DISJOINT_T,
        T_1D_INSTANTIATED,
    )
}

#: The default β: the exact λ_max(K) (lem-exact-k); every other rule is an upper bound on it.
BETA_DEFAULT: Bound = BETA_EXACT

#: The admissible-β rules (lem-beta, lem-exact-k) and the quantities each needs.
BETA_RULES: dict[str, Bound] = {
    "exact": BETA_EXACT,
    "gaussian": BETA_GAUSSIAN,
    "gaussian-identity": BETA_GAUSSIAN_IDENTITY,
    "gaussian-stride": BETA_GAUSSIAN_STRIDE,
    "bounded": BETA_BOUNDED,
    "fourth-moment": BETA_FOURTH,
}
