"""theory: the symbolic half (sympy) of convotron.

Exact patch-overlap matrices, certified eigenvalue conditions, the lemmas and the
explicit-constant version of the main theorem of Goel, Klivans and Meka (ICML 2018)
as objects, and the claims registry behind the book. Never imports :mod:`convotron`.
The submodules and public names below are imported lazily, on first access (PEP 562).

Submodules: :mod:`convotron_theory.notation` (the symbols), :mod:`convotron_theory.overlap` (exact
``P_i``,
``P``, ``P Σ Pᵀ`` and closed forms), :mod:`convotron_theory.spectra` (eigenvalue condition,
certificates, lemma bounds), :mod:`convotron_theory.bounds` (the theorem's constants as
:class:`~convotron_theory.bounds.Bound` objects), :mod:`convotron_theory.second_moment` (the exact
second-moment
matrix K, the exact ρ and the α = 1 error recursion), :mod:`convotron_theory.precondition` (the
preconditioned Convotron, [derived]: exact K_H, β_H, ρ_H, its theorem and the plug-in
variant), :mod:`convotron_theory.claims` (the registry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import HypothesisFailed, TheoryError

#: Submodules, imported on first access (PEP 562): ``from convotron_theory.spectra import ...``
#: loads
#: neither :mod:`convotron_theory.bounds` nor :mod:`convotron_theory.claims`.
_SUBMODULES = frozenset(
    {"bounds", "claims", "notation", "overlap", "precondition", "second_moment", "spectra"}
)
#: Public name -> submodule that defines it, imported on first access.
_EXPORTS: dict[str, str] = {
    "Bound": "bounds",
    "theorem_parameters": "instantiate",
    "CLAIMS": "claims",
    "Claim": "claims",
    "overlap_1d_closed_form": "overlap",
    "overlap_2d_closed_form": "overlap",
    "overlap_matrix": "overlap",
    "toeplitz_block": "overlap",
    "Certificate": "spectra",
    "SchemeCheck": "spectra",
    "certify_positive_definite": "spectra",
    "check_scheme": "spectra",
    "exact_eigenvalues": "spectra",
    "extreme_eigenvalues": "spectra",
    "kernel_direction": "spectra",
    "lemma_1d": "spectra",
    "lemma_2d": "spectra",
    "overlap_numeric": "spectra",
    "preconditioned_constants": "precondition",
}

if TYPE_CHECKING:  # the eager imports, for type checkers and IDEs
    from . import bounds, claims, notation, overlap, precondition, second_moment, spectra
    from .bounds import Bound
    from .claims import CLAIMS, Claim
    from .instantiate import theorem_parameters
    from .overlap import (
        overlap_1d_closed_form,
        overlap_2d_closed_form,
        overlap_matrix,
        toeplitz_block,
    )
    from .precondition import preconditioned_constants
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


def __getattr__(name: str) -> Any:
    """Import a submodule, or a public name's submodule, on first access (PEP 562)."""
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module attributes and the lazily imported public names."""
    return sorted(set(globals()) | set(__all__))


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
    "precondition",
    "preconditioned_constants",
    "second_moment",
    "spectra",
    "theorem_parameters",
    "toeplitz_block",
]
