r"""Preconditioned Convotron: an iteration count free of the input's condition number.

**Everything in this module is [derived]: an extension of this project's, not in GKM18.** The
paper's algorithm is :math:`H = I` below; the theorem for :math:`H = I` is this project's
explicit-constant version of GKM18's main theorem (thm-convotron), recovered exactly.

The update (alg-precond). For a fixed symmetric positive definite r×r matrix :math:`H`
(independent of the samples of the run),

.. math::

    G_t = (y_t - f_{w_t}(x_t))\,q_t, \quad q_t = Px_t = \textstyle\sum_i P_ix_t, \qquad
    w_{t+1} = w_t + \eta\,H G_t .

Notation: :math:`c = (1+\alpha)/(2k)`, :math:`\Delta = w - w^*`, :math:`M = P\Sigma P^\top`, the
potential :math:`\Phi(\Delta) = \Delta^\top H^{-1}\Delta`, and the constants

.. math::

    \mu_H &= \lambda_{\min}(H^{1/2}MH^{1/2}), \qquad a_H = 2c\,\mu_H = (1+\alpha)\mu_H/k, \\
    K_H &= \tfrac1k\textstyle\sum_i \mathbb{E}[(q^\top Hq)\,P_ix\,x^\top P_i^\top], \qquad
    \beta_H = \lambda_{\max}(H^{1/2}K_HH^{1/2}), \\
    \rho_H &= \mathbb{E}[\xi^2\,q^\top Hq].

:math:`\lambda(H^{1/2}XH^{1/2})` are the eigenvalues of :math:`HX` (similar matrices), i.e. the
generalised eigenvalues of :math:`(X, H^{-1})`; for :math:`H = M^{-1}`, :math:`\mu_H = 1` and
:math:`\beta_H = \lambda_{\max}(M^{-1/2}K_HM^{-1/2})`.

**One step (lem-precond-one-step).** Conditionally on :math:`w_t`,

.. math::

    \mathbb{E}[\Phi(\Delta_{t+1})] &= \Phi(\Delta_t) - 2\eta c\,\Delta_t^\top M\Delta_t
        + \eta^2\,\mathbb{E}[G^\top HG] \\
    &\le (1 - \eta a_H + \eta^2\beta_H)\,\Phi(\Delta_t) + \eta^2\rho_H .

*Proof.* :math:`\Phi(\Delta + \eta HG) = \Phi(\Delta) + 2\eta\Delta^\top H^{-1}HG
+ \eta^2G^\top HH^{-1}HG = \Phi(\Delta) + 2\eta\Delta^\top G + \eta^2G^\top HG`. The drift lemma
(symmetric :math:`x`, :math:`w_t` independent of the new sample) gives
:math:`\mathbb{E}[G\mid w_t] = -cM\Delta_t`. Write :math:`y - f_w = \xi + g`,
:math:`g = f_{w^*}(x) - f_w(x)`: :math:`G^\top HG = (\xi + g)^2\,q^\top Hq`; the cross term has
mean 0 (:math:`\mathbb{E}[\xi\mid x] = 0`), :math:`\xi^2q^\top Hq` has mean :math:`\rho_H`, and
as :math:`\sigma` is 1-Lipschitz and the square convex,
:math:`g^2 \le \frac1k\sum_i(\Delta^\top P_ix)^2`; since :math:`q^\top Hq \ge 0` (H ⪰ 0),
:math:`\mathbb{E}[g^2q^\top Hq] \le \Delta^\top K_H\Delta`. With :math:`\Delta = H^{1/2}v`:
:math:`\Delta^\top K_H\Delta = v^\top H^{1/2}K_HH^{1/2}v \le \beta_H\|v\|^2 = \beta_H\Phi` and
:math:`\Delta^\top M\Delta = v^\top H^{1/2}MH^{1/2}v \ge \mu_H\Phi` (Rayleigh quotients). ∎
For :math:`0 < \eta \le a_H/(2\beta_H)` the factor is at most :math:`1 - \eta a_H/2 \in [0, 1)`
(nonnegative: Cauchy-Schwarz in the :math:`H^{-1}` inner product on the noiseless update gives
:math:`c\,\Delta^\top M\Delta \le \Phi^{1/2}(\beta_H\Phi)^{1/2}`, so :math:`a_H^2 \le 4\beta_H`).

**Theorem (thm-precond).** With :math:`w_1 = 0`, :math:`\Phi_1 = w^{*\top}H^{-1}w^*`,
:math:`0 < \eta \le a_H/(2\beta_H)`:
:math:`\mathbb{E}\Phi(\Delta_{T+1}) \le (1 - \eta a_H/2)^T\Phi_1 + 2\eta\rho_H/a_H`. Since
:math:`\|\Delta\|^2 \le \lambda_{\max}(H)\Phi(\Delta)`, Markov's inequality gives
:math:`P[\|w_{T+1} - w^*\|^2 > \epsilon] \le \delta` for

* realizable (:math:`\rho_H = 0`): :math:`\eta = a_H/(2\beta_H)`,
  :math:`T \ge \frac{4\beta_H}{a_H^2}\ln\frac{\lambda_{\max}(H)\Phi_1}{\epsilon\delta}`;
* noisy: :math:`\eta = \min\{\frac{a_H}{2\beta_H},
  \frac{\epsilon\delta a_H}{4\rho_H\lambda_{\max}(H)}\}`,
  :math:`T \ge \max\{\frac{4\beta_H}{a_H^2}, \frac{8\rho_H\lambda_{\max}(H)}{\epsilon\delta a_H^2}\}
  \ln\frac{2\lambda_{\max}(H)\Phi_1}{\epsilon\delta}`.

With only :math:`\|w^*\|` known,
:math:`\lambda_{\max}(H)\Phi_1 \le \operatorname{cond}(H)\|w^*\|^2`.
For :math:`H = I` every formula is the one of thm-convotron / cor-realizable / cor-noisy.

**H = M⁻¹ (cor-precond-whitened).** :math:`\mu_H = 1`, :math:`a_H = (1+\alpha)/k`,
:math:`\eta = c/\beta_H`, :math:`T = \lceil\frac{4k^2\beta_H}{(1+\alpha)^2}
\ln\frac{\lambda_{\max}(M^{-1})\,w^{*\top}Mw^*}{\epsilon\delta}\rceil`; the condition number of
:math:`M` enters only through the logarithm (at most :math:`\ln\operatorname{cond}(M)`).

**Exact constants (lem-exact-kh).** For :math:`x = Lz` (iid coordinates of kurtosis κ),
:math:`A_i = P_iL`, :math:`B = PL`, :math:`C_H = B^\top HB`:
:math:`K_H = \frac1k\sum_iA_i[\operatorname{tr}(HM)I + 2C_H
+ (\kappa-3)\operatorname{diag}(C_H)]A_i^\top`;
:math:`\rho_H = \varsigma^2\operatorname{tr}(HM)` for noise independent of x of variance ς²;
:math:`\rho_H = \frac{\varsigma^2}{\operatorname{tr}\Sigma}\,\mathbb{E}[\|x\|^2q^\top Hq]` for the
heteroscedastic model :math:`\xi = \varsigma\|x\|g/\sqrt{\operatorname{tr}\Sigma}`.

**The whitened moments (lem-whitened).** For :math:`H = M^{-1}` (M invertible),
:math:`C_H = \Pi` is the orthogonal projector onto the row space of :math:`B` (rank r), so
:math:`\mathbb{E}[(q^\top M^{-1}q)\,qq^\top] = (r+2)M + (\kappa-3)B\operatorname{diag}(\Pi)B^\top`
(:math:`(r+2)M` for Gaussian inputs), and with :math:`\bar S = \frac1k\sum_iP_i\Sigma P_i^\top`,
:math:`\bar s = \lambda_{\max}(M^{-1/2}\bar SM^{-1/2})`:
:math:`(r - (3-\kappa)_+)\,\bar s \le \beta_{M^{-1}} \le (r + 2 + (\kappa-3)_+)\,\bar s` and
:math:`\beta_{M^{-1}} \ge \lambda_{\max}(M^{-1/2}\mathbb{E}[(q^\top M^{-1}q)qq^\top]M^{-1/2})/k^2`.

**Plug-in (thm-precond-plugin).** Let :math:`\hat M \succ 0` be independent of the run and let
the eigenvalues of :math:`S = \hat M^{-1/2}M\hat M^{-1/2}` lie in :math:`[\ell, u]`; put
:math:`H = \hat M^{-1}` and let :math:`\beta_*, \rho_*` be the constants of :math:`H_* = M^{-1}`.
Then :math:`\ell M^{-1} \preceq H \preceq uM^{-1}`, hence :math:`\mu_H \ge \ell`,
:math:`\beta_H \le u^2\beta_*`, :math:`\rho_H \le u\rho_*`,
:math:`\lambda_{\max}(H)\Phi_1(H) \le \frac u\ell\lambda_{\max}(M^{-1})\Phi_1(M^{-1})`: with
:math:`\eta = c\ell/(u^2\beta_*)` the iteration count of thm-precond is at most
:math:`(u/\ell)^2` times the whitened one (and its logarithm grows by :math:`\ln(u/\ell)`).
Sample counts for :math:`\hat M = \frac1m\sum_s q_sq_s^\top` (probability :math:`\ge 1 - \delta'`,
the run's failure probability adds, a union bound): Gaussian x, by the Davidson-Szarek
bound on the singular values of a Gaussian matrix (Vershynin 2012, Cor. 5.35),
:math:`[\ell, u] = [(1+\gamma)^{-2}, (1-\gamma)^{-2}]` with
:math:`\gamma = (\sqrt r + \sqrt{2\ln(2/\delta')})/\sqrt m < 1`; inputs with
:math:`\|M^{-1/2}q\|^2 \le R` almost surely, by the matrix Chernoff bound (Tropp 2012, Thm 1.1),
:math:`[\ell, u] = [(1+\gamma)^{-1}, (1-\gamma)^{-1}]` once
:math:`m \ge R\ln(2r/\delta')/((1+\gamma)\ln(1+\gamma) - \gamma)`. Other laws: the theorem holds
conditionally on the range :math:`[\ell, u]`, which is then not proved.

Examples
--------
>>> import numpy as np
>>> from convotron_theory.precondition import preconditioned_constants
>>> idx = [[2 * i + j for j in range(4)] for i in range(7)]       # 1d:16,4,2
>>> pc = preconditioned_constants(16, idx, "exact", cov="ar1:0.9")
>>> round(pc.beta_H, 4), round(pc.mu_H, 12), round(pc.cond_M)
(4.4205, 1.0, 1287)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla
import sympy as sp

from . import notation as N
from ._bound import Bound, _check_value
from ._errors import TheoryError
from ._precond_moments import Precond, check_H, overlap_float, preconditioned_moments, sympy_setup
from ._structured_sigma import noise_kind

__all__ = [
    "A_H",
    "A_WHITENED",
    "BETA_WHITENED_GAUSSIAN_UPPER",
    "ETA_PRECOND_NOISY",
    "ETA_PRECOND_REALIZABLE",
    "ONE_STEP_FACTOR_H",
    "PLUGIN_BETA",
    "PLUGIN_ETA",
    "PLUGIN_PRICE",
    "PLUGIN_SAMPLES_BOUNDED",
    "PLUGIN_SAMPLES_GAUSSIAN",
    "PRECOND_CURVE",
    "PRECOND_SYMBOLS",
    "T_PRECOND_NOISY",
    "T_PRECOND_REALIZABLE",
    "T_WHITENED",
    "PreconditionedConstants",
    "beta_preconditioned",
    "beta_preconditioned_exact",
    "overlap_float",
    "plugin_range",
    "plugin_range_gaussian",
    "plugin_samples",
    "precond_reference",
    "precondition_parameters",
    "preconditioned_constants",
    "preconditioned_second_moment_matrix",
    "preconditioned_second_moment_matrix_exact",
    "quartic_q_moment",
    "rho_preconditioned",
]

_DER = "[derived] preconditioned Convotron (this project's extension, not GKM18's)"

# --------------------------------------------------------------------------------------------
# Symbols (local: convotron_theory.notation holds the paper's analysis)
# --------------------------------------------------------------------------------------------
mu_H = sp.Symbol("mu_H", positive=True)  # λ_min(H^{1/2} M H^{1/2})
a_H = sp.Symbol("a_H", positive=True)  # (1+α) μ_H / k
beta_H = sp.Symbol("beta_H", positive=True)  # λ_max(H^{1/2} K_H H^{1/2})
rho_H = sp.Symbol("rho_H", nonnegative=True)  # E[ξ² qᵀHq]
lambda_H = sp.Symbol("lambda_H", positive=True)  # λ_max(H)
Phi_1 = sp.Symbol("Phi_1", positive=True)  # w*ᵀ H⁻¹ w*
beta_star = sp.Symbol("beta_star", positive=True)  # β_H at H = M⁻¹
s_bar = sp.Symbol("s_bar", positive=True)  # λ_max(M^{-1/2} S̄ M^{-1/2})
ell = sp.Symbol("ell", positive=True)  # lower end of λ(M̂^{-1/2} M M̂^{-1/2})
u_top = sp.Symbol("u", positive=True)  # upper end of λ(M̂^{-1/2} M M̂^{-1/2})
price = sp.Symbol("pi_H", positive=True)  # the admitted price (u/ℓ)² > 1
delta_plugin = sp.Symbol("delta_plugin", positive=True)  # failure probability of M̂
R_bound = sp.Symbol("R", positive=True)  # a.s. bound on ‖M^{-1/2} q‖²

#: The symbols of this module, by name (the keyword arguments of its Bound objects).
PRECOND_SYMBOLS: dict[str, sp.Symbol] = {
    s.name: s
    for s in (
        *(mu_H, a_H, beta_H, rho_H, lambda_H, Phi_1, beta_star, s_bar),
        *(ell, u_top, price, delta_plugin, R_bound),
    )
}


def _iterations(continuous: sp.Expr) -> sp.Expr:
    return sp.Max(1, sp.ceiling(continuous))


_log_real = sp.log(lambda_H * Phi_1 / (N.epsilon * N.delta))
_log_noisy = sp.log(2 * lambda_H * Phi_1 / (N.epsilon * N.delta))

A_H = Bound(
    "a_H",
    "lem-precond-one-step",
    _DER + ": drift constant in the H⁻¹ geometry, Δᵀ M Δ ≥ μ_H Φ(Δ)",
    (1 + N.alpha) * mu_H / N.k,
    "a_H",
    "a_H = (1+α) μ_H / k, μ_H = λ_min(H^{1/2} M H^{1/2}).",
)
ONE_STEP_FACTOR_H = Bound(
    "one_step_factor_H",
    "lem-precond-one-step",
    _DER + ": E Φ(Δ_{t+1}) ≤ (1 − η a_H + η² β_H) E Φ(Δ_t) + η² ρ_H",
    1 - N.eta * a_H + N.eta**2 * beta_H,
    "q_H",
    "Contraction factor of one preconditioned step.",
)
PRECOND_CURVE = Bound(
    "precond_curve",
    "thm-precond",
    _DER + ": E Φ(Δ_{t+1}) ≤ (1 − η a_H/2)^t Φ_1 + 2 η ρ_H / a_H",
    (1 - N.eta * a_H / 2) ** N.t * Phi_1 + 2 * N.eta * rho_H / a_H,
    r"\mathbb{E}\,\Phi(\Delta_{t+1})",
    "The preconditioned theorem's bound on the expected potential after t iterations.",
    relation=r"\le",
)
ETA_PRECOND_REALIZABLE = Bound(
    "eta_precond_realizable",
    "thm-precond",
    _DER + " (realizable case)",
    a_H / (2 * beta_H),
    r"\eta",
    "Step size: a_H/(2β_H).",
)
T_PRECOND_REALIZABLE = Bound(
    "T_precond_realizable",
    "thm-precond",
    _DER + " (realizable case); rounded up, at least 1",
    _iterations(4 * beta_H / a_H**2 * _log_real),
    "T",
    "Iterations: ⌈(4β_H/a_H²) ln(λ_max(H) Φ_1/(εδ))⌉.",
)
ETA_PRECOND_NOISY = Bound(
    "eta_precond_noisy",
    "thm-precond",
    _DER + " (noisy case)",
    sp.Min(a_H / (2 * beta_H), N.epsilon * N.delta * a_H / (4 * rho_H * lambda_H)),
    r"\eta",
    "Step size: min{a_H/(2β_H), εδ a_H/(4 ρ_H λ_max(H))}.",
)
T_PRECOND_NOISY = Bound(
    "T_precond_noisy",
    "thm-precond",
    _DER + " (noisy case); rounded up, at least 1",
    _iterations(
        sp.Max(4 * beta_H / a_H**2, 8 * rho_H * lambda_H / (N.epsilon * N.delta * a_H**2))
        * _log_noisy
    ),
    "T",
    "Iterations: ⌈max{4β_H/a_H², 8ρ_Hλ_max(H)/(εδa_H²)} ln(2λ_max(H)Φ_1/(εδ))⌉.",
)
A_WHITENED = Bound(
    "a_whitened",
    "cor-precond-whitened",
    _DER + ": H = M⁻¹ gives μ_H = 1",
    A_H.expr.subs(mu_H, 1),
    "a_H",
    "a_H = (1+α)/k for H = M⁻¹.",
)
T_WHITENED = Bound(
    "T_whitened",
    "cor-precond-whitened",
    _DER + ": H = M⁻¹, realizable; rounded up, at least 1",
    _iterations(4 * beta_H * N.k**2 / (1 + N.alpha) ** 2 * _log_real),
    "T",
    "Iterations for H = M⁻¹: ⌈4k²β_H/(1+α)² ln(λ_max(M⁻¹) w*ᵀMw*/(εδ))⌉.",
)
BETA_WHITENED_GAUSSIAN_UPPER = Bound(
    "beta_whitened_upper",
    "lem-whitened",
    _DER + ": β_{M⁻¹} ≤ (r + 2 + (κ − 3)_+) s̄, s̄ = λ_max(M^{-1/2} S̄ M^{-1/2})",
    (N.r + 2 + sp.Max(N.kappa - 3, 0)) * s_bar,
    r"\beta_{M^{-1}}",
    "Closed-form upper bound on β for H = M⁻¹.",
    relation=r"\le",
)
PLUGIN_BETA = Bound(
    "plugin_beta",
    "thm-precond-plugin",
    _DER + ": H = M̂⁻¹ with λ(M̂^{-1/2}MM̂^{-1/2}) ⊂ [ℓ, u] gives β_H ≤ u² β_*",
    u_top**2 * beta_star,
    r"\beta_H",
    "β_H ≤ u² β_* for the plug-in preconditioner.",
    relation=r"\le",
)
PLUGIN_ETA = Bound(
    "plugin_eta",
    "thm-precond-plugin",
    _DER + ": an admissible step for H = M̂⁻¹, realizable: c ℓ/(u² β_*) ≤ a_H/(2β_H)",
    (1 + N.alpha) * ell / (2 * N.k * u_top**2 * beta_star),
    r"\eta",
    "η = (1+α) ℓ / (2k u² β_*).",
)
PLUGIN_PRICE = Bound(
    "plugin_price",
    "thm-precond-plugin",
    _DER + ": the plug-in's iteration count is at most (u/ℓ)² times the whitened one's "
    "rate constant",
    (u_top / ell) ** 2,
    r"\pi_H",
    "The price of estimating M: (u/ℓ)².",
)
_gamma_gauss = (price ** sp.Rational(1, 4) - 1) / (price ** sp.Rational(1, 4) + 1)
PLUGIN_SAMPLES_GAUSSIAN = Bound(
    "plugin_samples_gaussian",
    "thm-precond-plugin",
    _DER + ": samples of M̂ for Gaussian x so that (u/ℓ)² ≤ π_H with probability 1 − δ' "
    "(Davidson-Szarek, Vershynin 2012 Cor. 5.35)",
    sp.ceiling(((sp.sqrt(N.r) + sp.sqrt(2 * sp.log(2 / delta_plugin))) / _gamma_gauss) ** 2),
    "m",
    "m = ⌈((√r + √(2 ln(2/δ')))/γ)²⌉, γ = (π^{1/4} − 1)/(π^{1/4} + 1).",
)
_gamma_bdd = (sp.sqrt(price) - 1) / (sp.sqrt(price) + 1)
PLUGIN_SAMPLES_BOUNDED = Bound(
    "plugin_samples_bounded",
    "thm-precond-plugin",
    _DER + ": samples of M̂ when ‖M^{-1/2}Px‖² ≤ R a.s. so that (u/ℓ)² ≤ π_H with probability "
    "1 − δ' (matrix Chernoff, Tropp 2012 Thm 1.1)",
    sp.ceiling(
        R_bound
        * sp.log(2 * N.r / delta_plugin)
        / ((1 + _gamma_bdd) * sp.log(1 + _gamma_bdd) - _gamma_bdd)
    ),
    "m",
    "m = ⌈R ln(2r/δ')/((1+γ)ln(1+γ) − γ)⌉, γ = (√π − 1)/(√π + 1).",
)


# --------------------------------------------------------------------------------------------
# Exact K_H, β_H, μ_H, ρ_H
# --------------------------------------------------------------------------------------------
def preconditioned_second_moment_matrix(
    n: int, indices: Any, H: Any = "exact", cov: Any = "identity", kappa: Any = 3
) -> np.ndarray:
    r"""Return the exact :math:`K_H` (r×r floats) of lem-exact-kh [derived].

    :math:`u^\top K_Hu = \frac1k\sum_i\mathbb{E}[(u^\top P_ix)^2\,q^\top Hq]`, :math:`q = Px`,
    for :math:`x = Lz` with iid standardised coordinates of kurtosis ``kappa``:
    :math:`K_H = \frac1k\sum_iA_i[\operatorname{tr}(HM)I + 2C_H
    + (\kappa-3)\operatorname{diag}(C_H)]A_i^\top`,
    :math:`C_H = L^\top P^\top HPL`. ``H = "identity"`` gives
    :func:`convotron_theory.second_moment.second_moment_matrix`.

    Parameters
    ----------
    n, indices, cov, kappa
        As in :func:`convotron_theory.second_moment.second_moment_matrix` (every covariance kind).
    H : (r, r) array, "exact" or "identity"
        The preconditioner (``"exact"``: :math:`M^{-1}`).
    """
    pc = Precond(n, indices, cov, kappa)
    Hm = check_H(H, pc.M, "preconditioned_second_moment_matrix")
    return np.asarray(preconditioned_moments(pc, Hm)["K_H"])


def quartic_q_moment(
    n: int, indices: Any, H: Any = "exact", cov: Any = "identity", kappa: Any = 3
) -> np.ndarray:
    r"""Exact :math:`\mathbb{E}[(q^\top Hq)\,qq^\top]`, :math:`q = Px` (r×r floats) [derived].

    :math:`\operatorname{tr}(HM)M + 2MHM + (\kappa-3)B\operatorname{diag}(C_H)B^\top`; for
    :math:`H = M^{-1}` and Gaussian x it is :math:`(r+2)M` (lem-whitened). For α = 1 the
    noiseless :math:`\mathbb{E}[G^\top HG] = \Delta^\top\mathbb{E}[(q^\top Hq)qq^\top]\Delta/k^2`
    exactly.
    """
    pc = Precond(n, indices, cov, kappa)
    Hm = check_H(H, pc.M, "quartic_q_moment")
    return np.asarray(preconditioned_moments(pc, Hm)["Q_H"])


def beta_preconditioned(K_H: Any, H: Any, *, H_inv: Any = None) -> float:
    r""":math:`\beta_H = \lambda_{\max}(H^{1/2}K_HH^{1/2})` (floats) [derived].

    The largest generalised eigenvalue of :math:`(K_H, H^{-1})`: with ``H_inv`` given
    (e.g. :math:`M` for :math:`H = M^{-1}`) it is solved as such (stable for ill-conditioned
    M); else through the Cholesky factor :math:`H = RR^\top` as :math:`\lambda_{\max}(R^\top
    K_HR)`. It is the smallest β with :math:`\Delta^\top K_H\Delta \le \beta\,\Delta^\top
    H^{-1}\Delta` for all Δ.
    """
    return float(_rel_eig(np.asarray(K_H, float), np.asarray(H, float), H_inv)[-1])


def _rel_eig(X: np.ndarray, H: np.ndarray, H_inv: Any) -> np.ndarray:
    if H_inv is not None:
        return np.asarray(sla.eigh(X, np.asarray(H_inv, float), eigvals_only=True))
    R = np.linalg.cholesky(H)
    Y = R.T @ X @ R
    return np.asarray(np.linalg.eigvalsh((Y + Y.T) / 2))


def rho_preconditioned(
    n: int,
    indices: Any,
    H: Any = "exact",
    cov: Any = "identity",
    kappa: Any = 3,
    noise: Any = None,
) -> float:
    r"""Exact :math:`\rho_H = \mathbb{E}[\xi^2q^\top Hq]` per noise model [derived].

    ``noise`` as in :func:`convotron_theory.second_moment.rho_exact`: independent noise of variance
    ς²
    gives :math:`\varsigma^2\operatorname{tr}(HM)`; ``("hetero", ς)`` gives
    :math:`\frac{\varsigma^2}{\operatorname{tr}\Sigma}[\operatorname{tr}\Sigma\operatorname{tr}(HM)
    + 2\operatorname{tr}(HP\Sigma^2P^\top) + (\kappa-3)\sum_jD_{jj}(C_H)_{jj}]`.
    """
    kind_noise, level = noise_kind(noise)
    if kind_noise == "none":
        return 0.0
    pc = Precond(n, indices, cov, kappa)
    Hm = check_H(H, pc.M, "rho_preconditioned")
    return _rho_from_moments(preconditioned_moments(pc, Hm), kind_noise, level)


def _rho_from_moments(mom: dict[str, Any], kind_noise: str, level: float) -> float:
    r""":math:`\rho_H` from :func:`preconditioned_moments` and ``noise_kind``'s ``(kind, ς)``."""
    if kind_noise == "none":
        return 0.0
    if kind_noise == "independent":
        return level**2 * float(mom["tr_HM"])
    return level**2 * float(mom["norm_H"]) / float(mom["tr_Sigma"])


