"""Stored outputs of the tests ("golden" files): one rounding rule and one way to compare.

``tests/data/`` holds what the commands print and write, whole; a test renders the same
output, rounds its floats with :func:`rounded` and compares it with :func:`stored`. After an
intended change, setting the test's environment variable to ``1`` rewrites the stored text
(then review its diff).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def rounded(
    obj: Any,
    *,
    clock: Iterable[str] = ("seconds",),
    tiny: bool = False,
    text: Callable[[str], str] | None = None,
) -> Any:
    """Return ``obj`` (parsed JSON) with every float to 6 significant digits.

    Keys in ``clock`` show ``"<clock>"``; with ``tiny``, floats below 1e-9 in magnitude show
    ``"<tiny>"`` (rounding residuals that differ between processors); ``text`` rewrites
    strings. A different last bit on another processor must not fail a comparison; a
    dropped key, a changed word or a number moved in its 6th digit does.
    """
    keys = frozenset(clock)

    def go(v: Any) -> Any:
        if isinstance(v, float):
            if tiny and math.isfinite(v) and 0 < abs(v) < 1e-9:
                return "<tiny>"
            return v if not math.isfinite(v) or v == 0 else float(f"{v:.6g}")
        if isinstance(v, str):
            return text(v) if text is not None else v
        if isinstance(v, dict):
            return {k: "<clock>" if k in keys else go(x) for k, x in v.items()}
        if isinstance(v, list):
            return [go(x) for x in v]
        return v

    return go(obj)


def stored(path: Path, got: str, env: str) -> str:
    """Return the stored text of ``path``; first write ``got`` there when ``$env`` is ``1``."""
    if os.environ.get(env) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    return path.read_text(encoding="utf-8")


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def same(got: str, want: str) -> bool:
    """Whether two outputs are equal but for one unit in the 6th significant digit of a number.

    The words, the layout and every number's printed form must match, except that a number
    printed as a float (a point or an exponent) with 6 significant digits may differ by one unit
    in the last (``3.45935e-07``
    against ``3.45934e-07``): a value on a rounding boundary, which another processor's last
    bit moves across. Anything larger, or any other change, is a difference.
    """
    if got == want:
        return True
    if _NUMBER.sub("#", got) != _NUMBER.sub("#", want):
        return False
    for a, b in zip(_NUMBER.findall(got), _NUMBER.findall(want), strict=True):
        if a == b:
            continue
        mant_a = re.sub(r"[eE].*", "", a).lstrip("+-").replace(".", "").lstrip("0")
        mant_b = re.sub(r"[eE].*", "", b).lstrip("+-").replace(".", "").lstrip("0")
        floats = all(any(ch in t for ch in ".eE") for t in (a, b))  # never an integer
        if not floats or len(mant_a) != 6 or len(mant_b) != 6:
            return False
        x, y = float(a), float(b)
        unit = 10.0 ** (math.floor(math.log10(max(abs(x), abs(y)))) - 5)
        if abs(x - y) > 1.01 * unit:
            return False
    return True
