"""The sweep's folder: a cache of finished cells keyed on what determines them, and the table.

Layout under ``--out``::

    grid.json                 the grid of the last run (written once every input is checked)
    cells.jsonl               the cache: one line per finished cell, {"key": ..., "row": ...}
    chunks/KEY/tT-A-B.npz     runs A..B-1 of teacher T of an unfinished cell (KEY: its result key)
    sweep.csv, sweep.jsonl    the table: rows appended as cells finish, then rewritten
                              atomically in grid order with the multiple-testing columns
    summary.json              what the run did: cells reused, recomputed and why, the rule

**Resume is keyed on everything that determines a cell's result** (:func:`result_key`): the
cell (its axes, runs, seed), the resolved scheme (a digest of ``n`` and the index array, so
editing a ``file:`` scheme changes it while the path stays), ``max_updates``, the fractions,
the number of teachers, the preconditioner (``--precondition``; a key written before the
option existed reads as ``"none"``), the random stream (``--rng``; a key without it reads
as ``"numpy"``) and :data:`RESULT_FORMAT`, the code's result-format
version (raised whenever a change of the code changes results). A cached cell whose key
differs is recomputed, and the summary says which part of the key changed. Chunk files are
keyed the same way (without the table-only parts: fractions, ``max_updates``, the number of
teachers).

**Constant cost per cell.** A finished cell costs one appended line in ``cells.jsonl``,
``sweep.jsonl`` and ``sweep.csv`` (``O_APPEND``; the CSV header is fixed by the grid), never
a rewrite; the files are rewritten once, atomically, at the end. A line cut short by
``kill -9`` is skipped when the cache is read, so a killed sweep resumes and ends with the
table an uninterrupted run gives.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import append_text, atomic_write_bytes, atomic_write_json, atomic_write_text, make_dirs
from .engine import Chunk, ChunkResult

__all__ = ["RESULT_FORMAT", "Store", "key_changes", "result_key", "scheme_digest"]

#: Version of what a cell's result means; raise it when a change of the code changes results.
#: 2: several teachers per cell (the hardest direction first) and the multiple-testing columns.
RESULT_FORMAT = 2
#: The parts of a result key, in the words the summary uses when one changed.
KEY_PARTS = {
    "format": "the result format of the code changed",
    "scheme": "the scheme's contents changed",
    "max_updates": "max_updates changed",
    "fractions": "the fractions changed",
    "teachers": "the number of teachers changed",
    "precondition": "the preconditioner changed",
    "rng": "the random stream changed",
    "cell": "the cell changed",
}


def scheme_digest(spec: str) -> str:
    """SHA-256 (16 hex digits) of the resolved scheme: ``n`` and the index array's bytes."""
    from ...geometry.patches import parse_spec

    scheme = parse_spec(spec)
    h = hashlib.sha256(f"{scheme.n}:{scheme.indices.shape}:".encode())
    h.update(np.ascontiguousarray(scheme.indices, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


def result_key(
    cell_key: dict[str, Any],
    digest: str,
    *,
    max_updates: float,
    fractions: tuple[float, ...],
    teachers: int,
    precondition: str = "none",
    rng: str = "numpy",
) -> dict[str, Any]:
    """Everything a cell's row depends on (compared part by part on resume)."""
    return {
        "precondition": str(precondition),
        "rng": str(rng),
        "format": RESULT_FORMAT,
        "cell": cell_key,
        "scheme": digest,
        "max_updates": None if max_updates == float("inf") else float(max_updates),
        "fractions": [float(f) for f in fractions],
        "teachers": int(teachers),
    }


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def chunk_key(key: dict[str, Any]) -> str:
    """Name of a cell's chunk folder: the hash of the key's parts that chunk results read.

    The preconditioner enters only when there is one, so Algorithm 1's chunk folders keep
    the names they had before ``--precondition`` existed.
    """
    parts = {k: key[k] for k in ("format", "cell", "scheme")}
    if key.get("precondition", "none") != "none":
        parts["precondition"] = key["precondition"]
    if key.get("rng", "numpy") != "numpy":  # likewise the numpy stream's folders
        parts["rng"] = key["rng"]
    return _hash(parts)


def key_changes(old: Any, new: dict[str, Any]) -> list[str]:
    """Return the parts of ``new`` that differ from the cached ``old``."""
    if not isinstance(old, dict):
        return ["format"]
    # a key from before the options: Algorithm 1, numpy's stream
    default = {"precondition": "none", "rng": "numpy"}
    return [
        part
        for part in KEY_PARTS
        if old.get(part, default.get(part)) != new.get(part, default.get(part))
    ]


class Store:
    """Reads and writes a sweep's folder (see the module docstring)."""

    def __init__(self, out: str | Path) -> None:
        self.root = Path(out)

    #: What a sweep writes in its folder (checked for planted links before any work).
    NAMES = ("grid.json", "cells.jsonl", "sweep.csv", "sweep.jsonl", "summary.json", "chunks")

    def check(self) -> None:
        """Refuse a folder where a file the sweep writes is a link or a special file.

        A symbolic link planted as ``cells.jsonl`` or ``chunks`` would send appended lines or
        chunk files elsewhere; it is refused before the work, never followed.
        """
        import stat

        from ..._errors import ConvotronError

        for name in self.NAMES:
            p = self.root / name
            if not os.path.lexists(p):
                continue
            mode = os.lstat(p).st_mode
            want_dir = name == "chunks"
            if (
                stat.S_ISLNK(mode)
                or (stat.S_ISDIR(mode) != want_dir)
                or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode))
            ):
                what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular " + (
                    "folder" if want_dir else "file")  # fmt: skip
                raise ConvotronError(
                    f"the sweep folder's {name!r} must be a regular "
                    f"{'folder' if want_dir else 'file'} written by convotron; got {str(p)!r}, "
                    f"which is {what} (never followed). Remove it or choose another --out."
                )

    # ------------------------------------------------------------------ the cache
    def load_cache(self) -> dict[str, tuple[Any, dict[str, Any]]]:
        """Return ``cell_id -> (key, row)`` from ``cells.jsonl`` (the last line of a cell wins).

        Lines that do not parse (one cut short by ``kill -9``) are skipped.
        """
        out: dict[str, tuple[Any, dict[str, Any]]] = {}
        p = self.root / "cells.jsonl"
        if not p.is_file() or p.is_symlink():
            return out
        with open(p, "rb") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                row = rec.get("row") if isinstance(rec, dict) else None
                if isinstance(row, dict) and isinstance(row.get("cell_id"), str):
                    out[row["cell_id"]] = (rec.get("key"), row)
        return out

    def prepare(self, grid_json: dict[str, Any], fields: list[str]) -> None:
        """Create the layout, record the grid and start the table (header, no rows)."""
        from .table import rows_to_csv

        make_dirs(self.root / "chunks")
        atomic_write_json(self.root / "grid.json", grid_json)
        atomic_write_text(self.root / "sweep.csv", rows_to_csv([], fields))
        atomic_write_text(self.root / "sweep.jsonl", "")

    def append_rows(
        self, rows: list[dict[str, Any]], fields: list[str], keys: list[Any] | None = None
    ) -> None:
        """Append finished rows to the table and (with ``keys``) to the cache: O(rows)."""
        from .table import rows_to_csv, rows_to_jsonl

        if not rows:
            return
        if keys is not None:
            lines = "".join(
                json.dumps({"key": k, "row": json.loads(rows_to_jsonl([r]))}, allow_nan=False)
                + "\n"
                for k, r in zip(keys, rows, strict=True)
            )
            append_text(self.root / "cells.jsonl", lines)
            for k in keys:
                self.drop_chunks(k)
        append_text(self.root / "sweep.jsonl", rows_to_jsonl(rows))
        append_text(self.root / "sweep.csv", rows_to_csv(rows, fields, header=False))

    def compact_cache(self, entries: Iterable[tuple[Any, dict[str, Any]]]) -> None:
        """Rewrite ``cells.jsonl`` atomically with one line per cell (run once, at the end)."""
        from .table import rows_to_jsonl

        buf = io.StringIO()
        for key, row in entries:
            buf.write(
                json.dumps({"key": key, "row": json.loads(rows_to_jsonl([row]))}, allow_nan=False)
                + "\n"
            )
        atomic_write_text(self.root / "cells.jsonl", buf.getvalue())

    # ------------------------------------------------------------------ chunks
    def _chunk_dir(self, key: dict[str, Any]) -> Path:
        return self.root / "chunks" / chunk_key(key)

    def drop_chunks(self, key: dict[str, Any]) -> None:
        """Remove a finished cell's chunk files."""
        folder = self._chunk_dir(key)
        if folder.is_dir() and not folder.is_symlink():
            for f in folder.glob("*.npz"):
                f.unlink(missing_ok=True)
            folder.rmdir()

    def load_chunk(self, key: dict[str, Any], chunk: Chunk) -> ChunkResult | None:
        """Return a finished chunk's outcomes, or None."""
        p = self._chunk_dir(key) / f"{chunk.name}.npz"
        if not p.is_file() or p.is_symlink():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                res = ChunkResult.from_arrays({k: z[k] for k in z.files})
        except (OSError, ValueError, KeyError):
            return None
        return res if (res.start, res.stop) == (chunk.start, chunk.stop) else None

    def save_chunk(self, key: dict[str, Any], chunk: Chunk, result: ChunkResult) -> None:
        """Write a chunk's outcomes atomically."""
        folder = self._chunk_dir(key)
        if not folder.is_dir():
            os.mkdir(folder)
        buf = io.BytesIO()
        np.savez(buf, **result.to_arrays())  # type: ignore[arg-type]
        atomic_write_bytes(folder / f"{chunk.name}.npz", buf.getvalue())

    # ------------------------------------------------------------------ the table
    def write_table(self, rows: list[dict[str, Any]], fields: list[str]) -> list[Path]:
        """Write the whole table (CSV and JSON lines) atomically, in grid order."""
        from .table import rows_to_csv, rows_to_jsonl

        return [
            atomic_write_text(self.root / "sweep.csv", rows_to_csv(rows, fields)),
            atomic_write_text(self.root / "sweep.jsonl", rows_to_jsonl(rows)),
        ]
