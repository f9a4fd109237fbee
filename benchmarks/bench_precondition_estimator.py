"""Does ``ConvotronRegressor(eta="auto", precondition="plugin")`` learn in at most 20 passes?

Issue 22, deliverable 4: on symmetric correlated inputs it must reach within 1 % of the best
possible test R² (that of the teacher ``w*`` itself: the labels are noisy) in at most 20
passes. Three data sets, each a ReLU teacher with label noise of standard deviation 0.1 times
the teacher's output's, 75/25 train/test split:

* ``ar1-0.9``: Gaussian AR(1) ρ = 0.9 inputs on ``1d:16,4,2`` (``cond(M) = 1287``), 6000 rows;
* ``digits-symmetrised``: the book's data (``book/sklearn.md``): scikit-learn's digits cropped
  to 7×7, ZCA-whitened, times an independent random sign per image, ``2d:7,7,3,3,2,2``;
* ``digits-raw``: the raw pixels (non-negative, *not* symmetric: the theory does not apply),
  8×8 scaled to unit mean square, ``2d:8,8,3,3,1,1``.

For each, ``precondition="none"`` and ``"plugin"`` at ``eta="auto"``, with ``tol=None`` (no
early stop) and ``max_iter`` ∈ {1, 2, 5, 10, 20}, and a hand-tuned step for reference.

Run: ``PYTHONPATH=. python benchmarks/bench_precondition_estimator.py [--quick] [--json PATH]``
(about a minute; ``--quick``: passes 1 and 2 only, for the smoke test).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn.model_selection import train_test_split

from convotron import parse_spec, predict, symmetrize
from convotron.estimator import ConvotronRegressor
from convotron.glue.experiments.real_images import load_images, standardize

PASSES = (1, 2, 5, 10, 20)
NOISE = 0.1


def _teacher_data(X: np.ndarray, spec: str, seed: int) -> tuple:
    scheme = parse_spec(spec)
    rng = np.random.default_rng(seed)
    w_star = rng.standard_normal(scheme.r)
    w_star /= np.linalg.norm(w_star)
    f = np.asarray(predict(w_star, X, scheme, 0.0))
    y = f + NOISE * f.std() * rng.standard_normal(len(f))
    X_tr, X_te, y_tr, y_te, _f_tr, f_te = train_test_split(X, y, f, test_size=0.25, random_state=0)
    best = 1.0 - np.mean((y_te - f_te) ** 2) / np.var(y_te)
    return scheme, X_tr, X_te, y_tr, y_te, float(best)


def datasets() -> dict[str, tuple]:
    """The three data sets (scheme, train/test rows and labels, best possible R²)."""
    rng = np.random.default_rng(2018)
    n, rho = 16, 0.9
    z = rng.standard_normal((6000, n))
    X = np.empty_like(z)
    X[:, 0] = z[:, 0]
    for j in range(1, n):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * z[:, j]
    sym = symmetrize(standardize(load_images(7), "whitened", 0.01), rng)
    raw = standardize(load_images(8), "raw", 0.0)
    return {
        "ar1-0.9": _teacher_data(X, "1d:16,4,2", 1),
        "digits-symmetrised": _teacher_data(sym, "2d:7,7,3,3,2,2", 2),
        "digits-raw": _teacher_data(raw, "2d:8,8,3,3,1,1", 3),
    }


def r2_after(data: tuple, passes: int, **kw: object) -> float:
    """Test R² after exactly ``passes`` passes (no early stop)."""
    scheme, X_tr, X_te, y_tr, y_te, _ = data
    model = ConvotronRegressor(scheme, max_iter=passes, tol=None, random_state=0, **kw)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_tr, y_tr)
    return float(model.score(X_te, y_te))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="passes 1 and 2 only (smoke test)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args()
    passes = PASSES[:2] if args.quick else PASSES
    t0 = time.perf_counter()
    rows = []
    print(f"| data | best R² | rule | {' | '.join(f'{p} passes' for p in passes)} |")
    print("|---|---|---|" + "---|" * len(passes))
    for name, data in datasets().items():
        best = data[-1]
        for label, kw in (
            ("eta=auto, none", {"eta": "auto", "precondition": "none"}),
            ("eta=auto, plugin", {"eta": "auto", "precondition": "plugin"}),
            ("eta=0.01, none", {"eta": 0.01, "precondition": "none"}),
        ):
            vals = []
            for n_pass in passes:
                try:
                    vals.append(f"{r2_after(data, n_pass, **kw):.4f}")
                except Exception as exc:  # a diverging hand-set step
                    vals.append(type(exc).__name__)
            rows.append({"data": name, "best_r2": best, "rule": label,
                         "r2": dict(zip(map(str, passes), vals, strict=True))})  # fmt: skip
            print(f"| {name} | {best:.4f} | {label} | {' | '.join(vals)} |")
    print(f"\n{time.perf_counter() - t0:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"passes": list(passes), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
