r"""Notation: the sympy symbols of the analysis, with their assumptions, in one place.

Every module of :mod:`convotron_theory`, the tests and the book use these symbols, so that an
expression built in :mod:`convotron_theory.bounds` is the very expression the book displays and the
tests evaluate. Names follow Goel, Klivans and Meka, *Learning One Convolutional Layer with
Overlapping Patches* (ICML 2018) and ``shared/spec/convotron-theory.md`` §1-5.

Assumptions that sympy can hold (positivity, integrality) are attached to the symbols;
range constraints that it cannot (``alpha <= 1``, ``delta <= 1``) are stated in
:data:`NOTATION` and validated where numbers enter
(:func:`convotron_theory.instantiate.theorem_parameters`).

The model [paper]: input :math:`x \in \mathbb{R}^n`, patch operators
:math:`P_1, \dots, P_k \in \{0,1\}^{r \times n}`, shared filter :math:`w \in \mathbb{R}^r`,
leaky ReLU :math:`\sigma` with slope :math:`\alpha \in [0, 1]`,
:math:`f_w(x) = \frac1k \sum_i \sigma(w^\top P_i x)`.
The analysis [derived]: :math:`P = \sum_i P_i`, :math:`M = P \Sigma P^\top`,
:math:`a = (1+\alpha)\lambda_{\min}(M)/k`, :math:`\beta`, :math:`\rho` as in
:mod:`convotron_theory.bounds`.

Examples
--------
>>> from convotron_theory.notation import alpha, k, lambda_min, latex
>>> latex((1 + alpha) * lambda_min / k)
'\\frac{\\lambda_{\\min} \\left(\\alpha + 1\\right)}{k}'
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = [
    "LATEX_NAMES",
    "NOTATION",
    "OBJECTS",
    "SYMBOLS",
    "B",
    "E_x2_Px2",
    "E_x4",
    "M",
    "NotationEntry",
    "ObjectEntry",
    "P",
    "P_i",
    "Sigma",
    "T",
    "a",
    "alpha",
    "beta",
    "d",
    "d1",
    "d2",
    "delta",
    "epsilon",
    "eta",
    "k",
    "k1",
    "k2",
    "kappa",
    "lambda_max",
    "lambda_max_K",
    "lambda_max_PPT",
    "lambda_max_Sigma",
    "lambda_min",
    "lambda_min_PPT",
    "lambda_min_Sigma",
    "latex",
    "m",
    "n",
    "n1",
    "n2",
    "r",
    "r1",
    "r2",
    "rho",
    "symbol",
    "t",
    "tr_M",
    "tr_PPT",
    "tr_PSigma2PT",
    "tr_Sigma",
    "varsigma",
    "w",
    "w_norm",
    "w_star",
    "x",
    "xi_moment",
]

# --- sizes of the scheme [paper] -------------------------------------------------------------
# Every size is a positive integer.
n, r, k, d, m = sp.symbols("n r k d m", integer=True, positive=True)
# 2D patch-and-stride: image n1 x n2, patch r1 x r2, strides d1, d2, k_j patches per axis.
n1, n2, r1, r2, d1, d2, k1, k2 = sp.symbols("n1 n2 r1 r2 d1 d2 k1 k2", integer=True, positive=True)

# --- model and algorithm [paper] -------------------------------------------------------------
alpha = sp.Symbol("alpha", real=True, nonnegative=True)  # also alpha <= 1 (validated, not assumed)
eta = sp.Symbol("eta", positive=True)
T = sp.Symbol("T", integer=True, positive=True)
t = sp.Symbol("t", integer=True, nonnegative=True)
epsilon = sp.Symbol("epsilon", positive=True)
delta = sp.Symbol("delta", positive=True)  # also delta <= 1 (validated, not assumed)
w_norm = sp.Symbol("w_norm", positive=True)  # ‖w*‖ (w* = 0 is trivial: w_1 = 0)

# --- analysis constants [derived] ------------------------------------------------------------
lambda_min = sp.Symbol("lambda_min", positive=True)  # λ_min(M) > 0 is the theorem's hypothesis
lambda_max = sp.Symbol("lambda_max", positive=True)  # λ_max(M)
tr_M = sp.Symbol("tr_M", positive=True)  # tr M
lambda_max_Sigma = sp.Symbol("lambda_max_Sigma", positive=True)
lambda_min_Sigma = sp.Symbol("lambda_min_Sigma", positive=True)
lambda_max_PPT = sp.Symbol("lambda_max_PPT", positive=True)
lambda_min_PPT = sp.Symbol("lambda_min_PPT", nonnegative=True)
a = sp.Symbol("a", positive=True)
beta = sp.Symbol("beta", positive=True)
rho = sp.Symbol("rho", nonnegative=True)
varsigma = sp.Symbol("varsigma", nonnegative=True)
B = sp.Symbol("B", positive=True)
kappa = sp.Symbol("kappa", positive=True)  # E z^4 of one standardized coordinate (>= 1)
E_x4 = sp.Symbol("E_x4", positive=True)  # E‖x‖⁴
xi_moment = sp.Symbol("xi_moment", nonnegative=True)  # E[ξ² ‖Px‖²]
tr_PPT = sp.Symbol("tr_PPT", positive=True)  # tr(PPᵀ)
tr_Sigma = sp.Symbol("tr_Sigma", positive=True)  # tr Σ
tr_PSigma2PT = sp.Symbol("tr_PSigma2PT", positive=True)  # tr(PΣ²Pᵀ) = ‖PΣ‖_F²
E_x2_Px2 = sp.Symbol("E_x2_Px2", positive=True)  # E[‖x‖² ‖Px‖²]
lambda_max_K = sp.Symbol("lambda_max_K", positive=True)  # λ_max(K), the exact second moment

# --- matrices and vectors (shapes symbolic) [paper] ------------------------------------------
x = sp.MatrixSymbol("x", n, 1)
w = sp.MatrixSymbol("w", r, 1)
w_star = sp.MatrixSymbol("w^*", r, 1)
P_i = sp.MatrixSymbol("P_i", r, n)
P = sp.MatrixSymbol("P", r, n)
Sigma = sp.MatrixSymbol("Sigma", n, n)
M = sp.MatrixSymbol("M", r, r)


@dataclass(frozen=True)
class NotationEntry:
    """One row of the notation table.

    Attributes
    ----------
    symbol : sympy.Symbol or sympy.MatrixSymbol
        The object used in expressions.
    latex : str
        How the book typesets it (without dollar signs).
    meaning : str
        What it denotes, in words.
    assumptions : str
        Its range; the part sympy holds is also attached to the symbol, the rest is
        validated where numbers enter.
    provenance : str
        ``"[paper]"`` for the model's own quantities, ``"[derived]"`` for constants of the
        explicit-constant analysis in ``convotron-theory.md``.
    """

    symbol: sp.Basic
    latex: str
    meaning: str
    assumptions: str
    provenance: str

    @property
    def name(self) -> str:
        """The Python/sympy name of the symbol (e.g. ``"lambda_min"``)."""
        return str(self.symbol.name)


#: The notation table, in the order the book's notation page lists it.
#:
#: :meta hide-value:
NOTATION: list[NotationEntry] = [
    NotationEntry(n, "n", "input dimension, x ∈ ℝⁿ", "positive integer", "[paper]"),
    NotationEntry(r, "r", "patch (filter) size, w ∈ ℝʳ", "positive integer", "[paper]"),
    NotationEntry(k, "k", "number of patches", "positive integer", "[paper]"),
    NotationEntry(
        d,
        "d",
        "stride of a 1D patch-and-stride scheme, n = (k−1)d + r",
        "positive integer",
        "[paper]",
    ),
    NotationEntry(
        m,
        "m",
        "size of a Toeplitz block A_m(k) of PPᵀ; m = ⌈r/d⌉ for the largest",
        "positive integer",
        "[derived]",
    ),
    NotationEntry(n1, "n_1", "image height (2D)", "positive integer", "[paper]"),
    NotationEntry(n2, "n_2", "image width (2D)", "positive integer", "[paper]"),
    NotationEntry(r1, "r_1", "patch height (2D); r = r₁r₂", "positive integer", "[paper]"),
    NotationEntry(r2, "r_2", "patch width (2D)", "positive integer", "[paper]"),
    NotationEntry(d1, "d_1", "vertical stride (2D)", "positive integer", "[paper]"),
    NotationEntry(d2, "d_2", "horizontal stride (2D)", "positive integer", "[paper]"),
    NotationEntry(
        k1,
        "k_1",
        "patch positions per column, k₁ = (n₁−r₁)/d₁ + 1; k = k₁k₂",
        "positive integer",
        "[paper]",
    ),
    NotationEntry(
        k2, "k_2", "patch positions per row, k₂ = (n₂−r₂)/d₂ + 1", "positive integer", "[paper]"
    ),
    NotationEntry(x, "x", "input vector", "symmetric law: x and −x have the same law", "[paper]"),
    NotationEntry(w, "w", "shared filter (the weights learned)", "w ∈ ℝʳ", "[paper]"),
    NotationEntry(w_star, "w^*", "the unknown filter: E[y ∣ x] = f_{w*}(x)", "w* ∈ ℝʳ", "[paper]"),
    NotationEntry(
        P_i,
        "P_i",
        "patch operator: P_i x = x[idx[i]], P_i P_iᵀ = I_r",
        "0/1 matrix, r × n",
        "[paper]",
    ),
    NotationEntry(
        P,
        "P",
        "sum of the patch operators, P = Σ_i P_i",
        "nonnegative integer matrix, r × n",
        "[derived]",
    ),
    NotationEntry(
        Sigma,
        r"\Sigma",
        "input covariance, Σ = E[x xᵀ]",
        "symmetric positive semidefinite, n × n",
        "[paper]",
    ),
    NotationEntry(
        M, "M", "overlap matrix, M = P Σ Pᵀ", "symmetric positive semidefinite, r × r", "[derived]"
    ),
    NotationEntry(
        alpha,
        r"\alpha",
        "slope of the leaky ReLU for negative inputs (0: ReLU, 1: linear)",
        "real, 0 ≤ α ≤ 1",
        "[paper]",
    ),
    NotationEntry(eta, r"\eta", "step size (learning rate)", "positive real", "[paper]"),
    NotationEntry(T, "T", "number of iterations (= samples used)", "positive integer", "[paper]"),
    NotationEntry(t, "t", "iteration index", "nonnegative integer", "[paper]"),
    NotationEntry(
        epsilon, r"\epsilon", "target accuracy: ‖w_{T+1} − w*‖² ≤ ε", "positive real", "[paper]"
    ),
    NotationEntry(delta, r"\delta", "failure probability", "real, 0 < δ ≤ 1", "[paper]"),
    NotationEntry(
        w_norm, r"\lVert w^* \rVert", "norm of the unknown filter", "positive real", "[paper]"
    ),
    NotationEntry(
        lambda_min,
        r"\lambda_{\min}",
        "smallest eigenvalue of M",
        "positive real (the theorem's hypothesis)",
        "[derived]",
    ),
    NotationEntry(
        lambda_max, r"\lambda_{\max}", "largest eigenvalue of M", "positive real", "[derived]"
    ),
    NotationEntry(tr_M, r"\operatorname{tr} M", "trace of M", "positive real", "[derived]"),
    NotationEntry(
        lambda_max_Sigma,
        r"\lambda_{\max}(\Sigma)",
        "largest eigenvalue of Σ",
        "positive real",
        "[derived]",
    ),
    NotationEntry(
        lambda_min_Sigma,
        r"\lambda_{\min}(\Sigma)",
        "smallest eigenvalue of Σ",
        "positive real",
        "[derived]",
    ),
    NotationEntry(
        lambda_max_PPT,
        r"\lambda_{\max}(PP^\top)",
        "largest eigenvalue of PPᵀ",
        "positive real",
        "[derived]",
    ),
    NotationEntry(
        lambda_min_PPT,
        r"\lambda_{\min}(PP^\top)",
        "smallest eigenvalue of PPᵀ",
        "nonnegative real",
        "[derived]",
    ),
    NotationEntry(a, "a", "drift constant, a = (1+α) λ_min / k", "positive real", "[derived]"),
    NotationEntry(
        beta,
        r"\beta",
        "second-moment constant: (1/k) Σ_i E[(uᵀP_i x)² ‖Px‖²] ≤ β‖u‖²",
        "positive real",
        "[derived]",
    ),
    NotationEntry(rho, r"\rho", "noise constant, ρ = E[ξ² ‖Px‖²]", "nonnegative real", "[derived]"),
    NotationEntry(
        xi_moment,
        r"\mathbb{E}[\xi^2 \lVert Px \rVert^2]",
        "the noise moment; ρ equals it (lem-second-moment)",
        "nonnegative real",
        "[derived]",
    ),
    NotationEntry(
        varsigma,
        r"\varsigma",
        "standard deviation of noise independent of x",
        "nonnegative real",
        "[paper]",
    ),
    NotationEntry(
        B, "B", "almost-sure bound on the input norm, ‖x‖ ≤ B", "positive real", "[derived]"
    ),
    NotationEntry(
        kappa,
        r"\kappa",
        (
            "kurtosis κ = E z⁴ of one standardised input coordinate (x = Lz, Σ = LLᵀ;"
            " 3 for Gaussian), in the exact second moment K of lem-exact-k"
        ),
        "real, κ ≥ 1",
        "[derived]",
    ),
    NotationEntry(
        E_x4,
        r"\mathbb{E}\lVert x \rVert^4",
        "fourth moment of the input norm",
        "positive real",
        "[derived]",
    ),
    NotationEntry(
        tr_PPT,
        r"\operatorname{tr}(PP^\top)",
        "trace of PPᵀ; equals rk only when at each filter position the patches read distinct "
        "coordinates (patch-and-stride)",
        "positive real",
        "[derived]",
    ),
    NotationEntry(tr_Sigma, r"\operatorname{tr}\Sigma", "trace of Σ", "positive real", "[derived]"),
    NotationEntry(
        tr_PSigma2PT,
        r"\operatorname{tr}(P\Sigma^2P^\top)",
        "trace of PΣ²Pᵀ (= ‖PΣ‖_F²)",
        "positive real",
        "[derived]",
    ),
    NotationEntry(
        E_x2_Px2,
        r"\mathbb{E}[\lVert x\rVert^2\lVert Px\rVert^2]",
        "the norm-product moment of heteroscedastic noise",
        "positive real",
        "[derived]",
    ),
    NotationEntry(
        lambda_max_K,
        r"\lambda_{\max}(K)",
        "largest eigenvalue of the exact second-moment matrix K (lem-exact-k)",
        "positive real",
        "[derived]",
    ),
]


@dataclass(frozen=True)
class ObjectEntry:
    r"""One row of the book's table of objects (functions, random variables, matrices).

    The notation appendix renders :data:`OBJECTS` and :data:`NOTATION` (nothing is typed by
    hand there), and ``tests/theory/test_notation.py`` scans the maths of every page against
    :attr:`definitions`: a symbol defined by an equation with another right-hand side would
    have two meanings.

    Attributes
    ----------
    latex : str
        How the book typesets the object (without dollar signs).
    meaning : str
        What it denotes (Markdown with ``$...$`` maths).
    where : str
        The label of the claim that introduces it (``""``: general notation).
    provenance : str
        ``"[paper]"``, ``"[derived]"`` or ``""`` (general notation).
    symbol : str
        The TeX of the symbol the scan checks (``"B"``, ``r"\rho"``); ``""``: not scanned.
    definitions : tuple of str
        Regular expressions of the right-hand sides with which the book may define
        :attr:`symbol` (``symbol = ...`` in maths); empty: never defined by an equation.
    """

    latex: str
    meaning: str
    where: str
    provenance: str
    symbol: str = ""
    definitions: tuple[str, ...] = ()


#: The objects of the model and the proofs, in the order the book introduces them.
#:
#: :meta hide-value:
OBJECTS: list[ObjectEntry] = [
    ObjectEntry(
        r"x \in \mathbb{R}^n",
        r"input; its law is symmetric, $x \overset{d}{=} -x$",
        "def-model",
        "[paper]",
    ),
    ObjectEntry(r"\Sigma = \mathbb{E}[xx^\top]", "input covariance", "def-model", "[paper]"),
    ObjectEntry(
        r"\mathrm{idx}[i, a]",
        "the input coordinate that position $a$ of patch $i$ reads",
        "def-model",
        "[paper]",
    ),
    ObjectEntry(
        r"P_i \in \{0,1\}^{r \times n}",
        r"patch operator: $P_i x = x[\mathrm{idx}[i]]$, $P_i P_i^\top = I_r$",
        "def-model",
        "[paper]",
    ),
    ObjectEntry(
        r"\sigma(z)",
        r"leaky ReLU: $z$ for $z \ge 0$, $\alpha z$ for $z < 0$",
        "def-model",
        "[paper]",
    ),
    ObjectEntry(
        "f_w(x)", r"the network: $\frac1k \sum_i \sigma(w^\top P_i x)$", "def-model", "[paper]"
    ),
    ObjectEntry(
        "w^*", r"the unknown filter: $\mathbb{E}[y \mid x] = f_{w^*}(x)$", "def-model", "[paper]"
    ),
    ObjectEntry(
        r"\xi",
        r"label noise $y - f_{w^*}(x)$, with $\mathbb{E}[\xi \mid x] = 0$",
        "def-model",
        "[paper]",
    ),
    ObjectEntry("w_t", "the iterate before step $t$; $w_1 = 0$", "alg-convotron", "[paper]"),
    ObjectEntry(
        "G_t", r"update direction $(y_t - f_{w_t}(x_t)) \sum_i P_i x_t$", "alg-convotron", "[paper]"
    ),
    ObjectEntry(
        r"P = \sum_i P_i",
        r"sum of the patch operators, $r \times n$",
        "lem-drift",
        "[derived]",
        "P",
        (r"\\sum_", r"I \+ J", r"P\^\{\(1\)\}", r"\\bigl\(\\sum"),
    ),
    ObjectEntry(
        r"M = P\Sigma P^\top",
        r"overlap matrix, $r \times r$",
        "lem-drift",
        "[derived]",
        "M",
        (r"P ?\\Sigma P\^\\top", r"P_R", r"PP\^\\top", r"FF\^\\top", r"\\begin\{pmatrix\}"),
    ),
    ObjectEntry(r"\Delta_t = w_t - w^*", "the error of the iterate", "lem-progress", "[derived]"),
    ObjectEntry(
        "a",
        r"drift constant $(1+\alpha)\lambda_{\min}(M)/k$ (also a patch position "
        r"$a$ in $\mathrm{idx}[i, a]$, never defined by an equation)",
        "lem-progress",
        "[derived]",
        "a",
        (r"\(1\+\\alpha\)", r"4\(1\+\\alpha\)", r"1\.\.r", r"b$"),
    ),
    ObjectEntry(r"\beta", "second-moment constant", "lem-beta", "[derived]"),
    ObjectEntry(
        r"\rho",
        r"noise constant, $\rho = \mathbb{E}[\xi^2 \lVert Px \rVert^2]$",
        "lem-second-moment",
        "[derived]",
        r"\rho",
        (r"\\mathbb\{E\}\[\\xi\^2", r"\\varsigma\^2"),
    ),
    ObjectEntry(
        "B",
        r"almost-sure bound on the input norm, $\lVert x\rVert \le B$",
        "lem-beta",
        "[derived]",
        "B",
        (),
    ),
    ObjectEntry(
        "L, z",
        r"$x = Lz$ with $\Sigma = LL^\top$ and $z$ of independent "
        "standardised coordinates",
        "lem-exact-k",
        "[derived]",
    ),
    ObjectEntry(
        r"\kappa = \mathbb{E} z_j^4",
        "kurtosis of one coordinate of $z$ (Gaussian: 3)",
        "lem-exact-k",
        "[derived]",
        r"\kappa",
        (r"\\mathbb\{E\} z_j\^4",),
    ),
    ObjectEntry(
        r"A_i = P_i L,\ C = L^\top P^\top P L,\ D = L^\top L",
        "the matrices of the exact second moment",
        "lem-exact-k",
        "[derived]",
        "C",
        (r"L\^\\top P\^\\top P L",),
    ),
    ObjectEntry(
        "K",
        r"exact second-moment matrix; $\beta = \lambda_{\max}(K)$ is the smallest "
        r"$\beta$ of the quotient bound",
        "lem-exact-k",
        "[derived]",
        "K",
        (r"\\frac1k",),
    ),
    ObjectEntry(
        "q = 1 - \\eta a/2",
        "the contraction factor of one step (its bound)",
        "thm-convotron",
        "[derived]",
        "q",
        (r"1 - \\eta a/2", r"1}\^m"),
    ),
    ObjectEntry(
        "F = PL,\\ h = Px",
        r"the linear case's matrices: $M = FF^\top$, $h = Fz$",
        "lem-linear-mse",
        "[derived]",
        "F",
        (r"PL",),
    ),
    ObjectEntry(
        "h", "$h = Px$ in the linear case", "lem-linear-mse", "[derived]", "h", (r"Px", r"Fz")
    ),
    ObjectEntry(
        "A_m(k)",
        r"Toeplitz block $[(k - \lvert p - q \rvert)_+]_{p,q=1}^m$ of "
        r"$PP^\top$",
        "lem-1d-structure",
        "[derived]",
    ),
    ObjectEntry(
        r"\lceil r/d \rceil",
        "size of the largest block $A_m(k)$ in 1D",
        "lem-1d-structure",
        "[derived]",
    ),
    ObjectEntry(
        r"\mathsf{C}, \mathsf{L}, \mathsf{K}, \mathsf{S}, \mathsf{P}, \mathsf{D}",
        "a conv layer's channels, length, kernel size, stride, padding and dilation",
        "lem-conv-reduction",
        "[derived]",
    ),
    ObjectEntry(r"\lVert \cdot \rVert", "Euclidean norm of a vector", "", ""),
    ObjectEntry(
        r"\lambda_{\min}(\cdot),\ \lambda_{\max}(\cdot)",
        "smallest and largest eigenvalue of a symmetric matrix",
        "",
        "",
    ),
    ObjectEntry("(z)_+", r"$\max(z, 0)$", "", ""),
]

#: Python name -> symbol, for every entry of :data:`NOTATION`.
#:
#: :meta hide-value:
SYMBOLS: dict[str, sp.Basic] = {e.name: e.symbol for e in NOTATION}

#: symbol -> LaTeX, for :func:`latex` (``sympy.latex(..., symbol_names=LATEX_NAMES)``).
#:
#: :meta hide-value:
LATEX_NAMES: dict[sp.Basic, str] = {e.symbol: e.latex for e in NOTATION}


def symbol(name: str) -> sp.Basic:
    """Return the notation symbol called ``name``.

    Parameters
    ----------
    name : str
        Python name, e.g. ``"lambda_min"`` or ``"w_norm"``.

    Raises
    ------
    KeyError
        With the list of known names when ``name`` is not one of them.
    """
    try:
        return SYMBOLS[name]
    except KeyError:
        known = ", ".join(sorted(SYMBOLS))
        raise KeyError(
            f"no notation symbol named {name!r}; the known symbols are: {known}. "
            "Use one of these names (convotron_theory.notation.SYMBOLS)."
        ) from None


def latex(expr: sp.Basic | int | float) -> str:
    r"""Typeset an expression with the book's names (``\lambda_{\min}`` for ``lambda_min``...).

    Parameters
    ----------
    expr : sympy expression or number

    Returns
    -------
    str
        LaTeX without surrounding dollar signs; natural logarithms print as ``\\ln``.
    """
    return sp.latex(sp.sympify(expr), symbol_names=LATEX_NAMES, ln_notation=True)
