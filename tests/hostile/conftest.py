"""Run the command line as a hostile user would: under a memory and a time limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Address-space limit for each command (the issue's judge uses 4 GB).
MEMORY_LIMIT = 4 * 1024**3
#: Wall-clock limit for each command, seconds (a refusal must come long before).
TIME_LIMIT = 60

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    status: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


def _limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> Outcome:
    """Run ``python -m convotron.cli ARGS`` under the limits; fail if the time limit is hit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONWARNINGS", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "convotron.cli", *args],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            preexec_fn=_limit,
            cwd=cwd,
            env=env,
            input=stdin if stdin is not None else "",
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"convotron {' '.join(args)} ran past {TIME_LIMIT} s")
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_refused(out: Outcome, *, match: str | None = None) -> None:
    """Status 2, one line on stderr, no traceback, the memory limit not hit."""
    assert "Traceback" not in out.stderr, out.stderr
    assert "MemoryError" not in out.stderr, out.stderr
    assert out.status == 2, (out.status, out.stderr)
    assert len(out.lines) == 1, out.stderr
    if match is not None:
        import re

        assert re.search(match, out.lines[0]), out.lines[0]
