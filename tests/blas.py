"""Run a snippet in a child process under another OpenBLAS kernel (``OPENBLAS_CORETYPE``).

OpenBLAS picks its kernels by processor (AVX-512, AVX2, ...); ``OPENBLAS_CORETYPE=Prescott``
forces the generic one, whose sums round differently. A result that must be the same on every
processor is computed under both and compared (``tests/integration/test_directions.py``,
``tests/convotron/test_ordered.py``). The snippet prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def run_under(code: str, coretype: str | None) -> dict[str, Any]:
    """Run ``code`` in ``python -c`` with ``OPENBLAS_CORETYPE=coretype`` (None: the default)."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype is not None:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))
