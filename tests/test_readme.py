"""The README stays true to the code: its Python example runs and its commands parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from convotron.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _commands() -> list[list[str]]:
    cmds = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("convotron "):
                cmds.append(shlex.split(line)[1:])
    return cmds


def test_readme_quick_start_is_the_two_make_commands() -> None:
    first = _blocks("bash")[0]
    assert [ln.split()[:2] for ln in first.strip().splitlines()] == [
        ["make", "verify"],
        ["make", "test"],
    ]


@pytest.mark.parametrize("code", _blocks("python"), ids=lambda c: c.splitlines()[0][:40])
def test_readme_python_examples_run(code: str) -> None:
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})


@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a)[:60])
def test_readme_commands_parse(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert callable(args.handler)


@pytest.mark.parametrize(
    "argv", [a for a in _commands() if a[0] in {"check", "bounds"}], ids=lambda a: " ".join(a)[:60]
)
def test_readme_check_and_bounds_commands_succeed(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    assert capsys.readouterr().out.strip()
