"""convotron: the numerical half (numpy, numba).

Reference implementation of Convotron, Algorithm 1 of Goel, Klivans and Meka,
*Learning One Convolutional Layer with Overlapping Patches*, ICML 2018 (arXiv:1802.02547).
The public API is re-exported here; see ``__all__``.
"""

from __future__ import annotations

from ._errors import AssumptionViolation, ConvotronError, DivergenceError

__version__ = "0.1.0"

__all__ = ["AssumptionViolation", "ConvotronError", "DivergenceError", "__version__"]
