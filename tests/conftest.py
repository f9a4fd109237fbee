"""Test configuration: Hypothesis profiles and shared fixtures.

Profiles (select with ``HYPOTHESIS_PROFILE``; ``make test`` uses ``ci``):

- ``dev``: few examples, random seeds, for quick local iteration;
- ``ci``: derandomised (fixed example database-free seeds), so CI is deterministic;
- ``nightly``: many examples, random seeds, for the long statistical checks.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings


class _TheoryAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``convotron_theory[.x]`` to the module ``theory[.x]`` (mutmut's copy only)."""

    own_spec: importlib.machinery.ModuleSpec | None = None

    def find_spec(
        self, fullname: str, path: object, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "convotron_theory" or fullname.startswith("convotron_theory."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module("theory" + spec.name[len("convotron_theory") :])
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system has set __spec__ to the alias's: restore the module's own (its
        # relative imports compare __package__ with __spec__.parent)
        module.__spec__ = self.own_spec


def _theory_from_this_checkout() -> None:
    """Import ``convotron_theory`` from the ``theory/`` folder beside ``tests/``.

    The symbolic half installs as ``convotron_theory`` from the folder ``theory/``
    (``[tool.setuptools.package-dir]``), so a plain ``import convotron_theory`` goes through
    the installed (editable) finder. The tests must exercise *this* tree's code, also where
    it is a copy (``make mutation`` runs the tests in ``mutants/``, with mutated code): the
    package is registered from here before any test module imports it.
    """
    folder = Path(__file__).resolve().parent.parent / "theory"
    if "convotron_theory" in sys.modules or not (folder / "__init__.py").is_file():
        return
    if folder.parent.name == "mutants":
        # mutmut names the mutants of theory/x.py ``theory.x.<function>__mutmut_<i>`` and its
        # trampolines switch a mutant on only where the function's ``__module__`` is
        # ``theory.x``: imported as ``convotron_theory.x`` every mutant would run the original
        # code (and survive). So in mutmut's copy the package is imported as ``theory`` and
        # ``convotron_theory.*`` is an alias of the same module objects.
        sys.path.insert(0, str(folder.parent))
        sys.meta_path.insert(0, _TheoryAlias())
        return
    spec = importlib.util.spec_from_file_location(
        "convotron_theory", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["convotron_theory"] = module
    spec.loader.exec_module(module)


_theory_from_this_checkout()

settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator; tests that need many seeds draw them with Hypothesis."""
    return np.random.default_rng(20180215)
