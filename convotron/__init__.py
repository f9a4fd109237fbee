r"""convotron: the numerical half (numpy, numba).

Reference implementation of Convotron, Algorithm 1 of Goel, Klivans and Meka,
*Learning One Convolutional Layer with Overlapping Patches*, ICML 2018 (arXiv:1802.02547)
[paper]: from ``w_1 = 0``, for ``t = 1..T`` draw a fresh sample ``(x_t, y_t)`` and update

.. math::

    w_{t+1} = w_t + \eta \, \bigl(y_t - f_{w_t}(x_t)\bigr) \sum_{i=1}^{k} P_i x_t,
    \qquad f_w(x) = \frac{1}{k} \sum_{i=1}^{k} \sigma(w^\top P_i x),

with no :math:`\sigma'` anywhere. The public API is re-exported here, lazily (PEP 562: a
name's submodule is imported on first access); see ``__all__``.
The core modules never import the symbolic half :mod:`theory`; only the glue
(:mod:`convotron.bridge`, :mod:`convotron.verify`, :mod:`convotron.experiments`,
:mod:`convotron.cli`) joins the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: Public name -> submodule that defines it. Imported on first access (PEP 562), so that
#: ``import convotron.cli`` (``convotron --help``) loads neither numba nor scipy.
_EXPORTS: dict[str, str] = {
    "AssumptionViolation": "_errors",
    "ConvotronError": "_errors",
    "DivergenceError": "_errors",
    "leaky_relu": "activations",
    "leaky_relu_derivative": "activations",
    "ManyResult": "algorithm",
    "RunResult": "algorithm",
    "convotron": "algorithm",
    "convotron_on_data": "algorithm",
    "convotron_reference": "algorithm",
    "run_many": "algorithm",
    "glmtron": "baselines",
    "sgd": "baselines",
    "sgd_on_data": "baselines",
    "sgd_reference": "baselines",
    "AR1": "covariance",
    "Covariance": "covariance",
    "Dense": "covariance",
    "Diagonal": "covariance",
    "Identity": "covariance",
    "parse_cov": "covariance",
    "LAWS": "data",
    "InputLaw": "data",
    "NoiseModel": "data",
    "Teacher": "data",
    "get_law": "data",
    "parse_noise": "data",
    "symmetrize": "data",
    "predict": "model",
    "PatchScheme": "patches",
    "parse_spec": "patches",
}

if TYPE_CHECKING:  # the eager imports, for type checkers and IDEs
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


def __getattr__(name: str) -> Any:
    """Import a public name's submodule on first access (PEP 562) and cache the name."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module attributes and the lazily imported public names."""
    return sorted(set(globals()) | set(__all__))


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
