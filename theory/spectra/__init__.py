r"""Spectra of the overlap matrix: scalable floats, exact certificates, lemmas, kernel directions.

Convotron's guarantee (``thm-convotron``, [derived] explicit-constant version of the paper's
main theorem) needs :math:`\lambda_{\min}(M) > 0` for the overlap matrix
:math:`M = P\Sigma P^\top` (``convotron-theory.md`` §3-5). This package answers, for a concrete
scheme given as plain data (``n`` and a ``(k, r)`` index array), one concern per module:

* ``convotron_theory.spectra.numeric``: :func:`overlap_numeric` / :func:`extreme_eigenvalues`,
  :math:`M` and its extreme eigenvalues in floating point, for :math:`n` in the millions,
  without ever forming an :math:`n\times n` matrix (exact ``int64`` for :math:`\Sigma = I`);
* ``convotron_theory.spectra.certificate``: :func:`certify_positive_definite`, an exact rational
  :math:`LDL^\top` certificate (computed fraction-free by Bareiss elimination), with an exact
  integer witness :math:`u`, :math:`u^\top M u \le 0`, when it fails;
  :func:`leading_principal_minors` is Sylvester's criterion, the independent cross-check;
  and :func:`certify_positive_definite_float`, a verified lower bound on
  :math:`\lambda_{\min}(M)` from floating point (shifted Cholesky and Weyl, with
  ``convotron_theory.spectra.enclosure``'s rigorous bound on :math:`|M - \tilde M|`), used where
  the exact path would be slow;
* ``convotron_theory.spectra.limits``: size limits (``MAX_R``, ``MAX_N``, ...) checked
  before any allocation, and the cost model that chooses the exact path;
* ``convotron_theory.spectra.exact``: :func:`exact_eigenvalues`, eigenvalues as surds where the
  characteristic polynomial factors into pieces of degree :math:`\le 2`, exact real algebraic
  numbers (``CRootOf``) otherwise;
* ``convotron_theory.spectra.lemmas``: the lemmas (all [derived]): :func:`lemma_1d` (``lem-1d``),
  :func:`lemma_2d` (``lem-2d``), :func:`lemma_cov_transfer` (``lem-cov-transfer``), each with
  its statement as a sympy relation (:data:`LEMMA_1D`, :data:`LEMMA_2D`,
  :data:`LEMMA_COV_TRANSFER`), returned only when the hypotheses hold, else
  :class:`~convotron_theory.HypothesisFailed` naming the failing hypothesis; and
  :func:`sos_identity` / :func:`sos_identity_holds` / :func:`sos_inequality_holds`, the
  sum-of-squares identity behind ``lem-1d`` (``lem-1d-sos``), verified symbolically;
* ``convotron_theory.spectra.kernel``: :func:`kernel_direction`, when :math:`\lambda_{\min}(M) = 0`,
  a filter :math:`u` with :math:`Mu = 0` and the reason in words;
* ``convotron_theory.spectra.check``: :func:`check_scheme`, all of the above in one
  :class:`SchemeCheck` (what ``convotron check`` prints);
* ``convotron_theory.spectra.result``: :class:`SchemeCheck` itself, the value and its JSON.

Every public name is re-exported here: ``from convotron_theory.spectra import check_scheme``.
Never imports :mod:`convotron`.
"""

from __future__ import annotations

from .certificate import (
    EXACT_MAX_R,
    Certificate,
    FloatCertificate,
    certify_positive_definite,
    certify_positive_definite_float,
    leading_principal_minors,
)
from .check import EXACT_COV_MAX_N, check_scheme
from .exact import exact_eigenvalues
from .kernel import KernelDirection, exact_kernel_witness, kernel_direction
from .lemmas import (
    LEMMA_1D,
    LEMMA_2D,
    LEMMA_COV_TRANSFER,
    LemmaBounds,
    LemmaStatement,
    covariance_spectrum_bounds,
    lemma_1d,
    lemma_2d,
    lemma_conv,
    lemma_cov_transfer,
    sos_identity,
    sos_identity_holds,
    sos_inequality_holds,
    toeplitz_decomposition_holds,
)
from .limits import MAX_KR, MAX_N, MAX_OVERLAP_WORK, MAX_R
from .numeric import extreme_eigenvalues, overlap_numeric
from .result import FAILS, HOLDS, UNDECIDED, ProvedBound, SchemeCheck

__all__ = [
    "EXACT_COV_MAX_N",
    "EXACT_MAX_R",
    "FAILS",
    "HOLDS",
    "LEMMA_1D",
    "LEMMA_2D",
    "LEMMA_COV_TRANSFER",
    "MAX_KR",
    "MAX_N",
    "MAX_OVERLAP_WORK",
    "MAX_R",
    "UNDECIDED",
    "Certificate",
    "FloatCertificate",
    "KernelDirection",
    "LemmaBounds",
    "LemmaStatement",
    "ProvedBound",
    "SchemeCheck",
    "certify_positive_definite",
    "certify_positive_definite_float",
    "check_scheme",
    "covariance_spectrum_bounds",
    "exact_eigenvalues",
    "exact_kernel_witness",
    "extreme_eigenvalues",
    "kernel_direction",
    "leading_principal_minors",
    "lemma_1d",
    "lemma_2d",
    "lemma_conv",
    "lemma_cov_transfer",
    "overlap_numeric",
    "sos_identity",
    "sos_identity_holds",
    "sos_inequality_holds",
    "toeplitz_decomposition_holds",
]
