r"""One scheme checked end to end: :func:`check_scheme` and its :class:`SchemeCheck`.

Part of :mod:`convotron_theory.spectra`: the float extremes (:mod:`.numeric`), the exact certificate
(:mod:`.certificate`), the lemma bounds (:mod:`.lemmas`), exact eigenvalues (:mod:`.exact`)
and the kernel direction (:mod:`.kernel`) in one result, what ``convotron check`` prints.
Never imports :mod:`convotron`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._errors import HypothesisFailed, TheoryError
from .._stride import (
    _ceil_div,
    _stride_1d_k,
    stride_1d_indices,
    stride_2d_channels_indices,
    stride_2d_indices,
    toeplitz_block,
)
from ..overlap import as_indices, to_exact
from .certificate import (
    EXACT_MAX_R,
    Certificate,
    FloatCertificate,
    certify_positive_definite,
    certify_positive_definite_float,
    rayleigh_upper_bound,
)
from .enclosure import overlap_enclosure
from .exact import EXACT_EIG_MAX_R, exact_eigenvalues
from .kernel import KernelDirection, exact_kernel_witness, kernel_direction
from .lemmas import (
    LemmaBounds,
    covariance_spectrum_bounds,
    lemma_1d,
    lemma_2d,
    lemma_conv,
    lemma_cov_transfer,
)
from .limits import (
    AUTO_EXACT_MAX_SECONDS,
    EXACT_MAX_SECONDS,
    MAX_N,
    check_sizes,
    exact_cost_seconds,
)
from .numeric import _cov_kind, _cov_name, _overlap_from
from .result import FAILS, HOLDS, UNDECIDED, ProvedBound, SchemeCheck

__all__ = [
    "AUTO_EXACT_EIG_MAX_N",
    "AUTO_EXACT_EIG_MAX_R",
    "AUTO_EXACT_MAX_DENOMINATOR",
    "EXACT_COV_MAX_N",
    "SchemeCheck",
    "check_scheme",
]

#: Exact overlap matrices for a non-identity Σ are computed only up to this input dimension.
EXACT_COV_MAX_N = 2048

#: ``check_scheme(exact=None)`` certifies a non-identity Σ exactly only when its parameters
#: are rationals (read from their decimal strings) with denominators at most this: a float
#: such as ``1e-300`` would otherwise make exact arithmetic needlessly slow.
AUTO_EXACT_MAX_DENOMINATOR = 10**6
#: ``check_scheme`` computes exact eigenvalues for a non-identity Σ only up to this ``n``
#: (the characteristic polynomial's coefficients grow with ``n``).
AUTO_EXACT_EIG_MAX_N = 64
#: ``check_scheme`` factors the characteristic polynomial of an exact ``M`` that no closed form
#: covers only up to this ``r`` (:func:`exact_eigenvalues` itself goes up to
#: ``EXACT_EIG_MAX_R``; the factorisation's cost grows fast with the degree: about 10x from
#: r = 8 to r = 16 for a rational AR(1) Σ at n = 64, measured when this limit was named).
AUTO_EXACT_EIG_MAX_R = 8


def _simple_rational_cov(kind: str, payload: Any) -> bool:
    """Whether Σ's parameters are rationals with small denominators (for ``exact=None``)."""
    values = [payload] if kind == "ar1" else np.asarray(payload, dtype=object).ravel().tolist()
    for v in values:
        try:
            e, _ = to_exact(v, "value")
        except TheoryError:
            return False
        if not e.is_Rational or abs(int(e.q)) > AUTO_EXACT_MAX_DENOMINATOR:
            return False
    return True


def _exact_cov_payload(kind: str, payload: Any, notes: list[str]) -> Any:
    """Exact rationals for the covariance parameters (floats via Fraction(str(x)), noted)."""

    def ex(v: Any, name: str) -> Fraction:
        e, note = to_exact(v, name)
        if not e.is_Rational:
            raise TheoryError(
                f"an exact certificate needs a rational covariance; {name} = {e} is not "
                "rational. Pass a rational value (e.g. 1/2), or exact=False for a numeric check."
            )
        if note and note not in notes:
            notes.append(note)
        return Fraction(int(e.p), int(e.q))

    if kind == "ar1":
        return ex(payload, "rho")
    if kind == "diag":
        return [ex(v, f"d[{j}]") for j, v in enumerate(payload)]
    arr = np.asarray(payload, dtype=object)
    return [[ex(arr[i, j], f"Sigma[{i},{j}]") for j in range(arr.shape[1])] for i in
            range(arr.shape[0])]  # fmt: skip


