"""Bitwise regression: a fixed set of runs must give the very bytes they gave before.

The expected hashes (sha256 of the float64 bytes of the final filter and the recorded curve,
first 16 hex digits) were computed at commit 04504c6, before the compiled loop's interface
was rewritten (issue 21), by running this file as a script there::

    PYTHONPATH=<checkout> python tests/convotron/test_bitwise.py

Every rule, input law, covariance and noise on the fused path (a teacher's samples drawn in
the compiled loop, on numpy's stream, ``stream="numpy"``: the default is the fast stream since
issue 25, whose bits are held by its oracle in ``test_fast_runs.py``), the chunked path (a
sampler, compiled labels), fixed rows and the SGD start drawn from the generator. A change of
summation order, of a constant's last bit, of the order of the draws or of a rule's step shows
up here as a changed hash; a deliberate change must say so and refresh the table (the script
prints it).

The hashes are the same on every processor: the dense ``Σ`` is built from an integer ``A``
(exact in any order) and factored and applied in one fixed order
(:mod:`convotron.data._ordered`; with LAPACK's factor the dense cases differed between an
Intel Xeon and an AMD EPYC). Refreshed for the dense cases then (issue 25's stop of
2026-12-08). A drawn teacher is scaled by a norm summed in a fixed order
(:func:`convotron.data._ordered.norm_in_order`); with ``numpy.linalg.norm`` (BLAS ``ddot``)
the ``conv1d`` cases' teacher (``r = 6``) had other last bits under OpenBLAS's generic kernel
(``OPENBLAS_CORETYPE=Prescott``). Refreshed for the ``1d:40,8,2`` cases then, whose BLAS norm
was not the correctly rounded one (2026-12-08, second stop); every hash now holds under the
generic kernel too.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest


def _h(a: object) -> str:
    arr = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
    return hashlib.sha256(arr.tobytes()).hexdigest()[:16]


def _runs() -> dict[str, str]:
    from benchmarks.compare_core import covariances
    from convotron.geometry.patches import parse_spec
    from convotron.learning.algorithm import convotron, fit
    from convotron.learning.rules import ConvotronRule, SGDRule
    from convotron.learning.sources import Rows
    from convotron.model.problem import Problem

    scheme = parse_spec("1d:12,4,2")  # k = 5: 1/k is not a power of 2 (rounding shows)
    covs = covariances(scheme.n)
    cases = [
        ("gaussian", "identity", "none"),
        ("rademacher", "diag", "gaussian:0.3"),
        ("uniform", "ar1", "uniform:0.2"),
        ("mixture", "dense", "hetero:0.4"),
        ("student-t", "ar1", "hetero:0.4"),
        ("exponential", "diag", "uniform:0.2"),
    ]
    rules = {
        "conv": ConvotronRule(),
        "patch": ConvotronRule(only_patch=2),
        "sgd": SGDRule(sigma_prime_at_zero=1.0),
        "sgd-random": SGDRule(init="random", init_scale=0.5),
    }
    out = {}
    for law, cov, noise in cases:
        t = Problem(scheme, 0.2, law, covs[cov], noise).random_teacher(
            np.random.default_rng(1), 1.0
        )
        for name, rule in rules.items():
            kw = dict(eta=0.02, iters=120, batch=2, w_star=t.w_star, record_every=7)
            r = fit(rule, t, scheme, 0.2, rng=np.random.default_rng(2), stream="numpy", **kw)
            out[f"fused/{law}/{cov}/{noise}/{name}"] = _h(np.r_[r.w, r.history])
        r = convotron(t.sample, scheme, 0.2, eta=0.02, iters=120, rng=np.random.default_rng(3),
                      w_star=t.w_star, record_every=7, chunk=50)  # fmt: skip
        out[f"chunked/{law}/{cov}/{noise}"] = _h(np.r_[r.w, r.history])
        X, y = t.sample(np.random.default_rng(4), 90)
        out[f"sample/{law}/{cov}/{noise}"] = _h(np.r_[X.ravel(), y])
        for name, rule in rules.items():
            r = fit(rule, Rows(X, y), scheme, 0.2, eta=0.02, batch=3, w_star=t.w_star,
                    record_every=4, rng=np.random.default_rng(5))  # fmt: skip
            out[f"rows/{law}/{cov}/{noise}/{name}"] = _h(np.r_[r.w, r.history])
    # k, r >= 8 (numpy's pairwise sums differ from sequential ones there) and zero padding
    for spec, alpha in (("1d:40,8,2", 0.0), ("conv1d:2,9,3,padding=1", 0.3)):
        sch = parse_spec(spec)
        t = Problem(sch, alpha, "gaussian", None, "gaussian:0.1").random_teacher(
            np.random.default_rng(6), 1.0
        )
        X, y = t.sample(np.random.default_rng(7), 60)
        for name, rule in rules.items():
            r = fit(rule, t, sch, alpha, eta=0.005, iters=150, w_star=t.w_star, record_every=9,
                    rng=np.random.default_rng(8), stream="numpy")  # fmt: skip
            out[f"fused/{spec}/{name}"] = _h(np.r_[r.w, r.history])
            r = fit(rule, Rows(X, y), sch, alpha, eta=0.005, w_star=t.w_star, record_every=9,
                    rng=np.random.default_rng(9))  # fmt: skip
            out[f"rows/{spec}/{name}"] = _h(np.r_[r.w, r.history])
    return out


#: The hashes at commit 04504c6 (before issue 21's rewrite of the compiled loop's interface),
#: refreshed for the dense cases (fixed-order factor) and the 1d:40,8,2 cases (fixed-order norm).
EXPECTED: dict[str, str] = {
    "chunked/exponential/diag/uniform:0.2": "70cdab2e04b91f9b",
    "chunked/gaussian/identity/none": "55d83ccbdba662e7",
    "chunked/mixture/dense/hetero:0.4": "0f68aea045a20d1e",
    "chunked/rademacher/diag/gaussian:0.3": "f0d883e0e9cef83f",
    "chunked/student-t/ar1/hetero:0.4": "9d90d04565aba2e1",
    "chunked/uniform/ar1/uniform:0.2": "dddd0385b8c7a15b",
    "fused/1d:40,8,2/conv": "5b46713de1f762da",
    "fused/1d:40,8,2/patch": "7f6d832c512b13b2",
    "fused/1d:40,8,2/sgd": "2a45a41855983e04",
    "fused/1d:40,8,2/sgd-random": "2938d430ae491260",
    "fused/conv1d:2,9,3,padding=1/conv": "d8eeaf45969e9b10",
    "fused/conv1d:2,9,3,padding=1/patch": "795bbe7a33650c55",
    "fused/conv1d:2,9,3,padding=1/sgd": "54561bafaa8d3997",
    "fused/conv1d:2,9,3,padding=1/sgd-random": "b38f684edb010c17",
    "fused/exponential/diag/uniform:0.2/conv": "0d02c7a7324b053e",
    "fused/exponential/diag/uniform:0.2/patch": "6a792ce21ce8caec",
    "fused/exponential/diag/uniform:0.2/sgd": "bbb89e0b6327d6df",
    "fused/exponential/diag/uniform:0.2/sgd-random": "ec0c9165a01a05ad",
    "fused/gaussian/identity/none/conv": "67fdd8e17cb28658",
    "fused/gaussian/identity/none/patch": "0a380755ca41a7ea",
    "fused/gaussian/identity/none/sgd": "1ae37d5c9672040d",
    "fused/gaussian/identity/none/sgd-random": "dc687e6d0f764d29",
    "fused/mixture/dense/hetero:0.4/conv": "3df5b3f1d21bef7b",
    "fused/mixture/dense/hetero:0.4/patch": "a3cb7da89ac12916",
    "fused/mixture/dense/hetero:0.4/sgd": "7471a6d0e20ff6dd",
    "fused/mixture/dense/hetero:0.4/sgd-random": "ea991c97cfa01a1f",
    "fused/rademacher/diag/gaussian:0.3/conv": "02cfd9daceecb695",
    "fused/rademacher/diag/gaussian:0.3/patch": "757392a83147803f",
    "fused/rademacher/diag/gaussian:0.3/sgd": "9db4e2b9c7c23783",
    "fused/rademacher/diag/gaussian:0.3/sgd-random": "bcfd74f98868e501",
    "fused/student-t/ar1/hetero:0.4/conv": "cd46da3613a1f8b1",
    "fused/student-t/ar1/hetero:0.4/patch": "7c452113cee1100e",
    "fused/student-t/ar1/hetero:0.4/sgd": "2039e05163ee4868",
    "fused/student-t/ar1/hetero:0.4/sgd-random": "e4162d51db50dd64",
    "fused/uniform/ar1/uniform:0.2/conv": "24b6385606b7ac3e",
    "fused/uniform/ar1/uniform:0.2/patch": "1468b7a95b877e45",
    "fused/uniform/ar1/uniform:0.2/sgd": "c36c3098cd07c478",
    "fused/uniform/ar1/uniform:0.2/sgd-random": "76d9401803b400fc",
    "rows/1d:40,8,2/conv": "ba2c75ac8d780591",
    "rows/1d:40,8,2/patch": "6bfb2b34ce55b1ad",
    "rows/1d:40,8,2/sgd": "931cab8b928f6d92",
    "rows/1d:40,8,2/sgd-random": "18f2d40f223d0e67",
    "rows/conv1d:2,9,3,padding=1/conv": "e69590f159727951",
    "rows/conv1d:2,9,3,padding=1/patch": "049ad42e6966f754",
    "rows/conv1d:2,9,3,padding=1/sgd": "c6f2a614113d813f",
    "rows/conv1d:2,9,3,padding=1/sgd-random": "162de07e163629e2",
    "rows/exponential/diag/uniform:0.2/conv": "b183b2e6bd738b4a",
    "rows/exponential/diag/uniform:0.2/patch": "75db4983b45293c6",
    "rows/exponential/diag/uniform:0.2/sgd": "5371ea40d50f00f1",
    "rows/exponential/diag/uniform:0.2/sgd-random": "c4b5fbf37ca9033e",
    "rows/gaussian/identity/none/conv": "f1776bff782ed529",
    "rows/gaussian/identity/none/patch": "0584251de91de25b",
    "rows/gaussian/identity/none/sgd": "430b0f9433ca3545",
    "rows/gaussian/identity/none/sgd-random": "cc42140f7e146bbb",
    "rows/mixture/dense/hetero:0.4/conv": "9532ee2c26728aa1",
    "rows/mixture/dense/hetero:0.4/patch": "a01f7a66fe616654",
    "rows/mixture/dense/hetero:0.4/sgd": "7aca5eb58101d2a4",
    "rows/mixture/dense/hetero:0.4/sgd-random": "3885c12e236b5637",
    "rows/rademacher/diag/gaussian:0.3/conv": "e8104b28035e926a",
    "rows/rademacher/diag/gaussian:0.3/patch": "b600ffffc7e76de7",
    "rows/rademacher/diag/gaussian:0.3/sgd": "7db1194d3789624e",
    "rows/rademacher/diag/gaussian:0.3/sgd-random": "20314cc1ee117c6d",
    "rows/student-t/ar1/hetero:0.4/conv": "7e3da7a9f4d34ebf",
    "rows/student-t/ar1/hetero:0.4/patch": "36d3798618253e5b",
    "rows/student-t/ar1/hetero:0.4/sgd": "1fca6f58bbd4244b",
    "rows/student-t/ar1/hetero:0.4/sgd-random": "451b53b7845e2c80",
    "rows/uniform/ar1/uniform:0.2/conv": "23e04b3f8bad54a4",
    "rows/uniform/ar1/uniform:0.2/patch": "f0f31f9096f83cd7",
    "rows/uniform/ar1/uniform:0.2/sgd": "01cea7d21cc45e30",
    "rows/uniform/ar1/uniform:0.2/sgd-random": "346fd713b1a0f683",
    "sample/exponential/diag/uniform:0.2": "5932515a738a6bda",
    "sample/gaussian/identity/none": "b8445f03d1da682c",
    "sample/mixture/dense/hetero:0.4": "2afa674388037dcc",
    "sample/rademacher/diag/gaussian:0.3": "4c80b2a216c87974",
    "sample/student-t/ar1/hetero:0.4": "e08508a50bb89083",
    "sample/uniform/ar1/uniform:0.2": "1106477d5f84eddc",
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_runs_are_bitwise_those_of_the_base_commit(key: str, runs: dict[str, str]) -> None:
    assert runs[key] == EXPECTED[key]


def test_the_table_covers_every_run(runs: dict[str, str]) -> None:
    assert sorted(runs) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def runs() -> dict[str, str]:
    return _runs()


if __name__ == "__main__":
    for key, value in sorted(_runs().items()):
        print(f"    {key!r}: {value!r},")
