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
  apply (:class:`~theory.HypothesisFailed`);
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

from ._errors import HypothesisFailed, TheoryError
from .overlap import PAD

__all__ = [
    "CONV_KINDS",
    "applicability",
    "conv_indices",
    "coverage_upper_bound",
    "is_conv",
    "lemma_conv",
    "reduced_geometry",
]

CONV_KINDS = ("conv1d", "conv2d")


def is_conv(geometry: dict[str, Any] | None) -> bool:
    """Whether ``geometry`` describes a conv layer."""
    return geometry is not None and geometry.get("kind") in CONV_KINDS


def _axes(g: dict[str, Any]) -> list[tuple[int, int, int, int, int, int]]:
    """Per axis ``(size, kernel, stride, pad_lo, dilation, k_axis)``."""
    try:
        if g["kind"] == "conv1d":
            return [(g["length"], g["kernel"], g["stride"], g["pad_left"], g["dilation"], g["k"])]
        return [
            (g["height"], g["kernel_h"], g["stride_h"], g["pad_top"], g["dilation_h"], g["k_h"]),
            (g["width"], g["kernel_w"], g["stride_w"], g["pad_left"], g["dilation_w"], g["k_w"]),
        ]
    except KeyError as exc:
        raise TheoryError(
            f"conv geometry misses the key {exc.args[0]!r}; got keys {sorted(g)}. Pass the "
            "geometry of a conv PatchScheme."
        ) from None


def _pads(g: dict[str, Any]) -> tuple[int, ...]:
    keys = ("pad_left", "pad_right") if g["kind"] == "conv1d" else (
        "pad_top", "pad_bottom", "pad_left", "pad_right")  # fmt: skip
    return tuple(int(g[key]) for key in keys)


def conv_indices(geometry: dict[str, Any]) -> np.ndarray:
    """Return the ``(k, r)`` index array of a conv layer, from the definition (``-1``: padding).

    Patch ``i`` = output position (row-major), position ``(c, dy, dx)`` row-major reads input
    ``(c, y, x)`` with ``y = py S_h + dy D_h − pad_top`` (likewise ``x``), coordinate
    ``c H W + y W + x``, or the padding when ``y`` or ``x`` falls outside the image.
    """
    axes = _axes(geometry)
    c_n = int(geometry["channels"])
    if geometry["kind"] == "conv1d":
        axes = [(1, 1, 1, 0, 1, 1), *axes]  # a 1-row image
    (h, kh, sh, th, dh, nh), (w, kw, sw, tw, dw, nw) = axes
    rows = []
    for py in range(nh):
        for px in range(nw):
            row = []
            for c in range(c_n):
                for dy in range(kh):
                    for dx in range(kw):
                        y = py * sh + dy * dh - th
                        x = px * sw + dx * dw - tw
                        inside = 0 <= y < h and 0 <= x < w
                        row.append(c * h * w + y * w + x if inside else PAD)
            rows.append(row)
    return np.asarray(rows, dtype=np.int64)


