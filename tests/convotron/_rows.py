"""Teacher data for the algorithm and baseline tests: ``teacher_rows``."""

import numpy as np

from convotron.model.network import predict


def teacher_rows(scheme, alpha, m, seed, noise=0.0):
    """Return ``(X, y, w_star)``: ``m`` Gaussian rows labelled by a random filter (+ noise)."""
    rng = np.random.default_rng(seed)
    w_star = rng.standard_normal(scheme.r)
    X = rng.standard_normal((m, scheme.n))
    y = predict(w_star, X, scheme, alpha) + noise * rng.standard_normal(m)
    return X, y, w_star
