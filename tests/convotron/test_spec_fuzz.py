"""Fuzzing: no input to a parser or constructor produces anything but a result or ConvotronError.

Any other exception (TypeError, IndexError, MemoryError, numpy errors...) fails the test, and
Hypothesis shrinks the input to a minimal reproducer.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError
from convotron.data.covariance import AR1, Dense, Diagonal, Identity, parse_cov
from convotron.data.laws import NoiseModel, get_law, parse_noise
from convotron.geometry.patches import PatchScheme, parse_spec

scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-3, 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
)
nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5), max_leaves=30)
small_ints = st.one_of(st.integers(-3, 40), st.integers(-(2**70), 2**70))
numbers_text = st.lists(
    st.one_of(
        st.integers(-3, 16).map(str),
        small_ints.map(str),
        st.text(alphabet="0123456789-+. ex", max_size=4),
    ),
    max_size=8,
).map(",".join)
spec_text = st.one_of(
    st.text(max_size=40),
    st.tuples(
        st.sampled_from(["1d", "2d", "1D", "2d ", "file", "3d", ""]),
        st.sampled_from([":", "", "::"]),
        numbers_text,
    ).map("".join),
)


def _result_or_error(call, *args):
    try:
        return call(*args)
    except ConvotronError as exc:
        assert str(exc), "an error must carry a message"
        return None


@given(spec_text)
def test_parse_spec_fuzz(spec):
    scheme = _result_or_error(parse_spec, spec)
    if scheme is not None:
        assert scheme.indices.shape == (scheme.k, scheme.r)
        assert scheme.spec is not None and parse_spec(scheme.spec).spec == scheme.spec


@given(st.one_of(small_ints, scalars), nested)
def test_from_indices_fuzz(n, indices):
    scheme = _result_or_error(PatchScheme.from_indices, n, indices)
    if scheme is not None:
        assert scheme.indices.min() >= 0 and scheme.indices.max() < scheme.n
        srt = np.sort(scheme.indices, axis=1)
        assert not (srt[:, 1:] == srt[:, :-1]).any()


@given(st.lists(st.one_of(small_ints, scalars), min_size=3, max_size=3))
def test_stride_1d_fuzz(args):
    _result_or_error(PatchScheme.stride_1d, *args)


@given(st.lists(st.one_of(st.integers(-2, 12), scalars), min_size=7, max_size=7))
def test_stride_2d_fuzz(args):
    _result_or_error(PatchScheme.stride_2d, *args[1:])
    _result_or_error(PatchScheme.stride_2d_channels, *args)


json_values = st.recursive(
    st.one_of(st.integers(-5, 20), st.floats(), st.text(max_size=3), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["n", "indices", "x"]), inner)
    ),
    max_leaves=20,
)


@given(st.one_of(json_values.map(json.dumps), st.text(max_size=30), st.binary(max_size=20)))
def test_file_spec_fuzz(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scheme.json"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        _result_or_error(parse_spec, f"file:{path}")


@given(st.one_of(st.text(max_size=20), scalars), st.one_of(st.integers(-2, 50), scalars))
def test_parse_cov_fuzz(spec, n):
    _result_or_error(parse_cov, spec, n)


@given(st.one_of(st.text(max_size=20), scalars))
def test_parse_noise_and_get_law_fuzz(spec):
    _result_or_error(parse_noise, spec)
    _result_or_error(get_law, spec)


@given(st.one_of(st.text(max_size=10), scalars), scalars)
def test_noise_model_fuzz(kind, level):
    _result_or_error(NoiseModel, kind, level)


@given(nested, st.one_of(st.integers(-2, 10), scalars), scalars)
def test_covariance_constructors_fuzz(values, n, rho):
    _result_or_error(Identity, n)
    _result_or_error(AR1, n, rho)
    _result_or_error(Diagonal, values)
    _result_or_error(Dense, values)