def _exact_overlap(idx: np.ndarray, n: int, kind: str, exact_payload: Any) -> list[list[Fraction]]:
    """Exact M = P Σ Pᵀ in Fractions for a rational Σ (n <= EXACT_COV_MAX_N)."""
    r = idx.shape[1]
    C = np.zeros((r, n), dtype=np.int64)
    for a in range(r):
        C[a] = np.bincount(idx[:, a] + 1, minlength=n + 1)[1:]  # -1 (padding) reads nothing
    cols = [np.nonzero(C[a])[0] for a in range(r)]
    if kind == "diag":
        d = exact_payload
        return [
            [sum((Fraction(int(C[a, j] * C[b, j])) * d[j] for j in cols[a]), Fraction(0))
             for b in range(r)] for a in range(r)
        ]  # fmt: skip
    if kind == "ar1":
        rho: Fraction = exact_payload
        # distance histograms N_ab(h) = #{(j, j') : |j - j'| = h} weighted by counts
        powers = [Fraction(1)]
        out = [[Fraction(0)] * r for _ in range(r)]
        for a in range(r):
            ja, wa = cols[a], C[a, cols[a]]
            for b in range(a, r):
                jb, wb = cols[b], C[b, cols[b]]
                dist = np.abs(ja[:, None] - jb[None, :]).ravel()
                hist = np.bincount(dist, weights=(wa[:, None] * wb[None, :]).ravel())
                while len(powers) < len(hist):
                    powers.append(powers[-1] * rho)
                val = sum((round(c) * powers[h] for h, c in enumerate(hist) if c), Fraction(0))
                out[a][b] = out[b][a] = val
        return out
    S = exact_payload
    V = [[sum((int(C[a, j]) * S[j][jj] for j in cols[a]), Fraction(0)) for jj in range(n)]
         for a in range(r)]  # fmt: skip
    return [[sum((V[a][j] * int(C[b, j]) for j in cols[b]), Fraction(0)) for b in range(r)]
            for a in range(r)]  # fmt: skip


def _geometry_indices(geometry: dict[str, Any]) -> tuple[np.ndarray, str]:
    kind = geometry.get("kind")
    if kind in ("conv1d", "conv2d"):  # conv layers (padding, dilation): theory/conv.py
        from .._conv_geometry import conv_indices

        return conv_indices(geometry), kind
    try:
        if kind == "1d":
            return stride_1d_indices(geometry["n"], geometry["r"], geometry["stride"]), kind
        keys = ("height", "width", "patch_h", "patch_w", "stride_h", "stride_w")
        if kind == "2d":
            return stride_2d_indices(*(geometry[key] for key in keys)), kind
        if kind == "2d-channels":
            return stride_2d_channels_indices(
                geometry["channels"], *(geometry[key] for key in keys)
            ), kind
    except KeyError as exc:
        raise TheoryError(
            f"geometry of kind {kind!r} misses the key {exc.args[0]!r}; got keys "
            f"{sorted(geometry)}. Pass the keys of PatchScheme.geometry."
        ) from None
    raise TheoryError(
        f"geometry['kind'] must be '1d', '2d' or '2d-channels'; got {kind!r}. Pass the "
        "geometry dict of a stride scheme, or geometry=None."
    )


def _geometry_lemma(geometry: dict[str, Any]) -> LemmaBounds:
    kind = geometry["kind"]
    if kind in ("conv1d", "conv2d"):
        return lemma_conv(geometry)
    if kind == "1d":
        return lemma_1d(geometry["n"], geometry["r"], geometry["stride"])
    return lemma_2d(
        geometry["height"],
        geometry["width"],
        geometry["patch_h"],
        geometry["patch_w"],
        geometry["stride_h"],
        geometry["stride_w"],
        channels=geometry.get("channels", 1),
    )


def _geometry_exact_extremes(geometry: dict[str, Any]) -> tuple[sp.Expr, sp.Expr] | None:
    """Exact extreme eigenvalues of PPᵀ from the Toeplitz blocks (None if blocks too big)."""

    def axis(nn: int, rr: int, dd: int) -> tuple[sp.Expr, sp.Expr] | None:
        kk = _stride_1d_k(nn, rr, dd)
        m = _ceil_div(rr, dd)
        if m > EXACT_EIG_MAX_R:
            return None
        ev = exact_eigenvalues(toeplitz_block(min(m, rr), kk))
        return ev[0], ev[-1]

    if geometry["kind"] in ("conv1d", "conv2d"):
        return None  # no closed form for padded/dilated layers: eigenvalues of M itself
    if geometry["kind"] == "1d":
        return axis(geometry["n"], geometry["r"], geometry["stride"])
    a = axis(geometry["height"], geometry["patch_h"], geometry["stride_h"])
    b = axis(geometry["width"], geometry["patch_w"], geometry["stride_w"])
    if a is None or b is None:
        return None
    return sp.expand(a[0] * b[0]), sp.expand(a[1] * b[1])


