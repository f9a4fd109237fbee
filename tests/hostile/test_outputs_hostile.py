"""Sweeps, the lock and output paths under hostile input and faults (issue 23).

Each test reproduces a finding of the second hostile probe (measured on ``main`` at e461165)
and failed there: a followed symlink, a stale or clobbered result, a hang, unbounded growth, a
traceback, a wrong exit status. Same limits as the rest of ``tests/hostile``: 4 GB of address
space and 60 s per command.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import numpy as np
import pytest

from convotron._errors import ConvotronError

from .conftest import ROOT, Outcome, assert_refused, run_cli
from .stress_sigterm import kill_once

SWEEP = ["sweep", "--scheme", "1d:8,4,2", "--eps", "0.5", "--delta", "0.5", "--runs", "2",
         "--teachers", "1", "--scheduler", "inline", "--no-figures"]  # fmt: skip


def assert_environment_failure(out: Outcome, *, match: str | None = None) -> None:
    """Status 3 (the environment failed, not the input), one line, no traceback."""
    assert "Traceback" not in out.stderr, out.stderr
    assert out.status == 3, (out.status, out.stderr)
    assert len(out.lines) == 1, out.stderr
    if match is not None:
        import re

        assert re.search(match, out.lines[0]), out.lines[0]


# ------------------------------------------------------------- 1. stale results (CLI)
def test_resume_with_a_larger_max_updates_runs_the_cell(tmp_path: Path) -> None:
    out = str(tmp_path / "s")
    first = run_cli(*SWEEP, "--max-updates", "100", "--out", out, "--json")
    assert first.status == 0, first.stderr
    assert json.loads(first.stdout)["rows"][0]["status"] == "not run"
    again = run_cli(*SWEEP, "--max-updates", "1e12", "--out", out, "--json")
    data = json.loads(again.stdout)
    assert data["rows"][0]["status"] == "done"
    assert data["cells_resumed"] == 0 and data["cells_recomputed"] == {"max_updates changed": 1}


# ------------------------------------------------------------- 2. fractions that print alike
def test_fractions_that_print_alike_keep_their_columns(tmp_path: Path) -> None:
    out = run_cli(*SWEEP, "--fractions", "0.1,0.1000001,1", "--out", str(tmp_path / "s"))
    assert out.status == 0, out.stderr
    header = (tmp_path / "s" / "sweep.csv").read_text().splitlines()[0].split(",")
    assert [c for c in header if c.startswith("fail_at_")] == [
        "fail_at_0.1", "fail_at_0.1000001", "fail_at_1"]  # fmt: skip


# ------------------------------------------------------------- 5. the lock never follows a link
@pytest.mark.parametrize("command", ["sweep", "experiment"])
def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(
    tmp_path: Path, command: str
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".convotron.lock").symlink_to(victim)
    args = [*SWEEP] if command == "sweep" else ["experiment", "disjoint-patch", "--quick"]
    res = run_cli(*args, "--out", str(out))
    assert_refused(res, match="symbolic link")
    assert victim.read_text() == "precious\n"
    assert (out / ".convotron.lock").is_symlink()


def test_a_fifo_lock_file_is_refused_as_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / ".convotron.lock")
    assert_refused(run_cli(*SWEEP, "--out", str(out)), match="regular file.*FIFO")


def test_locked_dir_opens_with_o_nofollow(tmp_path: Path) -> None:
    from convotron._io import locked_dir

    victim = tmp_path / "victim"
    victim.write_text("x" * 100)
    (tmp_path / ".convotron.lock").symlink_to(victim)
    with pytest.raises(ConvotronError, match="symbolic link"), locked_dir(tmp_path):
        pass
    assert victim.read_text() == "x" * 100


# ------------------------------------------------------------- 6. report folders replaced whole
def test_an_interrupted_report_leaves_the_previous_one_whole(tmp_path: Path) -> None:
    """SIGKILL while the new report is half written: the old folder is exactly as it was."""
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.json").write_text("old json")
    (out / "report.md").write_text("old md")
    script = (
        "import os, sys, time\n"
        "from convotron._io import replaced_dir\n"
        f"with replaced_dir({str(out)!r}) as stage:\n"
        "    for i in range(5):\n"
        "        (stage / f'fig-{i}.png').write_text('new')\n"
        "    print('written', flush=True)\n"
        "    time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env,
                            text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    from convotron._io import replaced_dir

    with replaced_dir(out) as stage:  # the next run cleans the dead stage and replaces all
        (stage / "report.json").write_text("new json")
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert (out / "report.json").read_text() == "new json"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_failed_report_leaves_the_previous_one(tmp_path: Path) -> None:
    from convotron._io import replaced_dir

    out = tmp_path / "r"
    out.mkdir()
    (out / "report.md").write_text("old")
    with pytest.raises(KeyboardInterrupt), replaced_dir(out) as stage:
        (stage / "fig-a.png").write_text("new")
        raise KeyboardInterrupt
    assert [p.name for p in out.iterdir()] == ["report.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_verify_refuses_a_folder_that_is_not_a_report(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("mine")
    res = run_cli("verify", "--quick", "--out", str(tmp_path))
    assert_refused(res, match="previous verify report")
    assert (tmp_path / "thesis.tex").read_text() == "mine"


# ------------------------------------------------------------- 7. a refused sweep writes nothing
@pytest.mark.parametrize(
    "bad", [["--law", "foo"], ["--scheduler", "garbage"], ["--cov", "ar1:2"], ["--eps", "-1"]]
)
def test_a_refused_sweep_leaves_the_folder_as_it_was(tmp_path: Path, bad: list[str]) -> None:
    out = tmp_path / "s"
    assert run_cli(*SWEEP, "--out", str(out)).status == 0

    def files() -> dict[str, bytes]:  # the lock holds the last process id only
        return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name[0] != "."}

    before = files()
    args = (
        [a for a in SWEEP if a not in ("--scheduler", "inline")] if "--scheduler" in bad else SWEEP
    )
    assert_refused(run_cli(*args, *bad, "--out", str(out)))
    assert files() == before


# ------------------------------------------------------------- 8, 9. outputs and inputs
def test_save_filter_onto_the_data_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d.npz"
    X = np.random.default_rng(0).standard_normal((40, 8))
    np.savez(data, X=X, y=X[:, 0])
    before = data.read_bytes()
    res = run_cli("run", "--scheme", "1d:8,4,2", "--data", str(data), "--eta", "0.01",
                  "--save-filter", str(data))  # fmt: skip
    assert_refused(res, match="--save-filter must not be an input.*--data")
    assert data.read_bytes() == before


def test_plot_and_save_filter_on_one_file_are_refused(tmp_path: Path) -> None:
    same = tmp_path / "same.npz"
    res = run_cli("run", "--scheme", "1d:8,4,2", "--iters", "10", "--plot", str(same),
                  "--save-filter", str(tmp_path / "." / "same.npz"))  # fmt: skip
    assert_refused(res, match="different files")
    assert not same.exists()


@pytest.mark.parametrize("kind", ["dangling", "long"])
def test_an_unwritable_save_filter_is_refused_before_the_run(tmp_path: Path, kind: str) -> None:
    if kind == "dangling":
        target = tmp_path / "link.npz"
        target.symlink_to(tmp_path / "missing" / "f.npz")
    else:
        target = tmp_path / ("a" * 300 + ".npz")
    t0 = time.monotonic()
    # 10^8 updates would take minutes: the refusal must come first
    res = run_cli("run", "--scheme", "1d:8,4,2", "--iters", "100000000", "--eta", "0.001",
                  "--save-filter", str(target))  # fmt: skip
    assert_refused(res, match="symbolic link|longer than the file system allows")
    assert time.monotonic() - t0 < 30


# ------------------------------------------------------------- 10, 20. empty and deep --out
@pytest.mark.parametrize(
    "command",
    [["sweep", *SWEEP[1:]], ["verify", "--quick"], ["experiment", "disjoint-patch", "--quick"]],
)
def test_empty_out_is_refused(tmp_path: Path, command: list[str]) -> None:
    res = run_cli(*command, "--out", "", cwd=tmp_path)
    assert_refused(res, match="empty string")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [["sweep", *SWEEP[1:]], ["verify", "--quick"], ["experiment", "disjoint-patch", "--quick"]],
)
def test_a_2000_folder_deep_out_is_refused(tmp_path: Path, command: list[str]) -> None:
    deep = "/".join(["a"] * 2000)
    res = run_cli(*command, "--out", deep, cwd=tmp_path)
    assert_refused(res, match="folders deep")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------- 11. a server that is not Dask
@pytest.fixture()
def http_server():
    server = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command", ["sweep", "verify"])
def test_a_non_dask_server_is_given_up_within_20_s(
    tmp_path: Path, http_server: str, command: str
) -> None:
    args = (
        [a for a in SWEEP if a not in ("--scheduler", "inline")]
        if command == "sweep"
        else ["verify", "--quick"]
    )
    t0 = time.monotonic()
    res = run_cli(*args, "--scheduler", http_server, "--out", str(tmp_path / "o"))
    assert time.monotonic() - t0 < 45
    assert_environment_failure(res, match="not .*Dask scheduler")


def test_a_closed_port_is_an_environment_failure(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [a for a in SWEEP if a not in ("--scheduler", "inline")]
    res = run_cli(*args, "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "o"))
    assert_environment_failure(res, match="cannot be reached")


# ------------------------------------------------------------- 12, 21. files that block
def test_a_grid_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "grid.toml"
    os.mkfifo(fifo)
    assert_refused(run_cli("sweep", str(fifo), "--out", str(tmp_path / "o")), match="FIFO")


@pytest.mark.skipif(not os.access("/proc/kmsg", os.R_OK), reason="/proc/kmsg is not readable")
@pytest.mark.parametrize(
    "args",
    [["sweep", "/proc/kmsg"], ["check", "--scheme", "file:/proc/kmsg"],
     ["run", "--scheme", "file:/proc/kmsg", "--iters", "1"]],
)  # fmt: skip
def test_proc_kmsg_is_refused_at_once(tmp_path: Path, args: list[str]) -> None:
    assert_refused(run_cli(*args, cwd=tmp_path))


def test_a_file_that_would_block_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-blocking read with nothing to read yet (what /proc/kmsg gives) is refused at once.

    A FIFO with a writer and no data stands for such a file (``stat`` calls /proc/kmsg a
    regular file; here the FIFO is let through the regular-file check).
    """
    from convotron import _io

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(fifo, os.O_WRONLY)
    try:
        monkeypatch.setattr(_io.stat, "S_ISREG", lambda mode: True)
        with pytest.raises(ConvotronError, match="without waiting"):
            _io.read_small_file(fifo, limit=10**6, what="grid file", fix="Fix it.")
    finally:
        os.close(writer)
        os.close(reader)


