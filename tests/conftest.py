"""Test configuration: Hypothesis profiles and shared fixtures.

Profiles (select with ``HYPOTHESIS_PROFILE``; ``make test`` uses ``ci``):

- ``dev``: few examples, random seeds, for quick local iteration;
- ``ci``: derandomised (fixed example database-free seeds), so CI is deterministic;
- ``nightly``: many examples, random seeds, for the long statistical checks.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

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