def preconditioned_second_moment_matrix_exact(
    n: int, indices: Any, H: Any = "exact", Sigma: Any = None, kappa: Any = 3, L: Any = None
) -> sp.Matrix:
    r"""Exact :math:`K_H` in sympy (rational or symbolic κ, Σ, H) [derived].

    ``H``: a sympy-convertible r×r matrix, ``"exact"`` (:math:`M^{-1}`, exactly) or
    ``"identity"``. See :func:`preconditioned_second_moment_matrix`.
    """
    A, _, B, kap = sympy_setup(n, indices, Sigma, L, kappa)
    r = B.shape[0]
    M = B * B.T
    if isinstance(H, str) and H == "exact":
        Hm = M.inv()
    elif H is None or (isinstance(H, str) and H == "identity"):
        Hm = sp.eye(r)
    else:
        Hm = sp.Matrix(H)
        if Hm.shape != (r, r):
            raise TheoryError(f"H must be r x r = {r} x {r}; got shape {Hm.shape}.")
    C = B.T * Hm * B
    dC = sp.diag(*[C[j, j] for j in range(C.shape[0])])
    trC = C.trace()
    K = sp.zeros(r, r)
    for Ai in A:
        K += trC * Ai * Ai.T + 2 * Ai * C * Ai.T + (kap - 3) * Ai * dC * Ai.T
    return (K / len(A)).applyfunc(sp.simplify)


