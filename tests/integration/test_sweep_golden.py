"""``convotron sweep`` whole: its table and summary, the resumed run, and the files it writes.

Eight seeded sweeps, in-process and inline (no cluster): a 2 × 2 grid as text, the same
folder again (every cell reused; then with other fractions and a budget: every cell
recomputed, and why), a budget that skips the costly cells, a grid file, a cell whose
condition fails, and the preconditioned theorem (``H = M⁻¹`` as ``--json``, the plug-in
``M̂⁻¹`` as text). The printed output, ``summary.json``, ``sweep.csv`` and ``sweep.jsonl``
are compared with ``tests/data/sweep/`` (floats to 6 significant digits, the clock and the
folder masked). A mutation sample of ``cli/sweep.py`` and ``glue/sweep/`` (MUTATION.md)
found 48 of 100 mutants alive before this file, among them the summary's keys, the table's
header and interval column, the preconditioner named the other way round, and
``--max-updates`` read inverted. Rewrite after an intended change::

    CONVOTRON_REGEN_CLI=1 python -m pytest tests/integration/test_sweep_golden.py
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shlex
from pathlib import Path

import pytest

from convotron.cli import main
from tests.golden import rounded, stored

DATA = Path(__file__).resolve().parent.parent / "data" / "sweep"

GRID = "--scheme 1d:8,4,2,1d:6,3,1 --alpha 0,0.5 --runs 6 --seed 1 --fractions .5,1"
COMMON = "--scheduler inline --no-progress --no-figures"
SWEEPS = {
    "plain": f"sweep {GRID} {COMMON} --out <tmp>/a",
    "resumed": f"sweep {GRID} {COMMON} --out <tmp>/a",
    "budget": f"sweep {GRID} {COMMON} --max-updates 60000 --out <tmp>/b",
    # the first folder again with other fractions and a budget: every cell recomputed, and why
    "changed": f"sweep {GRID.replace('.5,1', '.25,1')} {COMMON} --max-updates 1e9 --out <tmp>/a",
    "precond": (
        f"sweep --scheme 1d:8,4,2 --cov ar1:0.9 --runs 6 --seed 2 --max-updates 1e9 "
        f"--precondition exact {COMMON} --json --out <tmp>/c"
    ),
    # a grid file (its runs and seed) with --max-updates from the command line, and a cell
    # whose condition fails (no finite T: not run, T shown as nothing)
    "grid-file": f"sweep <tmp>/g.toml --max-updates 20000 {COMMON} --out <tmp>/e",
    "singular": f"sweep --scheme file:<tmp>/singular.json,1d:8,4,2 --runs 4 {COMMON} --out <tmp>/f",
    "plugin": (
        f"sweep --scheme 1d:8,4,2 --cov ar1:0.9 --runs 6 --seed 2 --precondition plugin "
        f"--teachers 1 {COMMON} --out <tmp>/d"
    ),
}


def _csv(text: str) -> str:
    def cell(v: str) -> str:
        try:
            f = float(v)
        except ValueError:
            return v
        return v if not math.isfinite(f) or ("." not in v and "e" not in v) else f"{f:.6g}"

    rows = list(csv.reader(io.StringIO(text)))
    return "\n".join(",".join(cell(v) for v in row) for row in rows) + "\n"


def _mask(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), "<tmp>")
    return re.sub(r" in \d+\.\d s ", " in <clock> s ", text)


def _sweep(name: str, tmp: Path) -> str:
    """Run one sweep of ``SWEEPS`` into ``tmp`` and render what it printed and wrote."""
    from contextlib import redirect_stdout

    line = SWEEPS[name]
    (tmp / "g.toml").write_text(
        'runs = 5\nseed = 7\nfractions = [0.5, 1.0]\n[axes]\nscheme = ["1d:8,4,2"]\n'
        "alpha = [0.0, 1.0]\n"
    )
    (tmp / "singular.json").write_text(json.dumps({"n": 2, "indices": [[0, 1], [1, 0]]}))
    argv = shlex.split(line.replace("<tmp>", str(tmp)))
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(argv)
    out = buf.getvalue()
    if "--json" in argv:
        out = json.dumps(rounded(json.loads(out)), indent=1, ensure_ascii=False) + "\n"
    folder = Path(argv[argv.index("--out") + 1])
    parts = [f"$ convotron {line}", f"exit {rc}", _mask(out, tmp).rstrip("\n")]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    parts += ["--- summary.json", json.dumps(rounded(summary), indent=1, ensure_ascii=False)]
    parts += ["--- sweep.csv", _csv((folder / "sweep.csv").read_text(encoding="utf-8"))]
    lines = (folder / "sweep.jsonl").read_text(encoding="utf-8").splitlines()
    parts += ["--- sweep.jsonl"] + [json.dumps(rounded(json.loads(x))) for x in lines]
    text = _mask("\n".join(parts).rstrip("\n") + "\n", tmp)
    for x in lines:  # a file: scheme's cell id digests its path, which is the tmp folder's
        row = json.loads(x)
        if str(row["scheme"]).startswith("file:"):
            text = text.replace(row["cell_id"], "<cell id of the file>")
    return text


@pytest.mark.parametrize("name", list(SWEEPS))
def test_sweep_outputs_are_the_stored_ones(name: str, tmp_path: Path) -> None:
    """Each test runs its own sweep (the resumed one after the first), so that a change
    is caught by the test of the output it changes."""
    if name in ("resumed", "changed"):
        _sweep("plain", tmp_path)
    got = _sweep(name, tmp_path)
    assert got == stored(DATA / f"{name}.txt", got, "CONVOTRON_REGEN_CLI"), (
        f"{name}: see the docstring"
    )


def test_the_progress_bar_counts_updates() -> None:
    from convotron.glue.sweep import _bar

    bar = _bar(1000.0, True)
    try:
        assert (bar.total, bar.unit, bar.unit_scale, bar.desc, bar.leave) == (
            1000.0, "upd", True, "sweep", False,
        )  # fmt: skip
    finally:
        bar.close()
    assert _bar(0.0, True) is None and _bar(10.0, False) is None
    assert _bar(math.inf, True) is None


def test_sweep_refusals_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """More workers than cores, and a grid file that is one of the outputs: status 2, and
    nothing started (no cluster, no files)."""
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["sweep", "--scheme", "1d:8,4,2", "--workers", "4096", "--out", str(out)]) == 2
    assert "--workers" in capsys.readouterr().err
    out.mkdir()
    grid = out / "sweep.csv"
    grid.write_text('runs = 5\n[axes]\nscheme = ["1d:8,4,2"]\n')
    assert main(["sweep", str(grid), "--out", str(out), "--scheduler", "inline"]) == 2
    err = capsys.readouterr().err
    assert "--out file sweep.csv" in err and "GRID.toml" in err
    assert sorted(p.name for p in out.iterdir()) == ["sweep.csv"]
