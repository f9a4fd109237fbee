"""``convotron check``, ``bounds`` and ``run`` whole: every line, JSON key and exit status.

A fixed set of invocations (``INVOCATIONS``: every verdict of ``check``, each certificate
and lemma, ``--data`` with and without plug-in constants, a conv layer; ``bounds`` realizable
and noisy, each β and ρ rule, the disjoint-patch theorem, hypotheses that fail, a lemma's
bound in ``a``, and the preconditioned theorem for each law ``--precondition plugin``
prices; ``run`` seeded on a teacher and on a dataset, each rule and stream, clock masked)
is run in-process, as text and as ``--json``, and compared with the stored outputs in
``tests/data/cli/`` (one file an invocation: the command line, the exit status, the output).
The JSON is compared key by key in order, floats rounded to 6 significant digits (a last bit
that differs on another processor must not fail it); the text is compared as printed.

A mutation sample of ``cli/check.py`` and ``cli/bounds.py`` (MUTATION.md) found 27 of 100
mutants alive before this file, among them ``bounds --json`` writing the key ``K`` for ``k``
and ``COV`` for ``cov``, the LaTeX of ``T`` left out, the conv layer's applicability not
printed by ``bounds``, and the plug-in sample count of bounded laws computed with the wrong
``R``: the older tests read a few keys and lines each.

After an intended change of an output, regenerate the files and review their diff::

    CONVOTRON_REGEN_CLI=1 python -m pytest tests/integration/test_cli_golden.py
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convotron.cli import main
from tests.golden import rounded, same, stored

DATA = Path(__file__).resolve().parent.parent / "data" / "cli"
REGEN = "CONVOTRON_REGEN_CLI"  # =1 rewrites the stored outputs

#: Files the invocations read, written to a temporary folder shown as ``<tmp>``.
SINGULAR = "<tmp>/singular.json"  # patches [0, 1] and [1, 0]: P = [[1, 1], [1, 1]]
ROWS = "<tmp>/rows.npz"  # 400 rows on n = 8, neighbours correlated (see _files)
FEW_ROWS = "<tmp>/few.npz"  # 3 rows: fewer than r = 4, so no plug-in constants
LABELLED = "<tmp>/labelled.npz"  # 500 rows, ReLU labels of a known w* (no noise)

#: name -> the command line after ``convotron`` (each also runs with ``--json``).
INVOCATIONS: dict[str, str] = {
    # check: HOLDS by the exact LDLᵀ with lem-1d exact; lem-cov-transfer; lem-2d
    "check-1d": "check --scheme 1d:16,4,2",
    "check-ar1": "check --scheme 1d:8,4,2 --cov ar1:0.5",
    "check-2d": "check --scheme 2d:8,9,4,5,2,2",
    # a spec as typed, not as parsed: the report shows the parsed one
    "check-typed": "check --scheme '1D:16, 4, 2'",
    "check-exact": "check --scheme 1d:12,4,2 --cov ar1:0.25 --exact",
    # a conv layer (padding, stride): the applicability block
    "check-conv2d": "check --scheme conv2d:2,6,6,3,3,stride=2,padding=1",
    # FAILS: an exact integer kernel witness
    "check-singular": f"check --scheme file:{SINGULAR}",
    # HOLDS by the verified float certificate (issue 19's reproduction)
    "check-float": "check --scheme 1d:60,8,2 --cov ar1:0.99999937",
    # Σ estimated from rows: the plug-in constants; too few rows: FAILS, and no constants
    "check-data": f"check --scheme 1d:8,4,2 --data {ROWS}",
    "check-data-few": f"check --scheme 1d:8,4,2 --data {FEW_ROWS}",
    # bounds: realizable, the exact β (lem-exact-k); another target
    "bounds-1d": "bounds --scheme 1d:16,4,2",
    "bounds-target": "bounds --scheme 1d:8,4,2 --eps 0.05 --delta 0.2 --w-norm 2",
    # noisy: independent noise, heteroscedastic noise, each law's β and ρ rule
    "bounds-noisy": "bounds --scheme 1d:8,4,2 --alpha 0.5 --cov ar1:0.5 --noise gaussian:0.2",
    "bounds-hetero": "bounds --scheme 1d:8,4,2 --noise hetero:0.2",
    "bounds-uniform": "bounds --scheme 1d:8,4,2 --dist uniform --noise 0.1",
    "bounds-rademacher": "bounds --scheme 1d:6,3,1 --dist rademacher",
    "bounds-student-t": "bounds --scheme 1d:6,4,2 --dist student-t",
    # thm-disjoint; hypotheses that fail (exit 1); a conv layer
    "bounds-disjoint": "bounds --scheme 1d:12,4,4 --only-patch 0",
    "bounds-singular": f"bounds --scheme file:{SINGULAR}",
    "bounds-asymmetric": "bounds --scheme 1d:8,4,2 --dist exponential",
    "bounds-conv1d": "bounds --scheme conv1d:2,9,3,stride=2,padding=1",
    # the preconditioned theorem: H = M⁻¹, and the price of M̂⁻¹ for each law
    "bounds-precond": "bounds --scheme 1d:8,4,2 --cov ar1:0.9 --precondition exact",
    "bounds-plugin-gaussian": "bounds --scheme 1d:8,4,2 --cov ar1:0.9 --precondition plugin",
    "bounds-plugin-rademacher": "bounds --scheme 1d:8,4,2 --dist rademacher --precondition plugin",
    "bounds-plugin-uniform": (
        "bounds --scheme 1d:16,4,2 --dist uniform --delta 0.05 --precondition plugin"
    ),
    "bounds-plugin-mixture": "bounds --scheme 1d:8,4,2 --dist mixture --precondition plugin",
    # run (seeded, so the same numbers on every x86-64 machine; the clock is masked): the
    # theorem's step and T, noise, a dataset with --eta auto, H = M⁻¹, SGD, the disjoint
    # patch, the fast stream, batches
    "run-auto": "run --scheme 1d:8,4,2 --iters auto --seed 1",
    "run-noisy": (
        "run --scheme 1d:8,4,2 --alpha 0.5 --noise gaussian:0.1 --eps 0.1 --delta 0.2 "
        "--iters 3000 --seed 2"
    ),
    "run-data": f"run --scheme 1d:8,4,2 --data {LABELLED} --eta auto",
    "run-precond": "run --scheme 1d:8,4,2 --precondition exact --cov ar1:0.9 --iters auto --seed 2",
    "run-sgd": (
        "run --scheme 1d:8,4,2 --algorithm sgd --init random --eta 0.01 --iters 3000 --seed 2"
    ),
    "run-disjoint": "run --scheme 1d:12,4,4 --only-patch 0 --iters auto --seed 3",
    "run-fast": "run --scheme 1d:16,4,2 --rng fast --eta 0.005 --iters 2000 --seed 4 --batch 4",
}


def _files(tmp: Path) -> None:
    (tmp / "singular.json").write_text(json.dumps({"n": 2, "indices": [[0, 1], [1, 0]]}))
    # quarters of small integers, correlated along the row: the same floats on every machine
    # (no BLAS product, no libm), so the exact Σ̂ and its proofs are the same everywhere
    Z = np.random.default_rng(20261207).integers(-8, 9, size=(400, 9)).astype(float)
    X = (Z[:, :8] + Z[:, 1:]) / 4
    np.savez(tmp / "rows.npz", X=X)
    np.savez(tmp / "few.npz", X=X[:3])
    w = np.array([0.5, -0.5, 0.25, 0.75])
    Xl = np.random.default_rng(1).integers(-4, 5, size=(500, 8)) / 2
    y = sum(np.maximum(Xl[:, 2 * i : 2 * i + 4] @ w, 0.0) for i in range(3)) / 3
    np.savez(tmp / "labelled.npz", X=Xl, y=y, w_star=w)


#: What differs between processors and is masked: floats below 1e-9 in magnitude (the
#: rounding residuals of a certificate, the float λ_min of a singular M), rationals of float
#: values (denominators of 13 digits or more), shown to 6 significant digits.
_TINY = re.compile(r"-?\d+(?:\.\d+)?e-(?:\d{3}|[1-9]\d)")
_DYADIC = re.compile(r"(-?\d+)/(\d{13,})")


_CLOCK = re.compile(r"^  \d+\.\d+ s, [\d,]+ updates/s$", re.M)


def _mask(text: str) -> str:
    text = _CLOCK.sub("  <clock>", text)
    text = _DYADIC.sub(lambda m: f"{int(m.group(1)) / int(m.group(2)):.6g}", text)
    return _TINY.sub(lambda m: m.group(0) if abs(float(m.group(0))) >= 1e-9 else "<tiny>", text)


def _rounded(obj: Any) -> Any:
    return rounded(obj, clock=("seconds", "updates_per_second"), tiny=True, text=_mask)


def _render(argv: list[str], rc: int, out: str, err: str, as_json: bool) -> str:
    head = f"$ convotron {shlex.join(argv)}\nexit {rc}\n"
    if err:
        head += "stderr:\n" + err
    if as_json:
        assert out.count("\n") == 1, "--json prints one line"
        return head + json.dumps(_rounded(json.loads(out)), indent=1, ensure_ascii=False) + "\n"
    return head + _mask(out)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli_golden")
    _files(path)
    return path


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("name", list(INVOCATIONS))
def test_output_is_the_stored_one(
    name: str, as_json: bool, tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = shlex.split(INVOCATIONS[name]) + ["--json"] * as_json
    capsys.readouterr()
    rc = main([a.replace("<tmp>", str(tmp)) for a in line])
    cap = capsys.readouterr()
    got = _render(line, rc, cap.out, cap.err, as_json)
    got = got.replace(str(tmp), "<tmp>")
    path = DATA / f"{name}{'.json' if as_json else ''}.txt"
    want = stored(path, got, REGEN)
    # equal but for one unit in a 6-digit number's last digit (a value on a rounding boundary:
    # check-float's 3.45935e-07 prints 3.45934e-07 on an AMD EPYC); tests/golden.py::same
    assert same(got, want), (
        f"{name}: the output differs from {path.name} (see the module docstring)"
    )


def test_every_verdict_and_exit_status_is_covered() -> None:
    """The stored set reaches each of check's verdicts but UNDECIDED (exit 4 has its own
    tests in ``test_cli_check_bounds.py``) and each exit status of bounds and run."""
    seen: dict[str, set[int]] = {"check": set(), "bounds": set(), "run": set()}
    for name, line in INVOCATIONS.items():
        text = (DATA / f"{name}.txt").read_text(encoding="utf-8")
        seen[line.split()[0]].add(int(text.splitlines()[1].split()[1]))
    assert seen == {"check": {0, 1}, "bounds": {0, 1}, "run": {0}}


# ------------------------------------------------------------- format_check, the library's
def test_format_check_shows_a_float_kernel_direction_and_the_flag_names() -> None:
    """``format_check`` is public: a library caller gets the same report. A FAILS from a
    verified upper bound has a float kernel direction only (no integer witness), which no
    scheme with a PSD ``M`` reaches through ``check_scheme`` (the exact witness decides
    first), so the direction is put in by hand; ``exact=True`` in a library note is shown
    as the flag ``--exact`` without ``switches`` (which needs the command's arguments)."""
    import dataclasses

    from convotron.cli.check import format_check
    from convotron.geometry.patches import parse_spec
    from convotron_theory.spectra import check_scheme
    from convotron_theory.spectra.kernel import KernelDirection

    base = check_scheme(4, [[0, 1], [1, 0]], exact=False)
    assert base.verdict == "FAILS" and base.kernel_direction is not None
    kd = KernelDirection(
        w=np.array([0.6, -0.8]), eigenvalue=1.5e-17, residual=0.0, exact=None, explanation="E"
    )
    check = dataclasses.replace(
        base, kernel_direction=kd, notes=("pass exact=True to force it",), lemma_reason=""
    )
    lines = format_check("S", check).splitlines()
    assert "kernel direction w = [0.6, -0.8] (uᵀMu = 1.5e-17)" in lines
    assert "  why: E" in lines
    assert lines[-1] == "note: pass --exact to force it"
    assert "lemma bounds: none (no stride geometry)" in lines  # no reason given: the default
    s = parse_spec("1d:16,4,2")
    with_lemma = dataclasses.replace(
        check_scheme(s.n, s.indices, geometry=s.geometry), lemma_reason=""
    )
    text = format_check("T", with_lemma)
    assert "1 <= lambda_min, lambda_max <= 13\n" in text + "\n"  # no " ()" for no reason


# ------------------------------------------------------------------------ what the golden set
# does not reach: --help, the message of a file with NaNs, an undecided condition in bounds
def _help(capsys: pytest.CaptureFixture[str], command: str) -> str:
    capsys.readouterr()
    assert main([command, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal


def test_help_names_every_option_with_its_text(capsys: pytest.CaptureFixture[str]) -> None:
    check = _help(capsys, "check")
    assert (
        "--data FILE.npz estimate Σ from the rows X of FILE.npz (numpy.savez(path, X=X)) " in check
    )
    assert "as XᵀX/m, check the condition for it and print the plug-in constants" in check
    assert "--exact always certify exactly (rational LDLᵀ); fails with status 2 when " in check
    bounds = _help(capsys, "bounds")
    assert (
        "also print the preconditioned theorem [derived, not the paper's] for H = M⁻¹ (exact), "
        "and for plugin the price of M̂⁻¹ and the samples it needs (default none)"
    ) in bounds


def test_data_with_non_finite_entries_names_their_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    X = np.ones((5, 8))
    X[1, 2], X[3, 0] = np.nan, np.inf
    np.savez(tmp_path / "bad.npz", X=X)
    assert main(["check", "--scheme", "1d:8,4,2", "--data", str(tmp_path / "bad.npz")]) == 2
    assert capsys.readouterr().err == (
        "convotron check: error: --data: X must be finite; 2 entries are not. Remove or impute "
        "them.\n"
    )


def test_bounds_says_no_proof_when_the_condition_is_undecided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """r = 8, d = 2 on n = 2100 as an index file (no lemma) with ρ = 0.99999937: no proof
    either way, so the line of λ_min says so (the golden set leaves this case out: its
    proven bounds are differences of nearby floats, not stable to 6 digits across
    processors)."""
    rows = [[i * 2 + a for a in range(8)] for i in range((2100 - 8) // 2 + 1)]
    (tmp_path / "near.json").write_text(json.dumps({"n": 2100, "indices": rows}))
    spec = f"file:{tmp_path / 'near.json'}"
    assert main(["bounds", "--scheme", spec, "--cov", "ar1:0.99999937"]) == 1
    out = capsys.readouterr().out
    assert "tr M = 8.76582e+06 (condition λ_min > 0 UNDECIDED: no proof)\n" in out


def test_format_bounds_names_a_rule_it_has_no_text_for() -> None:
    """``format_bounds`` is public: a rule outside its tables (e.g. thm-precond's
    ``exact-H``) is shown by its name, and missing formulas by nothing."""
    from convotron.cli import build_parser
    from convotron.cli.bounds import _settings, format_bounds
    from convotron.glue.parameters import theorem_parameters
    from convotron.model.problem import Problem

    args = build_parser().parse_args(["bounds", "--scheme", "1d:8,4,2", "--noise", "0.1"])
    s = _settings(args)
    problem = Problem(s["scheme"], s["alpha"], s["law"], s["cov"], s["noise"])
    tp = theorem_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0)
    odd = tp.replace(rho_rule="rule-x", beta_rule="rule-y", formulas={})
    lines = format_bounds(s, odd).splitlines()
    assert any(ln.startswith("  ρ = rule-x = ") for ln in lines)
    assert any(ln.startswith("  β = rule-y = ") for ln in lines)
    assert "  LaTeX:  ; " in lines


OPTIONS = DATA / "options.txt"


def _options() -> str:
    """Every option of every subcommand: flags, metavar, default, choices and help text."""
    from convotron.cli import build_parser

    (sub,) = [a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction"]
    lines = []
    for name, parser in sub.choices.items():
        lines.append(f"[{name}] {' '.join(parser.description.split())}")
        for a in parser._actions:
            if "--help" in a.option_strings:
                continue
            flags = ", ".join(a.option_strings) or f"(positional {a.dest})"
            lines.append(
                f"  {flags} metavar={a.metavar!r} default={a.default!r} "
                f"choices={a.choices!r} const={a.const!r}: {' '.join((a.help or '').split())}"
            )
    return "\n".join(lines) + "\n"


def test_every_option_is_the_recorded_one() -> None:
    """The options the commands take, as argparse holds them (not its help layout, which
    changes between Python versions): a dropped help text, a metavar or a choice spelt
    otherwise fails. ``CONVOTRON_REGEN_CLI=1`` rewrites ``tests/data/cli/options.txt``."""
    got = _options()
    assert got == stored(OPTIONS, got, REGEN)
