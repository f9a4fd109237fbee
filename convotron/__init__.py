r"""convotron: the numerical half (numpy, numba).

Reference implementation of Convotron, Algorithm 1 of Goel, Klivans and Meka,
*Learning One Convolutional Layer with Overlapping Patches*, ICML 2018 (arXiv:1802.02547)
[paper]: from ``w_1 = 0``, for ``t = 1..T`` draw a fresh sample ``(x_t, y_t)`` and update

.. math::

    w_{t+1} = w_t + \eta \, \bigl(y_t - f_{w_t}(x_t)\bigr) \sum_{i=1}^{k} P_i x_t,
    \qquad f_w(x) = \frac{1}{k} \sum_{i=1}^{k} \sigma(w^\top P_i x),

with no :math:`\sigma'` anywhere. The public API is re-exported here; see ``__all__``.
The core modules never import the symbolic half :mod:`theory`; only the glue
(:mod:`convotron.bridge`, :mod:`convotron.verify`, :mod:`convotron.experiments`,
:mod:`convotron.cli`) joins the two.
"""

from __future__ import annotations

from ._errors import AssumptionViolation, ConvotronError, DivergenceError
from .activations import leaky_relu, leaky_relu_derivative
from .algorithm import (
    ManyResult,
    RunResult,
    convotron,
    convotron_on_data,
    convotron_reference,
    run_many,
)
from .baselines import glmtron, sgd, sgd_on_data, sgd_reference
from .covariance import AR1, Covariance, Dense, Diagonal, Identity, parse_cov
from .data import LAWS, InputLaw, NoiseModel, Teacher, get_law, parse_noise, symmetrize
from .model import predict
from .patches import PatchScheme, parse_spec

__version__ = "0.1.0"

__all__ = [
    "AR1",
    "LAWS",
    "AssumptionViolation",
    "ConvotronError",
    "Covariance",
    "Dense",
    "Diagonal",
    "DivergenceError",
    "Identity",
    "InputLaw",
    "ManyResult",
    "NoiseModel",
    "PatchScheme",
    "RunResult",
    "Teacher",
    "__version__",
    "convotron",
    "convotron_on_data",
    "convotron_reference",
    "get_law",
    "glmtron",
    "leaky_relu",
    "leaky_relu_derivative",
    "parse_cov",
    "parse_noise",
    "parse_spec",
    "predict",
    "run_many",
    "sgd",
    "sgd_on_data",
    "sgd_reference",
    "symmetrize",
]
