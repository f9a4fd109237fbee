"""``--cov dense:FILE.npy`` and ``convotron check --data FILE.npz`` (issue 20, Deliver 9).

A user's own covariance enters the command line as a saved matrix (read safely: header
first, never pickles, symmetric PSD), and ``check --data`` estimates Σ from the rows and
prints the plug-in constants with their CLT intervals.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from convotron import ConvotronError
from convotron.cli import main
from convotron.data.covariance import Dense, load_dense_npy, parse_cov


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


AR = np.array([[0.5 ** abs(i - j) for j in range(8)] for i in range(8)])


def test_dense_file_equals_the_matrix_and_the_ar1_spec(tmp_path: Path) -> None:
    path = tmp_path / "Sigma AR.npy"  # a space and capitals: the path keeps its case
    np.save(path, AR)
    cov = parse_cov(f"dense:{path}", 8)
    assert isinstance(cov, Dense) and np.array_equal(cov.dense(), AR)
    # the check of a dense file agrees with the structured AR(1) spec
    s_dense, text_dense, _ = _run(["check", "--scheme", "1d:8,4,2", "--cov", f"dense:{path}"])
    s_ar, text_ar, _ = _run(["check", "--scheme", "1d:8,4,2", "--cov", "ar1:0.5"])
    lam = [line for line in text_dense.splitlines() if line.startswith("M = ")]
    assert s_dense == s_ar == 0 and lam == [
        line for line in text_ar.splitlines() if line.startswith("M = ")
    ]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.eye(3), r"must be \(n, n\) = \(8, 8\).*got shape \(3, 3\)"),
        (AR + np.triu(np.ones((8, 8)), 1), r"must be symmetric; got max \|S - S\^T\| = 1"),
        (AR - 2 * np.eye(8), r"must be positive semi-definite; got smallest eigenvalue -1\.6"),
        (np.array(["a"] * 64).reshape(8, 8), r"must hold real numbers; got dtype <U1"),
    ],
)
def test_dense_file_refuses_bad_matrices(tmp_path: Path, matrix: np.ndarray, message: str) -> None:
    path = tmp_path / "S.npy"
    np.save(path, matrix)
    with pytest.raises(ConvotronError, match=message):
        load_dense_npy(str(path), 8)
    status, out, err = _run(["check", "--scheme", "1d:8,4,2", "--cov", f"dense:{path}"])
    assert status == 2 and out == "" and "Traceback" not in err and "dense:" in err


def test_dense_file_never_unpickles(tmp_path: Path) -> None:
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ConvotronError, match=r"real numbers; got dtype object .*never loaded"):
        load_dense_npy(str(path), 8)
    (tmp_path / "text.npy").write_text("not numpy")
    with pytest.raises(ConvotronError, match=r"must be a numpy \.npy array"):
        load_dense_npy(str(tmp_path / "text.npy"), 8)
    with pytest.raises(ConvotronError, match=r"must exist and be a regular \.npy file"):
        parse_cov(f"dense:{tmp_path / 'missing.npy'}", 8)
    with pytest.raises(ConvotronError, match=r"needs a file name"):
        parse_cov("dense:", 8)


def test_check_data_estimates_sigma_and_prints_plugin_intervals(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 8)) @ np.linalg.cholesky(AR).T
    path = tmp_path / "rows.npz"
    np.savez(path, X=X)
    status, text, _ = _run(["check", "--scheme", "1d:8,4,2", "--data", str(path)])
    assert status == 0
    assert "Σ estimated from the 4000 rows" in text and "plug-in constants from 4000 rows" in text
    assert "95% CI" in text and "eta_conservative" in text
    # the verdict is for Σ̂ = XᵀX/m: its λ_min(M) equals the plug-in λ_min
    status, out, _ = _run(["check", "--scheme", "1d:8,4,2", "--data", str(path), "--json"])
    obj = json.loads(out)
    S = X.T @ X / len(X)
    P = sum(np.eye(8)[row] for row in [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]])
    lam = np.linalg.eigvalsh(P @ S @ P.T)[0]
    assert obj["lambda_min"] == pytest.approx(lam, rel=1e-9)
    assert obj["data"]["plugin"]["lambda_min"]["value"] == pytest.approx(lam, rel=1e-9)
    assert obj["data"]["rows"] == 4000


def test_check_data_errors(tmp_path: Path) -> None:
    np.savez(tmp_path / "wrong.npz", X=np.ones((10, 5)))
    np.savez(tmp_path / "noX.npz", y=np.ones(10))
    for argv, message in (
        (["--data", str(tmp_path / "wrong.npz")], "X must have shape (m, n) with n=8"),
        (["--data", str(tmp_path / "noX.npz")], "must contain the array X"),
        (["--data", str(tmp_path / "none.npz")], "must name an existing .npz file"),
        (["--data", str(tmp_path / "wrong.npz"), "--cov", "ar1:0.5"], "--cov must be left out"),
    ):
        status, _out, err = _run(["check", "--scheme", "1d:8,4,2", *argv])
        assert status == 2 and message in err and "Traceback" not in err, (argv, err)
