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

Variants implemented here, all with the same compiled loop
(:func:`convotron._kernels.run_updates`):

- **mini-batch** (``batch = B``): ``G_t`` is the average of the ``B`` per-sample updates
  over ``B`` fresh samples; ``iters = T`` counts *updates*, so ``T B`` samples are used.
  (An implementation choice: the paper analyses ``B = 1``.)
- **one disjoint patch** (``only_patch = j``, [paper] scope, constants [derived], label
  ``thm-disjoint``): ``G_t = (y_t − f_{w_t}(x_t)) · P_j x_t``. Legal for any patch ``j``; the
  result records whether ``P_j`` is disjoint from every other patch (the hypothesis of
  ``thm-disjoint``).
- **one pass over a fixed dataset** in row order: :func:`convotron_on_data`.
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

import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _kernels
from ._errors import ConvotronError, DivergenceError
from .patches import PatchScheme

if TYPE_CHECKING:
    from .data import Teacher

__all__ = [
    "ManyResult",
    "RunResult",
    "convotron",
    "convotron_on_data",
    "convotron_reference",
    "run_many",
]

#: ``sample(rng, m) -> (X (m, n), y (m,))``, e.g. :meth:`convotron.data.Teacher.sample`.
Sampler = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class RunResult:
    """Outcome of one run of Convotron (or of the SGD baseline).

    Attributes
    ----------
    w : (r,) ndarray
        Final filter ``w_{T+1}``.
    iterations : int
        Number of updates ``T``.
    eta : float
        Step size (the learning rate for SGD).
    algorithm : str
        ``"convotron"`` or ``"sgd"``.
    batch : int
        Samples per update ``B``.
    only_patch : int or None
        The patch of the disjoint-patch variant, or None for Algorithm 1.
    record_every : int or None
        Recording period ``m`` of ``history`` (None: nothing recorded).
    history_t : ndarray of int or None
        Updates done at each record: ``0, m, 2m, ...`` and ``T`` (the last one always).
    history : ndarray or None
        ``‖w_t − w*‖²`` at the updates ``history_t``.
    sq_error : float or None
        ``‖w_{T+1} − w*‖²`` when ``w_star`` was given.
    first_hit : int or None
        First number of updates ``t`` after which ``‖w_t − w*‖² <= eps`` (checked after
        **every** update, not only at the records); None if ``eps`` was not given or never
        reached.
    seconds : float
        Wall-clock time of the run, drawing the samples included.
    updates_per_second : float
        ``iterations / seconds``.
    samples : int
        Samples used, ``T B``.
    only_patch_disjoint : bool or None
        With ``only_patch = j``: whether ``P_j`` shares no coordinate with any other patch
        (the hypothesis of ``thm-disjoint``); None otherwise.
    diverged : bool
        Only in runs of :func:`run_many` with ``on_divergence="record"``: the weights became
        non-finite; then ``w`` is NaN, ``sq_error`` is ``inf`` and so are the records after
        the divergence.
    """

    w: np.ndarray
    iterations: int
    eta: float
    algorithm: str
    batch: int
    only_patch: int | None
    record_every: int | None
    history_t: np.ndarray | None
    history: np.ndarray | None
    sq_error: float | None
    first_hit: int | None
    seconds: float
    updates_per_second: float
    samples: int = 0
    only_patch_disjoint: bool | None = None
    diverged: bool = False


