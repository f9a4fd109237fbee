"""Size limits of the numerical core, checked before anything is allocated.

A patch scheme stores its ``(k, r)`` index array densely, so ``k * r`` bounds its memory
(8 bytes an entry: :data:`MAX_INDEX_ENTRIES` entries are 256 MiB). Constructors check the
product from the parameters alone (:func:`check_index_entries`), before building any array.
"""

from __future__ import annotations

from ._errors import ConvotronError

__all__ = ["MAX_DENSE_ENTRIES", "MAX_INDEX_ENTRIES", "check_index_entries"]

#: Largest ``k * r`` accepted for a scheme (the index array is stored densely).
MAX_INDEX_ENTRIES = 1 << 25
#: Largest number of entries of a dense array returned by ``P()`` / ``patch_matrices()``.
MAX_DENSE_ENTRIES = 1 << 26


def check_index_entries(k: int, r: int) -> None:
    """Refuse a scheme of ``k`` patches of ``r`` coordinates above :data:`MAX_INDEX_ENTRIES`."""
    if k * r > MAX_INDEX_ENTRIES:
        raise ConvotronError(
            f"a scheme is limited to k*r <= {MAX_INDEX_ENTRIES} index entries; got k={k}, "
            f"r={r}, k*r={k * r}. Use fewer or smaller patches."
        )
