r"""Convotron as a scikit-learn regressor: :class:`ConvotronRegressor`.

The model is the paper's one convolutional layer [paper] (``def-model``):
:math:`f_w(x) = \frac1k \sum_{i=1}^k \sigma(w^\top P_i x)` with a shared filter
:math:`w \in \mathbb{R}^r`, leaky ReLU :math:`\sigma` of slope ``alpha`` and average pooling;
it has no intercept (the theory has none). ``fit`` runs Algorithm 1 (Convotron, [paper]),
``w_1 = 0`` and ``w ← w + η (y_t − f_w(x_t)) Σ_i P_i x_t``, over the rows of ``X``:

- one *pass* is Algorithm 1 over the rows in (shuffled, with ``shuffle=True``) order, with
  mini-batches of ``batch`` rows (``batch = 1`` is the paper's algorithm); the rows left over
  when ``batch`` does not divide ``n_samples`` are skipped in that pass (with shuffling, a
  different few each pass); pass ``p + 1`` starts from the filter pass ``p`` ended with.
  A pass is one call of the package's one runner, ``fit(ConvotronRule(), Rows(X, y), ...,
  w0=w)`` (:func:`convotron.learning.algorithm.fit`, continuing from the filter ``w`` the last pass
  ended with; ``max_iter=1, shuffle=False`` gives exactly ``convotron_on_data(X, y, ...)``);
- :meth:`~ConvotronRegressor.partial_fit` is one pass over the given rows in order, the
  state kept between calls (Convotron is an online algorithm); ``sample_weight`` scales each
  row's update by its weight;
- ``max_iter`` passes at most; with ``tol`` set, fitting stops when the training mean squared
  error has not decreased by more than ``tol`` times the best one so far for
  ``n_iter_no_change`` consecutive passes (scikit-learn's ``SGDRegressor`` rule, relative).

``eta="auto"`` is the theorem's realizable step :math:`\eta = a/(2\beta)` ([derived]:
explicit-constant version of the paper's main theorem, ``thm-convotron``) at plug-in
estimates of :math:`\lambda_{\min}(P\Sigma P^\top)` and of the exact second moment ``K`` from
the rows of ``X`` (:func:`convotron.estimation.plugin.plugin_constants`), reported with CLT
intervals in ``step_report_``. **The guarantee holds for the population constants, not for these
estimates**, and only for a symmetric input law with ``E[y | x] = f_{w*}(x)`` and fresh
samples (a second pass over the same rows is no longer fresh: the theorem covers one pass).
With ``batch = B > 1`` the same step is used: averaging ``B`` updates keeps the drift and
divides the fluctuation, so L4's bound, and ``η ≤ a/(2β)``, still hold.

``scheme``: ``None`` (one patch covering every feature, ``k = 1``, ``r = n_features``: a
single leaky-ReLU neuron), a :class:`~convotron.geometry.patches.PatchScheme` or a spec string of
:func:`~convotron.geometry.patches.parse_spec` (these fix ``n_features``), or the *family*
``"1d:R,STRIDE"``: 1D patches of ``R`` coordinates with stride ``STRIDE`` over whatever width
``n`` the data has (:func:`scheme_for_width`).

scikit-learn is imported by this module only; :mod:`convotron` loads it lazily.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    validate_data,
)

from ._errors import ConvotronError, DivergenceError
from ._validate import (
    ALPHA,
    AnyOf,
    Constraint,
    InstanceOf,
    Interval,
    Options,
    Param,
    check_params,
    count,
    table,
)
from .estimation.plugin import PluginConstants, StepDiagnosis, diagnose_step, plugin_constants
from .geometry.patches import PatchScheme, parse_spec
from .model.network import predict as _predict

__all__ = ["ConvotronRegressor", "expected_failed_checks", "scheme_for_width"]

_FAMILY = re.compile(r"^\s*1d\s*:\s*(\d+)\s*,\s*(\d+)\s*$", re.IGNORECASE)


def _family_1d(n: int, r_max: int, stride: int) -> PatchScheme:
    r = min(r_max, n)
    if (n - r) % stride == 0:
        return PatchScheme.stride_1d(n, r, stride)
    starts = [*range(0, n - r + 1, stride), n - r]
    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(r, dtype=np.int64)[None, :]
    return PatchScheme.from_indices(n, idx)


def scheme_for_width(scheme: Any, n_features: int) -> PatchScheme:
    """Return the patch scheme that ``scheme`` (a parameter value) gives for ``n_features`` inputs.

    - ``None``: one patch covering every feature (``k = 1``, ``r = n_features``);
    - a :class:`PatchScheme` or a spec string (``"1d:N,R,STRIDE"``, ``"2d:..."``,
      ``"file:PATH"``): that scheme, whose ``n`` must equal ``n_features``;
    - ``"1d:R,STRIDE"`` (two numbers): 1D patches of ``r = min(R, n_features)`` coordinates
      at ``0, STRIDE, 2 STRIDE, ...``; if ``STRIDE`` does not divide ``n_features - r`` a last
      patch ending at the last coordinate is added (no padding, every coordinate covered). When
      it divides, this is exactly ``PatchScheme.stride_1d(n_features, r, STRIDE)``.

    Raises
    ------
    ConvotronError
        If the scheme's ``n`` differs from ``n_features`` (the message names both), or the
        value is not one of the above.
    """
    n = int(n_features)
    if scheme is None:
        return PatchScheme.from_indices(n, np.arange(n, dtype=np.int64)[None, :])
    if isinstance(scheme, str):
        fam = _FAMILY.match(scheme)
        if fam is not None:
            r_max, stride = int(fam.group(1)), int(fam.group(2))
            if r_max < 1 or stride < 1:
                raise ConvotronError(
                    f"scheme {scheme!r}: the patch size R and the stride of '1d:R,STRIDE' must be "
                    f"integers >= 1; got R={r_max}, STRIDE={stride}. Pass e.g. '1d:4,2'."
                )
            return _family_1d(n, r_max, stride)
        resolved = parse_spec(scheme)
    else:
        resolved = _SCHEME(scheme)
    if resolved.n != n:
        name = resolved.spec or repr(resolved)
        raise ConvotronError(
            f"scheme {name!r} has n={resolved.n} input coordinates, but X has n_features={n} "
            f"columns; they must be equal. Pass X with {resolved.n} columns, or a scheme for "
            f"{n} inputs (e.g. the width-free family scheme='1d:R,STRIDE')."
        )
    return resolved


#: scikit-learn's estimator checks that fit on data of a width of their own choosing, with
#: that width (scikit-learn 1.9): a scheme of fixed ``n`` refuses the others by design.
_WIDTH_CHECKS: dict[str, int] = {
    "check_dict_unchanged": 3,
    "check_dont_overwrite_parameters": 3,
    "check_dtype_object": 10,
    "check_estimators_dtypes": 5,
    "check_estimators_fit_returns_self": 2,
    "check_estimators_nan_inf": 3,
    "check_estimators_overwrite_params": 2,
    "check_estimators_partial_fit_n_features": 2,
    "check_estimators_pickle": 3,
    "check_f_contiguous_array_estimator": 3,
    "check_fit2d_1sample": 10,
    "check_fit2d_predict1d": 3,
    "check_fit_check_is_fitted": 2,
    "check_fit_idempotent": 2,
    "check_fit_score_takes_y": 3,
    "check_methods_sample_order_invariance": 3,
    "check_methods_subset_invariance": 3,
    "check_n_features_in": 2,
    "check_n_features_in_after_fitting": 4,
    "check_non_transformer_estimators_n_iter": 4,
    "check_pipeline_consistency": 3,
    "check_positive_only_tag_during_fit": 4,
    "check_readonly_memmap_input": 2,
    "check_regressor_data_not_an_array": 10,
    "check_regressors_int": 10,
    "check_regressors_no_decision_function": 4,
    "check_regressors_train": 10,
    "check_sample_weights_list": 3,
    "check_sample_weights_not_an_array": 2,
    "check_sample_weights_not_overwritten": 2,
    "check_sample_weights_shape": 2,
    "check_supervised_y_2d": 3,
}


#: The checks that ask a weight to equal repeated rows (not this estimator's meaning of it).
_WEIGHT_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "a sample weight scales its row's update (online Convotron), it does not repeat the row: "
        "one update with twice the step differs from two updates"
    ),
}


def expected_failed_checks(estimator: Any) -> dict[str, str]:
    """Return scikit-learn's checks that cannot apply to ``estimator``, with the reason.

    For every scheme: ``check_sample_weight_equivalence_on_dense_data``, which asks that a
    weight 2 equal a repeated row; here a weight scales one update (an online algorithm: two
    updates on the same row differ from one update of twice the step). For ``scheme=None``
    and the width-free family ``"1d:R,STRIDE"``: nothing else (every other check applies and
    passes). For a scheme of fixed width ``n`` (a spec such as ``"1d:16,4,2"`` or
    a :class:`PatchScheme`): the checks that fit on data of other widths, which the estimator
    refuses by design (a width mismatch is an error naming both); the width each check uses
    is that of scikit-learn 1.9, and a check on data of width ``n`` is not listed. Pass it to
    ``parametrize_with_checks(..., expected_failed_checks=expected_failed_checks)`` or
    ``check_estimator(est, expected_failed_checks=expected_failed_checks(est))``.
    """
    always = dict(_WEIGHT_CHECKS)
    scheme = getattr(estimator, "scheme", None)
    if scheme is None or (isinstance(scheme, str) and _FAMILY.match(scheme)):
        return always
    try:
        n = scheme.n if isinstance(scheme, PatchScheme) else parse_spec(scheme).n
    except (ConvotronError, TypeError):
        return always
    reason = (
        f"the scheme fixes n_features={n} and this check fits on data of another width, which "
        "ConvotronRegressor refuses by design (the error names both widths); the width-free "
        "family scheme='1d:R,STRIDE' runs it"
    )
    return always | {name: reason for name, width in _WIDTH_CHECKS.items() if width != n}


# One table: the estimator's hyper-parameters, their rules and fixes (convotron._validate),
# checked by fit and partial_fit; scikit-learn's _parameter_constraints is derived from it
# (_sklearn_constraints), so the two cannot disagree. What needs the data (the scheme's width)
# is checked by scheme_for_width.
@dataclass(frozen=True)
class _SchemeValue(Constraint):
    """The ``scheme`` parameter: None, a spec string or a :class:`PatchScheme`."""

    def convert(self, value: Any) -> tuple[bool, Any]:
        ok = value is None or isinstance(value, str | PatchScheme)
        return (True, value) if ok else (False, None)

    def describe(self, name: str) -> str:
        return (
            "None (one patch covering every feature), a spec string such as '1d:16,4,2' or the "
            "width-free family '1d:4,2', or a PatchScheme"
        )

    def show(self, value: Any) -> str:
        return f"{type(value).__name__} {value!r}"


_SCHEME = Param("scheme", _SchemeValue(), fix="Pass one of these.")
_ETA_FIX = "Pass eta='auto' (the theorem's step at plug-in constants) or e.g. eta=0.01."
_PARAMS = table(
    _SCHEME,
    ALPHA,
    Param(
        "eta",
        AnyOf(Options("auto"), Interval(float, 0.0, None, closed="neither")),
        meaning="the step size",
        fix=_ETA_FIX,
    ),
    count("max_iter", "Pass a number of passes, e.g. 200."),
    count("batch", "Pass a mini-batch size (1 = Algorithm 1)."),
    Param(
        "shuffle", InstanceOf((bool, np.bool_), "True or False"), fix="Pass shuffle=True or False."
    ),
    Param(
        "tol",
        Interval(float, 0.0, None),
        meaning="the stopping tolerance",
        fix="Pass e.g. tol=1e-4, or None.",
        allow_none=True,
    ),
    count("n_iter_no_change", "Pass a number of passes, e.g. 5."),
    Param(
        "random_state",
        AnyOf(
            Interval(int, 0, 2**32 - 1), InstanceOf(np.random.RandomState, "a numpy RandomState")
        ),
        meaning="the seed of the shuffling",
        fix="Pass e.g. random_state=0, or None.",
        allow_none=True,
    ),
    Param(
        "precondition",
        Options("none", "plugin"),
        meaning="the preconditioner of the update",
        fix="Pass 'none' (Algorithm 1) or 'plugin' (H = M̂⁻¹ from the rows).",
    ),
)


def _sklearn_constraint(row: Param) -> list[Any]:
    """Return scikit-learn's constraint list for one row of ``_PARAMS`` (its ``_param_validation``).

    The same sets, except where scikit-learn has no way to say it: it takes ``True`` as an
    integer (``bool`` is an ``Integral``), which our rows refuse. Infinite reals are refused by
    both (an unbounded side of a real interval is open at infinity).
    """
    import numbers

    from sklearn.utils._param_validation import Interval as SkInterval
    from sklearn.utils._param_validation import StrOptions

    def one(c: Constraint) -> list[Any]:
        if isinstance(c, AnyOf):
            return [x for alt in c.alternatives for x in one(alt)]
        if isinstance(c, Options):
            return [StrOptions(set(c.values))]
        if isinstance(c, InstanceOf):
            classes = c.cls if isinstance(c.cls, tuple) else (c.cls,)
            return ["boolean"] if bool in classes else list(classes)
        if isinstance(c, Interval):
            lo_closed = c.lo is not None and c.closed in ("both", "left")
            hi_closed = c.hi is not None and c.closed in ("both", "right")
            lo, hi = c.lo, c.hi
            kind = numbers.Integral if c.type is int else numbers.Real
            if c.type is float:  # finite only: an unbounded side is open at infinity
                lo = -math.inf if lo is None else lo
                hi = math.inf if hi is None else hi
            closed = {(True, True): "both", (True, False): "left", (False, True): "right",
                      (False, False): "neither"}[(lo_closed, hi_closed)]  # fmt: skip
            return [SkInterval(kind, lo, hi, closed=closed)]
        if isinstance(c, _SchemeValue):
            return [str, PatchScheme, None]
        raise TypeError(f"no scikit-learn form for {c!r}")  # a new kind of row: add it here

    return one(row.constraint) + ([None] if row.allow_none else [])


def _plugin_preconditioner(X: np.ndarray, scheme: PatchScheme) -> tuple[np.ndarray, float]:
    r"""Return ``H = M̂⁻¹`` and the plug-in :math:`\hateta_H` from the rows of ``X`` [derived].

    :math:`\hat M = rac1m\sum_sq_sq_s^	op`, :math:`\hat K_H = rac1m\sum_s(q_s^	op Hq_s)
    rac1k\sum_iP_ix_sx_s^	op P_i^	op` and :math:`\hateta_H` its largest eigenvalue
    relative to :math:`\hat M` (thm-precond with :math:`\mu_H = 1`), in chunks of rows.
    """
    from .learning.rules import _inverse, plugin_directions

    idx = np.asarray(scheme.indices, dtype=np.int64)
    k, r = idx.shape
    m = X.shape[0]
    M_hat = np.zeros((r, r))
    for lo in range(0, m, 4096):
        Q = plugin_directions(X[lo : lo + 4096], idx)
        M_hat += Q.T @ Q
    M_hat /= m
    H = _inverse(M_hat, "the estimate M̂ = (1/m) Σ q qᵀ of the rows",
                 "pass rows whose patch sums span every filter direction")  # fmt: skip
    K = np.zeros((r, r))
    for lo in range(0, m, 4096):
        Xc = X[lo : lo + 4096]
        patches = np.where(idx >= 0, Xc[:, idx], 0.0)  # (c, k, r)
        q = patches.sum(axis=1)
        wq = np.einsum("sa,ab,sb->s", q, H, q)
        K += np.einsum("s,sia,sib->ab", wq, patches, patches)
    K /= m * k
    L = np.linalg.cholesky(M_hat)
    Li = np.linalg.inv(L)
    S = Li @ K @ Li.T
    beta = float(np.linalg.eigvalsh((S + S.T) / 2)[-1])
    return H, beta


class ConvotronRegressor(RegressorMixin, BaseEstimator):
    r"""Convotron (Goel, Klivans and Meka, ICML 2018) as a scikit-learn regressor.

    Fits :math:`f_w(x) = \frac1k\sum_i \sigma(w^\top P_i x)` [paper] by Algorithm 1 over the
    rows of ``X`` (see the module docstring for passes, stopping and ``eta="auto"``).

    Parameters
    ----------
    scheme : None, str or PatchScheme, default None
        The patches: None (one patch over every feature), a spec string such as
        ``"1d:16,4,2"`` or a :class:`PatchScheme` (both fix ``n_features``), or the width-free
        family ``"1d:R,STRIDE"`` (:func:`scheme_for_width`).
    alpha : float, default 0.0
        Leaky-ReLU slope in ``[0, 1]`` (0: ReLU, the paper's main case; 1: linear).
    eta : "auto" or float, default "auto"
        Step size. ``"auto"``: the theorem's ``a/(2β)`` [derived] at plug-in estimates from
        ``X`` (:func:`convotron.estimation.plugin.plugin_constants`; the guarantee holds for the
        population constants, not for the estimates); a number: that step.
    max_iter : int, default 200
        Maximum number of passes over the data.
    batch : int, default 1
        Rows per update (1: Algorithm 1); ``min(batch, n_samples)`` is used.
    shuffle : bool, default True
        Shuffle the rows before each pass.
    tol : float or None, default 1e-4
        Tolerance of the stopping rule, relative to ``mean(y²)`` (the error of ``w = 0``);
        None: always ``max_iter`` passes.
    n_iter_no_change : int, default 5
        Passes without a relative improvement above ``tol`` before stopping.
    random_state : int, RandomState instance or None, default None
        Seeds the shuffling.
    precondition : {"none", "plugin"}, default "none"
        ``"plugin"``: the preconditioned update ``w ← w + η (y − f_w(x)) H Σ_i P_i x``
        (``alg-precond``; this project's extension, [derived], not GKM18's) with
        ``H = M̂⁻¹``, ``M̂ = (1/m) Σ_s q_s q_sᵀ``, ``q_s = Σ_i P_i x_s`` over the rows of ``X``
        (in :meth:`partial_fit`, of the first call's rows). ``eta="auto"`` is then the
        preconditioned theorem's ``(1+α)/(2k β̂_H)`` with ``β̂_H = λ_max(M̂^{-1/2} K̂_H
        M̂^{-1/2})``, ``K̂_H = (1/m) Σ_s (q_sᵀHq_s)(1/k) Σ_i P_i x_s x_sᵀ P_iᵀ`` (plug-in, no
        interval; ``step_report_`` and ``step_diagnosis_`` are None). The theorem
        (thm-precond-plugin) takes M̂ from samples independent of the run; here they are the
        same rows, as for the plug-in step of ``eta="auto"``. It assumes a symmetric input
        law: on raw non-negative pixels it is a heuristic.

    Attributes
    ----------
    w_ : ndarray of shape (r,)
        The fitted filter.
    scheme_ : PatchScheme
        The scheme used (resolved for ``n_features_in_``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str, one name per feature
        Names of the features, when ``X`` has string column names.
    n_iter_ : int
        Passes done.
    t_ : int
        Updates done (``n_iter_ * (n_samples // batch)``).
    eta_ : float
        The step size used.
    step_report_ : PluginConstants or None
        With ``eta="auto"``: the plug-in constants with their intervals
        (``step_report_.summary()``); None for a numeric ``eta``.
    step_diagnosis_ : StepDiagnosis or None
        With ``eta="auto"`` in :meth:`fit`: the theorem's ``T`` at the plug-in constants against
        the updates of the fit, ``cond(M̂)`` and the remedies
        (:func:`convotron.estimation.plugin.diagnose_step`); None otherwise.
    loss_curve_ : list of float
        Training mean squared error after each pass.
    H_ : ndarray of shape (r, r) or None
        With ``precondition="plugin"``: the preconditioner ``M̂⁻¹``; None otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from convotron.estimator import ConvotronRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 16))
    >>> w = np.array([1.0, -0.5, 0.25, 0.5])
    >>> # shape (m, 7, 4)
    >>> patches = np.lib.stride_tricks.sliding_window_view(X, 4, axis=1)[:, ::2]
    >>> y = np.maximum(patches @ w, 0).mean(axis=1)  # a ReLU teacher, 1d:16,4,2
    >>> est = ConvotronRegressor("1d:4,2", random_state=0).fit(X, y)
    >>> bool(np.allclose(est.w_, w, atol=0.05))
    True
    """

    #: scikit-learn's constraints, derived from this module's table ``_PARAMS`` (one source).
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        name: _sklearn_constraint(row) for name, row in _PARAMS.items()
    }

    def __init__(
        self,
        scheme: Any = None,
        *,
        alpha: float = 0.0,
        eta: Any = "auto",
        max_iter: int = 200,
        batch: int = 1,
        shuffle: bool = True,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 5,
        random_state: Any = None,
        precondition: str = "none",
    ) -> None:
        self.scheme = scheme
        self.alpha = alpha
        self.eta = eta
        self.max_iter = max_iter
        self.batch = batch
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.precondition = precondition

    def _validate_params_(self) -> dict[str, Any]:
        """Check every hyper-parameter against the table; return them converted."""
        return check_params(_PARAMS, self.get_params(deep=False))

    def _step(self, X: np.ndarray, scheme: PatchScheme, p: dict[str, Any]) -> float:
        eta, alpha = p["eta"], p["alpha"]
        self.H_: np.ndarray | None = None
        self.step_report_: PluginConstants | None = None
        if p["precondition"] == "plugin":
            H, beta_H = _plugin_preconditioner(X, scheme)
            self.H_ = H
            return (1.0 + alpha) / (2.0 * scheme.k * beta_H) if eta == "auto" else eta
        if eta == "auto":
            report = plugin_constants(X, scheme, alpha)
            self.step_report_ = report
            return report.eta.value
        return eta

    def __sklearn_tags__(self) -> Any:
        """Declare ``poor_score`` for ``alpha < 1`` (scikit-learn's estimator tags).

        The model has no intercept and, for ``alpha < 1``, cannot represent a linear target:
        on ``y = vᵀx`` with symmetric ``x`` and one patch, Convotron's fixed point is
        ``w = 2v/(1+α)`` [derived from L1], leaving the residual ``((1−α)/(1+α))|vᵀx|``, so
        the ReLU's R² on scikit-learn's linear check data is about 0 by construction (at
        ``alpha = 1`` the model is linear regression through the origin).
        """
        tags = super().__sklearn_tags__()
        alpha = self.alpha
        tags.regressor_tags.poor_score = not (
            isinstance(alpha, int | float | np.integer | np.floating) and float(alpha) >= 1.0
        )
        return tags

    @staticmethod
    def _weighted(
        X: np.ndarray, y: np.ndarray, sample_weight: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Rows scaled by ``√s``: one update on them is the update on ``(x, y)`` times ``s``.

        ``σ`` is positively homogeneous (``σ(cz) = cσ(z)`` for ``c >= 0``), so with ``c = √s``:
        ``(c y − f_w(c x)) Σ_i P_i (c x) = s (y − f_w(x)) Σ_i P_i x``. Returns
        ``(X', y', s)``; ``s`` is None without weights (the rows are used as they are).
        """
        y = np.ascontiguousarray(y, dtype=np.float64)
        if sample_weight is None:
            return X, y, None
        # scikit-learn's check: shape (n_samples,), finite, >= 0, not all 0 (its messages)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        c = np.sqrt(sw)
        return np.ascontiguousarray(X * c[:, None]), y * c, sw

    def _pass(
        self,
        w: np.ndarray,
        X: np.ndarray,
        y: np.ndarray,
        scheme: PatchScheme,
        alpha: float,
        eta: float,
        b: int,
        done: int,
        n_pass: int,
    ) -> np.ndarray:
        """One pass: Algorithm 1 over the rows of ``(X, y)`` in order, from ``w``; the new filter.

        ``len(X) // b`` updates by the package's one runner,
        ``fit(ConvotronRule(precondition=H_), Rows(X, y), scheme, alpha, eta=eta, batch=b,
        w0=w)`` (:func:`convotron.learning.algorithm.fit`): with ``H_ = None``, Algorithm 1.
        """
        from .learning.algorithm import fit
        from .learning.rules import ConvotronRule
        from .learning.sources import Rows

        rule = ConvotronRule(precondition=getattr(self, "H_", None))
        try:
            return fit(rule, Rows(X, y), scheme, alpha, eta=eta, batch=b, w0=w).w
        except DivergenceError as err:
            raise DivergenceError(
                f"{err} (ConvotronRegressor: in pass {n_pass}, after {done} updates of earlier "
                "passes; eta='auto' or scaled inputs, e.g. StandardScaler, also help.)",
                param="eta",
            ) from err

    def _loss(
        self, w: np.ndarray, X: np.ndarray, y: np.ndarray, scheme: PatchScheme, alpha: float,
        sw: np.ndarray | None,
    ) -> float:  # fmt: skip
        return float(np.average((y - _predict(w, X, scheme, alpha)) ** 2, weights=sw))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> ConvotronRegressor:
        """Fit the filter ``w_`` by Convotron passes over ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs (their law is assumed symmetric for the theory to apply).
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), optional
            Weights ``s_t >= 0``: **each update is scaled by its row's weight**,
            ``w ← w + η s_t (y_t − f_w(x_t)) Σ_i P_i x_t`` (a weight 0 skips the row's
            update, a weight 2 doubles its step; it is not a repeated row). The training
            error of the stopping rule is weighted. ``eta="auto"`` is computed from the
            unweighted rows, so weights far above 1 make steps above the theorem's.

        Returns
        -------
        self : ConvotronRegressor

        Warns
        -----
        ConvergenceWarning
            With ``eta="auto"``, when the theorem's ``T`` at the plug-in constants exceeds the
            ``max_iter × (n_samples // batch)`` updates by more than
            :data:`convotron.estimation.plugin.FAR` times: the numbers (``T``, ``λ̂_min``, ``β̂``,
            ``cond(M̂)``) and the remedies (:func:`convotron.estimation.plugin.diagnose_step`), never
            "increase max_iter" then; otherwise when ``max_iter`` passes end before the
            stopping rule.

        Raises
        ------
        ValueError
            Invalid input (scikit-learn's messages) or parameters; a scheme whose ``n`` is not
            ``X``'s width; with ``eta="auto"``, ``λ_min(M̂) = 0`` or at round-off (an
            ``AssumptionViolation``) or a constant that under- or overflows float64 at the
            data's scale (a ``ConvotronError`` naming it); a diverging run
            (``DivergenceError``). All are ``ValueError`` subclasses.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        p = self._validate_params_()
        alpha, max_iter, batch, tol, nic = (
            p[name] for name in ("alpha", "max_iter", "batch", "tol", "n_iter_no_change")
        )
        Xw, yw, sw = self._weighted(X, y, sample_weight)
        scheme = scheme_for_width(self.scheme, X.shape[1])
        eta = self._step(X, scheme, p)
        m = X.shape[0]
        b = min(batch, m)
        rows = (m // b) * b
        budget = max_iter * (rows // b)
        self.step_diagnosis_: StepDiagnosis | None = (
            None if self.step_report_ is None else diagnose_step(self.step_report_, budget)
        )
        far = self.step_diagnosis_ is not None and self.step_diagnosis_.far
        if far:
            assert self.step_diagnosis_ is not None
            warnings.warn(
                "ConvotronRegressor(eta='auto'): "
                + self.step_diagnosis_.message(
                    f"max_iter × (n_samples // batch) = {max_iter} × {rows // b} = {budget} "
                    "updates of this fit"
                ),
                ConvergenceWarning,
                stacklevel=2,
            )
        rng = check_random_state(self.random_state)
        w = np.zeros(scheme.r)
        best, stall, done = math.inf, 0, 0
        loss0 = float(np.average(y**2, weights=sw))  # the error of w_1 = 0: the scale of tol
        losses: list[float] = []
        converged = False
        n_iter = 0
        for n_iter in range(1, max_iter + 1):
            order = rng.permutation(m)[:rows] if self.shuffle else np.arange(rows)
            w = self._pass(w, Xw[order], yw[order], scheme, alpha, eta, b, done, n_iter)
            done += rows // b
            loss = self._loss(w, X, y, scheme, alpha, sw)
            losses.append(loss)
            if tol is not None:
                stall = stall + 1 if loss > best - tol * loss0 else 0
                best = min(best, loss)
                if stall >= nic:
                    converged = True
                    break
        if tol is not None and not converged and not far:
            warnings.warn(
                f"ConvotronRegressor stopped after max_iter={max_iter} passes before the training "
                f"error settled (tol={tol:g}); increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )
        # _alpha: the slope w_ was fitted with (predict ignores a later set_params)
        fitted = dict(scheme_=scheme, w_=w, eta_=eta, n_iter_=n_iter, t_=done, loss_curve_=losses)
        self.__dict__.update(_alpha=alpha, **fitted)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> ConvotronRegressor:
        """Run one pass of Algorithm 1 over the given rows **in order**, continuing from ``w_``.

        On an unfitted estimator the first call starts at ``w_1 = 0`` and fixes the scheme,
        ``n_features_in_`` and the step: ``eta="auto"`` is the plug-in step from *that call's*
        rows (kept by later calls; pass a numeric ``eta`` for streams whose first chunk is
        small). Each call makes ``n_rows // min(batch, n_rows)`` updates (rows left over are
        skipped), appends the training error on its rows to ``loss_curve_`` and adds 1 to
        ``n_iter_``. No shuffling and no stopping rule: calls on consecutive chunks of
        ``(X, y)`` give exactly one pass of :func:`convotron.learning.algorithm.convotron_on_data`
        over the rows in order (when ``batch`` divides each chunk). After :meth:`fit` it continues
        from the fitted ``w_``; :meth:`fit` always starts afresh at ``w_1 = 0``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            As in :meth:`fit`: each update scaled by its row's weight.

        Returns
        -------
        self : ConvotronRegressor
        """
        first = not hasattr(self, "w_")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, reset=first)
        p = self._validate_params_()
        alpha, batch = p["alpha"], p["batch"]
        Xw, yw, sw = self._weighted(X, y, sample_weight)
        if first:
            scheme = scheme_for_width(self.scheme, X.shape[1])
            self.eta_ = self._step(X, scheme, p)
            self.step_diagnosis_ = None
            self._alpha, self.scheme_, self.w_ = alpha, scheme, np.zeros(scheme.r)
            self.n_iter_, self.t_, self.loss_curve_ = 0, 0, []
        elif alpha != self._alpha:
            raise ConvotronError(
                f"alpha (the leaky-ReLU slope) must stay the one of the first partial_fit call, "
                f"{self._alpha:g}; got {alpha:g}. Call fit, or start a new estimator.",
                param="alpha",
            )
        m = X.shape[0]
        b = min(batch, m)
        rows = (m // b) * b
        self.n_iter_ += 1
        self.w_ = self._pass(
            self.w_, Xw[:rows], yw[:rows], self.scheme_, self._alpha, self.eta_, b, self.t_,
            self.n_iter_,
        )  # fmt: skip
        self.t_ += rows // b
        self.loss_curve_.append(self._loss(self.w_, X, y, self.scheme_, self._alpha, sw))
        return self

    def predict(self, X: Any) -> np.ndarray:
        r"""Return :math:`f_w(x) = \frac1k\sum_i \sigma(w^\top P_i x)` for each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.asarray(_predict(self.w_, X, self.scheme_, self._alpha), dtype=np.float64)
