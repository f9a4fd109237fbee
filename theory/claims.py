"""The claims registry: every labelled statement of the book, what it uses, what checks it.

Following the Lean blueprint, each claim of the book (a ``prf:`` directive with a label)
maps to its kind, its title, its provenance ([paper] or [derived], as tagged in
``shared/spec/convotron-theory.md``), the labels it uses, the code objects that state or
check it (dotted paths, imported by :mod:`convotron.glue.claims`) and its status:

- ``stated``: the book states it;
- ``proved_in_book``: the book gives a proof (definitions and the algorithm have none);
- ``symbolically_checked``: a sympy computation checks it (exact identities, closed forms
  against the definition, exact eigenvalues) in a code cell of the claim's section of the
  book, which asserts on it (``tests/theory/test_claims.py`` checks both flags against the
  book: a ``prf:proof`` and an asserting sympy cell between the claim's label and the next);
- ``checked_by_tests``: at least one test carries ``@pytest.mark.claim(label)`` (a test in
  ``tests/theory/test_claims.py`` keeps this honest by scanning the test sources);
- ``checked_by_runs``: ``convotron verify`` runs Convotron on cases for it and compares the
  observed failure rate with δ.

The book's front page draws :func:`dependency_edges` coloured by :func:`claim_level` (proof
above tests), and every label is printed with its number from :data:`PRINTED`
(:func:`display_name`, :func:`annotate_labels`).

Layering: this module imports nothing from :mod:`convotron`; object paths are plain
strings. Importing them joins the two halves, so it is the glue's job
(:func:`convotron.glue.claims.resolve`, :func:`convotron.glue.claims.check_objects`, used by
the tests and the book).

Examples
--------
>>> from convotron_theory.claims import CLAIMS, topological_order
>>> CLAIMS["thm-convotron"].kind
'theorem'
>>> order = topological_order()
>>> order.index("lem-one-step") < order.index("thm-convotron")
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ._errors import TheoryError

__all__ = [
    "CLAIMS",
    "KINDS",
    "LEVELS",
    "LEVEL_NAMES",
    "PRINTED",
    "Claim",
    "Status",
    "annotate_labels",
    "check_registry",
    "claim_level",
    "dependency_edges",
    "dependency_graph",
    "display_name",
    "to_dict",
    "topological_order",
]

#: The kinds of statement, as the book's ``prf:`` directives name them.
KINDS = ("definition", "algorithm", "lemma", "theorem", "corollary")


@dataclass(frozen=True)
class Status:
    """How far a claim is established (see the module docstring for each field)."""

    stated: bool = True
    proved_in_book: bool = False
    symbolically_checked: bool = False
    checked_by_tests: bool = False
    checked_by_runs: bool = False

    @property
    def level(self) -> str:
        """A summary of the flags: checked > symbolic > proved > stated (kept for the JSON).

        ``"checked"`` needs tests or runs, ``"symbolic"`` a sympy check, ``"proved"`` a
        proof in the book; ``"stated"`` is the rest. The claim graph does not use it: it
        colours by :func:`claim_level`, which ranks a proof above tests.
        """
        if self.checked_by_tests or self.checked_by_runs:
            return "checked"
        if self.symbolically_checked:
            return "symbolic"
        if self.proved_in_book:
            return "proved"
        return "stated"


@dataclass(frozen=True)
class Claim:
    """One labelled statement of the book.

    Attributes
    ----------
    label : str
        Book label, e.g. ``"lem-drift"``.
    kind : str
        One of :data:`KINDS`.
    title : str
        The title the book gives it.
    provenance : str
        ``"[paper] ..."`` or ``"[derived] ..."``.
    uses : tuple of str
        Labels of the claims its proof (or definition) uses.
    objects : tuple of str
        Dotted paths of the code objects that state or check it.
    status : Status
    """

    label: str
    kind: str
    title: str
    provenance: str
    uses: tuple[str, ...]
    objects: tuple[str, ...]
    status: Status


def _c(
    label: str,
    kind: str,
    title: str,
    provenance: str,
    uses: tuple[str, ...],
    objects: tuple[str, ...],
    *,
    proved: bool = True,
    symbolic: bool = False,
    tests: bool = True,
    runs: bool = False,
) -> Claim:
    return Claim(
        label,
        kind,
        title,
        provenance,
        uses,
        objects,
        Status(
            stated=True,
            proved_in_book=proved,
            symbolically_checked=symbolic,
            checked_by_tests=tests,
            checked_by_runs=runs,
        ),
    )


_B = "convotron_theory.bounds."
_S = "convotron_theory.spectra."
_O = "convotron_theory.overlap."
_SM = "convotron_theory.second_moment."
_PC = "convotron_theory.precondition."

#: The registry, by label, in the book's order.
CLAIMS: dict[str, Claim] = {
    c.label: c
    for c in (
        _c(
            "def-model",
            "definition",
            "One convolutional layer with average pooling",
            "[paper] the model of GKM18 (the learning problem the paper poses)",
            (),
            (
                "convotron.model.network.predict",
                "convotron.model.activations.leaky_relu",
                "convotron.geometry.patches.PatchScheme",
                "convotron.model.problem.Teacher",
                _O + "patch_operators",
                _O + "patch_sum",
            ),
            proved=False,
        ),
        _c(
            "alg-convotron",
            "algorithm",
            "Convotron",
            "[paper] Algorithm 1 of GKM18",
            ("def-model",),
            (
                "convotron.learning.algorithm.convotron",
                "convotron.learning.algorithm.convotron_reference",
                "convotron.learning.algorithm.convotron_on_data",
                _B + "SAMPLES",
            ),
            proved=False,
        ),
        _c(
            "lem-symmetric",
            "lemma",
            "Symmetry lemma (the paper's Lemma 1)",
            "[paper] Lemma 1 of GKM18: E[σ(uᵀx)(vᵀx)] = ((1+α)/2) uᵀΣv for symmetric x",
            ("def-model",),
            (
                "convotron.model.activations.leaky_relu",
                "convotron.data.laws.LAWS",
                "convotron.data.laws.symmetrize",
            ),
        ),
        _c(
            "lem-drift",
            "lemma",
            "Drift",
            "[derived] E[G_t | w_t] = ((1+α)/(2k)) M (w* − w_t)",
            ("def-model", "alg-convotron", "lem-symmetric"),
            (_O + "overlap_matrix", _S + "overlap_numeric", "convotron.learning.many.run_many"),
        ),
        _c(
            "lem-progress",
            "lemma",
            "Progress",
            "[derived] E[Δᵀ G | w] ≤ −(a/2)‖Δ‖², a = (1+α)λ_min/k",
            ("lem-drift",),
            (_B + "A", _S + "extreme_eigenvalues"),
        ),
        _c(
            "lem-exact-k",
            "lemma",
            "The exact second moment K",
            "[derived] (1/k) Σ_i E[(uᵀP_ix)²‖Px‖²] = uᵀKu, K = (1/k) Σ_i [tr(C) A_iA_iᵀ + "
            "2 A_iCA_iᵀ + (κ−3) A_i diag(C) A_iᵀ] for x = Lz, z iid of kurtosis κ; "
            "β = λ_max(K) is the smallest β with (1/k) Σ_i E[(uᵀP_ix)²‖Px‖²] ≤ β‖u‖² for all "
            "u, the quantity the second-moment lemma (lem-second-moment) bounds; exact "
            "E[‖x‖²‖Px‖²] and ρ",
            ("def-model",),
            (
                _B + "BETA_EXACT",
                _SM + "second_moment_matrix",
                _SM + "second_moment_matrix_exact",
                _SM + "beta_exact",
                _SM + "beta_exact_sympy",
                _SM + "norm_product_moment",
                _SM + "norm_product_moment_exact",
                _SM + "rho_exact",
            ),
            symbolic=True,
        ),
        _c(
            "lem-beta",
            "lemma",
            "Admissible values of β",
            "[derived] closed-form upper bounds on λ_max(K): Gaussian λ_max(Σ)(tr M + 2λ_max(M)) "
            "(Σ = I: tr PPᵀ + 2λ_max(PPᵀ); rk + 2λ_max(PPᵀ) only for patch-and-stride, "
            "where tr PPᵀ = rk), bounded norm, fourth moment",
            ("def-model", "lem-exact-k"),
            (
                _B + "BETA_GAUSSIAN",
                _B + "BETA_GAUSSIAN_IDENTITY",
                _B + "BETA_GAUSSIAN_STRIDE",
                _B + "BETA_BOUNDED",
                _B + "BETA_FOURTH",
                "convotron_theory.instantiate.gaussian_norm_product_moment",
            ),
        ),
        _c(
            "lem-second-moment",
            "lemma",
            "Second moment",
            "[derived] E[‖G_t‖² | w_t] ≤ β‖Δ_t‖² + ρ; ρ exact per noise model "
            "(independent ς² tr M, heteroscedastic ς² E[‖x‖²‖Px‖²]/tr Σ)",
            ("def-model", "alg-convotron", "lem-exact-k"),
            (
                _B + "RHO_INDEPENDENT",
                _B + "RHO_HETERO",
                _B + "RHO_HETERO_GAUSSIAN",
                _B + "RHO_GENERAL",
            ),
        ),
        _c(
            "lem-linear-mse",
            "lemma",
            "Exact error curve of the linear case",
            "[derived] for α = 1 and x = Lz (kurtosis κ) E[Δ_tΔ_tᵀ] follows a linear map on r×r "
            "matrices, so E‖w_t − w*‖² is exactly computable at every t",
            ("def-model", "alg-convotron", "lem-exact-k"),
            (_SM + "MseRecursion", _SM + "linear_mse_curve"),
            runs=True,
        ),
        _c(
            "lem-one-step",
            "lemma",
            "One step",
            "[derived] E‖Δ_{t+1}‖² ≤ (1 − ηa + η²β) E‖Δ_t‖² + η²ρ ≤ (1 − ηa/2) E‖Δ_t‖² + η²ρ",
            ("lem-progress", "lem-second-moment"),
            (_B + "ONE_STEP_FACTOR", _B + "ONE_STEP_FACTOR_BOUND"),
            symbolic=True,
        ),
        _c(
            "thm-convotron",
            "theorem",
            "Convotron learns one convolutional layer: explicit-constant version of the "
            "paper's main theorem",
            "[derived] explicit-constant version of GKM18's main theorem",
            ("lem-one-step",),
            (
                _B + "THEOREM_CURVE",
                "convotron_theory.instantiate.theorem_parameters",
                "convotron.glue.parameters.theorem_parameters",
            ),
            symbolic=True,
            runs=True,
        ),
        _c(
            "cor-realizable",
            "corollary",
            "Realizable case",
            "[derived] explicit-constant version of GKM18's main theorem, realizable case",
            ("thm-convotron",),
            (_B + "ETA_REALIZABLE", _B + "T_REALIZABLE", _B + "T_REALIZABLE_CONTINUOUS"),
            symbolic=True,
            runs=True,
        ),
        _c(
            "cor-noisy",
            "corollary",
            "Noisy case",
            "[derived] explicit-constant version of GKM18's main theorem, noisy case",
            ("thm-convotron",),
            (_B + "ETA_NOISY", _B + "T_NOISY", _B + "T_NOISY_CONTINUOUS"),
            symbolic=True,
            runs=True,
        ),
        _c(
            "lem-1d-structure",
            "lemma",
            "Block-Toeplitz form of PPᵀ in 1D",
            "[derived] PPᵀ is block diagonal over residues mod d with blocks A_m(k)",
            ("def-model",),
            (_O + "toeplitz_block", _O + "overlap_1d_blocks", _O + "overlap_1d_closed_form"),
            symbolic=True,
        ),
        _c(
            "lem-1d-sos",
            "lemma",
            "Sum of squares for A_m(m)",
            "[derived] xᵀA_m(m)x = s² + Σ_g (S_g² + (s − S_g)²)",
            (),
            (_S + "sos_identity", _S + "sos_identity_holds", _S + "sos_inequality_holds"),
            symbolic=True,
        ),
        _c(
            "lem-1d",
            "lemma",
            "1D spectral lemma",
            "[derived] always λ_min(PPᵀ) > 0 (unpadded patch-and-stride: a unit triangular "
            "block); k ≥ ⌈r/d⌉ ⇒ λ_min(PPᵀ) ≥ 1/2, λ_max(PPᵀ) ≤ k⌈r/d⌉ (scheme: [paper])",
            ("lem-1d-structure", "lem-1d-sos"),
            (_S + "LEMMA_1D", _S + "lemma_1d", _S + "exact_eigenvalues"),
            symbolic=True,
        ),
        _c(
            "lem-2d-kron",
            "lemma",
            "Kronecker form of PPᵀ in 2D",
            "[derived] PPᵀ = (P⁽¹⁾P⁽¹⁾ᵀ) ⊗ (P⁽²⁾P⁽²⁾ᵀ) for row-major flattening",
            ("def-model", "lem-1d-structure"),
            (_O + "overlap_2d_closed_form", _O + "overlap_2d_channels_closed_form"),
            symbolic=True,
        ),
        _c(
            "lem-2d",
            "lemma",
            "2D spectral lemma",
            "[derived] k_j ≥ ⌈r_j/d_j⌉ ⇒ λ_min(PPᵀ) ≥ 1/4, λ_max ≤ k⌈r₁/d₁⌉⌈r₂/d₂⌉ "
            "(scheme: [paper])",
            ("lem-2d-kron", "lem-1d"),
            (_S + "LEMMA_2D", _S + "lemma_2d"),
        ),
        _c(
            "lem-cov-transfer",
            "lemma",
            "Covariance transfer",
            "[derived] λ_min(Σ)λ_min(PPᵀ) ≤ λ(PΣPᵀ) ≤ λ_max(Σ)λ_max(PPᵀ)",
            ("def-model",),
            (_S + "LEMMA_COV_TRANSFER", _S + "lemma_cov_transfer"),
        ),
        _c(
            "thm-disjoint",
            "theorem",
            "One disjoint patch",
            "[derived] constants of the disjoint-patch variant (its scope is [paper])",
            ("lem-symmetric", "lem-drift", "lem-one-step", "thm-convotron"),
            (
                _B + "DISJOINT_A",
                _B + "DISJOINT_BETA",
                _B + "DISJOINT_RHO",
                _B + "DISJOINT_ETA",
                _B + "DISJOINT_T",
                "convotron_theory.instantiate.disjoint_parameters",
                "convotron.glue.parameters.theorem_parameters",
            ),
            symbolic=True,
            runs=True,
        ),
        _c(
            "cor-1d-instantiated",
            "corollary",
            "Instantiated bound for 1D patch-and-stride",
            "[derived] T ≤ 16k³(r + 2⌈r/d⌉)/(1+α)² ln(‖w*‖²/(εδ)) for x ~ N(0, I), k ≥ ⌈r/d⌉, "
            "when εδ < ‖w*‖² (otherwise T = 1)",
            ("cor-realizable", "lem-beta", "lem-1d-structure", "lem-1d"),
            (_B + "T_1D_INSTANTIATED",),
            symbolic=True,
        ),
        _c(
            "lem-conv-reduction",
            "lemma",
            "Reduction of unpadded conv layers",
            "[derived] no padding, dilation | stride ⇒ PPᵀ = I_C ⊗ (stride-S/D scheme's PPᵀ)",
            (
                "def-model",
                "lem-1d-structure",
                "lem-2d-kron",
                "lem-1d",
                "lem-2d",
                "lem-cov-transfer",
            ),
            (
                "convotron_theory.conv.reduced_geometry",
                "convotron_theory.conv.lemma_conv",
                "convotron.geometry.conv.conv1d",
                "convotron.geometry.conv.conv2d",
            ),
            symbolic=True,
        ),
        _c(
            "lem-conv-upper",
            "lemma",
            "Coverage bound on the largest eigenvalue",
            "[derived] λ_max(PPᵀ) ≤ c_max · max_a #reads(a) ≤ c_max k, any scheme",
            ("def-model",),
            ("convotron_theory.conv.coverage_upper_bound",),
        ),
        _c(
            "lem-conv-padded",
            "lemma",
            "Zero padding",
            "[derived] with P_iP_iᵀ ⪯ I: lem-symmetric to lem-one-step, β, ρ and thm-convotron "
            "hold; the lower spectral "
            "bounds and the disjoint variant (padded patch) do not apply",
            (
                "def-model",
                "lem-symmetric",
                "lem-drift",
                "lem-progress",
                "lem-beta",
                "lem-second-moment",
                "lem-one-step",
                "thm-convotron",
                "lem-conv-upper",
            ),
            (
                "convotron_theory.conv.applicability",
                "convotron_theory.conv.reduced_geometry",
                "convotron.geometry.patches.PAD",
            ),
            symbolic=True,
        ),
        # --- the preconditioned Convotron (book/preconditioned.md): this project's extension ---
        _c(
            "alg-precond",
            "algorithm",
            "Preconditioned Convotron",
            "[derived] this project's extension of Algorithm 1 of GKM18 (not in the paper): "
            "w ← w + η (y − f_w(x)) H Σ_i P_i x for a fixed positive definite H; "
            "H = I is the paper's algorithm",
            ("def-model", "alg-convotron"),
            (_PC + "precond_reference",),
            proved=False,
        ),
        _c(
            "lem-exact-kh",
            "lemma",
            "The exact preconditioned second moment K_H",
            "[derived] K_H = (1/k) Σ_i A_i [tr(HM) I + 2 C_H + (κ−3) diag(C_H)] A_iᵀ, C_H = "
            "LᵀPᵀHPL; β_H = λ_max(H^{1/2} K_H H^{1/2}); ρ_H = E[ξ² qᵀHq] exact per noise model",
            ("def-model", "lem-exact-k"),
            (
                _PC + "preconditioned_second_moment_matrix",
                _PC + "preconditioned_second_moment_matrix_exact",
                _PC + "beta_preconditioned",
                _PC + "beta_preconditioned_exact",
                _PC + "rho_preconditioned",
                _PC + "preconditioned_constants",
            ),
            symbolic=True,
        ),
        _c(
            "lem-whitened",
            "lemma",
            "The whitened fourth moments",
            "[derived] for H = M⁻¹: E[(qᵀM⁻¹q) qqᵀ] = (r+2)M + (κ−3) B diag(Π) Bᵀ ((r+2)M for "
            "Gaussian x) and (r − (3−κ)_+) s̄ ≤ β_{M⁻¹} ≤ (r + 2 + (κ−3)_+) s̄",
            ("lem-exact-kh",),
            (_PC + "quartic_q_moment", _PC + "BETA_WHITENED_GAUSSIAN_UPPER"),
            symbolic=True,
        ),
        _c(
            "lem-precond-one-step",
            "lemma",
            "One preconditioned step",
            "[derived] with Φ = ΔᵀH⁻¹Δ: E Φ(Δ_{t+1}) ≤ (1 − η a_H + η² β_H) Φ(Δ_t) + η² ρ_H, "
            "a_H = (1+α) λ_min(H^{1/2}MH^{1/2})/k",
            ("alg-precond", "lem-drift", "lem-exact-kh"),
            (_PC + "A_H", _PC + "ONE_STEP_FACTOR_H"),
            symbolic=True,
        ),
        _c(
            "thm-precond",
            "theorem",
            "Preconditioned Convotron learns one convolutional layer",
            "[derived] this project's extension (not GKM18's): E Φ(Δ_{T+1}) ≤ (1 − η a_H/2)^T Φ_1 "
            "+ 2ηρ_H/a_H for η ≤ a_H/(2β_H), and the iteration counts; H = I is thm-convotron",
            ("lem-precond-one-step",),
            (
                _PC + "PRECOND_CURVE",
                _PC + "ETA_PRECOND_REALIZABLE",
                _PC + "T_PRECOND_REALIZABLE",
                _PC + "ETA_PRECOND_NOISY",
                _PC + "T_PRECOND_NOISY",
                _PC + "precondition_parameters",
            ),
            symbolic=True,
        ),
        _c(
            "cor-precond-whitened",
            "corollary",
            "Whitened Convotron (H = M⁻¹)",
            "[derived] H = M⁻¹: a_H = (1+α)/k, η = (1+α)/(2kβ_H), "
            "T = ⌈4k²β_H/(1+α)² ln(λ_max(M⁻¹) w*ᵀMw*/(εδ))⌉: cond(M) only in the logarithm",
            ("thm-precond", "lem-whitened"),
            (_PC + "A_WHITENED", _PC + "T_WHITENED"),
            symbolic=True,
        ),
        _c(
            "thm-precond-plugin",
            "theorem",
            "The plug-in preconditioner",
            "[derived] H = M̂⁻¹ with λ(M̂^{-1/2}MM̂^{-1/2}) ⊂ [ℓ, u]: T grows at most by (u/ℓ)²; "
            "sample counts for M̂ (Gaussian: Davidson-Szarek; bounded: matrix Chernoff)",
            ("thm-precond", "cor-precond-whitened"),
            (
                _PC + "PLUGIN_BETA",
                _PC + "PLUGIN_ETA",
                _PC + "PLUGIN_PRICE",
                _PC + "PLUGIN_SAMPLES_GAUSSIAN",
                _PC + "PLUGIN_SAMPLES_BOUNDED",
                _PC + "plugin_range",
                _PC + "plugin_range_gaussian",
                _PC + "plugin_samples",
            ),
            symbolic=True,
        ),
    )
}


#: The printed number and short name of each claim, as the built book shows them. sphinx-proof
#: numbers each kind separately, in the order of the table of contents (``book/_toc.yml``) and
#: of the directives within a page; ``tests/theory/test_claims.py`` recomputes the numbers from
#: the book's sources and the built HTML, so this table cannot drift from the book. It is the
#: one numbering: the book's prose, the claim graph's tooltips, the claim status page and the
#: command line (``check``, ``bounds``) print :func:`display_name`.
PRINTED: dict[str, tuple[str, str]] = {
    "def-model": ("Definition 1", "the model"),
    "alg-convotron": ("Algorithm 1", "Convotron"),
    "lem-1d-structure": ("Lemma 1", "1D block-Toeplitz form"),
    "lem-2d-kron": ("Lemma 2", "2D Kronecker form"),
    "lem-1d-sos": ("Lemma 3", "sum of squares"),
    "lem-1d": ("Lemma 4", "1D patch-and-stride"),
    "lem-2d": ("Lemma 5", "2D patch-and-stride"),
    "lem-cov-transfer": ("Lemma 6", "covariance transfer"),
    "lem-symmetric": ("Lemma 7", "symmetry; the paper's Lemma 1"),
    "lem-drift": ("Lemma 8", "drift"),
    "lem-progress": ("Lemma 9", "progress"),
    "lem-exact-k": ("Lemma 10", "exact second moment K"),
    "lem-beta": ("Lemma 11", "admissible beta"),
    "lem-second-moment": ("Lemma 12", "second moment"),
    "lem-one-step": ("Lemma 13", "one step"),
    "thm-convotron": ("Theorem 1", "Convotron learns the filter"),
    "cor-realizable": ("Corollary 1", "realizable case"),
    "cor-noisy": ("Corollary 2", "noisy case"),
    "cor-1d-instantiated": ("Corollary 3", "1D instantiated bound"),
    "lem-linear-mse": ("Lemma 14", "exact error curve, linear case"),
    "thm-disjoint": ("Theorem 2", "one disjoint patch"),
    "lem-conv-reduction": ("Lemma 15", "unpadded conv layers"),
    "lem-conv-upper": ("Lemma 16", "coverage bound"),
    "lem-conv-padded": ("Lemma 17", "zero padding"),
    # the preconditioned Convotron (book/preconditioned.md, after conv in the TOC) [derived]
    "alg-precond": ("Algorithm 2", "preconditioned Convotron"),
    "lem-exact-kh": ("Lemma 18", "exact preconditioned second moment"),
    "lem-whitened": ("Lemma 19", "whitened fourth moments"),
    "lem-precond-one-step": ("Lemma 20", "one preconditioned step"),
    "thm-precond": ("Theorem 3", "preconditioned Convotron learns the filter"),
    "cor-precond-whitened": ("Corollary 4", "whitened Convotron"),
    "thm-precond-plugin": ("Theorem 4", "plug-in preconditioner"),
}


def display_name(label: str, *, with_label: bool = False) -> str:
    """Return the printed number and short name of a claim: ``"Lemma 4 (1D patch-and-stride)"``.

    Parameters
    ----------
    label : str
        A registered label, e.g. ``"lem-1d"``.
    with_label : bool, default False
        Append the label: ``"Theorem 1 (Convotron learns the filter) [thm-convotron]"``.

    Raises
    ------
    TheoryError
        If the label is not registered.

    Examples
    --------
    >>> display_name("def-model")
    'Definition 1 (the model)'
    >>> display_name("thm-convotron", with_label=True)
    'Theorem 1 (Convotron learns the filter) [thm-convotron]'
    """
    if label not in PRINTED:
        raise TheoryError(
            f"label must be one of the registered claims {sorted(PRINTED)}; got {label!r}. "
            "Use a label of convotron_theory.claims.CLAIMS."
        )
    number, name = PRINTED[label]
    out = f"{number} ({name})"
    return f"{out} [{label}]" if with_label else out


def annotate_labels(text: str, *, first_only: bool = True) -> str:
    """Write the printed number and name beside each claim label in ``text``.

    ``"condition (thm-convotron): HOLDS"`` becomes
    ``"condition (thm-convotron [Theorem 1 (Convotron learns the filter)]): HOLDS"``: the
    command line's reports (``convotron check``, ``convotron bounds``) name claims by label,
    and this maps each to the book's numbering (:data:`PRINTED`). A label is a registered one
    standing alone (not part of a longer label or word); one already in square brackets
    gets its name after a colon (``"[cor-realizable]"`` becomes
    ``"[cor-realizable: Corollary 1 (realizable case)]"``) rather than nested brackets.

    Parameters
    ----------
    text : str
        The report.
    first_only : bool, default True
        Annotate only the first occurrence of each label (later ones stay bare).

    Examples
    --------
    >>> annotate_labels("the model (def-model): see def-model again")
    'the model (def-model [Definition 1 (the model)]): see def-model again'
    >>> annotate_labels("eta = 0.002    [cor-realizable]")
    'eta = 0.002    [cor-realizable: Corollary 1 (realizable case)]'
    """
    import re

    labels = sorted(PRINTED, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, labels)) + r")(?![\w-])")
    seen: set[str] = set()

    def repl(m: re.Match[str]) -> str:
        label = m.group(1)
        if first_only and label in seen:
            return label
        seen.add(label)
        if m.start() > 0 and m.string[m.start() - 1] == "[":  # already in brackets: no nesting
            return f"{label}: {display_name(label)}"
        return f"{label} [{display_name(label)}]"

    return pattern.sub(repl, text)


#: The status levels of the claim graph, strongest first (proofs rank above tests).
LEVELS = ("exact", "proved", "paper", "runs", "observed")

#: Legend text of each level.
LEVEL_NAMES: dict[str, str] = {
    "exact": "proved here and checked exactly (sympy)",
    "proved": "proved here",
    "paper": "the paper's (stated, not proved here)",
    "runs": "checked by runs only",
    "observed": "observed, not proved",
}


def claim_level(claim: Claim) -> str:
    """Return the status level of a claim (one of :data:`LEVELS`), computed from the registry.

    - ``"exact"``: the book proves it and a sympy cell checks it exactly;
    - ``"proved"``: the book proves it;
    - ``"paper"``: not proved here, provenance ``[paper]`` (the model and the algorithm);
    - ``"runs"``: not proved, but ``convotron verify`` runs it;
    - ``"observed"``: neither proved nor run (tests alone never raise a claim above this: a
      test checks cases, a proof covers all).
    """
    st = claim.status
    if st.proved_in_book:
        return "exact" if st.symbolically_checked else "proved"
    if claim.provenance.startswith("[paper]"):
        return "paper"
    if st.checked_by_runs:
        return "runs"
    return "observed"


def dependency_graph() -> dict[str, tuple[str, ...]]:
    """Map each label to the labels it uses."""
    return {label: c.uses for label, c in CLAIMS.items()}


def dependency_edges() -> list[tuple[str, str]]:
    """Edges ``(used, user)``: an arrow from each claim to the claims that use it."""
    return [(u, label) for label, c in CLAIMS.items() for u in c.uses]


def topological_order() -> list[str]:
    """Labels with every claim after the claims it uses (ties in registry order).

    Raises
    ------
    TheoryError
        When the registry has a cycle or uses an unknown label.
    """
    check_registry()
    done: list[str] = []
    remaining = dict(dependency_graph())
    while remaining:
        ready = [lab for lab, uses in remaining.items() if all(u in done for u in uses)]
        if not ready:
            raise TheoryError(
                f"the claims registry has a cycle among {sorted(remaining)}; a proof cannot "
                "use itself. Remove the back edge from the 'uses' of one of them."
            )
        done.extend(ready)
        for lab in ready:
            del remaining[lab]
    return done


def check_registry() -> None:
    """Check the registry: kinds, provenance tags, known uses, no cycles.

    That every object path imports is checked by :func:`convotron.glue.claims.check_objects`
    (this module never imports :mod:`convotron`).

    Raises
    ------
    TheoryError
        At the first inconsistency, naming the claim and the fix.
    """
    for label, c in CLAIMS.items():
        if c.label != label:
            raise TheoryError(
                f"claim registered as {label!r} has label {c.label!r}; make them equal."
            )
        if c.kind not in KINDS:
            raise TheoryError(
                f"claim {label!r} has kind {c.kind!r}; the kind must be one of {KINDS}. Fix it."
            )
        if not c.provenance.startswith(("[paper]", "[derived]")):
            raise TheoryError(
                f"claim {label!r} has provenance {c.provenance!r}; it must start with '[paper]' "
                "or '[derived]' as in convotron-theory.md."
            )
        unknown = [u for u in c.uses if u not in CLAIMS]
        if unknown:
            raise TheoryError(
                f"claim {label!r} uses unknown label(s) {unknown}; every used label must be in "
                "the registry. Fix the label or register the claim."
            )
    # cycles: depth-first search with colours
    state: dict[str, int] = {}

    def visit(lab: str, path: list[str]) -> None:
        state[lab] = 1
        for u in CLAIMS[lab].uses:
            if state.get(u) == 1:
                cycle = " -> ".join([*path, lab, u])
                raise TheoryError(
                    f"the claims registry has a cycle: {cycle}; a proof cannot use itself. "
                    "Remove one of these 'uses' edges."
                )
            if u not in state:
                visit(u, [*path, lab])
        state[lab] = 2

    for lab in CLAIMS:
        if lab not in state:
            visit(lab, [])


def to_dict() -> dict[str, dict[str, Any]]:
    """Return the registry as plain data (for JSON and the book), with each ``level``."""
    out = {}
    for label, c in CLAIMS.items():
        d = asdict(c)
        d["uses"] = list(c.uses)
        d["objects"] = list(c.objects)
        d["status"]["level"] = c.status.level
        d["level"] = claim_level(c)
        d["printed"] = display_name(label)
        out[label] = d
    return out
