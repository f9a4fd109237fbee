r"""Convotron, Algorithm 1 of Goel, Klivans and Meka (ICML 2018) [paper].

Model (``../shared/spec/convotron-theory.md`` §1, [paper]): patches ``P_1..P_k`` of size
``r`` of an input ``x ∈ R^n``, a shared filter ``w ∈ R^r``, the leaky ReLU ``σ`` with slope
``α ∈ [0, 1]`` and average pooling, ``f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)``.

Algorithm 1 (book label ``alg-convotron``, [paper])::

    w_1 = 0 ∈ R^r
    for t = 1..T:
        draw a fresh sample (x_t, y_t)
        G_t = (y_t − f_{w_t}(x_t)) · Σ_i P_i x_t          # no σ′ anywhere
        w_{t+1} = w_t + η G_t
    return w_{T+1}

One runner, :func:`fit`, runs any update rule (:mod:`convotron.learning.rules`: Convotron, its
disjoint-patch variant, SGD) on any data source (:mod:`convotron.learning.sources`: fresh samples,
fixed rows) with the same compiled loop (:func:`convotron._compiled._kernels._updates`);
:func:`convotron`, :func:`convotron_on_data` (and :func:`convotron.learning.baselines.sgd`,
:func:`convotron.learning.baselines.sgd_on_data`) are thin conveniences over it. Variants:

- **mini-batch** (``batch = B``): ``G_t`` is the average of the ``B`` per-sample updates
  over ``B`` fresh samples; ``iters = T`` counts *updates*, so ``T B`` samples are used.
  (An implementation choice: the paper analyses ``B = 1``.)
- **one disjoint patch** (``only_patch = j``, [paper] scope, constants [derived], label
  ``thm-disjoint``): ``G_t = (y_t − f_{w_t}(x_t)) · P_j x_t``. Legal for any patch ``j``; the
  result records whether ``P_j`` is disjoint from every other patch (the hypothesis of
  ``thm-disjoint``).
- **one pass over a fixed dataset** in row order: ``fit(rule, Rows(X, y), ...)``.
- **many independent runs** with seeds ``SeedSequence(seed).spawn(runs)`` on several
  threads (the compiled loop releases the GIL): :func:`run_many`. The results do not
  depend on the number of workers.

The readable per-sample version :func:`convotron_reference` sits beside the compiled one;
the tests compare the two step for step (agreement to 1e-12).

The algorithm never sees ``w*``: when ``w_star`` is given it is used only to *record*
``‖w_t − w*‖²`` (every ``record_every`` updates and at the end) and the first update
with ``‖w_t − w*‖² <= eps``.

Indexing: the paper's ``w_1`` (the initial filter) is ``w`` after ``t = 0`` updates;
``history[j]`` is ``‖w − w*‖²`` after ``history_t[j]`` updates, and ``w``/``sq_error`` of a
result are those of ``w_{T+1}``, the filter after all ``T`` updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import ConvotronError
from .._limits import (
    DIVERGENCE_LIMIT,
    MAX_CHUNK_ENTRIES,
    MAX_RECORDS,
    MAX_RUN_WORK,
    chunk_rows,
    gib,
    real_vector,
    sample_cost,
)
from .._validate import (
    ALPHA,
    BATCH,
    CHUNK,
    EPS,
    ITERS,
    ON_DIVERGENCE,
    RECORD_EVERY,
    RNG,
    RUNS,
    SEED,
    STREAM,
    WORKERS,
    InstanceOf,
    Param,
    only_patch_param,
    step_size,
    table,
    validate_params,
)
from ..geometry.patches import _SCHEME, PatchScheme
from ..model.activations import check_alpha, leaky_relu
from ._engine import _Checked, _chunked_step, _drive, _fused_step
from ._sampling import fused_stream
from .results import RunResult
from .rules import ConvotronRule, Rule
from .sources import Rows, Sampler, as_source, check_rows

if TYPE_CHECKING:
    from .._codes import SourceCodes
    from ..model.problem import Teacher
    from .sources import SampleFn

__all__ = [
    "convotron",
    "convotron_on_data",
    "convotron_reference",
    "fit",
]


# --------------------------------------------------------------------------- validation
# The tables of fit and its conveniences (convotron._validate): the shared rules, and the
# rule argument. What needs the scheme (only_patch < k, w_star's length r, the rows' width)
# is checked in the body, by _check_common.

_ETA = step_size("eta")
_RULE = Param(
    "rule",
    InstanceOf(Rule, "an update rule, ConvotronRule(...) or SGDRule(...)"),
    fix="Pass e.g. convotron.learning.rules.ConvotronRule() (the first argument).",
)
# the shared rules under the names the package's modules import
_BATCH, _ITERS, _STREAM, _RECORD_EVERY, _EPS = BATCH, ITERS, STREAM, RECORD_EVERY, EPS
_ON_DIVERGENCE, _RUNS, _WORKERS, _SEED = ON_DIVERGENCE, RUNS, WORKERS, SEED

#: The rows every runner shares (the step size's row is the caller's: eta, or lr for SGD).
_RUN = table(_SCHEME, ALPHA, BATCH, RECORD_EVERY, EPS)
_SAMPLING = table(ITERS, RNG, CHUNK, ON_DIVERGENCE)
FIT_TABLE = table(_RULE, _ETA, *_RUN.values(), *_SAMPLING.values(), STREAM)
CONVOTRON_TABLE = table(_ETA, *_RUN.values(), *_SAMPLING.values(), only_patch_param(None))
ON_DATA_TABLE = table(_ETA, *_RUN.values(), only_patch_param(None))
REFERENCE_TABLE = table(_ETA, _SCHEME, ALPHA, BATCH, only_patch_param(None))


def _check_w_star(w_star: Any, r: int) -> np.ndarray | None:
    if w_star is None:
        return None
    return real_vector(w_star, "w_star", r, f"Pass a finite filter of length {r}.")


def _check_recording(
    w_star: np.ndarray | None, record_every: Any, eps: Any
) -> tuple[int | None, float | None]:
    rec = None if record_every is None else int(_RECORD_EVERY(record_every))
    e = None if eps is None else float(_EPS(eps))
    if w_star is None and (rec is not None or e is not None):
        what = "record_every" if rec is not None else "eps"
        value = rec if rec is not None else e
        raise ConvotronError(
            f"{what} needs the target filter w_star (to measure ‖w_t − w*‖²); got "
            f"{what}={value!r} with w_star=None. Pass w_star or drop {what}.",
            param=what,
        )
    return rec, e


def _check_common(
    rule: Any,
    scheme: Any,
    alpha: Any,
    eta: Any,
    batch: Any,
    w_star: Any,
    record_every: Any,
    eps: Any,
    on_divergence: Any,
    step: Param = _ETA,
) -> _Checked:
    rule = _RULE(rule)
    indices = np.ascontiguousarray(_SCHEME(scheme).indices, dtype=np.int64)
    k, r = indices.shape
    a = check_alpha(alpha)
    e = float(step(eta))
    b = int(_BATCH(batch))
    rule.check(k)
    op = rule.only_patch
    ws = _check_w_star(w_star, r)
    rec, eps_ = _check_recording(ws, record_every, eps)
    record_divergence = _ON_DIVERGENCE(on_divergence) == "record"
    return _Checked(rule, indices, int(scheme.n), a, e, b, op, ws, rec, eps_, record_divergence)


def _check_cost(iters: int, batch: int, n: int, kr: int) -> None:
    """Refuse a run on fresh samples whose memory or time is absurd, before it starts.

    One mini-batch (``batch x n`` values) must fit in one chunk
    (:data:`~convotron._limits.MAX_CHUNK_ENTRIES`), and the work ``iters x batch x
    sample_cost(k r, n)`` (:func:`~convotron._limits.sample_cost`, about nanoseconds) must
    stay below :data:`~convotron._limits.MAX_RUN_WORK`.
    """
    if batch * n > MAX_CHUNK_ENTRIES:
        raise ConvotronError(
            f"batch is too large: one mini-batch of {batch} samples of n={n} coordinates holds "
            f"{batch * n} values ({gib(batch * n)}), above the limit of {MAX_CHUNK_ENTRIES} "
            f"({gib(MAX_CHUNK_ENTRIES)}). Pass a batch of at most "
            f"{max(1, MAX_CHUNK_ENTRIES // n)}.",
            param="batch",
        )
    work = iters * batch * sample_cost(kr, n)
    if work > MAX_RUN_WORK:
        raise ConvotronError(
            f"iters is too large for this problem: {iters} updates of batch {batch} (k r = {kr}, "
            f"n = {n}) would take about {work / 1e9 / 60:.3g} minutes of one core, above the "
            f"limit of {MAX_RUN_WORK / 1e9 / 60:.0f} minutes. Pass iters <= "
            f"{max(1, MAX_RUN_WORK // (batch * sample_cost(kr, n)))}, or split the run.",
            param="iters",
        )


# --------------------------------------------------------------------------- the runner


@validate_params(FIT_TABLE)
def fit(
    rule: Rule,
    source: Sampler | Rows | Teacher,
    scheme: PatchScheme,
    alpha: float,
    *,
    eta: float,
    iters: int | None = None,
    rng: np.random.Generator | None = None,
    batch: int = 1,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    chunk: int = 4096,
    progress: bool = False,
    on_divergence: str = "raise",
    stream: str | None = None,
    w0: np.ndarray | None = None,
) -> RunResult:
    r"""Run an update rule on a data source: the one runner of the package.

    From ``w_1`` (zero, or the rule's start), for ``t = 1..T`` take the next ``B`` samples and
    set ``w_{t+1} = w_t + η G_t``, with ``G_t`` the rule's step averaged over the ``B``
    samples: Convotron's ``(y − f_{w_t}(x)) Σ_i P_i x`` (Algorithm 1, [paper], label
    ``alg-convotron``; no ``σ′``), its disjoint-patch variant ``(y − f_{w_t}(x)) P_j x``, or
    SGD's ``(y − f_{w_t}(x)) (1/k) Σ_i σ′(w_tᵀ P_i x) P_i x``.

    Parameters
    ----------
    rule : Rule
        The update (:mod:`convotron.learning.rules`: ``ConvotronRule``, ``SGDRule``, or any value
        that follows the :class:`~convotron.learning.rules.Rule` protocol).
    source : Sampler, Rows or Teacher
        Fresh samples: a ``Teacher`` (its samples are drawn *inside* the compiled loop,
        sample by sample, :func:`convotron._compiled._kernels.run_draws`: the inputs of a sample,
        then its noise, then the next sample; bitwise equal to the readable oracle
        :func:`convotron.learning._sampling_reference.fused_reference`) or ``Sampler(sample)``
        (called with ``chunk`` rows at a time, rounded down to a multiple of ``batch``, so for a
        fixed seed the result depends on ``chunk`` only through the order in which the sampler
        consumes ``rng``); or a fixed dataset ``Rows(X, y)`` used once in row order
        (``T = len(X) // batch``; ``X`` finite ``(T B, n)``, ``y`` ``(T B,)``). A ``Teacher``
        whose law, covariance or noise the fused loop does not draw, or whose scheme or slope
        is not the run's, is sampled in chunks (``Sampler(teacher.sample)``) instead; the two
        orders give equally distributed, not equal, samples for one seed.
    scheme : PatchScheme
        The patches ``P_1..P_k``.
    alpha : float
        Leaky-ReLU slope in ``[0, 1]``.
    eta : float
        Step size ``η > 0`` (explicit: the theorem's value is the ``eta`` of
        :func:`convotron.glue.parameters.theorem_parameters`, [derived]).
    iters : int
        Number of updates ``T >= 1`` for a sampler (``T · batch`` samples are drawn); must
        be None for ``Rows`` (one pass).
    rng : numpy.random.Generator
        Source of all randomness: required for a sampler (passed to ``sample``); with
        ``Rows`` used only by ``SGDRule(init="random")`` to draw ``w_1``.
    batch : int, default 1
        Mini-batch size ``B``: each update averages ``G`` over ``B`` samples.
    w_star : (r,) array, optional
        The teacher's filter, used **only** to record ``‖w_t − w*‖²``.
    record_every : int, optional
        Record ``‖w_t − w*‖²`` after ``0, m, 2m, ...`` updates and after the last one.
    eps : float, optional
        Record the first update after which ``‖w_t − w*‖² <= eps``.
    chunk : int, default 4096
        Samples drawn per call of a ``Sampler`` (unused on the fused path of a ``Teacher``).
    progress : bool, default False
        Show a tqdm progress bar (only when stderr is a terminal).
    on_divergence : {"raise", "record"}, default "raise"
        If the weights become non-finite: raise :class:`DivergenceError`, or stop and
        return a result with ``diverged=True`` (used by :func:`run_many`).
    stream : {None, "fast", "numpy"}, default None
        The random stream of a ``Teacher``'s fused loop. None (the default): the fast stream
        where the compiled loop draws the samples (``DEFAULT_STREAM``), and no stream where it
        does not (fixed rows, a ``Sampler``, a teacher drawn in chunks). ``"fast"``: the fast
        stream of :mod:`convotron._compiled._rng` (xoshiro256++ and a block ziggurat, seeded
        from four words of ``rng`` drawn after ``w_1``); ``"numpy"`` draws with ``rng`` itself
        (numpy's own stream, bitwise as numpy's ``Generator``): the same laws and order, other
        numbers. A named stream needs the fused path (a ``Teacher`` whose law, covariance,
        noise, scheme and slope it draws).
    w0 : (r,) array, optional
        The starting filter ``w_1``, in place of the rule's start (zero, or SGD's random or
        given start): nothing is drawn from ``rng`` for it, so a run continued from the
        ``w`` of another (``fit(..., w0=res.w)`` on the next rows) makes exactly the updates
        one run over both would make. How :class:`~convotron.estimator.ConvotronRegressor`
        runs its passes. Finite, entries of magnitude at most ``1e100``.

    Returns
    -------
    RunResult
        With ``algorithm`` ``"convotron"`` or ``"sgd"`` (the rule's) and, for
        ``ConvotronRule(only_patch=j)``, whether ``P_j`` is disjoint from the other patches.

    Raises
    ------
    ConvotronError
        On invalid input (each message names the parameter, the rule, the value and a fix).
    DivergenceError
        If the weights become non-finite (the step size is too large).

    Examples
    --------
    >>> import numpy as np
    >>> from convotron.model.problem import Teacher
    >>> from convotron.geometry.patches import parse_spec
    >>> from convotron.learning.rules import ConvotronRule, SGDRule
    >>> from convotron.learning.sources import Rows
    >>> scheme = parse_spec("1d:16,4,2")
    >>> teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    >>> res = fit(ConvotronRule(), teacher, scheme, 0.0, eta=0.01, iters=20000,
    ...           rng=np.random.default_rng(1), w_star=teacher.w_star)
    >>> res.sq_error < 1e-3
    True
    >>> X, y = teacher.sample(np.random.default_rng(2), 100)
    >>> # ReLU SGD from 0 never moves
    >>> fit(SGDRule(), Rows(X, y), scheme, 0.0, eta=0.01).w
    array([0., 0., 0., 0.])
    """
    return _fit(rule, source, scheme, alpha, eta=eta, iters=iters, rng=rng, batch=batch,
                w_star=w_star, record_every=record_every, eps=eps, chunk=chunk,
                progress=progress, on_divergence=on_divergence, stream=stream,
                w0=w0)  # fmt: skip


def _fit(
    rule: Any,
    source: Any,
    scheme: Any,
    alpha: Any,
    *,
    eta: Any,
    iters: Any = None,
    rng: Any = None,
    batch: Any = 1,
    w_star: Any = None,
    record_every: Any = None,
    eps: Any = None,
    chunk: Any = 4096,
    progress: bool = False,
    on_divergence: Any = "raise",
    step: Param = _ETA,
    stream: Any = None,
    w0: Any = None,
) -> RunResult:
    """:func:`fit`, with the step size's parameter name (``lr`` for the SGD conveniences)."""
    from ..model.problem import Teacher

    bind = getattr(rule, "bind", None)  # a rule that needs the source first (a preconditioner)
    if bind is not None:
        rule, source = bind(source, _SCHEME(scheme), None if rng is None else RNG(rng))
    src = as_source(source)
    stream = _STREAM(stream)
    c = _check_common(rule, scheme, alpha, eta, batch, w_star, record_every, eps,
                      on_divergence, step)  # fmt: skip
    r = c.indices.shape[1]
    if isinstance(src, Rows):
        if stream == "fast":
            raise _no_fast_stream(source)
        if iters is not None:
            raise ConvotronError(
                f"iters applies to a sampler only (fixed rows are used once: T = len(X) // "
                f"batch); got iters={iters!r} with Rows. Drop iters.",
                param="iters",
            )
        rng = None if rng is None else RNG(rng)
        next_chunk, T = src._chunks(c.n, c.batch)
        w1 = _start(c.rule, r, rng, w0)
        chunk_updates = max(1, 65536 // c.batch)
        run_step, warm, hint_rows = _chunked_step(next_chunk, c)
    else:
        T = int(_ITERS(iters))
        rng = RNG(rng)
        _check_cost(T, c.batch, c.n, c.indices.shape[0] * r)
        chunk_updates = chunk_rows(int(CHUNK(chunk)), c.n, c.batch) // c.batch
        w1 = _start(c.rule, r, rng, w0)  # draws a random w_1 before any sample
        codes = _fused_codes(source, c) if isinstance(source, Teacher) else None
        if codes is not None:  # the teacher's samples drawn in the compiled loop
            run_step, warm = _fused_step(rng, source.w_star, codes, c, fused_stream(stream, codes))
            chunk_updates = _FUSED_UPDATES
            teacher = source

            def hint_rows() -> np.ndarray:  # a fresh generator: the run's stream is untouched
                return teacher.sample(np.random.default_rng(0), 256)[0]

        else:
            if stream == "fast":
                raise _no_fast_stream(source)
            run_step, warm, hint_rows = _chunked_step(src._chunks(rng, c.n, c.batch), c)
    if c.record_every is not None and T // c.record_every + 1 > MAX_RECORDS:
        raise ConvotronError(
            f"record_every is too small for {T} updates: {T // c.record_every + 1} distances "
            f"would be recorded, above the limit of {MAX_RECORDS}. Pass record_every >= "
            f"{-(-T // (MAX_RECORDS - 1))}.",
            param="record_every",
        )
    disjoint = None if c.only_patch is None else bool(scheme.is_disjoint(c.only_patch))
    return _drive(run_step, warm, c, w1, step_name=step.name, iters=T,
                  chunk_updates=chunk_updates, progress=progress,
                  only_patch_disjoint=disjoint, hint_rows=hint_rows)  # fmt: skip


def _start(rule: Rule, r: int, rng: np.random.Generator | None, w0: Any) -> np.ndarray:
    """``w_1``: the rule's start (which may draw from ``rng``), or ``w0`` when given.

    With ``w0`` the rule's start is still computed, for its checks (e.g. the shape of a
    preconditioner), from a throwaway generator: nothing is drawn from the run's ``rng``.
    """
    if w0 is None:
        return rule.start(r, rng)
    # as large as an iterate may be (a larger one is the loop's divergence): a run continued
    # from another's w (the estimator's passes) starts wherever that one ended
    w1 = real_vector(w0, "w0", r, f"Pass a finite filter of length {r}, or None.",
                     limit=DIVERGENCE_LIMIT)  # fmt: skip
    rule.start(r, np.random.default_rng(0))
    return w1


def _no_fast_stream(source: Any) -> ConvotronError:
    """Return the error of ``stream="fast"`` on a source the fused loop does not draw."""
    return ConvotronError(
        f"stream='fast' draws a Teacher's samples inside the compiled loop; this source "
        f"({type(source).__name__}) is not drawn there (fixed rows, a Sampler, or a teacher "
        "whose law, covariance, noise, scheme or slope the fused loop does not draw). "
        "Pass stream='numpy'.",
        param="stream",
    )


#: Updates per call of the fused kernel (a progress bar's step; the result does not depend on it).
_FUSED_UPDATES = 1 << 16


def _fused_codes(teacher: Teacher, c: _Checked) -> SourceCodes | None:
    """Return the fused loop's :class:`~convotron._codes.SourceCodes` of ``teacher``, or None.

    None (use the chunked path) when the teacher's law, covariance or noise is one the fused
    loop does not draw (``source_codes`` raises :class:`~convotron.learning._sampling.NotFusable`,
    and only that is caught: any other error, a ``ConvotronError`` included, reaches the caller),
    or when the run's scheme or slope is not the teacher's (the fused loop labels with the
    run's own patches and slope).
    """
    from ._sampling import NotFusable, source_codes

    ts = teacher.scheme
    same = (
        ts.n == c.n
        and ts.indices.shape == c.indices.shape
        and bool(np.array_equal(ts.indices, c.indices))
        and float(teacher.alpha) == c.alpha
    )
    if not same:
        return None
    try:
        return source_codes(teacher.law, teacher.cov, teacher.noise)
    except NotFusable:
        return None


# --------------------------------------------------------------------------- conveniences


@validate_params(CONVOTRON_TABLE)
def convotron(
    sample: SampleFn,
    scheme: PatchScheme,
    alpha: float,
    *,
    eta: float,
    iters: int,
    rng: np.random.Generator,
    batch: int = 1,
    only_patch: int | None = None,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    chunk: int = 4096,
    progress: bool = False,
    on_divergence: str = "raise",
) -> RunResult:
    r"""Run Convotron (Algorithm 1, [paper], label ``alg-convotron``) on fresh samples.

    ``w_1 = 0``; for ``t = 1..T``: draw ``(x_t, y_t)``,
    ``G_t = (y_t − f_{w_t}(x_t)) Σ_i P_i x_t`` (no ``σ′``), ``w_{t+1} = w_t + η G_t``.
    The same as ``fit(ConvotronRule(only_patch), Sampler(sample), scheme, alpha, ...)``;
    see :func:`fit` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from convotron.geometry.patches import parse_spec
    >>> from convotron.model.problem import Teacher
    >>> scheme = parse_spec("1d:16,4,2")
    >>> teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    >>> res = convotron(teacher.sample, scheme, 0.0, eta=0.01, iters=20000,
    ...                 rng=np.random.default_rng(1), w_star=teacher.w_star)
    >>> res.sq_error < 1e-3
    True
    """
    return _fit(ConvotronRule(only_patch), Sampler(sample), scheme, alpha, eta=eta,
                iters=iters, rng=rng, batch=batch, w_star=w_star, record_every=record_every,
                eps=eps, chunk=chunk, progress=progress,
                on_divergence=on_divergence)  # fmt: skip


@validate_params(ON_DATA_TABLE)
def convotron_on_data(
    X: np.ndarray,
    y: np.ndarray,
    scheme: PatchScheme,
    alpha: float,
    *,
    eta: float,
    batch: int = 1,
    only_patch: int | None = None,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
) -> RunResult:
    """Run Convotron once over a fixed dataset, rows in order (Algorithm 1 with ``x_t = X[t−1]``).

    ``T = len(X) // batch`` updates; update ``t`` uses rows ``(t−1)B .. tB − 1``. The same as
    ``fit(ConvotronRule(only_patch), Rows(X, y), scheme, alpha, ...)`` (see :func:`fit`).
    """
    return _fit(ConvotronRule(only_patch), Rows(X, y), scheme, alpha, eta=eta, batch=batch,
                w_star=w_star, record_every=record_every, eps=eps)  # fmt: skip


# --------------------------------------------------------------------------- the oracle


@validate_params(REFERENCE_TABLE)
def convotron_reference(
    X: np.ndarray,
    y: np.ndarray,
    scheme: PatchScheme,
    alpha: float,
    *,
    eta: float,
    batch: int = 1,
    only_patch: int | None = None,
) -> np.ndarray:
    """Readable per-sample Convotron over a fixed dataset: the oracle of the compiled loop.

    Returns the ``(T + 1, r)`` iterates ``w_1 = 0, w_2, ..., w_{T+1}`` (row ``t`` is ``w``
    after ``t`` updates), ``T = len(X) // batch``. Written for clarity, not speed.
    """
    c = _check_common(ConvotronRule(only_patch), scheme, alpha, eta, batch, None, None, None,
                      "raise")  # fmt: skip
    indices, a, e, b, op = c.indices, c.alpha, c.eta, c.batch, c.only_patch
    Xa, ya = check_rows(X, y, c.n, b)
    T = Xa.shape[0] // b
    w = np.zeros(indices.shape[1])
    iterates = [w.copy()]
    for t in range(T):
        G = np.zeros_like(w)
        for x, label in zip(Xa[t * b : (t + 1) * b], ya[t * b : (t + 1) * b], strict=True):
            patches = np.where(indices >= 0, x[indices], 0.0)  # (k, r): row i is P_i x (-1: pad)
            f = np.mean(leaky_relu(patches @ w, a))  # f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)
            direction = patches.sum(axis=0) if op is None else patches[op]  # Σ_i P_i x (or P_j x)
            G += (label - f) * direction
        w = w + e * (G / b)
        iterates.append(w.copy())
    return np.array(iterates)
