r"""Kernel direction: when :math:`\lambda_{\min}(M) = 0`, a filter :math:`u` with :math:`Mu = 0`.

Part of :mod:`convotron_theory.spectra`: :func:`kernel_direction` returns the direction the data
cannot
identify, an exact integer witness when a simple cause is found, and the reason in words.
Never imports :mod:`convotron`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import TheoryError
from ..overlap import as_indices, to_exact
from .certificate import EXACT_MAX_R, certify_positive_definite
from .numeric import _cov_kind, _overlap_from

__all__ = ["KernelDirection", "exact_kernel_witness", "kernel_direction"]


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
        An integer vector :math:`u \parallel w` with :math:`Mu = 0` exactly, when found and
        verified in integer arithmetic (:func:`exact_kernel_witness`).
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


def _annihilated(idx: np.ndarray, n: int, u: tuple[int, ...]) -> np.ndarray:
    r"""Return the integer vector :math:`P^\top u` (``P = Σ_i P_i``; padded reads add nothing)."""
    k, r = idx.shape
    big = max((abs(int(x)) for x in u), default=0) * k * r >= 2**62
    v: Any = np.zeros(n, dtype=object if big else np.int64)
    for a, ua in enumerate(u):
        if ua:
            counts = np.bincount(idx[:, a] + 1, minlength=n + 1)[1:]  # -1 (padding) drops
            v = v + (counts.astype(object) * int(ua) if big else counts * int(ua))
    return np.asarray(v)


def _exact_zero_variance(v: Any) -> bool:
    """Whether a variance is exactly 0 in both readings of a float (binary and decimal)."""
    try:
        e, _ = to_exact(v, "d")
    except TheoryError:
        return False
    return bool(e == 0) and float(v) == 0.0


def _verified(idx: np.ndarray, n: int, kind: str, payload: Any, u: tuple[int, ...]) -> bool:
    r"""Whether :math:`u^\top M u = 0` exactly, for every reading of Σ's parameters.

    :math:`u^\top M u = v^\top\Sigma v` with the integer :math:`v = P^\top u`: zero when
    :math:`v = 0` (any Σ), or, for a diagonal Σ, when :math:`v` is supported on coordinates
    of exactly zero variance. Integer arithmetic only.
    """
    if not any(u):
        return False
    v = _annihilated(idx, n, u)
    support = np.flatnonzero(v)
    if support.size == 0:
        return True
    if kind == "diag":
        return all(_exact_zero_variance(payload[j]) for j in support.tolist())
    return False


def exact_kernel_witness(
    n: int, indices: Any, cov: Any = "identity"
) -> tuple[tuple[int, ...], str] | None:
    r"""Find an integer :math:`u \ne 0` with :math:`u^\top M u = 0` *exactly*, and say why.

    A proof that :math:`\lambda_{\min}(M) = 0` (``M = PΣPᵀ ⪰ 0``), found from the scheme's
    integer structure and verified in integer arithmetic (:math:`P^\top u = 0`, or supported
    on coordinates of zero variance), so it holds for every reading of a float parameter:

    * a filter position reads a padded zero in every patch (row of :math:`P` zero): :math:`e_a`;
    * two positions read the same multiset of coordinates: :math:`e_a - e_b`;
    * (diagonal Σ) a position reads only coordinates of zero variance: :math:`e_a`;
    * else, for :math:`r \le` ``EXACT_MAX_R``, the witness of the exact :math:`LDL^\top` of
      the integer :math:`PP^\top` (any Σ): :math:`PP^\top u = 0` means :math:`P^\top u = 0`,
      hence :math:`Mu = 0`.

    None when no such vector is found (which proves nothing).
    """
    idx = as_indices(n, indices)
    kind, payload = _cov_kind(n, cov)
    r = idx.shape[1]
    candidates: list[tuple[tuple[int, ...], str]] = []
    pad_only = [a for a in range(r) if not np.any(idx[:, a] >= 0)]
    if pad_only:  # conv padding: the position reads a padded zero in every patch
        a = pad_only[0]
        candidates.append(
            (
                _integer_vector(r, {a: 1}),
                f"filter position {a} reads a zero of the padding in every one of the "
                f"{idx.shape[0]} patches (row {a} of P is zero), so the data never shows w_{a}: "
                f"u = e_{a} has Pᵀu = 0. ",
            )
        )
    dup = _duplicate_positions(idx)
    if dup is not None:
        a, b = dup
        candidates.append(
            (
                _integer_vector(r, {a: 1, b: -1}),
                f"filter positions {a} and {b} read exactly the same input coordinates, each as "
                f"often (the same multiset over the {idx.shape[0]} patches), so "
                f"(Px)_{a} = (Px)_{b} for every input and no data can tell w_{a} from w_{b}: "
                f"u = e_{a} - e_{b} has Pᵀu = 0. ",
            )
        )
    if kind == "diag":
        for a in range(r):
            reads = idx[:, a][idx[:, a] >= 0]
            if all(_exact_zero_variance(payload[j]) for j in reads.tolist()):
                candidates.append(
                    (
                        _integer_vector(r, {a: 1}),
                        f"filter position {a} reads only input coordinates of zero variance "
                        f"({sorted(set(reads.tolist()))[:8]}...), so the data never shows w_{a}: "
                        f"u = e_{a}. ",
                    )
                )
                break
    for u, why in candidates:
        if _verified(idx, n, kind, payload, u):
            return u, why
    if r <= EXACT_MAX_R:
        ppt = np.rint(np.asarray(_overlap_from(idx, n, "identity", None), dtype=float))
        cert = certify_positive_definite(ppt.astype(np.int64))
        if not cert.holds and cert.quadratic_form == 0 and cert.kernel_direction is not None:
            u = tuple(int(v) for v in cert.kernel_direction)
            if _verified(idx, n, kind, payload, u):
                support = [a for a, v in enumerate(u) if v]
                return u, (
                    f"the rows of P for filter positions {support} are linearly dependent: "
                    f"Σ_a u_a P[a, j] = 0 at every input coordinate j with the integer u = "
                    f"{list(u)} (from the exact LDLᵀ elimination of PPᵀ), i.e. Pᵀu = 0. "
                )
    return None


def kernel_direction(
    n: int, indices: Any, cov: Any = "identity", *, M: np.ndarray | None = None
) -> KernelDirection:
    r"""Find the filter direction of smallest :math:`w^\top M w`, with an explanation in words.

    Returns the unit eigenvector of :math:`\lambda_{\min}(M)`; call it when the condition fails
    (:math:`\lambda_{\min}(M) = 0`). An exact integer kernel vector is attached when
    :func:`exact_kernel_witness` finds one (verified: :math:`u^\top M u = 0` exactly); the
    floating-point eigenvector alone proves nothing.

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
    found = exact_kernel_witness(n, idx, cov)
    if found is not None:
        exact, explanation = found
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
