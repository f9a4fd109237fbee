"""Every public entry point has one validation table, and every row of it is enforced.

The tables (``_parameter_constraints``, scikit-learn's name) are built in
:mod:`convotron._validate` and applied in one way (``validate_params`` on a function,
``check_fields`` in a constructor). This test walks ``convotron.__all__`` (and the other
public entry points: ``run_range``, the scheme constructors, the glue's): each must have a
table or be listed in ``EXEMPT`` with the reason; for each row a value that breaks the row's
rule (derived from the rule itself, at its boundary) must raise a ``ConvotronError`` naming
that parameter, while the same call with valid values succeeds. A failure means a public
name without a table, or a row that is declared but not checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import convotron
from convotron import ConvotronError
from convotron._validate import (
    AnyOf,
    Callable_,
    Constraint,
    InstanceOf,
    Interval,
    Options,
    Param,
    Seeds,
)

#: Public names without a table, and why.
EXEMPT = {
    "AssumptionViolation": "an exception type",
    "ConvotronError": "an exception type",
    "DivergenceError": "an exception type",
    "LAWS": "a constant (the table of input laws)",
    "__version__": "a constant",
    "ManyResult": "a result the library builds",
    "RunResult": "a result the library builds",
    "PluginConstants": "a result the library builds",
    "Covariance": "an abstract base class (its subclasses have tables)",
    "InputLaw": "a law's record, built by convotron.data.laws.LAWS (callers pass a law's name)",
    "Rows": "its X and y are checked against the scheme's width when a run uses them",
    "Diagonal": "its one argument is an array, checked as an array (finite, > 0, within limits)",
    "Dense": "its one argument is a matrix, checked as a matrix (symmetric, positive definite)",
    "get_law": "its one argument is a law's name, checked against LAWS (the message lists them)",
    "parse_noise": "its one argument is a spec string, a number or a NoiseModel, parsed",
}


def _setup() -> dict[str, Any]:
    from convotron import Teacher, parse_spec

    scheme = parse_spec("1d:8,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((200, 8))
    return {"scheme": scheme, "teacher": teacher, "X": X, "y": teacher.predict(X)}


S = _setup()


def _rng() -> np.random.Generator:
    return np.random.default_rng(2)


def _calls() -> dict[str, tuple[Callable[..., Any], Callable[[], dict[str, Any]]]]:
    """Entry point -> (the callable, valid keyword arguments), one fresh set per call."""
    from convotron import (
        AR1,
        ConvotronRule,
        Identity,
        NoiseModel,
        PatchScheme,
        Problem,
        Sampler,
        SGDRule,
        Teacher,
    )
    from convotron.learning.many import run_range

    scheme, teacher, X, y = S["scheme"], S["teacher"], S["X"], S["y"]
    run = dict(scheme=scheme, alpha=0.0, batch=1, w_star=teacher.w_star, record_every=5, eps=0.1)
    fresh = dict(iters=10, chunk=64, on_divergence="raise")
    c = convotron
    return {
        "fit": (c.fit, lambda: dict(rule=ConvotronRule(), source=teacher, eta=0.01, rng=_rng(),
                                    stream="numpy", **run, **fresh)),
        "convotron": (c.convotron, lambda: dict(sample=teacher.sample, eta=0.01, rng=_rng(),
                                                only_patch=None, **run, **fresh)),
        "convotron_on_data": (c.convotron_on_data,
                              lambda: dict(X=X, y=y, eta=0.01, only_patch=None, **run)),
        "convotron_reference": (c.convotron_reference, lambda: dict(
            X=X[:20], y=y[:20], scheme=scheme, alpha=0.0, eta=0.01, batch=1, only_patch=None)),
        "run_many": (c.run_many, lambda: dict(
            rule=ConvotronRule(), teacher=teacher, eta=0.01, iters=10, runs=2, seed=0, workers=1,
            batch=1, record_every=5, eps=0.1, on_divergence="record", stream="numpy")),
        "run_range": (run_range, lambda: dict(
            rule=ConvotronRule(), teacher=teacher, eta=0.01, iters=10, seed=0, start=0, stop=2,
            batch=1, record_every=5, eps=0.1, on_divergence="record", stream="numpy")),
        "sgd": (c.sgd, lambda: dict(sample=teacher.sample, lr=0.01, rng=_rng(), **run, **fresh)),
        "sgd_on_data": (c.sgd_on_data, lambda: dict(X=X, y=y, lr=0.01, **run)),
        "sgd_reference": (c.sgd_reference, lambda: dict(
            X=X[:20], y=y[:20], scheme=scheme, alpha=0.0, lr=0.01, batch=1)),
        "glmtron": (c.glmtron, lambda: dict(X=X[:20], y=y[:20], alpha=0.0, eta=0.01)),
        "leaky_relu": (c.leaky_relu, lambda: dict(z=np.ones(3), alpha=0.5)),
        "leaky_relu_derivative": (c.leaky_relu_derivative, lambda: dict(z=np.ones(3), alpha=0.5)),
        "predict": (c.predict, lambda: dict(w=np.zeros(4), X=X, scheme=scheme, alpha=0.0)),
        "plugin_constants": (c.plugin_constants,
                             lambda: dict(X=X, scheme=scheme, alpha=0.0, level=0.9)),
        "parse_spec": (c.parse_spec, lambda: dict(spec="1d:8,4,2")),
        "parse_cov": (c.parse_cov, lambda: dict(spec="identity", n=8)),
        "symmetrize": (c.symmetrize, lambda: dict(X=X, rng=_rng())),
        "PatchScheme": (PatchScheme, lambda: dict(n=8, indices=scheme.indices, spec="x")),
        "PatchScheme.stride_1d": (PatchScheme.stride_1d, lambda: dict(n=8, r=4, stride=2)),
        "PatchScheme.stride_2d_channels": (PatchScheme.stride_2d_channels, lambda: dict(
            channels=1, height=4, width=4, patch_h=2, patch_w=2, stride_h=1, stride_w=1)),
        "Identity": (Identity, lambda: dict(n=8)),
        "AR1": (AR1, lambda: dict(n=8, rho=0.5)),
        "NoiseModel": (NoiseModel, lambda: dict(kind="gaussian", level=0.1)),
        "Problem": (Problem, lambda: dict(scheme=scheme, alpha=0.0, law="gaussian", cov=None,
                                          noise="none")),
        "Teacher": (Teacher, lambda: dict(problem=teacher.problem, w_star=teacher.w_star)),
        "Sampler": (Sampler, lambda: dict(sample=teacher.sample)),
        "ConvotronRule": (ConvotronRule, lambda: dict(only_patch=1, plugin_samples=40)),
        "SGDRule": (SGDRule, lambda: dict(init_scale=1.0, sigma_prime_at_zero=0.5)),
    }  # fmt: skip


def _glue_calls() -> dict[str, tuple[Callable[..., Any], Callable[[], dict[str, Any]]]]:
    from convotron.glue.parameters import theorem_parameters
    from convotron.glue.sweep import run_sweep
    from convotron.glue.sweep.grid import grid_from_args
    from convotron.glue.verify.suite import run_suite
    from convotron.model.problem import Problem

    problem = Problem.from_specs("1d:8,4,2", alpha=0.0)
    grid = grid_from_args({"scheme": "1d:8,4,2"}, runs=2, seed=0, chunk=2)
    from convotron.learning._sampling import fused_convotron, source_codes

    teacher = S["teacher"]
    codes = source_codes(teacher.law, teacher.cov, teacher.noise)
    return {
        "_sampling.fused_convotron": (fused_convotron, lambda: dict(
            n=8, indices=teacher.scheme.indices, alpha=0.0, teacher_w=teacher.w_star,
            codes=codes, eta=0.01, iters=10, rng=_rng(), batch=1, w_star=teacher.w_star,
            record_every=5, eps=0.1, stream="numpy")),
        "glue.theorem_parameters": (theorem_parameters, lambda: dict(
            problem=problem, eps=0.01, delta=0.1, w_norm=1.0)),
        # a bad row is refused before the grid's folder is touched
        "glue.run_sweep": (run_sweep, lambda: dict(grid=grid, out="/nonexistent/never-written",
                                                   progress=False, figures=False,
                                                   verbose=False)),
        # a bad row is refused before the (empty) list of cases is read
        "glue.run_suite": (run_suite, lambda: dict(cases=[], runs=2, workers=1,
                                                   significance=0.01)),
    }  # fmt: skip


def table_of(obj: Any) -> dict[str, Param] | None:
    """The entry point's table: a function's or a class's ``_parameter_constraints``."""
    found = getattr(obj, "_parameter_constraints", None)
    if found is None and isinstance(obj, type):
        found = getattr(obj.__init__, "_parameter_constraints", None)
    return found


