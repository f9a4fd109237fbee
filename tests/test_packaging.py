"""The distribution's packages: every folder with an ``__init__.py`` is listed, under its name.

The symbolic half is the folder ``theory/`` and installs as ``convotron_theory`` (issue 24: a
generic top-level ``theory`` in site-packages could clash with any other project's).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_name(folder: Path, package_dir: dict[str, str]) -> str:
    rel = folder.relative_to(ROOT).parts
    for name, where in package_dir.items():
        if rel[: len(Path(where).parts)] == Path(where).parts:
            return ".".join([name, *rel[len(Path(where).parts) :]])
    return ".".join(rel)


def test_every_package_folder_is_listed_under_its_installed_name() -> None:
    cfg = _config()
    package_dir = cfg.get("package-dir", {})
    folders = [p.parent for d in ("convotron", "theory") for p in (ROOT / d).rglob("__init__.py")]
    found = {_package_name(f, package_dir) for f in folders if "mutants" not in f.parts}
    assert found == set(cfg["packages"])


def test_no_generic_top_level_name_is_installed() -> None:
    cfg = _config()
    tops = {p.split(".")[0] for p in cfg["packages"]}
    assert tops == {"convotron", "convotron_theory"}
    assert cfg["package-dir"] == {"convotron_theory": "theory"}


def test_the_tests_import_this_checkouts_theory() -> None:
    import convotron_theory

    assert Path(convotron_theory.__file__).resolve() == ROOT / "theory" / "__init__.py"
