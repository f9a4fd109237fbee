"""The layering rule (ARCHITECTURE.md): the two halves meet only in ``convotron.glue``.

The layers, top to bottom: ``convotron.cli`` (may import everything), ``convotron.glue``
(joins the numerical core and ``convotron_theory``), the numerical core (every other module of
``convotron``: never imports ``convotron_theory``, ``convotron.glue`` or ``convotron.cli``) and
``convotron_theory`` (never imports ``convotron``). ``make lint`` checks them with import-linter
(the
contracts in ``pyproject.toml``); these tests check the same rule on the source with ``ast``
(imports inside functions count too, so a shared bug cannot make both halves agree) and
keep the contracts' list of core modules complete.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The layers above the core, as paths and as module names.
UPPER = ("convotron/glue/", "convotron/cli/")
UPPER_MODULES = ("convotron.glue", "convotron.cli")


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules imported anywhere in the file (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts if rel.name == "__init__" else rel.parts[:-1])
    if rel.name == "__init__":
        package = package[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                up = package[: len(package) - (node.level - 1)]
                base = ".".join([*up, *([node.module] if node.module else [])])
            out.add(base)
            out |= {f"{base}.{alias.name}" for alias in node.names}
    return out


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


def core_files() -> list[Path]:
    return [
        p for p in sorted((ROOT / "convotron").rglob("*.py")) if not relative(p).startswith(UPPER)
    ]


def test_core_of_convotron_never_imports_theory_the_glue_or_the_cli() -> None:
    offenders = {
        relative(p): sorted(
            m
            for m in imported_modules(p)
            if m.split(".")[0] == "convotron_theory" or m.startswith(UPPER_MODULES)
        )
        for p in core_files()
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"core modules importing up the layers: {offenders}"


def test_theory_never_imports_convotron() -> None:
    offenders = [
        relative(p)
        for p in sorted((ROOT / "theory").rglob("*.py"))
        if "convotron" in imported_packages(p)
    ]
    assert not offenders, f"theory modules importing convotron: {offenders}"


def test_the_glue_never_imports_the_cli() -> None:
    offenders = [
        relative(p)
        for p in sorted((ROOT / "convotron" / "glue").rglob("*.py"))
        if any(m.startswith("convotron.cli") for m in imported_modules(p))
    ]
    assert not offenders, f"glue modules importing the command line: {offenders}"


def test_the_import_linter_contract_names_every_core_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (core,) = [c for c in contracts if "convotron.glue" in c.get("forbidden_modules", ())]
    modules = {
        relative(p).removesuffix(".py").replace("/", ".")
        for p in core_files()
        if p.parent == ROOT / "convotron" and p.name != "__init__.py"
    }
    packages = {
        f"convotron.{p.name}"
        for p in (ROOT / "convotron").iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and f"convotron/{p.name}/" not in UPPER
    }
    assert set(core["source_modules"]) == modules | packages


def test_the_checker_sees_imports(tmp_path) -> None:
    """The detector is not vacuous: it finds top-level, nested and from-imports."""
    src = tmp_path / "m.py"
    src.write_text(
        "import os\ndef f():\n    from convotron_theory.bounds import A\n"
        "    import convotron.data.laws\n"
    )
    assert imported_packages(src) == {"os", "convotron_theory", "convotron"}
    src.write_text("from . import sibling\nfrom .x import y\n")
    assert imported_packages(src) == set()


def test_relative_imports_are_resolved() -> None:
    mods = imported_modules(ROOT / "convotron" / "glue" / "verify" / "suite.py")
    assert "convotron.model.problem" in mods and "convotron.glue.parameters" in mods
    assert "convotron._errors" in mods


def test_the_glue_does_join_the_halves() -> None:
    assert "convotron_theory" in imported_packages(ROOT / "convotron" / "glue" / "parameters.py")
    assert "convotron.model.problem" in imported_modules(
        ROOT / "convotron" / "glue" / "parameters.py"
    )
