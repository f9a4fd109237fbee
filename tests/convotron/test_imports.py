"""The numerical core has no import cycle (algorithm and baselines least of all).

Every ``from . import`` / ``from .x import`` / ``import convotron.x`` of a core module is
an edge, at module level or inside a function (a lazy import is still a dependency);
imports under ``if TYPE_CHECKING:`` are not (they never run). The graph must be acyclic.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "convotron"
#: The core: every module of convotron/ but the command line and the glue (layers above), by
#: its name under ``convotron`` (``"learning.algorithm"``; sub-packages included).
CORE = sorted(
    ".".join(p.relative_to(PKG).with_suffix("").parts)
    for p in PKG.rglob("*.py")
    if p.name != "__init__.py" and p.relative_to(PKG).parts[0] not in ("glue", "cli")
)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """Core modules that ``convotron.<module>`` imports (at run time), by their names under
    ``convotron``: relative imports resolved from the module's package, absolute ones read."""
    path = PKG.joinpath(*module.split(".")).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["convotron", *module.split(".")[:-1]]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        names: set[str] = set()
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            names = {mod, *(f"{mod}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            names = {a.name for a in node.names}
        found.update(n.removeprefix("convotron.") for n in names if n.startswith("convotron."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found & set(CORE)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                return [*stack[stack.index(v) :], v]
            if v not in state and (found := dfs(v)):
                return found
        stack.pop()
        state[u] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return None


def test_the_core_import_graph_is_acyclic():
    graph = {m: _imports(m) for m in CORE}
    assert "learning.baselines" not in graph["learning.algorithm"], (
        "algorithm must not import baselines"
    )
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", ["learning.baselines"])
def test_each_module_imports_alone(module):
    """A fresh interpreter imports the module first, before anything else of the package."""
    code = f"import importlib; importlib.import_module('convotron.{module}')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------ theory/ and book/tools
ROOT = PKG.parent


def _module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``package_dir`` (packages too)."""
    out: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[0] == "theory":  # the folder theory/ installs as convotron_theory
            parts[0] = "convotron_theory"
        out[".".join(parts)] = path
    return out


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _package_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    r"""Edges m -> every module that importing m runs, lazy imports included.

    ``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``; a parent package of ``m`` itself is
    already being imported when ``m`` runs, so it is no edge (else every submodule would
    seem to cycle with its package's ``__init__``).
    """
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        base = name.split(".") if is_pkg else name.split(".")[:-1]
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node: ast.AST, targets: set[str] = targets, base: list[str] = base) -> None:
            if isinstance(node, ast.If) and _is_type_checking(node):
                for child in node.orelse:
                    visit(child)
                return
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    pkg = base[: len(base) - node.level + 1]
                    mod = ".".join(pkg + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets.add(mod)
                targets.update(f"{mod}.{a.name}" for a in node.names)  # submodules
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(tree)
        mine = set(_ancestors(name))
        edges: set[str] = set()
        for t in targets:
            for cand in [*_ancestors(t), t]:
                if cand in modules and cand != name and cand not in mine:
                    edges.add(cand)
        graph[name] = edges
    return graph


@pytest.mark.parametrize("package", ["theory", "book/tools"])
def test_theory_and_book_tools_have_no_import_cycle(package):
    """Issue 19: theory.conv -> theory.spectra -> theory.spectra.check -> theory.conv, and
    book.tools.browser_check <-> book.tools.graph_check, were cycles."""
    graph = _package_graph(_module_names(ROOT / package))
    assert len(graph) > 3
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_the_package_graph_sees_a_cycle_through_a_package_init(tmp_path, monkeypatch):
    """The edge to a package's ``__init__`` counts (the convotron_theory.conv cycle went through
    one)."""
    pkg = tmp_path / "p"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .check import f\n")
    (pkg / "sub" / "check.py").write_text("def f():\n    from ..conv import g\n")
    (pkg / "sub" / "lemmas.py").write_text("from .check import f\n")
    (pkg / "conv.py").write_text("def g():\n    from .sub.lemmas import f\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    graph = _package_graph(_module_names(pkg))
    assert _cycle(graph) is not None
    (pkg / "conv.py").write_text("def g():\n    pass\n")
    assert _cycle(_package_graph(_module_names(pkg))) is None
    assert "p.sub" not in graph["p.sub.lemmas"]  # its own package is no edge


@pytest.mark.parametrize(
    "module", ["_codes", "learning._sampling", "learning._sampling_reference", "learning._engine"]
)
def test_the_compiled_loops_modules_import_alone(module):
    """The loop's interface and its drivers import first in a fresh interpreter (no cycle)."""
    code = f"import importlib; importlib.import_module('convotron.{module}')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_light_modules_do_not_load_numba():
    """Rules, laws, covariances, problems and sources name the loop's codes and bundles
    (``convotron._codes``, plain Python) without importing numba: a command that only
    parses a problem stays fast."""
    mods = "_codes learning.rules data.laws data.covariance model.problem learning.sources".split()
    code = (
        "import sys\n"
        + "".join(f"import convotron.{m}\n" for m in mods)
        + "assert 'numba' not in sys.modules, sorted(m for m in sys.modules if 'numba' in m)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
