"""``convotron check`` and ``convotron bounds``: exit statuses, JSON keys, values, errors.

Values are compared with independent computations (numpy eigenvalues of PPᵀ built from the
indices, the closed forms of the specification), not with the code under test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from convotron.cli import main
from convotron_theory.claims import display_name

CHECK_KEYS = {
    "n", "r", "k", "lambda_min", "lambda_max", "condition_holds", "certificate",
    "lemma_lower_bound", "lemma_upper_bound", "kernel_direction",
}  # fmt: skip
BOUNDS_KEYS = {"lambda_min", "a", "beta", "rho", "eta", "T", "samples", "formulas"}


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    rc = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return rc, json.loads(out)


def singular_file(tmp_path) -> str:
    path = tmp_path / "singular.json"
    path.write_text(json.dumps({"n": 2, "indices": [[0, 1], [1, 0]]}))
    return f"file:{path}"


# ------------------------------------------------------------------------------- check
@pytest.mark.claim("lem-1d")
def test_check_known_scheme_json(capsys) -> None:
    """n=16, r=4, d=2 (k=7), Σ = I: λ_min = 1, λ_max = 13 (spec §7), the lemma exactly (d = r/2)."""
    rc, obj = run_json(capsys, "check", "--scheme", "1d:16,4,2")
    assert rc == 0
    assert CHECK_KEYS <= obj.keys()
    assert (obj["n"], obj["r"], obj["k"]) == (16, 4, 7)
    assert obj["lambda_min"] == pytest.approx(1.0) and obj["lambda_max"] == pytest.approx(13.0)
    assert obj["condition_holds"] is True and obj["certificate"] == "exact"
    assert obj["lemma_lower_bound"] == 1.0 and obj["lemma_upper_bound"] == 13.0
    assert obj["kernel_direction"] is None


def test_check_text_shows_certificate_and_lemma(capsys) -> None:
    assert main(["check", "--scheme", "1d:64,8,2"]) == 0
    out = capsys.readouterr().out
    assert "HOLDS, certified exactly" in out
    assert f"lemma lem-1d [{display_name('lem-1d')}]: 1/2 <= lambda_min" in out
    assert "exact: lambda_min = 2 - sqrt(2)" in out  # spec §7: 2 − √2


def test_check_fails_with_kernel_direction(capsys, tmp_path) -> None:
    spec = singular_file(tmp_path)
    rc, obj = run_json(capsys, "check", "--scheme", spec)
    assert rc == 1 and obj["condition_holds"] is False
    w = np.array(obj["kernel_direction"])
    M = np.array([[2.0, 2.0], [2.0, 2.0]])  # P = [[1,1],[1,1]], M = PPᵀ
    assert np.linalg.norm(M @ w) < 1e-12 and np.linalg.norm(w) > 0.5
    assert obj["lemma_lower_bound"] is None and obj["lemma_upper_bound"] is None
    assert main(["check", "--scheme", spec]) == 1
    out = capsys.readouterr().out
    assert "FAILS" in out and "kernel direction w = [" in out


def test_check_lemma_null_when_hypotheses_fail(capsys) -> None:
    """k = 3 < ⌈r/d⌉ = 8: no lemma bound is reported, the condition still holds."""
    rc, obj = run_json(capsys, "check", "--scheme", "1d:10,8,1")
    assert rc == 0 and obj["lemma_lower_bound"] is None and obj["lemma_upper_bound"] is None
    P = np.zeros((8, 10))
    for i in range(3):
        P[np.arange(8), i + np.arange(8)] += 1
    ev = np.linalg.eigvalsh(P @ P.T)
    assert obj["lambda_min"] == pytest.approx(ev[0]) and obj["lambda_max"] == pytest.approx(ev[-1])


def test_check_ar1_numeric_matches_dense(capsys) -> None:
    rc, obj = run_json(capsys, "check", "--scheme", "1d:39,6,3", "--cov", "ar1:0.5")
    assert rc == 0
    n, r, d = 39, 6, 3
    k = (n - r) // d + 1
    P = np.zeros((r, n))
    for i in range(k):
        P[np.arange(r), i * d + np.arange(r)] += 1
    S = 0.5 ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    ev = np.linalg.eigvalsh(P @ S @ P.T)
    assert obj["lambda_min"] == pytest.approx(ev[0], rel=1e-9)
    assert obj["lambda_max"] == pytest.approx(ev[-1], rel=1e-9)


# ------------------------------------------------------------------------------ bounds
def _beta_by_moment_tensor(n: int, indices, kappa: float) -> float:
    """λ_max of u ↦ (1/k) Σ_i E[(uᵀP_i x)² ‖Px‖²] for x with iid standardised coordinates.

    Independent of convotron_theory.second_moment: the fourth-moment tensor E[x_a x_b x_c x_d]
    (three pairings plus (κ − 3) on the diagonal) contracted by brute force.
    """
    idx = np.asarray(indices)
    k, r = idx.shape
    eye = np.eye(n)
    E4 = (
        np.einsum("ab,cd->abcd", eye, eye)
        + np.einsum("ac,bd->abcd", eye, eye)
        + np.einsum("ad,bc->abcd", eye, eye)
    )
    E4[np.arange(n), np.arange(n), np.arange(n), np.arange(n)] += kappa - 3.0
    Pi = np.zeros((k, r, n))
    for i in range(k):
        Pi[i, np.arange(r), idx[i]] = 1.0
    P = Pi.sum(axis=0)
    Q = P.T @ P  # ‖Px‖² = xᵀQx
    K = np.einsum("iua,ivb,cd,abcd->uv", Pi, Pi, Q, E4) / k
    return float(np.linalg.eigvalsh(K)[-1])


def _stride_indices(n: int, r: int, d: int) -> np.ndarray:
    return np.array([i * d + np.arange(r) for i in range((n - r) // d + 1)])


@pytest.mark.claim("cor-realizable")
@pytest.mark.claim("lem-exact-k")
def test_bounds_defaults_match_closed_forms(capsys) -> None:
    """Σ = I Gaussian: a = λ_min/k, β = λ_max(K) (exact), η = a/(2β), T = ⌈4β/a² ln(1/(εδ))⌉.

    λ_max(K) = 246/7 for 1d:16,4,2 (checked against the brute-force moment tensor); the
    closed form rk + 2λ_max(PPᵀ) = 54 is reported as beta_closed with its own T.
    """
    rc, obj = run_json(capsys, "bounds", "--scheme", "1d:16,4,2")
    assert rc == 0 and BOUNDS_KEYS <= obj.keys()
    a, beta = 1 / 7, 246 / 7
    assert _beta_by_moment_tensor(16, _stride_indices(16, 4, 2), 3.0) == pytest.approx(
        beta, rel=1e-12
    )
    assert obj["beta_rule"] == "exact" and obj["beta_exact"] == pytest.approx(beta, rel=1e-12)
    assert obj["a"] == pytest.approx(a) and obj["beta"] == pytest.approx(beta, rel=1e-12)
    assert obj["rho"] == 0 and obj["eta"] == pytest.approx(a / (2 * beta))
    assert obj["T"] == math.ceil(4 * beta / a**2 * math.log(1 / (0.01 * 0.1))) == 47581
    assert obj["samples"] == obj["T"]
    assert obj["formulas"]["eta"].startswith(r"\eta =") and r"\lceil" in obj["formulas"]["T"]
    closed = 4 * 7 + 2 * 13
    assert obj["beta_closed_rule"] == "gaussian" and obj["beta_closed"] == pytest.approx(closed)
    assert obj["T_closed"] == math.ceil(4 * closed / a**2 * math.log(1 / (0.01 * 0.1))) == 73112
    assert obj["eta_closed"] == pytest.approx(a / (2 * closed)) and obj["beta_note"] == ""


@pytest.mark.claim("cor-noisy")
def test_bounds_noisy_independent(capsys) -> None:
    rc, obj = run_json(
        capsys, "bounds", "--scheme", "1d:16,4,2", "--noise", "0.1", "--eps", "0.05",
        "--delta", "0.2", "--alpha", "0.5", "--w-norm", "2",
    )  # fmt: skip
    assert rc == 0
    a, beta, rho = 1.5 / 7, 54.0, 0.01 * 28
    eta = min(a / (2 * beta), 0.05 * 0.2 * a / (4 * rho))
    T = math.ceil(max(4 * beta / a**2, 8 * rho / (0.01 * a**2)) * math.log(2 * 4 / 0.01))
    assert obj["rho"] == pytest.approx(rho) and obj["eta"] == pytest.approx(eta)
    assert obj["T"] == T and obj["realizable"] is False


def test_bounds_rademacher_uses_an_admissible_rule(capsys) -> None:
    """Rademacher, Σ = I: bounded β = λ_max(PPᵀ)·n and fourth-moment β = λ_max(PPᵀ)·n²."""
    rc, obj = run_json(capsys, "bounds", "--scheme", "1d:16,4,2", "--dist", "rademacher")
    assert rc == 0
    assert obj["beta_candidates"]["bounded"] == pytest.approx(13 * 16)
    assert obj["beta_candidates"]["fourth-moment"] == pytest.approx(13 * 256)
    assert obj["beta_closed_rule"] == "bounded" and obj["beta_closed"] == pytest.approx(13 * 16)
    exact = _beta_by_moment_tensor(16, _stride_indices(16, 4, 2), 1.0)
    assert obj["beta_rule"] == "exact" and obj["beta"] == pytest.approx(exact, rel=1e-12)
    assert obj["beta"] == pytest.approx(220 / 7, rel=1e-12)  # 31.43 against 208


@pytest.mark.claim("thm-disjoint")
def test_bounds_disjoint_patch(capsys) -> None:
    rc, obj = run_json(capsys, "bounds", "--scheme", "1d:12,3,3", "--only-patch", "1")
    assert rc == 0 and obj["claim"] == "thm-disjoint"
    assert obj["beta"] == pytest.approx(3 + 2 / 4) and obj["a"] == pytest.approx(1 / 4)
    rc, obj = run_json(capsys, "bounds", "--scheme", "1d:12,4,2", "--only-patch", "0")
    assert rc == 1 and any("thm-disjoint" in v for v in obj["violations"])


def test_bounds_violations_exit_1(capsys, tmp_path) -> None:
    rc, obj = run_json(capsys, "bounds", "--scheme", "1d:8,4,2", "--dist", "exponential")
    assert rc == 1 and obj["applies"] is False
    assert "lem-symmetric" in obj["violations"][0]
    rc, obj = run_json(capsys, "bounds", "--scheme", singular_file(tmp_path))
    assert rc == 1 and obj["T"] is None and obj["samples"] is None
    assert "thm-convotron" in obj["violations"][0] and "kernel direction" in obj["violations"][0]
    assert main(["bounds", "--scheme", singular_file(tmp_path)]) == 1
    assert "hypotheses FAIL" in capsys.readouterr().out


def test_bounds_text_shows_formulas_and_values(capsys) -> None:
    assert main(["bounds", "--scheme", "1d:16,4,2"]) == 0
    out = capsys.readouterr().out
    assert "η = a/(2β) = 0.00203252" in out
    assert "T = ⌈(4β/a²) ln(‖w*‖²/(εδ))⌉ = 47581" in out
    assert "best closed form (gaussian" in out and "β = 54, giving η = 0.00132275, T = 73112" in out
    assert "explicit-constant version of GKM18's main theorem" in out


# ------------------------------------------------------------------ verdicts (issue 19)
REPRO = ["--scheme", "1d:60,8,2", "--cov", "ar1:0.99999937"]
#: n = 1000: the float certificate cannot resolve λ_min ≈ 3.5e-7, the lemma proves it
LEMMA = ["--scheme", "1d:1000,8,2", "--cov", "ar1:0.99999937"]


def test_check_issue_19_reproduction_holds(capsys) -> None:
    """Printed FAILS while proving λ_min >= 63/399999874; the true λ_min is 3.4656e-7."""
    assert main(["check", *REPRO]) == 0
    out = capsys.readouterr().out
    assert "HOLDS, verified in floating point" in out
    assert "FAILS" not in out and "kernel direction" not in out
    assert "lambda_min >= 1.575e-07 (lemma lem-cov-transfer: 63/399999874)" in out
    assert main(["check", *REPRO, "--exact"]) == 0
    assert "HOLDS, certified exactly" in capsys.readouterr().out


def test_check_holds_by_the_lemma_below_the_float_resolution(capsys) -> None:
    assert main(["check", *LEMMA]) == 0
    out = capsys.readouterr().out
    assert (
        f"HOLDS, proven by the lemma lem-cov-transfer [{display_name('lem-cov-transfer')}]: "
        "lambda_min(M) >= 63/399999874 > 0"
    ) in out
    assert "the verified float certificate could not resolve it" in out
    # the note names the flag once, in plain words (issue 24: "no exact certificate: no
    # --exact certifies exactly only for r ≤ 64…")
    assert "by default the exact LDLᵀ is tried only for r <= 64" in out
    assert "pass --exact to force it" in out and "no --exact" not in out
    rc, obj = run_json(capsys, "check", *LEMMA)
    assert (rc, obj["verdict"], obj["proof"]) == (0, "HOLDS", "lemma lem-cov-transfer")
    assert obj["certificate"] == "lemma" and obj["condition_holds"] is True
    assert obj["lambda_min_lower_bound"] == pytest.approx(63 / 399999874, rel=1e-15)


def test_bounds_use_the_lemma_bound_when_only_the_lemma_proves(capsys) -> None:
    rc, obj = run_json(capsys, "bounds", *LEMMA)
    low = 63 / 399999874
    assert rc == 0 and obj["applies"] is True and obj["verdict"] == "HOLDS"
    assert obj["lambda_min_used"] == pytest.approx(low, rel=1e-15)
    assert obj["lambda_min_used"] <= low  # rounded down: the float itself is proven
    assert obj["a"] == pytest.approx(low / 497, rel=1e-15)  # a = (1+α) λ_min / k, k = 497
    assert "proven lower bound" in obj["lambda_min_note"]
    assert obj["eta"] == pytest.approx(obj["a"] / (2 * obj["beta"]), rel=1e-12)
    main(["bounds", *LEMMA])
    assert "λ_min used = 1.575e-07: λ_min(M) is the proven lower bound" in (capsys.readouterr().out)
    rc, obj = run_json(capsys, "bounds", *REPRO)  # decided by the float certificate
    assert rc == 0 and obj["lambda_min_used"] == obj["lambda_min"] and not obj["lambda_min_note"]


def _undecided_file(tmp_path) -> str:
    # 1D stride scheme r = 8, d = 2 on n = 2100 > 2048 inputs, as a file (no geometry, so no
    # lemma): with ρ = 0.99999937 the float certificate cannot resolve λ_min ≈ 3.5e-7 and
    # the exact LDLᵀ is out of reach (non-identity Σ with n > 2048)
    n, r, d = 2100, 8, 2
    rows = [[i * d + a for a in range(r)] for i in range((n - r) // d + 1)]
    path = tmp_path / "near.json"
    path.write_text(json.dumps({"n": n, "indices": rows}))
    return f"file:{path}"


def test_check_undecided_exits_4_and_says_what_would_decide(capsys, tmp_path) -> None:
    spec = _undecided_file(tmp_path)
    rc, obj = run_json(capsys, "check", "--scheme", spec, "--cov", "ar1:0.99999937")
    assert (rc, obj["verdict"], obj["proof"], obj["certificate"]) == (4, "UNDECIDED", None, "none")
    assert obj["condition_holds"] is False and obj["kernel_direction"] is None
    assert "higher precision" in obj["to_decide"] and "n = 2100 > 2048" in obj["to_decide"]
    sides = {b["side"] for b in obj["proved_bounds"]}
    assert sides == {"lower", "upper"}  # every proven bound is given
    assert main(["check", "--scheme", spec, "--cov", "ar1:0.99999937"]) == 4
    out = capsys.readouterr().out
    assert (
        "(thm-convotron [Theorem 1 (Convotron learns the filter)]): UNDECIDED, undecided: "
        "no proof either way"
    ) in out
    assert "to decide it: the float certificate resolves lambda_min only above" in out
    rc, obj = run_json(capsys, "bounds", "--scheme", spec, "--cov", "ar1:0.99999937")
    assert rc == 1 and obj["verdict"] == "UNDECIDED" and obj["applies"] is False
    assert (obj["a"], obj["eta"], obj["T"]) == (0.0, 0.0, None)
    assert "is not proven for this scheme (UNDECIDED" in obj["violations"][0]


def test_check_help_documents_every_exit_status(capsys) -> None:
    assert main(["check", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status 0 HOLDS, 1 FAILS, 4 UNDECIDED, 2 on bad input." in out


def test_bounds_singular_scheme_eta_is_zero_not_nan(capsys, tmp_path) -> None:
    """Issue 24: λ_min = 0 printed "η = a/(2β) = nan"; a = 0 so η = 0, and T is infinite."""
    assert main(["bounds", "--scheme", singular_file(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "η = a/(2β) = 0    [cor-realizable: Corollary 1 (realizable case)]" in out
    assert "nan" not in out
    assert "T = ⌈(4β/a²) ln(‖w*‖²/(εδ))⌉ = inf" in out
    assert "condition λ_min > 0 FAILS: exact kernel witness" in out


BAD = [
    (["--alpha", "2"], r"^[^:]*: error: --alpha \(the leaky-ReLU slope\) must be .*; got 2\.0\. "),
    (["--eps", "x"], r"--eps \(the target squared error\) must be a finite number > 0; got 'x'\. "),
    (["--delta", "0"], r"--delta \(the failure probability\) must be a number in \(0, 1\]; got 0"),
    (["--w-norm", "inf"], r"--w-norm \(the norm of w\*\) must be a finite number > 0; got inf\. "),
    (["--only-patch", "7"], r"--only-patch \(the disjoint patch\) must be .* < 7; got 7\. "),
    (["--only-patch", "a"], r"--only-patch \(the disjoint patch\) must be .*; got 'a'\. "),
    (["--dist", "cauchy"], r"unknown input law 'cauchy'"),
]


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["bounds", "--scheme", "1d:16,4,2", *a], m) for a, m in BAD]
    + [(["check", "--scheme", "1d:3,4,1"], r"r <= n is required; got r=4, n=3")],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message) -> None:
    import re

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err


def test_subprocess_exit_statuses() -> None:
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from convotron.cli import main; sys.exit(main())",
                *argv,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    bad = run("check", "--scheme", "1d:16,4,0")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("convotron check: error: ")


# ----------------------------------------------- glue.parameters: E‖x‖⁴, tr Σ²
@pytest.mark.claim("lem-beta")
def test_fourth_moment_of_the_norm_exact_and_bound() -> None:
    """E‖x‖⁴ = (tr Σ)² + 2 tr Σ² + (κ−3) Σ_j G_jj², G = LᵀL: exact for diagonal L, a bound else."""
    from convotron.data.covariance import AR1, Diagonal, Identity
    from convotron.glue.moments import fourth_moment_norm, trace_sigma_squared

    n = 9
    assert fourth_moment_norm(Identity(n), 1.0) == (n * n, True)  # Rademacher: ‖x‖² = n
    assert fourth_moment_norm(Identity(n), 3.0) == (n * n + 2 * n, True)  # χ²_n second moment
    d = np.linspace(0.5, 2.0, n)
    value, exact = fourth_moment_norm(Diagonal(d), 9 / 5)
    assert exact and value == pytest.approx(d.sum() ** 2 + 2 * (d @ d) + (9 / 5 - 3) * (d @ d))
    cov = AR1(n, 0.6)
    S = cov.dense()
    assert trace_sigma_squared(cov) == pytest.approx(np.sum(S * S), rel=1e-12)
    Lt = cov.transform(np.eye(n))  # rows are (L e_j)ᵀ, so this is Lᵀ
    G = Lt @ Lt.T
    np.testing.assert_allclose(Lt.T @ Lt, S, atol=1e-12)
    for kappa in (1.0, 9 / 5, 3.0, 9.0):
        exact_value = np.trace(S) ** 2 + 2 * np.sum(S * S) + (kappa - 3) * np.sum(np.diag(G) ** 2)
        bound, is_exact = fourth_moment_norm(cov, kappa)
        assert not is_exact and bound >= exact_value * (1 - 1e-12)


# ------------------------------------------------------------ check --data: Σ̂ = XᵀX/m exactly
def test_exact_sigma_is_xtx_over_m_in_rationals() -> None:
    """Against Fractions of every float, including subnormals, zeros, signs and magnitudes
    2^±300 apart in one matrix."""
    from fractions import Fraction

    from convotron.cli.check import _exact_sigma

    rng = np.random.default_rng(5)
    X = rng.standard_normal((7, 4)) * np.array([1.0, 2.0**300, 2.0**-300, 1.0])
    X[2, 3], X[4, 0], X[5, 1] = 0.0, 5e-324, -3.3e-310  # zero, subnormals
    S = _exact_sigma(X)
    F = [[Fraction(float(v)) for v in row] for row in X]
    want = [[sum(r[a] * r[b] for r in F) / 7 for b in range(4)] for a in range(4)]
    assert S.shape == (4, 4) and [[S[a, b] for b in range(4)] for a in range(4)] == want
    assert all(isinstance(v, Fraction) for v in S.ravel())
    assert (_exact_sigma(np.zeros((3, 2))) == 0).all()
    # values of one scale: the shifts are small and every product must stay a Python int
    X = rng.standard_normal((9, 3))
    F = [[Fraction(float(v)) for v in row] for row in X]
    S = _exact_sigma(X)
    assert all(S[a, b] == sum(r[a] * r[b] for r in F) / 9 for a in range(3) for b in range(3))


def _rows_file(tmp_path, X) -> str:
    path = tmp_path / "rows.npz"
    np.savez(path, X=X)
    return str(path)


def test_check_data_with_fewer_rows_than_r_fails_exactly(capsys, tmp_path, monkeypatch) -> None:
    """Three rows for r = 4: M̂ = P Σ̂ Pᵀ = (XPᵀ)ᵀ(XPᵀ)/m has rank <= 3, so the condition
    fails, as the plug-in line printed beside the verdict says. Before Σ̂ was formed
    exactly, the float ``XᵀX/m``, read entry by entry as the decimals it prints as, had a
    positive definite M for 22 of the seeds 0-39 of these rows (seed 0 among them), and
    ``check`` printed HOLDS, "certified exactly"."""
    from fractions import Fraction

    import convotron.cli.check as C

    X = np.random.default_rng(0).standard_normal((3, 8))
    data = _rows_file(tmp_path, X)
    argv = ["check", "--scheme", "1d:8,4,2", "--data", data]
    rc, obj = run_json(capsys, *argv)
    assert (rc, obj["verdict"], obj["data"]["sigma_exact"]) == (1, "FAILS", True)
    u = np.array(obj["kernel_direction_exact"], dtype=object)
    assert obj["proof"] == "exact kernel witness" and u.any()
    # uᵀ M̂ u = ‖X Pᵀ u‖² / m = 0 exactly: X Pᵀ u in exact rationals
    P = np.zeros((4, 8), dtype=object)
    for i in range(3):
        for a in range(4):
            P[a, 2 * i + a] += 1
    XF = np.array([[Fraction(float(v)) for v in row] for row in X], dtype=object)
    assert not (XF.dot(P.T).dot(u)).any()
    assert isinstance(obj["data"]["plugin"], str) and "fewer rows than r" in obj["data"]["plugin"]
    # the size rule: exact up to m·n² = 3·64 = 192 products, the float Σ̂ beyond
    monkeypatch.setattr(C, "EXACT_SIGMA_MAX_PRODUCTS", 192)
    assert run_json(capsys, *argv)[1]["data"]["sigma_exact"] is True
    monkeypatch.setattr(C, "EXACT_SIGMA_MAX_PRODUCTS", 191)
    # beyond it: the float Σ̂ = XᵀX/m, and no exact LDLᵀ (it would certify the rounded
    # matrix, not the estimate): no proof either way here
    rc, obj = run_json(capsys, *argv)
    assert (rc, obj["verdict"], obj["certificate"], obj["data"]["sigma_exact"]) == (
        4, "UNDECIDED", "none", False,
    )  # fmt: skip
    Pf = P.astype(float)
    lam = np.linalg.eigvalsh(Pf @ (X.T @ X / 3) @ Pf.T)
    assert obj["lambda_max"] == pytest.approx(lam[-1], rel=1e-12)
    assert main(argv) == 4
    out = capsys.readouterr().out
    assert "formed in floating point (m·n² = 192 > 191: no exact certificate; --exact forms " in out
    # --exact forms Σ̂ exactly whatever its size
    rc, obj = run_json(capsys, *argv, "--exact")
    assert (rc, obj["verdict"], obj["data"]["sigma_exact"]) == (1, "FAILS", True)