def reduced_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    r"""Return the exact stride scheme with the same :math:`PP^\top` (``lem-conv-reduction``).

    Hypotheses: no padding, and the dilation divides the stride on every axis. Then each axis
    is the stride-:math:`S/D` scheme with :math:`k` patches of size :math:`K` on
    :math:`(k-1)S/D + K` sub-grid coordinates; channels give :math:`I_C \otimes` (same
    spectrum, ``lem-2d-kron``).

    Raises
    ------
    HypothesisFailed
        Padding (a zero row of :math:`P_i`: the lower spectral bounds do not apply), or a
        dilation that does not divide the stride (a different Toeplitz family).
    """
    pads = _pads(geometry)
    if any(pads):
        raise HypothesisFailed(
            f"lem-1d/lem-2d need P_i P_iᵀ = I_r, i.e. no zero padding; this layer pads "
            f"{'+'.join(map(str, pads))} zeros, so some rows of P_i are zero and the lower "
            "bound on λ_min does not apply (padding can make M singular: use check_scheme for "
            "the actual λ_min); the upper bound lem-conv-upper still holds (lem-conv-padded).",
            claim="lem-conv-padded",
        )
    out = []
    for _size, kernel, stride, _, dil, k in _axes(geometry):
        if stride % dil:
            raise HypothesisFailed(
                f"lem-conv-reduction needs the dilation to divide the stride; got dilation "
                f"{dil}, stride {stride}. Then PPᵀ is not a stride scheme's Toeplitz form and "
                "lem-1d/lem-2d do not apply: use check_scheme for the actual λ_min.",
                claim="lem-conv-reduction",
            )
        q = stride // dil
        out.append(((k - 1) * q + kernel, kernel, q, k))
    if geometry["kind"] == "conv1d":
        n, r, d, _ = out[0]
        return {"kind": "1d", "n": n, "r": r, "stride": d, "channels": geometry["channels"]}
    (h, ph, sh, _), (w, pw, sw, _) = out
    return {
        "kind": "2d-channels" if geometry["channels"] > 1 else "2d", "height": h, "width": w,
        "patch_h": ph, "patch_w": pw, "stride_h": sh, "stride_w": sw,
        "channels": geometry["channels"],
    }  # fmt: skip


def lemma_conv(geometry: dict[str, Any]) -> Any:
    """``lem-1d`` / ``lem-2d`` for a conv layer through ``lem-conv-reduction``.

    Returns the :class:`~theory.spectra.LemmaBounds` of the reduced stride scheme (its
    ``case`` says so); raises :class:`~theory.HypothesisFailed` naming the hypothesis that
    fails (padding, dilation not dividing the stride, or the lemma's own ``k >= ⌈r/d⌉``).
    """
    from dataclasses import replace

    from .spectra import lemma_1d, lemma_2d

    red = reduced_geometry(geometry)
    how = ", ".join(f"{key}={val}" for key, val in red.items() if key != "kind")
    try:
        return _lemma_reduced(red, how, lemma_1d, lemma_2d, replace)
    except HypothesisFailed as exc:
        raise HypothesisFailed(
            f"on the reduced stride scheme (lem-conv-reduction: {red['kind']} {how}): {exc}",
            claim=exc.claim,
        ) from None


def _lemma_reduced(red: dict[str, Any], how: str, lemma_1d: Any, lemma_2d: Any,
                   replace: Any) -> Any:  # fmt: skip
    if red["kind"] == "1d":
        lb = lemma_1d(red["n"], red["r"], red["stride"])
        c = red["channels"]
        extra = f"; C={c} channels: PPᵀ = I_C ⊗ (one channel), same spectrum" if c > 1 else ""
    else:
        keys = ("height", "width", "patch_h", "patch_w", "stride_h", "stride_w")
        lb = lemma_2d(*(red[key] for key in keys), channels=red["channels"])
        extra = ""
    return replace(lb, case=f"{lb.case} (lem-conv-reduction: {red['kind']} {how}{extra})")


def coverage_upper_bound(n: int, indices: Any) -> int:
    r"""Return the bound of ``lem-conv-upper`` on :math:`\lambda_{\max}(PP^\top)`.

    :math:`\lambda_{\max}(PP^\top) \le c_{\max} \cdot \max_a \#\{i: \text{position } a
    \text{ of } P_i \text{ reads a coordinate}\} \le c_{\max} k`:

    :math:`\lambda_{\max}(PP^\top) = \lambda_{\max}(P^\top P) \le \|P^\top\|_\infty \|P\|_\infty`,
    the largest column sum of :math:`P` (the coverage :math:`c_{\max}`) times the largest row sum
    (real reads of one filter position). Holds for every scheme, padded or not.
    """
    idx = np.asarray(indices, dtype=np.int64)
    real = idx[idx != PAD]
    cmax = int(np.bincount(real, minlength=n).max(initial=0))
    rmax = int((idx != PAD).sum(axis=0).max(initial=0))
    return cmax * rmax


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
    out.append(("lem-drift", True, "Lemma 1 for u = P_iᵀw, any vectors"))
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