@dataclass(frozen=True)
class ManyResult:
    """Outcome of :func:`run_many`: ``runs`` independent runs on one teacher.

    Attributes
    ----------
    final_sq_errors : (runs,) ndarray
        ``‖w_{T+1} − w*‖²`` of each run.
    history_t : ndarray of int or None
        Updates done at each record (shared by all runs).
    histories : (runs, records) ndarray or None
        ``‖w_t − w*‖²`` of each run at ``history_t``.
    first_hits : (runs,) ndarray of int
        First update with ``‖w_t − w*‖² <= eps`` of each run, ``-1`` if never (or no eps).
    seconds : float
        Wall-clock time of all runs.
    w : (runs, r) ndarray
        Final filter of each run (e.g. to average over runs); NaN rows for diverged runs.
    diverged : (runs,) ndarray of bool or None
        Which runs diverged (with ``on_divergence="record"``; their final squared error is
        ``inf``).
    """

    final_sq_errors: np.ndarray
    history_t: np.ndarray | None
    histories: np.ndarray | None
    first_hits: np.ndarray
    seconds: float
    w: np.ndarray
    diverged: np.ndarray | None = None


# --------------------------------------------------------------------------- validation


def _check_int(value: Any, name: str, *, low: int, fix: str, high: int | None = None) -> int:
    """Return ``value`` as int if it is an integer in ``[low, high]``; else raise."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    rule = f"{low} <= {name} <= {high}" if high is not None else f"{name} >= {low}"
    raise ConvotronError(f"{name} must be an integer with {rule}; got {value!r}. {fix}")


def _check_alpha(alpha: Any) -> float:
    """Validate the leaky-ReLU slope ``α ∈ [0, 1]``."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        a = math.nan
    if not (0.0 <= a <= 1.0) or isinstance(alpha, bool):
        raise ConvotronError(
            f"alpha (the leaky-ReLU slope) must be a number in [0, 1]; got {alpha!r}. "
            "Pass 0 for ReLU, 1 for a linear model, or a value in between."
        )
    return a


