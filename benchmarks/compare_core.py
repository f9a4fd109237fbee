"""Fingerprint a fixed set of runs and CLI invocations, byte for byte (issue 21, behaviour kept).

Run it on two checkouts (e.g. the base commit and a refactor) and compare the outputs::

    PYTHONPATH=BASE python benchmarks/compare_core.py --out base.json
    PYTHONPATH=NEW  python benchmarks/compare_core.py --out new.json
    diff base.json new.json   # must be empty

Every run's final filter, recorded curve, first hit and squared error are hashed (sha256 of
the float64 bytes), for every rule, input law, covariance, noise model, the fused path of a
teacher and the row-based paths (a sampler in chunks, fixed rows, the estimator). The CLI
invocations (``--cli``) are run in subprocesses and their stdout hashed: those of ``CLI``
with the timing keys (``seconds``, ``updates_per_second``) removed from the JSON first (they
are clocks), those of ``CLI_MORE`` (``check``, ``bounds``, ``run`` with data, output files and
refused inputs, a small ``sweep``) as printed, JSON key order included, with only the clocks
and the temporary folder's path masked; their stderr's last 300 characters and the files
they wrote are listed beside. Only the public API and the command line are used, so the
script runs unchanged on both checkouts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np


def _h(a) -> str:
    if a is None:
        return "None"
    arr = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
    return hashlib.sha256(arr.tobytes()).hexdigest()[:16]


def _res(r) -> dict:
    return {
        "w": _h(r.w),
        "hist": _h(r.history),
        "hist_t": None if r.history_t is None else [int(v) for v in r.history_t],
        "sq": None if r.sq_error is None else float(r.sq_error).hex(),
        "first": r.first_hit,
        "diverged": bool(r.diverged),
        "algorithm": r.algorithm,
        "only_patch": r.only_patch,
        "disjoint": r.only_patch_disjoint,
    }


def covariances(n: int) -> dict:
    """One covariance of each kind on ``n`` coordinates (also tests/convotron/test_bitwise.py's)."""
    from convotron.data.covariance import AR1, Dense, Diagonal, Identity

    # integer A: A Aᵀ is exact in any summation order, so Σ has the same bits on every
    # processor (a BLAS product of normals did not: its last bits follow the kernels)
    A = np.random.default_rng(5).integers(-3, 4, size=(n, n)).astype(np.float64)
    return {
        "identity": Identity(n),
        "diag": Diagonal(np.linspace(0.5, 2.0, n)),
        "ar1": AR1(n, 0.6),
        "dense": Dense(A @ A.T / (4.0 * n) + 0.1 * np.eye(n)),
    }


def runs() -> dict:
    from convotron.data.laws import InputLaw
    from convotron.geometry.patches import parse_spec
    from convotron.learning.algorithm import convotron, convotron_on_data, fit
    from convotron.learning.baselines import glmtron, sgd, sgd_on_data
    from convotron.learning.many import run_many, run_range
    from convotron.learning.rules import ConvotronRule, SGDRule
    from convotron.learning.sources import Rows, Sampler
    from convotron.model.problem import Problem, Teacher

    out: dict = {}
    laws = ["gaussian", "rademacher", "uniform", "mixture", "student-t", "exponential"]
    noises = ["none", "gaussian:0.3", "uniform:0.2", "hetero:0.4"]
    scheme = parse_spec("1d:16,4,2")
    covs = covariances(scheme.n)
    rules = {
        "conv": ConvotronRule(),
        "conv_patch3": ConvotronRule(only_patch=3),
        "sgd_s1": SGDRule(sigma_prime_at_zero=1.0),
        "sgd_random": SGDRule(init="random", init_scale=0.5),
    }
    # the fused path: every law x covariance x noise (Convotron), every rule on a few
    for law in laws:
        for cname, cov in covs.items():
            for noise in noises:
                t = Problem(scheme, 0.2, law, cov, noise).random_teacher(
                    np.random.default_rng(1), 1.0
                )
                r = fit(ConvotronRule(), t, scheme, 0.2, eta=0.01, iters=300,
                        rng=np.random.default_rng(2), w_star=t.w_star, record_every=7,
                        eps=0.5)  # fmt: skip
                out[f"fused/{law}/{cname}/{noise}"] = _res(r)
    for rname, rule in rules.items():
        for law, cname, noise in (("gaussian", "identity", "none"),
                                  ("mixture", "ar1", "hetero:0.4"),
                                  ("rademacher", "dense", "uniform:0.2")):  # fmt: skip
            t = Problem(scheme, 0.3, law, covs[cname], noise).random_teacher(
                np.random.default_rng(3), 1.0
            )
            for batch in (1, 3):
                r = fit(rule, t, scheme, 0.3, eta=0.02, iters=250, batch=batch,
                        rng=np.random.default_rng(4), w_star=t.w_star, record_every=10,
                        eps=0.3)  # fmt: skip
                out[f"rule/{rname}/{law}/{cname}/{noise}/b{batch}"] = _res(r)
    # a larger scheme (k, r >= 8: numpy's pairwise sums differ from sequential ones)
    big = parse_spec("1d:64,8,2")
    tb = Teacher.random(big, 0.0, np.random.default_rng(6), noise="gaussian:0.1")
    for rname, rule in rules.items():
        r = fit(rule, tb, big, 0.0, eta=2e-3, iters=400, rng=np.random.default_rng(7),
                w_star=tb.w_star, record_every=9, eps=0.9)  # fmt: skip
        out[f"big/fused/{rname}"] = _res(r)
    # padded conv scheme
    conv = parse_spec("conv1d:2,12,3,padding=1")
    tc = Teacher.random(conv, 0.1, np.random.default_rng(8), cov="ar1:0.3")
    out["conv/fused"] = _res(fit(ConvotronRule(), tc, conv, 0.1, eta=0.01, iters=300,
                                 rng=np.random.default_rng(9), w_star=tc.w_star,
                                 record_every=5))  # fmt: skip
    out["conv/chunked"] = _res(convotron(tc.sample, conv, 0.1, eta=0.01, iters=300,
                                         rng=np.random.default_rng(9), w_star=tc.w_star,
                                         record_every=5))  # fmt: skip
    # the chunked paths: a bound Teacher.sample, a plain sampler, a custom law, a mismatch
    for name, t in (("identity", Teacher.random(scheme, 0.0, np.random.default_rng(10))),
                    ("ar1-hetero", Teacher.random(scheme, 0.0, np.random.default_rng(10),
                                                  law="uniform", cov="ar1:0.5",
                                                  noise="hetero:0.2")),
                    ("big", tb)):  # fmt: skip
        sch = t.scheme
        out[f"chunked/convotron/{name}"] = _res(convotron(
            t.sample, sch, t.alpha, eta=0.005, iters=500, rng=np.random.default_rng(11),
            w_star=t.w_star, record_every=11, eps=0.2, chunk=64))  # fmt: skip
        out[f"chunked/sgd/{name}"] = _res(sgd(
            t.sample, sch, t.alpha, lr=0.005, iters=500, rng=np.random.default_rng(11),
            w_star=t.w_star, record_every=11, init="random", batch=2))  # fmt: skip
        out[f"chunked/lambda/{name}"] = _res(fit(
            ConvotronRule(), Sampler(lambda rng, m, t=t: t.sample(rng, m)), sch, t.alpha,
            eta=0.005, iters=500, rng=np.random.default_rng(12), w_star=t.w_star,
            record_every=13))  # fmt: skip
        out[f"chunked/mismatch/{name}"] = _res(fit(
            ConvotronRule(), t, sch, 0.5, eta=0.005, iters=500, rng=np.random.default_rng(13),
            w_star=t.w_star, record_every=13))  # fmt: skip
        X, y = t.sample(np.random.default_rng(14), 600)
        out[f"sample/{name}"] = {"X": _h(X), "y": _h(y)}
        out[f"rows/convotron/{name}"] = _res(
            convotron_on_data(
                X, y, sch, t.alpha, eta=0.005, w_star=t.w_star, record_every=7, eps=0.3
            )
        )
        out[f"rows/patch/{name}"] = _res(convotron_on_data(
            X, y, sch, t.alpha, eta=0.005, only_patch=2, batch=3, w_star=t.w_star,
            record_every=7))  # fmt: skip
        out[f"rows/sgd/{name}"] = _res(sgd_on_data(
            X, y, sch, t.alpha, lr=0.005, init="random", rng=np.random.default_rng(15),
            w_star=t.w_star, record_every=7, sigma_prime_at_zero=0.5))  # fmt: skip
        out[f"rows/fit/{name}"] = _res(
            fit(SGDRule(), Rows(X, y), sch, 0.3, eta=0.01, batch=2, w_star=t.w_star, record_every=3)
        )
    custom = InputLaw("custom", True, 3.0, None, lambda rng, shape: rng.standard_normal(shape))
    tcu = Problem(scheme, 0.0, custom, None, "gaussian:0.2").random_teacher(
        np.random.default_rng(16), 1.0
    )
    out["chunked/custom-law"] = _res(fit(ConvotronRule(), tcu, scheme, 0.0, eta=0.01, iters=400,
                                         rng=np.random.default_rng(17), w_star=tcu.w_star,
                                         record_every=9))  # fmt: skip
    # many runs, a range, divergence recorded
    tm = Teacher.random(scheme, 0.0, np.random.default_rng(18), law="student-t",
                        noise="gaussian:0.1")  # fmt: skip
    for rname, rule in rules.items():
        mr = run_many(rule, tm, eta=0.01, iters=200, runs=5, seed=[3, 4], workers=2,
                      record_every=20, eps=0.4)  # fmt: skip
        out[f"many/{rname}"] = {"final": _h(mr.final_sq_errors), "hist": _h(mr.histories),
                                "first": mr.first_hits.tolist(), "w": _h(mr.w)}  # fmt: skip
    rr = run_range(ConvotronRule(), tm, eta=0.01, iters=200, seed=3, start=2, stop=4,
                   record_every=20)  # fmt: skip
    out["range"] = [_res(r) for r in rr]
    md = run_many(ConvotronRule(), tm, eta=50.0, iters=200, runs=3, seed=1, workers=1,
                  record_every=3)  # fmt: skip
    out["many/diverged"] = {"final": _h(md.final_sq_errors), "hist": _h(md.histories),
                            "div": md.diverged.tolist()}  # fmt: skip
    from convotron import DivergenceError

    for path in ("fused", "chunked", "rows"):
        try:
            if path == "fused":
                fit(ConvotronRule(), tm, scheme, 0.0, eta=50.0, iters=200,
                    rng=np.random.default_rng(1))  # fmt: skip
            elif path == "chunked":
                convotron(tm.sample, scheme, 0.0, eta=50.0, iters=200,
                          rng=np.random.default_rng(1))  # fmt: skip
            else:
                X, y = tm.sample(np.random.default_rng(2), 300)
                convotron_on_data(X, y, scheme, 0.0, eta=50.0)
            out[f"diverge/{path}"] = "no error"
        except DivergenceError as exc:
            out[f"diverge/{path}"] = str(exc)
    # GLMtron and the estimator (the compiled loop over rows)
    X, y = tm.sample(np.random.default_rng(19), 200)
    out["glmtron"] = _h(glmtron(X, y, 0.0, eta=0.01))
    from convotron.estimator import ConvotronRegressor

    est = ConvotronRegressor(scheme="1d:16,4,2", eta=0.01, max_iter=3, random_state=0).fit(X, y)
    out["estimator"] = _h(est.w_)
    return out


CLI = [
    ["run", "--scheme", "1d:16,4,2", "--iters", "2000", "--seed", "3", "--json"],
    ["run", "--scheme", "1d:16,4,2", "--iters", "2000", "--seed", "3", "--json",
     "--dist", "rademacher", "--noise", "hetero:0.2", "--cov", "ar1:0.5"],
    ["run", "--scheme", "1d:16,4,2", "--iters", "2000", "--seed", "3", "--json",
     "--dist", "mixture", "--noise", "uniform:0.1", "--alpha", "0.3", "--batch", "2"],
    ["run", "--scheme", "1d:16,4,2", "--iters", "2000", "--seed", "3", "--json",
     "--algorithm", "sgd", "--eta", "0.01", "--init", "random", "--alpha", "0.2"],
    ["run", "--scheme", "1d:16,4,4", "--iters", "2000", "--seed", "3", "--json",
     "--only-patch", "1", "--dist", "student-t", "--noise", "0.1", "--eta", "0.05"],
    ["run", "--scheme", "1d:16,4,2", "--iters", "2000", "--seed", "3", "--json",
     "--algorithm", "sgd", "--eta", "0.02", "--alpha", "0.5", "--batch", "3",
     "--dist", "uniform", "--cov", "ar1:-0.3", "--noise", "gaussian:0.2"],
    ["run", "--scheme", "2d:6,6,3,3,1,1", "--iters", "1500", "--seed", "1", "--json",
     "--dist", "uniform", "--eta", "0.01"],
    ["run", "--scheme", "conv1d:2,10,3,padding=1", "--iters", "1500", "--seed", "2",
     "--json", "--dist", "exponential", "--eta", "0.01"],
    ["run", "--scheme", "1d:16,4,2", "--iters", "500", "--seed", "3", "--eta", "100"],
    ["run", "--scheme", "1d:16,4,2", "--iters", "2000", "--seed", "3"],
]  # fmt: skip


#: More invocations, over fixture files written to a temporary folder (``{tmp}``): every
#: verdict of ``check`` (HOLDS, FAILS, UNDECIDED; exact and float certificates; a lemma; the
#: plug-in constants of ``--data``), ``bounds``, ``run`` with ``--data``, preconditioning,
#: ``auto`` steps, output files, and refused inputs (exit 2, the message compared).
CLI_MORE = [
    *(["check", "--scheme", *spec.split(), *json_flag]
      for spec in ("1d:16,4,2", "1d:16,4,2 --exact", "1d:34,8,1", "2d:2,6,6,3,3,1,1",
                   "conv2d:1,5,5,3,3,padding=same,dilation=2", "1d:16,4,2 --cov ar1:0.37 --exact",
                   "1d:64,16,4 --cov ar1:0.9", "1d:16,4,2 --cov dense:{tmp}/dense16.npy",
                   "1d:16,4,2 --cov dense:{tmp}/even0.npy", "file:{tmp}/fail.json",
                   "file:{tmp}/fail.json --exact", "file:{tmp}/near.json --cov ar1:0.99999937",
                   "1d:200,40,4", "1d:16,4,2 --data {tmp}/d1.npz")
      for json_flag in ([], ["--json"])),
    ["bounds", "--scheme", "1d:16,4,2"],
    ["bounds", "--scheme", "1d:16,4,2", "--cov", "ar1:0.5", "--noise", "0.1", "--json"],
    ["bounds", "--scheme", "file:{tmp}/near.json", "--cov", "ar1:0.99999937", "--json"],
    *(["run", *spec.split()] for spec in (
        "--scheme 1d:16,4,2 --eta auto --iters auto --seed 3 --eps 0.05",
        "--scheme 1d:16,4,2 --eta auto --iters 3000 --seed 3 --precondition exact --cov ar1:0.8",
        "--scheme 1d:16,4,2 --eta auto --iters 4000 --seed 3 --precondition plugin --cov ar1:0.8",
        "--scheme 1d:16,4,2 --data {tmp}/d1.npz --eta auto",
        "--scheme 1d:16,4,2 --data {tmp}/d2.npz --eta auto --json --batch 2",
        "--scheme 1d:16,4,2 --iters 2000 --seed 3 --plot {tmp}/f.png --save-filter {tmp}/w.npz",
        "--scheme 1d:16,4,2 --only-patch 9",
        "--scheme 1d:16,4,2 --init random",
        "--scheme 1d:16,4,2 --algorithm sgd",
        "--scheme 1d:16,4,2 --algorithm sgd --eta auto",
        "--scheme 1d:16,4,2 --data {tmp}/d1.npz",
        "--scheme 1d:16,4,2 --data {tmp}/d1.npz --eta 0.1 --iters 5",
        "--scheme 1d:16,4,2 --data {tmp}/d1.npz --eta auto --precondition exact",
        "--scheme 1d:16,4,2 --data {tmp}/d2.npz --eta 0.1 --plot {tmp}/p.png",
        "--scheme 1d:16,4,2 --save-filter {tmp}/f.npz --plot {tmp}/f.npz",
        "--scheme 1d:16,4,2 --delta 2",
    )),
    ["sweep", "--scheme", "1d:12,4,2,1d:16,4,4", "--alpha", "0,0.5", "--noise", "none,0.1",
     "--runs", "6", "--chunk", "4", "--teachers", "2", "--scheduler", "inline",
     "--no-progress", "--no-figures", "--out", "{tmp}/sweep", "--json"],
]  # fmt: skip


def _fixtures(tmp: str) -> None:
    """Write the files ``CLI_MORE`` reads: scheme files, covariances and datasets."""
    n, r, d = 2100, 8, 2  # λ_min ≈ 3.5e-7 with ρ = 0.99999937: UNDECIDED (tests' _undecided_file)
    rows = [[i * d + a for a in range(r)] for i in range((n - r) // d + 1)]
    with open(os.path.join(tmp, "near.json"), "w") as fh:
        json.dump({"n": n, "indices": rows}, fh)
    with open(os.path.join(tmp, "fail.json"), "w") as fh:
        json.dump({"n": 4, "indices": [[0, 1], [1, 0]]}, fh)  # PPᵀ = [[2, 2], [2, 2]]: FAILS
    A = np.random.default_rng(1).standard_normal((16, 16))
    np.save(os.path.join(tmp, "dense16.npy"), A @ A.T / 16 + 0.1 * np.eye(16))
    np.save(os.path.join(tmp, "even0.npy"), np.diag([float(i % 2) for i in range(16)]))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 16))
    w = np.array([1.0, -0.5, 0.25, 0.1])
    idx = np.array([[2 * i + a for a in range(4)] for i in range(7)])
    y = np.maximum(X[:, idx] @ w, 0).mean(1) + 0.05 * rng.standard_normal(3000)
    np.savez(os.path.join(tmp, "d1.npz"), X=X, y=y, w_star=w)
    np.savez(os.path.join(tmp, "d2.npz"), X=X, y=y)


_CLOCKS = (
    (re.compile(r'"(seconds|updates_per_second)": [-+0-9.eE]+'), r'"\1": X'),
    (re.compile(r"[0-9.]+ s, [0-9,]+ updates/s"), "X s, X updates/s"),
)


def _masked(text: str, tmp: str) -> str:
    """``text`` with its clocks and the temporary folder's path replaced (key order kept)."""
    text = text.replace(tmp, "{tmp}")
    for pattern, repl in _CLOCKS:
        text = pattern.sub(repl, text)
    return text


def cli() -> dict:
    out = {}
    env = dict(os.environ)
    for args in CLI:
        p = subprocess.run([sys.executable, "-m", "convotron.cli", *args], capture_output=True,
                           text=True, env=env, check=False)  # fmt: skip
        text = p.stdout
        if "--json" in args and p.returncode == 0:
            obj = json.loads(text)
            for key in ("seconds", "updates_per_second"):
                obj.pop(key, None)
            text = json.dumps(obj, sort_keys=True)
        else:  # the human-readable report prints a timing line: drop it
            text = "\n".join(line for line in text.splitlines() if "update" not in line
                             or "/s" not in line)  # fmt: skip
        out[" ".join(args)] = {"rc": p.returncode,
                               "stdout": hashlib.sha256(text.encode()).hexdigest()[:16],
                               "stderr": p.stderr[-300:]}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        _fixtures(tmp)
        for args in CLI_MORE:
            argv = [a.replace("{tmp}", tmp) for a in args]
            p = subprocess.run([sys.executable, "-m", "convotron.cli", *argv],
                               capture_output=True, text=True, env=env, check=False,
                               cwd=tmp)  # fmt: skip
            made = sorted(f for f in os.listdir(tmp) if f.endswith((".png", ".npz")))
            out[" ".join(args)] = {
                "rc": p.returncode,
                "stdout": hashlib.sha256(_masked(p.stdout, tmp).encode()).hexdigest()[:16],
                "stderr": _masked(p.stderr, tmp)[-300:],
                "files": [f for f in made if f not in ("d1.npz", "d2.npz")],
            }
            for f in made:
                if f not in ("d1.npz", "d2.npz"):
                    os.remove(os.path.join(tmp, f))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cli", action="store_true")
    ap.add_argument("--no-runs", action="store_true")
    a = ap.parse_args()
    out = {}
    if not a.no_runs:
        out["runs"] = runs()
    if a.cli:
        out["cli"] = cli()
    with open(a.out, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