# ------------------------------------------------------------- 13-16. growth, checked up front
def test_20000_fractions_are_refused_at_once(tmp_path: Path) -> None:
    fr = ",".join(["0.5"] * 20000)  # 80 kB: an argument of at most 128 kB
    t0 = time.monotonic()
    assert_refused(run_cli(*SWEEP, "--fractions", fr, "--out", str(tmp_path)), match="at most 64")
    assert time.monotonic() - t0 < 20


def test_a_family_product_is_counted_before_it_is_formed(tmp_path: Path) -> None:
    names = "abcdef"
    lines = ["[family]", 'template = "1d:{a}{b}{c}{d}{e}{f},4,2"']
    lines += [f"{v} = [{', '.join(str(i) for i in range(20))}]" for v in names]
    grid = tmp_path / "g.toml"
    grid.write_text("\n".join(lines) + "\n")
    t0 = time.monotonic()
    assert_refused(run_cli("sweep", str(grid), "--out", str(tmp_path / "o")),
                   match="number of cells.*64000000")  # fmt: skip
    assert time.monotonic() - t0 < 20


def test_workers_above_the_cores_are_refused(tmp_path: Path) -> None:
    res = run_cli("sweep", "--scheme", "1d:8,4,2", "--workers", "24", "--out", str(tmp_path))
    assert_refused(res, match="--workers <= \\d+ \\(the cores")


