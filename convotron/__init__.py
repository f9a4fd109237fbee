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
    "leaky_relu": "model.activations",
    "leaky_relu_derivative": "model.activations",
    "ManyResult": "learning.results",
    "RunResult": "learning.results",
    "convotron": "learning.algorithm",
    "convotron_on_data": "learning.algorithm",
    "convotron_reference": "learning.algorithm",
    "fit": "learning.algorithm",
    "run_many": "learning.many",
    "glmtron": "learning.baselines",
    "sgd": "learning.baselines",
    "sgd_on_data": "learning.baselines",
    "sgd_reference": "learning.baselines",
    "AR1": "data.covariance",
    "Covariance": "data.covariance",
    "Dense": "data.covariance",
    "Diagonal": "data.covariance",
    "Identity": "data.covariance",
    "parse_cov": "data.covariance",
    "LAWS": "data.laws",
    "InputLaw": "data.laws",
    "NoiseModel": "data.laws",
    "Teacher": "model.problem",
    "get_law": "data.laws",
    "parse_noise": "data.laws",
    "symmetrize": "data.laws",
    "ConvotronRegressor": "estimator",
    "predict": "model.network",
    "PatchScheme": "geometry.patches",
    "parse_spec": "geometry.patches",
    "PluginConstants": "estimation.plugin",
    "plugin_constants": "estimation.plugin",
    "Problem": "model.problem",
    "ConvotronRule": "learning.rules",
    "SGDRule": "learning.rules",
    "Rows": "learning.sources",
    "Sampler": "learning.sources",
}

if TYPE_CHECKING:  # the eager imports, for type checkers and IDEs
    from ._errors import AssumptionViolation, ConvotronError, DivergenceError
    from .data.covariance import AR1, Covariance, Dense, Diagonal, Identity, parse_cov
    from .data.laws import LAWS, InputLaw, NoiseModel, get_law, parse_noise, symmetrize
    from .estimation.plugin import PluginConstants, plugin_constants
    from .estimator import ConvotronRegressor
    from .geometry.patches import PatchScheme, parse_spec
    from .learning.algorithm import convotron, convotron_on_data, convotron_reference, fit
    from .learning.baselines import glmtron, sgd, sgd_on_data, sgd_reference
    from .learning.many import run_many
    from .learning.results import ManyResult, RunResult
    from .learning.rules import ConvotronRule, SGDRule
    from .learning.sources import Rows, Sampler
    from .model.activations import leaky_relu, leaky_relu_derivative
    from .model.network import predict
    from .model.problem import Problem, Teacher


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
