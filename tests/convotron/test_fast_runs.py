"""The fused loop on the fast stream (``stream="fast"``, convotron._compiled._rng).

1. whole fused runs on the fast stream equal the readable oracle ``fused_reference(...,
   stream="fast")`` bitwise (its draws from ``ReferenceStream``, plain Python integers), for
   every law, every covariance and every noise, both rules, a 2D scheme (those cases are
   test_sampling.py's, run on both streams); here, across many blocks;
2. ``fit`` (the engine, in pieces) equals one call (the kernel in pieces: test_sampling.py);
3. the choice is validated: ``stream`` names a stream, and "fast" needs the fused path;
4. the numpy stream is untouched (its bitwise tests are tests/convotron/test_sampling.py and
   tests/convotron/test_bitwise.py, with ``stream="numpy"`` named);
5. the default (``stream=None``) is the fast stream where the compiled loop draws the
   teacher, numpy's for a law the fast stream lacks, and no stream on given rows.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from convotron._compiled import _rng
from convotron._errors import ConvotronError
from convotron.data.covariance import Identity
from convotron.data.laws import LAWS, NoiseModel
from convotron.geometry.patches import parse_spec
from convotron.learning import _sampling as S
from convotron.learning.algorithm import fit
from convotron.learning.rules import ConvotronRule
from convotron.learning.sources import Rows
from convotron.model.problem import Teacher
from tests.convotron._fused_cases import assert_same, both, fast_draws, run_or_refused


def _both(scheme, law, cov, noise, seed, **kw):
    return both(scheme, law, cov, noise, seed, stream="fast", **kw)


# every law x covariance x noise and every mode on the fast stream: test_sampling.py's
# oracle tests, parametrised over both streams


def test_fast_run_crosses_many_blocks_like_the_oracle() -> None:
    """Gaussian inputs written out in the loop: 600 samples of 16 = 37 normal blocks."""
    scheme = parse_spec("1d:16,4,2")
    got, ref = _both(
        scheme, LAWS["gaussian"], Identity(16), NoiseModel("gaussian", 0.2), 3,
        eta=0.01, iters=600, w_star=np.zeros(scheme.r), record_every=50,
    )  # fmt: skip
    assert_same(got, ref)


@pytest.mark.parametrize(
    "noise",
    [NoiseModel("uniform", 0.2), NoiseModel("hetero", 0.5)],
    ids=["uniform-noise", "hetero-noise"],
)
def test_fast_exponential_run_reaches_the_slow_paths_like_the_oracle(noise: NoiseModel) -> None:
    """The exponential ziggurat written out in the loop, slow paths included.

    1500 samples of 16 = 24 000 word-queue exponentials (94 refills, shared with the uniform
    noise's words): about 150 rejected words and 2.3 expected tails; this seed's stream of
    exponentials (the ReferenceStream below, drawn as the run draws) reaches both.
    """
    scheme = parse_spec("1d:16,4,2")
    seed = 6
    got, ref = _both(
        scheme, LAWS["exponential"], Identity(16), noise, seed,
        eta=0.005, iters=1500, w_star=np.zeros(scheme.r), record_every=100,
    )  # fmt: skip
    assert_same(got, ref)
    # the run's own exponentials (its stream seeded after w_1 = 0: no draw) reach the tail
    st = _rng.ReferenceStream(_rng.seed_from_generator(np.random.default_rng(seed)))
    e = []
    for _ in range(1500):
        e += st.draw("exponential", 16)
        if noise.kind == "uniform":
            st.double()
        else:
            st.normal()
    assert np.sum(np.array(e) + 1.0 > _rng._ER) >= 1


def test_fast_stream_differs_from_numpy_and_is_reproducible() -> None:
    scheme = parse_spec("1d:16,4,2")
    tw = np.linspace(-1, 1, scheme.r)
    codes = S.source_codes(LAWS["gaussian"], Identity(16), NoiseModel("none"))
    kw = dict(eta=0.01, iters=500)

    def run(stream: str, seed: int) -> S.FusedRun:
        return S.fused_convotron(16, scheme.indices, 0.0, tw, codes,
                                 rng=np.random.default_rng(seed), stream=stream, **kw)  # fmt: skip

    assert_same(run("fast", 7), run("fast", 7))
    assert not np.array_equal(run("fast", 7).w, run("numpy", 7).w)
    assert not np.array_equal(run("fast", 7).w, run("fast", 8).w)
    assert_same(run("fast", 7), S.fused_convotron(16, scheme.indices, 0.0, tw, codes,
                                                  rng=np.random.default_rng(7), **kw))  # fmt: skip


def test_fit_with_the_fast_stream_equals_the_fused_run() -> None:
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), law="uniform")
    res = fit(ConvotronRule(), teacher, scheme, 0.0, eta=0.01, iters=2000,
              rng=np.random.default_rng(4), w_star=teacher.w_star, stream="fast")  # fmt: skip
    codes = S.source_codes(teacher.law, teacher.cov, teacher.noise)
    run = S.fused_convotron(16, scheme.indices, 0.0, teacher.w_star, codes, eta=0.01,
                            iters=2000, rng=np.random.default_rng(4), stream="fast")  # fmt: skip
    assert np.array_equal(res.w, run.w)


def test_stream_is_validated() -> None:
    scheme = parse_spec("1d:8,2,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    with pytest.raises(ConvotronError, match="stream"):
        fit(ConvotronRule(), teacher, scheme, 0.0, eta=0.01, iters=10,
            rng=np.random.default_rng(1), stream="pcg")  # fmt: skip
    X, y = teacher.sample(np.random.default_rng(2), 20)
    with pytest.raises(ConvotronError, match=r"stream='fast' draws a Teacher's samples.*Rows"):
        fit(ConvotronRule(), Rows(X, y), scheme, 0.0, eta=0.01, stream="fast")
    # a teacher of another slope than the run's is sampled in chunks: no fast stream there
    with pytest.raises(ConvotronError, match="Pass stream='numpy'"):
        fit(ConvotronRule(), teacher, scheme, 0.5, eta=0.01, iters=10,
            rng=np.random.default_rng(1), stream="fast")  # fmt: skip


def test_a_law_the_fast_stream_does_not_draw_is_refused() -> None:
    codes = S.source_codes(LAWS["gaussian"], Identity(8), NoiseModel("none"))._replace(law=17)
    scheme = parse_spec("1d:8,2,2")
    with pytest.raises(ConvotronError, match=r"does not draw the input law of code 17"):
        S.fused_convotron(8, scheme.indices, 0.0, np.ones(2), codes, eta=0.01, iters=5,
                          rng=np.random.default_rng(0), stream="fast")  # fmt: skip


def test_the_linear_mse_verify_case_runs_on_the_chosen_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``verify --rng fast`` reaches the α = 1 curve case (``lem-linear-mse``) too."""
    import convotron.learning.many as many
    from convotron.glue import verify as V
    from convotron.glue.verify import mse, suite

    case = next(c for c in V.default_cases("quick") if c.claim == "lem-linear-mse")
    seen: list[str] = []
    real = many.run_many

    def spy(*a, **k):
        seen.append(k["stream"])
        return real(*a, **k)

    monkeypatch.setattr(many, "run_many", spy)
    monkeypatch.setattr(mse, "ITERS", 600)  # a short curve and few runs: only the stream
    monkeypatch.setattr(mse, "MIN_RUNS", 40)  # is checked here, not the verdict
    res = {s: suite.run_case(case, runs=40, workers=1, stream=s) for s in ("numpy", "fast")}
    assert seen == ["numpy", "fast"]
    # the note names the stream when it is not the default (the fast one)
    assert "(numpy stream)" in res["numpy"].note and "stream)" not in res["fast"].note


def test_sweep_rng_is_checked_and_part_of_the_resume_key() -> None:
    from convotron.glue.sweep.grid import grid_from_args
    from convotron.glue.sweep.store import chunk_key, key_changes, result_key

    with pytest.raises(ConvotronError, match=r"rng must be one of numpy, fast; got 'pcg'"):
        grid_from_args({"scheme": "1d:8,2,2"}, runs=2, seed=0, chunk=2, rng="pcg")
    grid = grid_from_args({"scheme": "1d:8,2,2"}, runs=2, seed=0, chunk=2, rng="fast")
    assert grid.rng == "fast" and grid.to_json()["rng"] == "fast"
    kw = dict(max_updates=1e9, fractions=(1.0,), teachers=1)
    numpy_key = result_key({"c": 1}, "d", **kw)
    fast_key = result_key({"c": 1}, "d", rng="fast", **kw)
    assert key_changes(numpy_key, fast_key) == ["rng"]
    old = {k: v for k, v in numpy_key.items() if k != "rng"}  # written before --rng existed
    assert key_changes(old, numpy_key) == [] and key_changes(old, fast_key) == ["rng"]
    assert chunk_key(old) == chunk_key(numpy_key) != chunk_key(fast_key)


def test_the_default_stream_is_the_fast_one_where_the_loop_draws() -> None:
    """``stream=None``: ``DEFAULT_STREAM`` ("fast") for a teacher the fused loop draws,
    numpy's for a law code the fast stream lacks, nothing on rows; a named stream is kept."""
    from convotron._validate import DEFAULT_STREAM
    from convotron.learning.many import run_many

    assert DEFAULT_STREAM == "fast"
    for law in LAWS.values():
        codes = S.source_codes(law, Identity(8), NoiseModel("none"))
        assert S.fused_stream(None, codes) == ("fast" if fast_draws(law) else "numpy")
        assert S.fused_stream("numpy", codes) == "numpy"
    alien = S.source_codes(LAWS["gaussian"], Identity(8), NoiseModel("none"))._replace(law=17)
    assert S.fused_stream(None, alien) == "numpy"
    assert S.fused_stream("fast", alien) == "fast"  # named: refused later, by check_fast_law

    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0), law="mixture")
    kw = dict(eta=0.01, iters=300, w_star=teacher.w_star)

    def run(**extra):
        return fit(ConvotronRule(), teacher, scheme, 0.0, rng=np.random.default_rng(4),
                   **kw, **extra).w  # fmt: skip

    assert np.array_equal(run(), run(stream="fast"))
    assert not np.array_equal(run(), run(stream="numpy"))
    many = dict(eta=0.01, iters=300, runs=3, seed=2, workers=1)
    got = run_many(ConvotronRule(), teacher, **many).w
    assert np.array_equal(got, run_many(ConvotronRule(), teacher, stream="fast", **many).w)
    assert not np.array_equal(got, run_many(ConvotronRule(), teacher, stream="numpy", **many).w)
    X, y = teacher.sample(np.random.default_rng(2), 50)  # rows: no stream, no error
    assert np.isfinite(fit(ConvotronRule(), Rows(X, y), scheme, 0.0, eta=0.01).w).all()


def test_run_or_refused_expects_the_refusal_of_a_law_without_a_fast_branch() -> None:
    """The helper that lets the law-crossing tests take a law added without its fast branch
    (ARCHITECTURE.md, "How to add a law"): a run for a fast law or numpy's stream, and for
    such a law on ``stream="fast"`` ``check_fast_law``'s refusal, which must happen."""
    alien = dataclasses.replace(LAWS["gaussian"], code=17)  # no fast branch has code 17
    assert fast_draws(LAWS["gaussian"]) and not fast_draws(alien)
    assert run_or_refused(LAWS["gaussian"], "fast", lambda: 1) == 1
    assert run_or_refused(alien, "numpy", lambda: 2) == 2
    assert run_or_refused(alien, "fast", lambda: _rng.check_fast_law(17)) is None
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        run_or_refused(alien, "fast", lambda: 3)  # a run where a refusal was due fails