def test_a_fortran_order_data_array_is_read_without_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader's result is C-ordered float64 (no later copy) and exact, chunk by chunk."""
    import tracemalloc

    from convotron import _limits
    from convotron.cli._data import load_data

    X = np.asfortranarray(np.random.default_rng(1).standard_normal((4096, 64))).astype(">f4")
    path = tmp_path / "f.npz"
    np.savez(path, X=X, y=np.zeros(4096))
    monkeypatch.setattr(_limits, "DATA_READ_CHUNK_BYTES", 1000)  # chunks across columns
    tracemalloc.start()
    Xr, _, _ = load_data(str(path), 64, 4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert Xr.flags.c_contiguous and Xr.dtype == np.float64
    assert np.array_equal(Xr, X.astype(np.float64))
    assert peak < 8 * X.size + 8 * 4096 + 200_000  # the result, y and small change


# ------------------------------------------------------------- 18. grid files that broke the parser
@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("family = 5\n", "\\[family\\] must be a table"),
        ("family = [1, 2]\n", "\\[family\\] must be a table"),
        ('[family]\ntemplate = "1d:{n},4,{}"\nn = [8]\n', "plain name"),
        ('[family]\ntemplate = "1d:{n[0]},4,2"\nn = [8]\n', "plain name"),
        ('[family]\ntemplate = "1d:{n!x},4,2"\nn = [8]\n', "plain name"),
        ('[family]\ntemplate = "1d:{n:>2000000000},4,2"\nn = [8]\n', "plain name"),
        ('[family]\ntemplate = "1d:{n},4,2}"\nn = [8]\n', "valid template"),
        ("x = " + "[" * 50000 + "]" * 50000 + "\n", "nested at most 32"),
        ('max_updates = nan\n[axes]\nscheme = ["1d:8,4,2"]\n', "max_updates must be a positive"),
        ('[family]\ntemplate = "1d:{n},4,2"\nn = [[8]]\n', "numbers or strings"),
    ],
)
def test_hostile_grid_files_are_one_line(tmp_path: Path, text: str, match: str) -> None:
    grid = tmp_path / "g.toml"
    grid.write_text(text)
    assert_refused(run_cli("sweep", str(grid), "--out", str(tmp_path / "o")), match=match)


