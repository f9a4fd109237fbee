"""theory: the symbolic half (sympy) of convotron.

Exact patch-overlap matrices, certified eigenvalue conditions, the lemmas and the
explicit-constant version of the main theorem of Goel, Klivans and Meka (ICML 2018)
as objects, and the claims registry behind the book. Never imports :mod:`convotron`.

Submodules: :mod:`theory.notation` (the symbols), :mod:`theory.overlap` (exact ``P_i``,
``P``, ``P Σ Pᵀ`` and closed forms), :mod:`theory.spectra` (eigenvalue condition,
certificates, lemma bounds), :mod:`theory.bounds` (the theorem's constants as
:class:`~theory.bounds.Bound` objects), :mod:`theory.second_moment` (the exact second-moment
matrix K, the exact ρ and the α = 1 error recursion), :mod:`theory.claims` (the registry).
"""

from __future__ import annotations

from . import bounds, claims, notation, overlap, second_moment, spectra
from ._errors import HypothesisFailed, TheoryError
from .bounds import Bound, theorem_parameters
from .claims import CLAIMS, Claim
from .overlap import overlap_1d_closed_form, overlap_2d_closed_form, overlap_matrix, toeplitz_block
from .spectra import (
    Certificate,
    SchemeCheck,
    certify_positive_definite,
    check_scheme,
    exact_eigenvalues,
    extreme_eigenvalues,
    kernel_direction,
    lemma_1d,
    lemma_2d,
    overlap_numeric,
)

__all__ = [
    "CLAIMS",
    "Bound",
    "Certificate",
    "Claim",
    "HypothesisFailed",
    "SchemeCheck",
    "TheoryError",
    "bounds",
    "certify_positive_definite",
    "check_scheme",
    "claims",
    "exact_eigenvalues",
    "extreme_eigenvalues",
    "kernel_direction",
    "lemma_1d",
    "lemma_2d",
    "notation",
    "overlap",
    "overlap_1d_closed_form",
    "overlap_2d_closed_form",
    "overlap_matrix",
    "overlap_numeric",
    "second_moment",
    "spectra",
    "theorem_parameters",
    "toeplitz_block",
]
