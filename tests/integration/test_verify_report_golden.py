"""verify's report, whole: the terminal tables, the Markdown, the JSON and the figures' contents.

A small suite of five cases (a PASS, the two negative controls, a preconditioned case and the
disjoint-patch variant; 3 runs each, seed 0, about 5 s) is rendered every way ``convotron verify``
renders it and compared with the stored texts in ``tests/data/verify_report/``, clocks masked
and, in the JSON, floats rounded to 6 significant digits (a different last bit on another
processor must not fail it; a dropped key, a ``None`` in place of ``T``, a count shown as ``-``
or a reworded sentence does). A mutation sample of ``report.py`` (MUTATION.md) found 23 of
50 mutants alive before this file: nothing compared these outputs whole.

After an intended change of the report, regenerate the texts and review their diff::

    CONVOTRON_REGEN_REPORT=1 python -m pytest tests/integration/test_verify_report_golden.py
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import convotron.glue.verify as V
from convotron.glue.verify import report as R
from convotron.glue.verify.cases import Case, preconditioned_cases
from tests.golden import rounded, stored

DATA = Path(__file__).resolve().parent.parent / "data" / "verify_report"


def _cases() -> list[Case]:
    controls = {c.name: c for c in V.default_cases("quick") if c.control is not None}
    return [
        Case("plain", "1d:8,4,2"),
        Case("noisy", "1d:8,4,2", noise="gaussian:0.1", claim="cor-noisy"),
        controls["control-asymmetric"],
        controls["control-singular"],
        next(c for c in preconditioned_cases("quick") if c.name == "precond-ar1-0.5"),
        Case("disjoint", "1d:8,4,4", only_patch=1, claim="thm-disjoint"),
    ]


@pytest.fixture(scope="module")
def report() -> V.Report:
    return V.run_suite(_cases(), runs=3, seed=0, workers=1, control_iters=500)


def _mask(text: str) -> str:
    """The suite's duration: "in 4.1 s (" in the tables, "seed 0, 4.1 s)." in the Markdown."""
    text = re.sub(r" in \d+\.\d s \(", " in <clock> s (", text)
    return re.sub(r"(, seed \d+), \d+\.\d s\)", r"\1, <clock> s)", text)


def _figure_text(report: V.Report) -> str:
    out = []
    for c in report.cases:
        if c.history_t is None or c.quantiles is None:
            out.append(f"{c.case.name}: no figure")
            continue
        fig = R._figure(c)
        (ax,) = fig.axes
        sp = fig.subplotpars
        out += [
            f"{c.case.name}: title {ax.get_title()!r}; y scale {ax.get_yscale()}; "
            f"x label {ax.get_xlabel()!r}; y label {ax.get_ylabel()!r}",
            "  legend: " + " | ".join(t.get_text() for t in ax.get_legend().get_texts()),
            f"  lines {len(ax.lines)}, filled {len(ax.collections)}; margins "
            f"{sp.left:.2f} {sp.right:.2f} {sp.top:.2f} {sp.bottom:.2f}",
        ]
    return "\n".join(out) + "\n"


RENDERINGS = {
    "table.txt": lambda r: _mask(r.table()),
    "table-wide.txt": lambda r: _mask(r.table(wide=True)),
    "report.md": lambda r: _mask(r.markdown()),
    "report.json": lambda r: json.dumps(rounded(R._jsonable(r.to_json())), indent=1) + "\n",
    "figures.txt": _figure_text,
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_the_report_reads_as_stored(report: V.Report, name: str) -> None:
    got = RENDERINGS[name](report)
    path = DATA / name
    want = stored(path, got, "CONVOTRON_REGEN_REPORT")
    assert got == want, f"{name} differs from {path} (after an intended change: see the docstring)"


def test_the_suite_covers_every_status_and_a_preconditioned_curve(report: V.Report) -> None:
    """The stored texts are only as good as the cases behind them."""
    statuses = {c.case.name: c.status for c in report.cases}
    assert statuses["plain"] == statuses["noisy"] == statuses["disjoint"] == V.STATUS_PASS
    assert statuses["control-asymmetric"] == statuses["control-singular"] == V.STATUS_VIOLATED
    assert statuses["precond-ar1-0.5"] == V.STATUS_PASS
    assert {c.case.name for c in report.cases if c.fails} <= {"control-singular"}
    assert all(0.0 < c.a < 1.0 for c in report.cases if math.isfinite(c.T))


def test_large_ratios_print_in_lower_case_exponent_form(report: V.Report) -> None:
    """``T/median`` of 12,345 prints as ``1.23e+04`` in the wide table (``{:.3g}``)."""
    import dataclasses

    c = dataclasses.replace(report.cases[0], tightness=12345.0)
    rows = dataclasses.replace(report, cases=(c,)).rows()
    assert "1.23e+04" in rows[1]


def test_the_terminal_table_stays_within_100_columns(report: V.Report) -> None:
    assert max(len(line) for line in report.table().splitlines()) <= 100
