"""The sweep's folder: every finished chunk and cell on disk, written atomically.

Layout under ``--out``::

    grid.json                 the grid of the last run
    cells/CELL_ID.json        one finished cell's table row
    chunks/CELL_ID/A-B.npz    per-run outcomes of runs A..B-1 of an unfinished cell
    sweep.csv, sweep.jsonl    the table, in grid order (rewritten as cells finish)

Cells are content-addressed (:attr:`Cell.cell_id`), so a rerun, after ``kill -9`` or Ctrl-C or
with a grid that shares cells with an earlier one, reuses every finished cell and every
finished chunk, and ends with exactly the table an uninterrupted run gives.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import atomic_write_bytes, atomic_write_json, atomic_write_text
from .engine import Chunk, ChunkResult

__all__ = ["Store"]


class Store:
    """Reads and writes a sweep's folder."""

    def __init__(self, out: str | Path) -> None:
        self.root = Path(out)

    def prepare(self, grid_json: dict[str, Any]) -> None:
        """Create the folder layout and record the grid."""
        (self.root / "cells").mkdir(parents=True, exist_ok=True)
        (self.root / "chunks").mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.root / "grid.json", grid_json)

    def _cell_path(self, cell_id: str) -> Path:
        return self.root / "cells" / f"{cell_id}.json"

    def _chunk_path(self, chunk: Chunk) -> Path:
        return self.root / "chunks" / chunk.plan.cell.cell_id / f"{chunk.name}.npz"

    def load_row(self, cell_id: str) -> dict[str, Any] | None:
        """Return a finished cell's row, or None."""
        p = self._cell_path(cell_id)
        if not p.is_file():
            return None
        try:
            row = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable: recompute (files are atomic, so this is not expected)
        return row if isinstance(row, dict) and row.get("cell_id") == cell_id else None

    def save_row(self, row: dict[str, Any]) -> None:
        """Write a finished cell's row atomically and drop its chunk files."""
        from .table import rows_to_jsonl

        atomic_write_text(self._cell_path(row["cell_id"]), rows_to_jsonl([row]))
        folder = self.root / "chunks" / row["cell_id"]
        if folder.is_dir():
            for f in folder.glob("*.npz"):
                f.unlink(missing_ok=True)
            folder.rmdir()

    def load_chunk(self, chunk: Chunk) -> ChunkResult | None:
        """Return a finished chunk's outcomes, or None."""
        p = self._chunk_path(chunk)
        if not p.is_file():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                res = ChunkResult.from_arrays({k: z[k] for k in z.files})
        except (OSError, ValueError, KeyError):
            return None
        return res if (res.start, res.stop) == (chunk.start, chunk.stop) else None

    def save_chunk(self, chunk: Chunk, result: ChunkResult) -> None:
        """Write a chunk's outcomes atomically."""
        p = self._chunk_path(chunk)
        p.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, **result.to_arrays())  # type: ignore[arg-type]
        atomic_write_bytes(p, buf.getvalue())

    def write_table(self, rows: list[dict[str, Any]]) -> list[Path]:
        """Write the table (CSV and JSON lines) atomically, in grid order."""
        from .table import rows_to_csv, rows_to_jsonl

        return [
            atomic_write_text(self.root / "sweep.csv", rows_to_csv(rows)),
            atomic_write_text(self.root / "sweep.jsonl", rows_to_jsonl(rows)),
        ]
