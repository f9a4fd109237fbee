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
(:func:`convotron.activations.leaky_relu_derivative` uses ``σ′(0) := 1``; pass
``sigma_prime_at_zero=1.0`` to get that convention, under which ReLU SGD from zero moves.)

**GLMtron** (Kakade, Kanade, Shamir, Kalai, *Efficient learning of generalized linear and
single index models with isotonic regression*, NeurIPS 2011) for the link ``u = σ``::

    w_{t+1} = w_t + η (y − σ(w_tᵀ x)) x

is Convotron with a single patch (``k = 1``, ``P_1 = I``): :func:`glmtron` implements it
directly (online, one sample per step, or the original full-batch form) and the tests show
that :func:`convotron.algorithm.convotron_on_data` with ``k = 1`` performs the same updates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _kernels
from ._errors import ConvotronError
from .algorithm import (
    RunResult,
    Sampler,
    _check_alpha,
    _check_data,
    _check_int,
    _check_on_divergence,
    _check_rng,
    _check_step,
    _common,
    _data_chunks,
    _drive,
    _leaky_relu,
    _sampler_chunks,
)
from .patches import PatchScheme

__all__ = ["glmtron", "sgd", "sgd_on_data", "sgd_reference"]


def _check_sigma0(value: Any, alpha: float) -> float:
    if value is None:  # the framework convention: the left derivative σ′(0) := α
        return float(alpha)
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (0.0 <= v <= 1.0):
        raise ConvotronError(
            f"sigma_prime_at_zero (the derivative convention σ′(0)) must be a number in "
            f"[0, 1] or None (σ′(0) := α, the framework convention); got {value!r}. "
            "Pass None, 0.0 or 1.0."
        )
    return v


def _initial_filter(
    init: Any, r: int, init_scale: Any, rng: np.random.Generator | None
) -> np.ndarray:
    """``w_1``: zeros, ``init_scale · g / √r`` with ``g ~ N(0, I_r)``, or a given vector."""
    if isinstance(init, str):
        if init == "zero":
            return np.zeros(r)
        if init == "random":
            try:
                s = float(init_scale)
            except (TypeError, ValueError):
                s = math.nan
            if not (math.isfinite(s) and s >= 0.0):
                raise ConvotronError(
                    f"init_scale must be a finite number >= 0 (the expected norm of the "
                    f"random start); got {init_scale!r}. Pass e.g. init_scale=1.0."
                )
            if rng is None:
                raise ConvotronError(
                    "init='random' needs a numpy.random.Generator to draw w_1; got rng=None. "
                    "Pass rng=numpy.random.default_rng(seed)."
                )
            return s * rng.standard_normal(r) / math.sqrt(r)
        raise ConvotronError(
            f"init must be 'zero', 'random' or a vector of shape (r,) = ({r},); got {init!r}. "
            "Pass one of them."
        )
    w0 = np.asarray(init, dtype=np.float64)
    if w0.shape != (r,) or not np.all(np.isfinite(w0)):
        raise ConvotronError(
            f"init must be 'zero', 'random' or a finite vector of shape (r,) = ({r},); got "
            f"an array of shape {w0.shape}. Pass a finite filter of length {r}."
        )
    return w0.copy()