def beta_preconditioned_exact(K_H: sp.Matrix, H: sp.Matrix) -> sp.Expr:
    r"""Return :math:`\beta_H` exactly, as a sympy number [derived].

    The largest real root of the characteristic polynomial of :math:`HK_H`, whose eigenvalues
    are those of :math:`H^{1/2}K_HH^{1/2}`.
    """
    lam = sp.Symbol("lam")
    poly = sp.Poly((sp.Matrix(H) * sp.Matrix(K_H)).charpoly(lam).as_expr(), lam)
    return sp.Max(*sp.real_roots(poly))


@dataclass(frozen=True)
class PreconditionedConstants:
    r"""The exact constants of thm-precond for one problem and one H [derived].

    Attributes
    ----------
    H, M, K_H : ndarray
        The preconditioner, :math:`M = P\Sigma P^\top` and :math:`K_H` (r×r).
    mu_H, beta_H, rho_H : float
        :math:`\lambda_{\min}(H^{1/2}MH^{1/2})`, :math:`\lambda_{\max}(H^{1/2}K_HH^{1/2})`,
        :math:`\mathbb{E}[\xi^2q^\top Hq]`.
    lambda_max_H, cond_H, cond_M : float
        :math:`\lambda_{\max}(H)`, :math:`\operatorname{cond}(H)`, :math:`\operatorname{cond}(M)`.
    tr_HM : float
        :math:`\operatorname{tr}(HM) = \mathbb{E}[q^\top Hq]`.
    """

    H: np.ndarray
    M: np.ndarray
    K_H: np.ndarray
    mu_H: float
    beta_H: float
    rho_H: float
    lambda_max_H: float
    cond_H: float
    cond_M: float
    tr_HM: float

    def phi_1(self, w_star: Any) -> float:
        r""":math:`\Phi_1 = w^{*\top}H^{-1}w^*` (the potential at :math:`w_1 = 0`)."""
        w = np.asarray(w_star, dtype=float)
        return float(w @ np.linalg.solve(self.H, w))


