r"""The one-layer convolutional model with average pooling [paper] (``def-model``).

.. math::

    f_w(x) = \frac{1}{k} \sum_{i=1}^k \sigma(w^\top P_i x),
    \qquad w \in \mathbb{R}^r,\; x \in \mathbb{R}^n,

with :math:`\sigma` the leaky ReLU of slope :math:`\alpha \in [0, 1]`
(:mod:`convotron.model.activations`). Invariants (tested): :math:`f_w` does not depend on the
order of the patches; for :math:`\alpha = 1` it is the linear model
:math:`f_w(x) = w^\top (\tfrac{1}{k} P x)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import ConvotronError
from .._limits import require_finite
from .._validate import ALPHA, table, validate_params
from ..geometry.patches import _SCHEME, PatchScheme

__all__ = ["preactivations", "predict"]

#: Entries of one gather ``X[:, indices]`` at once (rows x k x r; bounds memory). The one
#: definition: :mod:`convotron.estimation.plugin` chunks its gathers by it too.
GATHER_ENTRIES = 1 << 22

#: The table of predict (convotron._validate); w and X are checked against the scheme.
PREDICT_TABLE = table(_SCHEME, ALPHA)


def _check_inputs(w: Any, X: Any, scheme: PatchScheme) -> tuple[np.ndarray, np.ndarray, bool]:
    _SCHEME(scheme)
    ww = np.asarray(w, dtype=float)
    if ww.shape != (scheme.r,):
        raise ConvotronError(
            f"the filter w must have shape (r,) = ({scheme.r},); got shape {ww.shape}. "
            "Pass one weight per patch position."
        )
    require_finite(ww, "the filter w", "Check the step size of the run that produced it.")
    XX = np.asarray(X, dtype=float)
    single = XX.ndim == 1
    if single:
        XX = XX[None, :]
    if XX.ndim != 2 or XX.shape[1] != scheme.n:
        raise ConvotronError(
            f"inputs X must have shape (m, n) with n={scheme.n}; got shape {np.shape(X)}. "
            "Pass one input per row."
        )
    require_finite(XX, "inputs X", "Remove or impute those rows.")
    return ww, XX, single


def _preacts(w: np.ndarray, X: np.ndarray, scheme: PatchScheme) -> np.ndarray:
    """``Z[t, i] = w^T P_i x_t`` without validation, shape ``(m, k)``."""
    m = X.shape[0]
    slices = scheme._slices
    if slices is not None:
        # every column of the index array is an arithmetic progression: strided views
        Z = np.zeros((m, scheme.k))
        for a, sl in enumerate(slices):
            Z += w[a] * X[:, sl]
        return Z
    Z = np.empty((m, scheme.k))
    step = max(1, GATHER_ENTRIES // (scheme.k * scheme.r))
    for s in range(0, m, step):
        # scheme.patches reads a padded position (index -1) as 0, never as x[-1]
        Z[s : s + step] = scheme.patches(X[s : s + step]) @ w
    return Z


def _activate_mean(Z: np.ndarray, alpha: float) -> np.ndarray:
    """``(1/k) sum_i sigma(Z[:, i])``, overwriting ``Z``; uses sigma(z) = max(z, alpha z)."""
    if alpha == 0.0:
        np.maximum(Z, 0.0, out=Z)
    elif alpha != 1.0:
        np.maximum(Z, alpha * Z, out=Z)  # for 0 <= alpha <= 1, max(z, alpha z) = sigma(z)
    return np.asarray(Z.sum(axis=1) / Z.shape[1])


def preactivations(w: Any, X: Any, scheme: PatchScheme) -> np.ndarray:
    r"""Return :math:`Z_{ti} = w^\top P_i x_t`, shape ``(m, k)`` (``(k,)`` for one input)."""
    ww, XX, single = _check_inputs(w, X, scheme)
    Z = _preacts(ww, XX, scheme)
    return Z[0] if single else Z


@validate_params(PREDICT_TABLE)
def predict(w: Any, X: Any, scheme: PatchScheme, alpha: float) -> np.ndarray | float:
    r"""Return :math:`f_w(x) = \frac{1}{k}\sum_i \sigma(w^\top P_i x)` for a batch [paper].

    Parameters
    ----------
    w : array_like, shape (r,)
        The shared filter.
    X : array_like, shape (m, n) or (n,)
        Inputs, one per row (finite).
    scheme : PatchScheme
        The patch operators.
    alpha : float
        Leaky-ReLU slope in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray of shape (m,), or float for a single input of shape (n,)

    Raises
    ------
    ConvotronError
        For shape mismatches, non-finite inputs or ``alpha`` outside ``[0, 1]``.
    """
    a = alpha  # checked and converted by the table
    ww, XX, single = _check_inputs(w, X, scheme)
    out = _activate_mean(_preacts(ww, XX, scheme), a)
    return float(out[0]) if single else out
