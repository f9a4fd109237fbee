r"""Conv layers (padding, dilation, floor): which lemmas still hold, and why [derived].

A conv layer (``convotron``'s ``conv1d:`` / ``conv2d:`` specs, the frameworks' semantics)
differs from the paper's patch-and-stride scheme in three ways, each handled here:

* **floor** (``n − r`` not a multiple of the stride): the last coordinates are read by no
  patch; they are zero columns of :math:`P`, so :math:`M` is that of the exact scheme on the
  first :math:`(k-1)S + D(K-1) + 1` coordinates (``lem-conv-reduction``);
* **dilation** :math:`D` dividing the stride :math:`S`: every read coordinate is
  ``c L + D j``; on that sub-grid patch :math:`i` reads ``D (i S/D + a)``, the stride-:math:`S/D`
  scheme, so ``lem-1d`` / ``lem-2d`` apply to it (``lem-conv-reduction``). With
  :math:`D \nmid S` the index structure is a different Toeplitz family and the lemmas do not
  apply (:class:`~convotron_theory.HypothesisFailed`);
* **zero padding**: a padded read is a zero row of :math:`P_i`, :math:`P_iP_i^\top \preceq I`.
  The padded layer is the unpadded one on :math:`\tilde x = Ex` (``E`` the zero-embedding),
  :math:`M = \tilde P E\Sigma E^\top \tilde P^\top`, and :math:`E\Sigma E^\top` is singular,
  so the *lower* spectral bounds do not apply (padding can make :math:`M` singular); the upper
  bound :math:`\lambda_{\max}(PP^\top) \le c_{\max} k` (``lem-conv-upper``, any scheme) and
  everything that used only :math:`P_iP_i^\top \preceq I` (β, ρ, L1–L5, the theorem) still
  hold (``lem-conv-padded``, ``book/conv.md``).

Geometries are the dicts of ``PatchScheme.geometry`` with ``kind`` ``"conv1d"`` or
``"conv2d"``. The index arrays are rebuilt here from the definition (independently of
``convotron``, which this module never imports).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._conv_geometry import (
    CONV_KINDS,
    _pads,
    conv_indices,
    coverage_upper_bound,
    is_conv,
    reduced_geometry,
)
from ._errors import HypothesisFailed
from .claims import display_name
from .overlap import PAD
from .spectra.lemmas import lemma_conv

__all__ = [
    "CONV_KINDS",
    "applicability",
    "conv_indices",
    "coverage_upper_bound",
    "is_conv",
    "lemma_conv",
    "reduced_geometry",
]


def applicability(geometry: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """Which results apply to this conv layer: ``(label, applies, one-line reason)``.

    What ``convotron check`` / ``bounds`` print per scheme (``book/conv.md`` has the proofs).
    """
    padded = any(_pads(geometry))
    out: list[tuple[str, bool, str]] = []
    try:
        lb = lemma_conv(geometry)
        out.append((lb.claim, True, lb.case))
    except HypothesisFailed as exc:
        out.append(("lem-1d" if geometry["kind"] == "conv1d" else "lem-2d", False, str(exc)))
    idx = conv_indices(geometry)
    bound = coverage_upper_bound(int(idx.max(initial=0)) + 1, idx)
    out.append(("lem-conv-upper", True, f"λ_max(PPᵀ) ≤ c_max · ϱ_max = {bound} (any scheme)"))
    why = "only uses P_i P_iᵀ ⪯ I" if padded else "P_i P_iᵀ = I (no padding)"
    out.append(("lem-beta", True, f"all β forms hold: {why}"))
    out.append(("lem-second-moment", True, "no property of P_i used beyond linearity"))
    out.append(("lem-drift", True, f"{display_name('lem-symmetric')} for u = P_iᵀw, any vectors"))
    tr = "tr(PPᵀ) = rk" if not padded else "tr(PPᵀ) < rk: a padded read drops from diag(PPᵀ)"
    out.append(("tr M = rk", not padded, tr))
    real = idx[idx != PAD]
    cover = np.bincount(real, minlength=int(real.max(initial=-1)) + 1)
    ok = [i for i in range(idx.shape[0]) if (idx[i] != PAD).all() and (cover[idx[i]] == 1).all()]
    shown = ", ".join(map(str, ok[:8])) + (", ..." if len(ok) > 8 else "")
    out.append((
        "thm-disjoint", bool(ok),
        f"for the padding-free patches disjoint from all others: [{shown}]" if ok else
        "no patch is both padding-free (P_1 P_1ᵀ = I) and disjoint from the others",
    ))  # fmt: skip
    return out


def applicability_report(geometry: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    """``({"lemmas_apply": [...]}, text)`` for ``check``/``bounds``; ``({}, "")`` if not conv."""
    if not is_conv(geometry):
        return {}, ""
    assert geometry is not None
    rows = applicability(geometry)
    data = [{"claim": c, "applies": ok, "reason": why} for c, ok, why in rows]
    text = "\n".join(
        ["conv layer: which results apply (book/conv.md, lem-conv-padded):"]
        + [f"  {c}: {'applies' if ok else 'does not apply'} ({why})" for c, ok, why in rows]
    )
    return {"lemmas_apply": data}, text
