"""Declarative validation: each constraint's rule, its one message, and the parameter it names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convotron import ConvotronError
from convotron._validate import Callable_, InstanceOf, Interval, Options, Param, fail, validate


@pytest.mark.parametrize(
    ("constraint", "good", "bad", "rule"),
    [
        (Interval(int, 1, None), [1, np.int64(7)], [0, 2.0, True, "3"], "an integer with x >= 1"),
        (Interval(int, 0, 4), [0, 4], [-1, 5], "an integer with 0 <= x <= 4"),
        (Interval(int, 0, 4, closed="neither"), [1, 3], [0, 4], "an integer with 0 < x < 4"),
        (Interval(int, None, None), [-5], [0.5], "an integer"),
        (
            Interval(float, 0.0, None, closed="neither"),
            [1e-9, 3],
            [0.0, -1.0, math.inf, math.nan, False, "1"],
            "a finite number > 0",
        ),
        (Interval(float, 0.0, None), [0.0], [-1e-9], "a finite number >= 0"),
        (
            Interval(float, 0.0, 1.0),
            [0, 1.0, np.float32(0.5)],
            [1.5, math.nan],
            "a number in [0, 1]",
        ),
        (Interval(float, -1.0, 1.0, closed="neither"), [0.9], [1.0, -1.0], "a number in (-1, 1)"),
        (Interval(float, None, 2.0, closed="right"), [-7.0], [2.5], "a finite number <= 2"),
        (Interval(float, 0.0, 1e100), [1e99], [2e100], "a number in [0, 1e+100]"),
        (Options("raise", "record"), ["raise", "record"], ["x", None, 1], "'raise' or 'record'"),
        (Options("zero", "random", "given"), ["given"], ["Zero"], "'zero', 'random' or 'given'"),
        (InstanceOf(int, "an int"), [3], ["3"], "an int"),
        (Callable_("a callable f(x)"), [len], [3], "a callable f(x)"),
    ],
)
def test_each_constraint_accepts_and_refuses_and_describes_its_rule(constraint, good, bad, rule):
    for value in good:
        assert validate("x", value, constraint, fix="Fix it.") == value
    for value in bad:
        with pytest.raises(ConvotronError, match=r"^x must be ") as info:
            validate("x", value, constraint, fix="Fix it.")
        assert str(info.value) == f"x must be {rule}; got {constraint.show(value)}. Fix it."
        assert info.value.param == "x"


def test_the_one_message_format():
    """'{name} ({meaning}) must be {rule}; got {value!r}. {fix}', and the error names its param."""
    eta = Param("eta", Interval(float, 0.0, None, closed="neither"), meaning="the step size",
                fix="Pass a positive eta, e.g. 0.01.")  # fmt: skip
    assert eta(0.5) == 0.5 and isinstance(eta(1), float)
    with pytest.raises(ConvotronError) as info:
        eta(0.0)
    assert str(info.value) == (
        "eta (the step size) must be a finite number > 0; got 0.0. Pass a positive eta, e.g. 0.01."
    )
    assert info.value.param == "eta"
    maybe = Param("m", Interval(int, 1, None), fix="Pass m.", allow_none=True)
    assert maybe(None) is None
    with pytest.raises(ConvotronError, match=r"^m must be an integer with m >= 1 or None; got 0\."):
        maybe(0)
    with pytest.raises(ConvotronError, match=r"got str\. Fix"):
        validate("rng", "seed", InstanceOf(np.random.Generator, "a Generator"), fix="Fix.")
    err = fail("w", "finite", "NaN at [1]", "Pass a finite w.", meaning="the filter")
    assert str(err) == "w (the filter) must be finite; got NaN at [1]. Pass a finite w."
    assert err.param == "w"


def test_alpha_is_checked_in_one_place_with_one_message():
    """check_alpha (activations), the model, the teacher and the runner all give one message."""
    from convotron.geometry.patches import parse_spec
    from convotron.learning.algorithm import convotron_on_data
    from convotron.model.activations import check_alpha
    from convotron.model.network import predict
    from convotron.model.problem import Teacher

    scheme = parse_spec("1d:8,4,2")
    message = (
        r"^alpha \(the leaky-ReLU slope\) must be a number in \[0, 1\]; got 1\.5\. Pass 0 for "
        r"ReLU, 1 for a linear model, or a value in between\.$"
    )
    calls = [
        lambda: check_alpha(1.5),
        lambda: predict(np.zeros(4), np.zeros(8), scheme, 1.5),
        lambda: Teacher.random(scheme, 1.5, np.random.default_rng(0)),
        lambda: convotron_on_data(np.zeros((2, 8)), np.zeros(2), scheme, 1.5, eta=0.1),
    ]
    for call in calls:
        with pytest.raises(ConvotronError, match=message) as info:
            call()
        assert info.value.param == "alpha"
