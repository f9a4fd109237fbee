r"""``convotron check``: whether a patch scheme satisfies :math:`\lambda_{\min}(M) > 0`.

GLUE (imports :mod:`convotron_theory`). For ``--scheme SPEC`` and ``--cov C`` it computes
:math:`M = P\Sigma P^\top` (never an ``n x n`` matrix), its extreme eigenvalues, an exact
certificate (rational :math:`LDL^\top`, ``--exact`` forces it; by default it is used when a
cost estimate says it is cheap, else a verified floating-point lower bound on λ_min), the
bounds of the lemma that applies (``lem-1d``, ``lem-2d``, with ``lem-cov-transfer`` for
Σ ≠ I; reported only when the lemma's hypotheses hold) and, when
the condition fails, the kernel direction: a filter the data cannot identify.

The verdict is one of three, each from a proof, never from a numeric threshold: HOLDS
(exact LDLᵀ, verified float certificate or a lemma's lower bound > 0), FAILS (an exact
integer witness u with uᵀMu = 0, or a verified upper bound <= 0) or UNDECIDED (no proof
either way; the report says what would decide it and gives every proven bound).

Exit status: 0 HOLDS, 1 FAILS, 4 UNDECIDED, 2 on bad input (3 is an environment failure).
JSON keys (``--json``): ``scheme, n, r, k, cov, lambda_min, lambda_max, trace,
condition_holds`` (verdict == HOLDS)``, verdict ("HOLDS" | "FAILS" | "UNDECIDED"), proof,
verdict_reason, to_decide, proved_bounds`` (list of ``{side, value, proof, exact}``)``,
lambda_min_upper_bound, certificate ("exact" | "verified-float" | "lemma" |
"kernel-witness" | "upper-bound" | "none"), certificate_reason,
lambda_min_lower_bound (the best proven lower bound, else null), pivots, lemma,
lemma_lower_bound, lemma_upper_bound (null when the lemma's hypotheses fail),
lemma_lower_bound_exact, lemma_upper_bound_exact, lemma_reason, kernel_direction (null unless
the verdict is FAILS), kernel_direction_exact, kernel_explanation, exact_lambda_min,
exact_lambda_max, notes, geometry``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_FAIL, EXIT_OK, add_json_option, add_problem_options, emit_json, switches

__all__ = [
    "DESCRIPTION",
    "EXACT_SIGMA_MAX_PRODUCTS",
    "EXIT_UNDECIDED",
    "HELP",
    "add_arguments",
    "format_check",
    "main",
]

#: Exit status of ``convotron check`` when no proof decides the condition either way.
EXIT_UNDECIDED = 4


#: The subcommand's line in ``convotron --help``.
HELP = "check a patch scheme's condition lambda_min(P Σ Pᵀ) > 0"
#: The description of ``convotron check --help``.
DESCRIPTION = (
    "Check Convotron's condition lambda_min(P Σ Pᵀ) > 0 for a patch scheme: extreme "
    "eigenvalues, an exact certificate, the lemma bounds that apply and, when it "
    "fails, the filter direction the data cannot identify. The verdict comes from a "
    "proof: HOLDS (exact LDLᵀ, verified float bound or a lemma), FAILS (an exact kernel "
    "witness or a verified upper bound <= 0) or UNDECIDED (what would decide it is "
    "printed). Exit status 0 HOLDS, 1 FAILS, 4 UNDECIDED, 2 on bad input."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``convotron check`` to its parser."""
    add_problem_options(p, "scheme", "cov")
    p.add_argument(
        "--exact",
        action="store_true",
        help="always certify exactly (rational LDLᵀ); fails with status 2 when impossible",
    )
    p.add_argument(
        "--data",
        metavar="FILE.npz",
        default=None,
        help="estimate Σ from the rows X of FILE.npz (numpy.savez(path, X=X)) as XᵀX/m, check "
        "the condition for it and print the plug-in constants with their CLT intervals "
        "(the law is assumed symmetric; not with --cov)",
    )
    add_json_option(p)