def preconditioned_constants(
    n: int,
    indices: Any,
    H: Any = "exact",
    *,
    cov: Any = "identity",
    kappa: Any = 3,
    noise: Any = None,
) -> PreconditionedConstants:
    r"""Every exact constant of thm-precond for a problem and a preconditioner [derived].

    Parameters
    ----------
    n, indices, cov, kappa, noise
        As in :mod:`convotron_theory.second_moment` (every covariance kind, law and noise model).
    H : (r, r) array, "exact" or "identity"
        ``"exact"`` is :math:`M^{-1}`: then :math:`\mu_H = 1` exactly (cor-precond-whitened) and
        :math:`\beta_H` is solved as the generalised problem :math:`(K_H, M)`.
    """
    pc = Precond(n, indices, cov, kappa)
    Hm = check_H(H, pc.M, "preconditioned_constants")
    mom = preconditioned_moments(pc, Hm)
    exact = isinstance(H, str) and H == "exact"
    H_inv = pc.M if exact else None
    beta = float(_rel_eig(mom["K_H"], Hm, H_inv)[-1])
    mu = 1.0 if exact else float(_rel_eig(pc.M, Hm, None)[0])
    evH = np.linalg.eigvalsh(Hm)
    evM = np.linalg.eigvalsh(pc.M)
    rho = _rho_from_moments(mom, *noise_kind(noise))  # the moments above: not computed twice
    return PreconditionedConstants(
        H=Hm,
        M=pc.M,
        K_H=mom["K_H"],
        mu_H=mu,
        beta_H=beta,
        rho_H=float(rho),
        lambda_max_H=float(evH[-1]),
        cond_H=float(evH[-1] / evH[0]),
        cond_M=float(evM[-1] / evM[0]) if evM[0] > 0 else float("inf"),
        tr_HM=float(mom["tr_HM"]),
    )


