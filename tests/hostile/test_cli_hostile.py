"""Hostile input to every subcommand: status 2, one line, no traceback, limits not hit.

Each case reproduces an item of the hostile-input issue first (it failed on the code of
2026-11-30); the fixes are at the root (a size and cost model before allocating, declared
shapes checked before reading, output targets checked before the work).
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from .conftest import assert_refused, run_cli

TINY = ["--scheme", "1d:16,4,2"]

# --------------------------------------------------------------------- 1. sizes up front
HUGE_SCHEMES = ["1d:100000,100000,1", "1d:8192,8192,1", "2d:3000,3000,3000,3000,1,1"]


@pytest.mark.parametrize("spec", HUGE_SCHEMES)
@pytest.mark.parametrize("command", ["check", "bounds"])
def test_huge_scheme_is_refused_up_front(command: str, spec: str) -> None:
    assert_refused(run_cli(command, "--scheme", spec), match="too large|limit")


@pytest.mark.parametrize("spec", HUGE_SCHEMES)
def test_huge_scheme_run_with_a_given_step_is_bounded(spec: str) -> None:
    """With --eta and --iters given, run needs no r x r matrix: 10 updates cost O(10 (kr + n)).

    A correct answer within the limits is as good as a refusal (the issue's judge): the
    scheme is within the core's limits (k r <= 2**25, n <= 2**24), samples are drawn in chunks
    of at most MAX_CHUNK_ENTRIES values and the model never loops over r in Python.
    """
    out = run_cli("run", "--scheme", spec, "--iters", "10", "--eta", "1e-9")
    assert "Traceback" not in out.stderr and "MemoryError" not in out.stderr, out.stderr
    if out.status == 2:
        assert_refused(out, match="too large|limit")
    else:
        assert out.status == 0, out.stderr
        assert "final ‖w − w*‖² = " in out.stdout


def test_huge_batch_is_refused_up_front() -> None:
    out = run_cli("run", *TINY, "--batch", "1000000000", "--iters", "1", "--eta", "0.001")
    assert_refused(out, match="batch")


def test_huge_scheme_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:  # sparse: 200 MB of nothing
        fh.truncate(200 * 1024**2)
    assert_refused(run_cli("check", "--scheme", f"file:{big}"), match="MB|bytes|large")


# --------------------------------------------------------------------- 2. AR(1) stays interactive
@pytest.mark.parametrize("cov", ["ar1:0.5", "ar1:0"])
def test_ar1_default_path_is_interactive(cov: str) -> None:
    out = run_cli("check", "--scheme", "1d:1024,64,1", "--cov", cov, "--json")
    assert out.status == 0, out.stderr
    import json

    data = json.loads(out.stdout)
    assert data["lambda_min"] > 0
    assert "certificate" in data


# --------------------------------------------------------------------- 3. special files
def test_scheme_file_dev_zero() -> None:
    assert_refused(run_cli("check", "--scheme", "file:/dev/zero"), match="regular file")


def test_scheme_file_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert_refused(run_cli("check", "--scheme", f"file:{fifo}"), match="regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_scheme_file_with_a_5000_digit_integer(tmp_path: Path) -> None:
    f = tmp_path / "s.json"
    f.write_text('{"n": 8, "indices": [[0, ' + "9" * 5000 + "]]}")
    assert_refused(run_cli("check", "--scheme", f"file:{f}"))


def _npz_with_header(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


def _good_arrays(T: int = 50) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    out = {}
    for name, arr in {"X": rng.standard_normal((T, 16)), "y": rng.standard_normal(T)}.items():
        b = io.BytesIO()
        np.save(b, arr)
        out[f"{name}.npy"] = b.getvalue()
    return out


def test_data_declared_huge_array(tmp_path: Path) -> None:
    f = tmp_path / "d.npz"
    _npz_with_header(f, {"X.npy": _npy_header((10**12, 16)), "y.npy": _npy_header((10**12,))})
    assert_refused(run_cli("run", *TINY, "--data", str(f), "--eta", "0.001"), match="X")


def test_data_unused_huge_member(tmp_path: Path) -> None:
    f = tmp_path / "d.npz"
    members = _good_arrays()
    members["junk.npy"] = _npy_header((10**12, 16))
    _npz_with_header(f, members)
    out = run_cli("run", *TINY, "--data", str(f), "--eta", "0.001", "--json")
    assert out.status == 0, out.stderr  # the unused member is never read


def test_data_member_not_npy(tmp_path: Path) -> None:
    f = tmp_path / "d.npz"
    members = _good_arrays()
    members["X.npy"] = b"not a numpy file at all"
    _npz_with_header(f, members)
    assert_refused(run_cli("run", *TINY, "--data", str(f), "--eta", "0.001"), match="X")


@pytest.mark.parametrize(
    "w_star", [np.array(["a", "b", "c", "d"]), np.array([1 + 1j, 0, 0, 0])], ids=["str", "complex"]
)
def test_data_w_star_of_wrong_type(tmp_path: Path, w_star: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    f = tmp_path / "d.npz"
    np.savez(f, X=rng.standard_normal((50, 16)), y=rng.standard_normal(50), w_star=w_star)
    assert_refused(run_cli("run", *TINY, "--data", str(f), "--eta", "0.001"), match="w_star")


def test_data_is_a_folder(tmp_path: Path) -> None:
    out = run_cli("run", *TINY, "--data", str(tmp_path), "--eta", "0.001")
    assert_refused(out, match="folder")
    assert "does not exist" not in out.stderr


# --------------------------------------------------------------------- 4. numeric overflow
def test_bounds_huge_hetero_noise() -> None:
    out = run_cli("bounds", *TINY, "--noise", "hetero:1e155")
    assert "Traceback" not in out.stderr
    assert out.status in (0, 1, 2), out.stderr


def test_run_huge_uniform_noise() -> None:
    out = run_cli("run", *TINY, "--noise", "uniform:1e308", "--iters", "10", "--eta", "0.001")
    assert_refused(out, match="noise")


# --------------------------------------------------------------------- 5. divergence
def test_divergence_is_not_success() -> None:
    out = run_cli("run", *TINY, "--iters", "200", "--eta", "10", "--json")
    assert_refused(out, match="diverge")
    assert "RuntimeWarning" not in out.stderr


def test_divergence_hint_is_a_working_step() -> None:
    out = run_cli("run", *TINY, "--iters", "200", "--eta", "100")
    assert_refused(out, match="diverge")
    assert "eta=10" not in out.stderr and "--eta 10 " not in out.stderr


# --------------------------------------------------------------------- 6. output paths
def test_verify_out_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    out = run_cli("verify", "--quick", "--out", str(tmp_path / "afile" / "sub"))
    assert_refused(out, match="not a folder")


def test_experiment_out_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    out = run_cli("experiment", "noise", "--quick", "--out", str(tmp_path / "afile" / "sub"))
    assert_refused(out, match="not a folder")


def test_run_plot_in_read_only_folder() -> None:
    out = run_cli("run", *TINY, "--iters", "10", "--eta", "0.001", "--plot", "/sys/x.png")
    assert_refused(out, match="not writable")


@pytest.mark.parametrize(
    "args",
    [
        ["check", *TINY],
        ["check", *TINY, "--json"],
        ["bounds", *TINY],
        ["run", *TINY, "--iters", "10", "--eta", "0.001"],
        ["--help"],
    ],
)
def test_full_stdout(args: list[str]) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "convotron.cli", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
    assert proc.returncode == 3  # a full stdout is the environment, not the input (issue 23)
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


# --------------------------------------------------------------------- 7. special targets
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_plot_onto_special_file_is_refused(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "p" if kind == "fifo" else Path("/dev/null")
    if kind == "fifo":
        os.mkfifo(target)
    before = os.stat(target)
    out = run_cli("run", *TINY, "--iters", "10", "--eta", "0.001", "--plot", str(target))
    assert_refused(out, match="regular file")
    after = os.stat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)


@pytest.mark.parametrize(
    "command", [["verify", "--quick"], ["experiment", "noise", "--quick"]], ids=["verify", "exp"]
)
def test_second_writer_to_one_out_folder_is_refused(tmp_path: Path, command: list[str]) -> None:
    """Two runs to one --out cannot mix their files: the folder is locked for the whole run."""
    from convotron._io import locked_dir

    out = tmp_path / "out"
    with locked_dir(out):  # a first run, still writing
        refused = run_cli(*command, "--out", str(out))
    assert_refused(refused, match=r"in use by another convotron process \(pid \d+\)")
    assert sorted(p.name for p in out.iterdir()) == [".convotron.lock"]  # nothing written


def test_output_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = run_cli(
            "run", *TINY, "--iters", "10", "--eta", "0.001", "--plot", str(tmp_path / "c.png")
        )
    finally:
        os.umask(old)
    assert out.status == 0, out.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "c.png").st_mode) == 0o644


# --------------------------------------------------------------------- 8. messages
def test_bad_1d_spec_suggests_1d() -> None:
    out = run_cli("check", "--scheme", "1d:16,4")
    assert_refused(out)
    assert "2d:" not in out.lines[0]


def test_19_digit_number_is_named_too_large_not_fractional() -> None:
    out = run_cli("check", "--scheme", "1d:1000000000000000000,4,2")
    assert_refused(out)
    assert "whole number" not in out.lines[0]


def test_index_2_63_reported_by_value(tmp_path: Path) -> None:
    f = tmp_path / "s.json"
    f.write_text('{"n": 8, "indices": [[0, 9223372036854775808]]}')
    out = run_cli("check", "--scheme", f"file:{f}")
    assert_refused(out, match="9223372036854775808")


def test_plot_under_dev_full_is_not_a_folder() -> None:
    out = run_cli("run", *TINY, "--iters", "10", "--eta", "0.001", "--plot", "/dev/full/x.png")
    assert_refused(out, match="not a folder")
    assert "does not exist" not in out.stderr


def test_data_divergence_does_not_suggest_auto(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    f = tmp_path / "d.npz"
    np.savez(f, X=rng.standard_normal((500, 16)), y=100 * rng.standard_normal(500))
    out = run_cli("run", *TINY, "--data", str(f), "--eta", "100")
    assert_refused(out, match="diverge")


def test_verify_removes_the_out_folder_it_created_when_the_run_fails(tmp_path: Path) -> None:
    from convotron.cli.verify import _locked_out

    out = tmp_path / "new" / "out"
    with pytest.raises(KeyboardInterrupt), _locked_out(out):
        assert out.is_dir()
        raise KeyboardInterrupt
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    with pytest.raises(KeyboardInterrupt), _locked_out(kept):
        raise KeyboardInterrupt
    assert kept.is_dir()  # a folder that existed before is left


def test_data_corrupt_compressed_member(tmp_path: Path) -> None:
    f = tmp_path / "d.npz"
    members = _good_arrays(500)
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    raw = bytearray(f.read_bytes())
    for i in range(200, 400):  # inside the first member's compressed stream
        raw[i] ^= 0x55
    f.write_bytes(bytes(raw))
    assert_refused(run_cli("run", *TINY, "--data", str(f), "--eta", "0.001"), match="X")


def test_data_of_absurd_magnitude(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    f = tmp_path / "d.npz"
    np.savez(f, X=1e200 * rng.standard_normal((50, 16)), y=rng.standard_normal(50))
    for eta in ("0.01", "auto"):
        out = run_cli("run", *TINY, "--data", str(f), "--eta", eta)
        assert_refused(out, match="magnitude at most")


def test_plot_onto_a_symlink_to_a_device_leaves_both(tmp_path: Path) -> None:
    link = tmp_path / "p.png"
    link.symlink_to("/dev/null")
    out = run_cli("run", *TINY, "--iters", "10", "--eta", "0.001", "--plot", str(link))
    assert_refused(out, match="symbolic link")
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["--runs", "1000000000000"],
            r"--runs \(the independent runs per cell\) must be an integer with 1 <= runs <= 100000",
        ),
        (["--alpha", "0:1:0.001", "--eps", "0.001:1:0.001"], r"number of cells .* at most"),
    ],
    ids=["runs", "cells"],
)
def test_sweep_sizes_refused_up_front(tmp_path: Path, args: list[str], match: str) -> None:
    out = run_cli("sweep", "--scheme", "1d:16,4,2", *args, "--out", str(tmp_path / "s"))
    assert_refused(out, match=match)