def _load_rows(path: str, n: int) -> Any:
    """Return the rows ``X`` (m, n) of ``path`` (an ``.npz``), read safely (headers first)."""
    import os
    import zipfile

    import numpy as np

    from .._errors import ConvotronError
    from ._data import _npz_member

    hint = "Save the inputs with numpy.savez(path, X=X), X of shape (m, n)."
    if not os.path.isfile(path):
        raise ConvotronError(f"--data must name an existing .npz file; got {path!r}. {hint}")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise ConvotronError(
            f"--data must be a numpy .npz archive (a zip file); {path!r} is not. {hint}"
        ) from None
    with zf:
        if "X.npy" not in zf.namelist():
            raise ConvotronError(f"--data must contain the array X; {path!r} does not. {hint}")
        X = np.asarray(_npz_member(zf, "X", path), dtype=float)
    if X.ndim != 2 or X.shape[1] != n or X.shape[0] < 2:
        raise ConvotronError(
            f"--data: X must have shape (m, n) with n={n} (the scheme's input dimension) and "
            f"m >= 2 rows; got shape {X.shape}. Use a matching --scheme or reshape X."
        )
    if not np.all(np.isfinite(X)):
        raise ConvotronError(
            f"--data: X must be finite; {int(np.sum(~np.isfinite(X)))} entries are not. "
            "Remove or impute them."
        )
    return X


#: ``--data`` forms Σ̂ = XᵀX/m in exact rationals when m·n² is at most this (about 1 s);
#: beyond it (and without ``--exact``) Σ̂ is formed in floating point and only proofs that
#: hold for it (the verified float certificate, a lemma, an integer kernel witness) decide.
EXACT_SIGMA_MAX_PRODUCTS = 4_000_000


def _exact_sigma(X: Any) -> Any:
    r"""Return :math:`\hat\Sigma = X^\top X/m` exactly: an ``(n, n)`` object array of Fractions.

    Every float is a dyadic rational :math:`N 2^e` (``numpy.frexp``: a 53-bit integer
    mantissa), so :math:`X = \tilde N 2^{e_0}` with integers :math:`\tilde N` and
    :math:`\hat\Sigma = \tilde N^\top\tilde N\,2^{2e_0}/m` is a product of Python integers,
    exact. The floating-point ``X.T @ X / m`` differs from it by rounding, and a rounded
    :math:`\hat\Sigma` can turn a singular :math:`P\hat\Sigma P^\top` (fewer rows than
    ``r``, repeated rows) into a positive definite one, or the reverse: a certificate of the
    rounded matrix proves nothing about the estimate.
    """
    from fractions import Fraction

    import numpy as np

    m, n = X.shape
    mant, ex = np.frexp(X)
    N = (mant * 2.0**53).astype(np.int64)  # exact: |mant| < 1 has at most 53 bits
    e = ex.astype(np.int64) - 53
    nonzero = N != 0
    e0 = int(e[nonzero].min()) if nonzero.any() else 0
    shifts, where = np.unique(np.where(nonzero, e - e0, 0), return_inverse=True)
    powers = np.array([1 << int(s) for s in shifts], dtype=object)
    Nt = N.astype(object) * powers[where.reshape(m, n)]
    G = Nt.T.dot(Nt)
    scale = Fraction(2) ** (2 * e0) / m
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = Fraction(int(G[i, j])) * scale
    return out


def _num(v: Any) -> str:
    return "-" if v is None else f"{float(v):.6g}"


def _flags(text: str) -> str:
    """Show the library's parameter (``exact=True``) as the flag (``--exact``)."""
    return text.replace("exact=True", "--exact")


