"""``convotron run``: outputs, options, data mode and one-line errors (exit status 2)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convotron.cli import main
from convotron.geometry.patches import parse_spec
from convotron.learning.algorithm import convotron_on_data, fit
from convotron.learning.baselines import sgd_on_data
from convotron.learning.rules import ConvotronRule
from convotron.model.problem import Teacher

SMALL = ["--scheme", "1d:16,4,2", "--eta", "0.01", "--iters", "20000"]
KEYS = {"n", "r", "k", "alpha", "eta", "iters", "w", "final_sq_error", "seconds",
        "updates_per_second"}  # fmt: skip


def run_json(capsys, *argv):
    rc = main(["run", *argv, "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_json_has_the_contract_keys_and_matches_the_library(capsys):
    obj = run_json(capsys, *SMALL, "--alpha", "0.5", "--noise", "0.1", "--seed", "3")
    assert KEYS <= obj.keys()
    assert (obj["n"], obj["r"], obj["k"], obj["alpha"]) == (16, 4, 7, 0.5)
    assert obj["eta"] == 0.01 and obj["iters"] == 20000 and obj["samples"] == 20000
    assert obj["eta_source"] == "given" and obj["algorithm"] == "convotron"
    # the same run through the library: teacher and run seeded by SeedSequence(3).spawn(2)
    t_seq, r_seq = np.random.SeedSequence(3).spawn(2)
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.5, np.random.default_rng(t_seq), noise="0.1")
    res = fit(ConvotronRule(), teacher, scheme, 0.5, eta=0.01, iters=20000,
              rng=np.random.default_rng(r_seq), w_star=teacher.w_star)  # fmt: skip
    np.testing.assert_array_equal(obj["w"], res.w)  # the fused path of a Teacher
    np.testing.assert_array_equal(obj["w_star"], teacher.w_star)
    assert obj["final_sq_error"] == pytest.approx(res.sq_error, rel=1e-12)
    assert obj["final_sq_error"] < 0.05  # learned (noise 0.1, small step)
    assert obj["history_t"][0] == 0 and obj["history_t"][-1] == 20000
    assert obj["history"][0] == pytest.approx(1.0)  # ‖w*‖ = --w-norm = 1
    assert obj["seconds"] > 0 and obj["updates_per_second"] > 0


def test_same_seed_same_run_and_different_seed_differs(capsys):
    a = run_json(capsys, *SMALL, "--seed", "1")
    b = run_json(capsys, *SMALL, "--seed", "1")
    c = run_json(capsys, *SMALL, "--seed", "2")
    assert a["w"] == b["w"] and a["w"] != c["w"]


def test_human_summary_and_plot(tmp_path, capsys):
    png = tmp_path / "curve.png"
    rc = main(["run", *SMALL, "--plot", str(png)])
    out, err = capsys.readouterr()
    assert rc == 0 and err == ""
    assert "convotron run: 1d:16,4,2 (n=16, r=4, k=7)" in out
    assert "eta=0.01 (given), T=20000 updates" in out and "final ‖w − w*‖² =" in out
    assert f"convergence curve written to {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png"]  # atomic: no leftovers


def test_variants_batch_only_patch_and_sgd(capsys):
    obj = run_json(capsys, "--scheme", "1d:16,4,4", "--eta", "0.01", "--iters", "500",
                   "--batch", "4", "--only-patch", "2")  # fmt: skip
    assert obj["batch"] == 4 and obj["samples"] == 2000 and obj["iters"] == 500
    assert obj["only_patch"] == 2 and obj["only_patch_disjoint"] is True
    overlapping = run_json(capsys, "--scheme", "1d:16,4,2", "--eta", "0.01", "--iters", "50",
                           "--only-patch", "3")  # fmt: skip
    assert overlapping["only_patch_disjoint"] is False
    stuck = run_json(capsys, *SMALL[:2], "--algorithm", "sgd", "--eta", "0.05", "--iters", "300")
    assert stuck["algorithm"] == "sgd" and stuck["init"] == "zero" and stuck["w"] == [0.0] * 4
    moving = run_json(capsys, *SMALL[:2], "--algorithm", "sgd", "--init", "random", "--eta",
                      "0.05", "--iters", "300")  # fmt: skip
    assert moving["init"] == "random" and moving["w"] != [0.0] * 4


def _dataset(tmp_path, with_w_star=True, **extra):
    scheme = parse_spec("1d:12,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(5), noise="0.05")
    X, y = teacher.sample(np.random.default_rng(6), 3000)
    arrays = {"X": X, "y": y, **({"w_star": teacher.w_star} if with_w_star else {})}
    arrays.update(extra)
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path, scheme, X, y, teacher.w_star


def test_data_mode_runs_once_over_the_rows(tmp_path, capsys):
    path, scheme, X, y, w_star = _dataset(tmp_path)
    obj = run_json(capsys, "--scheme", "1d:12,4,2", "--data", str(path), "--eta", "0.01",
                   "--batch", "2")  # fmt: skip
    res = convotron_on_data(X, y, scheme, 0.0, eta=0.01, batch=2, w_star=w_star)
    np.testing.assert_array_equal(obj["w"], res.w)
    assert obj["iters"] == 1500 and obj["iters_source"] == "data"
    assert obj["final_sq_error"] == pytest.approx(res.sq_error, rel=1e-12)
    assert obj["dist"] is None and obj["data"] == str(path)
    sgd_obj = run_json(capsys, "--scheme", "1d:12,4,2", "--data", str(path), "--eta", "0.01",
                       "--algorithm", "sgd", "--init", "random", "--seed", "4")  # fmt: skip
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(2)[1])
    ref = sgd_on_data(X, y, scheme, 0.0, lr=0.01, init="random", rng=rng)
    np.testing.assert_array_equal(sgd_obj["w"], ref.w)
    path2, *_ = _dataset(tmp_path, with_w_star=False)
    no_star = run_json(capsys, "--scheme", "1d:12,4,2", "--data", str(path2), "--eta", "0.01")
    assert no_star["final_sq_error"] is None and no_star["history"] is None
    rc = main(["run", "--scheme", "1d:12,4,2", "--data", str(path2), "--eta", "0.01"])
    assert rc == 0 and "unknown (no w_star in the data)" in capsys.readouterr().out


def test_eta_auto_takes_the_theorem_values(capsys):
    from convotron.glue.parameters import theorem_parameters
    from convotron.model.problem import Problem

    obj = run_json(capsys, "--scheme", "1d:8,4,4", "--iters", "10")
    problem = Problem.from_specs("1d:8,4,4", 0.0, "gaussian", "identity", "0")
    p = theorem_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0)
    assert obj["eta"] == pytest.approx(float(p.eta)) and obj["eta_source"] == "auto"
    assert obj["theorem"]["T"] == pytest.approx(float(p.T))


BAD = [
    (["--scheme", "1d:8,9,1"], r"a patch cannot be larger than the input: .*got r=9, n=8"),
    (
        ["--alpha", "2"],
        r"error: --alpha \(the leaky-ReLU slope\) must be a number in \[0, 1\]; got 2",
    ),
    (["--alpha", "x"], r"alpha .* got 'x'"),
    (["--dist", "cauchy"], r"unknown input law 'cauchy'"),
    (
        ["--cov", "ar1:2"],
        r"rho \(the AR\(1\) correlation;.*\) must be a number in \(-1, 1\); "
        r"got 2",
    ),
    (["--noise", "loud"], r"the noise spec 'loud' needs a number S >= 0"),
    (["--eta", "-1"], r"--eta must be a number > 0 or 'auto'; got '-1'\. Pass a positive step"),
    (
        ["--eta", "auto", "--algorithm", "sgd"],
        r"--eta auto is the theorem's step size for "
        r"Convotron.*--eta 0.01",
    ),
    (["--iters", "0"], r"--iters must be an integer >= 1; got '0'"),
    (["--seed", "-1"], r"--seed must be an integer >= 0; got '-1'"),
    (["--batch", "0"], r"--batch must be an integer >= 1; got '0'"),
    (["--only-patch", "99"], r"--only-patch must be a patch number in 0..28 \(k=29\); got 99"),
    (["--only-patch", "1", "--algorithm", "sgd"], r"--only-patch is a variant of Convotron"),
    (["--init", "random"], r"--init applies to --algorithm sgd only.*got --init random"),
    (["--eps", "0"], r"--eps must be a number > 0; got '0'"),
    # (0, 1] as in convotron bounds and convotron_theory.notation (delta = 1 is allowed, if vacuous)
    (["--delta", "1.5"], r"--delta must be a number in \(0, 1\]; got '1\.5'"),
    (["--w-norm", "nan"], r"--w-norm must be a number > 0; got 'nan'"),
    (["--plot", "/nonexistent-dir/x.png"], r"the folder of the --plot file must exist"),
    (["--eta", "1000", "--iters", "100000"], r"convotron diverged: .* --eta 1000.*--eta auto"),
]


@pytest.mark.parametrize(("argv", "match"), BAD)
def test_bad_options_exit_2_with_one_line(argv, match, capsys):
    full = ["run", "--eta", "0.01", "--iters", "10", *argv]
    assert main(full) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("convotron run: error: ")
    assert re.search(match, err), err


def test_sgd_without_eta_names_the_missing_option(capsys):
    """The default --eta (auto) is Convotron's; SGD must be told its learning rate."""
    assert main(["run", "--scheme", "1d:16,4,2", "--algorithm", "sgd", "--iters", "10"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert re.search(r"--eta is required with --algorithm sgd .*got no --eta\. Pass", err), err
    # and plain Convotron on a teacher still defaults to the theorem's step size
    obj = run_json(capsys, "--scheme", "1d:16,4,2", "--iters", "10")
    assert obj["eta_source"] == "auto"


def test_bad_data_files(tmp_path, capsys):
    def check(path, match, *extra):
        assert main(["run", "--scheme", "1d:12,4,2", "--data", str(path), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and re.search(match, err), err

    check(tmp_path / "missing.npz", r"--data must name an existing \.npz file; got .*missing",
          "--eta", "0.1")  # fmt: skip
    path, *_ = _dataset(tmp_path)
    check(path, r"--iters does not apply with --data.*got --iters 5", "--eta", "0.1",
          "--iters", "5")  # fmt: skip
    check(path, r"--eta auto with --data estimates the constants of Algorithm 1.*--only-patch 1",
          "--eta", "auto", "--only-patch", "1")  # fmt: skip
    # without --eta the default (auto) does not apply to a dataset: the message says so
    check(path, r"--eta is required with --data .*got no --eta\. Pass a step size.*--eta auto")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    check(junk, r"--data must be a numpy \.npz archive \(a zip file\); got .*junk\.npz', which "
          r"is not a zip archive\. Save one", "--eta", "0.1")  # fmt: skip
    np.save(tmp_path / "plain.npy", np.zeros(3))  # a .npy, not an .npz
    check(tmp_path / "plain.npy", r"is not a zip archive", "--eta", "0.1")
    np.savez(tmp_path / "noy.npz", X=np.zeros((3, 12)))
    check(tmp_path / "noy.npz", r"lacks y \(it has \['X'\]\)", "--eta", "0.1")
    np.savez(tmp_path / "shape.npz", X=np.zeros((3, 10)), y=np.zeros(3))
    check(tmp_path / "shape.npz", r"X must have shape \(T, n\) with n=12.*got shape \(3, 10\)",
          "--eta", "0.1")  # fmt: skip
    X = np.zeros((3, 12))
    X[1, 4] = np.nan
    np.savez(tmp_path / "nan.npz", X=X, y=np.zeros(3))
    check(tmp_path / "nan.npz", r"X must be finite.*first row 1", "--eta", "0.1")
    np.savez(tmp_path / "ws.npz", X=np.zeros((3, 12)), y=np.zeros(3), w_star=np.ones(5))
    check(tmp_path / "ws.npz", r"w_star must be a finite vector of shape \(r,\) = \(4,\)",
          "--eta", "0.1")  # fmt: skip
    np.savez(tmp_path / "wsnan.npz", X=np.zeros((3, 12)), y=np.zeros(3),
             w_star=np.array([1.0, np.nan, 0.0, 0.0]))  # fmt: skip
    check(tmp_path / "wsnan.npz", r"w_star must be a finite vector .*got nan at position 1 "
          r"\(1 non-finite", "--eta", "0.1")  # fmt: skip
    np.savez(tmp_path / "ny.npz", X=np.zeros((4, 12)), y=np.zeros(3))
    check(tmp_path / "ny.npz", r"y must have shape \(T,\) = \(4,\)", "--eta", "0.1")
    path2, *_ = _dataset(tmp_path, with_w_star=False)
    check(path2, r"--plot draws ‖w_t − w\*‖², which needs w\*", "--eta", "0.1", "--plot",
          str(tmp_path / "p.png"))  # fmt: skip
    assert not (tmp_path / "p.png").exists()


_ENTRY = "import sys; from convotron.cli import main; sys.exit(main())"


def _subprocess(*argv):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    script = Path(sys.executable).parent / "convotron"  # the installed console script
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", _ENTRY]
    return subprocess.run([*cmd, "run", *argv],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip


def test_subprocess_json_and_error():
    ok = _subprocess("--scheme", "1d:8,4,2", "--eta", "0.01", "--iters", "100", "--json")
    assert ok.returncode == 0, ok.stderr
    obj = json.loads(ok.stdout)
    assert KEYS <= obj.keys() and obj["iters"] == 100
    bad = _subprocess("--scheme", "1d:8,4,2", "--alpha", "-3")
    assert bad.returncode == 2
    assert bad.stdout == "" and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr and "alpha" in bad.stderr


class _FakeParameters:
    """Stands in for theorem_parameters: records its arguments, returns fixed parameters."""

    def __init__(self, applies=True):
        from convotron.glue.parameters import theorem_parameters

        self.calls = []
        self.applies = applies
        self.real = theorem_parameters

    def __call__(self, problem, *, eps, delta, w_norm, only_patch):
        self.calls.append((problem.scheme.spec, problem.alpha, problem.law.name,
                           problem.cov.name, problem.noise.kind, eps, delta, w_norm,
                           only_patch))  # fmt: skip
        real = self.real(problem, eps=eps, delta=delta, w_norm=w_norm)
        violations = () if self.applies else ("lambda_min(P Σ Pᵀ) = 0 (thm-convotron)",)
        return real.replace(
            violations=violations,
            eta=0.0123, T=456.2, lambda_min=0.5, a=0.1, beta=40.0, rho=0.0,
        )  # fmt: skip


def test_auto_uses_the_theorem_values_and_passes_the_problem(monkeypatch, tmp_path, capsys):
    from convotron.glue import parameters

    fake = _FakeParameters()
    monkeypatch.setattr(parameters, "theorem_parameters", fake)
    png = tmp_path / "auto.png"
    obj = run_json(capsys, "--scheme", "1d:16,4,4", "--eta", "auto", "--iters", "auto",
                   "--alpha", "0.5", "--cov", "ar1:0.3", "--noise", "uniform:0.1", "--eps",
                   "0.02", "--delta", "0.2", "--w-norm", "2", "--only-patch", "1",
                   "--plot", str(png))  # fmt: skip
    assert fake.calls == [("1d:16,4,4", 0.5, "gaussian", "ar1:0.3",
                           "uniform", 0.02, 0.2, 2.0, 1)]  # fmt: skip
    assert obj["eta"] == 0.0123 and obj["iters"] == 457
    assert obj["eta_source"] == obj["iters_source"] == "auto"
    assert obj["theorem"] == {"lambda_min": 0.5, "a": 0.1, "beta": 40.0, "rho": 0.0,
                              "eta": 0.0123, "T": 456.2}  # fmt: skip
    assert png.read_bytes()[:4] == b"\x89PNG"
    mixed = run_json(capsys, "--scheme", "1d:16,4,4", "--iters", "30")  # eta auto by default
    assert mixed["eta"] == 0.0123 and mixed["iters"] == 30 and mixed["iters_source"] == "given"
    fake.applies = False
    assert main(["run", "--scheme", "1d:16,4,4", "--iters", "30"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"its hypotheses fail for this problem: lambda_min\(P Σ Pᵀ\) = 0 "
                     r"\(thm-convotron\)\. Pass --eta X and --iters N", err)  # fmt: skip


# --------------------------------------------------------------------------- stopped early


README_SAVE = ["--scheme", "conv1d:2,33,5,stride=3,padding=2", "--iters", "20000"]


def test_a_run_that_stops_before_T_and_above_eps_says_so(tmp_path, capsys):
    """Issue 24 item 3: the README's --save-filter example ends far from w* and must say so."""
    from convotron.glue.parameters import theorem_parameters
    from convotron.model.problem import Problem

    obj = run_json(capsys, *README_SAVE)
    p = theorem_parameters(Problem.from_specs(README_SAVE[1]), eps=0.01, delta=0.1, w_norm=1.0)
    T = float(p.T)
    stop = obj["stop"]
    assert (stop["T"], stop["T_source"], stop["before_T"], stop["above_eps"]) == (
        T,
        "theorem",
        True,
        True,
    )
    assert obj["final_sq_error"] > 0.01
    assert stop["notes"] == [
        f"the run stopped after 20,000 updates, before the theorem's T = {math.ceil(T):,} for "
        "eps = 0.01, delta = 0.1 (thm-convotron, [derived]): its guarantee E‖w_T − w*‖² <= eps "
        "does not cover this filter; --iters auto runs T updates",
        f"the final ‖w − w*‖² = {obj['final_sq_error']:.3g} is above eps = 0.01: the filter has "
        "not reached the target",
    ]
    path = tmp_path / "f.npz"
    assert main(["run", *README_SAVE, "--save-filter", str(path)]) == 0
    out = capsys.readouterr().out
    for note in stop["notes"]:
        assert f"  NOTE: {note}\n" in out
    tail = out.split(f"filter written to {path}")[1]
    assert (
        f"NOTE: this filter is from a run that stopped before the theorem's T = {math.ceil(T):,} "
        f"and ended above eps (‖w − w*‖² = {obj['final_sq_error']:.3g} > 0.01) (see above)" in tail
    )


def test_above_eps_is_decided_at_eps(capsys):
    base = run_json(capsys, *README_SAVE)["final_sq_error"]  # 0.343
    below, above = f"{base * 0.99:.6g}", f"{base * 1.01:.6g}"
    assert run_json(capsys, *README_SAVE, "--eps", below)["stop"]["above_eps"] is True
    assert run_json(capsys, *README_SAVE, "--eps", above)["stop"]["above_eps"] is False


def test_a_run_that_reaches_T_and_eps_has_no_note(capsys):
    obj = run_json(capsys, "--scheme", "1d:8,4,4", "--iters", "auto")
    assert obj["stop"]["before_T"] is False and obj["stop"]["above_eps"] is False
    assert obj["stop"]["notes"] == [] and obj["final_sq_error"] <= 0.01
    given = run_json(capsys, "--scheme", "1d:8,4,4", "--eta", "0.01", "--iters", "10")
    assert given["stop"]["T"] is None and given["stop"]["before_T"] is None
    assert given["stop"]["above_eps"] is True  # 10 updates: far from w*
    assert main(["run", "--scheme", "1d:8,4,4", "--iters", "auto"]) == 0
    assert "NOTE" not in capsys.readouterr().out


def test_data_eta_auto_stops_before_the_plug_in_T_and_says_how_far(tmp_path, capsys):
    from convotron.estimation.plugin import diagnose_step, plugin_constants

    path, scheme, X, _, _ = _dataset(tmp_path)
    obj = run_json(capsys, "--scheme", "1d:12,4,2", "--data", str(path), "--eta", "auto")
    d = diagnose_step(plugin_constants(X, scheme, 0.0), 3000, eta_name="--eta ")
    assert obj["plugin"]["diagnosis"] == json.loads(json.dumps(d.to_json()))
    assert 3000 < d.T <= 10 * 3000 and not d.far  # before T, not far beyond: a plain note
    assert obj["stop"]["T_source"] == "plug-in" and obj["stop"]["before_T"] is True
    assert obj["stop"]["T"] == d.T
    halves = run_json(capsys, "--scheme", "1d:12,4,2", "--data", str(path), "--eta", "auto",
                      "--batch", "2")  # fmt: skip
    assert halves["plugin"]["diagnosis"]["budget"] == halves["iters"] == 1500
    assert obj["stop"]["notes"][0] == (
        f"the pass made 3,000 updates, before the plug-in T = {d.T:.3g} (E‖w − w*‖² <= 1% of "
        "‖w*‖² with probability 0.9 at the plug-in constants; an estimate)"
    )
    # a common factor of all coordinates: cond(M̂) huge, T far beyond the pass: the numbers
    with np.load(path) as z:
        X2 = 0.01 * z["X"] + np.random.default_rng(7).standard_normal((3000, 1))
        np.savez(path, X=X2, y=z["y"], w_star=z["w_star"])
    far = run_json(capsys, "--scheme", "1d:12,4,2", "--data", str(path), "--eta", "auto")
    d2 = diagnose_step(plugin_constants(X2, scheme, 0.0), 3000, eta_name="--eta ")
    assert d2.far and d2.cond > 100 and far["stop"]["T"] == d2.T
    assert far["stop"]["notes"][0] == d2.message("3,000 updates of one pass over the rows")
    assert "whiten or rescale the inputs" in far["stop"]["notes"][0]
    assert f"a hand-set step, e.g. --eta {d2.eta_scale:.3g} (" in far["stop"]["notes"][0]


@pytest.mark.parametrize("scale", [1e-80, 1e-100])
def test_data_eta_auto_underflow_is_named_not_nan(tmp_path, capsys, scale):
    """Issue 23 finding 4: no [nan, nan] interval, no RuntimeWarning, no rank-deficiency blame."""
    path, *_ = _dataset(tmp_path)
    with np.load(path) as z:
        np.savez(path, X=z["X"] * scale, y=z["y"] * scale)
    assert main(["run", "--scheme", "1d:12,4,2", "--data", str(path), "--eta", "auto"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "the plug-in beta = " in err and "is not a normal float64 number" in err
    assert "the rows are not rank deficient. Rescale X" in err
    assert "nan" not in err and "RuntimeWarning" not in err