def _precheck(n: Any, indices: Any) -> None:
    """Refuse ragged indices and sizes over the limits before anything is allocated."""
    nn = int(n) if isinstance(n, int | np.integer) and not isinstance(n, bool) else 1
    if isinstance(indices, np.ndarray):
        if indices.ndim == 2:
            check_sizes(nn, int(indices.shape[0]), int(indices.shape[1]))
        return
    if nn > MAX_N:
        check_sizes(nn, 1, 1)
    try:
        arr = np.asarray(indices)
    except (ValueError, TypeError):
        raise TheoryError(
            "indices must be a rectangular (k, r) array: every patch reads the same number r "
            "of coordinates; got rows that cannot form one. Pass a list of k rows of equal "
            "length r."
        ) from None
    if arr.dtype == object:
        raise TheoryError(
            "indices must be a rectangular (k, r) array of integers; got rows of unequal "
            "length or non-numbers. Pass a list of k rows of equal length r."
        )
    if arr.ndim == 2:
        check_sizes(nn, int(arr.shape[0]), int(arr.shape[1]))


def _validate_dense_cov(n: int, payload: Any) -> None:
    """Refuse a dense Σ that is not finite, symmetric and positive semidefinite."""
    try:
        S = np.asarray(np.asarray(payload, dtype=object).astype(float), dtype=np.float64)
    except (TypeError, ValueError):
        raise TheoryError(
            "a dense covariance must hold real numbers; got entries that are not (e.g. a "
            "symbol). Pass a numeric n x n matrix, or ('ar1', rho) / ('diag', d)."
        ) from None
    bad = ~np.isfinite(S)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise TheoryError(
            f"a covariance matrix must be finite; got Sigma[{i},{j}] = {S[i, j]}. Pass a "
            "finite symmetric positive semidefinite n x n matrix."
        )
    scale = max(float(np.max(np.abs(S))), np.finfo(float).tiny)
    asym = float(np.max(np.abs(S - S.T)))
    if asym > 1e-12 * scale:
        i, j = (int(v) for v in np.unravel_index(int(np.argmax(np.abs(S - S.T))), S.shape))
        raise TheoryError(
            f"a covariance matrix must be symmetric; got Sigma[{i},{j}] = {S[i, j]} but "
            f"Sigma[{j},{i}] = {S[j, i]}. Pass a symmetric matrix, e.g. (S + S.T) / 2."
        )
    tol = 1e-10 * scale * max(n, 1)
    try:
        np.linalg.cholesky(S + tol * np.eye(n))
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(S)[0])
        raise TheoryError(
            f"a covariance matrix must be positive semidefinite; got lambda_min(Sigma) = "
            f"{lam:.6g} < 0. Pass a valid covariance (e.g. A Aᵀ for some A)."
        ) from None


def _exact_cost(idx: np.ndarray, n: int, kind: str, payload: Any, max_abs: float) -> float:
    """Estimated seconds of the exact path: a lower estimate first, then with denominators."""
    first = exact_cost_seconds(idx, n, kind, None, max_abs)
    if kind == "identity" or first > EXACT_MAX_SECONDS:
        return first
    try:
        exact_payload = _exact_cov_payload(kind, payload, [])
    except TheoryError:
        return first  # not rational: the exact path itself will say so
    return exact_cost_seconds(idx, n, kind, exact_payload, max_abs)


def _checked_inputs(
    n: int, indices: Any, cov: Any, geometry: dict[str, Any] | None
) -> tuple[np.ndarray, str, Any]:
    """Validate the scheme, Σ and the geometry; return ``(indices, Σ's kind, its payload)``."""
    if geometry is not None and not isinstance(geometry, dict):
        raise TheoryError(
            f"geometry must be a dict such as {{'kind': '1d', 'n': 16, 'r': 4, 'stride': 2}} "
            f"or None; got {geometry!r} of type {type(geometry).__name__}. Pass the "
            "PatchScheme.geometry dict of a stride scheme, or geometry=None."
        )
    _precheck(n, indices)
    idx = as_indices(n, indices)
    k, r = idx.shape
    check_sizes(int(n), k, r)
    kind, payload = _cov_kind(n, cov)
    if kind == "dense":
        _validate_dense_cov(n, payload)
    if geometry is not None:
        gidx, _ = _geometry_indices(geometry)
        if gidx.shape != idx.shape or not np.array_equal(gidx, idx):
            raise TheoryError(
                f"geometry {geometry} does not describe these indices (shape {idx.shape}, "
                f"geometry gives {gidx.shape} or different coordinates). Pass the geometry of "
                "the same scheme, or geometry=None."
            )
    return idx, kind, payload


@dataclass
class _Certified:
    r"""What :func:`check_scheme` computed of :math:`M = P\Sigma P^\top` and its certificates.

    ``M`` as built (``int64`` for Σ = I), ``Mf`` it in floats, ``lmin``/``lmax`` its float
    extremes and ``max_abs`` its largest entry; ``enc`` the enclosure ``(centre, radius)`` of
    ``M`` the float certificate ``fcert`` was run on; ``M_exact`` the exact ``M`` and ``cert``
    its exact :math:`LDL^\top`, when that was run.
    """

    M: np.ndarray
    Mf: np.ndarray
    lmin: float
    lmax: float
    max_abs: float
    enc: tuple[np.ndarray, np.ndarray] | None = None
    cert: Certificate | None = None
    fcert: FloatCertificate | None = None
    M_exact: list[list[Fraction]] | None = None


