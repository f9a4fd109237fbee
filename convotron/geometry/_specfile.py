"""Reading scheme specs: the numbers of a stride spec and the JSON of a ``file:`` scheme.

Plain data only (numbers, ``n`` and nested lists): :func:`convotron.geometry.patches.parse_spec`
builds the :class:`~convotron.geometry.patches.PatchScheme`, so this module does not import it.
Every size is checked before it is used (a number of thousands of digits, a file above the size
limit, a FIFO or device that would block or never end).
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any

from .._errors import ConvotronError
from .._limits import MAX_SCHEME_FILE_BYTES
from ..data.covariance import MAX_N

__all__ = ["read_scheme_file", "read_scheme_text", "spec_numbers"]

_INT = re.compile(r"-?[0-9]+")


def spec_numbers(
    spec: str, body_shown: str, body: str, form: str, counts: tuple[int, ...]
) -> list[int]:
    """Return the numbers of a stride spec (``spec`` and ``body_shown`` are for messages)."""
    parts = [p.strip() for p in body.split(",")]
    if len(parts) not in counts or not all(_INT.fullmatch(p) for p in parts):
        want = " or ".join(str(c) for c in counts)
        raise ConvotronError(
            f"the scheme spec {spec!r} must be {form} with {want} comma-separated whole "
            f"numbers; got {body_shown!r}. Pass e.g. "
            + ("'1d:64,8,2'." if "1d:" in form else "'2d:9,10,3,4,2,3'.")
        )
    for p in parts:
        digits = p.lstrip("-")
        # every number of a stride spec is at most n <= MAX_N; say so before int() of
        # thousands of digits (which Python refuses) or a size that cannot be allocated
        if len(digits) > 18 or int(p) > MAX_N:
            shown = p if len(digits) <= 30 else f"a number of {len(digits)} digits"
            raise ConvotronError(
                f"the scheme spec {spec!r} holds {shown}, which is too large: every number "
                f"of a stride spec is at most the input dimension, limited to n <= {MAX_N}. "
                "Use a smaller scheme."
            )
    return [int(p) for p in parts]


def read_scheme_text(spec: str, path_text: str) -> str:
    """Read a ``file:`` scheme: a regular file within the size limit, checked before reading.

    The file is opened non-blocking (a FIFO does not block) and checked with ``fstat``: a
    folder, a FIFO, a device (``/dev/zero``) or a socket is refused, and so is a file above
    :data:`~convotron._limits.MAX_SCHEME_FILE_BYTES`, before a byte is read.
    """
    try:
        fd = os.open(path_text, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConvotronError(
            f"scheme file {path_text!r} does not exist (spec {spec!r}). Check the path; the "
            'file must hold JSON {"n": N, "indices": [[...], ...]}.'
        ) from None
    except IsADirectoryError:
        raise ConvotronError(
            f"scheme file {path_text!r} is a folder, not a file. Name the JSON file inside it."
        ) from None
    except OSError as exc:
        raise ConvotronError(
            f"scheme file {path_text!r} could not be opened ({exc.strerror or exc}). "
            "Check the path and its permissions."
        ) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ConvotronError(
                f"scheme file {path_text!r} is a folder, not a file. Name the JSON file inside it."
            )
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a special file"
        )
        raise ConvotronError(
            f"scheme file {path_text!r} must be a regular file; got {kind}. Save the "
            'scheme as a JSON file {"n": N, "indices": [[...], ...]} and pass its path.'
        )
    if st.st_size > MAX_SCHEME_FILE_BYTES:
        os.close(fd)
        raise ConvotronError(
            f"scheme file {path_text!r} is too large: {st.st_size} bytes, above the limit "
            f"of {MAX_SCHEME_FILE_BYTES} bytes ({MAX_SCHEME_FILE_BYTES // 1024**2} MB) for "
            "a JSON scheme. Build larger schemes in Python with PatchScheme.from_indices."
        )
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(MAX_SCHEME_FILE_BYTES + 1)
        except OSError as exc:
            raise ConvotronError(
                f"scheme file {path_text!r} could not be read ({exc.strerror or exc}). "
                "Check the path and its permissions."
            ) from None
        if data is None:  # non-blocking and nothing to read yet (/proc/kmsg): never wait
            raise ConvotronError(
                f"scheme file {path_text!r} cannot be read without waiting (a kernel or "
                "pseudo file); it must be an ordinary JSON file. Save the scheme to a file."
            )
    if len(data) > MAX_SCHEME_FILE_BYTES:  # it grew while being read
        raise ConvotronError(
            f"scheme file {path_text!r} is too large: above the limit of "
            f"{MAX_SCHEME_FILE_BYTES} bytes for a JSON scheme. Build larger schemes in Python "
            "with PatchScheme.from_indices."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConvotronError(
            f"scheme file {path_text!r} is not UTF-8 text; it must hold JSON "
            '{"n": N, "indices": [[...], ...]}. Pass a JSON file.'
        ) from None


def read_scheme_file(spec: str, path_text: str) -> tuple[Any, Any]:
    """Read and check a ``file:`` scheme's JSON; return its ``n`` and ``indices`` (unchecked)."""
    if not path_text:
        raise ConvotronError(
            f"the scheme spec {spec!r} names no file; the form is 'file:PATH'. "
            "Pass e.g. 'file:scheme.json'."
        )
    text = read_scheme_text(spec, path_text)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConvotronError(
            f"scheme file {path_text!r} is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f'column {exc.colno}); it must hold {{"n": N, "indices": [[...], ...]}}. Fix the file.'
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConvotronError(
            f"scheme file {path_text!r} could not be read as a scheme ({exc}); it must hold "
            '{"n": N, "indices": [[...], ...]} with coordinates 0..n-1. Fix the file.'
        ) from None
    except RecursionError:
        raise ConvotronError(
            f"scheme file {path_text!r} is nested too deeply to be a scheme; it must hold "
            '{"n": N, "indices": [[...], ...]}. Fix the file.'
        ) from None
    if not isinstance(obj, dict):
        raise ConvotronError(
            f'scheme file {path_text!r} must hold a JSON object {{"n": N, "indices": '
            f"[[...], ...]}}; got a JSON {type(obj).__name__}. Wrap it in an object."
        )
    missing = [key for key in ("n", "indices") if key not in obj]
    if missing:
        raise ConvotronError(
            f"scheme file {path_text!r} lacks the key(s) {', '.join(map(repr, missing))}; it "
            'must hold {"n": N, "indices": [[...], ...]}. Add the missing key(s).'
        )
    n = obj["n"]
    if isinstance(n, bool) or not isinstance(n, int):
        raise ConvotronError(
            f'scheme file {path_text!r}: "n" must be a whole number >= 1; got {n!r}. '
            'Write e.g. "n": 16.'
        )
    indices = obj["indices"]
    if not isinstance(indices, list):
        raise ConvotronError(
            f'scheme file {path_text!r}: "indices" must be a list of patches (lists of '
            f'integers); got {type(indices).__name__}. Write e.g. "indices": [[0, 1], [1, 2]].'
        )
    for i, row in enumerate(indices):
        # JSON true/false would silently become the coordinates 1/0 in a numpy array
        if isinstance(row, list) and any(isinstance(v, bool) for v in row):
            raise ConvotronError(
                f'scheme file {path_text!r}: "indices" must hold integer coordinates; patch {i} '
                f"holds a JSON boolean ({row!r}). Write the coordinates as whole numbers."
            )
    return n, indices
