"""Plotting helpers shared by the experiment runners (matplotlib, no pyplot state).

Figures are built with :class:`matplotlib.figure.Figure` directly (no global pyplot
state, no display needed) and written atomically with :func:`convotron._io.save_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import save_figure

__all__ = ["annotated_heatmap", "new_figure", "panel_grid", "save", "semilogy_curve"]


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (5.0, 3.6)) -> Any:
    """Return ``(fig, axes)`` with ``axes`` a 2D array of shape ``(nrows, ncols)``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    return fig, axes


def panel_grid(count: int, *, size: tuple[float, float]) -> Any:
    """Return ``(fig, axes)`` with ``count`` panels, at most 3 a row; the spare ones hidden."""
    ncols = min(3, count)
    fig, axes = new_figure(math.ceil(count / ncols), ncols, size=size)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes


def save(fig: Any, out: Path, name: str) -> Path:
    """Write ``fig`` as ``out/name`` (PNG, atomic) and return the path."""
    return save_figure(fig, Path(out) / name)


def annotated_heatmap(
    ax: Any,
    values: Sequence[Sequence[float | None]],
    *,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str,
    log10: bool = True,
    missing: str = "div",
    cbar_label: str = "",
) -> None:
    """Draw a heat map with each cell annotated; ``None`` cells are grey and say ``missing``.

    Parameters
    ----------
    values : 2D sequence
        Cell values; ``None`` marks a missing value (diverged run, never reached ε).
    log10 : bool
        Colour by ``log10(value)`` (values <= 0 are clipped to 1e-16 for the colour only).
    """
    arr = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in values], dtype=float
    )
    shown = np.log10(np.clip(arr, 1e-16, None)) if log10 else arr
    masked = np.ma.masked_invalid(shown)
    cmap = _cmap()
    im = ax.imshow(masked, cmap=cmap, aspect="auto")
    ax.figure.colorbar(im, ax=ax, label=cbar_label, shrink=0.85)
    ax.set_xticks(range(len(col_labels)), labels=list(col_labels), rotation=30, fontsize=8)
    ax.set_yticks(range(len(row_labels)), labels=list(row_labels), fontsize=8)
    ax.set_title(title, fontsize=9)
    for i in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            v = arr[i, j]
            text = missing if math.isnan(v) else f"{v:.2g}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=_label_colour(im, i, j))


def _label_colour(im: Any, i: int, j: int) -> str:
    """Black on light cells, white on dark ones.

    The switch is at WCAG relative luminance 0.179, where black and white have the same
    contrast ratio with the cell (about 4.58), so every label keeps a ratio of at least that.
    """
    value = im.get_array()[i, j]
    if np.ma.is_masked(value):
        return "black"  # the light grey of a missing cell
    rgb = im.cmap(im.norm(value))[:3]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "black" if lum > 0.179 else "white"


def semilogy_curve(
    ax: Any, t: Any, values: Any, *, label: str | None, floor: float = 1e-16, **kwargs: Any
) -> None:
    """Plot ``values`` against ``t`` on a log y-axis, dropping non-positive values.

    Values below ``floor`` (float round-off once converged) are drawn at ``floor``.
    """
    t = np.asarray(t, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v) & (v > 0)
    ax.semilogy(t[keep], np.maximum(v[keep], floor), label=label, **kwargs)
    ax.set_ylim(bottom=floor)


def _cmap() -> Any:
    from matplotlib import colormaps

    return colormaps["viridis"].with_extremes(bad="lightgrey")
