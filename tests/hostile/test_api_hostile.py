"""Hostile input to the Python API: a clear ConvotronError, before anything large is allocated.

Item 9 of the hostile-input issue (ragged indices, ``geometry="1d"``, NaN or non-PSD dense
covariances, samplers returning None, a 3-tuple or strings) and the core's size and cost
model (:mod:`convotron._limits`): each refusal is checked to come before the allocation (the
requested sizes would take terabytes, so reaching the allocation would fail differently).
"""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from convotron import ConvotronError
from convotron._errors import DivergenceError
from convotron._limits import (
    DIVERGENCE_LIMIT,
    MAX_CHUNK_ENTRIES,
    MAX_NOISE_LEVEL,
    MAX_SCHEME_FILE_BYTES,
    chunk_rows,
)
from convotron.data.covariance import Dense
from convotron.data.laws import NoiseModel, parse_noise
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.learning.algorithm import convotron, fit
from convotron.learning.many import run_many
from convotron.learning.rules import ConvotronRule
from convotron.learning.sources import Rows
from convotron.model.problem import Teacher

SCHEME = parse_spec("1d:16,4,2")


@pytest.fixture(scope="module")
def teacher() -> Teacher:
    return Teacher.random(SCHEME, 0.0, np.random.default_rng(0))


# --------------------------------------------------------------------- item 9: the API
def test_ragged_indices() -> None:
    with pytest.raises(ConvotronError, match=r"rectangular \(k, r\) array.*same size r"):
        PatchScheme.from_indices(8, [[0, 1], [2]])


def test_geometry_must_be_a_dict() -> None:
    with pytest.raises(ConvotronError, match=r"geometry must be a dict .* got str '1d'"):
        PatchScheme(n=8, indices=[[0, 1], [2, 3]], geometry="1d")  # type: ignore[arg-type]


def test_dense_covariance_nan_refused_at_construction() -> None:
    with pytest.raises(ConvotronError, match="must be finite; got NaN"):
        Dense([[np.nan, 0.0], [0.0, 1.0]])


def test_dense_covariance_not_psd_refused_at_construction() -> None:
    with pytest.raises(ConvotronError, match=r"positive semi-definite; got smallest eigenvalue -1"):
        Dense([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize(
    ("returned", "said"),
    [
        (None, r"got NoneType None"),
        ((np.zeros((10, 16)), np.zeros(10), np.zeros(10)), r"got a tuple of 3 items"),
        (("a", "b"), r"its X is str 'a'"),
        ((np.zeros((10, 16)).astype(str), np.zeros(10)), r"its X is an array .* dtype <U"),
        ((np.zeros((10, 16)), np.zeros(10, dtype=complex)), r"its y is an array .* complex"),
    ],
    ids=["None", "3-tuple", "strings", "string-array", "complex-y"],
)
def test_sampler_returning_garbage_is_named(returned: object, said: str) -> None:
    with pytest.raises(ConvotronError, match=r"sample\(rng, m\) must return .*" + said) as info:
        convotron(
            lambda rng, m: returned, SCHEME, 0.0, eta=0.01, iters=10, rng=np.random.default_rng(0)
        )
    assert info.value.param == "sample"


# --------------------------------------------------------------------- item 1: sizes
def test_teacher_sample_too_many(teacher: Teacher) -> None:
    with pytest.raises(ConvotronError, match=r"m is too large: .*\(116 TiB\).* at most \d+"):
        teacher.sample(np.random.default_rng(0), 10**12)


def test_teacher_sample_in_chunks_matches_one_chunk(teacher: Teacher) -> None:
    """Chunking (fewer rows for a large n) draws the same stream for Gaussian inputs."""
    X1, y1 = teacher.sample(np.random.default_rng(3), 100)
    X2, y2 = teacher.sample(np.random.default_rng(3), 100, chunk=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_allclose(y1, y2, rtol=0, atol=1e-12)


def test_chunk_rows_bounds_memory() -> None:
    assert chunk_rows(4096, 64) == 4096
    assert chunk_rows(4096, 9_000_000) * 9_000_000 <= MAX_CHUNK_ENTRIES
    assert chunk_rows(4096, 9_000_000, multiple=3) % 3 == 0


def test_huge_batch_refused_before_drawing(teacher: Teacher) -> None:
    with pytest.raises(ConvotronError, match=r"batch is too large: .* Pass a batch of at most"):
        fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=0.01, iters=1, batch=10**9,
            rng=np.random.default_rng(0))  # fmt: skip


def test_absurd_iters_refused(teacher: Teacher) -> None:
    with pytest.raises(ConvotronError, match=r"iters is too large for this problem") as info:
        fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=0.01, iters=10**15,
            rng=np.random.default_rng(0))  # fmt: skip
    assert info.value.param == "iters"


def test_too_many_records_refused(teacher: Teacher) -> None:
    with pytest.raises(ConvotronError, match=r"record_every is too small .* record_every >= "):
        fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=0.01, iters=10**9, record_every=1,
            w_star=teacher.w_star, rng=np.random.default_rng(0))  # fmt: skip