# --------------------------------------------------------------------------------------------
# From the constants to η and T
# --------------------------------------------------------------------------------------------
def precondition_parameters(
    *,
    mu_H: float,
    beta_H: float,
    k: int,
    alpha: float,
    eps: float,
    delta: float,
    lambda_max_H: float,
    phi_1: float,
    rho_H: float = 0.0,
) -> dict[str, Any]:
    r"""η and T of thm-precond from its constants, through the Bound objects [derived].

    ``phi_1`` is :math:`\Phi_1 = w^{*\top}H^{-1}w^*` (or an upper bound: with only
    :math:`\|w^*\|` known, :math:`\|w^*\|^2/\lambda_{\min}(H)`). Realizable formulas when
    ``rho_H == 0``, noisy ones otherwise. The guarantee: :math:`P[\|w_{T+1} - w^*\|^2 >
    \epsilon] \le \delta`.

    Returns
    -------
    dict
        ``a_H, beta_H, rho_H, mu_H, eta, T, samples, realizable, eta_bound, T_bound,
        formulas`` and the inputs.
    """
    where = "precondition_parameters"
    _check_value(N.alpha, alpha, where)
    _check_value(N.k, k, where)
    _check_value(N.epsilon, eps, where)
    _check_value(N.delta, delta, where)
    for name, v in (
        ("mu_H", mu_H),
        ("beta_H", beta_H),
        ("lambda_H", lambda_max_H),
        ("Phi_1", phi_1),
        ("rho_H", rho_H),
    ):
        _check_value(PRECOND_SYMBOLS[name], v, where)
    a = A_H(alpha=alpha, mu_H=mu_H, k=k)
    realizable = float(rho_H) == 0.0
    common = {"a_H": a, "beta_H": beta_H, "epsilon": eps, "delta": delta}
    if realizable:
        eta_b, t_b = ETA_PRECOND_REALIZABLE, T_PRECOND_REALIZABLE
        eta = eta_b(a_H=a, beta_H=beta_H)
        T = t_b(lambda_H=lambda_max_H, Phi_1=phi_1, **common)
    else:
        eta_b, t_b = ETA_PRECOND_NOISY, T_PRECOND_NOISY
        eta = eta_b(rho_H=rho_H, lambda_H=lambda_max_H, **common)
        T = t_b(rho_H=rho_H, lambda_H=lambda_max_H, Phi_1=phi_1, **common)
    return {
        "a_H": a,
        "beta_H": float(beta_H),
        "rho_H": float(rho_H),
        "mu_H": float(mu_H),
        "eta": eta,
        "T": T,
        "samples": T,
        "realizable": realizable,
        "eta_bound": eta_b,
        "T_bound": t_b,
        "formulas": {"eta": eta_b.latex(), "T": t_b.latex()},
        "eps": float(eps),
        "delta": float(delta),
        "lambda_max_H": float(lambda_max_H),
        "phi_1": float(phi_1),
        "k": int(k),
        "alpha": float(alpha),
    }


