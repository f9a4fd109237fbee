"""Checking a ``(k, r)`` index array of a patch scheme, before any array is built from it.

Plain integers and arrays only (the :class:`~convotron.geometry.patches.PatchScheme` constructors
call these); messages name the offending entry by value, whatever its size or type.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._errors import ConvotronError
from .._limits import check_index_entries, read_array

__all__: list[str] = []

#: Sentinel in ``PatchScheme.indices``: the filter position reads a zero of the padding
#: (conv layers with ``padding``, ``convotron.geometry.conv``), i.e. row ``a`` of :math:`P_i` is
#: zero and :math:`(P_i x)_a = 0`. Consumers must never gather ``x[-1]`` (numpy and numba would
#: silently read the last coordinate): use :meth:`PatchScheme.patches` or test ``>= 0``.
PAD = -1


def _show_int(v: int) -> str:
    """``v`` in decimal, or its size when it has too many digits to print."""
    if abs(v).bit_length() > 128:
        return f"an integer of about {int(abs(v).bit_length() * 0.30103) + 1} digits"
    return str(v)


def _out_of_range_entry(indices: Any, n: int) -> ConvotronError | None:
    """Return an error for the first Python integer of nested rows outside ``0..n-1``.

    Used when numpy could not hold the rows as integers (``2**63`` becomes a float, larger
    values an object), so that the message names the offending value, not a dtype.
    """
    if isinstance(indices, np.ndarray):
        return None
    try:
        for i, row in enumerate(indices):
            for a, v in enumerate(row):
                if isinstance(v, numbers.Integral) and not isinstance(v, bool):
                    if not 0 <= int(v) < n and int(v) != PAD:
                        return ConvotronError(
                            f"indices must lie in 0..n-1 (n={n}); got {_show_int(int(v))} at "
                            f"patch {i}, position {a}. Pass coordinates of the input (0-based)."
                        )
    except TypeError:  # not nested sequences
        return None
    return None


def _as_index_array(indices: Any, n: int) -> np.ndarray:
    """Validate ``indices`` as a ``(k, r)`` array of distinct-per-row coordinates in ``0..n-1``."""
    if isinstance(indices, (str, bytes)):
        raise ConvotronError(
            f"indices must be a (k, r) array of integers; got a string {indices!r:.60}. "
            "Pass e.g. [[0, 1], [1, 2]]."
        )
    arr = read_array(
        indices,
        "indices must be a rectangular (k, r) array of integers: every patch must have the "
        "same size r; could not read them",
        "Pass e.g. [[0, 1], [1, 2]].",
        errors=(ValueError, TypeError, OverflowError),
    )
    if arr.dtype == object or np.issubdtype(arr.dtype, np.floating):
        bad = _out_of_range_entry(indices, n)
        if bad is not None:
            raise bad
    if arr.dtype == object:
        raise ConvotronError(
            "indices must be a rectangular (k, r) array of integers: every patch must have "
            "the same size r and every entry be an integer in 0..n-1; got ragged or "
            "non-numeric entries. Pass e.g. [[0, 1], [1, 2]]."
        )
    if arr.size == 0:
        raise ConvotronError(
            f"a patch scheme needs at least one patch of at least one coordinate; got an empty "
            f"array of shape {arr.shape}. Pass a non-empty (k, r) array, e.g. [[0, 1], [1, 2]]."
        )
    if arr.ndim != 2:
        raise ConvotronError(
            f"indices must be a 2-D (k, r) array (one row per patch); got an array with "
            f"{arr.ndim} dimension(s) and shape {arr.shape}. Pass e.g. [[0, 1], [1, 2]]."
        )
    k, r = arr.shape
    check_index_entries(k, r)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ConvotronError(
            f"indices must be integers (coordinates 0..n-1); got dtype {arr.dtype}. "
            "Pass integer coordinates, e.g. np.asarray(indices, dtype=np.int64) if they are "
            "whole numbers."
        )
    if np.issubdtype(arr.dtype, np.unsignedinteger) and arr.max() > np.iinfo(np.int64).max:
        top = int(arr.max())
        raise ConvotronError(
            f"indices must lie in 0..n-1 (n={n}); got {top}. Pass coordinates of the input."
        )
    arr = arr.astype(np.int64)
    if r > n and not (arr == PAD).any():
        raise ConvotronError(
            f"a patch cannot be larger than the input: r <= n is required (n={n}); got "
            f"patches of r={r} coordinates. Use patches of at most {n} coordinates."
        )
    out = (arr < PAD) | (arr >= n)
    if out.any():
        i, a = (int(v[0]) for v in np.nonzero(out))
        raise ConvotronError(
            f"indices must lie in 0..n-1 (n={n}); got {int(arr[i, a])} at patch {i}, "
            f"position {a}. Pass coordinates of the input (0-based), or -1 for a padded zero."
        )
    srt = np.sort(arr, axis=1)
    dup = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] != PAD)
    if dup.any():
        i, a = (int(v[0]) for v in np.nonzero(dup))
        raise ConvotronError(
            f"the r coordinates of one patch must be distinct (P_i P_i^T = I_r); patch {i} "
            f"repeats coordinate {int(srt[i, a])}. Remove the repeated index."
        )
    arr.setflags(write=False)
    return arr


def _axis(
    n: int, r: int, d: int, label: str, nname: str, rname: str, dname: str, hint: str = ""
) -> int:
    """Validate one patch-and-stride axis and return its number of patches ``k``."""
    if r > n:
        raise ConvotronError(
            f"a patch cannot be larger than the input{label}: {rname} <= {nname} is required; "
            f"got {rname}={r}, {nname}={n}. Use {rname} <= {n}."
        )
    if (n - r) % d != 0:
        lo = r + ((n - r) // d) * d
        hi = lo + d
        k_lo = (lo - r) // d + 1
        raise ConvotronError(
            f"patch-and-stride without padding needs {nname} = (k-1)*{dname} + {rname}{label}: "
            f"{nname} - {rname} = {n - r} is not divisible by {dname}={d} ({nname}={n}, "
            f"{rname}={r}). Use {nname}={lo} (k={k_lo}) or {nname}={hi} (k={k_lo + 1})"
            + (f", or {hint}" if hint else "")
            + "."
        )
    return (n - r) // d + 1