def _check_step(value: Any, name: str = "eta") -> float:
    """Validate a step size: a finite positive number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0.0) or isinstance(value, bool):
        hint = " (or --eta auto on the command line)" if name == "eta" else ""
        raise ConvotronError(
            f"{name} (the step size) must be a finite number > 0; got {value!r}. "
            f"Pass a positive {name}, e.g. 0.01{hint}."
        )
    return v


def _check_scheme(scheme: Any) -> np.ndarray:
    """Return the ``(k, r)`` int64 C-contiguous index array of a patch scheme."""
    if not isinstance(scheme, PatchScheme):
        raise ConvotronError(
            f"scheme must be a PatchScheme; got "
            f"{type(scheme).__name__}. Build one with convotron.patches.parse_spec('1d:64,8,2') "
            "or PatchScheme.from_indices(n, indices)."
        )
    return np.ascontiguousarray(scheme.indices, dtype=np.int64)


def _check_only_patch(only_patch: Any, k: int) -> int | None:
    if only_patch is None:
        return None
    return _check_int(
        only_patch,
        "only_patch",
        low=0,
        high=k - 1,
        fix=f"Patches are numbered 0..{k - 1} (k={k}); pass one of them or None for all.",
    )


def _check_w_star(w_star: Any, r: int) -> np.ndarray | None:
    if w_star is None:
        return None
    ws = np.asarray(w_star, dtype=np.float64)
    if ws.shape != (r,):
        raise ConvotronError(
            f"w_star must be a vector of shape (r,) = ({r},) (one weight per patch "
            f"coordinate); got shape {ws.shape}. Pass a filter of length {r}."
        )
    if not np.all(np.isfinite(ws)):
        raise ConvotronError(
            "w_star must be finite; got NaN or infinite entries at positions "
            f"{np.flatnonzero(~np.isfinite(ws)).tolist()}. Pass a finite filter."
        )
    return ws


def _check_recording(
    w_star: np.ndarray | None, record_every: Any, eps: Any
) -> tuple[int | None, float | None]:
    if record_every is not None:
        record_every = _check_int(
            record_every,
            "record_every",
            low=1,
            fix="Pass a positive period m (the distance is recorded every m updates) or None.",
        )
    if eps is not None:
        try:
            e = float(eps)
        except (TypeError, ValueError):
            e = math.nan
        if not (math.isfinite(e) and e >= 0.0) or isinstance(eps, bool):
            raise ConvotronError(
                f"eps (the target squared error) must be a finite number >= 0; got {eps!r}. "
                "Pass e.g. eps=1e-3, or None."
            )
        eps = e
    if w_star is None and (record_every is not None or eps is not None):
        what = "record_every" if record_every is not None else "eps"
        raise ConvotronError(
            f"{what} needs the target filter w_star (to measure ‖w_t − w*‖²); got "
            f"{what}={record_every if what == 'record_every' else eps!r} with w_star=None. "
            f"Pass w_star or drop {what}."
        )
    return record_every, eps


def _check_data(X: Any, y: Any, n: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a fixed dataset: X (T, n), y (T,), finite, T a positive multiple of batch."""
    Xa = np.asarray(X)
    ya = np.asarray(y)
    if Xa.ndim != 2 or Xa.shape[1] != n:
        raise ConvotronError(
            f"X must be a 2-D array of shape (T, n) with n={n} (the scheme's input "
            f"dimension); got shape {Xa.shape}. Pass one sample per row."
        )
    if ya.shape != (Xa.shape[0],):
        raise ConvotronError(
            f"y must have shape (T,) = ({Xa.shape[0]},), one label per row of X; got shape "
            f"{ya.shape}. Pass as many labels as samples."
        )
    for name, arr in (("X", Xa), ("y", ya)):
        if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise ConvotronError(
                f"{name} must hold real numbers; got dtype {arr.dtype}. Convert it to float64."
            )
    Xa = np.ascontiguousarray(Xa, dtype=np.float64)
    ya = np.ascontiguousarray(ya, dtype=np.float64)
    for name, arr in (("X", Xa), ("y", ya)):
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.unique(np.nonzero(bad)[0])
            raise ConvotronError(
                f"{name} must be finite; got NaN or infinite values in {rows.size} row(s), "
                f"first row {int(rows[0])}. Remove or impute those rows."
            )
    if Xa.shape[0] < batch:
        raise ConvotronError(
            f"the number of samples T must be a positive multiple of batch={batch} (each "
            f"update uses batch samples); got T={Xa.shape[0]}, fewer than one batch. Pass at "
            f"least {batch} row(s) or a smaller batch."
        )
    if Xa.shape[0] % batch:
        raise ConvotronError(
            f"the number of samples T must be a positive multiple of batch={batch} (each "
            f"update uses batch samples); got T={Xa.shape[0]}. Drop the last "
            f"{Xa.shape[0] % batch} row(s) or choose a batch that divides T."
        )
    return Xa, ya


def _check_on_divergence(value: Any) -> bool:
    """Return True for ``"record"``, False for ``"raise"``; else raise."""
    if value not in ("raise", "record"):
        raise ConvotronError(
            f"on_divergence must be 'raise' or 'record'; got {value!r}. Pass one of them."
        )
    return bool(value == "record")


def _disjoint(scheme: Any, only_patch: int | None) -> bool | None:
    if only_patch is None:
        return None
    return bool(scheme.is_disjoint(only_patch))


# --------------------------------------------------------------------------- the engine


def _divergence(algorithm: str, name: str, eta: float, t: int, iters: int) -> DivergenceError:
    hint = " or --eta auto (the theorem's step size a/(2β))" if algorithm == "convotron" else ""
    return DivergenceError(
        f"{algorithm} diverged: the weights became non-finite at iteration {t} of {iters} "
        f"with step size {name}={eta:g}; the step size must be small enough for the "
        f"iterates to stay bounded. Use a smaller {name} (e.g. {name}={eta / 10:g}){hint}."
    )


def _progress_bar(total: int, progress: bool, desc: str) -> Any:
    """Return a tqdm bar on stderr, shown only when ``progress`` and stderr is a terminal."""
    from tqdm import tqdm

    disable = not (progress and sys.stderr.isatty())
    return tqdm(total=total, disable=disable, desc=desc, unit="upd", file=sys.stderr, leave=False)


