"""Headless Chromium flags shared by :mod:`book.tools.browser_check` and ``graph_check``.

A module of its own so that the two checks import it, not each other (no import cycle).
"""

from __future__ import annotations

__all__ = ["CHROMIUM_FLAGS"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
"""Flags measured to work offline on these machines (see ``shared/spec/book.md``)."""
