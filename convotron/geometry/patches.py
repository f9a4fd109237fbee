r"""Patch schemes: the operators :math:`P_1, \dots, P_k \in \{0,1\}^{r \times n}` of the model.

[paper] (``def-model``) Row ``a`` of :math:`P_i` has a single 1, in column ``idx[i, a]``, and
the ``r`` columns of one patch are distinct, so :math:`P_i P_i^\top = I_r` and
:math:`P_i x = x[\mathrm{idx}[i]]`. Patches may overlap each other arbitrarily.

A :class:`PatchScheme` stores ``n`` and the ``(k, r)`` index array. It is built from

* an arbitrary index array (:meth:`PatchScheme.from_indices`),
* 1D patch-and-stride (:meth:`PatchScheme.stride_1d`): ``n = (k-1) d + r`` with no padding,
  patch ``i`` (0-based) covers ``i d, ..., i d + r - 1``,
* 2D patch-and-stride (:meth:`PatchScheme.stride_2d`), row-major flattening ``y * W + x``,
  patches ordered row-major over their positions and read row-major ``(dy, dx)`` inside,
* 2D with ``C`` channels (:meth:`PatchScheme.stride_2d_channels`): channel-major flattening
  ``c * H * W + y * W + x``, a patch spans all channels, read in ``(c, dy, dx)`` order,
* a spec string (:func:`parse_spec`): ``1d:N,R,STRIDE``, ``2d:H,W,PH,PW,SH,SW``,
  ``2d:C,H,W,PH,PW,SH,SW`` or ``file:PATH`` (JSON ``{"n": N, "indices": [[...], ...]}``).

Structural objects: :math:`P = \sum_i P_i` (``r x n`` counts,
:math:`P_{ac} = \#\{i : \mathrm{idx}[i,a] = c\}`) and the overlap matrix
:math:`M = P \Sigma P^\top = \sum_{i,j} P_i \Sigma P_j^\top`. For :math:`\Sigma = I` the
entries are integers :math:`(PP^\top)_{ab} = \sum_c P_{ac} P_{bc}` and are computed exactly.

Invariants (tested): :math:`M` is symmetric positive semi-definite and does not depend on
the order of the patches; :math:`\operatorname{tr}(PP^\top) = \sum_{a,c} P_{ac}^2 \ge rk`
with equality iff no patch position ``a`` meets the same coordinate in two patches, which
holds for stride schemes, where moreover [derived] :math:`\operatorname{diag}(PP^\top) = k`
(``lem-1d-structure``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._errors import ConvotronError
from .._limits import (
    MAX_DENSE_ENTRIES,
    MAX_INDEX_ENTRIES,
    check_index_entries,
)
from .._validate import (
    InstanceOf,
    Interval,
    Param,
    check_fields,
    fail,
    table,
    validate,
    validate_params,
)
from ..data.covariance import _N, MAX_N, Covariance, Diagonal, Identity
from ._indices import PAD, _as_index_array, _axis
from ._specfile import read_scheme_file, spec_numbers

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["MAX_DENSE_ENTRIES", "MAX_INDEX_ENTRIES", "PAD", "PatchScheme", "parse_spec"]

#: Largest patch size r for which the model reads patches as strided views (one per column).
_MAX_SLICED_R = 1024


def _size(name: str, meaning: str | None = None) -> Param:
    """Return the row of a stride scheme's size ``name`` (a whole number >= 1)."""
    return Param(name, Interval(int, 1, None), meaning=meaning, fix="Pass a whole number >= 1.")


