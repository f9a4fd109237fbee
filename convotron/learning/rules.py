r"""Update rules as values: what one step of a run does, and the protocol a rule follows.

A rule is a small frozen value passed to :func:`convotron.learning.algorithm.fit` (and
:func:`convotron.learning.many.run_many`); the compiled loop
(:func:`convotron._compiled._kernels._updates`) runs every rule, on the branch its
:meth:`~Rule.compiled` step names. What a rule provides is the :class:`Rule` protocol: its name, its
checks against the scheme, its start ``w_1``, its compiled step (a
:class:`~convotron._codes.RuleStep`: a
:class:`~convotron._codes.RuleCode` and its parameters) and its readable step (the oracle
the compiled branch is compared with, bitwise, by
:func:`convotron.learning._sampling_reference.fused_reference`). Nothing outside this module reads a
rule's private attributes.

- :class:`ConvotronRule` — Algorithm 1 of Goel, Klivans and Meka (ICML 2018) [paper]
  (label ``alg-convotron``): ``w_1 = 0`` and
  ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) Σ_i P_i x_t`` (no ``σ′``). With
  ``only_patch = j`` it is the one-disjoint-patch variant (``thm-disjoint``):
  ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) P_j x_t``.
- :class:`SGDRule` — SGD on the square loss ``½ (y − f_w(x))²`` (the paper's contrast):
  ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) (1/k) Σ_i σ′(w_tᵀ P_i x_t) P_i x_t`` with
  ``σ′(0) := α`` by default (the left derivative, as deep-learning frameworks compute it);
  see :mod:`convotron.learning.baselines` for the readable version and the convention's discussion.

With a mini-batch of ``B`` rows each update averages the ``B`` per-sample steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from .._codes import RuleCode, RuleStep
from .._limits import MAX_W_NORM
from .._validate import (
    Interval,
    Options,
    Param,
    check_fields,
    fail,
    only_patch_param,
    table,
    validate,
)

__all__ = ["ConvotronRule", "Rule", "SGDRule", "only_patch_param", "plugin_directions"]


@runtime_checkable
class Rule(Protocol):
    r"""What :func:`convotron.learning.algorithm.fit` needs of an update rule.

    With ``P_i x`` the patches of a sample ``x``, ``z_i = wᵀ P_i x`` and the residual
    ``res = y − f_w(x)``, an update is ``w ← w + η (1/B) Σ_b g(x_b, y_b)`` with the rule's
    per-sample step ``g``.

    Attributes
    ----------
    algorithm : str
        The rule's name in results and messages (``RunResult.algorithm``).
    only_patch : int or None
        The patch the step is restricted to (recorded in ``RunResult.only_patch``); None
        for every patch.
    """

    algorithm: ClassVar[str]

    @property
    def only_patch(self) -> int | None: ...  # noqa: D102

    def check(self, k: int) -> None:
        """Check the rule against a scheme of ``k`` patches (raise ``ConvotronError``)."""

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """Return ``w_1`` (length ``r``); may draw from ``rng`` (before any sample)."""

    def compiled(self, alpha: float) -> RuleStep:
        """Return the compiled step: a :class:`~convotron._codes.RuleCode` and its parameters.

        The branch of that code in :func:`convotron._compiled._kernels._updates` is the rule's
        compiled step; :meth:`step` is its readable twin.
        """

    def step(
        self, G: np.ndarray, patches: np.ndarray, z: np.ndarray, residual: float, alpha: float
    ) -> np.ndarray:
        """Return ``G + g``: the readable step ``g`` of one sample added to the batch's ``G``.

        ``patches`` ``(k, r)`` (row ``i`` is ``P_i x``), ``z`` ``(k,)``. Every sum is
        written left to right in the compiled branch's order (the oracle is compared with
        it bitwise).
        """

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """Return the linearised step at residual 1 and ``σ′ ≡ 1`` for rows ``(m, k, r)``.

        ``(m, r)``; the divergence message's step-size hint uses it.
        """


def _seq_rows(rows: np.ndarray) -> np.ndarray:
    """``rows[0] + rows[1] + ...`` left to right (the compiled loop's order)."""
    total = np.zeros(rows.shape[1])
    for row in rows:
        total = total + row
    return total


@dataclass(frozen=True, repr=False)
class ConvotronRule:
    """Convotron's update (Algorithm 1, [paper]); ``only_patch=j`` updates along ``P_j x`` only.

    Parameters
    ----------
    only_patch : int, optional
        The disjoint-patch variant (``thm-disjoint``): ``G_t = (y_t − f_{w_t}(x_t)) P_j x_t``
        with ``j = only_patch`` (0-based, ``j < k`` checked when the scheme is known). Any
        patch is accepted; the result's ``only_patch_disjoint`` says whether ``P_j`` is
        disjoint from the others (the theorem's hypothesis). None: Algorithm 1.
    precondition : None, "none", "exact", "plugin" or (r, r) array, default None
        The preconditioned update (``alg-precond``, this project's extension, [derived]; not
        in GKM18): ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) H Σ_i P_i x_t`` for a fixed
        symmetric positive definite ``H``. ``None``/``"none"``: Algorithm 1 (``H = I``,
        bitwise the plain loop). An array: that ``H`` (stored as a tuple of rows).
        ``"exact"``: ``H = M⁻¹``, ``M = P Σ Pᵀ`` of the teacher the run samples (``fit``
        binds it; needs a teacher source). ``"plugin"``: ``H = M̂⁻¹``,
        ``M̂ = (1/m) Σ_s q_s q_sᵀ``, ``q_s = Σ_i P_i x_s``, from ``m = plugin_samples``
        samples set aside before the run (drawn from the run's generator first; with fixed
        rows, the first ``m`` rows, and the run uses the rest): independent of the run, as
        ``thm-precond-plugin`` assumes. Not combined with ``only_patch``.
    plugin_samples : int, optional
        ``m`` for ``"plugin"`` (default ``50 r``; ``convotron_theory.precondition.plugin_samples``
        gives
        a count for a stated price). At least ``r``.

    Examples
    --------
    >>> ConvotronRule()
    ConvotronRule(only_patch=None)
    >>> ConvotronRule(precondition="exact")
    ConvotronRule(only_patch=None, precondition='exact')
    >>> ConvotronRule(only_patch=-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convotron._errors.ConvotronError: only_patch (the disjoint patch) must be ...
    """

    only_patch: int | None = None
    precondition: str | tuple[tuple[float, ...], ...] | np.ndarray | None = None
    plugin_samples: int | None = None

    algorithm: ClassVar[str] = "convotron"
    #: The constructor's table (convotron._validate); ``precondition`` has its own checks.
    _parameter_constraints: ClassVar[dict[str, Param]] = table(
        only_patch_param(None),
        Param("plugin_samples", Interval(int, 1, None), allow_none=True,
              fix="Pass a number of samples >= r, e.g. 50 * r, or None for the default."),
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self, ConvotronRule._parameter_constraints)
        op = self.only_patch
        pre: Any = self.precondition
        if isinstance(pre, str):
            pre = validate("precondition", pre, Options("none", "exact", "plugin"),
                           fix=_PRE_FIX)  # fmt: skip
            pre = None if pre == "none" else pre
        elif pre is not None:
            pre = _check_preconditioner(pre, None)
        object.__setattr__(self, "precondition", pre)
        if pre is not None and op is not None:
            raise fail(
                "precondition",
                "None when only_patch is given (the preconditioned update is Algorithm 1's "
                "with H; the disjoint-patch variant has no preconditioned theorem)",
                repr(self.precondition),
                "Drop only_patch or precondition.",
            )

    def __repr__(self) -> str:
        """``ConvotronRule(only_patch=...)`` and the preconditioner when there is one."""
        out = f"ConvotronRule(only_patch={self.only_patch!r}"
        if self.precondition is not None:
            shown = self.precondition if isinstance(self.precondition, str) else "H"
            out += f", precondition={shown!r}"
        if self.plugin_samples is not None:
            out += f", plugin_samples={self.plugin_samples!r}"
        return out + ")"

    @property
    def H(self) -> np.ndarray | None:
        """The preconditioner as an ``(r, r)`` array (None: Algorithm 1, or not yet bound)."""
        pre = self.precondition
        if pre is None or isinstance(pre, str):
            return None
        return np.ascontiguousarray(np.array(pre, dtype=np.float64))

    def check(self, k: int) -> None:
        """Check that ``only_patch`` names one of the ``k`` patches."""
        if self.only_patch is not None:
            only_patch_param(k)(self.only_patch)

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """``w_1 = 0`` (Algorithm 1); draws nothing. Checks ``H``'s shape against ``r``."""
        if self.precondition is not None and not isinstance(self.precondition, str):
            _check_preconditioner(self.precondition, r)
        return np.zeros(r)

    def bind(self, source: Any, scheme: Any, rng: np.random.Generator | None) -> tuple[Any, Any]:
        """Resolve ``"exact"``/``"plugin"`` to a matrix ``H`` before a run: ``(rule, source)``.

        ``"exact"``: ``H = M⁻¹`` from the teacher's covariance (``source`` must be a
        :class:`~convotron.model.problem.Teacher`). ``"plugin"``: ``H = M̂⁻¹`` from the first
        ``plugin_samples`` samples (a teacher's or a sampler's, drawn from ``rng`` before the
        run's; fixed rows: the first rows, and the returned source holds the rest). Any
        other rule value is returned unchanged.
        """
        pre = self.precondition
        if not isinstance(pre, str):
            return self, source
        from ..model.problem import Teacher
        from .sources import Rows, Sampler

        r = int(scheme.indices.shape[1])
        if pre == "exact":
            if not isinstance(source, Teacher):
                raise fail(
                    "precondition",
                    "'exact' only with a teacher source (H = M⁻¹ needs the covariance Σ of "
                    "the inputs)",
                    f"'exact' with a source of type {type(source).__name__}",
                    "Pass precondition='plugin' (M estimated from a first batch) or a matrix.",
                )
            M = np.asarray(scheme.overlap_matrix(source.cov), dtype=np.float64)
            H = _inverse(
                M,
                "M = P Σ Pᵀ",
                "the scheme leaves a filter direction unread (see `convotron check`)",
            )
            return ConvotronRule(precondition=H), source
        m = self.plugin_samples if self.plugin_samples is not None else 50 * r
        if m < r:
            raise fail("plugin_samples", f"at least r = {r} (M̂ of fewer samples is singular)",
                       repr(m), f"Pass plugin_samples >= {r}, e.g. {50 * r}.")  # fmt: skip
        if isinstance(source, Rows):
            X = np.asarray(source.X, dtype=np.float64)
            if X.ndim != 2 or X.shape[0] <= m:
                raise fail(
                    "plugin_samples",
                    "fewer than the rows given (the first plugin_samples rows estimate M and "
                    "the run uses the rest)",
                    f"{m} with {X.shape[0] if X.ndim == 2 else 0} rows",
                    "Pass fewer plugin_samples or more rows.",
                )
            Xm, rest = X[:m], Rows(source.X[m:], source.y[m:])
        else:
            if rng is None:
                raise fail("rng", "a numpy.random.Generator with precondition='plugin'",
                           "None", "Pass rng=numpy.random.default_rng(seed).")  # fmt: skip
            sample = source.sample if isinstance(source, Teacher | Sampler) else None
            if sample is None:
                raise fail("precondition", "'plugin' with a Teacher, Sampler or Rows source",
                           type(source).__name__, "Pass one of those sources.")  # fmt: skip
            Xm, rest = np.asarray(sample(rng, m)[0], dtype=np.float64), source
        Q = plugin_directions(Xm, scheme.indices)
        M_hat = (Q.T @ Q) / m
        H = _inverse(M_hat, "the estimate M̂ = (1/m) Σ q qᵀ",
                     f"increase plugin_samples (now {m})")  # fmt: skip
        return ConvotronRule(precondition=H), rest

    def compiled(self, alpha: float) -> RuleStep:
        """``RuleCode.CONVOTRON`` with the patch (``-1``: all) and ``H`` (if any)."""
        op = -1 if self.only_patch is None else int(self.only_patch)
        if isinstance(self.precondition, str):
            raise fail(
                "precondition",
                "bound to a source before the run (fit() does it: ConvotronRule.bind)",
                repr(self.precondition),
                "Run through convotron.learning.algorithm.fit, or pass the matrix H.",
            )
        H = self.H
        if H is None:
            return RuleStep(int(RuleCode.CONVOTRON), op, 0.0)
        return RuleStep(int(RuleCode.CONVOTRON), op, 0.0, H)

    def step(
        self, G: np.ndarray, patches: np.ndarray, z: np.ndarray, residual: float, alpha: float
    ) -> np.ndarray:
        """``G + res Σ_i P_i x`` (``Σ_i`` in order), ``G + res H Σ_i P_i x`` or ``G + res P_j x``.

        ``H Σ_i P_i x`` is summed entry by entry left to right, as the compiled branch does.
        """
        if self.only_patch is None:
            H = self.H
            if H is None:
                return G + residual * _seq_rows(patches)
            return G + residual * _seq_matvec(H, _seq_rows(patches))
        return G + residual * patches[self.only_patch]

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """``Σ_i P_i x`` (or ``H Σ_i P_i x``, or ``P_j x``) for each row."""
        if self.only_patch is None:
            q = np.asarray(patches.sum(axis=1))
            H = self.H
            return q if H is None else np.asarray(q @ H.T)
        return np.asarray(patches[:, self.only_patch, :])


_PRE_FIX = "Pass None, 'none', 'exact', 'plugin' or a symmetric positive definite r x r matrix."


def _seq_matvec(H: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``H q`` with each entry summed left to right (the compiled loop's order)."""
    out = np.zeros(H.shape[0])
    for a in range(H.shape[0]):
        s = 0.0
        for b in range(H.shape[1]):
            s += H[a, b] * q[b]
        out[a] = s
    return out


def plugin_directions(X: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``q = Σ_i P_i x`` for each row of ``X`` (``(m, r)``; ``-1`` indices read a padded 0)."""
    idx = np.asarray(indices, dtype=np.int64)
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    return np.asarray(np.where(idx >= 0, X[:, idx], 0.0).sum(axis=1))


def _inverse(M: np.ndarray, what: str, fix: str) -> np.ndarray:
    """``M⁻¹`` (symmetrised) of a positive definite ``M``, or the error naming ``what``."""
    try:
        c = np.linalg.cholesky((M + M.T) / 2)
    except np.linalg.LinAlgError:
        lo = float(np.linalg.eigvalsh((M + M.T) / 2)[0])
        raise fail("precondition", f"a positive definite {what}",
                   f"lambda_min = {lo:.6g}", f"H = M⁻¹ needs it: {fix}.") from None  # fmt: skip
    ci = np.linalg.inv(c)
    H = ci.T @ ci
    return np.ascontiguousarray((H + H.T) / 2)


def _check_preconditioner(H: Any, r: int | None) -> tuple[tuple[float, ...], ...]:
    """Return ``H`` as a tuple of rows, or raise unless it is finite, square, symmetric, PD."""
    A = np.asarray(H, dtype=np.float64) if _is_array_like(H) else None
    shown = f"an array of shape {A.shape}" if A is not None else repr(H)
    if A is None or A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
        raise fail("precondition", "a square r x r matrix (or 'none', 'exact', 'plugin')",
                   shown, _PRE_FIX)  # fmt: skip
    if r is not None and A.shape != (r, r):
        raise fail("precondition", f"an r x r = {r} x {r} matrix (one row per filter entry)",
                   shown, f"Pass a {r} x {r} matrix.")  # fmt: skip
    if not np.all(np.isfinite(A)):
        raise fail("precondition", "finite", "a matrix with a non-finite entry", _PRE_FIX)
    if not np.array_equal(A, A.T):
        raise fail("precondition", "symmetric (H = Hᵀ exactly)",
                   f"max |H − Hᵀ| = {float(np.abs(A - A.T).max()):.3g}",
                   "Pass (H + H.T) / 2.")  # fmt: skip
    try:
        np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        lo = float(np.linalg.eigvalsh(A)[0])
        raise fail("precondition", "positive definite", f"lambda_min(H) = {lo:.6g}",
                   _PRE_FIX) from None  # fmt: skip
    return tuple(tuple(float(v) for v in row) for row in A)


_INIT_FIX = "Pass 'zero', 'random' or a finite filter of length r."


@dataclass(frozen=True)
class SGDRule:
    r"""SGD on ``½ (y − f_w(x))²``: ``w ← w + η (y − f_w(x)) (1/k) Σ_i σ′(wᵀ P_i x) P_i x``.

    Parameters
    ----------
    init : {"zero", "random"} or (r,) array, default "zero"
        ``w_1``: zeros; ``init_scale · g / √r`` with ``g ~ N(0, I_r)`` drawn from the run's
        ``rng`` before any sample; or the given vector (stored as a tuple of floats).
    init_scale : float, default 1.0
        Scale of the random start (``E‖w_1‖² = init_scale²``), a finite number ``>= 0``.
    sigma_prime_at_zero : float in [0, 1] or None, default None
        The derivative convention ``σ′(0)``; None means ``σ′(0) := α`` (the left derivative,
        as in deep-learning frameworks: ReLU SGD from ``w = 0`` then never moves).

    Examples
    --------
    >>> SGDRule()
    SGDRule(init='zero', init_scale=1.0, sigma_prime_at_zero=None)
    """

    init: str | tuple[float, ...] | np.ndarray = "zero"  # an array is stored as a tuple
    init_scale: float = 1.0
    sigma_prime_at_zero: float | None = None

    algorithm: ClassVar[str] = "sgd"
    only_patch: ClassVar[None] = None  # every patch
    #: The constructor's table (convotron._validate); ``init`` has its own checks.
    _parameter_constraints: ClassVar[dict[str, Param]]

    def __post_init__(self) -> None:
        init: Any = self.init
        if isinstance(init, str):
            validate("init", init, Options("zero", "random"), fix=_INIT_FIX)
        else:
            w0 = np.asarray(init, dtype=np.float64) if _is_array_like(init) else None
            if (
                w0 is None
                or w0.ndim != 1
                or not np.all(np.isfinite(w0))
                or np.any(np.abs(w0) > MAX_W_NORM)
            ):
                shown = f"an array of shape {w0.shape}" if w0 is not None else repr(init)
                raise fail(
                    "init",
                    f"'zero', 'random' or a finite vector of shape (r,), entries <= {MAX_W_NORM:g}",
                    shown,
                    _INIT_FIX,
                )
            object.__setattr__(self, "init", tuple(float(v) for v in w0))
        check_fields(self, SGDRule._parameter_constraints)
        if self.init_scale > MAX_W_NORM:  # w_1 and ‖w_1 − w*‖² must stay finite
            raise fail("init_scale", f"at most {MAX_W_NORM:g}", repr(self.init_scale),
                       "Pass e.g. init_scale=1.0.")  # fmt: skip

    def check(self, k: int) -> None:
        """Nothing to check against the scheme (``init``'s length is checked by :meth:`start`)."""

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """``w_1`` for a filter of length ``r`` (draws from ``rng`` for ``init="random"``)."""
        if self.init == "zero":
            return np.zeros(r)
        if self.init == "random":
            if rng is None:
                raise fail(
                    "rng",
                    "a numpy.random.Generator with init='random' (to draw w_1)",
                    "None",
                    "Pass rng=numpy.random.default_rng(seed).",
                )
            return float(self.init_scale) * rng.standard_normal(r) / math.sqrt(r)
        w0 = np.array(self.init, dtype=np.float64)
        if w0.shape != (r,):
            raise fail(
                "init",
                f"'zero', 'random' or a finite vector of shape (r,) = ({r},)",
                f"an array of shape {w0.shape}",
                f"Pass a finite filter of length {r}.",
            )
        return w0

    def deriv_at_zero(self, alpha: float) -> float:
        """Return the convention ``σ′(0)``: ``sigma_prime_at_zero``, or ``α`` when None."""
        return float(alpha) if self.sigma_prime_at_zero is None else float(self.sigma_prime_at_zero)

    def compiled(self, alpha: float) -> RuleStep:
        """``RuleCode.SGD`` with ``σ′(0)``."""
        return RuleStep(int(RuleCode.SGD), -1, self.deriv_at_zero(alpha))

    def step(
        self, G: np.ndarray, patches: np.ndarray, z: np.ndarray, residual: float, alpha: float
    ) -> np.ndarray:
        """``G + Σ_i (res σ′(z_i) / k) P_i x``, each term added to ``G`` in order of ``i``.

        A term with ``σ′(z_i) = 0`` is skipped (as the compiled branch does).
        """
        inv_k = 1.0 / patches.shape[0]
        s0 = self.deriv_at_zero(alpha)
        for i in range(patches.shape[0]):
            zi = z[i]
            d = 1.0 if zi > 0.0 else (alpha if zi < 0.0 else s0)
            if d != 0.0:
                G = G + (residual * d * inv_k) * patches[i]
        return G

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """``(1/k) Σ_i P_i x`` for each row."""
        return np.asarray(patches.sum(axis=1) / patches.shape[1])


def _is_array_like(value: Any) -> bool:
    if isinstance(value, np.ndarray | list | tuple):
        try:
            np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return True
    return False


_INIT_SCALE = Param(
    "init_scale",
    Interval(float, 0.0, None, closed="left"),
    meaning="the expected norm of the random start",
    fix="Pass e.g. init_scale=1.0.",
)
_SIGMA0 = Param(
    "sigma_prime_at_zero",
    Interval(float, 0.0, 1.0),
    meaning="the derivative convention σ′(0); None means σ′(0) := α",
    fix="Pass None, 0.0 or 1.0.",
    allow_none=True,
)
SGDRule._parameter_constraints = table(_INIT_SCALE, _SIGMA0)