def _exact_matrix(
    idx: np.ndarray, n: int, kind: str, payload: Any, M: np.ndarray, notes: list[str]
) -> list[list[Fraction]]:
    """Return the overlap matrix in exact rationals (Σ = I: ``M`` is already exact in int64)."""
    if kind == "identity":
        return [[Fraction(int(v)) for v in row] for row in np.asarray(M)]
    return _exact_overlap(idx, n, kind, _exact_cov_payload(kind, payload, notes))


def _wants_exact(
    idx: np.ndarray,
    n: int,
    kind: str,
    payload: Any,
    exact: bool | None,
    eligible: bool,
    max_abs: float,
    notes: list[str],
) -> bool:
    r"""Decide whether the exact :math:`LDL^\top` runs now.

    ``exact=None``: when ``eligible`` and the cost model says it is cheap, else a note says why
    not. ``exact=True`` raises where it is impossible or estimated over ``EXACT_MAX_SECONDS``.
    """
    r = idx.shape[1]
    if exact is None:
        if not eligible:
            notes.append(
                f"no exact certificate: by default the exact LDLᵀ is tried only for r <= "
                f"{EXACT_MAX_R} with Σ = I, or with n <= {EXACT_COV_MAX_N} and Σ's entries "
                f"rationals of denominator <= {AUTO_EXACT_MAX_DENOMINATOR}; pass exact=True "
                "to force it"
            )
            return False
        est = _exact_cost(idx, n, kind, payload, max_abs)
        if est > AUTO_EXACT_MAX_SECONDS:
            notes.append(
                f"no exact certificate: the exact LDLᵀ path is estimated at {est:.3g} s, "
                f"over the default budget of {AUTO_EXACT_MAX_SECONDS:g} s; pass "
                "exact=True to force it"
            )
            return False
        return True
    if exact:
        if kind != "identity" and n > EXACT_COV_MAX_N:
            raise TheoryError(
                f"an exact certificate with a non-identity Σ needs n <= {EXACT_COV_MAX_N}; "
                f"got n={n}. Use exact=False (numeric) or exact=None."
            )
        est = _exact_cost(idx, n, kind, payload, max_abs)
        if est > EXACT_MAX_SECONDS:
            raise TheoryError(
                f"exact=True: the exact LDLᵀ certificate for this scheme (r={r}, n={n}, "
                f"Σ = {_cov_name(kind, payload)}) is estimated at {est:.3g} s, over the "
                f"limit of {EXACT_MAX_SECONDS:g} s. Use exact=None (a verified "
                "floating-point bound on lambda_min), or a smaller scheme."
            )
    return bool(exact)


def _certify(
    idx: np.ndarray, n: int, kind: str, payload: Any, exact: bool | None, notes: list[str]
) -> _Certified:
    r"""Build :math:`M` and its float extremes, then certify it.

    The exact :math:`LDL^\top` when cheap or asked (:func:`_wants_exact`), else the verified
    float certificate on an enclosure of :math:`M`.
    """
    r = idx.shape[1]
    eligible = r <= EXACT_MAX_R and (
        kind == "identity" or (n <= EXACT_COV_MAX_N and _simple_rational_cov(kind, payload))
    )
    enc: tuple[np.ndarray, np.ndarray] | None = None
    if exact is None and not eligible and kind != "identity":
        # the float certificate's enclosure gives M as well: build it once
        enc = overlap_enclosure(idx, n, kind, payload)
    M = enc[0] if enc is not None else _overlap_from(idx, n, kind, payload)
    Mf = np.asarray(M, dtype=float)
    ev = np.linalg.eigvalsh(Mf)
    c = _Certified(M, Mf, float(ev[0]), float(ev[-1]), float(np.max(np.abs(Mf))), enc)
    if _wants_exact(idx, n, kind, payload, exact, eligible, c.max_abs, notes):
        c.M_exact = _exact_matrix(idx, n, kind, payload, M, notes)
        c.cert = certify_positive_definite(c.M_exact)
        return c
    if kind == "identity" and c.max_abs < 2.0**53:  # M is exact in int64 and float64
        c.enc = (Mf, np.zeros_like(Mf))
    elif c.enc is None:
        c.enc = overlap_enclosure(idx, n, kind, payload)
    if c.enc is None:
        notes.append(
            "no verified float bound: Σ's parameters could not be enclosed (irrational "
            "or overflowing)"
        )
        return c
    c.fcert = certify_positive_definite_float(
        c.enc[0], c.enc[1], estimate=c.lmin if c.enc[0] is Mf else None
    )
    if not c.fcert.holds:
        notes.append(f"the verified float bound did not prove positivity ({c.fcert.reason})")
    return c


