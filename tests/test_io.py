"""File output guarantees of ``convotron._io`` (see its module docstring)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convotron._errors import ConvotronError
from convotron._io import (
    atomic_write_text,
    check_output_dir,
    check_output_path,
    locked_dir,
)


def test_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "a.txt", "x")
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o644
        os.umask(0o077)
        q = atomic_write_text(tmp_path / "b.txt", "x")
        assert stat.S_IMODE(os.stat(q).st_mode) == 0o600
    finally:
        os.umask(old)


def test_replacing_keeps_the_old_mode(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("old")
    os.chmod(p, 0o640)
    atomic_write_text(p, "new")
    assert p.read_text() == "new"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640


def test_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ConvotronError, match="FIFO"):
        check_output_path(fifo, what="plot file")
    with pytest.raises(ConvotronError, match="FIFO"):
        atomic_write_text(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_device_is_refused() -> None:
    with pytest.raises(ConvotronError, match="character device"):
        check_output_path("/dev/null", what="plot file")


def test_symlink_is_never_followed(tmp_path: Path) -> None:
    """A link planted where a file is written is replaced; what it points to is untouched."""
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert not link.is_symlink() and link.read_text() == "new"
    assert target.read_text() == "old"
    other = tmp_path / "other.png"
    other.symlink_to(target)
    with pytest.raises(ConvotronError, match="symbolic link"):
        check_output_path(other, what="plot file")


def test_parent_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("")
    with pytest.raises(ConvotronError, match="is a regular file, not a folder"):
        check_output_path(f / "x.png", what="plot file")
    with pytest.raises(ConvotronError, match="not a folder"):
        check_output_dir(f / "sub", what="output folder")


def test_parent_that_is_a_device() -> None:
    with pytest.raises(ConvotronError, match="character device, not a folder"):
        check_output_path("/dev/full/x.png", what="plot file")


def test_missing_parent_and_folder_target(tmp_path: Path) -> None:
    with pytest.raises(ConvotronError, match="does not exist"):
        check_output_path(tmp_path / "no" / "x.png")
    with pytest.raises(ConvotronError, match="not a folder"):
        check_output_path(tmp_path)


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs a read-only /sys")
def test_read_only_folder_is_refused() -> None:
    with pytest.raises(ConvotronError, match="not writable"):
        check_output_path("/sys/x.png", what="plot file")


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    # a temporary file left by a process that no longer exists (kill -9 during a write)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = tmp_path / f".out.json.{child.pid}.abc.tmp"
    stale.write_text("half")
    mine = tmp_path / f".out.json.{os.getpid()}.def.tmp"
    mine.write_text("mine")
    atomic_write_text(tmp_path / "out.json", "{}")
    assert not stale.exists()
    assert mine.exists()  # a live process's temporary is never touched


def test_kill_9_during_write_leaves_target_intact(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("before")
    code = textwrap.dedent(
        f"""
        import os, time
        from convotron._io import atomic_write
        def w(fh):
            fh.write(b"partial")
            fh.flush()
            print("writing", flush=True)
            time.sleep(60)
        atomic_write({str(target)!r}, w)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert target.read_text() == "before"
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    atomic_write_text(target, "after")  # the next write cleans up the litter
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert target.read_text() == "after"


def test_locked_dir_refuses_a_second_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = textwrap.dedent(
        f"""
        import time
        from convotron._io import locked_dir
        with locked_dir({str(out)!r}):
            print("locked", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(ConvotronError, match=f"pid {proc.pid}"), locked_dir(out):
            pass
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    with locked_dir(out) as p:  # released when its holder died
        assert p == out


def test_golden_comparison_allows_one_unit_in_a_sixth_digit_only() -> None:
    from tests.golden import same

    assert same("x = 3.45935e-07 ok", "x = 3.45934e-07 ok")
    assert same("exit 4: 1.23456", "exit 4: 1.23457")
    assert not same("x = 3.45935e-07 ok", "x = 3.45933e-07 ok")  # two units
    assert not same("x = 3.4594e-07", "x = 3.4593e-07")  # 5 digits: exact
    assert not same("exit 4", "exit 5") and not same("1 runs", "2 runs")
    assert not same("x = 3.45935e-07 ok", "x = 3.45934e-07 no")
    assert not same("1.23456e-07", "1.23457e-08")
    assert not same("T = 120859", "T = 120860")  # an integer of 6 digits: exact
