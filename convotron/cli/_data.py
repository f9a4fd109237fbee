"""``convotron run --data FILE.npz``: the arrays ``X``, ``y`` and ``w_star``, read safely.

Only the named members are read; each member's ``.npy`` header (shape, dtype) is checked
against the size limits before any data is read, so a header that declares a huge array, a
member that is not ``.npy``, strings or complex numbers get one clear line, not an
allocation or a traceback.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from typing import Any

import numpy as np

from .._errors import ConvotronError

__all__ = ["load_data"]

_SAVE_HINT = "Save one with numpy.savez(path, X=X, y=y)."


def _read_as_float64(fh: Any, shape: tuple[int, ...], dtype: np.dtype, fortran: bool) -> np.ndarray:
    """Read an ``.npy`` member's data straight into a C-ordered float64 array.

    Whatever the file's order (C or Fortran) and dtype (ints, float32, big-endian), the data
    is converted chunk by chunk into its final place, so the peak memory is the result plus
    one chunk (:data:`~convotron._limits.DATA_READ_CHUNK_BYTES`): no Fortran-order buffer,
    no ``ascontiguousarray`` or ``astype`` copy later (a 1 GiB Fortran-order X needed 3.3 GB
    before).
    """
    from .._limits import DATA_READ_CHUNK_BYTES

    out = np.empty(shape, dtype=np.float64)
    entries = out.size
    item = dtype.itemsize
    per = max(1, DATA_READ_CHUNK_BYTES // max(1, item))
    buf = bytearray(per * item)
    flat = out.reshape(-1)  # a view: out is C-contiguous
    rows = shape[0] if shape else 1
    pos = 0
    while pos < entries:
        count = min(per, entries - pos)
        view = memoryview(buf)[: count * item]
        got = 0
        while got < len(view):
            n = fh.readinto(view[got:])
            if not n:
                raise ValueError(
                    f"the header declares {entries * item} bytes of data, the member holds "
                    f"{pos * item + got}"
                )
            got += n
        values = np.frombuffer(view, dtype=dtype, count=count)
        if not fortran or len(shape) < 2:
            flat[pos : pos + count] = values
        else:  # Fortran order of a 2-D array: column after column
            done = 0
            while done < count:
                p = pos + done
                col, row = divmod(p, rows)
                take = min(rows - row, count - done)
                out[row : row + take, col] = values[done : done + take]
                done += take
        pos += count
    return out


def _npz_member(zf: zipfile.ZipFile, name: str, path_text: str) -> np.ndarray:
    """Read array ``name`` of an open ``.npz`` after checking its declared shape and dtype.

    The ``.npy`` header (magic string, then shape, dtype and order) is read first; a member
    that is not ``.npy``, an object or non-real dtype, or a shape above
    :data:`~convotron._limits.MAX_DATA_ENTRIES` entries is refused before its data is read.
    """
    from .._limits import MAX_DATA_ENTRIES, gib

    where = f"--data: array {name} of {path_text!r}"
    try:
        with zf.open(f"{name}.npy") as fh:
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
            except (ValueError, SyntaxError, EOFError) as exc:
                raise ConvotronError(
                    f"{where} is not a numpy .npy array ({str(exc).splitlines()[0][:120]}). "
                    f"{_SAVE_HINT}"
                ) from None
            if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
                raise ConvotronError(
                    f"{where} must hold real numbers; got dtype {dtype} (objects or records "
                    f"are never read). {_SAVE_HINT}"
                )
            if dtype.kind not in "iuf":
                what = {"c": "complex numbers", "U": "strings", "S": "bytes"}.get(
                    dtype.kind, f"dtype {dtype}"
                )
                raise ConvotronError(
                    f"{where} must hold real numbers (int or float); got {what} (dtype "
                    f"{dtype.str}). Save a real array, e.g. numpy.asarray(values, float)."
                )
            entries = math.prod(shape)
            if entries > MAX_DATA_ENTRIES:
                raise ConvotronError(
                    f"{where} is too large: its header declares shape {shape} = {entries} "
                    f"values ({gib(entries)} as float64), above the limit of "
                    f"{MAX_DATA_ENTRIES} ({gib(MAX_DATA_ENTRIES)}). Use fewer rows."
                )
            try:
                arr = _read_as_float64(fh, shape, dtype, fortran)
            except (ValueError, EOFError, zipfile.BadZipFile, OSError, zlib.error) as exc:
                raise ConvotronError(
                    f"{where} could not be read ({str(exc).splitlines()[0][:120]}). {_SAVE_HINT}"
                ) from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        RuntimeError,  # an encrypted member
        zlib.error,  # a corrupt compressed stream
        EOFError,
    ) as exc:
        raise ConvotronError(
            f"{where} could not be read ({str(exc).splitlines()[0][:120]}). {_SAVE_HINT}"
        ) from None
    return arr


def load_data(path_text: str, n: int, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Load and validate ``X``, ``y`` and the optional ``w_star`` of an ``.npz`` file.

    Only these three members are read (an archive may hold others, never touched), each
    after its ``.npy`` header's shape and dtype are checked (:func:`_npz_member`). The path
    must be a regular file (a folder, FIFO or device is refused before it is opened).
    """
    import os
    import stat

    try:
        st = os.stat(path_text)
    except FileNotFoundError:
        raise ConvotronError(
            f"--data must name an existing .npz file; got {path_text!r}, which does not exist. "
            f"{_SAVE_HINT}"
        ) from None
    except OSError as exc:
        raise ConvotronError(
            f"--data must name a readable .npz file; {path_text!r} could not be opened "
            f"({exc.strerror or exc}). Check the path and its permissions."
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise ConvotronError(
            f"--data must name an .npz file; got {path_text!r}, which is a folder. Name the "
            "file inside it."
        )
    if not stat.S_ISREG(st.st_mode):
        raise ConvotronError(
            f"--data must name a regular .npz file; got {path_text!r}, which is a special "
            f"file (a FIFO, device or socket). {_SAVE_HINT}"
        )
    try:
        zf = zipfile.ZipFile(path_text)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        # np.load would blame "pickled (object) data" for any file that is not a numpy format
        raise ConvotronError(
            f"--data must be a numpy .npz archive (a zip file); got {path_text!r}, which is not "
            f"a zip archive. {_SAVE_HINT}"
        ) from None
    with zf:
        names = {m[:-4] for m in zf.namelist() if m.endswith(".npy")}
        missing = [name for name in ("X", "y") if name not in names]
        if missing:
            shown = sorted(names)[:10]
            raise ConvotronError(
                f"--data must contain the arrays X (T, n) and y (T,); {path_text!r} lacks "
                f"{' and '.join(missing)} (it has {shown}). Save them with "
                "numpy.savez(path, X=X, y=y)."
            )
        X = _npz_member(zf, "X", path_text)
        if X.ndim != 2 or X.shape[1] != n:
            raise ConvotronError(
                f"--data: X must have shape (T, n) with n={n} (the scheme's input dimension); "
                f"got shape {X.shape}. Use a matching --scheme or reshape X."
            )
        y = _npz_member(zf, "y", path_text)
        w_star = _npz_member(zf, "w_star", path_text) if "w_star" in names else None
    if w_star is not None:
        w_star = np.asarray(w_star, dtype=np.float64)
        if w_star.shape != (r,):
            raise ConvotronError(
                f"--data: w_star must be a finite vector of shape (r,) = ({r},); got shape "
                f"{w_star.shape}. Save a filter of the scheme's patch size or omit w_star."
            )
        bad = np.flatnonzero(~np.isfinite(w_star))
        if bad.size:
            raise ConvotronError(
                f"--data: w_star must be a finite vector of shape (r,) = ({r},); got "
                f"{w_star[bad[0]]} at position {bad[0]} ({bad.size} non-finite value(s)). "
                "Save a finite filter or omit w_star."
            )
    return X, y, w_star