# ------------------------------------------------------------- 19. scheduler addresses
@pytest.mark.parametrize(
    ("command", "address"),
    [("sweep", "garbage"), ("sweep", ""), ("sweep", "udp://127.0.0.1:5"),
     ("sweep", "http://127.0.0.1:8786"), ("sweep", "tcp://127.0.0.1:99999"),
     ("verify", "tcp://garbage"), ("verify", "udp://127.0.0.1:5"), ("verify", "")],
)  # fmt: skip
def test_bad_scheduler_addresses_are_one_line(tmp_path: Path, command: str, address: str) -> None:
    args = [a for a in SWEEP if a not in ("--scheduler", "inline")] if command == "sweep" else [
        "verify", "--quick"]  # fmt: skip
    res = run_cli(*args, "--scheduler", address, "--out", str(tmp_path / "o"))
    assert_refused(res, match="--scheduler must be 'local', 'inline' or a Dask scheduler")


def test_sweep_and_verify_share_one_address_check() -> None:
    from convotron.glue.dask import check_scheduler

    for ok in (None, "local", "inline", "tcp://127.0.0.1:8786", "tcp://[::1]:8786",
               "tls://host.example:1"):  # fmt: skip
        assert check_scheduler(ok) == ok
    for bad in ("", "tcp://", "tcp://h", "tcp://h:0", "tcp://h:65536", "inproc://x", "h:1"):
        with pytest.raises(ConvotronError, match="--scheduler must be"):
            check_scheduler(bad)


# ------------------------------------------------------------- 22. closed standard streams
def _closed(fd: int):
    def pre() -> None:
        import resource

        from .conftest import MEMORY_LIMIT

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        os.close(fd)

    return pre


def test_check_with_stdout_closed_is_one_line_and_status_3() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "convotron.cli", "check", "--scheme", "1d:8,4,2"],
                          stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          preexec_fn=_closed(1), env=env, timeout=60, check=False)  # fmt: skip
    assert "Traceback" not in proc.stderr and "AttributeError" not in proc.stderr, proc.stderr
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert "standard output" in proc.stderr


