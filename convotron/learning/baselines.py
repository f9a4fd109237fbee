r"""Baselines: SGD on the square loss (the paper's comparison) and GLMtron.

**SGD** on ``ℓ(w) = ½ (y − f_w(x))²`` with ``f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)``
(``../shared/spec/convotron-theory.md`` §2, [paper] contrast with Algorithm 1)::

    w_{t+1} = w_t + lr · (y_t − f_{w_t}(x_t)) · (1/k) Σ_i σ′(w_tᵀ P_i x_t) P_i x_t

with ``σ′(z) = 1`` for ``z > 0`` and ``α`` for ``z < 0``. **Convention at the kink:**
``σ′(0) := α`` by default (``sigma_prime_at_zero=None``), the left derivative, which is what
deep-learning frameworks use (PyTorch's ``relu`` and ``leaky_relu`` backward passes give
``1`` for ``z > 0`` and the negative slope otherwise): ``σ′(0) = 0`` for ReLU. With it, ReLU
(``α = 0``) SGD from ``w = 0`` never moves, since every ``wᵀ P_i x`` is exactly 0 there:
this is the paper's point that Convotron, which has no ``σ′``, needs no special
initialisation. A leaky ReLU (``α > 0``) SGD from zero does move, at a rate scaled by ``α``.
(:func:`convotron.model.activations.leaky_relu_derivative` uses ``σ′(0) := 1``; pass
``sigma_prime_at_zero=1.0`` to get that convention, under which ReLU SGD from zero moves.)

**GLMtron** (Kakade, Kanade, Shamir, Kalai, *Efficient learning of generalized linear and
single index models with isotonic regression*, NeurIPS 2011) for the link ``u = σ``::

    w_{t+1} = w_t + η (y − σ(w_tᵀ x)) x

is Convotron with a single patch (``k = 1``, ``P_1 = I``): :func:`glmtron` implements it
directly (online, one sample per step, or the original full-batch form) and the tests show
that :func:`convotron.learning.algorithm.convotron_on_data` with ``k = 1`` performs the same
updates.
"""

from __future__ import annotations

import numpy as np

from .._errors import ConvotronError
from .._validate import ALPHA, BATCH, count, step_size, table, validate_params
from ..geometry.patches import PatchScheme
from ..model.activations import leaky_relu
from .algorithm import _ETA, _RUN, _SAMPLING, RunResult, _check_common, _fit
from .rules import SGDRule
from .sources import Rows, SampleFn, Sampler, check_rows

__all__ = ["glmtron", "sgd", "sgd_on_data", "sgd_reference"]

_LR = step_size("lr")
_GLM_ITERS = count("iters", "Pass the number of full-batch iterations.")
#: The tables (convotron._validate): the runners' rows with the step size named lr; the start
#: and σ′(0) are SGDRule's (checked when the rule is built).
SGD_TABLE = table(_LR, *_RUN.values(), *_SAMPLING.values())
SGD_ON_DATA_TABLE = table(_LR, *_RUN.values())
SGD_REFERENCE_TABLE = table(_LR, _RUN["scheme"], ALPHA, BATCH)
GLMTRON_TABLE = table(ALPHA, _ETA)


def _sgd(rule: SGDRule, source: Sampler | Rows, scheme: PatchScheme, alpha: float,
         **kw: object) -> RunResult:  # fmt: skip
    """:func:`sgd` and :func:`sgd_on_data`: ``fit`` with the step size named ``lr``."""
    lr = kw.pop("lr")
    return _fit(rule, source, scheme, alpha, eta=lr, step=_LR, **kw)  # type: ignore[arg-type]


@validate_params(SGD_TABLE)
def sgd(
    sample: SampleFn,
    scheme: PatchScheme,
    alpha: float,
    *,
    lr: float,
    iters: int,
    rng: np.random.Generator,
    init: str | np.ndarray = "zero",
    init_scale: float = 1.0,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    batch: int = 1,
    sigma_prime_at_zero: float | None = None,
    chunk: int = 4096,
    progress: bool = False,
    on_divergence: str = "raise",
) -> RunResult:
    r"""SGD on ``½(y − f_w(x))²`` with a fixed learning rate, on fresh samples.

    ``w_{t+1} = w_t + lr · (1/B) Σ_b (y_b − f_{w_t}(x_b)) (1/k) Σ_i σ′(w_tᵀ P_i x_b) P_i x_b``,
    with ``σ′(0) = sigma_prime_at_zero`` (default ``None``: ``σ′(0) := α``, the left derivative
    as in deep-learning frameworks, so ReLU SGD from zero never moves).

    Parameters
    ----------
    sample, scheme, alpha, iters, rng, w_star, record_every, eps, batch, chunk, progress
        As in :func:`convotron.learning.algorithm.convotron`.
    lr : float
        Learning rate ``> 0``.
    init : {"zero", "random"} or (r,) array, default "zero"
        ``w_1``: zeros, ``init_scale · g/√r`` with ``g ~ N(0, I_r)`` drawn from ``rng``
        before any sample, or the given vector.
    init_scale : float, default 1.0
        Scale of the random start (``E‖w_1‖² = init_scale²``).
    sigma_prime_at_zero : float in [0, 1] or None, default None
        The derivative convention ``σ′(0)``; ``None`` means ``α`` (the left derivative).
    on_divergence : {"raise", "record"}, default "raise"
        As in :func:`convotron.learning.algorithm.convotron`.

    Returns
    -------
    RunResult
        With ``algorithm="sgd"`` and ``eta=lr``.
    """
    return _sgd(SGDRule(init, init_scale, sigma_prime_at_zero), Sampler(sample), scheme, alpha,
                lr=lr, iters=iters, rng=rng, batch=batch, w_star=w_star,
                record_every=record_every, eps=eps, chunk=chunk, progress=progress,
                on_divergence=on_divergence)  # fmt: skip


