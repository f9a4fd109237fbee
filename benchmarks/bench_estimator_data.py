"""ConvotronRegressor against Ridge on scikit-learn's bundled data sets (issue 24, item 6).

What is measured: the mean 5-fold cross-validated R² (``KFold(5, shuffle=True,
random_state=0)``, the same folds for every model) and the wall time of the whole
cross-validation, for

- ``Ridge``: ``StandardScaler`` + ``RidgeCV`` (its own intercept), the reference;
- ``Convotron, as is``: ``ConvotronRegressor(scheme)`` with its defaults (ReLU, no intercept)
  on the raw data: what a newcomer gets;
- ``Convotron, recipe``: the README's recipe: ``StandardScaler`` on ``X``, ``y`` centred (and
  scaled) by ``TransformedTargetRegressor(..., transformer=StandardScaler())``, and the slope
  ``alpha`` chosen by an inner ``GridSearchCV`` over ``{0, 0.5, 1}`` (the chosen values are
  reported); ``recipe + whitening`` adds ``StandardScaler`` and ``PCA(whiten=True)`` (the
  remedy the far-step warning names; ``scheme=None`` only, as whitening mixes the features);
  with ``scheme=None`` constant columns are dropped first (``VarianceThreshold``:
  a constant column makes ``M̂`` singular, and ``eta="auto"`` refuses it).

"refused" in the table: every fold raised (e.g. ``eta="auto"`` on a singular ``M̂``).

Data sets (all shipped with scikit-learn, no download): ``load_diabetes`` (442 x 10, one patch
over every feature, ``scheme=None``), ``load_digits`` as a regression of the digit's value on
the 8 x 8 image (1797 x 64, one shared 3 x 3 filter at stride 1, ``scheme="2d:8,8,3,3,1,1"``,
and ``scheme=None``), and ``make_regression(n_samples=1000, n_features=20, noise=10,
random_state=0)``.

Run: ``python benchmarks/bench_estimator_data.py [--quick] [--json PATH]``
(``--quick``: 2 folds and a subsample, for the smoke test only).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits, make_regression
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from convotron.estimator import ConvotronRegressor

ALPHAS = [0.0, 0.5, 1.0]


def datasets(quick: bool) -> list[tuple[str, np.ndarray, np.ndarray, object]]:
    Xd, yd = load_diabetes(return_X_y=True)
    Xg, yg = load_digits(return_X_y=True)
    Xr, yr = make_regression(n_samples=1000, n_features=20, noise=10.0, random_state=0)
    out = [
        ("diabetes (442 x 10)", Xd, yd.astype(float), None),
        ("digits (1797 x 64), 3x3 filter", Xg, yg.astype(float), "2d:8,8,3,3,1,1"),
        ("digits (1797 x 64), one patch", Xg, yg.astype(float), None),
        ("make_regression (1000 x 20)", Xr, yr, None),
    ]
    if quick:
        out = [(name, X[:200], y[:200], s) for name, X, y, s in out]
    return out


def recipe(scheme: object, inner_cv: int, whiten: bool = False) -> GridSearchCV:
    # constant columns (digits' border pixels) make M̂ singular with one patch over every
    # feature: dropped there; a patch scheme keeps the image's geometry, so nothing is dropped
    steps: list = [VarianceThreshold()] if scheme is None else []
    if whiten:  # the remedy the far-step warning names (scheme=None only: it mixes features)
        steps += [StandardScaler(), PCA(whiten=True)]
    model = TransformedTargetRegressor(
        regressor=make_pipeline(
            *steps, StandardScaler(), ConvotronRegressor(scheme, random_state=0)
        ),
        transformer=StandardScaler(),
    )
    grid = {"regressor__convotronregressor__alpha": ALPHAS}
    return GridSearchCV(model, grid, cv=inner_cv)


def score(model: object, X: np.ndarray, y: np.ndarray, cv: KFold) -> tuple[float, float, int]:
    """Mean CV R² (NaN when the model refuses the data), seconds, ConvergenceWarnings."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)  # reported as NaN: "refused"
        try:
            r2 = cross_val_score(model, X, y, cv=cv, scoring="r2", error_score=np.nan)
        except ValueError:  # every fold refused
            r2 = np.array([np.nan])
    n_warn = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return float(np.mean(r2)), time.perf_counter() - t0, n_warn


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 folds on 200 rows (smoke test)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args()
    folds = 2 if args.quick else 5
    cv = KFold(folds, shuffle=True, random_state=0)
    rows = []
    for name, X, y, scheme in datasets(args.quick):
        ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
        r_ridge = score(ridge, X, y, cv)
        r_raw = score(ConvotronRegressor(scheme, random_state=0), X, y, cv)
        inner = 2 if args.quick else 3
        r_recipe = score(recipe(scheme, inner), X, y, cv)
        r_white = (
            (math.nan, 0.0, 0)
            if scheme is not None
            else score(recipe(scheme, inner, whiten=True), X, y, cv)
        )
        try:
            chosen = recipe(scheme, 2 if args.quick else 3).fit(X, y).best_params_
        except ValueError:
            chosen = {"regressor__convotronregressor__alpha": np.nan}
        rows.append(
            {
                "data": name,
                "scheme": "None" if scheme is None else scheme,
                "ridge_r2": r_ridge[0],
                "ridge_s": r_ridge[1],
                "convotron_as_is_r2": r_raw[0],
                "convotron_as_is_s": r_raw[1],
                "convotron_as_is_warnings": r_raw[2],
                "convotron_recipe_r2": r_recipe[0],
                "convotron_recipe_s": r_recipe[1],
                "convotron_recipe_warnings": r_recipe[2],
                "convotron_whitened_r2": r_white[0],
                "convotron_whitened_s": r_white[1],
                "convotron_whitened_warnings": r_white[2],
                "alpha_on_all_rows": chosen["regressor__convotronregressor__alpha"],
            }
        )
        print(f"{name}: done", flush=True)
    fmt = lambda v: "refused" if np.isnan(v) else f"{v:.3f}"  # noqa: E731
    print(
        f"\n{folds}-fold CV R² (mean), wall seconds of the whole cross-validation; "
        "ConvergenceWarnings counted\n"
    )
    print(
        "| data | scheme | Ridge | Convotron as is | Convotron recipe | recipe + whitening "
        "| alpha chosen (recipe, all rows) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['data']} | {r['scheme']} | {r['ridge_r2']:.3f} ({r['ridge_s']:.1f} s) "
            f"| {fmt(r['convotron_as_is_r2'])} ({r['convotron_as_is_s']:.1f} s, "
            f"{r['convotron_as_is_warnings']} warnings) "
            f"| {fmt(r['convotron_recipe_r2'])} ({r['convotron_recipe_s']:.1f} s, "
            f"{r['convotron_recipe_warnings']} warnings) "
            + (
                "| n/a "
                if r["scheme"] != "None"
                else f"| {fmt(r['convotron_whitened_r2'])} ({r['convotron_whitened_s']:.1f} s, "
                f"{r['convotron_whitened_warnings']} warnings) "
            )
            + f"| {r['alpha_on_all_rows']:g} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "rows": rows,
                    "folds": folds,
                    "python": platform.python_version(),
                    "sklearn": sklearn.__version__,
                },
                fh,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
