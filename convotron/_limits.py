"""The size and cost model: what the numerical core refuses *before* allocating or starting.

A careless or hostile size (a scheme of 10⁵ x 10⁵, ``Teacher.sample(rng, 10**12)``, a
mini-batch of 10⁹ rows, ``iters=10**18``, a 200 MB scheme file, an ``.npz`` member whose
header declares 10¹² rows) must be refused at once with a clear message, not die after
minutes with a ``MemoryError`` or run forever. Every limit of the core lives here, each
checked where the size is first known and before anything of that size is allocated:

=========================  ===================================================================
``MAX_INDEX_ENTRIES``      k x r of a patch scheme (its index array is stored densely)
``MAX_DENSE_ENTRIES``      entries of a dense array from ``P()`` / ``patch_matrices()``
``MAX_CHUNK_ENTRIES``      rows x n of one chunk of fresh samples (``fit`` draws
                           ``rows <= MAX_CHUNK_ENTRIES / n``; one mini-batch must fit)
``MAX_SAMPLE_ENTRIES``     m x n of one ``Teacher.sample(rng, m)`` (the array it returns)
``MAX_RUN_WORK``           iters x batch x sample_cost(k r, n): about nanoseconds of one run
``MAX_RECORDS``            recorded distances of one run (``iters / record_every``)
``MAX_RUNS``               runs of one ``run_many`` (each keeps its result in memory)
``MAX_DATA_ENTRIES``       entries of one array read from a ``--data`` file (read straight into
                           float64 C order, chunk by chunk: the peak is 8 bytes an entry plus
                           ``DATA_READ_CHUNK_BYTES``, whatever the file's order or dtype)
``MAX_DATA_VALUE``         |x| and |y| of a fixed dataset (fourth powers stay finite)
``MAX_SCHEME_FILE_BYTES``  size of a ``file:`` scheme (checked by ``stat`` before reading)
``MAX_NOISE_LEVEL``        the noise scale ς (ς², and ρ = ς² tr M, must stay finite)
``MAX_VARIANCE``           a variance of a Diagonal, an entry of a Dense covariance
``MAX_W_NORM``             |w*_a|, ‖w*‖ of a random teacher, the scale of SGD's random start
``DIVERGENCE_LIMIT``       |w_a| above which a run counts as diverged (its squares stay finite)
=========================  ===================================================================

A patch scheme stores its ``(k, r)`` index array densely, so ``k * r`` bounds its memory
(8 bytes an entry: :data:`MAX_INDEX_ENTRIES` entries are 256 MiB); constructors check the
product from the parameters alone (:func:`check_index_entries`), before building any array.
``n <= MAX_N`` is in :mod:`convotron.data.covariance`. The limits are generous for real
use (a run of 10⁸ updates of ``1d:64,8,2`` costs about 10¹¹ units, two minutes) and keep
every refused request far below a 4 GB memory limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import ConvotronError

__all__ = [
    "DATA_READ_CHUNK_BYTES",
    "DIVERGENCE_LIMIT",
    "MAX_CHUNK_ENTRIES",
    "MAX_DATA_ENTRIES",
    "MAX_DATA_VALUE",
    "MAX_DENSE_ENTRIES",
    "MAX_INDEX_ENTRIES",
    "MAX_NOISE_LEVEL",
    "MAX_RECORDS",
    "MAX_RUNS",
    "MAX_RUN_WORK",
    "MAX_SAMPLE_ENTRIES",
    "MAX_SCHEME_FILE_BYTES",
    "MAX_VARIANCE",
    "MAX_W_NORM",
    "check_index_entries",
    "chunk_rows",
    "gib",
    "read_array",
    "real_vector",
    "require_finite",
    "sample_cost",
]

#: Largest ``k * r`` accepted for a scheme (the index array is stored densely).
MAX_INDEX_ENTRIES = 1 << 25
#: Largest number of entries of a dense array returned by ``P()`` / ``patch_matrices()``.
MAX_DENSE_ENTRIES = 1 << 26
#: Largest rows x n of one chunk of fresh samples (256 MiB of float64).
MAX_CHUNK_ENTRIES = 1 << 25
#: Largest m x n returned by one ``Teacher.sample`` call (1 GiB of float64).
MAX_SAMPLE_ENTRIES = 1 << 27
#: Largest iters x batch x sample_cost(k r, n) of one run on fresh samples: about ten
#: minutes of one core (a unit is about a nanosecond).
MAX_RUN_WORK = 6 * 10**11
#: Largest number of runs of one ``run_many`` (each keeps a result in memory).
MAX_RUNS = 10**5
#: Largest number of recorded distances ``‖w_t − w*‖²`` of one run (128 MiB).
MAX_RECORDS = 1 << 24
#: Largest number of entries of one array of a ``--data`` file (1 GiB of float64).
MAX_DATA_ENTRIES = 1 << 27
#: Bytes of a ``--data`` array read and converted at a time (the only copy besides the result).
DATA_READ_CHUNK_BYTES = 1 << 24
#: Largest ``file:`` scheme, in bytes (a JSON file of about 8 million coordinates).
MAX_SCHEME_FILE_BYTES = 64 * 1024**2
#: Largest noise scale ς: its square (the noise variance) and ρ = ς² tr M stay finite.
MAX_NOISE_LEVEL = 1e100
#: Largest |value| of a fixed dataset's X or y: fourth powers (the plug-in constants) and the
#: update's products stay finite.
MAX_DATA_VALUE = 1e50
#: Largest variance of a Diagonal or entry of a Dense covariance (inputs of scale 1e50).
MAX_VARIANCE = 1e100
#: Largest |w*_a| (and ‖w*‖ of a random teacher, and the scale of a random start).
MAX_W_NORM = 1e100
#: A weight of magnitude above this is divergence (its square, summed over r <= 2²⁵
#: coordinates, stays finite in float64).
DIVERGENCE_LIMIT = 1e150


def check_index_entries(k: int, r: int) -> None:
    """Refuse a scheme of ``k`` patches of ``r`` coordinates above :data:`MAX_INDEX_ENTRIES`."""
    if k * r > MAX_INDEX_ENTRIES:
        raise ConvotronError(
            f"a scheme is limited to k*r <= {MAX_INDEX_ENTRIES} index entries; got k={k}, "
            f"r={r}, k*r={k * r}. Use fewer or smaller patches."
        )


def gib(entries: int) -> str:
    """Size of ``entries`` float64 values in words, e.g. ``'7.5 GiB'``."""
    size = 8.0 * entries
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.3g} {unit}" if unit != "bytes" else f"{int(size)} bytes"
        size /= 1024
    raise AssertionError  # pragma: no cover - the loop always returns


def sample_cost(kr: int, n: int) -> int:
    """Cost of one sample of a run, in units of about a nanosecond of one core.

    ``k r`` multiply-adds of the model and the update, ``n`` coordinates drawn and
    transformed (about 10 units each) and a fixed overhead of 100 units.
    """
    return kr + 10 * n + 100


def chunk_rows(requested: int, n: int, multiple: int = 1) -> int:
    """Rows per chunk: ``requested`` capped so that rows x n <= MAX_CHUNK_ENTRIES.

    The result is a positive multiple of ``multiple`` (a mini-batch is never split); when
    even one multiple exceeds the cap the caller has checked it beforehand.
    """
    cap = max(1, MAX_CHUNK_ENTRIES // max(1, n))
    rows = min(requested, cap)
    return max(multiple, rows // multiple * multiple)


def read_array(
    value: object,
    why: str,
    fix: str,
    *,
    dtype: Any = None,
    copy: bool = False,
    param: str | None = None,
    errors: tuple[type[Exception], ...] = (TypeError, ValueError),
) -> np.ndarray:
    """Return ``np.asarray(value, dtype)`` (``np.array`` with ``copy``), or raise as one message.

    A value numpy cannot read (ragged lists, objects that refuse conversion) raises
    :class:`~convotron._errors.ConvotronError` ``"{why} ({numpy's reason}). {fix}"``.
    """
    try:
        return np.array(value, dtype=dtype) if copy else np.asarray(value, dtype=dtype)
    except errors as exc:
        raise ConvotronError(f"{why} ({exc}). {fix}", param=param) from None


def require_finite(arr: np.ndarray, what: str, fix: str) -> None:
    """Raise ``"{what} must be finite; got NaN or infinity. {fix}"`` unless ``arr`` is finite."""
    if not np.all(np.isfinite(arr)):
        raise ConvotronError(f"{what} must be finite; got NaN or infinity. {fix}")


def real_vector(
    value: object, name: str, r: int, fix: str, *, limit: float = MAX_W_NORM
) -> np.ndarray:
    """Return ``value`` as a float64 vector of shape ``(r,)``: real, finite, within limits.

    Strings, complex numbers and objects are refused (numpy would read ``"1"`` as 1.0 and
    drop an imaginary part with a warning); so are entries above ``limit`` (default
    :data:`MAX_W_NORM`), whose squared distances ``‖w − w*‖²`` could overflow.
    """
    arr = read_array(value, f"{name} must be a vector of shape (r,) = ({r},) of real numbers; "
                     "could not read it as an array", fix, param=name)  # fmt: skip
    if arr.dtype.kind not in "iuf":
        raise ConvotronError(
            f"{name} must be a vector of shape (r,) = ({r},) of real numbers; got dtype "
            f"{arr.dtype} ({'complex' if arr.dtype.kind == 'c' else 'not real numbers'}). {fix}",
            param=name,
        )
    w = np.array(arr, dtype=np.float64)
    if w.shape != (r,):
        raise ConvotronError(
            f"{name} must be a finite vector of shape (r,) = ({r},); got shape {w.shape}. {fix}",
            param=name,
        )
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        raise ConvotronError(
            f"{name} must be a finite vector of shape (r,) = ({r},); got NaN or infinite "
            f"entries at positions {bad[:10].tolist()}. {fix}",
            param=name,
        )
    big = float(np.max(np.abs(w)))
    if big > limit:
        raise ConvotronError(
            f"{name} must have entries of magnitude at most {limit:g} (squared distances "
            f"to it must stay finite); got {big:g}. {fix}",
            param=name,
        )
    return w
