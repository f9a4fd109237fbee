"""Fast start: what importing the command line loads, checked deterministically (no timing).

``convotron --help`` must start within 3x of ``python -c "import numpy"`` (issue 9;
``benchmarks/bench_startup.py`` measures the ratio). That holds because building the parser
loads none of the slow imports: ``convotron/__init__.py`` and ``theory/__init__.py`` re-export
lazily (PEP 562) and each subcommand imports its heavy dependencies inside ``main``. Each
check runs in a fresh interpreter, since this test session has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "sympy", "scipy", "matplotlib")


def _loaded_after(code: str) -> list[str]:
    """Top-level packages among HEAVY that a fresh interpreter has loaded after ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_building_the_parser_loads_no_heavy_module() -> None:
    assert _loaded_after("import convotron.cli\nconvotron.cli.build_parser()") == []


def test_help_loads_no_heavy_module() -> None:
    code = (
        "import contextlib, io, convotron.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        convotron.cli.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass"
    )
    assert _loaded_after(code) == []


def test_check_identity_scheme_loads_only_sympy() -> None:
    # `convotron check --scheme 1d:16,4,2` needs sympy (exact lemma bounds and eigenvalues),
    # never numba (no run) nor scipy (Σ = I)
    code = (
        "import contextlib, io, convotron.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert convotron.cli.main(['check', '--scheme', '1d:16,4,2']) == 0"
    )
    assert _loaded_after(code) == ["sympy"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import convotron", []),
        ("import convotron_theory", []),
        ("import convotron_theory.spectra", ["sympy"]),
        ("import convotron; convotron.PatchScheme", []),
    ],
)
def test_packages_import_lazily(code: str, expected: list[str]) -> None:
    assert _loaded_after(code) == expected


def test_a_public_name_imports_its_module_on_first_access() -> None:
    # the compiled kernels behind convotron() are loaded when the name is first used
    assert "numba" in _loaded_after("import convotron; convotron.convotron")


def test_lazy_packages_expose_all_public_names() -> None:
    import convotron
    import convotron_theory

    for pkg in (convotron, convotron_theory):
        assert set(pkg.__all__) <= set(dir(pkg))
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None, name
        with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
            _ = pkg.no_such_name


def test_a_subcommand_that_fails_to_import_is_an_error(monkeypatch) -> None:
    import convotron.cli as cli

    monkeypatch.setattr(cli, "SUBCOMMANDS", (*cli.SUBCOMMANDS, "no_such_subcommand"))
    with pytest.raises(ModuleNotFoundError, match="no_such_subcommand"):
        cli.build_parser()


def test_public_names_are_declared_once() -> None:
    """``__all__``, the lazy table and the names themselves agree (no fourth copy to drift)."""
    import convotron

    assert set(convotron.__all__) == set(convotron._EXPORTS) | {"__version__"}
    for name in convotron._EXPORTS:
        assert getattr(convotron, name) is not None, name
