r"""Leaky ReLU, the activation of the model [paper] (``def-model``).

.. math::

    \sigma(z) = \begin{cases} z & z \ge 0 \\ \alpha z & z < 0 \end{cases},
    \qquad \alpha \in [0, 1]

(``alpha = 0``: ReLU; ``alpha = 1``: the identity, i.e. a linear model). The decomposition
:math:`\sigma(z) = \frac{1+\alpha}{2} z + \frac{1-\alpha}{2} |z|` is the key to the paper's
Lemma 1 (``lem-symmetric``).

Convention: :math:`\sigma'(0) := 1` (the right derivative). Convotron never uses
:math:`\sigma'`; only the SGD baseline does.

:func:`leaky_relu` is the package's one numpy leaky ReLU (the readable oracles use it); the
compiled loop has its one numba copy, ``convotron._compiled._kernels._sigma``, and
:func:`convotron.model.network.predict` the in-place form ``max(z, αz)`` (equal for ``α ∈ [0, 1]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import ALPHA as _ALPHA
from .._validate import table, validate_params

__all__ = ["check_alpha", "leaky_relu", "leaky_relu_derivative"]


#: The leaky-ReLU slope: the one check of ``alpha`` in the package (convotron._validate.ALPHA).
ALPHA = _ALPHA


def check_alpha(alpha: Any) -> float:
    """Validate the leaky-ReLU slope ``α ∈ [0, 1]`` and return it as a float.

    Raises
    ------
    ConvotronError
        If ``alpha`` is not a real number in ``[0, 1]`` (``param="alpha"``).
    """
    return float(ALPHA(alpha))


#: The table of leaky_relu and leaky_relu_derivative (convotron._validate).
SLOPE_TABLE = table(_ALPHA)


@validate_params(SLOPE_TABLE)
def leaky_relu(z: Any, alpha: float) -> np.ndarray:
    r"""Return :math:`\sigma(z)`: :math:`z` for :math:`z \ge 0`, :math:`\alpha z` otherwise.

    Parameters
    ----------
    z : array_like
        Pre-activations.
    alpha : float
        Slope on the negative side, in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray
        Float array of the shape of ``z``.
    """
    a = alpha  # checked and converted by the table
    zz = np.asarray(z, dtype=float)
    return np.where(
        zz >= 0.0, zz, a * zz
    )  # the numpy copy; numba's: convotron._compiled._kernels._sigma


@validate_params(SLOPE_TABLE)
def leaky_relu_derivative(z: Any, alpha: float) -> np.ndarray:
    r"""Return :math:`\sigma'(z)`: 1 for :math:`z \ge 0` (so :math:`\sigma'(0) := 1`), else alpha.

    Convotron never uses it; the SGD baseline does.
    """
    a = alpha  # checked and converted by the table
    zz = np.asarray(z, dtype=float)
    return np.where(zz >= 0.0, 1.0, a)
