"""Input laws, symmetrisation, noise and the teacher.

Statistical checks use fixed seeds and explicit CLT tolerances: an estimate must lie within
``Z = 6`` standard errors of its exact value (a false alarm has probability about 2e-9 per
check); a failure means the sampler or the recorded constant is wrong, not bad luck.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from scipy import integrate, stats

from convotron import ConvotronError
from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.data.laws import LAWS, NoiseModel, get_law, parse_noise, symmetrize
from convotron.geometry.patches import parse_spec
from convotron.model.network import predict
from convotron.model.problem import Problem, Teacher

Z = 6.0
MU, TAU = 0.9, math.sqrt(1 - 0.81)


def _normal_moment(j):
    return 0 if j % 2 else math.prod(range(1, j, 2))


def _mixture_moment(p):
    # E (μ s + τ g)^p with s = ±1, g ~ N(0, 1)
    return sum(
        math.comb(p, j) * MU ** (p - j) * TAU**j * _normal_moment(j)
        for j in range(0, p + 1, 2)
        if (p - j) % 2 == 0
    )


class Reference(NamedTuple):
    """A law's independent reference: scipy's distribution or a closed form, never ``data.laws``.

    ``fourth`` is ``E z⁴`` computed from the density, ``eighth`` the exact ``E z⁸`` (None:
    infinite), ``bound`` the ``sup |z|`` of a bounded law (None: unbounded). Whether the law is
    symmetric is read off ``cdf`` (:func:`_symmetric`).
    """

    cdf: Callable[[float], Any]
    fourth: Callable[[], float]
    eighth: float | None
    bound: float | None = None


def _mixture_pdf(x):
    return 0.5 * stats.norm.pdf(x, MU, TAU) + 0.5 * stats.norm.pdf(x, -MU, TAU)


_UNIFORM = stats.uniform(-math.sqrt(3), 2 * math.sqrt(3))

REFERENCE = {
    "gaussian": Reference(stats.norm.cdf, lambda: stats.norm.moment(4), 105.0),
    "rademacher": Reference(
        lambda x: np.where(x < -1, 0.0, np.where(x < 1, 0.5, 1.0)), lambda: 1.0, 1.0, 1.0
    ),
    "uniform": Reference(_UNIFORM.cdf, lambda: _UNIFORM.moment(4), 3.0**4 / 9.0, math.sqrt(3)),
    "mixture": Reference(
        lambda x: 0.5 * stats.norm.cdf((x - MU) / TAU) + 0.5 * stats.norm.cdf((x + MU) / TAU),
        lambda: integrate.quad(
            lambda x: x**4 * _mixture_pdf(x),
            -np.inf,
            np.inf,
        )[0],
        _mixture_moment(8),
    ),
    "student-t": Reference(
        lambda x: stats.t(5).cdf(x / math.sqrt(3 / 5)),
        lambda: stats.t(5).moment(4) * (3 / 5) ** 2,
        None,
    ),
    "exponential": Reference(
        stats.expon(loc=-1).cdf,
        lambda: stats.expon(loc=-1).moment(4),
        14833.0,  # central moments of Exp(1) are the derangement numbers !n
    ),
}


def reference(name: str) -> Reference:
    """``REFERENCE[name]``, or a failure that says what a new law must add here."""
    if name not in REFERENCE:
        pytest.fail(
            f"the input law {name!r} of LAWS has no independent reference here: add its CDF, "
            "E z⁴ from its density, exact E z⁸ and bound to REFERENCE in "
            "tests/convotron/test_data.py (ARCHITECTURE.md, 'How to add a law')"
        )
    return REFERENCE[name]


def _symmetric(cdf: Callable[[float], Any]) -> bool:
    """Whether ``F(c) + F(−c) = 1`` at points off every atom (z and −z have the same law)."""
    return all(abs(float(cdf(c)) + float(cdf(-c)) - 1.0) < 1e-12 for c in (0.25, 0.5, 1.5, 2.5))


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(42)
    return {name: law.standard(rng, 100_000, 4).ravel() for name, law in LAWS.items()}


@pytest.mark.parametrize("name", list(LAWS))
def test_recorded_constants_match_the_density(name):
    law, ref = LAWS[name], reference(name)
    assert law.name == name
    assert law.fourth_moment == pytest.approx(ref.fourth(), rel=1e-9)
    assert law.bound == (None if ref.bound is None else pytest.approx(ref.bound))
    assert law.symmetric == _symmetric(ref.cdf)


@pytest.mark.parametrize("name", list(LAWS))
def test_standardized_moments(draws, name):
    z, law, ref = draws[name], LAWS[name], reference(name)
    N = z.size
    assert abs(z.mean()) <= Z / math.sqrt(N)
    assert abs((z**2).mean() - 1.0) <= Z * math.sqrt((law.fourth_moment - 1.0) / N)
    if ref.eighth is not None:
        var4 = ref.eighth - law.fourth_moment**2
        assert abs((z**4).mean() - law.fourth_moment) <= Z * math.sqrt(max(var4, 1e-12) / N)
    if law.bound is not None:
        assert np.abs(z).max() <= law.bound + 1e-12


@pytest.mark.parametrize("name", list(LAWS))
def test_empirical_cdf_matches_the_law(draws, name):
    z, cdf = draws[name], reference(name).cdf
    N = z.size
    for c in (-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5):
        p = float(cdf(c))
        # the empirical CDF at c is a binomial proportion; Rademacher is evaluated off its atoms
        c_eval = c + 1e-9 if name == "rademacher" else c
        assert abs((z <= c_eval).mean() - p) <= Z * math.sqrt(max(p * (1 - p), 1e-12) / N)


def test_the_reference_eighth_moments_are_the_densities():
    # E z⁸ sets the tolerance of the fourth-moment check: each closed form against scipy
    from_density = {
        "gaussian": stats.norm.moment(8),
        "rademacher": 1.0,  # z⁸ = 1
        "uniform": _UNIFORM.moment(8),
        "mixture": integrate.quad(lambda x: x**8 * _mixture_pdf(x), -12.0, 12.0)[0],  # τ = 0.44
        # E (E − 1)⁸ = Σ_k C(8, k) E[E^k] (−1)^(8−k), E[E^k] = k! (scipy's loc shift: 2e-8 off)
        "exponential": sum(math.comb(8, k) * math.factorial(k) * (-1) ** (8 - k) for k in range(9)),
    }
    # student-t (ν = 5) has no finite E z⁸ (moments of order >= ν diverge): None
    assert {n for n, r in REFERENCE.items() if r.eighth is not None} == set(from_density)
    for name, value in from_density.items():
        assert REFERENCE[name].eighth == pytest.approx(value, rel=1e-9), name


def test_a_law_without_a_reference_fails_naming_what_to_add():
    with pytest.raises(pytest.fail.Exception, match="'laplace' of LAWS has no independent ref"):
        reference("laplace")


def test_symmetry_read_off_the_reference_cdfs():
    # the symmetry read off each CDF matches what is known of the law, so _symmetric can fail
    assert {n for n, r in REFERENCE.items() if not _symmetric(r.cdf)} == {"exponential"}


@pytest.mark.claim("lem-symmetric")
@pytest.mark.parametrize("name", list(LAWS))
def test_symmetry_flag_matches_the_samples(draws, name):
    z = draws[name]
    N = z.size
    detected = False
    for c in (0.5, 1.0):
        up, down = (z > c).mean(), (z < -c).mean()
        se = math.sqrt((up + down) / N)
        detected |= abs(up - down) > Z * max(se, 1 / N)
    assert detected == (not LAWS[name].symmetric)


@pytest.mark.claim("lem-symmetric")
@pytest.mark.parametrize("name", list(LAWS))
def test_lemma_1_holds_exactly_for_symmetric_laws_only(name):
    # L1 [paper]: E[σ(uᵀx)(vᵀx)] = ((1+α)/2) uᵀΣv for symmetric x.
    rng = np.random.default_rng(7)
    cov, alpha = AR1(3, 0.4), 0.0
    X = LAWS[name].sample(rng, 200_000, cov)
    u = np.array([1.0, 0.0, 0.0])
    terms = np.maximum(X @ u, 0.0) * (X @ u)
    exact = (1 + alpha) / 2 * float(u @ cov.matvec(u))
    se = terms.std() / math.sqrt(terms.size)
    holds = abs(terms.mean() - exact) <= Z * se
    assert holds == LAWS[name].symmetric


@pytest.mark.parametrize("name", [n for n, law in LAWS.items() if law.symmetric])
def test_sample_covariance_is_sigma(name):
    rng = np.random.default_rng(11)
    for cov in (AR1(4, 0.6), Dense([[2.0, 0.5, 0], [0.5, 1.0, -0.3], [0, -0.3, 0.5]])):
        X = LAWS[name].sample(rng, 50_000, cov)
        S = cov.dense()
        for i in range(cov.n):
            for j in range(i, cov.n):
                prod = X[:, i] * X[:, j]
                # (+1e-12: Rademacher squares can be constant, with zero spread)
                assert abs(prod.mean() - S[i, j]) <= Z * prod.std() / math.sqrt(len(prod)) + 1e-12


def test_symmetrize_flips_whole_rows_and_removes_skew():
    rng = np.random.default_rng(3)
    X = LAWS["exponential"].sample(rng, 200_000, Identity(2))
    Xs = symmetrize(X, np.random.default_rng(5))
    ratio = Xs / X
    assert np.all(np.isin(ratio[:, 0], [-1.0, 1.0])) and np.all(ratio[:, 0] == ratio[:, 1])
    third = Xs[:, 0] ** 3
    assert abs(third.mean()) <= Z * third.std() / math.sqrt(len(third))
    assert abs((X[:, 0] ** 3).mean() - 2.0) < 0.2  # E (Exp(1) - 1)³ = 2: skewed before
    np.testing.assert_array_equal(Xs, symmetrize(X, np.random.default_rng(5)))


@pytest.mark.parametrize("spec", ["gaussian:0.5", "uniform:0.5", "hetero:0.5"])
def test_noise_has_conditional_mean_zero_and_variance_s_squared(spec):
    rng = np.random.default_rng(13)
    noise = parse_noise(spec)
    X = LAWS["gaussian"].sample(rng, 200_000, Identity(6))
    xi = noise.sample(rng, X)
    for g in (np.ones(len(X)), X[:, 0], np.abs(X[:, 1]), (X**2).sum(axis=1)):
        t = xi * g
        assert abs(t.mean()) <= Z * t.std() / math.sqrt(len(t))
    sq = xi**2
    assert abs(sq.mean() - noise.variance) <= Z * sq.std() / math.sqrt(len(sq))
    assert noise.independent == (noise.kind != "hetero")
    if noise.kind == "uniform":
        assert np.abs(xi).max() <= 0.5 * math.sqrt(3)


def test_hetero_noise_scale_grows_with_the_norm():
    rng = np.random.default_rng(17)
    cov = Diagonal([4.0, 1.0, 0.25])
    X = LAWS["gaussian"].sample(rng, 200_000, cov)
    xi = NoiseModel("hetero", 0.3).sample(rng, X, cov)
    # ξ² / (‖x‖²/tr Σ) = S² g², whose mean is S² whatever x is
    ratio = xi**2 / ((X**2).sum(axis=1) / cov.trace())
    assert abs(ratio.mean() - 0.09) <= Z * ratio.std() / math.sqrt(len(ratio))
    big = (X**2).sum(axis=1) > 2 * cov.trace()
    assert (xi[big] ** 2).mean() > 2 * (xi[~big] ** 2).mean()


def test_teacher_labels_are_the_model_plus_noise():
    rng = np.random.default_rng(19)
    scheme = parse_spec("1d:16,4,2")
    t = Teacher.random(scheme, 0.2, rng, law="uniform", cov="ar1:0.3")
    X, y = t.sample(rng, 20, chunk=7)
    assert X.shape == (20, 16) and y.shape == (20,)
    np.testing.assert_allclose(y, predict(t.w_star, X, scheme, 0.2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.predict(X), y, rtol=1e-12, atol=1e-14)
    assert (
        np.abs(np.linalg.solve(np.linalg.cholesky(t.cov.dense()), X.T)).max() <= math.sqrt(3) + 1e-9
    )
    X0, y0 = t.sample(rng, 0)
    assert X0.shape == (0, 16) and y0.shape == (0,)
    noisy = Teacher.random(scheme, 0.0, rng, noise="gaussian:0.2")
    X, y = noisy.sample(rng, 100_000)
    resid = y - noisy.predict(X)
    assert abs(resid.mean()) <= Z * 0.2 / math.sqrt(len(resid))
    assert abs(resid.var() - 0.04) <= Z * 0.04 * math.sqrt(2 / len(resid))


def test_teacher_random_draws_uniform_directions_of_the_given_norm():
    scheme = parse_spec("1d:10,4,3")
    rng = np.random.default_rng(23)
    W = np.array([Teacher.random(scheme, 0.5, rng, w_norm=2.5).w_star for _ in range(4000)])
    np.testing.assert_allclose(np.linalg.norm(W, axis=1), 2.5, rtol=1e-12)
    # on the sphere of radius R each coordinate has mean 0 and variance R²/r
    se = math.sqrt(2.5**2 / scheme.r / len(W))
    assert np.all(np.abs(W.mean(axis=0)) <= Z * se)
    assert not Teacher.random(scheme, 0.5, rng).w_star.flags.writeable


@pytest.mark.parametrize(
    ("spec", "kind", "level"),
    [
        ("0", "none", 0.0),
        ("none", "none", 0.0),
        (" 0.3 ", "gaussian", 0.3),
        ("gaussian:0.1", "gaussian", 0.1),
        ("Uniform:2", "uniform", 2.0),
        ("hetero:0.5", "hetero", 0.5),
        (0.25, "gaussian", 0.25),
        (0, "none", 0.0),
    ],
)
def test_parse_noise_forms(spec, kind, level):
    noise = parse_noise(spec)
    assert (noise.kind, noise.level) == (kind, level)
    assert parse_noise(noise.spec) == noise


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: parse_noise("laplace:1"), r"unknown noise spec 'laplace:1'; the forms are 'none'"),
        (
            lambda: parse_noise("gaussian:x"),
            r"needs a number S >= 0 .* got 'x'\. Pass e\.g\. 'gaussian:0\.1'",
        ),
        (
            lambda: parse_noise("-1"),
            r"^level \(the noise level, .*\) must be a number in .* got -1\.0\.",
        ),
        (lambda: parse_noise("gaussian:inf"), r"must be a number in \[0, 1e\+100\]; got inf\."),
        (lambda: parse_noise(None), r"^spec \(a noise spec\) must be a string; got NoneType\."),
        (lambda: NoiseModel("none", 0.5), r"kind 'none' has level 0; got level 0\.5"),
        (lambda: NoiseModel("cauchy", 1.0), r"unknown noise kind 'cauchy'"),
        (lambda: NoiseModel("gaussian", "1"), r"^level \(the noise level.*; got '1'\. Pass"),
        (
            lambda: NoiseModel("gaussian", 1.0).sample(np.random.default_rng(0), np.ones(3)),
            r"noise needs X of shape \(m, n\); got shape \(3,\)",
        ),
        (
            lambda: NoiseModel("hetero", 1.0).sample(
                np.random.default_rng(0), np.ones((2, 3)), Diagonal([0.0, 0, 0])
            ),
            r"needs tr Sigma > 0; got 0\.0",
        ),
        (
            lambda: get_law("cauchy"),
            r"unknown input law 'cauchy'; the known laws are gaussian, rademacher",
        ),
        (lambda: get_law(3), r"unknown input law 3"),
        (
            lambda: LAWS["gaussian"].sample(np.random.default_rng(0), -1, Identity(2)),
            r"^m \(the number of samples\) must be an integer with m >= 0; got -1\. Pass",
        ),
        (
            lambda: LAWS["gaussian"].sample(0, 5, Identity(2)),
            r"rng must be a numpy\.random\.Generator; got int\. Pass numpy\.random\.default_rng",
        ),
        (
            lambda: LAWS["gaussian"].sample(np.random.default_rng(0), 5, "identity"),
            r"cov must be a Covariance; got str",
        ),
        (
            lambda: symmetrize(np.ones(3), np.random.default_rng(0)),
            r"symmetrize needs X of shape \(m, n\); got shape \(3,\)",
        ),
        (
            lambda: symmetrize(np.full((2, 2), np.inf), np.random.default_rng(0)),
            r"X must be finite",
        ),
    ],
)
def test_data_errors(call, match):
    with pytest.raises(ConvotronError, match=match):
        call()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"w_star": np.ones(3)},
            r"w_star must be a finite vector of shape \(r,\) = \(4,\); got shape \(3,\)",
        ),
        (
            {"w_star": np.array([1, np.nan, 0, 0])},
            r"got NaN or infinite entries at positions \[1\]",
        ),
        ({"alpha": 1.5}, r"alpha .* got 1\.5"),
        ({"cov": AR1(15, 0.2)}, r"covariance has dimension 15 but the input has n=16"),
        ({"law": "cauchy"}, r"unknown input law 'cauchy'"),
        ({"noise": "laplace:1"}, r"unknown noise spec 'laplace:1'"),
        ({"scheme": "1d:16,4,2"}, r"scheme must be a PatchScheme; got str"),
    ],
)
def test_teacher_validation(kwargs, match):
    base = dict(
        w_star=np.ones(4),
        scheme=parse_spec("1d:16,4,2"),
        alpha=0.5,
        law="gaussian",
        cov=None,
        noise="none",
    )
    base.update(kwargs)
    w_star = base.pop("w_star")
    with pytest.raises(ConvotronError, match=match):
        Problem(**base).teacher(w_star)


def test_teacher_random_and_sample_errors():
    scheme, rng = parse_spec("1d:16,4,2"), np.random.default_rng(0)
    with pytest.raises(
        ConvotronError,
        match=r"^w_norm \(the norm of w\*\) must be a number in \[0, 1e\+100\]; got -1\. Pass",
    ):
        Teacher.random(scheme, 0.5, rng, w_norm=-1)
    t = Teacher.random(scheme, 0.5, rng)
    with pytest.raises(
        ConvotronError, match=r"^chunk must be an integer with chunk >= 1; got 0\. Pass"
    ):
        t.sample(rng, 10, chunk=0)
    with pytest.raises(
        ConvotronError, match=r"^m \(the number of samples\) must be an integer .*; got 2\.5\."
    ):
        t.sample(rng, 2.5)


def test_problem_from_specs_and_its_teachers():
    problem = Problem.from_specs("1d:16,4,2", alpha=0.5, cov="ar1:0.3", noise="gaussian:0.1")
    assert (problem.n, problem.r, problem.k) == (16, 4, 7)
    assert problem.law.name == "gaussian" and problem.cov.name == "ar1:0.3"
    again = Problem(problem.scheme, 0.5, "gaussian", "ar1:0.3", 0.1)
    assert (again.law, again.cov.name, again.noise) == (problem.law, "ar1:0.3", problem.noise)
    t = problem.random_teacher(np.random.default_rng(0), w_norm=2.0)
    assert t.problem is problem and np.linalg.norm(t.w_star) == pytest.approx(2.0)
    assert (t.scheme, t.alpha, t.law, t.cov, t.noise) == (
        problem.scheme, problem.alpha, problem.law, problem.cov, problem.noise,
    )  # fmt: skip
    same = Teacher.random(problem.scheme, 0.5, np.random.default_rng(0), cov="ar1:0.3",
                          noise="gaussian:0.1", w_norm=2.0)  # fmt: skip
    np.testing.assert_array_equal(same.w_star, t.w_star)
    assert same.scheme is problem.scheme and same.noise == problem.noise
    with pytest.raises(ConvotronError, match=r"problem must be a Problem; got str"):
        Teacher("1d:16,4,2", np.ones(4))