def _warm_kernel(r: int, n: int) -> None:
    """Call the kernel once on empty arrays of the run's types (loads the compiled code)."""
    _kernels.run_updates(
        np.zeros(r), np.zeros((0, n)), np.zeros(0), np.zeros((1, r), dtype=np.int64), 0.0, 1.0,
        1, -1, _kernels.MODE_CONVOTRON, 0.0, np.zeros(0), 0, 0, np.zeros(1), -1.0,
        np.full(1, -1, dtype=np.int64),
    )  # fmt: skip


def _drive(
    next_chunk: Callable[[int], tuple[np.ndarray, np.ndarray]],
    indices: np.ndarray,
    n: int,
    alpha: float,
    *,
    mode: int,
    algorithm: str,
    step_name: str,
    eta: float,
    iters: int,
    batch: int,
    only_patch: int | None,
    w0: np.ndarray,
    w_star: np.ndarray | None,
    record_every: int | None,
    eps: float | None,
    chunk_updates: int,
    deriv_at_zero: float,
    progress: bool,
    only_patch_disjoint: bool | None,
    record_divergence: bool = False,
) -> RunResult:
    """Run ``iters`` updates, asking ``next_chunk(u)`` for the rows of ``u`` updates at a time.

    The compiled kernel is loaded (or compiled) before the clock starts, so ``seconds``
    measures the run itself, sample drawing included.
    """
    _warm_kernel(indices.shape[1], n)
    start = time.perf_counter()
    w = np.array(w0, dtype=np.float64, copy=True)
    ws = w_star if w_star is not None else np.zeros(0)
    rec = record_every or 0
    hist = np.full(iters // rec + 1 if rec else 1, np.nan)
    first = np.full(1, -1, dtype=np.int64)
    if w_star is not None:
        d0 = float(np.sum((w - w_star) ** 2))
        hist[0] = d0
        if eps is not None and d0 <= eps:
            first[0] = 0
    op = -1 if only_patch is None else only_patch
    e = -1.0 if eps is None else eps
    done = 0
    diverged = False
    with _progress_bar(iters, progress, algorithm) as bar:
        while done < iters:
            u = min(chunk_updates, iters - done)
            X, y = next_chunk(u)
            status, t = _kernels.run_updates(
                w, X, y, indices, alpha, eta, batch, op, mode, deriv_at_zero,
                ws, rec, done, hist, e, first,
            )  # fmt: skip
            if status == _kernels.STATUS_DIVERGED:
                if not record_divergence:
                    raise _divergence(algorithm, step_name, eta, int(t), iters)
                diverged = True
                w[:] = np.nan
                if rec:  # records at and after the divergence are +inf
                    hist[-(-int(t) // rec) :] = np.inf
                break
            if status == _kernels.STATUS_BAD_SAMPLE:
                raise ConvotronError(
                    f"a sample used at iteration {int(t)} is not finite (NaN or inf in x or "
                    "y); every sample must be finite. Fix the sampler or the data."
                )
            done += u
            bar.update(u)
    seconds = time.perf_counter() - start
    history_t: np.ndarray | None = None
    history: np.ndarray | None = None
    if rec and w_star is not None:
        history_t = np.arange(0, iters + 1, rec, dtype=np.int64)
        history = hist
        if iters % rec:
            history_t = np.append(history_t, iters)
            history = np.append(hist, np.inf if diverged else np.sum((w - w_star) ** 2))
    return RunResult(
        w=w,
        iterations=iters,
        eta=eta,
        algorithm=algorithm,
        batch=batch,
        only_patch=only_patch,
        record_every=record_every,
        history_t=history_t,
        history=history,
        sq_error=None
        if w_star is None
        else (math.inf if diverged else float(np.sum((w - w_star) ** 2))),
        first_hit=int(first[0]) if first[0] >= 0 else None,
        seconds=seconds,
        updates_per_second=iters / seconds if seconds > 0 else math.inf,
        samples=iters * batch,
        only_patch_disjoint=only_patch_disjoint,
        diverged=diverged,
    )


def _fast_teacher_sampler(sample: Any) -> Sampler | None:
    """Return a compiled-label equivalent of ``sample`` when it is a bound ``Teacher.sample``.

    ``Teacher.sample(rng, m)`` (for ``m`` up to its chunk size) draws ``X = L z`` and then
    the noise, and computes the labels with numpy. The equivalent returned here consumes
    ``rng`` in exactly the same order (so ``X`` and the noise are bitwise identical) but
    computes ``f_{w*}(x)`` with the compiled :func:`convotron._kernels.predict_rows` and
    skips a copy; the labels agree to rounding (summation order over the k patches). The
    tests check this equivalence. Returns None for any other sampler.
    """
    from .data import Teacher

    teacher = getattr(sample, "__self__", None)
    if not isinstance(teacher, Teacher) or getattr(sample, "__func__", None) is not Teacher.sample:
        return None
    import inspect

    limit = inspect.signature(Teacher.sample).parameters["chunk"].default
    if not isinstance(limit, int):  # pragma: no cover - Teacher.sample changed its signature
        return None
    w_star = np.ascontiguousarray(teacher.w_star, dtype=np.float64)
    indices = np.ascontiguousarray(teacher.scheme.indices, dtype=np.int64)
    alpha = float(teacher.alpha)
    n = int(teacher.scheme.n)
    _kernels.predict_rows(w_star, np.zeros((0, n)), indices, alpha, np.empty(0))  # load it

    def fast(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        if m > limit:
            return sample(rng, m)
        X = np.ascontiguousarray(teacher.cov.transform(teacher.law.draw(rng, (m, n))))
        y = _kernels.predict_rows(w_star, X, indices, alpha, np.empty(m))
        if teacher.noise.kind != "none":
            y += teacher.noise.sample(rng, X, teacher.cov)
        return X, y

    return fast


def _sampler_chunks(
    sample: Sampler, rng: np.random.Generator, n: int, batch: int
) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    """Wrap ``sample(rng, m)`` into ``next_chunk(u)``: ``u batch`` fresh rows, checked."""
    if not callable(sample):
        raise ConvotronError(
            f"sample must be a callable sample(rng, m) -> (X, y); got {type(sample).__name__}. "
            "Pass e.g. teacher.sample."
        )
    draw = _fast_teacher_sampler(sample) or sample

    def next_chunk(u: int) -> tuple[np.ndarray, np.ndarray]:
        m = u * batch
        X, y = draw(rng, m)
        X = np.ascontiguousarray(X, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if X.shape != (m, n) or y.shape != (m,):
            raise ConvotronError(
                f"sample(rng, {m}) must return X of shape ({m}, {n}) and y of shape ({m},); "
                f"got {X.shape} and {y.shape}. Fix the sampler so it matches the scheme (n={n})."
            )
        return X, y

    return next_chunk


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ConvotronError(
            f"rng must be a numpy.random.Generator; got {type(rng).__name__}. "
            "Pass numpy.random.default_rng(seed)."
        )
    return rng


def _common(
    scheme: Any,
    alpha: Any,
    eta: Any,
    batch: Any,
    only_patch: Any,
    w_star: Any,
    record_every: Any,
    eps: Any,
    step_name: str = "eta",
) -> tuple[np.ndarray, float, float, int, int | None, np.ndarray | None, int | None, float | None]:
    indices = _check_scheme(scheme)
    k, r = indices.shape
    a = _check_alpha(alpha)
    e = _check_step(eta, step_name)
    b = _check_int(batch, "batch", low=1, fix="Pass a positive mini-batch size (1 = Algorithm 1).")
    op = _check_only_patch(only_patch, k)
    ws = _check_w_star(w_star, r)
    rec, eps_ = _check_recording(ws, record_every, eps)
    return indices, a, e, b, op, ws, rec, eps_


# --------------------------------------------------------------------------- public API


def convotron(
    sample: Sampler,
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

    Parameters
    ----------
    sample : callable
        ``sample(rng, m) -> (X (m, n), y (m,))`` drawing ``m`` fresh i.i.d. samples, e.g.
        :meth:`convotron.data.Teacher.sample`. Called with ``chunk`` rows at a time
        (rounded down to a multiple of ``batch``), so for a fixed seed the result depends
        on ``chunk`` only through the order in which the sampler consumes ``rng``.
    scheme : PatchScheme
        The patches ``P_1..P_k``.
    alpha : float
        Leaky-ReLU slope in ``[0, 1]``.
    eta : float
        Step size ``η > 0`` (explicit: the theorem's value is
        ``convotron.bridge.theorem_parameters(...).eta``, [derived]).
    iters : int
        Number of updates ``T >= 1``; ``T · batch`` samples are drawn.
    rng : numpy.random.Generator
        Source of all randomness (passed to ``sample``).
    batch : int, default 1
        Mini-batch size ``B``: each update averages ``G`` over ``B`` fresh samples.
    only_patch : int, optional
        Disjoint-patch variant: ``G_t = (y_t − f_{w_t}(x_t)) P_j x_t`` with ``j = only_patch``
        (0-based). Any patch is accepted; ``result.only_patch_disjoint`` says whether the
        hypothesis of ``thm-disjoint`` (``P_j`` disjoint from the others) holds.
    w_star : (r,) array, optional
        The teacher's filter, used **only** to record ``‖w_t − w*‖²``.
    record_every : int, optional
        Record ``‖w_t − w*‖²`` after ``0, m, 2m, ...`` updates and after the last one.
    eps : float, optional
        Record the first update after which ``‖w_t − w*‖² <= eps``.
    chunk : int, default 4096
        Samples drawn per call of ``sample``.
    progress : bool, default False
        Show a tqdm progress bar (only when stderr is a terminal).
    on_divergence : {"raise", "record"}, default "raise"
        If the weights become non-finite: raise :class:`DivergenceError`, or stop and
        return a result with ``diverged=True`` (used by :func:`run_many`).

    Returns
    -------
    RunResult

    Raises
    ------
    ConvotronError
        On invalid input (each message names the parameter, the rule, the value and a fix).
    DivergenceError
        If the weights become non-finite (the step size is too large).

    Examples
    --------
    >>> import numpy as np
    >>> from convotron.patches import parse_spec
    >>> from convotron.data import Teacher
    >>> scheme = parse_spec("1d:16,4,2")
    >>> teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    >>> res = convotron(teacher.sample, scheme, 0.0, eta=0.01, iters=20000,
    ...                 rng=np.random.default_rng(1), w_star=teacher.w_star)
    >>> res.sq_error < 1e-3
    True
    """
    indices, a, e, b, op, ws, rec, eps_ = _common(
        scheme, alpha, eta, batch, only_patch, w_star, record_every, eps
    )
    r = indices.shape[1]
    T = _check_int(iters, "iters", low=1, fix="Pass the number of updates T, e.g. iters=10000.")
    rng = _check_rng(rng)
    c = _check_int(chunk, "chunk", low=1, fix="Pass a positive number of samples per draw.")
    n = int(scheme.n)
    return _drive(
        _sampler_chunks(sample, rng, n, b),
        indices,
        n,
        a,
        mode=_kernels.MODE_CONVOTRON,
        algorithm="convotron",
        step_name="eta",
        eta=e,
        iters=T,
        batch=b,
        only_patch=op,
        w0=np.zeros(r),
        w_star=ws,
        record_every=rec,
        eps=eps_,
        chunk_updates=max(1, c // b),
        deriv_at_zero=0.0,
        progress=progress,
        only_patch_disjoint=_disjoint(scheme, op),
        record_divergence=_check_on_divergence(on_divergence),
    )


def _data_chunks(X: np.ndarray, y: np.ndarray, batch: int) -> Callable[[int], Any]:
    pos = [0]

    def next_chunk(u: int) -> tuple[np.ndarray, np.ndarray]:
        s = pos[0]
        pos[0] = s + u * batch
        return X[s : s + u * batch], y[s : s + u * batch]

    return next_chunk


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

    ``T = len(X) // batch`` updates; update ``t`` uses rows ``(t−1)B .. tB − 1``. Same
    parameters and result as :func:`convotron` (``eps`` is an extension of the contract);
    ``X`` must be ``(T B, n)`` and ``y`` ``(T B,)``, finite, with ``T B`` a multiple of ``B``.
    """
    indices, a, e, b, op, ws, rec, eps_ = _common(
        scheme, alpha, eta, batch, only_patch, w_star, record_every, eps
    )
    n = int(scheme.n)
    Xa, ya = _check_data(X, y, n, b)
    T = Xa.shape[0] // b
    return _drive(
        _data_chunks(Xa, ya, b),
        indices,
        n,
        a,
        mode=_kernels.MODE_CONVOTRON,
        algorithm="convotron",
        step_name="eta",
        eta=e,
        iters=T,
        batch=b,
        only_patch=op,
        w0=np.zeros(indices.shape[1]),
        w_star=ws,
        record_every=rec,
        eps=eps_,
        chunk_updates=max(1, 65536 // b),
        deriv_at_zero=0.0,
        progress=False,
        only_patch_disjoint=_disjoint(scheme, op),
    )


def _leaky_relu(z: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(z >= 0.0, z, alpha * z)


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
    indices, a, e, b, op, _, _, _ = _common(scheme, alpha, eta, batch, only_patch, None, None, None)
    Xa, ya = _check_data(X, y, int(scheme.n), b)
    T = Xa.shape[0] // b
    w = np.zeros(indices.shape[1])
    iterates = [w.copy()]
    for t in range(T):
        G = np.zeros_like(w)
        for x, label in zip(Xa[t * b : (t + 1) * b], ya[t * b : (t + 1) * b], strict=True):
            patches = np.where(indices >= 0, x[indices], 0.0)  # (k, r): row i is P_i x (-1: pad)
            f = np.mean(_leaky_relu(patches @ w, a))  # f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)
            direction = patches.sum(axis=0) if op is None else patches[op]  # Σ_i P_i x (or P_j x)
            G += (label - f) * direction
        w = w + e * (G / b)
        iterates.append(w.copy())
    return np.array(iterates)


def _one_run(job: tuple[Any, ...]) -> RunResult:
    (teacher, seed_seq, algorithm, kwargs) = job
    rng = np.random.default_rng(seed_seq)
    if algorithm == "convotron":
        return convotron(teacher.sample, teacher.scheme, teacher.alpha, rng=rng, **kwargs)
    from .baselines import sgd

    kw = dict(kwargs)
    lr = kw.pop("eta")
    if kw.pop("only_patch") is not None:
        raise ConvotronError(  # pragma: no cover - rejected before
            "only_patch is a Convotron variant; got algorithm='sgd'. Drop only_patch."
        )
    return sgd(teacher.sample, teacher.scheme, teacher.alpha, lr=lr, rng=rng, **kw)


def run_many(
    teacher: Teacher,
    *,
    eta: float,
    iters: int,
    runs: int,
    seed: int,
    workers: int = 2,
    batch: int = 1,
    only_patch: int | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    algorithm: str = "convotron",
    progress: bool = False,
    on_divergence: str = "record",
) -> ManyResult:
    """Run ``runs`` independent runs of Convotron (or SGD from zero) on one teacher.

    Run ``j`` uses ``numpy.random.default_rng(SeedSequence(seed).spawn(runs)[j])``, so the
    results are identical whatever ``workers`` is. The runs execute on ``workers`` threads;
    the compiled loop releases the GIL (``nogil=True``) and numpy's generators release it
    while filling arrays, so two workers use two cores (see ``benchmarks/README.md``).

    Parameters
    ----------
    teacher : Teacher
        Supplies ``sample``, ``scheme``, ``alpha`` and ``w_star`` (used only for recording).
    eta, iters, batch, only_patch, record_every, eps
        As in :func:`convotron` (``eta`` is the learning rate for ``algorithm="sgd"``).
    runs : int
        Number of independent runs.
    seed : int
        Root seed of the ``SeedSequence``.
    workers : int, default 2
        Threads.
    algorithm : {"convotron", "sgd"}
        ``"sgd"`` runs :func:`convotron.baselines.sgd` from zero (``only_patch`` refused).
    progress : bool
        Progress bar over runs (terminal only).
    on_divergence : {"record", "raise"}, default "record"
        A run whose weights become non-finite is recorded (``diverged[j]``, final squared
        error ``inf``, NaN weights) so that one divergent run does not discard the others;
        ``"raise"`` raises :class:`DivergenceError` instead.
    """
    if algorithm not in ("convotron", "sgd"):
        raise ConvotronError(
            f"algorithm must be 'convotron' or 'sgd'; got {algorithm!r}. Pass one of them."
        )
    if algorithm == "sgd" and only_patch is not None:
        raise ConvotronError(
            f"only_patch is a variant of Convotron, not of SGD; got only_patch={only_patch!r} "
            "with algorithm='sgd'. Drop only_patch or use algorithm='convotron'."
        )
    _check_on_divergence(on_divergence)
    R = _check_int(runs, "runs", low=1, fix="Pass the number of independent runs, e.g. 100.")
    nw = _check_int(workers, "workers", low=1, fix="Pass 1 or more threads (2 uses both cores).")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ConvotronError(
            f"seed must be a non-negative integer; got {seed!r}. Pass e.g. seed=0."
        )
    for attr in ("sample", "scheme", "alpha", "w_star"):
        if not hasattr(teacher, attr):
            raise ConvotronError(
                f"teacher must be a convotron.data.Teacher (with sample, scheme, alpha, "
                f"w_star); got {type(teacher).__name__} without {attr!r}. "
                "Build one with Teacher.random(scheme, alpha, rng)."
            )
    kwargs: dict[str, Any] = dict(
        eta=eta, iters=iters, batch=batch, only_patch=only_patch, w_star=teacher.w_star,
        record_every=record_every, eps=eps, on_divergence=on_divergence,
    )  # fmt: skip
    # validate once, before any thread starts
    _common(teacher.scheme, teacher.alpha, eta, batch, only_patch, teacher.w_star,
            record_every, eps, "eta" if algorithm == "convotron" else "lr")  # fmt: skip
    _check_int(iters, "iters", low=1, fix="Pass the number of updates T, e.g. iters=10000.")
    seqs = np.random.SeedSequence(int(seed)).spawn(R)
    jobs = [(teacher, s, algorithm, kwargs) for s in seqs]
    start = time.perf_counter()
    results: list[RunResult] = []
    with _progress_bar(R, progress, f"{algorithm} runs") as bar:
        if nw == 1:
            for job in jobs:
                results.append(_one_run(job))
                bar.update(1)
        else:
            with ThreadPoolExecutor(max_workers=nw) as pool:
                for res in pool.map(_one_run, jobs):
                    results.append(res)
                    bar.update(1)
    seconds = time.perf_counter() - start
    histories = None
    if results[0].history is not None:
        histories = np.stack([res.history for res in results if res.history is not None])
    return ManyResult(
        final_sq_errors=np.array([res.sq_error for res in results], dtype=np.float64),
        history_t=results[0].history_t,
        histories=histories,
        first_hits=np.array(
            [-1 if res.first_hit is None else res.first_hit for res in results], dtype=np.int64
        ),
        seconds=seconds,
        w=np.stack([res.w for res in results]),
        diverged=np.array([res.diverged for res in results], dtype=bool),
    )
