"""The plug-in report's fields, texts and input checks in full (issue 19, mutation tests).

Written against the survivors of the second sampled mutation run of
``convotron/estimation/plugin.py`` (MUTATION.md, issue 19): the JSON of every report object key by
key, the summary and the step diagnosis word for word (built from hand-made objects, so every number
is known), the remedies at the ill-conditioning boundary, and ``_check_X``'s dtype rules. Fast (< 5
s).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from convotron import PatchScheme
from convotron.estimation.plugin import (
    GUARANTEE_NOTE,
    Estimate,
    PluginConstants,
    StepDiagnosis,
    TailCheck,
    diagnose_step,
    plugin_constants,
    plugin_moments,
)

_RULE = (
    "Hill estimate of the tail index of ‖(P_i x)_i‖ on the ⌈2√m⌉ largest rows; "
    "heavy when its lower confidence limit is <= 8 (beta) or <= 4 (lambda)"
)


def _pc(tail: TailCheck | None, *, level: float = 0.9, method: str = "CLT") -> PluginConstants:
    """Hand-made constants: λ_min 2, λ_max 8 (cond 4), β 16, k 2, α 0.5, so a = 1.5,
    η = a/(2β) = 3/64 and T = (4β/a²) ln(1000) = (256/9) ln 1000."""
    eye = np.eye(2)
    return PluginConstants(
        lambda_min=Estimate(2.0, 0.25, 1.5, 2.5),
        lambda_max=Estimate(8.0, 0.5, 7.0, 9.0),
        beta=Estimate(16.0, 1.0, 14.0, 18.0, method),
        a=Estimate(1.5, 0.1875, 1.125, 1.875),
        eta=Estimate(3 / 64, 0.01, 0.03, 0.06, method),
        eta_conservative=0.03125,
        n_samples=500,
        k=2,
        r=2,
        alpha=0.5,
        level=level,
        M=eye,
        K=eye,
        near_repeated=("beta",),
        note="NOTE",
        tail=tail,
    )


def test_estimate_and_tail_check_json_key_by_key() -> None:
    assert Estimate(1.0, 0.5, 0.25, 2.0, "tail bound").to_json() == {
        "value": 1.0,
        "se": 0.5,
        "low": 0.25,
        "high": 2.0,
        "method": "tail bound",
    }
    tc = TailCheck(True, 12.5, 9.0, 45, False, False)
    assert tc.to_json() == {
        "tested": True,
        "index": 12.5,
        "index_low": 9.0,
        "k_tail": 45,
        "heavy_beta": False,
        "heavy_lambda": False,
        "rule": _RULE,
    }


@pytest.mark.parametrize(
    ("tail", "interval"),
    [
        (None, "CLT (delta method), estimate +- z*se"),
        (TailCheck(True, 12.5, 9.0, 45, False, False), "CLT (delta method), estimate +- z*se"),
        (
            TailCheck(True, 7.0, 6.0, 45, True, False),
            "heavy tails: CLT lower ends, Pareto-tail upper ends (see 'method')",
        ),
        (
            TailCheck(True, 3.0, 2.0, 45, False, True),
            "heavy tails: CLT lower ends, Pareto-tail upper ends (see 'method')",
        ),
    ],
)
def test_plugin_constants_json_key_by_key(tail: TailCheck | None, interval: str) -> None:
    pc = _pc(tail)
    T = 4 * 16 / 1.5**2 * math.log(1000.0)
    assert pc.cond == 4.0
    assert pc.eta_scale == pytest.approx(1.5 * 8 / (2 * 2 * 16), rel=1e-15)
    assert pc.updates_needed() == pytest.approx(T, rel=1e-14)
    out = pc.to_json()
    assert out == {
        "lambda_min": {"value": 2.0, "se": 0.25, "low": 1.5, "high": 2.5, "method": "CLT"},
        "lambda_max": {"value": 8.0, "se": 0.5, "low": 7.0, "high": 9.0, "method": "CLT"},
        "beta": {"value": 16.0, "se": 1.0, "low": 14.0, "high": 18.0, "method": "CLT"},
        "a": {"value": 1.5, "se": 0.1875, "low": 1.125, "high": 1.875, "method": "CLT"},
        "eta": {"value": 3 / 64, "se": 0.01, "low": 0.03, "high": 0.06, "method": "CLT"},
        "eta_conservative": 0.03125,
        "n_samples": 500,
        "k": 2,
        "r": 2,
        "alpha": 0.5,
        "level": 0.9,
        "near_repeated": ["beta"],
        "interval": interval,
        "tail": None if tail is None else tail.to_json(),
        "cond": 4.0,
        "T": pytest.approx(T, rel=1e-14),
        "T_target": {"rel_eps": 0.01, "delta": 0.1},
        "note": "NOTE",
    }
    assert list(out) == [
        "lambda_min", "lambda_max", "beta", "a", "eta", "eta_conservative", "n_samples", "k",
        "r", "alpha", "level", "near_repeated", "interval", "tail", "cond", "T", "T_target",
        "note",
    ]  # fmt: skip


def test_plugin_constants_summary_word_for_word() -> None:
    assert _pc(None, level=0.9).summary() == "\n".join(
        [
            "plug-in constants from 500 rows (k=2, r=2):",
            "  lambda_min = 2  (90% CI [1.5, 2.5])",
            "  lambda_max = 8  (90% CI [7, 9])",
            "  beta       = 16  (90% CI [14, 18])",
            "  a          = 1.5  (90% CI [1.125, 1.875])",
            "  eta        = 0.046875  (90% CI [0.03, 0.06])",
            "  eta_conservative = a_low/(2 beta_high) = 0.03125",
            "  note: NOTE",
        ]
    )
    text = _pc(None, level=0.95, method="tail bound").summary().splitlines()
    assert text[1] == "  lambda_min = 2  (95% CI [1.5, 2.5])"
    assert text[3] == "  beta       = 16  (95% CI [14, 18], tail bound)"
    assert text[5] == "  eta        = 0.046875  (95% CI [0.03, 0.06], tail bound)"


def _diag(cond: float, T: float, budget: int, *, far: bool = True) -> StepDiagnosis:
    return StepDiagnosis(T=T, budget=budget, far=far, lambda_min=0.5, beta=3.0, cond=cond,
                         eta=0.125, eta_scale=2.5, remedies=("R1", "R2"))  # fmt: skip


def test_step_diagnosis_message_and_json_in_full() -> None:
    d = _diag(cond=250.0, T=4.0e6, budget=2000)
    assert d.message("updates available (one pass)") == (
        "the theorem's step eta = a/(2 beta) = 0.125 at the plug-in constants "
        "(lambda_min(M̂) = 0.5, beta = 3, cond(M̂) = 250) needs T = (4 beta/a²) ln(1000) = "
        "4e+06 updates to bring E‖w − w*‖² to 1% of ‖w*‖² (probability 0.9; [derived]), "
        "2e+03 times the updates available (one pass): that stops long before the theorem's "
        "T, and a training error that stops changing there is not convergence. "
        "Remedies: R1; R2."
    )
    # a zero budget divides by 1
    assert "7 times the" in _diag(cond=1.0, T=7.0, budget=0).message("x")
    assert d.to_json() == {
        "T": 4.0e6,
        "budget": 2000,
        "far": True,
        "lambda_min": 0.5,
        "beta": 3.0,
        "cond": 250.0,
        "eta": 0.125,
        "eta_scale": 2.5,
        "remedies": ["R1", "R2"],
    }


def _cond_pc(lam_max: float) -> PluginConstants:
    """λ_min 1, λ_max ``lam_max`` (cond = lam_max), β 4, k 1, α 0: a = 1, η = 1/8,
    eta_scale = λ_max/8, T = 16 ln 1000."""
    eye = np.eye(1)
    e = Estimate(1.0, 0.0, 1.0, 1.0)
    return PluginConstants(
        lambda_min=e,
        lambda_max=Estimate(lam_max, 0.0, lam_max, lam_max),
        beta=Estimate(4.0, 0.0, 4.0, 4.0),
        a=e,
        eta=Estimate(0.125, 0.0, 0.125, 0.125),
        eta_conservative=0.125,
        n_samples=10,
        k=1,
        r=1,
        alpha=0.0,
        level=0.95,
        M=eye,
        K=eye,
    )


def test_diagnose_step_remedies_at_the_conditioning_boundary() -> None:
    T = 16 * math.log(1000.0)  # 110.52...
    hand = (
        "a hand-set step, e.g. --eta 12.5 (the step scale (1+alpha) lambda_max(M̂)/(2 k beta); "
        "no guarantee, watch for divergence)"
    )
    ill = diagnose_step(_cond_pc(100.0), 5, eta_name="--eta ")
    assert ill.remedies == (
        "whiten or rescale the inputs so that cond(M̂) = 100 comes near 1 (e.g. "
        "scikit-learn's PCA(whiten=True) with one patch over every feature; StandardScaler "
        "when the columns differ in scale)",
        hand,
    )
    assert ill.T == pytest.approx(T, rel=1e-14) and ill.budget == 5 and ill.far is True
    assert (ill.lambda_min, ill.beta, ill.cond, ill.eta) == (1.0, 4.0, 100.0, 0.125)
    assert ill.eta_scale == 12.5
    well = diagnose_step(_cond_pc(99.0), 11)
    assert well.remedies == (
        "a hand-set step, e.g. eta=12.4 (the step scale (1+alpha) lambda_max(M̂)/(2 k beta); "
        "no guarantee, watch for divergence)",
        "more rows (the theorem counts fresh samples)",
    )
    assert well.far is True  # 110.5 > 10 x 11
    assert diagnose_step(_cond_pc(99.0), 12).far is False  # 110.5 < 10 x 12
    assert isinstance(diagnose_step(_cond_pc(99.0), 12).far, bool)
    assert isinstance(diagnose_step(_cond_pc(99.0), 12.0).budget, int)  # type: ignore[arg-type]


def test_check_x_dtypes() -> None:
    from convotron import PatchScheme
    from convotron._errors import ConvotronError

    scheme = PatchScheme.from_indices(3, [[0, 1], [1, 2]])
    with pytest.raises(ConvotronError, match=r"X must hold real numbers; got dtype bool\. Convert"):
        plugin_moments(np.ones((4, 3), dtype=bool), scheme)
    with pytest.raises(ConvotronError, match=r"X must hold real numbers; got dtype complex128"):
        plugin_moments(np.ones((4, 3), dtype=complex), scheme)
    # integers are read as float64: no wrap-around in the fourth moments (K sums x⁴ ~ 2⁷⁸)
    Xi = np.array([[2**20, -(2**20), 3 * 2**19], [1, 2**20, 5], [7, -3, 2**20]], dtype=np.int64)
    M, K = plugin_moments(Xi, scheme)
    M2, K2 = plugin_moments(Xi.astype(float), scheme)
    assert M.dtype == np.float64 and K.dtype == np.float64
    np.testing.assert_array_equal(M, M2)
    np.testing.assert_array_equal(K, K2)
    assert K[0, 0] > 2.0**70  # beyond int64
    pc = plugin_constants(Xi, scheme, 0.0)
    assert pc.lambda_min.value == plugin_constants(Xi.astype(float), scheme, 0.0).lambda_min.value


def test_guarantee_note_is_the_default_note() -> None:
    assert _cond_pc(2.0).note == GUARANTEE_NOTE


def test_zero_rows_message_in_full() -> None:
    from convotron import PatchScheme
    from convotron._errors import ConvotronError

    scheme = PatchScheme.from_indices(3, [[0, 1], [1, 2]])
    with pytest.raises(ConvotronError) as info:
        plugin_moments(np.zeros((0, 3)), scheme)
    assert str(info.value).startswith(
        "X must have at least one row; got 0 rows. Pass some samples."
    )


def test_beta_and_eta_standard_errors_from_the_influence_functions() -> None:
    """β̂ and η̂ with their CLT standard errors, recomputed from the rows: K̂ = (1/(km)) Σ_t
    ‖s_t‖² Σ_i z_ti z_tiᵀ (z_ti = P_i x_t), u its top eigenvector, h_t = ‖s_t‖² (1/k) Σ_i
    (uᵀz_ti)², g_t = (v_minᵀ s_t)²; η̂ = c λ̂/β̂ with influence c (g_t/β̂ − λ̂ h_t/β̂²),
    c = (1+α)/(2k) (max |X| in [1, 2): no rescaling; 300 rows: the tails are not tested)."""
    from convotron import PatchScheme

    rng = np.random.default_rng(5)
    idx = np.array([[0, 1, 2], [2, 3, 4], [1, 5, 6], [4, 6, 0]])
    k = idx.shape[0]
    X = rng.uniform(-1.5, 1.5, size=(300, 7))
    X[0, 0] = 1.25
    Z = X[:, idx]  # (m, k, r)
    S = Z.sum(axis=1)
    m = X.shape[0]
    q = (S**2).sum(axis=1)
    M = S.T @ S / m
    K = sum(q[t] * Z[t].T @ Z[t] for t in range(m)) / (k * m)
    evm, vm = np.linalg.eigh(M)
    evk, vk = np.linalg.eigh(K)
    g = (S @ vm[:, 0]) ** 2
    h = q * ((Z @ vk[:, -1]) ** 2).mean(axis=1)
    alpha = 0.25
    c = (1 + alpha) / (2 * k)
    lam, beta = evm[0], evk[-1]
    pc = plugin_constants(X, PatchScheme.from_indices(7, idx.tolist()), alpha, level=0.9)
    assert pc.tail is not None and pc.tail.tested is False
    zq = 1.6448536269514722  # the normal quantile of 0.95 (a 90% two-sided interval)
    sd = lambda v: float(np.std(v, ddof=1)) / math.sqrt(m)  # noqa: E731
    assert pc.beta.value == pytest.approx(beta, rel=1e-10)
    assert pc.beta.se == pytest.approx(sd(h), rel=1e-8)
    assert pc.beta.high == pytest.approx(beta + zq * sd(h), rel=1e-10)
    assert pc.eta.value == pytest.approx(c * lam / beta, rel=1e-10)
    infl = c * (g / beta - lam * h / beta**2)
    assert pc.eta.se == pytest.approx(sd(infl), rel=1e-8)
    assert pc.eta.low == pytest.approx(c * lam / beta - zq * sd(infl), rel=1e-10)
    assert pc.a.value == pytest.approx((1 + alpha) * lam / k, rel=1e-10)
    assert pc.eta_conservative == pytest.approx(pc.a.low / (2 * pc.beta.high), rel=1e-12)


def _seven(m: int, seed: int) -> tuple[np.ndarray, PatchScheme]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(m, 7))
    X[0, 0] = 1.25  # max |X| in [1.25, 1.5]: the scale is 1
    return X, PatchScheme.from_indices(7, [[0, 1, 2], [2, 3, 4], [1, 5, 6], [4, 6, 0]])


@pytest.mark.parametrize(("m", "flags"), [(300, ("beta", "eta")), (2000, ())])
def test_a_power_of_two_rescaling_scales_the_estimates_and_keeps_the_flags(
    m: int, flags: tuple[str, ...]
) -> None:
    """X·2^e: λ and its se scale by 4^e, β by 16^e, η by 4^−e (exactly: the sums are formed
    on X/s), and the near-repeated flags (gap < 4 se, compared at the data's scale) are the
    same. At 300 rows β's gap 2.18 is below 4 se = 3.0; at 2000 rows 4 se = 1.2."""
    X, scheme = _seven(m, 2)
    base = plugin_constants(X, scheme, 0.0)
    assert base.near_repeated == flags
    for e in (30, -30):
        pc = plugin_constants(X * 2.0**e, scheme, 0.0)
        assert pc.near_repeated == flags, e
        for name, p in (("lambda_min", 2), ("lambda_max", 2), ("beta", 4), ("a", 2), ("eta", -2)):
            got, want = getattr(pc, name), getattr(base, name)
            f = 2.0 ** (p * e)
            assert (got.value, got.se, got.low, got.high) == pytest.approx(
                (want.value * f, want.se * f, want.low * f, want.high * f), rel=1e-12
            ), (name, e)


def test_the_note_ends_with_the_tail_sentence() -> None:
    X, scheme = _seven(300, 2)
    pc = plugin_constants(X, scheme, 0.0)
    assert pc.note == (
        GUARANTEE_NOTE
        + " The eigenvalues behind beta, eta are (nearly) repeated (gap below 4 standard errors):"
        " their intervals are too narrow (under-cover)."
        " Tails not tested (fewer than 400 rows): the CLT intervals assume E‖x‖⁸ < ∞ (beta) and"
        " E‖x‖⁴ < ∞ (lambda)."
    )


def test_a_one_dimensional_filter_has_no_gaps() -> None:
    from convotron import PatchScheme

    rng = np.random.default_rng(0)
    X = rng.uniform(-1.5, 1.5, size=(50, 2))
    pc = plugin_constants(X, PatchScheme.from_indices(2, [[0], [1]]), 0.0)  # k = 2, r = 1
    assert pc.r == 1 and pc.near_repeated == ()
    s = X.sum(axis=1)
    assert pc.lambda_min.value == pytest.approx(float(np.mean(s**2)), rel=1e-12)
    assert pc.lambda_max.value == pc.lambda_min.value


def test_an_exact_tie_with_no_spread_is_not_below_four_standard_errors() -> None:
    """The four sign rows of (±1, ±1) with one patch over both: M̂ = I exactly, a double
    eigenvalue, and (vᵀx_t)² = 1 for the unit eigenvector e₁ (se 0): the gap 0 is not
    *below* 4 se = 0, so nothing is flagged (the documented rule: gap below 4 se)."""
    from convotron import PatchScheme

    X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    pc = plugin_constants(X, PatchScheme.from_indices(2, [[0, 1]]), 0.0)
    np.testing.assert_array_equal(pc.M, np.eye(2))
    assert pc.lambda_min.se == 0.0 and pc.lambda_max.se == 0.0
    assert "lambda_min" not in pc.near_repeated and "lambda_max" not in pc.near_repeated


@pytest.mark.parametrize(
    ("scale", "name", "power"),
    [(2.0**-511, "lambda_min", "max|X|^2"), (1e-100, "beta", "max|X|^4")],
)
def test_a_constant_that_is_not_a_normal_float_is_named(
    scale: float, name: str, power: str
) -> None:
    """λ̂_min ∝ max|X|² (0.79 at scale 1) is subnormal at max|X| ~ 2^-511; β̂ ∝ max|X|⁴
    underflows at 1e-100; each is named with its scaling."""
    from convotron._errors import ConvotronError

    X, scheme = _seven(40, 1)
    with pytest.raises(ConvotronError) as info:
        plugin_constants(X * scale, scheme, 0.0)
    msg = str(info.value)
    assert msg.startswith(f"the plug-in {name} = "), msg
    top = float(np.max(np.abs(X * scale)))
    assert f"at the data's scale max|X| = {top:.3g} ({name} scales as {power}), so " in msg


def test_tiny_data_is_refused_not_an_overflow() -> None:
    """max|X| ~ 1e-160 (scale s < 2^-511): η's factor 1/s² exceeds the float range; this
    raised a bare OverflowError (``s**-2``) before issue 19's mutation tests; now λ̂_min
    (subnormal at this scale) is named."""
    from convotron._errors import ConvotronError

    X, scheme = _seven(40, 1)
    with pytest.raises(ConvotronError, match=r"^the plug-in lambda_min = .*max\|X\|\^2"):
        plugin_constants(X * 1e-160, scheme, 0.0)