def _lemma(
    geometry: dict[str, Any] | None, n: int, cov: Any, kind: str, notes: list[str]
) -> tuple[LemmaBounds | None, str]:
    r"""Return the stride lemma's bounds and why they apply, or ``None`` and why not.

    For Σ ≠ I the bounds are moved to :math:`P\Sigma P^\top` by ``lem-cov-transfer``.
    """
    if geometry is None:
        return None, "no stride geometry given: the 1D/2D lemmas need a patch-and-stride scheme"
    try:
        bounds = _geometry_lemma(geometry)
        if kind != "identity":
            lo, hi, how = covariance_spectrum_bounds(n, cov)
            bounds = lemma_cov_transfer(bounds, lo, hi)
            notes.append(f"lemma bounds on PΣPᵀ use {how}")
    except HypothesisFailed as exc:
        return None, str(exc)
    return bounds, bounds.case


def _verdict(
    idx: np.ndarray,
    n: int,
    kind: str,
    payload: Any,
    cov: Any,
    exact: bool | None,
    c: _Certified,
    lemma_bounds: LemmaBounds | None,
    notes: list[str],
) -> _Verdict:
    r"""Decide the condition from the proofs at hand.

    When none decides and ``exact=None``, the exact :math:`LDL^\top` runs after all if the
    cost model says it is cheap (whatever the denominators: they are in the estimate); a
    verdict still UNDECIDED says what would decide it.
    """
    verdict = _decide(idx, n, kind, payload, cov, c.cert, c.fcert, lemma_bounds, c.enc, c.Mf,
                      c.lmin)  # fmt: skip
    if verdict.status == UNDECIDED and exact is None and _exact_feasible(idx, n, kind, payload):
        est = _exact_cost(idx, n, kind, payload, c.max_abs)
        if est <= AUTO_EXACT_MAX_SECONDS:
            c.M_exact = _exact_matrix(idx, n, kind, payload, c.M, notes)
            c.cert = certify_positive_definite(c.M_exact)
            notes.append(
                f"the exact LDLᵀ was run (estimated {est:.2g} s) because no other proof "
                "decided the condition"
            )
            verdict = _decide(idx, n, kind, payload, cov, c.cert, c.fcert, lemma_bounds, c.enc,
                              c.Mf, c.lmin)  # fmt: skip
    if verdict.status == UNDECIDED:
        hint = _what_decides(idx, n, kind, payload, idx.shape[1], c.fcert, c.lmin, c.max_abs)
        verdict = replace(verdict, to_decide=hint)
    return verdict


#: A float λ_min(M) at most this times λ_max(M) is at the rounding level of M's entries.
_ROUNDING_LEVEL = 1e-12
_AT_ROUNDING_LEVEL = (
    "the condition holds exactly for M as read, but the float lambda_min(M) = {lmin:.3g} is "
    "at the rounding level of its entries (lambda_max(M) = {lmax:.3g}): a Σ perturbed by "
    "rounding, e.g. an estimate XᵀX/m formed in floating point or floats read as decimals, "
    "can turn a singular M into this one; when Σ comes from data, pass the exact estimate "
    "(XᵀX/m in Fractions of the floats of X)"
)


def _exact_extremes(
    geometry: dict[str, Any] | None, kind: str, c: _Certified, n: int
) -> tuple[sp.Expr | None, sp.Expr | None]:
    """Return the exact extreme eigenvalues, or ``(None, None)``.

    From the stride closed forms (Σ = I with a geometry), else by factoring the characteristic
    polynomial of the exact ``M`` when it is small (``r <= AUTO_EXACT_EIG_MAX_R``; for Σ ≠ I
    also ``n <= AUTO_EXACT_EIG_MAX_N``).
    """
    r = c.Mf.shape[0]
    if geometry is not None and kind == "identity":
        got = _geometry_exact_extremes(geometry)
        return got if got is not None else (None, None)
    if c.M_exact is not None and r <= AUTO_EXACT_EIG_MAX_R and n <= AUTO_EXACT_EIG_MAX_N:
        evs = exact_eigenvalues(c.M_exact)
    elif kind == "identity" and r <= AUTO_EXACT_EIG_MAX_R:
        evs = exact_eigenvalues(np.asarray(c.M))
    else:
        return None, None
    return evs[0], evs[-1]


def _kernel_for(
    verdict: _Verdict, n: int, idx: np.ndarray, cov: Any, c: _Certified
) -> KernelDirection | None:
    r"""Return the kernel direction of a FAILS verdict, else ``None``.

    When the numeric search found no integer witness, the exact :math:`LDL^\top`'s is used.
    """
    if verdict.status != FAILS:
        return None
    kd = kernel_direction(n, idx, cov, M=c.Mf)
    if kd.exact is None and c.cert is not None and c.cert.kernel_direction is not None:
        u = np.asarray(c.cert.kernel_direction, dtype=float)
        w = u / np.linalg.norm(u)
        kd = replace(
            kd,
            w=w,
            eigenvalue=float(w @ c.Mf @ w),
            residual=float(np.linalg.norm(c.Mf @ w)),
            exact=tuple(int(v) for v in c.cert.kernel_direction),
            explanation=(
                f"the exact LDLᵀ of M gives the integer u = {list(c.cert.kernel_direction)} "
                f"with uᵀMu = {c.cert.quadratic_form}. " + kd.explanation.split(". ", 1)[-1]
            ),
        )
    return kd