def test_run_many_total_work_refused(teacher: Teacher) -> None:
    with pytest.raises(ConvotronError, match=r"runs is too large"):
        run_many(ConvotronRule(), teacher, eta=0.01, iters=10**8, runs=10**4, seed=0)


def test_large_filter_builds_quickly() -> None:
    """k = 1, r = n = 10⁶: no Python loop over the r columns."""
    scheme = PatchScheme.stride_1d(10**6, 10**6, 1)
    assert scheme._slices is None and scheme.k == 1


def test_scheme_file_special_files(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConvotronError, match="must be a regular file; got a FIFO"):
        parse_spec(f"file:{fifo}")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(ConvotronError, match="must be a regular file; got a device"):
        parse_spec("file:/dev/zero")
    with pytest.raises(ConvotronError, match="is a folder, not a file"):
        parse_spec(f"file:{tmp_path}")


def test_scheme_file_size_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(MAX_SCHEME_FILE_BYTES + 1)
    with pytest.raises(ConvotronError, match=r"is too large: \d+ bytes, above the limit"):
        parse_spec(f"file:{big}")


def test_scheme_file_with_huge_integer(tmp_path: Path) -> None:
    f = tmp_path / "s.json"
    f.write_text('{"n": 8, "indices": [[0, ' + "9" * 5000 + "]]}")
    with pytest.raises(ConvotronError, match="could not be read as a scheme"):
        parse_spec(f"file:{f}")


# --------------------------------------------------------------------- item 8: messages
@pytest.mark.parametrize("value", [2**63, 2**64, -(2**63) - 1])
def test_out_of_range_index_reported_by_value(value: int) -> None:
    with pytest.raises(ConvotronError, match=rf"0\.\.n-1 \(n=8\); got {value} at patch 0"):
        PatchScheme.from_indices(8, [[0, value]])


def test_index_of_thousands_of_digits() -> None:
    with pytest.raises(ConvotronError, match=r"got an integer of about 5001 digits"):
        PatchScheme.from_indices(8, [[0, 10**5000]])


def test_bad_1d_spec_suggests_a_1d_example() -> None:
    with pytest.raises(ConvotronError, match=r"'1d:N,R,STRIDE'.* Pass e\.g\. '1d:64,8,2'\.$"):
        parse_spec("1d:16,4")


@pytest.mark.parametrize("number", ["1" + "0" * 18, "9" * 5000])
def test_huge_spec_numbers_are_too_large(number: str) -> None:
    with pytest.raises(ConvotronError, match=r"which is too large: .* n <= 16777216") as info:
        parse_spec(f"1d:{number},4,2")
    assert "whole number" not in str(info.value) and len(str(info.value)) < 400


def test_switches_are_named_as_flags() -> None:
    from convotron.cli._common import render_error

    args = argparse.Namespace(exact=False, eta="0.1")
    err = ConvotronError("needs n <= 64; got n=100. Use exact=False (numeric) or exact=None.")
    assert render_error(err, args) == "needs n <= 64; got n=100. Drop --exact."
    err = ConvotronError("not rational. Pass 1/2, or exact=False for a numeric check.")
    assert render_error(err, args) == "not rational. Pass 1/2, or drop --exact for a numeric check."
    assert render_error(ConvotronError("pass exact=True to force it"), args) == (
        "pass --exact to force it"
    )
    # not switches of the command: left alone
    err = ConvotronError("step size eta=5; w_star=None")
    assert render_error(err, args) == str(err)


