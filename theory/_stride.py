r"""The patch-and-stride schemes: their index arrays and the closed forms of :math:`PP^\top`.

Part of :mod:`convotron_theory.overlap`, which states the conventions and the closed forms
(``lem-1d-structure``, ``lem-2d-kron``) in its docstring and re-exports every name here;
``tests/theory/test_overlap.py`` checks the closed forms against the definition. Never
imports :mod:`convotron`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._errors import TheoryError, check_positive_int

_p, _q = sp.symbols("p q", integer=True, nonnegative=True)


def toeplitz_block(m: int | sp.Expr, k: int | sp.Expr) -> sp.MatrixBase:
    r"""Build the Toeplitz block :math:`A_m(k) = [(k - |p-q|)_+]_{p,q=1}^m` [derived, §5].

    A finite section of the Fejér kernel; the blocks of :math:`PP^\top` in 1D
    (``lem-1d-structure``). For :math:`k \ge m` every entry is positive and
    :math:`A_m(k) = (k-m)\mathbf{1}\mathbf{1}^\top + A_m(m)` (used by ``lem-1d``).

    Parameters
    ----------
    m : int or sympy integer symbol
        Block size. A concrete int gives an explicit ``sympy.Matrix``; a symbolic ``m`` gives
        a ``sympy.FunctionMatrix`` (entries as a function of 0-based :math:`p, q`).
    k : int or sympy expression
        Number of patches; may be symbolic (entries ``Max(0, k - |p-q|)``, which sympy
        simplifies to ``k - |p-q|`` whenever the assumptions on ``k`` decide the sign).

    Returns
    -------
    sympy.Matrix or sympy.FunctionMatrix

    Examples
    --------
    >>> toeplitz_block(3, 2)
    Matrix([
    [2, 1, 0],
    [1, 2, 1],
    [0, 1, 2]])
    """
    kk = sp.sympify(k)
    if isinstance(m, sp.Basic) and not m.is_Integer:
        if m.is_integer is False or m.is_positive is False:
            raise TheoryError(
                f"toeplitz_block needs a positive integer size m; got the symbol {m} with "
                "conflicting assumptions. Declare it with integer=True, positive=True."
            )
        return sp.FunctionMatrix(m, m, sp.Lambda((_p, _q), sp.Max(0, kk - sp.Abs(_p - _q))))
    mm = check_positive_int("m", int(m) if isinstance(m, sp.Integer) else m)
    if kk.is_number and not (kk.is_integer and kk >= 1):
        raise TheoryError(
            f"toeplitz_block needs k to be a positive integer (the number of patches); got "
            f"{k!r}. Pass an int >= 1 or a sympy symbol."
        )
    return sp.Matrix(mm, mm, lambda p, q: sp.Max(0, kk - abs(p - q)))


def _stride_1d_k(n: int, r: int, d: int) -> int:
    n = check_positive_int("n", n)
    r = check_positive_int("r", r)
    d = check_positive_int("stride", d)
    if r > n or (n - r) % d:
        raise TheoryError(
            "a 1D patch-and-stride scheme needs n = (k-1)*stride + r with k >= 1 (no padding), "
            f"i.e. r <= n and stride | n - r; got n={n}, r={r}, stride={d}. Choose n with "
            f"n - r divisible by the stride, e.g. n={r + d * max(1, (n - r) // d)}."
        )
    return (n - r) // d + 1


def stride_1d_indices(n: int, r: int, d: int) -> np.ndarray:
    r"""Return the 1D stride indices: patch :math:`i` reads :math:`id, \dots, id+r-1`.

    Requires :math:`n = (k-1)d + r` (no padding) [paper, §5]. Returns an ``int64`` array of
    shape ``(k, r)``.
    """
    k = _stride_1d_k(n, r, d)
    return np.arange(k, dtype=np.int64)[:, None] * d + np.arange(r, dtype=np.int64)[None, :]


def stride_2d_indices(
    height: int, width: int, patch_h: int, patch_w: int, stride_h: int, stride_w: int
) -> np.ndarray:
    """Return the 2D stride indices: row-major pixels ``y * width + x``, patches row-major.

    Patch ``(s, t)`` (index ``s * k2 + t``) has top-left pixel ``(s * stride_h, t * stride_w)``
    and reads its ``patch_h x patch_w`` window row-major [paper: scheme; §5 conventions].
    """
    k1 = _stride_1d_k(height, patch_h, stride_h)
    k2 = _stride_1d_k(width, patch_w, stride_w)
    top = (
        np.arange(k1, dtype=np.int64)[:, None] * stride_h * width
        + np.arange(k2, dtype=np.int64)[None, :] * stride_w
    ).ravel()
    off = (
        np.arange(patch_h, dtype=np.int64)[:, None] * width
        + np.arange(patch_w, dtype=np.int64)[None, :]
    ).ravel()
    return top[:, None] + off[None, :]


def stride_2d_channels_indices(
    channels: int,
    height: int,
    width: int,
    patch_h: int,
    patch_w: int,
    stride_h: int,
    stride_w: int,
) -> np.ndarray:
    """Return the 2D stride indices with channels: channel-major ``c*H*W + y*W + x``.

    A patch spans all channels; within a patch the order is row-major over ``(c, dy, dx)``.
    """
    C = check_positive_int("channels", channels)
    base = stride_2d_indices(height, width, patch_h, patch_w, stride_h, stride_w)
    chan = np.arange(C, dtype=np.int64) * height * width
    return (chan[None, :, None] + base[:, None, :]).reshape(base.shape[0], -1)


def overlap_1d_blocks(n: int, r: int, d: int) -> list[tuple[int, list[int], int]]:
    r"""List the residue blocks of the 1D :math:`PP^\top` [derived, ``lem-1d-structure``].

    Positions :math:`a \equiv c \pmod d` (:math:`0 \le c < \min(d, r)`) form the block
    :math:`A_{m_c}(k)` with :math:`m_c = \lceil (r-c)/d \rceil`; positions in different residue
    classes never read a common coordinate. By Cauchy interlacing (a smaller block is a
    principal submatrix of the largest), the extreme eigenvalues of :math:`PP^\top` are those
    of :math:`A_{\lceil r/d\rceil}(k)`.

    Returns
    -------
    list of (c, positions, m_c)
        Residue, the 0-based filter positions of the block, and the block size.
    """
    _stride_1d_k(n, r, d)
    return [(c, list(range(c, r, d)), len(range(c, r, d))) for c in range(min(d, r))]


def overlap_1d_closed_form(n: int, r: int, d: int) -> sp.Matrix:
    r""":math:`PP^\top` of the 1D scheme in closed form [derived, ``lem-1d-structure``].

    .. math:: (PP^\top)_{ab} = \begin{cases} k - |a-b|/d & d \mid a-b,\ |a-b|/d < k,\\
              0 & \text{otherwise,}\end{cases}

    with :math:`k = (n-r)/d + 1`. Built without patch operators, so it is an independent
    derivation of :func:`overlap_matrix` (the tests compare the two exactly).

    Examples
    --------
    >>> overlap_1d_closed_form(16, 4, 2)
    Matrix([
    [7, 0, 6, 0],
    [0, 7, 0, 6],
    [6, 0, 7, 0],
    [0, 6, 0, 7]])
    """
    k = _stride_1d_k(n, r, d)

    def entry(a: int, b: int) -> int:
        g = abs(a - b)
        return k - g // d if g % d == 0 and g // d < k else 0

    return sp.Matrix(r, r, entry)


def overlap_2d_closed_form(
    height: int, width: int, patch_h: int, patch_w: int, stride_h: int, stride_w: int
) -> sp.Matrix:
    r""":math:`PP^\top` of the 2D scheme as a Kronecker product [derived, ``lem-2d-kron``].

    .. math:: PP^\top = \bigl(P^{(1)}P^{(1)\top}\bigr) \otimes \bigl(P^{(2)}P^{(2)\top}\bigr),

    the vertical factor from :func:`overlap_1d_closed_form` ``(height, patch_h, stride_h)``
    and the horizontal one from ``(width, patch_w, stride_w)``; the eigenvalues multiply.
    Flattening row-major (``y * width + x``), patch positions and in-patch offsets row-major
    (offset ``dy * patch_w + dx``), which is what makes :math:`P_{(s,t)} = P^{(1)}_s \otimes
    P^{(2)}_t`.
    """
    A = overlap_1d_closed_form(height, patch_h, stride_h)
    B = overlap_1d_closed_form(width, patch_w, stride_w)
    return sp.kronecker_product(A, B)


def overlap_2d_channels_closed_form(
    channels: int,
    height: int,
    width: int,
    patch_h: int,
    patch_w: int,
    stride_h: int,
    stride_w: int,
) -> sp.Matrix:
    r""":math:`PP^\top = I_C \otimes (P^{(1)}P^{(1)\top}) \otimes (P^{(2)}P^{(2)\top})` [derived].

    Channel-major flattening, a patch spans all channels (in-patch order ``(c, dy, dx)``), so
    :math:`P_{(s,t)} = I_C \otimes P^{(1)}_s \otimes P^{(2)}_t`: same spectrum as the 2D scheme.
    """
    C = check_positive_int("channels", channels)
    return sp.kronecker_product(
        sp.eye(C), overlap_2d_closed_form(height, width, patch_h, patch_w, stride_h, stride_w)
    )


def _ceil_div(a: int, b: int) -> int:
    """Exact ceil(a / b) for positive integers."""
    return -(-a // b)
