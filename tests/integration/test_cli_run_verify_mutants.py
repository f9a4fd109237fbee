"""``convotron run`` and ``convotron verify``: what a mutation sample of the CLI found unwatched.

A uniform sample of ``cli/run.py``, ``cli/_common.py`` and ``cli/verify.py`` (MUTATION.md,
"Verdicts and what stands beside them") left alive, among others: ``run``'s default of 10⁵
updates, the refusals of ``--eta auto`` with ``--data`` and a preconditioner and of the
preconditioned theorem's failing hypotheses (their words), the plug-in step named when a
``--data`` run diverges, ``w*`` dropped from ``--save-filter``'s file; ``verify --quick``
running the default suite, ``--max-updates`` ignored, the ``--seeds`` limit at its edge, the
``--out`` folder's check reading the working folder instead. Each test states the rule in
the words of the help or the message, not of the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from convotron.cli import build_parser, main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    rc = main([*argv, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def _err(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    return capsys.readouterr().err


def _labelled(tmp_path: Path) -> str:
    w = np.array([0.5, -0.5, 0.25, 0.75])
    X = np.random.default_rng(1).integers(-4, 5, size=(500, 8)) / 2
    y = sum(np.maximum(X[:, 2 * i : 2 * i + 4] @ w, 0.0) for i in range(3)) / 3
    np.savez(tmp_path / "d.npz", X=X, y=y, w_star=w)
    return str(tmp_path / "d.npz")


# -------------------------------------------------------------------------------- run
def test_run_makes_100000_updates_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    """``--iters`` (help): "default 100000"."""
    rc, obj = _json(capsys, "run", "--scheme", "1d:8,4,2", "--eta", "0.01", "--seed", "1")
    assert rc == 0 and obj["iters"] == 100_000


def test_run_eta_auto_with_data_and_a_preconditioner_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _labelled(tmp_path)
    err = _err(capsys, "run", "--scheme", "1d:8,4,2", "--data", data, "--eta", "auto",
               "--precondition", "exact")  # fmt: skip
    assert err == (
        "convotron run: error: --eta auto with --data estimates the constants of Algorithm 1 "
        "without a preconditioner; got --eta auto with --precondition exact. Pass a step size, "
        "e.g. --eta 0.01, or drop --precondition.\n"
    )


def test_run_auto_with_the_preconditioned_theorems_hypotheses_failing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The violations, joined by "; ", in the sentence that says how to go on."""
    from convotron.glue.precondition import preconditioned_parameters
    from convotron.model.problem import Problem

    problem = Problem.from_specs("1d:8,4,2", 0.0, "exponential", "identity", "0")
    (why,) = preconditioned_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0)["violations"]
    err = _err(capsys, "run", "--scheme", "1d:8,4,2", "--dist", "exponential",
               "--precondition", "exact", "--iters", "auto")  # fmt: skip
    assert err == (
        "convotron run: error: --eta auto / --iters auto take the preconditioned theorem's "
        f"values, but its hypotheses fail for this problem: {why}. Pass --eta X and "
        "--iters N explicitly.\n"
    )