# --------------------------------------------------------------------- item 4: overflow
@pytest.mark.parametrize("spec", ["hetero:1e155", "uniform:1e308", "gaussian:1e101"])
def test_noise_level_limited(spec: str) -> None:
    match = r"^level \(the noise level, a standard deviation\) must be a number in \[0, 1e\+100\]"
    with pytest.raises(ConvotronError, match=match):
        parse_noise(spec)


def test_noise_level_at_the_limit_is_finite() -> None:
    noise = NoiseModel("uniform", MAX_NOISE_LEVEL)
    xi = noise.sample(np.random.default_rng(0), np.ones((5, 3)))
    assert np.all(np.isfinite(xi)) and np.isfinite(noise.variance)


# --------------------------------------------------------------------- item 5: divergence
def test_divergence_to_an_absurd_magnitude_is_detected(teacher: Teacher) -> None:
    """eta = 10 on 1d:16,4,2 overflows past 1e150 (the old check waited for inf: w ≈ 4e206)."""
    with pytest.raises(DivergenceError, match=r"larger than 1e\+150 at iteration \d+") as info:
        fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=10.0, iters=200,
            rng=np.random.default_rng(0))  # fmt: skip
    assert "eta=1 " not in str(info.value)  # not a fixed eta/10
    res = fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=10.0, iters=200,
              rng=np.random.default_rng(0), w_star=teacher.w_star,
              on_divergence="record")  # fmt: skip
    assert res.diverged and res.sq_error == np.inf


def test_divergence_hint_is_a_step_that_works(teacher: Teacher) -> None:
    with pytest.raises(DivergenceError, match=r"e\.g\. eta=([0-9.e-]+) or less") as info:
        fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=100.0, iters=2000,
            rng=np.random.default_rng(0))  # fmt: skip
    hint = float(str(info.value).split("e.g. eta=")[1].split()[0])
    res = fit(ConvotronRule(), teacher, SCHEME, 0.0, eta=hint, iters=20000,
              rng=np.random.default_rng(1), w_star=teacher.w_star)  # fmt: skip
    assert np.isfinite(res.sq_error) and res.sq_error < 1e-3


def test_divergence_on_rows(teacher: Teacher) -> None:
    X, y = teacher.sample(np.random.default_rng(0), 500)
    with pytest.raises(DivergenceError, match="diverged"):
        fit(ConvotronRule(), Rows(X, 100 * y), SCHEME, 0.0, eta=100.0)
    assert DIVERGENCE_LIMIT**2 * 2**25 < np.finfo(float).max


@pytest.mark.parametrize(
    ("matrix", "match"),
    [
        ([[1e308, 1e308], [1e308, 1e308]], r"at most 1e\+100 in magnitude"),  # eigh gave NaN
        ([[1, 0], [0, 1j]], r"real numbers\); got dtype complex128"),
        ([["1", "0"], ["0", "1"]], r"real numbers\); got dtype <U1"),
    ],
    ids=["overflow", "complex", "strings"],
)
def test_dense_covariance_odd_entries(matrix: object, match: str) -> None:
    with pytest.raises(ConvotronError, match=match):
        Dense(matrix)


def test_run_many_number_of_runs_limited(teacher: Teacher) -> None:
    with pytest.raises(
        ConvotronError, match=r"^runs must be an integer with 1 <= runs <= 100000; got 10000000\. "
    ):
        run_many(ConvotronRule(), teacher, eta=0.01, iters=1, runs=10**7, seed=0)


@pytest.mark.parametrize("which", ["X", "y"])
def test_rows_of_absurd_magnitude_refused(teacher: Teacher, which: str) -> None:
    """Values of 1e200 overflowed into RuntimeWarnings and an inf-laden message."""
    X, y = teacher.sample(np.random.default_rng(0), 100)
    X, y = (1e200 * X, y) if which == "X" else (X, 1e200 * y)
    with pytest.raises(ConvotronError, match=rf"{which} must hold values of magnitude at most"):
        fit(ConvotronRule(), Rows(X, y), SCHEME, 0.0, eta=0.01)


def test_plugin_constants_refuse_absurd_magnitude(teacher: Teacher) -> None:
    from convotron.estimation.plugin import plugin_constants

    X, _ = teacher.sample(np.random.default_rng(0), 100)
    with pytest.raises(ConvotronError, match=r"X must hold values of magnitude at most 1e\+50"):
        plugin_constants(1e200 * X, SCHEME, 0.0)
