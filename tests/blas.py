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


#: OpenBLAS kernels (threadpoolctl's ``architecture``) taken to round as where results were
#: recorded bit for bit. Observed: an AMD EPYC (Zen 3) runs ``Haswell`` and reproduces every
#: recorded bit; the recordings of 35418b9 were first made on an Intel Xeon with AVX-512, whose
#: kernel name was not noted, so its family (``SkylakeX``, ``Cooperlake``, ``SapphireRapids``)
#: and ``Zen`` (OpenBLAS's Haswell-based kernel for AMD) are included on that evidence, not
#: tested one by one. OpenBLAS's generic kernel (``OPENBLAS_CORETYPE=Prescott``, reported as
#: ``Katmai``) rounds otherwise. A kernel outside the set gets the tolerant comparison.
RECORDING_KERNELS = frozenset({"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"})


def blas_kernel() -> str | None:
    """The BLAS numpy uses and its kernel, e.g. ``"openblas:Haswell"`` (None if unknown)."""
    import numpy  # noqa: F401  (threadpoolctl lists the libraries loaded)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - scikit-learn's dependency, in the test extra
        return None
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            return f"{lib.get('internal_api')}:{lib.get('architecture')}"
    return None  # pragma: no cover - a numpy without a BLAS threadpoolctl knows


def blas_as_recorded() -> bool:
    """Whether numpy's BLAS/LAPACK rounds as where the recorded bits were computed."""
    kernel = blas_kernel()
    return (
        kernel is not None
        and kernel.startswith("openblas:")
        and (kernel.split(":", 1)[1] in RECORDING_KERNELS)
    )