def test_a_diverging_run_on_data_names_the_plug_in_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plug-in a/(2β) of these rows is 0.00538 (``run --eta auto`` prints it): a step of
    5 diverges, and the message names it (with 3 digits), whatever its size below 1."""
    from convotron.estimation.plugin import plugin_constants
    from convotron.geometry.patches import parse_spec

    data = _labelled(tmp_path)
    eta = plugin_constants(np.load(data)["X"], parse_spec("1d:8,4,2"), 0.0).eta.value
    assert 0 < eta < 1
    err = _err(capsys, "run", "--scheme", "1d:8,4,2", "--data", data, "--eta", "5")
    assert err.endswith(
        f" Or pass --eta auto: the theorem's a/(2β) at plug-in estimates from the rows, here "
        f"{eta:.3g} (an estimate, not a guarantee).\n"
    )
    assert err.count("\n") == 1


def test_save_filter_keeps_w_star(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "f.npz"
    rc, obj = _json(capsys, "run", "--scheme", "1d:8,4,2", "--iters", "100", "--seed", "5",
                    "--save-filter", str(path))  # fmt: skip
    assert rc == 0
    with np.load(path) as f:
        assert sorted(f.files) == ["w_star", "weight"]
        np.testing.assert_array_equal(f["weight"].ravel(), obj["w"])
        w_star = f["w_star"].ravel()
    assert np.linalg.norm(w_star) == pytest.approx(1.0)  # --w-norm 1: the teacher's filter
    err = np.sum((np.array(obj["w"]) - w_star) ** 2)
    assert err == pytest.approx(obj["final_sq_error"], rel=1e-12)


# ----------------------------------------------------------------------------- verify
def _verify_settings(*argv: str) -> dict:
    from convotron.cli.verify import _parse_args

    return _parse_args(build_parser().parse_args(["verify", *argv]))


def test_verify_modes_take_their_suite_sizes() -> None:
    from convotron.glue.verify import MODES

    for flag, mode in (("--quick", "quick"), ("--full", "full"), (None, "default")):
        got = _verify_settings(*([flag] if flag else []))
        assert got["mode"] == mode
        assert (got["runs"], got["max_updates"]) == (
            MODES[mode]["runs"], MODES[mode]["max_updates"],
        )  # fmt: skip


def test_verify_seeds_up_to_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    from convotron._limits import MAX_RUNS

    assert _verify_settings("--seeds", str(MAX_RUNS))["runs"] == MAX_RUNS
    err = _err(capsys, "verify", "--seeds", str(MAX_RUNS + 1))
    assert f"1 <= --seeds <= {MAX_RUNS}" in err
    assert _err(capsys, "verify", "--seeds", "0") == (
        "convotron verify: error: --seeds must be an integer >= 1; got '0'. Pass e.g. "
        "--seeds 100.\n"
    )


def test_verify_out_folder_is_checked_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    out.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    assert _verify_settings("--out", str(out))["out"] == out  # an empty --out: fine
    (out / "data.csv").write_text("mine")
    (work / "notes.txt").unlink()
    err = _err(capsys, "verify", "--out", str(out))
    assert "which also holds ['data.csv']" in err


def test_verify_budget_below_every_case_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """``--max-updates 1``: no case fits its budget (T × runs updates), so none runs; the
    table says so, and the closing lines point at the first case's scheme."""
    capsys.readouterr()
    rc = main(["verify", "--quick", "--max-updates", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    rows = [ln for ln in out.splitlines() if ln.startswith(("1d-", "2d-", "noise-", "control-"))]
    assert rows and all("NOT RUN" in ln for ln in rows)
    assert out.endswith(
        "next:\n"
        "  convotron check --scheme 1d:16,4,2              is lambda_min(M) > 0 proved?\n"
        "  convotron bounds --scheme 1d:16,4,2             the theorem's a, beta, eta, T\n"
        "  convotron run --scheme 1d:16,4,2 --iters auto   one run with the theorem's T\n"
    )


# -------------------------------------------------------------- cli/_common, in-process
# (the hostile tests run these paths in subprocesses, which mutation testing cannot see)
def test_os_errors_are_one_line_each() -> None:
    import errno

    from convotron.cli._common import _describe_os_error

    full = OSError(errno.ENOSPC, "No space left on device", "/out/report.json")
    assert _describe_os_error(full) == (
        "the disk is full: no space left to write /out/report.json (No space left on "
        "device). Free some space or choose another folder; the inputs were fine."
    )
    assert _describe_os_error(OSError(errno.ENOSPC, "No space left on device")) == (
        "the disk is full: no space left to write a file (No space left on device). Free "
        "some space or choose another folder; the inputs were fine."
    )
    assert _describe_os_error(OSError(errno.EIO, "Input/output error")) == (
        "an input/output error on the disk (Input/output error). Check the device."
    )
    assert _describe_os_error(OSError(errno.EROFS, "Read-only file system", "/ro")) == (
        "the file system of /ro is read-only (Read-only file system)."
    )
    assert _describe_os_error(OSError(errno.EPERM, "Operation not permitted", "/x")) == (
        "the environment failed: an operating-system error on /x: Operation not permitted."
    )


def test_closed_standard_streams_fail_as_bad_descriptors() -> None:
    from convotron.cli._common import _ClosedStdout, _NullStream

    with pytest.raises(OSError) as err:
        _NullStream().fileno()
    assert (err.value.errno, err.value.strerror) == (
        9, "Bad file descriptor (the stream was closed when the command started)",
    )  # fmt: skip
    with pytest.raises(OSError) as err:
        _ClosedStdout().write("x")
    assert (err.value.errno, err.value.strerror) == (
        9, "Bad file descriptor (standard output is closed)",
    )  # fmt: skip


def test_library_parameters_are_named_by_the_commands_flags() -> None:
    """``runs`` is verify's ``--seeds`` (also inside a range), ``level`` a part of ``--noise``;
    switches of the command become flags, other ``name=False`` are left alone."""
    import argparse

    from convotron._errors import ConvotronError
    from convotron.cli._common import render_error

    verify = argparse.Namespace(seeds="5", exact=False)
    err = ConvotronError("runs must be an integer with 1 <= runs <= 9; got 10.", param="runs")
    assert render_error(err, verify) == (
        "--seeds must be an integer with 1 <= --seeds <= 9; got 10."
    )
    run = argparse.Namespace(noise="gaussian:5e300")
    err = ConvotronError("level (the noise level) must be <= 1e+100; got 5e+300.", param="level")
    assert (
        render_error(err, run) == "--noise level (the noise level) must be <= 1e+100; got 5e+300."
    )
    assert render_error(ConvotronError("runs must be > 0.", param="runs"), run) == (
        "runs must be > 0."  # no --seeds on this command
    )
    assert render_error(ConvotronError("pass exact=False for speed"), verify) == (
        "drop --exact for speed"
    )
    kept = "Use w_star=None (no teacher), or pass only_patch=None"
    assert render_error(ConvotronError(kept), verify) == kept  # not switches here


def test_closed_streams_at_start_and_a_quiet_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import sys

    from convotron.cli._common import _ClosedStdout, _NullStream, guard_streams, silence_stdout

    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    guard_streams()
    assert type(sys.stdout) is _ClosedStdout and type(sys.stderr) is _NullStream
    # silence_stdout points the descriptor of stdout at /dev/null ...
    path = tmp_path / "out.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:

        class Fake:
            def fileno(self) -> int:
                return fd

        monkeypatch.setattr(sys, "stdout", Fake())
        silence_stdout()
        os.write(fd, b"lost")
    finally:
        os.close(fd)
    assert path.read_bytes() == b""
    # ... and says nothing when there is no descriptor (a stream closed at start)
    monkeypatch.setattr(sys, "stdout", _NullStream())
    silence_stdout()