def check_scheme(
    n: int,
    indices: Any,
    cov: Any = "identity",
    exact: bool | None = None,
    geometry: dict[str, Any] | None = None,
) -> SchemeCheck:
    r"""Check Convotron's condition :math:`\lambda_{\min}(P\Sigma P^\top) > 0` for a scheme.

    Steps: the size limits of :mod:`convotron_theory.spectra.limits` (before any allocation);
    :math:`M` by :func:`overlap_numeric` (never :math:`n \times n`) and its extreme
    eigenvalues; an exact :math:`LDL^\top` certificate (:func:`certify_positive_definite`)
    when asked or when the cost model says it is cheap, else a verified floating-point lower
    bound on :math:`\lambda_{\min}` (:func:`certify_positive_definite_float` on
    :func:`~convotron_theory.spectra.enclosure.overlap_enclosure`); the lemma bounds when a stride
    ``geometry`` is given and the lemma's hypotheses hold (``lem-1d``, ``lem-2d``; with
    ``lem-cov-transfer`` for Σ ≠ I); exact eigenvalue expressions (from the stride closed
    forms for Σ = I with a geometry, else by factoring the characteristic polynomial when
    :math:`r \le` ``AUTO_EXACT_EIG_MAX_R``; for Σ ≠ I only when the exact ``M`` was formed
    and :math:`n \le` ``AUTO_EXACT_EIG_MAX_N``); the kernel direction when the condition fails.

    The verdict (``verdict``, ``proof``, ``verdict_reason``) comes from proofs only, never
    from a numeric threshold [derived]: HOLDS from the exact :math:`LDL^\top`, else the
    largest proven lower bound that is positive (the verified float certificate, or the
    lemma's exact rational bound); FAILS from an exact integer witness :math:`u`,
    :math:`u^\top Mu = 0` (the :math:`LDL^\top`'s, or :math:`P^\top u = 0` found from the
    integer :math:`PP^\top` and checked in integers), or a verified Rayleigh quotient
    :math:`\le 0`; UNDECIDED otherwise, with every proven bound (``proved_bounds``) and
    what would decide it (``to_decide``). The float eigenvalues are reported beside it and
    decide nothing. Parameters read as rationals (the exact path, the lemma) are the decimals
    floats print as; the float certificate and the witnesses hold for both readings.

    Parameters
    ----------
    n : int
    indices : array_like of int, shape (k, r)
    cov : str, tuple or array, default ``"identity"``
        As in :func:`overlap_numeric`.
    exact : bool or None
        ``None``: certify exactly when that is cheap, i.e. :math:`r \le` ``EXACT_MAX_R``, Σ
        is the identity (any :math:`n`: :math:`PP^\top` is computed exactly in ``int64``) or a
        rational Σ with :math:`n \le` ``EXACT_COV_MAX_N``, and the estimated time of the
        exact path (:func:`~convotron_theory.spectra.limits.exact_cost_seconds`) is at most
        ``AUTO_EXACT_MAX_SECONDS``; otherwise the verified float certificate
        (``certificate == "verified-float"``, with ``lambda_min_lower_bound``), the lemma,
        an exact kernel witness, and, when none of them decides, the exact path after all
        whenever the cost model says it is cheap (whatever the denominators). ``True``:
        always certify exactly (a float parameter is read as the rational it prints as,
        ``Fraction(str(x))``, and a note says so); raises when impossible or estimated over
        ``EXACT_MAX_SECONDS``. ``False``: no exact :math:`LDL^\top` of :math:`M`; the verdict
        comes from the verified float certificate, the lemma or an integer kernel witness,
        else it is ``"UNDECIDED"``.
    geometry : dict or None
        ``{"kind": "1d", "n", "r", "stride"}``, ``{"kind": "2d", "height", "width",
        "patch_h", "patch_w", "stride_h", "stride_w"}`` or ``{"kind": "2d-channels",
        "channels", ...}`` (the keys of ``convotron``'s ``PatchScheme.geometry``); enables the
        lemmas and exact eigenvalues from the closed forms. It must describe ``indices``.

    Returns
    -------
    SchemeCheck

    Raises
    ------
    TheoryError
        Bad scheme (ragged indices, sizes over ``MAX_N``,
        ``MAX_R``, ...), covariance (a dense Σ that is not finite,
        symmetric and positive semidefinite) or geometry (not a dict, or not describing the
        indices), or ``exact=True`` where an exact certificate is impossible (irrational or
        symbolic parameter, :math:`n >` ``EXACT_COV_MAX_N`` with a non-identity Σ, or an
        estimated time over ``EXACT_MAX_SECONDS``).

    Examples
    --------
    >>> res = check_scheme(16, [[2 * i + a for a in range(4)] for i in range(7)])
    >>> res.lambda_min, res.lambda_max, res.condition_holds, res.certificate
    (1.0, 13.0, True, 'exact')
    """
    idx, kind, payload = _checked_inputs(n, indices, cov, geometry)
    k, r = idx.shape
    notes: list[str] = []
    c = _certify(idx, n, kind, payload, exact, notes)
    # the lemma before the verdict: its lower bound is a proof
    lemma_bounds, lemma_reason = _lemma(geometry, n, cov, kind, notes)
    verdict = _verdict(idx, n, kind, payload, cov, exact, c, lemma_bounds, notes)
    if verdict.proof == "exact LDLᵀ" and c.lmin <= _ROUNDING_LEVEL * abs(c.lmax):
        notes.append(_AT_ROUNDING_LEVEL.format(lmin=c.lmin, lmax=c.lmax))
    ex_min, ex_max = _exact_extremes(geometry, kind, c, n)
    lows = [b.value for b in verdict.bounds if b.side == "lower"]
    highs = [b.value for b in verdict.bounds if b.side == "upper"]
    return SchemeCheck(
        n=int(n),
        r=r,
        k=k,
        cov=_cov_name(kind, payload),
        lambda_min=c.lmin,
        lambda_max=c.lmax,
        trace=float(np.trace(c.Mf)),
        condition_holds=verdict.status == HOLDS,
        certificate=verdict.certificate,
        certificate_detail=c.cert,
        lemma=lemma_bounds.claim if lemma_bounds is not None else None,
        lemma_lower_bound=lemma_bounds.lower if lemma_bounds is not None else None,
        lemma_upper_bound=lemma_bounds.upper if lemma_bounds is not None else None,
        lemma_reason=lemma_reason,
        lemma_bounds=lemma_bounds,
        kernel_direction=_kernel_for(verdict, n, idx, cov, c),
        exact_lambda_min=ex_min,
        exact_lambda_max=ex_max,
        notes=tuple(notes),
        geometry=geometry,
        overlap=np.asarray(c.M),
        float_certificate=c.fcert,
        lambda_min_lower_bound=max(lows) if lows else None,
        verdict=verdict.status,
        proof=verdict.proof,
        verdict_reason=verdict.reason,
        to_decide=verdict.to_decide,
        proved_bounds=verdict.bounds,
        lambda_min_upper_bound=min(highs) if highs else None,
    )


