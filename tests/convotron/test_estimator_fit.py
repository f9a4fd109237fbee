"""ConvotronRegressor runs through ``fit``, the one runner, with the numbers of its old path.

The estimator used to call the compiled kernel itself (``_kernels.run_updates``); each pass is
now ``fit(ConvotronRule(precondition=H_), Rows(X, y), ..., w0=w)``. ``OLD`` holds the filters,
update counts, passes and last training errors the old path gave (recorded at 35418b9, before
the change, as float hex): a failure means the estimator's numbers changed, not only its code.
Recorded again at 35418b9 when the test's labels stopped going through BLAS (``X @ c`` rounded
otherwise under OpenBLAS's generic kernel), with the plug-in step's bits beside them
(2026-12-08, second stop; the old and the new path agree bitwise under both kernels).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from convotron import ConvotronError, ConvotronRule, Rows, SGDRule, fit, parse_spec
from convotron._errors import DivergenceError
from convotron.estimator import ConvotronRegressor
from tests.blas import blas_as_recorded


def _data(seed: int, m: int = 60, n: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    # summed in one order, not by BLAS (whose kernels round differently on other processors)
    f = ((X[:, 0] - 0.5 * X[:, 1]) + 0.25 * X[:, 2]) + 0.5 * X[:, 3]
    y = np.maximum(f, 0) + 0.1 * rng.standard_normal(m)
    return X, y, rng.uniform(0, 2, m)


CASES = {  # name: (parameters, weighted, how)
    "fit_shuffle": (
        dict(scheme="1d:4,2", eta=0.01, max_iter=7, tol=None, random_state=3),
        False,
        "fit",
    ),
    "fit_noshuffle_batch3": (
        dict(scheme="1d:4,2", eta=0.02, max_iter=5, batch=7, shuffle=False, tol=None),
        False,
        "fit",
    ),
    "fit_weights_alpha": (
        dict(scheme="1d:3,1", alpha=0.3, eta=0.01, max_iter=4, tol=None, random_state=1),
        True,
        "fit",
    ),
    "fit_auto_tol": (dict(scheme="1d:4,2", random_state=0, max_iter=30), False, "fit"),
    "fit_precond": (
        dict(scheme="1d:4,2", precondition="plugin", max_iter=5, tol=None, random_state=2),
        False,
        "fit",
    ),
    "fit_precond_eta": (
        dict(
            scheme="1d:4,2",
            precondition="plugin",
            eta=0.005,
            batch=2,
            max_iter=3,
            tol=None,
            random_state=2,
        ),
        True,
        "fit",
    ),
    "partial": (dict(scheme="1d:4,2", eta=0.01, batch=4), True, "partial"),
    "partial_precond": (dict(scheme="1d:4,2", eta=0.01, precondition="plugin"), False, "partial"),
    "fit_then_partial": (
        dict(scheme=None, eta=0.01, max_iter=3, tol=None, random_state=5),
        False,
        "fit+partial",
    ),
}

OLD = {  # name: (w_, t_, n_iter_, the last two entries of loss_curve_, plug-in bits), old path
    "fit_auto_tol": (
        [
            "0x1.3cf3d60c49caep+0",
            "-0x1.086c34831bd8fp-1",
            "-0x1.cf516fb828cfdp-2",
            "0x1.199223f8081dap-1",
        ],
        1080,
        18,
        [
            "0x1.651fa3f46cf5ep-2",
            "0x1.69cf213dd3b32p-2",
        ],
        [
            "0x1.874a7ff4ecc5ep-8",
        ],
    ),
    "fit_noshuffle_batch3": (
        [
            "0x1.c74640071df26p-3",
            "-0x1.5c696ebbede28p-5",
            "-0x1.0a0627d06e911p-5",
            "0x1.358b9e1dc85a9p-4",
        ],
        40,
        5,
        [
            "0x1.49282deeb75cap-1",
            "0x1.3f0750d282c07p-1",
        ],
        [
            "0x1.47ae147ae147bp-6",
        ],
    ),
    "fit_precond": (
        [
            "0x1.bf3d9a92b5ccfp+0",
            "-0x1.6238ac40019d9p-2",
            "-0x1.0b454b278d4b6p+0",
            "0x1.50c4eedbbf1d8p-1",
        ],
        300,
        5,
        [
            "0x1.d5273c9f586ddp-2",
            "0x1.ff10adf6a2ac3p-2",
        ],
        [
            "0x1.66c4f1d018befp-6",
            "0x1.806d4f694cd07p-1",
            "0x1.98e9a874606dfp-6",
            "-0x1.2885f1a7f354cp-1",
            "-0x1.0fc9d02077792p-3",
            "0x1.98e9a874606dfp-6",
            "0x1.32aa2dad53765p-1",
            "-0x1.adff1bbc7db74p-4",
            "-0x1.b454f2e9357ecp-2",
            "-0x1.2885f1a7f354cp-1",
            "-0x1.adff1bbc7db74p-4",
            "0x1.9c362e781e55ep-1",
            "0x1.1338a109fa3c1p-3",
            "-0x1.0fc9d02077792p-3",
            "-0x1.b454f2e9357ecp-2",
            "0x1.1338a109fa3c1p-3",
            "0x1.38f4d8561057ep-1",
        ],
    ),
    "fit_precond_eta": (
        [
            "0x1.3fcaa15ab0d5dp-4",
            "0x1.257810f94f3bfp-6",
            "-0x1.aa882267a1b2dp-5",
            "0x1.1255a3eb422eap-9",
        ],
        90,
        3,
        [
            "0x1.2aa08436a6db5p-1",
            "0x1.23a62cf457eb9p-1",
        ],
        [
            "0x1.47ae147ae147bp-8",
            "0x1.0f6dbfcfbccfap-1",
            "-0x1.11e61be49b922p-3",
            "-0x1.c3a90c4a2cfb6p-2",
            "0x1.36fa923453e3ep-3",
            "-0x1.11e61be49b922p-3",
            "0x1.4f6dcc1b45604p-1",
            "0x1.231e829753ef6p-4",
            "-0x1.038cb98b32a4ap-1",
            "-0x1.c3a90c4a2cfb6p-2",
            "0x1.231e829753ef6p-4",
            "0x1.65dcce277f9d6p-1",
            "-0x1.2362275c92091p-4",
            "0x1.36fa923453e3ep-3",
            "-0x1.038cb98b32a4ap-1",
            "-0x1.2362275c92091p-4",
            "0x1.604ec17076040p-1",
        ],
    ),
    "fit_shuffle": (
        [
            "0x1.81b53f4232ed4p+0",
            "-0x1.c1326b6f29003p-5",
            "-0x1.b0d697befacaep-2",
            "0x1.dd7c6356d4e13p-1",
        ],
        420,
        7,
        [
            "0x1.5ac9e8b1b5f91p-2",
            "0x1.63026e5635e40p-2",
        ],
        [
            "0x1.47ae147ae147bp-7",
        ],
    ),
    "fit_then_partial": (
        [
            "0x1.311bd698b6c94p-1",
            "-0x1.4c9772dd44b18p-2",
            "0x1.adad33d70aaeap-3",
            "0x1.d4ec347b39ac4p-2",
            "-0x1.cf4ad9f384c01p-6",
            "0x1.2ebd4498930b8p-4",
            "-0x1.e59ca25b8b083p-7",
            "-0x1.4fa60de531e19p-4",
            "0x1.6b73cbc1661b9p-6",
            "-0x1.98d73646ea2bap-8",
        ],
        211,
        4,
        [
            "0x1.ec0209aff0a3ap-4",
            "0x1.cd14d08820ed6p-4",
        ],
        [
            "0x1.47ae147ae147bp-7",
        ],
    ),
    "fit_weights_alpha": (
        [
            "0x1.618bfebbb99fep-1",
            "-0x1.34b8cc6bf5910p-2",
            "0x1.e14d0926f69a4p-2",
        ],
        240,
        4,
        [
            "0x1.1837a735cd3aep-1",
            "0x1.003ad3cc0216ap-1",
        ],
        [
            "0x1.47ae147ae147bp-7",
        ],
    ),
    "partial": (
        [
            "0x1.8e7c0041219d4p-5",
            "-0x1.db49e946c4e3dp-5",
            "0x1.0230f07b4b9b8p-5",
            "-0x1.80bed2c082b64p-6",
        ],
        13,
        3,
        [
            "0x1.50a6603621ee4p-2",
            "0x1.d13336281cbcfp-2",
        ],
        [
            "0x1.47ae147ae147bp-7",
        ],
    ),
    "partial_precond": (
        [
            "0x1.4ab97620a6279p-3",
            "-0x1.51202c36a182bp-5",
            "-0x1.1949c5e3c591fp-4",
            "0x1.1784e7da0584ap-4",
        ],
        60,
        3,
        [
            "0x1.73f726f01c3eep-1",
            "0x1.52d67ae6d4949p-1",
        ],
        [
            "0x1.47ae147ae147bp-7",
            "0x1.274d8cd855720p-1",
            "-0x1.bae0dc9647bf3p-3",
            "-0x1.ada7ca4dc4503p-2",
            "0x1.d7779f5647578p-3",
            "-0x1.bae0dc9647bf3p-3",
            "0x1.784faa2502eb3p-1",
            "0x1.594b1381f0e80p-5",
            "-0x1.5d3a56da5121ap-1",
            "-0x1.ada7ca4dc4503p-2",
            "0x1.594b1381f0e80p-5",
            "0x1.4ffa1aacfc06cp-1",
            "-0x1.fe565ef4d112cp-6",
            "0x1.d7779f5647578p-3",
            "-0x1.5d3a56da5121ap-1",
            "-0x1.fe565ef4d112cp-6",
            "0x1.d83e9d84af5efp-1",
        ],
    ),
}


def _run(name: str) -> ConvotronRegressor:
    params, weighted, how = CASES[name]
    X, y, sw = _data(len(name))
    weights = sw if weighted else None
    est = ConvotronRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the max_iter and far-step warnings are not the point
        if how == "fit":
            est.fit(X, y, sample_weight=weights)
        elif how == "partial":
            for lo in range(0, 60, 23):
                part = None if weights is None else weights[lo : lo + 23]
                est.partial_fit(X[lo : lo + 23], y[lo : lo + 23], sample_weight=part)
        else:
            est.fit(X, y)
            est.partial_fit(X[:31], y[:31])
    return est


def _plugin_bits(est: ConvotronRegressor) -> list[str]:
    """``eta_`` and the entries of ``H_`` (if any): what LAPACK computes for the run."""
    H = getattr(est, "H_", None)
    return [float(est.eta_).hex()] + ([] if H is None else [float(v).hex() for v in np.ravel(H)])


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_estimator_gives_the_old_paths_numbers_bitwise(name):
    """Bitwise where numpy's LAPACK rounds as where ``OLD`` was recorded (the plug-in step and
    ``H``, from LAPACK's eigenvalues and inverse of ``M̂``, are then the recorded bits too), and
    on every processor for a case whose plug-in bits are the recorded ones (a given ``eta``:
    the run itself uses no BLAS). Elsewhere (``eta="auto"`` or ``precondition="plugin"`` under
    another LAPACK: OpenBLAS's generic kernel moves them by a few units in the last place) the
    plug-in bits to 1e-12 and the run to 1e-10, relative."""
    w, t, n_iter, losses, plug = OLD[name]
    est = _run(name)
    assert (est.t_, est.n_iter_) == (t, n_iter)
    if blas_as_recorded() or _plugin_bits(est) == plug:
        assert _plugin_bits(est) == plug
        assert [float(v).hex() for v in est.w_] == w
        assert [float(v).hex() for v in est.loss_curve_[-2:]] == losses
    else:  # another LAPACK
        got = [float.fromhex(v) for v in _plugin_bits(est)]
        assert got == pytest.approx([float.fromhex(v) for v in plug], rel=1e-12, abs=1e-15)
        want = [float.fromhex(v) for v in w]
        assert list(est.w_) == pytest.approx(want, rel=1e-10, abs=1e-14)
        want = [float.fromhex(v) for v in losses]
        assert list(est.loss_curve_[-2:]) == pytest.approx(want, rel=1e-10)


def test_each_pass_is_one_call_of_fit(monkeypatch):
    """The estimator has no loop of its own: every update goes through ``algorithm.fit``."""
    import convotron.learning.algorithm as algorithm

    calls = []
    real = algorithm.fit

    def spy(rule, source, *args, **kwargs):
        calls.append((rule, len(source.X), kwargs["w0"].copy()))
        return real(rule, source, *args, **kwargs)

    monkeypatch.setattr(algorithm, "fit", spy)
    X, y, _ = _data(0)
    est = ConvotronRegressor("1d:4,2", eta=0.01, max_iter=3, batch=7, tol=None).fit(X, y)
    assert [n for _, n, _ in calls] == [56, 56, 56]
    assert all(isinstance(rule, ConvotronRule) and rule.H is None for rule, _, _ in calls)
    np.testing.assert_array_equal(calls[0][2], np.zeros(4))  # w_1 = 0, then each pass's end
    assert est.t_ == 24


def test_w0_continues_a_run_bitwise():
    """``fit(..., w0=res.w)`` on the next rows makes exactly the updates of one run over both."""
    X, y, _ = _data(1, m=90)
    s = parse_spec("1d:10,4,2")
    for rule in (ConvotronRule(), ConvotronRule(only_patch=1), SGDRule(init="zero")):
        whole = fit(rule, Rows(X, y), s, 0.2, eta=0.01, batch=3)
        first = fit(rule, Rows(X[:33], y[:33]), s, 0.2, eta=0.01, batch=3)
        rest = fit(rule, Rows(X[33:], y[33:]), s, 0.2, eta=0.01, batch=3, w0=first.w)
        assert rest.w.tobytes() == whole.w.tobytes()


def test_w0_replaces_the_rules_start_and_draws_nothing():
    """With ``w0`` a random SGD start draws nothing: the run's generator feeds the samples only."""
    from convotron import Teacher

    s = parse_spec("1d:10,4,2")
    teacher = Teacher.random(s, 0.5, np.random.default_rng(0))
    w0 = np.array([0.1, -0.2, 0.3, 0.0])
    from convotron import Sampler

    a = fit(SGDRule(init=w0), Sampler(teacher.sample), s, 0.5, eta=0.01, iters=50,
            rng=np.random.default_rng(3))  # fmt: skip
    b = fit(SGDRule(init="random"), Sampler(teacher.sample), s, 0.5, eta=0.01, iters=50,
            rng=np.random.default_rng(3), w0=w0)  # fmt: skip
    assert a.w.tobytes() == b.w.tobytes()


@pytest.mark.parametrize(
    ("w0", "match"),
    [
        ([0.0, 0.0, 0.0], r"^w0 must be a finite vector of shape \(r,\) = \(4,\); got shape \(3"),
        ([0.0, np.nan, 0.0, 0.0], r"^w0 must be a finite vector .* got NaN or infinite entries"),
        ("zero", r"^w0 must be a vector of shape \(r,\) = \(4,\) of real numbers"),
    ],
)
def test_w0_is_checked(w0, match):
    X, y, _ = _data(2, m=12)
    with pytest.raises(ConvotronError, match=match) as info:
        fit(ConvotronRule(), Rows(X, y), parse_spec("1d:10,4,2"), 0.0, eta=0.01, w0=w0)
    assert info.value.param == "w0"


def test_a_diverging_pass_names_the_pass_and_keeps_w():
    X, y, _ = _data(3)
    est = ConvotronRegressor("1d:4,2", eta=0.01).partial_fit(X, y)
    w = est.w_.copy()
    est.eta_ = 1e6
    with pytest.raises(DivergenceError, match=r"diverged.*Use a smaller eta.*in pass 2, after "
                       r"60 updates of earlier passes") as info:  # fmt: skip
        est.partial_fit(X * 1e3, y)
    assert info.value.param == "eta"
    np.testing.assert_array_equal(est.w_, w)  # a failed pass leaves the fitted filter


def test_a_pass_continues_from_any_iterate_the_loop_allows():
    """w0 may be as large as an iterate (up to the divergence limit 1e150), not only 1e100.

    A pass that ends at ``|w| ~ 1e118`` (a step far too large) must make the next pass
    diverge, as one run would, not refuse its start.
    """
    X = np.random.default_rng(0).standard_normal((50, 6)) * 100
    # the old path: "in pass 2 (update 52)", the same update: 50 of pass 1, then 2
    with pytest.raises(DivergenceError, match=r"at iteration 2 of 50 .* in pass 2, after 50 "):
        ConvotronRegressor(eta=10.0, max_iter=3, tol=None, shuffle=False).fit(X, X[:, 0])
    s = parse_spec("1d:6,6,1")
    rows = Rows(X[:1], X[:1, 0])
    assert np.isfinite(fit(ConvotronRule(), rows, s, 0.0, eta=1e-300, w0=np.full(6, 1e140)).w).all()
    with pytest.raises(ConvotronError, match=r"^w0 must have entries of magnitude at most 1e\+150"):
        fit(ConvotronRule(), rows, s, 0.0, eta=0.01, w0=np.full(6, 1e151))


def test_the_generic_blas_kernel_does_not_count_as_the_recording_one():
    """``blas_as_recorded`` (which makes the test above bitwise) is False under OpenBLAS's
    generic kernel, whose LAPACK rounds the plug-in step otherwise."""
    from tests.blas import run_under

    code = (
        "import json\nfrom tests.blas import blas_as_recorded, blas_kernel\n"
        "print(json.dumps({'kernel': blas_kernel(), 'recorded': blas_as_recorded()}))"
    )
    got = run_under(code, "Prescott")
    if not str(got["kernel"]).startswith("openblas:"):  # pragma: no cover - another BLAS
        pytest.skip(f"numpy's BLAS is {got['kernel']}, not OpenBLAS")
    assert got == {"kernel": "openblas:Katmai", "recorded": False}