def bad_value(c: Constraint) -> Any:
    """A value the constraint refuses, at its boundary where it has one."""
    if isinstance(c, Interval):
        if c.lo is not None:
            return c.lo - (0 if c.closed in ("neither", "right") else 1)
        if c.hi is not None:
            return c.hi + (0 if c.closed in ("neither", "left") else 1)
        return math.nan if c.type is float else 0.5
    if isinstance(c, Options):
        return "no such option"
    if isinstance(c, Seeds):
        return -1
    if isinstance(c, Callable_):
        return 5
    if isinstance(c, InstanceOf | AnyOf):
        return object()
    return object()  # a constraint of its own (e.g. the estimator's scheme): not its kind


def test_every_public_name_has_a_table_or_a_reason():
    calls = _calls()
    missing = []
    for name in convotron.__all__:
        if name in EXEMPT:
            continue
        obj = getattr(convotron, name)
        if table_of(obj) is None:
            missing.append(name)
        elif name not in calls and name != "ConvotronRegressor":
            missing.append(f"{name} (no call in this test)")
    assert not missing, f"public names without a validation table: {missing}"
    assert set(EXEMPT) <= set(convotron.__all__)  # no stale exemption


def _rows() -> list[tuple[str, str]]:
    calls = {**_calls(), **_glue_calls()}
    out = []
    for name, (fn, _) in calls.items():
        rows = table_of(fn)
        assert rows, f"{name} has no table"
        out += [(name, param) for param in rows]
    return out


