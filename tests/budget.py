"""Example budgets as shares of the loaded Hypothesis profile (``tests/conftest.py``).

A slow property declares how expensive it is, never an absolute count:
``@examples(0.2)`` runs 20 % of the profile's ``max_examples`` (8 under ``ci``, 100 under
``nightly``), so the profile still governs every test.
"""

from __future__ import annotations

from hypothesis import settings

__all__ = ["examples"]


def examples(share: float) -> settings:
    """Return settings with ``share`` of the current profile's ``max_examples`` (at least 1)."""
    return settings(max_examples=max(1, round(settings().max_examples * share)))