def sgd(
    sample: Sampler,
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
        As in :func:`convotron.algorithm.convotron`.
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
        As in :func:`convotron.algorithm.convotron`.

    Returns
    -------
    RunResult
        With ``algorithm="sgd"`` and ``eta=lr``.
    """
    indices, a, e, b, _, ws, rec, eps_ = _common(
        scheme, alpha, lr, batch, None, w_star, record_every, eps, "lr"
    )
    r = indices.shape[1]
    T = _check_int(iters, "iters", low=1, fix="Pass the number of updates T, e.g. iters=10000.")
    rng = _check_rng(rng)
    c = _check_int(chunk, "chunk", low=1, fix="Pass a positive number of samples per draw.")
    s0 = _check_sigma0(sigma_prime_at_zero, a)
    w0 = _initial_filter(init, r, init_scale, rng)
    n = int(scheme.n)
    return _drive(
        _sampler_chunks(sample, rng, n, b),
        indices,
        n,
        a,
        mode=_kernels.MODE_SGD,
        algorithm="sgd",
        step_name="lr",
        eta=e,
        iters=T,
        batch=b,
        only_patch=None,
        w0=w0,
        w_star=ws,
        record_every=rec,
        eps=eps_,
        chunk_updates=max(1, c // b),
        deriv_at_zero=s0,
        progress=progress,
        only_patch_disjoint=None,
        record_divergence=_check_on_divergence(on_divergence),
    )


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
    indices, a, e, b, _, ws, rec, eps_ = _common(
        scheme, alpha, lr, batch, None, w_star, record_every, eps, "lr"
    )
    n = int(scheme.n)
    Xa, ya = _check_data(X, y, n, b)
    s0 = _check_sigma0(sigma_prime_at_zero, a)
    if rng is not None:
        rng = _check_rng(rng)
    w0 = _initial_filter(init, indices.shape[1], init_scale, rng)
    return _drive(
        _data_chunks(Xa, ya, b),
        indices,
        n,
        a,
        mode=_kernels.MODE_SGD,
        algorithm="sgd",
        step_name="lr",
        eta=e,
        iters=Xa.shape[0] // b,
        batch=b,
        only_patch=None,
        w0=w0,
        w_star=ws,
        record_every=rec,
        eps=eps_,
        chunk_updates=max(1, 65536 // b),
        deriv_at_zero=s0,
        progress=False,
        only_patch_disjoint=None,
    )


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
    indices, a, e, b, _, _, _, _ = _common(scheme, alpha, lr, batch, None, None, None, None, "lr")
    Xa, ya = _check_data(X, y, int(scheme.n), b)
    s0 = _check_sigma0(sigma_prime_at_zero, a)
    k, r = indices.shape
    w = _initial_filter("zero" if w0 is None else w0, r, 1.0, None)
    iterates = [w.copy()]
    for t in range(Xa.shape[0] // b):
        G = np.zeros_like(w)
        for x, label in zip(Xa[t * b : (t + 1) * b], ya[t * b : (t + 1) * b], strict=True):
            patches = np.where(indices >= 0, x[indices], 0.0)  # (k, r); -1 reads a padded 0
            z = patches @ w  # z_i = wᵀ P_i x
            f = np.mean(_leaky_relu(z, a))
            dsigma = np.where(z > 0, 1.0, np.where(z < 0, a, s0))  # σ′(z_i), σ′(0) = s0
            G += (label - f) * (dsigma @ patches) / k
        w = w + e * (G / b)
        iterates.append(w.copy())
    return np.array(iterates)


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
    a = _check_alpha(alpha)
    e = _check_step(eta, "eta")
    Xa = np.asarray(X)
    if Xa.ndim != 2 or Xa.shape[1] < 1:
        raise ConvotronError(
            f"X must be a 2-D array of shape (m, d) with d >= 1; got shape {Xa.shape}. "
            "Pass one sample per row."
        )
    Xa, ya = _check_data(Xa, y, Xa.shape[1], 1)
    w = np.zeros(Xa.shape[1])
    iterates = [w.copy()]
    if not full_batch:
        if iters is not None:
            raise ConvotronError(
                f"iters applies to full_batch=True only (online GLMtron makes one pass, "
                f"T = len(X)); got iters={iters!r}. Drop iters or pass full_batch=True."
            )
        for x, label in zip(Xa, ya, strict=True):
            w = w + e * (label - _leaky_relu(np.dot(w, x), a)) * x
            iterates.append(w.copy())
        return np.array(iterates)
    T = _check_int(iters, "iters", low=1, fix="Pass the number of full-batch iterations.")
    for _ in range(T):
        w = w + e * ((ya - _leaky_relu(Xa @ w, a)) @ Xa) / Xa.shape[0]
        iterates.append(w.copy())
    return np.array(iterates)