# --------------------------------------------------------------------------------------------
# The plug-in preconditioner H = M̂⁻¹
# --------------------------------------------------------------------------------------------
def plugin_range(M: Any, M_hat: Any) -> tuple[float, float]:
    r"""Return :math:`(\ell, u)`, the extreme eigenvalues of :math:`\hat M^{-1/2}M\hat M^{-1/2}`.

    The generalised eigenvalues of :math:`(M, \hat M)`; thm-precond-plugin's price is
    :math:`(u/\ell)^2`.
    """
    ev = sla.eigh(np.asarray(M, float), np.asarray(M_hat, float), eigvals_only=True)
    return float(ev[0]), float(ev[-1])


def plugin_range_gaussian(r: int, m: int, delta_plugin: float) -> tuple[float, float]:
    r"""Return a range :math:`[\ell, u]` that holds w.p. :math:`\ge 1 - \delta'` (Gaussian x).

    :math:`\gamma = (\sqrt r + \sqrt{2\ln(2/\delta')})/\sqrt m`; :math:`[\ell, u] =
    [(1+\gamma)^{-2}, (1-\gamma)^{-2}]` (Davidson-Szarek, Vershynin 2012 Cor. 5.35).

    Raises
    ------
    TheoryError
        When :math:`\gamma \ge 1` (too few samples for the bound to say anything).
    """
    _check_value(N.r, r, "plugin_range_gaussian")
    _check_value(N.m, m, "plugin_range_gaussian")
    _check_value(PRECOND_SYMBOLS["delta_plugin"], delta_plugin, "plugin_range_gaussian")
    g = (np.sqrt(r) + np.sqrt(2 * np.log(2 / delta_plugin))) / np.sqrt(m)
    if not g < 1:
        need = int(np.floor((np.sqrt(r) + np.sqrt(2 * np.log(2 / delta_plugin))) ** 2)) + 1
        raise TheoryError(
            f"plugin_range_gaussian: m = {m} samples give gamma = {g:.3g} >= 1, so the bound "
            f"says nothing; the rule is sqrt(m) > sqrt(r) + sqrt(2 ln(2/delta')). Pass m >= {need}."
        )
    return float((1 + g) ** -2), float((1 - g) ** -2)


