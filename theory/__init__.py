"""theory: the symbolic half (sympy) of convotron.

Exact patch-overlap matrices, certified eigenvalue conditions, the lemmas and the
explicit-constant version of the main theorem of Goel, Klivans and Meka (ICML 2018)
as objects, and the claims registry behind the book. Never imports :mod:`convotron`.
"""

from __future__ import annotations

from ._errors import HypothesisFailed, TheoryError

__all__ = ["HypothesisFailed", "TheoryError"]
