"""Test configuration: Hypothesis profiles and shared fixtures.

Profiles (select with ``HYPOTHESIS_PROFILE``; ``make test`` uses ``ci``):

- ``dev``: few examples, random seeds, for quick local iteration;
- ``ci``: derandomised (fixed example database-free seeds), so CI is deterministic;
- ``nightly``: many examples, random seeds, for the long statistical checks.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings


class _TheoryAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``convotron_theory[.x]`` as the module ``theory[.x]`` (the same object)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname == "convotron_theory" or fullname.startswith("convotron_theory."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> Any:
        module = importlib.import_module("theory" + spec.name[len("convotron_theory") :])
        spec.loader_state = module.__spec__  # the import machinery overwrites __spec__
        return module

    def exec_module(self, module: Any) -> None:
        module.__spec__ = module.__spec__.loader_state  # restore the module's own spec


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
        # mutmut names a mutant after its file (theory.spectra.check.x_f__mutmut_1) and
        # switches it on only inside the module of that name: import the package as
        # ``theory`` there, and ``convotron_theory.*`` as aliases of the same modules
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
