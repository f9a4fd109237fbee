"""The layering rule (ARCHITECTURE.md): the two halves meet only in the glue.

No module of ``convotron`` imports ``theory`` except the glue (``convotron/bridge.py``,
``convotron/verify.py``, ``convotron/experiments/``, ``convotron/cli/``), and no module
of ``theory`` imports ``convotron``. Checked on the source with ``ast`` (imports inside
functions count too), so a shared bug cannot make both halves agree.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE = ("convotron/bridge.py", "convotron/verify.py", "convotron/experiments/", "convotron/cli/")


def imported_packages(path: Path) -> set[str]:
    """Top-level packages imported anywhere in the file (absolute imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_core_of_convotron_never_imports_theory() -> None:
    offenders = [
        relative(p)
        for p in sorted((ROOT / "convotron").rglob("*.py"))
        if not relative(p).startswith(GLUE) and "theory" in imported_packages(p)
    ]
    assert not offenders, f"core modules importing theory: {offenders}"


def test_theory_never_imports_convotron() -> None:
    offenders = [
        relative(p)
        for p in sorted((ROOT / "theory").rglob("*.py"))
        if "convotron" in imported_packages(p)
    ]
    assert not offenders, f"theory modules importing convotron: {offenders}"


def test_the_checker_sees_imports(tmp_path) -> None:
    """The detector is not vacuous: it finds top-level, nested and from-imports."""
    src = tmp_path / "m.py"
    src.write_text(
        "import os\ndef f():\n    from theory.bounds import A\n    import convotron.data\n"
    )
    assert imported_packages(src) == {"os", "theory", "convotron"}
    src.write_text("from . import sibling\nfrom .x import y\n")
    assert imported_packages(src) == set()


def test_the_glue_does_join_the_halves() -> None:
    assert "theory" in imported_packages(ROOT / "convotron" / "bridge.py")
