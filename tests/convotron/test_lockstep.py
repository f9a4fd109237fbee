"""Runs in lockstep (convotron.learning.many, ``lockstep=True``) equal the runs one by one, bitwise.

:func:`convotron._compiled._kernels.run_lockstep` advances a block of runs together; every run keeps
its own generator (and fast stream), so each run must be *bitwise* the run alone
(``lockstep=False``: one ``fit`` per run): weights, records, first hits, divergence. Checked
for every law × covariance × noise on both streams, every rule's branch, a 2D scheme with
padding, a number of runs that is not a multiple of the block, divergence, recording, the
split of the runs into ``run_range`` chunks, threads, and the rules that fall back.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pytest

from convotron._errors import DivergenceError
from convotron.data.covariance import AR1
from convotron.data.laws import LAWS
from convotron.geometry.patches import parse_spec
from convotron.learning import many
from convotron.learning.many import LOCKSTEP_RUNS, collect_runs, run_many, run_range
from convotron.learning.results import RunResult
from convotron.learning.rules import ConvotronRule, SGDRule
from convotron.model.problem import Problem, Teacher
from tests.convotron._fused_cases import NOISES, covs, fast_draws, run_or_refused

STREAMS = ("numpy", "fast")


def _same_runs(a: list[RunResult], b: list[RunResult]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.w, y.w, equal_nan=True)
        assert x.diverged == y.diverged
        assert x.first_hit == y.first_hit
        assert x.sq_error == y.sq_error or (np.isnan(x.sq_error) and np.isnan(y.sq_error))
        assert (x.history is None) == (y.history is None)
        if x.history is not None:
            assert np.array_equal(x.history, y.history, equal_nan=True)
            assert np.array_equal(x.history_t, y.history_t)
        assert (x.iterations, x.samples, x.only_patch_disjoint) == (
            y.iterations, y.samples, y.only_patch_disjoint,
        )  # fmt: skip


def _both(rule: Any, teacher: Teacher, stop: int = 3, **kw: Any) -> list[RunResult]:
    """Run ``run_range`` in lockstep and one by one; assert bitwise equality; return runs."""
    kw = dict(dict(eta=0.02, iters=40, seed=5, start=0, stop=stop), **kw)
    got = run_range(rule, teacher, lockstep=True, **kw)
    ref = run_range(rule, teacher, lockstep=False, **kw)
    _same_runs(got, ref)
    return got


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("cov_i", range(5))
@pytest.mark.parametrize("law", list(LAWS))
def test_lockstep_equals_one_by_one_for_every_law_covariance_noise(
    law: str, cov_i: int, stream: str
) -> None:
    scheme = parse_spec("1d:14,4,2")  # k = 6
    cov = covs(scheme.n)[cov_i]
    for noise in NOISES:
        problem = Problem(scheme, 0.2, LAWS[law], cov, noise)
        teacher = problem.random_teacher(np.random.default_rng(cov_i))
        runs = run_or_refused(LAWS[law], stream, partial(
            _both, ConvotronRule(), teacher, batch=2, record_every=3, eps=0.9, stream=stream
        ))  # fmt: skip
        assert runs is None or not any(r.diverged for r in runs)


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize(
    "rule",
    [
        ConvotronRule(),
        ConvotronRule(only_patch=2),
        ConvotronRule(precondition="exact"),
        ConvotronRule(precondition=np.eye(6) + 0.1),  # a matrix H
        SGDRule(),
        SGDRule(sigma_prime_at_zero=0.5),
    ],
    ids=["convotron", "one-patch", "exact-H", "matrix-H", "sgd", "sgd-half"],
)
def test_every_rule_in_lockstep_on_a_padded_2d_scheme(rule: Any, stream: str) -> None:
    # conv2d with padding: some positions read -1 (a padded zero); M = P Σ Pᵀ is singular
    # there, so H = M⁻¹ on a 2D scheme without padding
    exact = getattr(rule, "precondition", None) == "exact"
    scheme = parse_spec("2d:5,6,3,2,1,2" if exact else "conv2d:1,5,4,3,2,padding=1")
    assert scheme.padded != exact and scheme.r == 6
    teacher = Teacher.random(scheme, 0.3, np.random.default_rng(2), law="mixture",
                             cov=AR1(scheme.n, 0.4), noise="gaussian:0.1")  # fmt: skip
    w0_rule = SGDRule(init="random", init_scale=0.1) if isinstance(rule, SGDRule) else rule
    _both(rule, teacher, stop=LOCKSTEP_RUNS + 3, stream=stream, batch=3, record_every=7)
    if w0_rule is not rule:  # SGD from a random w_1: drawn from each run's generator
        _both(w0_rule, teacher, stream=stream, record_every=5, eps=0.5)


@pytest.mark.parametrize("stream", STREAMS)
def test_divergence_and_recording_per_run(stream: str) -> None:
    scheme = parse_spec("1d:8,2,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(1), noise="gaussian:0.5")
    # a step at the edge: some runs diverge (each at its own update), others do not
    runs = _both(ConvotronRule(), teacher, stop=11, eta=4.0, iters=300, record_every=4,
                 eps=0.05, stream=stream)  # fmt: skip
    div = [r.diverged for r in runs]
    assert any(div) and not all(div)
    assert all(np.isinf(r.history[-1]) for r in runs if r.diverged)
    # a stable step: every run reaches eps, each at its own update
    hits = [r.first_hit for r in _both(ConvotronRule(), teacher, stop=11, eta=0.3, iters=300,
                                       eps=0.05, stream=stream)]  # fmt: skip
    assert None not in hits and len(set(hits)) > 5
    with pytest.raises(DivergenceError, match="diverged"):
        run_range(ConvotronRule(), teacher, eta=4.0, iters=300, seed=5, start=0, stop=11,
                  on_divergence="raise", stream=stream, lockstep=True)  # fmt: skip


@pytest.mark.parametrize("stream", STREAMS)
def test_run_many_equals_one_by_one_whatever_the_chunks_and_threads(stream: str) -> None:
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(3), law="uniform",
                             noise="hetero:0.2")  # fmt: skip
    kw = dict(eta=0.01, iters=150, runs=13, seed=[4, 9], record_every=10, eps=0.3,
              stream=stream)  # fmt: skip
    ref = run_many(ConvotronRule(), teacher, workers=1, lockstep=False, **kw)
    for workers in (1, 2):
        got = run_many(ConvotronRule(), teacher, workers=workers, lockstep=True, **kw)
        for f in ("w", "final_sq_errors", "histories", "first_hits", "diverged"):
            assert np.array_equal(getattr(got, f), getattr(ref, f)), f
    rk = {k: v for k, v in kw.items() if k != "runs"}
    parts = [run_range(ConvotronRule(), teacher, start=a, stop=b, lockstep=True, **rk)
             for a, b in ((0, 5), (5, 6), (6, 13))]  # fmt: skip
    split = collect_runs([r for p in parts for r in p], 0.0)
    assert np.array_equal(split.w, ref.w) and np.array_equal(split.histories, ref.histories)


def test_runs_that_cannot_be_lockstepped_go_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    scheme = parse_spec("1d:8,2,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(1))
    calls: list[int] = []
    real = many._lockstep

    def spy(*a: Any, **k: Any) -> Any:
        out = real(*a, **k)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(many, "_lockstep", spy)
    _both(ConvotronRule(precondition="plugin", plugin_samples=20), teacher, stop=4)
    _both(ConvotronRule(), Teacher.random(scheme, 0.0, np.random.default_rng(1)), stop=4,
          batch=2)  # fmt: skip
    assert calls == [False, True]


def test_the_block_size_is_the_kernels() -> None:
    """``run_lockstep`` writes the 8 runs' forward pass out: the block must be its width."""
    from convotron._compiled import _kernels

    assert LOCKSTEP_RUNS == _kernels.LOCKSTEP == 8