@validate_params(SGD_ON_DATA_TABLE)
def sgd_on_data(
    X: np.ndarray,
    y: np.ndarray,
    scheme: PatchScheme,
    alpha: float,
    *,
    lr: float,
    init: str | np.ndarray = "zero",
    init_scale: float = 1.0,
    rng: np.random.Generator | None = None,
    batch: int = 1,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    sigma_prime_at_zero: float | None = None,
) -> RunResult:
    """Run SGD (as :func:`sgd`) over a fixed dataset, rows in order.

    ``rng`` is used only to draw ``w_1`` for ``init="random"``.
    """
    return _sgd(SGDRule(init, init_scale, sigma_prime_at_zero), Rows(X, y), scheme, alpha,
                lr=lr, rng=rng, batch=batch, w_star=w_star, record_every=record_every,
                eps=eps)  # fmt: skip


@validate_params(SGD_REFERENCE_TABLE)
def sgd_reference(
    X: np.ndarray,
    y: np.ndarray,
    scheme: PatchScheme,
    alpha: float,
    *,
    lr: float,
    w0: np.ndarray | None = None,
    batch: int = 1,
    sigma_prime_at_zero: float | None = None,
) -> np.ndarray:
    """Readable per-sample SGD over a fixed dataset: the oracle of the compiled loop.

    Returns the ``(T + 1, r)`` iterates starting at ``w0`` (zeros by default).
    """
    rule = SGDRule("zero" if w0 is None else w0, sigma_prime_at_zero=sigma_prime_at_zero)
    c = _check_common(rule, scheme, alpha, lr, batch, None, None, None, "raise", _LR)
    indices, a, e, b = c.indices, c.alpha, c.eta, c.batch
    Xa, ya = check_rows(X, y, c.n, b)
    s0 = rule.deriv_at_zero(a)
    k, r = indices.shape
    w = rule.start(r, None)
    iterates = [w.copy()]
    for t in range(Xa.shape[0] // b):
        G = np.zeros_like(w)
        for x, label in zip(Xa[t * b : (t + 1) * b], ya[t * b : (t + 1) * b], strict=True):
            patches = np.where(indices >= 0, x[indices], 0.0)  # (k, r); -1 reads a padded 0
            z = patches @ w  # z_i = wᵀ P_i x
            f = np.mean(leaky_relu(z, a))
            dsigma = np.where(z > 0, 1.0, np.where(z < 0, a, s0))  # σ′(z_i), σ′(0) = s0
            G += (label - f) * (dsigma @ patches) / k
        w = w + e * (G / b)
        iterates.append(w.copy())
    return np.array(iterates)


@validate_params(GLMTRON_TABLE)
def glmtron(
    X: np.ndarray,
    y: np.ndarray,
    alpha: float,
    *,
    eta: float,
    full_batch: bool = False,
    iters: int | None = None,
) -> np.ndarray:
    """GLMtron (Kakade et al. 2011) with the leaky-ReLU link: Convotron's one-patch case.

    Online (default): one pass over the rows in order,
    ``w_{t+1} = w_t + η (y_t − σ(w_tᵀ x_t)) x_t``, ``w_1 = 0``; returns ``(T + 1, d)``
    iterates. This is Algorithm 1 with ``k = 1`` and ``P_1 = I_d``.

    Full batch (``full_batch=True``, the form of Kakade et al., who take ``η = 1``):
    ``w_{t+1} = w_t + η (1/m) Σ_j (y_j − σ(w_tᵀ x_j)) x_j`` for ``iters`` iterations over
    all ``m`` rows; returns ``(iters + 1, d)`` iterates.

    Parameters
    ----------
    X : (m, d) array
    y : (m,) array
    alpha : float
        Leaky-ReLU slope in ``[0, 1]`` (the link ``σ``).
    eta : float
        Step size ``> 0``.
    full_batch : bool, default False
    iters : int, optional
        Iterations of the full-batch form (required with ``full_batch=True``).
    """
    a, e = alpha, eta  # checked and converted by the table
    Xa = np.asarray(X)
    if Xa.ndim != 2 or Xa.shape[1] < 1:
        raise ConvotronError(
            f"X must be a 2-D array of shape (m, d) with d >= 1; got shape {Xa.shape}. "
            "Pass one sample per row."
        )
    Xa, ya = check_rows(Xa, y, Xa.shape[1], 1)
    w = np.zeros(Xa.shape[1])
    iterates = [w.copy()]
    if not full_batch:
        if iters is not None:
            raise ConvotronError(
                f"iters applies to full_batch=True only (online GLMtron makes one pass, "
                f"T = len(X)); got iters={iters!r}. Drop iters or pass full_batch=True."
            )
        for x, label in zip(Xa, ya, strict=True):
            w = w + e * (label - leaky_relu(np.dot(w, x), a)) * x
            iterates.append(w.copy())
        return np.array(iterates)
    T = int(_GLM_ITERS(iters))
    for _ in range(T):
        w = w + e * ((ya - leaky_relu(Xa @ w, a)) @ Xa) / Xa.shape[0]
        iterates.append(w.copy())
    return np.array(iterates)