@dataclass(frozen=True, eq=False)
class PatchScheme:
    r"""The patch operators :math:`P_i x = x[\mathrm{indices}[i]]`, :math:`i = 1..k` [paper].

    Construct with the classmethods (or :func:`parse_spec`); direct construction validates
    the same way as :meth:`from_indices`.

    Attributes
    ----------
    n : int
        Input dimension.
    indices : numpy.ndarray, shape (k, r), int64, read-only
        ``indices[i, a]`` is the coordinate read by position ``a`` of patch ``i`` (0-based),
        or ``-1`` (:data:`PAD`) when that position reads a zero of the padding (conv layers):
        row ``a`` of :math:`P_i` is then zero. The other entries of a row are distinct.
    spec : str or None
        Canonical spec string (e.g. ``"1d:64,8,2"``) for schemes built from one, else None.
    geometry : dict or None
        Parameters of a structured scheme, e.g. ``{"kind": "1d", "n": 64, "r": 8,
        "stride": 2, "k": 29}``; None for arbitrary index sets.
    """

    n: int
    indices: np.ndarray
    spec: str | None = None
    geometry: dict[str, Any] | None = None
    _counts: np.ndarray = field(init=False, repr=False, compare=False)
    _slices: tuple[slice, ...] | None = field(init=False, repr=False, compare=False)

    #: The constructor's table (convotron._validate); ``indices`` is checked against ``n``.
    _parameter_constraints: ClassVar[dict[str, Param]] = table(
        _N,
        Param("spec", InstanceOf(str, "a string"), fix="Pass e.g. '1d:64,8,2' or None.",
              allow_none=True),
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self, PatchScheme._parameter_constraints)
        n = self.n
        idx = _as_index_array(self.indices, n)
        if self.geometry is not None and not isinstance(self.geometry, dict):
            raise fail(
                "geometry",
                "a dict of the scheme's parameters or None",
                f"{type(self.geometry).__name__} {self.geometry!r:.60}",
                "Pass None (or build a stride scheme with PatchScheme.stride_1d / stride_2d, "
                "which set it).",
            )
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "indices", idx)
        counts = np.bincount(idx[idx != PAD], minlength=n)
        counts.setflags(write=False)
        object.__setattr__(self, "_counts", counts)
        # Column a of an arithmetic scheme reads coordinates start, start+step, ...: a
        # strided view of X, used by the model to avoid a gather.
        k, r = idx.shape
        slices: tuple[slice, ...] | None = None
        if r > _MAX_SLICED_R or bool((idx == PAD).any()):
            pass  # views pay off for small filters only (the model loops over r); none with padding
        elif k == 1:
            slices = tuple(slice(int(c), int(c) + 1, 1) for c in idx[0])
        else:
            steps = idx[1] - idx[0]
            # vectorised over the r columns: a Python loop over them is minutes for r = 10⁷
            if np.all(steps >= 1) and np.array_equal(
                idx, idx[0][None, :] + steps[None, :] * np.arange(k, dtype=np.int64)[:, None]
            ):
                slices = tuple(
                    slice(int(c), int(c) + int(d) * (k - 1) + 1, int(d))
                    for c, d in zip(idx[0], steps, strict=True)
                )
        object.__setattr__(self, "_slices", slices)

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def from_indices(cls, n: int, indices: Any, spec: str | None = None) -> PatchScheme:
        """Build a scheme from an arbitrary ``(k, r)`` index array (overlaps allowed).

        Parameters
        ----------
        n : int
            Input dimension, ``>= 1``.
        indices : array_like of int, shape (k, r)
            Coordinates in ``0..n-1``, distinct within each patch; ``k, r >= 1``.
        spec : str, optional
            A spec string to remember (e.g. ``"file:scheme.json"``).

        Raises
        ------
        ConvotronError
            For ragged or non-integer arrays, out-of-range or repeated coordinates,
            empty schemes, ``r > n``.
        """
        return cls(n=n, indices=indices, spec=spec, geometry=None)

    @classmethod
    @validate_params(table(_N, _size("r", "the patch size"), _size("stride")))
    def stride_1d(cls, n: int, r: int, stride: int) -> PatchScheme:
        r"""1D patch-and-stride [paper: scheme]: patch ``i`` covers ``i*stride + (0..r-1)``.

        No padding: ``n = (k-1) * stride + r`` must hold exactly. ``stride > r`` is allowed
        (the coordinates between patches are then covered by no patch, see :meth:`uncovered`;
        the model ignores them); ``stride >= r`` gives disjoint patches and [derived]
        :math:`PP^\top = kI_r`.

        Raises
        ------
        ConvotronError
            If ``n, r, stride`` are not integers ``>= 1``, ``r > n``, or ``stride`` does not
            divide ``n - r`` (the message names the nearest valid ``n``).
        """
        d = stride  # n, r and stride: checked and converted by the table
        hint = (
            f"use conv1d:1,{n},{r},stride={d} (the frameworks' Conv1d: the output size floors, "
            "the last coordinates go unread)"
        )
        k = _axis(n, r, d, "", "n", "r", "stride", hint)
        check_index_entries(k, r)
        idx = d * np.arange(k, dtype=np.int64)[:, None] + np.arange(r, dtype=np.int64)[None, :]
        geometry = {"kind": "1d", "n": n, "r": r, "stride": d, "k": k}
        return cls(n=n, indices=idx, spec=f"1d:{n},{r},{d}", geometry=geometry)

    @classmethod
    def stride_2d(
        cls, height: int, width: int, patch_h: int, patch_w: int, stride_h: int, stride_w: int
    ) -> PatchScheme:
        """2D patch-and-stride [paper: scheme] on a ``height x width`` image, row-major.

        Coordinate of pixel ``(y, x)``: ``y * width + x``. Patches are ordered row-major
        over their positions ``(py, px)``; inside a patch, positions ``(dy, dx)`` row-major.
        ``k = k_h * k_w`` with ``k_h = (height - patch_h) / stride_h + 1`` (exact).
        """
        return cls.stride_2d_channels(1, height, width, patch_h, patch_w, stride_h, stride_w)

    @classmethod
    @validate_params(table(*map(_size, ("channels", "height", "width", "patch_h", "patch_w",
                                        "stride_h", "stride_w"))))  # fmt: skip
    def stride_2d_channels(
        cls,
        channels: int,
        height: int,
        width: int,
        patch_h: int,
        patch_w: int,
        stride_h: int,
        stride_w: int,
    ) -> PatchScheme:
        """2D patch-and-stride on a ``channels x height x width`` image; a patch spans all channels.

        Coordinate of ``(c, y, x)``: ``c * height * width + y * width + x`` (channel-major).
        Inside a patch the order is ``(c, dy, dx)`` row-major, so ``r = channels * patch_h *
        patch_w``. With ``channels = 1`` this is :meth:`stride_2d` (and its spec has 6 numbers).
        """
        c, h, w = channels, height, width  # every size: checked and converted by the table
        ph, pw, sh, sw = patch_h, patch_w, stride_h, stride_w
        s = str(sh) if sh == sw else f"{sh}x{sw}"
        hint = (
            f"use conv2d:{c},{h},{w},{ph},{pw},stride={s} (the frameworks' Conv2d: the output "
            "size floors, the last rows/columns go unread)"
        )
        kh = _axis(h, ph, sh, " (vertical axis)", "height", "patch_h", "stride_h", hint)
        kw = _axis(w, pw, sw, " (horizontal axis)", "width", "patch_w", "stride_w", hint)
        k, r = kh * kw, c * ph * pw
        check_index_entries(k, r)
        if c * h * w > MAX_N:
            raise ConvotronError(
                f"the input dimension n = channels*height*width must be <= {MAX_N}; got "
                f"{c}*{h}*{w} = {c * h * w}. Use a smaller image."
            )
        py = np.arange(kh, dtype=np.int64) * sh
        px = np.arange(kw, dtype=np.int64) * sw
        start = (py[:, None] * w + px[None, :]).reshape(k)
        cc = np.arange(c, dtype=np.int64) * (h * w)
        dy = np.arange(ph, dtype=np.int64) * w
        dx = np.arange(pw, dtype=np.int64)
        offset = (cc[:, None, None] + dy[None, :, None] + dx[None, None, :]).reshape(r)
        idx = start[:, None] + offset[None, :]
        n = c * h * w
        if c == 1:
            spec = f"2d:{h},{w},{ph},{pw},{sh},{sw}"
            geometry: dict[str, Any] = {"kind": "2d"}
        else:
            spec = f"2d:{c},{h},{w},{ph},{pw},{sh},{sw}"
            geometry = {"kind": "2d-channels", "channels": c}
        geometry.update(
            height=h, width=w, patch_h=ph, patch_w=pw, stride_h=sh, stride_w=sw, k_h=kh, k_w=kw
        )
        return cls(n=n, indices=idx, spec=spec, geometry=geometry)

    # -- basic properties ------------------------------------------------------------------
    @property
    def k(self) -> int:
        """Number of patches."""
        return int(self.indices.shape[0])

    @property
    def r(self) -> int:
        """Patch (filter) size."""
        return int(self.indices.shape[1])

    @property
    def coverage(self) -> np.ndarray:
        """Number of patches covering each input coordinate, shape ``(n,)`` (read-only)."""
        return self._counts

    def __repr__(self) -> str:
        tag = self.spec if self.spec is not None else "indices"
        return f"PatchScheme({tag!r}, n={self.n}, k={self.k}, r={self.r})"

    # -- operators -------------------------------------------------------------------------
    def _patch_index(self, i: Any) -> int:
        return int(
            validate(
                "i",
                i,
                Interval(int, 0, self.k, closed="left"),
                meaning="the patch index",
                fix=f"Pass a patch number between 0 and {self.k - 1} (k={self.k}).",
            )
        )

    def _dense_guard(self, entries: int, what: str, alternative: str) -> None:
        if entries > MAX_DENSE_ENTRIES:
            raise ConvotronError(
                f"{what} would have {entries} entries, above the limit {MAX_DENSE_ENTRIES} for "
                f"dense arrays (n={self.n}, k={self.k}, r={self.r}). Use {alternative}."
            )

    def patch_matrix(self, i: int) -> np.ndarray:
        r"""Return :math:`P_i` as a dense ``(r, n)`` 0/1 int64 matrix (0-based ``i``)."""
        i = self._patch_index(i)
        self._dense_guard(self.r * self.n, "patch_matrix", "indices[i] directly")
        out = np.zeros((self.r, self.n), dtype=np.int64)
        real = self.indices[i] != PAD  # a padded position is a zero row
        out[np.arange(self.r)[real], self.indices[i][real]] = 1
        return out

    def patch_matrices(self) -> np.ndarray:
        r"""Return all :math:`P_i` as a dense ``(k, r, n)`` int64 array (small schemes only)."""
        self._dense_guard(
            self.k * self.r * self.n, "patch_matrices", "indices or P_sparse() instead"
        )
        out = np.zeros((self.k, self.r, self.n), dtype=np.int64)
        kk, aa = np.meshgrid(np.arange(self.k), np.arange(self.r), indexing="ij")
        real = self.indices != PAD
        out[kk[real], aa[real], self.indices[real]] = 1
        return out

    def P_sparse(self) -> sp.csr_array:
        r"""Return :math:`P = \sum_i P_i` as a sparse ``(r, n)`` int64 CSR array of counts."""
        import scipy.sparse as sp  # lazily: scipy is slow to import

        rows = np.broadcast_to(np.arange(self.r, dtype=np.int64), self.indices.shape)
        real = self.indices != PAD
        rows = rows[real]
        data = np.ones(rows.size, dtype=np.int64)
        P = sp.coo_array((data, (rows, self.indices[real])), shape=(self.r, self.n))
        out = P.tocsr()
        out.sum_duplicates()
        return out

    def P(self) -> np.ndarray:
        r"""Return :math:`P = \sum_i P_i` as a dense ``(r, n)`` int64 array.

        :math:`P_{ac} = \#\{i : \mathrm{indices}[i, a] = c\}`.
        """
        self._dense_guard(self.r * self.n, "P()", "P_sparse()")
        out = np.zeros((self.r, self.n), dtype=np.int64)
        rows = np.broadcast_to(np.arange(self.r), self.indices.shape)
        real = self.indices != PAD
        np.add.at(out, (rows[real], self.indices[real]), 1)
        return out

    def overlap_matrix(self, cov: Covariance | None = None) -> np.ndarray:
        r"""Return :math:`M = P \Sigma P^\top = \sum_{i,j} P_i \Sigma P_j^\top` (``r x r``).

        Parameters
        ----------
        cov : Covariance, optional
            :math:`\Sigma`; ``None`` means the identity.

        Returns
        -------
        numpy.ndarray, shape (r, r)
            int64 and exact for :class:`~convotron.data.covariance.Identity` (or ``None``),
            float64 otherwise (symmetrised exactly). Never forms an ``n x n`` matrix for a
            structured :math:`\Sigma`: it uses the sparse counts :math:`P` and
            ``cov.matvec`` on the ``n x r`` matrix :math:`P^\top` (``O(n r)`` for AR(1)).
        """
        Ps = self.P_sparse()
        if cov is None or isinstance(cov, Identity):
            if cov is not None and cov.n != self.n:
                self._cov_mismatch(cov)
            return np.asarray((Ps @ Ps.T).toarray(), dtype=np.int64)
        validate(
            "cov",
            cov,
            InstanceOf(Covariance, "a Covariance"),
            fix="Pass e.g. convotron.data.covariance.AR1(n, 0.5) or parse_cov('ar1:0.5', n).",
            allow_none=True,
        )
        if cov.n != self.n:
            self._cov_mismatch(cov)
        Pf = Ps.astype(np.float64)
        if isinstance(cov, Diagonal):
            M = np.asarray((Pf.multiply(cov.diag[None, :]) @ Pf.T).toarray())
        else:
            SPt = cov.matvec(Pf.T.toarray())  # (n, r)
            M = np.asarray(Pf @ SPt)
        return (M + M.T) / 2.0

    def _cov_mismatch(self, cov: Covariance) -> None:
        raise ConvotronError(
            f"the covariance has dimension {cov.n} but the scheme has n={self.n}; they must "
            f"match. Build the covariance with n={self.n}."
        )

    def patches(self, X: Any) -> np.ndarray:
        """Return the patches of a batch: ``X[:, indices]``, shape ``(m, k, r)``.

        ``X`` has shape ``(m, n)``; a single input of shape ``(n,)`` gives ``(k, r)``.
        """
        arr = np.asarray(X)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise ConvotronError(
                f"inputs must have shape (m, n) or (n,) with n={self.n}; got shape {arr.shape}. "
                "Pass one input per row."
            )
        if self.padded:
            # append one zero coordinate: the sentinel -1 then reads it (a padded zero)
            zero = np.zeros((*arr.shape[:-1], 1), dtype=arr.dtype)
            return np.concatenate([arr, zero], axis=-1)[..., self.indices]
        return arr[..., self.indices]

    @property
    def padded(self) -> bool:
        r"""Whether some filter position reads a padded zero (``-1`` in ``indices``).

        Then some :math:`P_i` has a zero row and :math:`P_iP_i^\top \preceq I`, not ``= I``.
        """
        return bool((self.indices == PAD).any())

    def is_disjoint(self, i: int) -> bool:
        r"""Whether patch ``i`` reads ``r`` coordinates that no other patch reads.

        A patch with a padded position (``-1``) is not disjoint in this sense: the
        disjoint-patch variant's analysis needs :math:`P_iP_i^\top = I_r`.
        """
        i = self._patch_index(i)
        row = self.indices[i]
        return bool(np.all(row != PAD) and np.all(self._counts[row] == 1))

    def uncovered(self) -> np.ndarray:
        r"""Input coordinates covered by no patch (sorted int64).

        The model ignores them. They do not by themselves make :math:`PP^\top` singular
        (``1d:10,2,4`` gives :math:`PP^\top = 3I`), but they are a sign of a scheme with
        gaps; a condition that fails is reported by the theory, not here.
        """
        return np.flatnonzero(self._counts == 0).astype(np.int64)

    def to_json(self) -> dict[str, Any]:
        """Return ``{"n": n, "indices": [[...], ...]}`` (the ``file:`` format of parse_spec).

        A padded position is written ``-1`` (:data:`PAD`) and read back as such.
        """
        return {"n": self.n, "indices": self.indices.tolist()}