_OUT_OF_STEP = [("gaussian", noise) for noise in ("none", "gaussian:0.1", "uniform:0.1")] + [
    (law, "uniform:0.1") for law in LAWS if law != "gaussian" and fast_draws(LAWS[law])
]


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "buffer"])
@pytest.mark.parametrize(("law", "noise"), _OUT_OF_STEP)
def test_fast_streams_out_of_step_are_drawn_run_by_run(law: str, noise: str, direct: bool) -> None:
    """The kernel's fast paths with the runs' streams at other positions, for every law.

    ``run_many`` starts every run's stream empty, so the runs refill together ("in step");
    here run ``b``'s stream has drawn ``7 b`` normals (and run 5 none at all: it is idle)
    before the call, so the kernel must draw run by run. Each run's filter and its stream
    afterwards (positions, blocks, lanes) must be those of the run alone (``run_draws_fast``).
    ``direct=False`` is the buffer path (each run's draws through ``_updates``' fast branch,
    then interleaved), the path of a law of the fast stream that the direct path lacks.
    """
    from convotron._codes import DrawSource, Recorder
    from convotron._compiled import _kernels, _rng
    from convotron.learning._sampling import draw_source

    scheme = parse_spec("1d:40,6,2")  # 41 values per sample with noise: across the blocks
    teacher = Teacher.random(scheme, 0.1, np.random.default_rng(3), law=law, noise=noise)
    kw = dict(eta=0.01, iters=90, batch=2, record_every=None, eps=None,
              on_divergence="record", stream="fast")  # fmt: skip
    checked = many._lockstep_checked(ConvotronRule(), teacher, kw)
    assert checked is not None
    c, T, codes, stream = checked
    assert stream == "fast"
    nb, r = LOCKSTEP_RUNS, scheme.r

    def streams() -> list[_rng.FastStream]:
        out = []
        for b in range(nb):
            st = _rng.fast_stream(100 + b)
            _rng.draw(st, "gaussian", 7 * b)
            _rng.draw(st, "uniform", b)
            out.append(st)
        return out

    gens = [np.random.default_rng(b) for b in range(nb)]
    fasts = streams()
    W = np.zeros((r, nb))
    status = np.zeros((nb, 2), dtype=np.int64)
    status[5, 0] = -1
    rec = Recorder(teacher.w_star, 0, np.zeros((nb, 1)), -1.0, np.full(nb, -1, np.int64))
    idxp = np.where(c.indices < 0, c.n, c.indices).astype(np.int64)
    draws = draw_source(gens[0], c.n, teacher.w_star, codes)
    _kernels.run_lockstep(W, c.model, idxp, draws, tuple(gens), tuple(fasts), c.step, rec,
                          0, T, 4, status, direct)  # fmt: skip
    ref = streams()
    for b in range(nb):
        if b == 5:  # idle: untouched
            assert not W[:, b].any() and np.array_equal(fasts[b].pos, ref[b].pos)
            assert np.array_equal(fasts[b].lanes, ref[b].lanes)
            continue
        w = np.zeros(r)
        one = Recorder(teacher.w_star, 0, np.zeros(1), -1.0, np.full(1, -1, np.int64))
        db = DrawSource(gens[b], draws.n, draws.teacher_w, draws.codes)
        st, t = _kernels.run_draws_fast(w, c.model, db, ref[b], c.step, one, 0, T)
        assert (st, t) == (_kernels.STATUS_OK, T) and tuple(status[b]) == (st, t)
        assert np.array_equal(W[:, b], w)
        for name in ("lanes", "aux", "words", "normals", "pos"):
            assert np.array_equal(getattr(fasts[b], name), getattr(ref[b], name)), (b, name)
