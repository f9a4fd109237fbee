"""Heat maps of the theorem's tightness (T / median iterations to ε) over a sweep's grid."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import save_figure

__all__ = ["tightness_figures"]

#: At most this many figures (one per combination of the axes not on the map).
MAX_FIGURES = 12


def _varying(rows: list[dict[str, Any]], axes: list[str]) -> list[str]:
    return [a for a in axes if len({str(r[a]) for r in rows}) > 1]


def tightness_figures(rows: list[dict[str, Any]], axes: list[str], out: Path) -> list[Path]:
    """One PNG heat map per combination of the other varying axes; grey: no value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Patch

    varying = _varying(rows, axes)
    if not rows:
        return []
    ya = varying[0] if varying else axes[0]
    xa = varying[1] if len(varying) > 1 else "alpha"
    rest = [a for a in varying[2:]]
    ys = list(dict.fromkeys(str(r[ya]) for r in rows))
    xs = list(dict.fromkeys(str(r[xa]) for r in rows))
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(str(r[a]) for a in rest), []).append(r)
    written = []
    for gi, (gkey, grows) in enumerate(itertools.islice(groups.items(), MAX_FIGURES)):
        Z = np.full((len(ys), len(xs)), np.nan)
        for r in grows:
            v = r.get("tightness")
            if isinstance(v, int | float) and math.isfinite(v):
                Z[ys.index(str(r[ya])), xs.index(str(r[xa]))] = v
        fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(xs), 1.4 + 0.55 * len(ys)))
        cmap = plt.get_cmap("viridis").with_extremes(bad="#bbbbbb")
        finite = Z[np.isfinite(Z)]
        norm = (
            LogNorm(vmin=max(finite.min(), 1e-3), vmax=max(finite.max(), 1.0))
            if finite.size
            else None
        )
        im = ax.imshow(np.ma.masked_invalid(Z), cmap=cmap, norm=norm, aspect="auto")
        for (i, j), v in np.ndenumerate(Z):
            if math.isfinite(v):
                light = norm is not None and float(norm(v)) > 0.6
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="k" if light else "w")  # fmt: skip
        ax.set_xticks(range(len(xs)), xs, rotation=30, ha="right")
        ax.set_yticks(range(len(ys)), ys)
        ax.set_xlabel(xa)
        ax.set_ylabel(ya)
        title = "T / median iterations to ε"
        if gkey:
            title += "\n" + ", ".join(f"{a}={v}" for a, v in zip(rest, gkey, strict=True))
        ax.set_title(title, fontsize=9)
        if finite.size:
            fig.colorbar(im, ax=ax, label="tightness (log scale)")
        if np.isnan(Z).any():
            ax.legend(
                handles=[Patch(color="#bbbbbb", label="not run / never reached ε")],
                loc="upper center",
                bbox_to_anchor=(0.5, -0.35),
                fontsize=7,
                frameon=False,
            )
        fig.tight_layout()
        written.append(save_figure(fig, out / f"fig-tightness-{gi:02d}.png"))
    return written
