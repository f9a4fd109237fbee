"""Sharp checks of the plug-in estimator that mutation testing found unchecked (issue 19).

MUTATION.md lists what each test kills.
"""

from __future__ import annotations

import math

import numpy as np
import pytest


# ------------------------------------------------------------------ plug-in standard errors
def test_plugin_extreme_eigenvalue_standard_errors_from_the_influence_function() -> None:
    """λ̂_min, λ̂_max and their CLT standard errors: SE = sd((vᵀ s_t)²)/√m with s_t = Σ_i P_i x_t
    and v the eigenvector of M̂ = (1/m) Σ s_t s_tᵀ, recomputed here (max |X| in [1, 2): no
    rescaling); a single patch (M̂ ≈ I) flags λ_max as nearly repeated."""
    from convotron import PatchScheme
    from convotron.estimation.plugin import plugin_constants

    rng = np.random.default_rng(11)
    idx = [[0, 1, 2], [2, 3, 4], [1, 5, 6], [4, 6, 0]]
    scheme = PatchScheme.from_indices(7, idx)
    X = rng.uniform(-1.5, 1.5, size=(400, 7))
    X[0, 0] = 1.25  # max |X| >= 1
    S = X[:, np.asarray(idx)].sum(axis=1)  # s_t = Σ_i P_i x_t
    M = S.T @ S / X.shape[0]
    ev, vecs = np.linalg.eigh(M)
    pc = plugin_constants(X, scheme, 0.0)
    for est, j in ((pc.lambda_min, 0), (pc.lambda_max, -1)):
        g = (S @ vecs[:, j]) ** 2
        assert est.value == pytest.approx(ev[j], rel=1e-10)
        assert est.se == pytest.approx(np.std(g, ddof=1) / math.sqrt(len(g)), rel=1e-8)
    one = plugin_constants(X[:, :3], PatchScheme.from_indices(3, [[0, 1, 2]]), 0.0)
    assert "lambda_max" in one.near_repeated