def test_run_with_stderr_closed_still_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "convotron.cli", "run", "--scheme", "1d:8,4,2",
                           "--iters", "1000"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          text=True, preexec_fn=_closed(2), env=env, timeout=60,
                          check=False)  # fmt: skip
    assert proc.returncode == 0
    assert "final ‖w − w*‖²" in proc.stdout


# ------------------------------------------------------------- 23. Ctrl-C and a LocalCluster
def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_a_local_cluster_sweep_is_one_line(tmp_path: Path) -> None:
    """SIGINT while the embedded cluster starts or runs: exit 130, no traceback (real cluster).

    The child starts with SIGINT at its default action: a test run started in the background
    of a non-interactive shell (``make test &``) inherits SIGINT ignored, and Python then
    installs no KeyboardInterrupt handler, so the sweep would (rightly) ignore the signal.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "convotron.cli", "sweep", "--scheme", "1d:8,4,2", "--eps",
            "0.01", "--runs", "5000", "--chunk", "10", "--workers", "1", "--teachers", "1",
            "--no-figures"]  # fmt: skip
    for k, delay in enumerate((2.5, 5.0)):
        proc = subprocess.Popen([*args, "--out", str(tmp_path / f"o{k}")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                preexec_fn=_default_sigint)  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert err.strip() == "convotron sweep: interrupted"


# ------------------------------------------------------------- 24. exit statuses
def test_a_full_disk_is_an_environment_failure() -> None:
    import argparse

    from convotron.cli._common import EXIT_ENVIRONMENT, run_guarded

    def handler(_: argparse.Namespace) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", "out/sweep.csv")

    assert run_guarded(handler, argparse.Namespace(), command="sweep") == EXIT_ENVIRONMENT == 3


# ------------------------------------------------------------- 25. messages in the command's words
def test_noise_level_is_named_by_its_flag() -> None:
    assert_refused(run_cli("run", "--scheme", "1d:8,4,2", "--noise", "gaussian:nan"),
                   match="^convotron run: error: --noise level")  # fmt: skip


def test_verify_seeds_is_named_by_its_flag() -> None:
    assert_refused(run_cli("verify", "--quick", "--seeds", "2147483648"),
                   match="^convotron verify: error: --seeds must be .*<= --seeds <=")  # fmt: skip


def test_a_sweep_that_ran_nothing_does_not_claim_resumed_cells(tmp_path: Path) -> None:
    res = run_cli(*SWEEP, "--max-updates", "1", "--out", str(tmp_path / "s"))
    assert res.status == 0, res.stderr
    assert "(0 reused, 1 new;" in res.stdout and "all resumed" not in res.stdout


def test_too_many_tasks_are_refused_before_any_is_formed(tmp_path: Path) -> None:
    """100 cells x 16 teachers x 100000 runs at chunk 1: 1.6e8 tasks, refused at once."""
    res = run_cli("sweep", "--scheme", "1d:8,4,2", "--eps", "0:0.99:0.01", "--runs", "100000",
                  "--chunk", "1", "--teachers", "16", "--out", str(tmp_path / "o"))  # fmt: skip
    assert_refused(res, match="number of tasks")


@pytest.mark.parametrize("name", ["cells.jsonl", "sweep.csv", "chunks"])
def test_a_link_planted_in_the_sweep_folder_is_refused(tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir() if name == "chunks" else victim.write_text("precious\n")
    out = tmp_path / "s"
    out.mkdir()
    (out / name).symlink_to(victim)
    assert_refused(run_cli(*SWEEP, "--out", str(out)), match="symbolic link")
    assert (
        (list(victim.iterdir()) == []) if name == "chunks" else victim.read_text() == "precious\n"
    )


def test_sigterm_during_a_sweep_exits_143_and_keeps_finished_cells(tmp_path: Path) -> None:
    """``kill PID`` unwinds like Ctrl-C: one line, status 143, finished cells kept, no temp.

    One kill of ``stress_sigterm.py``'s (which repeats it by hand: 150 of 150 exit 143).
    """
    out = tmp_path / "s"
    status, err = kill_once(out)
    assert status == 143, err
    assert err.strip() == "convotron sweep: terminated"
    assert not list(out.rglob("*.tmp"))