# ============================================================================================
# the verdict: from proofs only
# ============================================================================================
@dataclass(frozen=True)
class _Verdict:
    status: str
    proof: str | None
    certificate: str
    reason: str
    bounds: tuple[ProvedBound, ...]
    to_decide: str | None = None


def _float_down(x: sp.Expr) -> float:
    """Return a float <= the real number ``x`` (exact for rationals, 30 digits otherwise)."""
    x = sp.sympify(x)
    if x.is_Rational:
        q = Fraction(int(x.p), int(x.q))
        f = float(q)
        return float(np.nextafter(f, -np.inf)) if Fraction(f) > q else f
    f = float(sp.N(x, 30))
    return float(np.nextafter(np.nextafter(f, -np.inf), -np.inf))


def _decide(
    idx: np.ndarray,
    n: int,
    kind: str,
    payload: Any,
    cov: Any,
    cert: Certificate | None,
    fcert: FloatCertificate | None,
    lemma_bounds: LemmaBounds | None,
    enc: tuple[np.ndarray, np.ndarray] | None,
    Mf: np.ndarray,
    lmin: float,
) -> _Verdict:
    r"""Decide HOLDS, FAILS or UNDECIDED, each from a proof; never from a numeric threshold.

    * HOLDS: the exact :math:`LDL^\top` (all pivots > 0), else the larger of the proven lower
      bounds that is > 0: the verified float certificate, the lemma's (exact rational, > 0).
    * FAILS: the exact :math:`LDL^\top`'s integer witness (:math:`u^\top Mu \le 0` exactly);
      else an integer :math:`u` with :math:`P^\top u = 0` checked in integer arithmetic
      (:func:`~convotron_theory.spectra.kernel.exact_kernel_witness`); else a verified Rayleigh
      quotient
      :math:`\le 0` (:func:`~convotron_theory.spectra.certificate.rayleigh_upper_bound`).
    * UNDECIDED otherwise, with every proven bound.
    """
    bounds: list[ProvedBound] = []
    if fcert is not None and fcert.lower_bound is not None:
        bounds.append(ProvedBound("lower", fcert.lower_bound, "verified float certificate"))
    lemma_pos = False
    if lemma_bounds is not None:
        low = sp.sympify(lemma_bounds.lower)
        lemma_pos = bool(low > 0)
        bounds.append(
            ProvedBound("lower", _float_down(low), f"lemma {lemma_bounds.claim}", str(low))
        )
    if cert is not None:
        if cert.holds:
            return _Verdict(
                HOLDS, "exact LDLᵀ", "exact",
                f"certified exactly (LDLᵀ in rationals): {cert.reason}", tuple(bounds),
            )  # fmt: skip
        return _Verdict(
            FAILS, "exact kernel witness", "exact",
            f"refuted exactly (LDLᵀ in rationals): {cert.reason} <= 0, so lambda_min(M) <= 0",
            tuple(bounds),
        )  # fmt: skip
    positive = []
    if fcert is not None and fcert.holds and fcert.lower_bound is not None:
        positive.append((fcert.lower_bound, "verified float certificate", fcert.reason))
    if lemma_pos and lemma_bounds is not None:
        why = (
            f"proven by the lemma {lemma_bounds.claim}: lambda_min(M) >= {lemma_bounds.lower} "
            f"> 0 ({lemma_bounds.case})"
        )
        if fcert is not None and not fcert.holds:
            why += "; the verified float certificate could not resolve it"
        positive.append(
            (_float_down(sp.sympify(lemma_bounds.lower)), f"lemma {lemma_bounds.claim}", why)
        )
    if positive:
        _value, name, why = max(positive, key=lambda t: t[0])
        kind_name = "verified-float" if name == "verified float certificate" else "lemma"
        return _Verdict(HOLDS, name, kind_name, why, tuple(bounds))
    found = exact_kernel_witness(n, idx, cov)
    if found is not None:
        u, why = found
        return _Verdict(
            FAILS, "exact kernel witness", "kernel-witness",
            f"refuted exactly: the integer u = {list(u)} has uᵀMu = 0 (Pᵀu checked in integer "
            f"arithmetic): {why.strip()}", tuple(bounds),
        )  # fmt: skip
    if enc is not None:
        _, vecs = np.linalg.eigh(enc[0])
        ub = rayleigh_upper_bound(enc[0], enc[1], vecs[:, 0])
        if ub is not None:
            bounds.append(ProvedBound("upper", ub, "Rayleigh quotient"))
            if ub <= 0:
                return _Verdict(
                    FAILS, "verified upper bound", "upper-bound",
                    f"refuted: the verified Rayleigh quotient of the float eigenvector gives "
                    f"lambda_min(M) <= {ub:.6g} <= 0", tuple(bounds),
                )  # fmt: skip
    shown = "; ".join(b.text() for b in bounds) or "none"
    return _Verdict(
        UNDECIDED, None, "none",
        f"undecided: no proof either way (float lambda_min(M) = {lmin:.6g}, not a proof); "
        f"proven bounds: {shown}", tuple(bounds),
    )  # fmt: skip


