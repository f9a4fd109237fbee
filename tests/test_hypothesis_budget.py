"""The Hypothesis profiles govern every example count (``nightly`` must not be defeated).

A test declares its cost as a share of the loaded profile (:func:`tests.budget.examples`);
an absolute ``max_examples=`` outside the profiles would pin the count under ``nightly`` too.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ALLOWED = {"conftest.py", "budget.py", "test_hypothesis_budget.py"}


def test_no_absolute_example_counts() -> None:
    offenders = [
        f"{p.relative_to(TESTS)}:{i}"
        for p in TESTS.rglob("*.py")
        if p.name not in ALLOWED
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"max_examples\s*=", line)
    ]
    assert not offenders, f"use @examples(share) from tests.budget instead: {offenders}"
