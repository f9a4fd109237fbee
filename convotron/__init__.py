r"""convotron: the numerical half (numpy, numba).

Reference implementation of Convotron, Algorithm 1 of Goel, Klivans and Meka,
*Learning One Convolutional Layer with Overlapping Patches*, ICML 2018 (arXiv:1802.02547)
[paper]: from ``w_1 = 0``, for ``t = 1..T`` draw a fresh sample ``(x_t, y_t)`` and update

.. math::

    w_{t+1} = w_t + \eta \, \bigl(y_t - f_{w_t}(x_t)\bigr) \sum_{i=1}^{k} P_i x_t,
    \qquad f_w(x) = \frac{1}{k} \sum_{i=1}^{k} \sigma(w^\top P_i x),

with no :math:`\sigma'` anywhere. The public API is re-exported here, lazily (PEP 562: a
name's submodule is imported on first access); see ``__all__``.
The core modules never import the symbolic half :mod:`convotron_theory`; only the glue
(:mod:`convotron.glue`: theorem parameters, verify, experiments, sweeps) joins the two, and
the command line (:mod:`convotron.cli`) sits on top.
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
    "ManyResult": "results",
    "RunResult": "results",
    "convotron": "algorithm",
    "convotron_on_data": "algorithm",
    "convotron_reference": "algorithm",
    "fit": "algorithm",
    "run_many": "many",
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
    "Teacher": "problem",
    "get_law": "data",
    "parse_noise": "data",
    "symmetrize": "data",
    "ConvotronRegressor": "estimator",
    "predict": "model",
    "PatchScheme": "patches",
    "parse_spec": "patches",
    "PluginConstants": "plugin",
    "plugin_constants": "plugin",
    "Problem": "problem",
    "ConvotronRule": "rules",
    "SGDRule": "rules",
    "Rows": "sources",
    "Sampler": "sources",
}

if TYPE_CHECKING:  # the eager imports, for type checkers and IDEs
    from ._errors import AssumptionViolation, ConvotronError, DivergenceError
    from .activations import leaky_relu, leaky_relu_derivative
    from .algorithm import convotron, convotron_on_data, convotron_reference, fit
    from .baselines import glmtron, sgd, sgd_on_data, sgd_reference
    from .covariance import AR1, Covariance, Dense, Diagonal, Identity, parse_cov
    from .data import LAWS, InputLaw, NoiseModel, get_law, parse_noise, symmetrize
    from .estimator import ConvotronRegressor
    from .many import run_many
    from .model import predict
    from .patches import PatchScheme, parse_spec
    from .plugin import PluginConstants, plugin_constants
    from .problem import Problem, Teacher
    from .results import ManyResult, RunResult
    from .rules import ConvotronRule, SGDRule
    from .sources import Rows, Sampler


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
    "ConvotronRegressor",
    "ConvotronRule",
    "Covariance",
    "Dense",
    "Diagonal",
    "DivergenceError",
    "Identity",
    "InputLaw",
    "ManyResult",
    "NoiseModel",
    "PatchScheme",
    "PluginConstants",
    "Problem",
    "Rows",
    "RunResult",
    "SGDRule",
    "Sampler",
    "Teacher",
    "__version__",
    "convotron",
    "convotron_on_data",
    "convotron_reference",
    "fit",
    "get_law",
    "glmtron",
    "leaky_relu",
    "leaky_relu_derivative",
    "parse_cov",
    "parse_noise",
    "parse_spec",
    "plugin_constants",
    "predict",
    "run_many",
    "sgd",
    "sgd_on_data",
    "sgd_reference",
    "symmetrize",
]
