r"""Teacher directions and check points: an extreme eigenvector, the same on every processor.

``verify``, ``sweep`` and the experiments put the teacher ``w*`` (and ``verify``'s lemma checks
their points) along the eigenvector of a symmetric matrix ``Q`` (``M = PΣPᵀ``, ``P_jΣPᵀ``, the
exact ``K``) with the smallest or the largest eigenvalue. ``numpy.linalg.eigh`` returns *an*
eigenvector: its sign is arbitrary, and when the eigenvalue is repeated (``M`` of ``1d:64,8,2``
has every eigenvalue twice, ``λ_min = 2 − √2`` among them) any unit vector of a whole eigenspace,
which LAPACK picks by an order of operations that depends on the BLAS kernels of the processor.
Taken as it came, the hardest direction of ``1d:64,8,2`` differed between an Intel Xeon
(AVX-512 kernels) and an AMD EPYC (AVX2), and so did ``verify --full``'s row of that case
(``T``/median 2.99 against 3.01, the detectable error of ``a`` 7.5 % against 11 %); on one
machine, ``OPENBLAS_CORETYPE=Prescott`` moves its first entry from 0.02847 to 0.02387.

:func:`eigen_direction` fixes the choice, and the result depends only on ``Q`` (to rounding):

* a simple eigenvalue: its eigenvector, with its largest entry (by magnitude, the first of
  those equal to :data:`SIGN_RTOL`) positive;
* a repeated one (eigenvalues within :data:`CLUSTER_RTOL` ``· max|λ|`` of the extreme, a
  cluster of ``m``): the orthogonal projection ``Π e_j`` of the coordinate vector ``e_j`` onto
  the eigenspace, for the ``j`` with the largest ``‖Π e_j‖² = Π_jj`` (the first ``j`` within
  :data:`CLUSTER_RTOL` of the largest), normalised, its largest entry positive. ``Π = V Vᵀ``
  for any orthonormal basis ``V`` of the eigenspace (``V R`` with ``R`` orthogonal gives the
  same ``Π``), so LAPACK's choice of basis drops out. Any unit vector of the eigenspace is
  equally hard for the mean drift (``a`` is the same), so the choice is a convention, stated
  once here.

With a metric ``B`` (the preconditioned theorem's ``H⁻¹``), the generalised problem
``Q v = λ B v``: ``V`` is ``B``-orthonormal, ``V Vᵀ`` again does not depend on the basis, and the
vector is normalised in the Euclidean norm as the callers use it.

The eigenvector of a simple eigenvalue is returned as LAPACK gives it (bit for bit, sign
aside), so results for such matrices are unchanged; across processors it agrees to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "CLUSTER_RTOL",
    "SIGN_RTOL",
    "canonical_vector",
    "eigen_direction",
    "extreme_directions",
    "signed",
]

#: Eigenvalues within ``CLUSTER_RTOL · max|λ|`` of the extreme one count as the same eigenvalue
#: (LAPACK computes a repeated eigenvalue to within a few ``ε · ‖Q‖``, ``ε = 2.2e-16``; farther
#: apart, the eigenvectors are determined to better than ``ε ‖Q‖ / gap`` ≈ 10⁻⁴).
CLUSTER_RTOL = 1e-12


#: Entries within ``SIGN_RTOL · max|v|`` of the largest magnitude count as equally large when
#: :func:`signed` picks the entry to make positive (a symmetric scheme often has two, equal but
#: for rounding, that a processor's rounding would otherwise choose between).
SIGN_RTOL = 1e-9


def signed(v: np.ndarray) -> np.ndarray:
    """``v`` with its largest entry positive: by magnitude, the first within :data:`SIGN_RTOL`."""
    mag = np.abs(v)
    j = int(np.flatnonzero(mag >= float(mag.max()) * (1.0 - SIGN_RTOL))[0])
    return v if v[j] >= 0 else -v


def eigen_direction(Q: Any, end: str, metric: Any = None) -> np.ndarray:
    """Return the unit eigenvector of the symmetric ``Q`` at its smallest or largest eigenvalue.

    Parameters
    ----------
    Q : array_like, shape (r, r)
        A symmetric matrix (symmetrised as ``(Q + Qᵀ)/2``).
    end : {"min", "max"}
        The smallest or the largest eigenvalue.
    metric : array_like, shape (r, r), optional
        A symmetric positive definite ``B``: the generalised problem ``Q v = λ B v``.

    Returns
    -------
    numpy.ndarray
        The canonical unit vector of the module docstring (Euclidean norm 1, largest entry
        positive): LAPACK's eigenvector for a simple eigenvalue, ``Π e_j / ‖Π e_j‖`` for a
        repeated one.
    """
    if end not in ("min", "max"):
        raise ValueError(f"end must be 'min' or 'max'; got {end!r}")
    vals, vecs = _decomposed(Q, metric)
    return _direction(vals, vecs, 0 if end == "min" else len(vals) - 1, metric is not None)


def extreme_directions(Q: Any, metric: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """``(eigen_direction(Q, "min"), eigen_direction(Q, "max"))`` from one decomposition."""
    vals, vecs = _decomposed(Q, metric)
    general = metric is not None
    return _direction(vals, vecs, 0, general), _direction(vals, vecs, len(vals) - 1, general)


def _decomposed(Q: Any, metric: Any) -> tuple[np.ndarray, np.ndarray]:
    S = np.asarray(Q, dtype=np.float64)
    S = (S + S.T) / 2
    if metric is None:
        vals, vecs = np.linalg.eigh(S)
        return vals, vecs
    import scipy.linalg as sla

    vals, vecs = sla.eigh(S, np.asarray(metric, dtype=np.float64))
    return vals, vecs


def _direction(vals: np.ndarray, vecs: np.ndarray, j: int, general: bool) -> np.ndarray:
    """Return the canonical vector at eigenvalue ``j`` of a decomposition (module docstring)."""
    tol = CLUSTER_RTOL * float(np.max(np.abs(vals)))
    cluster = np.flatnonzero(np.abs(vals - vals[j]) <= tol)
    if len(cluster) == 1:
        v = vecs[:, j]
        if general:
            v = v / np.linalg.norm(v)
        return signed(v)
    return signed(canonical_vector(vecs[:, cluster]))


def canonical_vector(V: np.ndarray) -> np.ndarray:
    """Return ``Π e_j / ‖Π e_j‖`` for the eigenspace spanned by the columns of ``V``.

    ``Π = V Vᵀ`` (the same for every orthonormal, or ``B``-orthonormal, basis of the space);
    ``j`` the first index whose ``Π_jj`` is within :data:`CLUSTER_RTOL` of the largest. Only
    column ``j`` of ``Π`` is formed (``O(r m)`` for a space of dimension ``m``).
    """
    V = np.asarray(V, dtype=np.float64)
    diag = np.einsum("ij,ij->i", V, V)  # Π_jj = ‖row j of V‖²
    top = float(diag.max())
    jj = int(np.flatnonzero(diag >= top * (1.0 - CLUSTER_RTOL))[0])
    v = V @ V[jj]
    return np.asarray(v / np.linalg.norm(v))