def _exact_obstacle(idx: np.ndarray, n: int, kind: str, payload: Any) -> str:
    """Why the exact LDLᵀ of M cannot be formed (empty when it can)."""
    r = idx.shape[1]
    if r > EXACT_MAX_R:
        return f"r = {r} > {EXACT_MAX_R}"
    if kind != "identity" and n > EXACT_COV_MAX_N:
        return f"n = {n} > {EXACT_COV_MAX_N} with a non-identity Σ"
    if kind != "identity":
        try:
            _exact_cov_payload(kind, payload, [])
        except TheoryError:
            return "Σ's parameters are not rational"
    return ""


def _exact_feasible(idx: np.ndarray, n: int, kind: str, payload: Any) -> bool:
    return not _exact_obstacle(idx, n, kind, payload)


def _what_decides(
    idx: np.ndarray,
    n: int,
    kind: str,
    payload: Any,
    r: int,
    fcert: FloatCertificate | None,
    lmin: float,
    max_abs: float,
) -> str:
    """Say what would decide an undecided verdict: the exact path, or higher precision."""
    res = (
        f"the float certificate resolves lambda_min only above about {fcert.resolution:.3g} "
        f"(its rounding and enclosure errors) and the float lambda_min(M) = {lmin:.3g} is "
        "below that"
        if fcert is not None
        else "no verified float bound could be formed"
    )
    why_not = _exact_obstacle(idx, n, kind, payload)
    if not why_not:
        est = _exact_cost(idx, n, kind, payload, max_abs)
        if est <= EXACT_MAX_SECONDS:
            return f"{res}; pass exact=True: the exact LDLᵀ decides it (estimated {est:.2g} s)"
        why_not = f"the exact path is estimated at {est:.3g} s > {EXACT_MAX_SECONDS:g} s"
    return (
        f"{res}; the exact LDLᵀ is not available ({why_not}): decide it in higher precision "
        "(a smaller or rational instance for exact=True, or interval arithmetic beyond float64)"
    )
