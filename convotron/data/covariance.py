r"""Input covariances :math:`\Sigma = \mathbb{E}[x x^\top]` with structure-aware operations.

The analysis of Convotron (``../shared/spec/convotron-theory.md`` §3) needs the
overlap matrix :math:`M = P \Sigma P^\top` (``r x r``) and the sampler needs
:math:`x = L z` with :math:`L L^\top = \Sigma`. For the structured covariances used in the
project neither needs the ``n x n`` matrix:

* :class:`Identity` -- :math:`\Sigma = I_n`; :math:`L = I`.
* :class:`Diagonal` -- :math:`\Sigma = \operatorname{diag}(s)`;
  :math:`L = \operatorname{diag}(\sqrt{s})`.
* :class:`AR1` -- :math:`\Sigma_{ij} = \rho^{|i-j|}` (Kac-Murdock-Szegő matrix).
  :math:`\Sigma v` costs :math:`O(n)` by two exponential filters,
  :math:`(\Sigma v)_i = f_i + b_i - v_i` with :math:`f_i = v_i + \rho f_{i-1}` and
  :math:`b_i = v_i + \rho b_{i+1}`; :math:`x = L z` is the stationary AR(1) recursion
  :math:`x_1 = z_1`, :math:`x_j = \rho x_{j-1} + \sqrt{1-\rho^2} z_j`; and the inverse
  :math:`\Sigma^{-1} = (1-\rho^2)^{-1}
  \operatorname{tridiag}(-\rho;\,1, 1+\rho^2, \dots, 1+\rho^2, 1;\,-\rho)`
  is tridiagonal, so the extreme eigenvalues cost :math:`O(n)`.
* :class:`Dense` -- any symmetric positive semi-definite matrix; :math:`L` is the Cholesky
  factor (or :math:`V \Lambda^{1/2}` when :math:`\Sigma` is singular).

[derived] :math:`\lambda_{\min}(M) \ge \lambda_{\min}(\Sigma)\lambda_{\min}(PP^\top)` and
:math:`\lambda_{\max}(M) \le \lambda_{\max}(\Sigma)\lambda_{\max}(PP^\top)` (``lem-cov-transfer``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .._codes import CovCode
from .._errors import ConvotronError
from .._limits import MAX_VARIANCE, read_array, require_finite
from .._validate import InstanceOf, Interval, Param, table, validate, validate_params
from ._ordered import cholesky_in_order, transform_in_order

__all__ = [
    "AR1",
    "DENSE_LIMIT",
    "MAX_N",
    "Covariance",
    "Dense",
    "Diagonal",
    "Identity",
    "as_covariance",
    "load_dense_npy",
    "parse_cov",
]

#: Largest ``n`` for which :meth:`Covariance.dense` forms the ``n x n`` matrix.
DENSE_LIMIT = 4096
#: Largest input dimension accepted anywhere (length-``n`` arrays are formed).
MAX_N = 1 << 24


#: The input dimension ``n`` (every length-``n`` array is formed, hence the limit).
_N = Param(
    "n",
    Interval(int, 1, MAX_N),
    meaning="the input dimension",
    fix="Pass a positive integer within the limit.",
)
#: The AR(1) correlation ``rho``: ``Sigma_ij = rho^|i-j|`` is positive definite iff |rho| < 1.
_RHO = Param(
    "rho",
    Interval(float, -1.0, 1.0, closed="neither"),
    meaning="the AR(1) correlation; Sigma_ij = rho^|i-j| is positive definite only for |rho| < 1",
    fix="Pass a value in (-1, 1), e.g. 0.5.",
)

_COV_SPEC = Param(
    "spec",
    InstanceOf(str, "a string"),
    meaning="a covariance spec",
    fix="Pass 'identity', 'ar1:RHO' or 'dense:FILE.npy'.",
)


class Covariance:
    r"""A covariance :math:`\Sigma \in \mathbb{R}^{n \times n}` (abstract base class).

    Subclasses implement the structured operations without forming the ``n x n`` matrix
    (except :class:`Dense`, which stores it).

    Attributes
    ----------
    n : int
        Dimension of the input ``x``.
    name : str
        Short name: ``"identity"``, ``"diag"``, ``"ar1:RHO"`` or ``"dense"``.
    code : CovCode or None
        The compiled loop's transform ``x = L z`` of this class
        (:class:`convotron._codes.CovCode`; it reads the public accessors
        :meth:`sqrt_diagonal`, ``rho`` or :meth:`factor`), or None: samples of a covariance
        without a code are drawn in chunks with :meth:`transform`. A subclass that changes
        :meth:`transform` must set ``code = None`` (or give the compiled branch).
    is_diagonal : bool
        Whether the sampling factor ``L`` is diagonal (then ``x_j = L_jj z_j``: the
        coordinates of ``x`` are independent).
    """

    n: int
    name: str
    code: ClassVar[CovCode | None] = None
    is_diagonal: ClassVar[bool] = False

    # -- helpers ---------------------------------------------------------------------------
    def _rows(self, rows: Any, what: str) -> np.ndarray:
        arr = np.asarray(rows)
        if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
            raise ConvotronError(
                f"{what} must be a 1-D array of integer coordinates; got an array of shape "
                f"{arr.shape} and dtype {arr.dtype}. Pass e.g. np.array([0, 1, 2])."
            )
        arr = arr.astype(np.int64, copy=False)
        if arr.size and (arr.min() < 0 or arr.max() >= self.n):
            bad = int(arr[(arr < 0) | (arr >= self.n)][0])
            raise ConvotronError(
                f"{what} must lie in 0..n-1 (n={self.n}); got {bad}. Pass coordinates inside "
                "the input."
            )
        return arr

    def _vectors(self, V: Any) -> np.ndarray:
        return self._shaped(V, (1, 2), 0, "matvec needs V of shape (n,) or (n, m)",
                            "Pass vectors as columns.")  # fmt: skip

    def _samples(self, Z: Any) -> np.ndarray:
        return self._shaped(Z, (2,), 1, "transform needs Z of shape (m, n)",
                            "Pass one standardized sample per row.")  # fmt: skip

    def _shaped(self, V: Any, ndims: tuple[int, ...], axis: int, need: str, fix: str) -> np.ndarray:
        """``V`` as floats with ``ndim`` in ``ndims`` and ``n`` entries along ``axis``."""
        arr = np.asarray(V, dtype=float)
        if arr.ndim not in ndims or arr.shape[axis] != self.n:
            raise ConvotronError(f"{need} with n={self.n}; got shape {arr.shape}. {fix}")
        return arr

    # -- interface -------------------------------------------------------------------------
    def block(self, rows: Any, cols: Any) -> np.ndarray:
        r"""Return :math:`\Sigma[\text{rows}][:, \text{cols}]` as a float array."""
        raise NotImplementedError

    def matvec(self, V: Any) -> np.ndarray:
        r"""Return :math:`\Sigma V` for ``V`` of shape ``(n,)`` or ``(n, m)``."""
        raise NotImplementedError

    def transform(self, Z: Any) -> np.ndarray:
        r"""Map rows ``z`` of ``Z`` (``(m, n)``, iid unit variance) to :math:`x = Lz`.

        :math:`L L^\top = \Sigma`, so :math:`\mathbb{E}[x x^\top] = \Sigma`.
        """
        raise NotImplementedError

    def diagonal(self) -> np.ndarray:
        r"""Return the variances :math:`\Sigma_{jj}`, shape ``(n,)``."""
        raise NotImplementedError

    def trace(self) -> float:
        r"""Return :math:`\operatorname{tr}\Sigma = \mathbb{E}\|x\|^2`."""
        return float(self.diagonal().sum())

    def trace_of_square(self) -> float:
        r"""Return :math:`\operatorname{tr}(\Sigma^2) = \|\Sigma\|_F^2` (here from :meth:`dense`).

        The structured subclasses override it without forming ``n x n``.
        """
        S = np.asarray(self.dense(), dtype=float)
        return float(np.sum(S * S))

    def factor(self) -> np.ndarray:
        r"""Return the factor :math:`L` (``n x n``, :math:`LL^\top = \Sigma`) of :meth:`transform`.

        Here the Cholesky factor of :meth:`dense` in one fixed order (only for
        ``n <= DENSE_LIMIT``; ``convotron.data._ordered.cholesky_in_order``);
        :class:`Dense` returns its own (the one it samples with), the structured classes
        their closed forms.
        """
        return cholesky_in_order(self.dense())

    def sqrt_diagonal(self) -> np.ndarray:
        r"""Return :math:`\sqrt{\Sigma_{jj}}`, the diagonal of ``L`` when it is diagonal."""
        return np.sqrt(self.diagonal())

    def lambda_max(self) -> float:
        r"""Return :math:`\lambda_{\max}(\Sigma)`."""
        raise NotImplementedError

    def lambda_min(self) -> float:
        r"""Return :math:`\lambda_{\min}(\Sigma)`."""
        raise NotImplementedError

    def dense(self) -> np.ndarray:
        r"""Return :math:`\Sigma` as an ``n x n`` float array (only for ``n <= DENSE_LIMIT``).

        Raises
        ------
        ConvotronError
            If ``n > DENSE_LIMIT``.
        """
        if self.n > DENSE_LIMIT:
            raise ConvotronError(
                f"dense() forms an n x n matrix and is limited to n <= {DENSE_LIMIT}; got "
                f"n={self.n}. Use block(), matvec() or transform(), which never form it."
            )
        idx = np.arange(self.n)
        return self.block(idx, idx)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, name={self.name!r})"


class Identity(Covariance):
    r""":math:`\Sigma = I_n` (the paper's isotropic case)."""

    code = CovCode.IDENTITY
    is_diagonal = True

    @validate_params(table(_N))
    def __init__(self, n: int) -> None:
        self.n = n
        self.name = "identity"

    def block(self, rows: Any, cols: Any) -> np.ndarray:  # noqa: D102
        r = self._rows(rows, "rows")
        c = self._rows(cols, "cols")
        return (r[:, None] == c[None, :]).astype(float)

    def matvec(self, V: Any) -> np.ndarray:  # noqa: D102
        return self._vectors(V).copy()

    def transform(self, Z: Any) -> np.ndarray:
        """Return ``Z`` itself as a float array (``L = I``; no copy when already float)."""
        return self._samples(Z)

    def diagonal(self) -> np.ndarray:  # noqa: D102
        return np.ones(self.n)

    def trace_of_square(self) -> float:  # noqa: D102
        return float(self.n)

    def factor(self) -> np.ndarray:  # noqa: D102
        return np.eye(self.n)

    def lambda_max(self) -> float:  # noqa: D102
        return 1.0

    def lambda_min(self) -> float:  # noqa: D102
        return 1.0


class Diagonal(Covariance):
    r""":math:`\Sigma = \operatorname{diag}(s)` with finite variances :math:`s_j \ge 0`.

    Parameters
    ----------
    diag : array_like, shape (n,)
        The variances. Zeros are allowed (then :math:`\Sigma` is singular).
    """

    code = CovCode.DIAGONAL
    is_diagonal = True

    def __init__(self, diag: Any) -> None:
        _real_numbers(diag, "Diagonal", "a 1-D array of variances")
        try:
            d = np.array(diag, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ConvotronError(
                f"Diagonal needs a 1-D array of variances; could not read {diag!r} as numbers "
                f"({exc}). Pass e.g. [1.0, 2.0, 0.5]."
            ) from None
        if d.ndim != 1 or d.size == 0:
            raise ConvotronError(
                f"Diagonal needs a non-empty 1-D array of variances; got shape {d.shape}. "
                "Pass e.g. [1.0, 2.0, 0.5]."
            )
        if not np.all(np.isfinite(d)) or np.any(d < 0):
            bad = float(d[~(np.isfinite(d) & (d >= 0))][0])
            raise ConvotronError(
                f"Diagonal variances must be finite and >= 0; got {bad!r}. "
                "Pass non-negative finite variances."
            )
        if d.size > MAX_N:
            raise ConvotronError(
                f"Diagonal covariances are limited to n <= {MAX_N}; got n={d.size}. "
                "Use fewer coordinates."
            )
        if float(d.max()) > MAX_VARIANCE:
            raise ConvotronError(
                f"Diagonal variances must be at most {MAX_VARIANCE:g} (inputs of that scale "
                f"keep their squared norms finite); got {float(d.max())!r}. Rescale the inputs."
            )
        d.setflags(write=False)
        self.diag = d
        self.n = int(d.size)
        self.name = "diag"
        self._sqrt = np.sqrt(d)

    def block(self, rows: Any, cols: Any) -> np.ndarray:  # noqa: D102
        r = self._rows(rows, "rows")
        c = self._rows(cols, "cols")
        return np.where(r[:, None] == c[None, :], self.diag[r][:, None], 0.0)

    def matvec(self, V: Any) -> np.ndarray:  # noqa: D102
        arr = self._vectors(V)
        return arr * (self.diag if arr.ndim == 1 else self.diag[:, None])

    def transform(self, Z: Any) -> np.ndarray:  # noqa: D102
        return self._samples(Z) * self._sqrt

    def diagonal(self) -> np.ndarray:  # noqa: D102
        return self.diag.copy()

    def sqrt_diagonal(self) -> np.ndarray:
        r"""Return :math:`\sqrt{s}` (a copy): the diagonal factor :meth:`transform` applies."""
        return np.array(self._sqrt)

    def trace_of_square(self) -> float:  # noqa: D102
        d = np.asarray(self.diagonal(), dtype=float)
        return float(d @ d)

    def factor(self) -> np.ndarray:  # noqa: D102
        return np.diag(self._sqrt)

    def lambda_max(self) -> float:  # noqa: D102
        return float(self.diag.max())

    def lambda_min(self) -> float:  # noqa: D102
        return float(self.diag.min())


class AR1(Covariance):
    r"""Stationary AR(1) covariance :math:`\Sigma_{ij} = \rho^{|i-j|}`, :math:`|\rho| < 1`.

    Every operation is :math:`O(n)` per vector (see the module docstring); the
    ``n x n`` matrix is never formed except by :meth:`dense`.

    Parameters
    ----------
    n : int
        Dimension.
    rho : float
        Lag-one correlation, :math:`-1 < \rho < 1`.
    """

    code = CovCode.AR1

    @validate_params(table(_N, _RHO))
    def __init__(self, n: int, rho: float) -> None:
        self.n, self.rho = n, rho
        self.name = f"ar1:{self.rho!r}"
        self._s = math.sqrt(1.0 - self.rho * self.rho)
        self._extremes: tuple[float, float] | None = None

    def block(self, rows: Any, cols: Any) -> np.ndarray:  # noqa: D102
        r = self._rows(rows, "rows")
        c = self._rows(cols, "cols")
        lag = np.abs(r[:, None] - c[None, :])
        return np.power(self.rho, lag.astype(float))

    def matvec(self, V: Any) -> np.ndarray:
        r"""Return :math:`\Sigma V` in :math:`O(nm)` by a forward and a backward filter."""
        from scipy.signal import lfilter  # lazily: scipy.signal is slow to import

        arr = self._vectors(V)
        a = [1.0, -self.rho]
        fwd = lfilter([1.0], a, arr, axis=0)
        bwd = lfilter([1.0], a, arr[::-1], axis=0)[::-1]
        return np.asarray(fwd + bwd - arr)

    def transform(self, Z: Any) -> np.ndarray:
        r"""Return rows :math:`x_1 = z_1`, :math:`x_j = \rho x_{j-1} + \sqrt{1-\rho^2}\, z_j`."""
        from scipy.signal import lfilter  # lazily: scipy.signal is slow to import

        arr = self._samples(Z)
        u = arr * self._s
        u[:, 0] = arr[:, 0]
        return np.asarray(lfilter([1.0], [1.0, -self.rho], u, axis=1))

    def diagonal(self) -> np.ndarray:  # noqa: D102
        return np.ones(self.n)

    def trace_of_square(self) -> float:
        r"""Return :math:`\sum_{i,j} \rho^{2|i-j|} = n + 2\sum_{l=1}^{n-1}(n-l)\rho^{2l}`, O(n)."""
        lag = np.arange(1, self.n, dtype=float)
        return float(self.n + 2.0 * np.sum((self.n - lag) * self.rho ** (2.0 * lag)))

    def factor(self) -> np.ndarray:
        r"""Return the lower-triangular :math:`L` of the recursion, :math:`L_{jc} = \rho^{j-c} s_c`.

        :math:`s_0 = 1` and :math:`s_c = \sqrt{1-\rho^2}` otherwise (only for
        ``n <= DENSE_LIMIT``, as :meth:`dense`).
        """
        S = self.dense()  # the size check; S_jc = rho^|j-c|
        scale = np.full(self.n, self._s)
        scale[0] = 1.0
        return np.asarray(np.tril(S) * scale[None, :])

    def _eig_extremes(self) -> tuple[float, float]:
        if self._extremes is None:
            if self.n == 1:
                self._extremes = (1.0, 1.0)
            else:
                from scipy.linalg import eigvalsh_tridiagonal  # lazily: slow to import

                rho = self.rho
                d = np.full(self.n, 1.0 + rho * rho)
                d[0] = d[-1] = 1.0
                e = np.full(self.n - 1, -rho)
                scale = 1.0 / (1.0 - rho * rho)
                lo = eigvalsh_tridiagonal(d, e, select="i", select_range=(0, 0))[0] * scale
                hi = (
                    eigvalsh_tridiagonal(d, e, select="i", select_range=(self.n - 1, self.n - 1))[0]
                    * scale
                )
                # eigenvalues of Sigma are the reciprocals of those of Sigma^{-1}
                self._extremes = (float(1.0 / hi), float(1.0 / lo))
        return self._extremes

    def lambda_max(self) -> float:
        r"""Return :math:`\lambda_{\max}(\Sigma) = 1/\lambda_{\min}(\Sigma^{-1})` in O(n)."""
        return self._eig_extremes()[1]

    def lambda_min(self) -> float:
        r"""Return :math:`\lambda_{\min}(\Sigma) = 1/\lambda_{\max}(\Sigma^{-1})` in O(n)."""
        return self._eig_extremes()[0]


class Dense(Covariance):
    r"""An explicit symmetric positive semi-definite :math:`\Sigma`.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        Symmetric (to ``1e-10`` relative), finite and positive semi-definite (smallest
        eigenvalue ``>= -1e-10`` times the largest). It is symmetrised exactly.
    """

    code = CovCode.DENSE

    def __init__(self, matrix: Any) -> None:
        _real_numbers(matrix, "Dense", "a square matrix of numbers")
        S = read_array(matrix, "Dense needs a square matrix of numbers; could not read it",
                       "Pass an (n, n) array.", dtype=float, copy=True)  # fmt: skip
        if S.ndim != 2 or S.shape[0] != S.shape[1] or S.shape[0] == 0:
            raise ConvotronError(
                f"Dense needs a non-empty square (n, n) matrix; got shape {S.shape}. "
                "Pass an (n, n) array."
            )
        if S.shape[0] > DENSE_LIMIT:
            raise ConvotronError(
                f"Dense covariances are limited to n <= {DENSE_LIMIT}; got n={S.shape[0]}. "
                "Use a structured covariance (Identity, Diagonal, AR1)."
            )
        require_finite(S, "Dense covariance entries", "Replace the non-finite entries.")
        scale = max(float(np.abs(S).max()), 1e-300)
        if scale > MAX_VARIANCE:
            raise ConvotronError(
                f"Dense covariance entries must be at most {MAX_VARIANCE:g} in magnitude (its "
                f"eigenvalues and the inputs' squared norms must stay finite); got {scale!r}. "
                "Rescale the inputs."
            )
        asym = float(np.abs(S - S.T).max())
        if asym > 1e-10 * scale:
            raise ConvotronError(
                f"a covariance must be symmetric; got max |S - S^T| = {asym:.3g}. "
                "Pass (S + S.T) / 2."
            )
        S = (S + S.T) / 2.0
        evals, _ = np.linalg.eigh(S)
        if evals[0] < -1e-10 * max(abs(evals[-1]), 1e-300):
            raise ConvotronError(
                f"a covariance must be positive semi-definite; got smallest eigenvalue "
                f"{evals[0]:.6g}. Pass a PSD matrix, e.g. A @ A.T."
            )
        S.setflags(write=False)
        self.matrix = S
        self.n = int(S.shape[0])
        self.name = "dense"
        self._evals = evals
        self._L = cholesky_in_order(S)  # the same bits on every processor

    def factor(self) -> np.ndarray:
        r"""Return (a read-only copy of) the factor :math:`L`, :math:`LL^\top = \Sigma`.

        The factor :meth:`transform` samples with: the Cholesky factor computed in one fixed
        order (``convotron.data._ordered.cholesky_in_order``, the same bits on every
        processor; a singular :math:`\Sigma` gets zero columns at its zero pivots): for laws of
        kurtosis :math:`\ne 3` the law of :math:`x = Lz` depends on it, so the exact second
        moments (:mod:`convotron_theory.second_moment`, ``("chol", L)``) need this very matrix.
        """
        out = np.array(self._L, dtype=float)
        out.setflags(write=False)
        return out

    def block(self, rows: Any, cols: Any) -> np.ndarray:  # noqa: D102
        r = self._rows(rows, "rows")
        c = self._rows(cols, "cols")
        return self.matrix[np.ix_(r, c)].copy()

    def matvec(self, V: Any) -> np.ndarray:  # noqa: D102
        return np.asarray(self.matrix @ self._vectors(V))

    def transform(self, Z: Any) -> np.ndarray:  # noqa: D102
        return transform_in_order(self._samples(Z), self._L)

    def diagonal(self) -> np.ndarray:  # noqa: D102
        return np.diag(self.matrix).copy()

    def dense(self) -> np.ndarray:  # noqa: D102
        return self.matrix.copy()

    def lambda_max(self) -> float:  # noqa: D102
        return float(self._evals[-1])

    def lambda_min(self) -> float:  # noqa: D102
        return float(max(self._evals[0], 0.0))


def _real_numbers(value: Any, kind: str, what: str) -> None:
    """Refuse strings, complex numbers and objects before ``np.array(value, dtype=float)``.

    numpy would read ``"1"`` as 1.0 and drop an imaginary part with only a warning.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return  # the caller's own conversion reports it
    if arr.dtype.kind not in "iuf":
        raise ConvotronError(
            f"{kind} needs {what} (real numbers); got dtype {arr.dtype}"
            f"{' (complex)' if arr.dtype.kind == 'c' else ''}. Pass a float array."
        )


def load_dense_npy(path: str, n: int) -> Dense:
    r"""Read an ``(n, n)`` covariance saved with ``numpy.save`` and return it as :class:`Dense`.

    The file is read safely: its ``.npy`` header (shape and dtype) is checked before any data
    is read, pickled objects are never loaded (``allow_pickle=False``), and :class:`Dense`
    then requires a finite, symmetric, positive semi-definite matrix. Every refusal names the
    file, the rule, the value found and the fix.

    Parameters
    ----------
    path : str
        A ``.npy`` file holding :math:`\Sigma` (e.g. ``numpy.save(path, X.T @ X / len(X))``).
    n : int
        The scheme's input dimension; the matrix must be ``(n, n)``.

    Raises
    ------
    ConvotronError
        If the file is missing or not a ``.npy`` array, has the wrong shape or dtype, or is
        not a symmetric positive semi-definite matrix.
    """
    import os

    hint = "Save one with numpy.save(path, Sigma), Sigma an (n, n) float array."
    where = f"--cov dense:{path}"
    if not os.path.isfile(path):
        raise ConvotronError(
            f"{where}: the covariance file must exist and be a regular .npy file; "
            f"{path!r} is not. {hint}"
        )
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _fortran, dtype = read_header(fh)
    except (ValueError, SyntaxError, EOFError, OSError) as exc:
        raise ConvotronError(
            f"{where}: the file must be a numpy .npy array; it is not "
            f"({str(exc).splitlines()[0][:100]}). {hint}"
        ) from None
    if dtype.hasobject or dtype.kind not in "iuf":
        raise ConvotronError(
            f"{where}: the matrix must hold real numbers; got dtype {dtype} (objects are never "
            f"loaded). {hint}"
        )
    if tuple(shape) != (n, n):
        raise ConvotronError(
            f"{where}: the matrix must be (n, n) = ({n}, {n}), n the scheme's input dimension; "
            f"got shape {tuple(shape)}. Save the covariance of the scheme's inputs."
        )
    matrix = np.load(path, allow_pickle=False)
    try:
        return Dense(np.asarray(matrix, dtype=float))
    except ConvotronError as exc:
        raise ConvotronError(f"{where}: {exc}") from None


@validate_params(table(_N, _COV_SPEC))
def parse_cov(spec: str, n: int) -> Covariance:
    """Parse a covariance spec of the command line.

    Parameters
    ----------
    spec : str
        ``"identity"``, ``"ar1:RHO"`` with ``|RHO| < 1`` (case and surrounding spaces
        ignored) or ``"dense:FILE.npy"``, an ``(n, n)`` symmetric positive semi-definite
        matrix saved with ``numpy.save`` (read by :func:`load_dense_npy`; the path keeps
        its case).
    n : int
        Input dimension.

    Returns
    -------
    Covariance

    Raises
    ------
    ConvotronError
        For anything else, naming the accepted forms.
    """
    text = spec  # n and spec: checked and converted by the table
    if text.strip()[:6].lower() == "dense:":
        path = text.strip()[6:].strip()
        if not path:
            raise ConvotronError(
                f"the covariance spec 'dense:FILE.npy' needs a file name; got {spec!r}. "
                "Pass e.g. 'dense:sigma.npy' (saved with numpy.save)."
            )
        return load_dense_npy(path, n)
    text = text.strip().lower()
    if text == "identity":
        return Identity(n)
    if text.startswith("ar1:"):
        raw = text[4:].strip()
        try:
            rho = float(raw)
        except ValueError:
            raise ConvotronError(
                f"the covariance spec 'ar1:RHO' needs a number RHO with |RHO| < 1; got "
                f"{spec!r}. Pass e.g. 'ar1:0.5'."
            ) from None
        return AR1(n, rho)
    raise ConvotronError(
        f"unknown covariance spec {spec!r}; the accepted forms are 'identity', 'ar1:RHO' "
        "(|RHO| < 1) and 'dense:FILE.npy'. Pass e.g. 'identity', 'ar1:0.5' or 'dense:sigma.npy'."
    )


def as_covariance(cov: Covariance | str | None, n: int) -> Covariance:
    """Return ``cov`` as a :class:`Covariance` of dimension ``n``.

    ``None`` means :class:`Identity`; a string is parsed by :func:`parse_cov`; a
    :class:`Covariance` must have dimension ``n``.
    """
    n = int(_N(n))
    if cov is None:
        return Identity(n)
    if isinstance(cov, str):
        return parse_cov(cov, n)
    validate(
        "cov",
        cov,
        InstanceOf(Covariance, "a Covariance, a spec string or None"),
        fix="Pass e.g. 'identity', 'ar1:0.5' or AR1(n, 0.5).",
    )
    if cov.n != n:
        raise ConvotronError(
            f"the covariance has dimension {cov.n} but the input has n={n}; they must match. "
            f"Build the covariance with n={n}."
        )
    return cov