def plugin_samples(
    r: int, target_price: float, delta_plugin: float, *, R: float | None = None
) -> int:
    r"""Return a sample count for :math:`\hat M` with :math:`(u/\ell)^2 \le` ``target_price``.

    The count makes the price at most ``target_price`` with probability
    :math:`\ge 1 - \delta'` ([derived], thm-precond-plugin).

    Gaussian inputs (``R=None``): :data:`PLUGIN_SAMPLES_GAUSSIAN`; inputs with
    :math:`\|M^{-1/2}Px\|^2 \le R` almost surely (e.g. ``R = n`` for Rademacher, ``3n`` for
    uniform coordinates, as :math:`\|M^{-1/2}Px\|^2 = z^\top\Pi z \le \|z\|^2`):
    :data:`PLUGIN_SAMPLES_BOUNDED`. Sufficient, not necessary.
    """
    if isinstance(target_price, bool) or not float(target_price) > 1:
        raise TheoryError(
            f"plugin_samples: target_price (the admitted factor (u/ℓ)² on T) must be > 1; got "
            f"{target_price!r}. Pass e.g. 2."
        )
    if not 0 < float(delta_plugin) < 1:
        raise TheoryError(
            f"plugin_samples: delta_plugin must lie in (0, 1); got {delta_plugin!r}. "
            "Pass e.g. 0.01."
        )
    if R is None:
        return int(
            PLUGIN_SAMPLES_GAUSSIAN(r=r, pi_H=float(target_price), delta_plugin=delta_plugin)
        )
    return int(
        PLUGIN_SAMPLES_BOUNDED(r=r, pi_H=float(target_price), delta_plugin=delta_plugin, R=R)
    )


# --------------------------------------------------------------------------------------------
# The readable oracle of the update
# --------------------------------------------------------------------------------------------
def precond_reference(
    X: Any,
    y: Any,
    indices: Any,
    alpha: float,
    eta: float,
    H: Any,
    *,
    w1: Any = None,
) -> np.ndarray:
    r"""Run the preconditioned update (alg-precond) over the rows of ``X``, one by one [derived].

    :math:`w \leftarrow w + \eta\,(y - f_w(x))\,H\sum_iP_ix`, from :math:`w_1 = 0` (or ``w1``);
    a plain loop, the oracle the compiled loops are compared with. ``H = I`` is Algorithm 1.
    Returns the final filter.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    y = np.asarray(y, dtype=float)
    idx = np.asarray(indices, dtype=np.int64)
    Hm = np.asarray(H, dtype=float)
    w = np.zeros(idx.shape[1]) if w1 is None else np.array(w1, dtype=float)
    for x, target in zip(X, y, strict=True):
        pre = x[idx] @ w  # wᵀP_ix, one per patch
        f = float(np.mean(np.where(pre >= 0, pre, alpha * pre)))
        q = x[idx].sum(axis=0)  # Σ_i P_ix
        w = w + eta * (target - f) * (Hm @ q)
    return w