ROWS = _rows()


@pytest.mark.parametrize(("entry", "param"), ROWS, ids=[f"{e}-{p}" for e, p in ROWS])
def test_each_row_is_enforced(entry, param):
    fn, kwargs = {**_calls(), **_glue_calls()}[entry]
    row = table_of(fn)[param]
    bad = bad_value(row.constraint)
    args = kwargs()
    args[param] = bad
    with pytest.raises(ConvotronError) as info:
        fn(**args)
    assert info.value.param == param, str(info.value)
    assert str(info.value).startswith(param), str(info.value)


@pytest.mark.parametrize("entry", sorted(set(_calls()) - {"glue.run_suite"}))
def test_the_valid_calls_pass(entry):
    """The base calls are valid: an error above is the bad value's, not the call's."""
    fn, kwargs = _calls()[entry]
    fn(**kwargs())


def test_the_estimators_rows_are_enforced():
    from convotron.estimator import _PARAMS, ConvotronRegressor

    assert ConvotronRegressor._parameter_constraints.keys() == _PARAMS.keys()
    X, y = S["X"][:30], S["y"][:30]
    ConvotronRegressor(eta=0.01, max_iter=2, tol=None).fit(X, y)
    for param, row in _PARAMS.items():
        est = ConvotronRegressor(eta=0.01, max_iter=2, tol=None).set_params(
            **{param: bad_value(row.constraint)}
        )
        with pytest.raises(ConvotronError) as info:
            est.fit(X, y)
        assert info.value.param == param, str(info.value)


# --------------------------------------------------------------------------- one source


def _probes(c: Constraint) -> list[Any]:
    """Values on both sides of a constraint's boundaries (bools left out: see below)."""
    if isinstance(c, AnyOf):
        return [v for alt in c.alternatives for v in _probes(alt)]
    if isinstance(c, Interval):
        out: list[Any] = [math.nan, math.inf, -math.inf, "1", None]
        for b in (c.lo, c.hi):
            if b is not None:
                out += [b - 1, b, b + 1] if c.type is int else [b - 0.5, b, b + 0.5]
        out += [2.5, 0.5, 3] if c.type is int else [0.25, 7.0, 3]
        return out
    if isinstance(c, Options):
        return [*c.values, "other", None, 1]
    if isinstance(c, InstanceOf):
        return [np.bool_(True), "x", 1.5, None, np.random.RandomState(0), np.random.default_rng()]
    return ["1d:4,2", None, 3, S["scheme"]]


def test_scikit_learns_constraints_are_derived_from_the_table():
    """sklearn's validation and ours accept exactly the same values of every parameter.

    The one difference scikit-learn cannot express is left out of the probes: ``True`` is an
    ``Integral`` there, and refused by our integer rows.
    """
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    from convotron.estimator import _PARAMS, ConvotronRegressor

    constraints = ConvotronRegressor._parameter_constraints
    for param, row in _PARAMS.items():
        for value in _probes(row.constraint):
            try:
                row(value)
                ours = True
            except ConvotronError:
                ours = False
            try:
                validate_parameter_constraints(
                    {param: constraints[param]}, {param: value}, "ConvotronRegressor"
                )
                theirs = True
            except InvalidParameterError:
                theirs = False
            assert ours == theirs, (param, value, ours, theirs)