def format_check(spec: str, check: Any) -> str:
    """Human-readable report of a :class:`convotron_theory.spectra.SchemeCheck`."""
    lines = [
        f"scheme {spec}: n = {check.n}, r = {check.r}, k = {check.k}, Σ = {check.cov}",
        f"M = P Σ Pᵀ ({check.r} x {check.r}): lambda_min = {_num(check.lambda_min)}, "
        f"lambda_max = {_num(check.lambda_max)}, tr M = {_num(check.trace)}",
    ]
    exact = (check.exact_lambda_min, check.exact_lambda_max)
    if all(e is not None and "RootOf" not in str(e) for e in exact):  # surds, not root objects
        lines.append(
            f"  exact: lambda_min = {check.exact_lambda_min}, lambda_max = {check.exact_lambda_max}"
        )
    lines.append(
        f"condition lambda_min(M) > 0 (thm-convotron): {check.verdict}, "
        + _flags(check.certificate_summary)
    )
    if check.lemma_lower_bound is not None:
        lines.append(
            f"lemma {check.lemma}: {check.lemma_lower_bound} <= lambda_min, lambda_max <= "
            f"{check.lemma_upper_bound}"
            + (f" ({check.lemma_reason})" if check.lemma_reason else "")
        )
    else:
        lines.append(f"lemma bounds: none ({check.lemma_reason or 'no stride geometry'})")
    if check.proved_bounds:
        lines.append("proven bounds: " + "; ".join(b.text() for b in check.proved_bounds))
    if check.to_decide:
        lines.append(f"to decide it: {_flags(check.to_decide)}")
    kd = check.kernel_direction
    if kd is not None:
        vec = (
            "[" + ", ".join(str(v) for v in kd.exact) + "]"
            if kd.exact is not None
            else "[" + ", ".join(f"{float(v):.4g}" for v in kd.w) + "]"
        )
        lines.append(f"kernel direction w = {vec} (uᵀMu = {kd.eigenvalue:.3g})")
        lines.append(f"  why: {kd.explanation}")
    for note in check.notes:
        lines.append(f"note: {_flags(note)}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run ``convotron check``; return 0 (HOLDS), 1 (FAILS), 4 (UNDECIDED) or raise (bad input)."""
    from convotron_theory.spectra import check_scheme

    from ..data.covariance import parse_cov
    from ..geometry.patches import parse_spec
    from ..glue.moments import cov_for_theory

    scheme = parse_spec(args.scheme)
    data = getattr(args, "data", None)
    exact: bool | None = True if args.exact else None
    if data is not None:
        from .._errors import AssumptionViolation, ConvotronError
        from ..data.covariance import Dense
        from ..estimation.plugin import plugin_constants

        if args.cov.strip().lower() != "identity":
            raise ConvotronError(
                f"--data estimates Σ from the rows, so --cov must be left out; got --cov "
                f"{args.cov!r}. Drop one of the two."
            )
        X = _load_rows(data, scheme.n)
        # no centring: the law is assumed symmetric. The verdict is for Σ̂ = XᵀX/m itself:
        # exact rationals, or (too large) the float Σ̂ with no exact LDLᵀ, which would
        # certify the rounded matrix, not the estimate
        sigma_exact = args.exact or X.shape[0] * scheme.n**2 <= EXACT_SIGMA_MAX_PRODUCTS
        if sigma_exact:
            theory_cov: Any = _exact_sigma(X)
        else:
            theory_cov, exact = cov_for_theory(Dense(X.T @ X / X.shape[0])), False
        try:
            plugin: Any = plugin_constants(X, scheme, 0.0)
        except AssumptionViolation as exc:  # e.g. fewer rows than r: reported, not raised
            plugin = f"plug-in constants: none ({exc})"
    else:
        theory_cov = cov_for_theory(parse_cov(args.cov, scheme.n))
    check = check_scheme(
        scheme.n, scheme.indices, theory_cov, exact=exact, geometry=scheme.geometry
    )
    from convotron_theory.conv import applicability_report

    conv_data, conv_text = applicability_report(scheme.geometry)  # conv layers only
    if args.json:
        extra: dict[str, Any] = {}
        if data is not None:
            extra["data"] = {
                "file": data,
                "rows": int(X.shape[0]),
                "sigma": "X^T X / m (no centring; the law is assumed symmetric)",
                "sigma_exact": bool(sigma_exact),
                "plugin": plugin if isinstance(plugin, str) else plugin.to_json(),
            }
        emit_json({"scheme": scheme.spec or args.scheme, **check.to_dict(), **conv_data, **extra})
    else:
        if data is not None:
            how = (
                "formed in exact rationals from the floats of X"
                if sigma_exact
                else f"formed in floating point (m·n² = {X.shape[0] * scheme.n**2:,} > "
                f"{EXACT_SIGMA_MAX_PRODUCTS:,}: no exact certificate; --exact forms it exactly)"
            )
            print(
                f"Σ estimated from the {X.shape[0]} rows of {data}: Σ̂ = XᵀX/m (no centring; "
                f"the law is assumed symmetric), {how}; the verdict below is for Σ̂"
            )
        from convotron_theory.claims import (
            annotate_labels,  # the book's number and name beside a label
        )

        report = switches(format_check(scheme.spec or args.scheme, check), args)
        print(annotate_labels(report))
        if conv_text:
            print(conv_text)
        if data is not None:
            print(plugin if isinstance(plugin, str) else plugin.summary())
            print("  (plug-in a and eta for the ReLU, alpha = 0; both scale with 1 + alpha)")
    return {"HOLDS": EXIT_OK, "FAILS": EXIT_FAIL}.get(check.verdict, EXIT_UNDECIDED)
