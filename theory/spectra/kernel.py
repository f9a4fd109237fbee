r"""Kernel direction: when :math:`\lambda_{\min}(M) = 0`, a filter :math:`u` with :math:`Mu = 0`.

Part of :mod:`theory.spectra`: :func:`kernel_direction` returns the direction the data cannot
identify, an exact integer witness when a simple cause is found, and the reason in words.
Never imports :mod:`convotron`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..overlap import as_indices
from .certificate import EXACT_MAX_R, certify_positive_definite
from .numeric import _cov_kind, _overlap_from

__all__ = ["KernelDirection", "kernel_direction"]


@dataclass(frozen=True)
class KernelDirection:
    r"""A filter direction the data cannot identify: :math:`Mu = 0` (or :math:`\approx 0`).

    Attributes
    ----------
    w : numpy.ndarray, shape (r,)
        Unit vector with :math:`\|Mw\|` tiny.
    eigenvalue : float
        :math:`w^\top M w`.
    residual : float
        :math:`\|Mw\|` in floating point.
    exact : tuple of int or None
        An integer vector :math:`u \parallel w` with :math:`Mu = 0` exactly, when found.
    explanation : str
        Why, in words.
    """

    w: np.ndarray
    eigenvalue: float
    residual: float
    exact: tuple[int, ...] | None
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "w": [float(v) for v in self.w],
            "eigenvalue": self.eigenvalue,
            "residual": self.residual,
            "exact": list(self.exact) if self.exact is not None else None,
            "explanation": self.explanation,
        }


_WHY = (
    "Every Convotron update G_t = (y - f)·Px is orthogonal to u, because uᵀPx = (Pᵀu)ᵀx has "
    "variance uᵀMu = 0, so it is 0 for every input; starting from w_1 = 0 the iterates never "
    "move along u, and the component of w* along u is never learned (thm-convotron needs "
    "λ_min(M) > 0)."
)


def _integer_vector(r: int, entries: dict[int, int]) -> tuple[int, ...]:
    """Return the integer r-vector with these nonzero entries (``e_a``, ``e_a - e_b``)."""
    return tuple(entries.get(j, 0) for j in range(r))


def _duplicate_positions(idx: np.ndarray) -> tuple[int, int] | None:
    """Two filter positions that read the same multiset of coordinates, if any."""
    seen: dict[bytes, int] = {}
    for a in range(idx.shape[1]):
        col = idx[:, a]
        key = np.sort(col[col >= 0]).tobytes()  # a padded read (-1) contributes nothing
        if key in seen:
            return seen[key], a
        seen[key] = a
    return None


def kernel_direction(
    n: int, indices: Any, cov: Any = "identity", *, M: np.ndarray | None = None
) -> KernelDirection:
    r"""Find the filter direction of smallest :math:`w^\top M w`, with an explanation in words.

    Returns the unit eigenvector of :math:`\lambda_{\min}(M)`; call it when the condition fails
    (:math:`\lambda_{\min}(M) = 0`). An exact integer kernel vector is attached when a simple
    cause is found:

    * two filter positions :math:`a \ne b` read the same coordinates equally often (the same
      multiset over the patches): rows :math:`a, b` of :math:`P` are equal, so
      :math:`(Px)_a = (Px)_b` for every input and :math:`u = e_a - e_b` has :math:`P^\top u = 0`;
    * (diagonal :math:`\Sigma`) a position :math:`a` reads only coordinates of zero variance:
      :math:`u = e_a`;
    * otherwise, when :math:`M` is integer (:math:`\Sigma = I`) and :math:`r \le` ``EXACT_MAX_R``,
      the witness of the exact :math:`LDL^\top` certificate.

    Parameters
    ----------
    n, indices, cov : as in :func:`overlap_numeric`
    M : numpy.ndarray, optional
        The overlap matrix if already computed.
    """
    idx = as_indices(n, indices)
    kind, payload = _cov_kind(n, cov)
    Mf = np.asarray(_overlap_from(idx, n, kind, payload) if M is None else M, dtype=float)
    vals, vecs = np.linalg.eigh(Mf)
    w = vecs[:, 0]
    w = w * (1.0 if w[np.argmax(np.abs(w))] > 0 else -1.0)
    r = idx.shape[1]
    exact: tuple[int, ...] | None = None
    explanation = ""
    dup = _duplicate_positions(idx)
    pad_only = [a for a in range(r) if not np.any(idx[:, a] >= 0)]
    if pad_only:  # conv padding: the position reads a padded zero in every patch
        a = pad_only[0]
        exact = _integer_vector(r, {a: 1})
        explanation = (
            f"filter position {a} reads a zero of the padding in every one of the "
            f"{idx.shape[0]} patches (row {a} of P is zero), so the data never shows w_{a}: "
            f"u = e_{a} has Pᵀu = 0. "
        )
    elif dup is not None:
        a, b = dup
        exact = _integer_vector(r, {a: 1, b: -1})
        explanation = (
            f"filter positions {a} and {b} read exactly the same input coordinates, each as "
            f"often (the same multiset over the {idx.shape[0]} patches), so (Px)_{a} = (Px)_{b} "
            f"for every input and no data can tell w_{a} from w_{b}: u = e_{a} - e_{b} has "
            "Pᵀu = 0. "
        )
    elif kind == "diag":
        zero = np.asarray([float(v) == 0 for v in payload])
        for a in range(r):
            if np.all(zero[idx[:, a]]):
                exact = _integer_vector(r, {a: 1})
                explanation = (
                    f"filter position {a} reads only input coordinates of zero variance "
                    f"({sorted(set(idx[:, a].tolist()))[:8]}...), so the data never shows w_{a}: "
                    f"u = e_{a}. "
                )
                break
    if exact is None and kind == "identity" and r <= EXACT_MAX_R:
        cert = certify_positive_definite(np.asarray(Mf.round(), dtype=np.int64))
        if not cert.holds and cert.quadratic_form == 0:
            exact = cert.kernel_direction
            support = [a for a, v in enumerate(exact or ()) if v]
            explanation = (
                f"the rows of P for filter positions {support} are linearly dependent: "
                f"Σ_a u_a P[a, j] = 0 at every input coordinate j with the integer u = "
                f"{list(exact or ())} (from the exact LDLᵀ elimination), i.e. Pᵀu = 0. "
            )
    if exact is not None:
        ue = np.asarray(exact, dtype=float)
        w = ue / np.linalg.norm(ue)
    if not explanation:
        support = [a for a in range(r) if abs(w[a]) > 1e-8]
        explanation = (
            f"uᵀMu ≈ {vals[0]:.3g} for the unit filter u supported on positions {support}: "
            "Σ^{1/2}Pᵀu ≈ 0, the positions' reads cancel at every input coordinate. "
        )
    return KernelDirection(
        w=w,
        eigenvalue=float(w @ Mf @ w),
        residual=float(np.linalg.norm(Mf @ w)),
        exact=exact,
        explanation=explanation + _WHY,
    )