_FORMS = (
    "'1d:N,R,STRIDE', '2d:H,W,PH,PW,SH,SW', '2d:C,H,W,PH,PW,SH,SW', "
    "'conv1d:C,L,K[,stride=S][,padding=P|same|valid][,dilation=D]', "
    "'conv2d:C,H,W,KH,KW[,stride=S|SHxSW][,padding=P|PHxPW|same|valid][,dilation=D|DHxDW]' "
    "or 'file:PATH'"
)


def _read_file_scheme(spec: str, path_text: str) -> PatchScheme:
    n, indices = read_scheme_file(spec, path_text)
    return PatchScheme.from_indices(n, indices, spec=f"file:{path_text}")


#: The ``spec`` of :func:`parse_spec`.
_SPEC = Param("spec", InstanceOf(str, "a string"), meaning="a scheme spec", fix=f"Pass {_FORMS}.")

#: A patch scheme argument (of the model, the runner, ...): the one check and message.
_SCHEME = Param(
    "scheme",
    InstanceOf(PatchScheme, "a PatchScheme"),
    fix="Build one with convotron.geometry.patches.parse_spec('1d:64,8,2') or "
    "PatchScheme.from_indices(n, indices).",
)


_FORMS_FIX = f"Pass {_FORMS}."


@validate_params(table(_SPEC))
def parse_spec(spec: str) -> PatchScheme:
    """Parse a scheme spec of the command line.

    Forms (kind case-insensitive, spaces around numbers ignored):

    * ``1d:N,R,STRIDE`` -- :meth:`PatchScheme.stride_1d`;
    * ``2d:H,W,PH,PW,SH,SW`` -- :meth:`PatchScheme.stride_2d`;
    * ``2d:C,H,W,PH,PW,SH,SW`` -- :meth:`PatchScheme.stride_2d_channels`;
    * ``conv1d:C,L,K[,stride=S][,padding=P|same|valid][,dilation=D]`` and
      ``conv2d:C,H,W,KH,KW[,stride=...][,padding=...][,dilation=...]`` -- a conv layer with
      the frameworks' semantics (``convotron.geometry.conv``; padded reads are ``-1``);
    * ``file:PATH`` -- JSON ``{"n": N, "indices": [[...], ...]}`` read by
      :meth:`PatchScheme.from_indices` (the format of :meth:`PatchScheme.to_json`).

    The returned scheme's ``spec`` is the canonical string (``"1d:64,8,2"``; a 2D spec with
    ``C = 1`` is written with 6 numbers; ``file:PATH`` keeps the path as given).

    Raises
    ------
    ConvotronError
        For any malformed spec, invalid parameters or unreadable file.
    """
    text = spec.strip()
    kind, sep, body = text.partition(":")
    kind = kind.strip().lower()
    shown = spec if len(spec) <= 100 else spec[:80] + f"... ({len(spec)} characters)"
    if sep and kind in ("conv1d", "conv2d"):
        from .conv import parse_conv_spec

        n, idx, canon, geometry = parse_conv_spec(text)
        return PatchScheme(n=n, indices=idx, spec=canon, geometry=geometry)
    if not sep or kind not in ("1d", "2d", "file"):
        raise ConvotronError(f"unknown scheme spec {shown!r}; the accepted forms are {_FORMS}.")
    if kind == "file":
        return _read_file_scheme(spec, body.strip())
    body_shown = body if len(body) <= 100 else body[:80] + "..."
    if kind == "1d":
        n, r, d = spec_numbers(shown, body_shown, body, "'1d:N,R,STRIDE'", (3,))
        return PatchScheme.stride_1d(n, r, d)
    vals = spec_numbers(
        shown, body_shown, body, "'2d:H,W,PH,PW,SH,SW' or '2d:C,H,W,PH,PW,SH,SW'", (6, 7)
    )
    if len(vals) == 6:
        return PatchScheme.stride_2d(*vals)
    return PatchScheme.stride_2d_channels(*vals)
