r"""Conv-layer geometry for the theory half: index arrays and the reduced stride scheme.

The low-level half of :mod:`convotron_theory.conv` (which re-exports every name here): the index
arrays of a conv layer rebuilt from the definition, the reduced stride scheme of
``lem-conv-reduction`` and the ``lem-conv-upper`` bound. Imports nothing of
:mod:`convotron_theory.spectra`, so that :mod:`convotron_theory.spectra.check` and
:mod:`convotron_theory.spectra.lemmas`
can use it without an import cycle (``convotron_theory.conv`` itself imports
:mod:`convotron_theory.spectra`).
Never imports :mod:`convotron`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import HypothesisFailed, TheoryError
from .overlap import PAD

__all__ = [
    "CONV_KINDS",
    "conv_indices",
    "coverage_upper_bound",
    "is_conv",
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
