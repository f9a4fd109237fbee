"""What a run returns: :class:`RunResult` (one run) and :class:`ManyResult` (many runs).

Indexing: the paper's ``w_1`` (the initial filter) is ``w`` after ``t = 0`` updates;
``history[j]`` is ``‖w − w*‖²`` after ``history_t[j]`` updates, and ``w``/``sq_error`` of a
result are those of ``w_{T+1}``, the filter after all ``T`` updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ManyResult", "RunResult"]


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
