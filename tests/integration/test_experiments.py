"""Integration tests of the experiment runners: their *conclusions* on tiny settings.

Each test runs an experiment with a tiny ``Config`` (seconds, not the CLI's --quick) and
asserts what the experiment is meant to show, plus determinism and the CLI contract.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from convotron import ConvotronError
from convotron.glue.experiments import (
    EXPERIMENTS,
    disjoint_patch,
    get_experiment,
    load_module,
    noise,
    real_images,
    run_experiment,
    scaling,
)
from convotron.glue.experiments import assumptions as assumptions_mod
from convotron.glue.experiments import sgd_vs_convotron as svc
from convotron.glue.experiments._common import Table, config_dict, loglog_slope, spawn_generators

TINY_SVC = svc.Config(
    settings=(svc.Setting("1D ReLU", "1d:8,4,2", 0.0), svc.Setting("1D leaky", "1d:8,4,2", 0.3)),
    lrs=(1e-1, 1e-3),
    inits=(("zero", 0.0), ("small random", 0.01)),
    eta_factors=(1.0, 10.0),
    iters=6000,
)
TINY_NOISE = noise.Config(levels=(0.1, 0.4), kinds=("gaussian", "hetero"), runs=4, records=100)


# --- sgd-vs-convotron -------------------------------------------------------------------


@pytest.fixture(scope="module")
def svc_result():
    return svc.run(TINY_SVC, seed=3)


def test_relu_sgd_from_zero_stays_exactly_zero_while_convotron_reaches_eps(svc_result):
    c = svc_result.conclusions
    assert c["relu_sgd_from_zero_runs"] == 2
    assert c["relu_sgd_from_zero_exactly_zero"] is True
    assert c["convotron_theorem_step_reached_eps"] == {"1D ReLU": True, "1D leaky": True}
    relu = svc_result.data["settings"][0]
    w_star_sq = float(np.sum(np.square(relu["w_star"])))
    for e in relu["sgd"]:
        if e["init"] == "zero":
            assert e["exactly_zero"] and e["final_w_norm"] == 0.0
            assert e["final_sq_error"] == pytest.approx(w_star_sq, abs=1e-12)
    conv = relu["convotron"][0]
    assert conv["factor"] == 1.0 and conv["final_sq_error"] <= TINY_SVC.eps


def test_leaky_relu_sgd_from_zero_moves(svc_result):
    """sigma'(0) = alpha > 0 (the SGD baseline's default): leaky SGD from zero is not stuck."""
    c = svc_result.conclusions
    assert c["leaky_sgd_from_zero_runs"] == 2 and c["leaky_sgd_from_zero_moved"] == 2
    leaky = svc_result.data["settings"][1]
    fast = next(e for e in leaky["sgd"] if e["init"] == "zero" and e["lr"] == 1e-1)
    assert fast["first_hit"] is not None and fast["final_sq_error"] <= TINY_SVC.eps
    notes = " ".join(svc_result.notes)
    assert "ReLU SGD from w_1 = 0 (2 runs, every learning rate): stayed exactly at w = 0" in notes
    assert "Leaky-ReLU SGD from w_1 = 0 (sigma'(0) = alpha > 0): 2/2 runs moved off" in notes


def test_sgd_from_small_random_start_moves(svc_result):
    relu = svc_result.data["settings"][0]
    moved = [e for e in relu["sgd"] if e["init"] == "small random" and e["lr"] == 1e-1]
    assert moved and moved[0]["final_sq_error"] < 1e-3  # the tuned run does learn


def test_divergent_learning_rate_is_recorded_not_raised():
    cfg = svc.Config(
        settings=(svc.Setting("1D ReLU", "1d:8,4,2", 0.0),),
        lrs=(50.0,),
        inits=(("large random", 10.0),),
        eta_factors=(1000.0,),
        iters=3000,
    )
    res = svc.run(cfg, seed=0)
    s = res.data["settings"][0]
    assert s["sgd"][0]["status"] == "diverged"
    assert s["sgd"][0]["final_sq_error"] is None
    assert s["convotron"][0]["status"] == "diverged"
    assert res.conclusions["sgd_diverged"] == 1
    json.dumps(res.to_json(), allow_nan=False)  # diverged runs serialise as null


def test_table_renders_every_setting(svc_result):
    text = svc_result.table.render()
    assert "1D ReLU" in text and "1D leaky" in text
    assert len(text.splitlines()) == 2 + len(TINY_SVC.settings)


# --- noise ------------------------------------------------------------------------------


def test_noise_floor_grows_with_noise_and_stays_below_bound():
    res = noise.run(TINY_NOISE, seed=1)
    c = res.conclusions
    assert c["floor_increases_with_noise"] == {"gaussian": True, "hetero": True}
    assert c["bound_holds"] is True
    for kind, ratio in c["max_ratio_floor_to_bound"].items():
        # the bound 2 eta rho / a is an upper bound, and not a vacuous one: within a factor 50
        assert 0.02 <= ratio <= 1.0, kind
    for kind, slope in c["slope"].items():
        assert slope == pytest.approx(2.0, abs=0.4), kind  # floor proportional to the variance


# --- disjoint patch ---------------------------------------------------------------------


def test_disjoint_patch_updates_converge():
    cfg = disjoint_patch.Config(
        settings=(disjoint_patch.DSetting("tiny", 10, 2, 1, extra_random=2),), runs=2, iters=8000
    )
    res = disjoint_patch.run(cfg, seed=0)
    s = res.data["settings"][0]
    assert s["patch0_disjoint"] is True
    assert res.conclusions["one_patch_reached_eps"] == {"tiny": True}
    assert all(r["final_sq_error"] <= cfg.eps for r in s["runs"]["one_patch"])
    assert res.conclusions["diverged"] == 0


def test_disjoint_head_scheme_structure():
    setting = disjoint_patch.DSetting("x", 160, 16, 12)
    scheme = disjoint_patch.build_scheme(setting, np.random.default_rng(0))
    assert scheme.is_disjoint(0) and not scheme.is_disjoint(1)
    assert scheme.k == 1 + 11 and scheme.r == 16


def test_disjoint_scheme_error_message():
    with pytest.raises(ConvotronError, match=r"needs n >= 2r and tail_stride >= 1; got n=6, r=4"):
        disjoint_patch.build_scheme(
            disjoint_patch.DSetting("bad", 6, 4, 1), np.random.default_rng(0)
        )


# --- assumptions ------------------------------------------------------------------------


def test_assumption_failures_show_their_symptoms():
    cfg = assumptions_mod.Config(runs=2, iters=6000, iters_near=6000)
    c = assumptions_mod.run(cfg, seed=0).conclusions
    assert c["control_reached_eps"]
    assert c["nonnegative_error_larger_than_control"]
    assert c["nonpositive_filter_never_moves"] and c["nonpositive_filter_error_equals_norm"]
    assert c["sign_flips_recover_nonpositive_filter"]
    assert c["mirror_lambda_min"] == pytest.approx(0.0, abs=1e-9)
    assert c["mirror_antisymmetric_part_stays_zero"]
    assert c["mirror_error_at_least_antisymmetric_part"]
    assert c["singular_control_reached_small_error"]
    assert c["near_singular_lambda_min"] == pytest.approx(0.1206, abs=1e-3)
    assert c["near_singular_slower_than_control"]


def test_mirror_scheme_is_singular():
    s = assumptions_mod.mirror_scheme(5)
    PPt = np.asarray(s.overlap_matrix(), dtype=float)
    u = np.array([1.0, 0.5, 0.0, -0.5, -1.0])  # antisymmetric: J u = -u
    assert np.allclose(PPt @ u, 0.0)


# --- scaling ----------------------------------------------------------------------------


def test_scaling_directions_and_theorem_upper_bound():
    cfg = scaling.Config(ks=(2, 4), rs=(2, 8), variances=(1.0, 0.25), runs=2)
    res = scaling.run(cfg, seed=0)
    c = res.conclusions
    assert c["all_points_measured"] and c["measured_below_theorem_T"]
    s = c["slopes"]
    assert s["k"]["measured"] > 1.0 and s["k"]["theorem_T"] == pytest.approx(3.0, abs=0.5)
    assert s["r"]["measured"] > 0.0
    assert s["lambda_min"]["measured"] < -0.5 and s["lambda_min"]["theorem_T"] < -1.5


def test_loglog_slope_oracle():
    x = [1.0, 2.0, 4.0, 8.0]
    assert loglog_slope(x, [3 * v**-2 for v in x]) == pytest.approx(-2.0)
    assert loglog_slope(x, [None, None, 1.0, None]) is None


# --- real images ------------------------------------------------------------------------


def test_symmetrised_whitened_digits_recover_the_filter():
    pytest.importorskip("sklearn")
    cfg = real_images.Config(runs=1, iters=80_000, eta_factor=10.0, records=50)
    res = real_images.run(cfg, seed=0)
    c = res.conclusions
    assert c["whitened_flipped_recovers_filter"]
    assert c["raw_min_pixel"] >= 0.0  # raw pixels are nonnegative: far from symmetric
    assert c["raw_lambda_min"] < 0.2 * c["whitened_lambda_min"]
    assert c["raw_theorem_T"] > 100 * c["whitened_theorem_T"]


def test_empirical_theorem_against_the_definitions_written_out():
    """``a``, η and ``T`` of the rows' empirical law, against the formulas written by hand
    (a = (1+α)λ_min/k, η = a/(2β), T = (4β/a²) ln(‖w*‖²/(εδ))) on moments computed here by
    per-row loops; and no step (a = η = 0, T infinite) when λ_min(M) is 0."""
    from convotron import PatchScheme

    scheme = PatchScheme.stride_1d(7, 3, 2)  # k = 3
    D = np.random.default_rng(5).standard_normal((40, 7)) * np.arange(1, 8)
    q = [D[j][scheme.indices] for j in range(len(D))]  # (k, r) per row
    M = sum(np.outer(p.sum(0), p.sum(0)) for p in q) / len(D)
    K = sum(p.T @ p * np.sum(p.sum(0) ** 2) for p in q) / (len(D) * scheme.k)
    lam, beta = np.linalg.eigvalsh(M)[0], np.linalg.eigvalsh(K)[-1]
    got = real_images.empirical_theorem(D, scheme, 0.25, eps=1e-3, delta=0.2, w_norm=2.0)
    a = 1.25 * lam / 3
    assert got["lambda_min"] == pytest.approx(lam, rel=1e-12)
    assert got["beta"] == pytest.approx(beta, rel=1e-12)
    assert got["a"] == pytest.approx(a, rel=1e-12)
    assert got["eta"] == pytest.approx(a / (2 * beta), rel=1e-12)
    assert got["T"] == pytest.approx(4 * beta / a**2 * np.log(4.0 / (1e-3 * 0.2)), rel=1e-12)
    flat = real_images.empirical_theorem(np.zeros((5, 7)), scheme, 0.0, eps=0.1, delta=0.1,
                                         w_norm=1.0)  # fmt: skip
    assert (flat["a"], flat["eta"], flat["T"]) == (0.0, 0.0, math.inf)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ConvotronError, match=r"pip install convotron\[images\]"):
        real_images.load_images()


def test_load_images_crop_error():
    with pytest.raises(
        ConvotronError,
        match=r"^crop \(the side of the top-left crop; .*\) must be an integer with "
        r"2 <= crop <= 8; got 9\.",
    ):
        real_images.load_images(9)


# --- determinism, registry, output ------------------------------------------------------


def test_same_seed_same_numbers_different_seed_different_numbers():
    a = noise.run(TINY_NOISE, seed=5)
    b = noise.run(TINY_NOISE, seed=5)
    c = noise.run(TINY_NOISE, seed=6)
    assert a.data == b.data and a.conclusions == b.conclusions
    assert a.data["series"] != c.data["series"]


def test_run_experiment_writes_json_and_figures(tmp_path):
    res = run_experiment("noise", config=TINY_NOISE, seed=2, out=tmp_path / "o")
    doc = json.loads((tmp_path / "o" / "noise.json").read_text())
    assert doc["experiment"] == "noise" and doc["seed"] == 2
    assert doc["conclusions"] == json.loads(json.dumps(res.to_json()))["conclusions"]
    assert {p.name for p in res.figures} == {"floor_vs_noise.png", "noise_curves.png"}
    for p in res.figures:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_registry_lists_the_seven_experiments():
    assert list(EXPERIMENTS) == [
        "sgd-vs-convotron",
        "noise",
        "disjoint-patch",
        "assumptions",
        "scaling",
        "real-images",
        "precondition",
    ]


def test_unknown_experiment_error():
    with pytest.raises(ConvotronError, match=r"experiment NAME must be one of .*; got 'nope'"):
        get_experiment("nope")


def test_negative_seed_error():
    with pytest.raises(
        ConvotronError, match=r"^seed must be an integer with seed >= 0; got -1\. Pass"
    ):
        run_experiment("noise", seed=-1)
    with pytest.raises(
        ConvotronError, match=r"^seed must be an integer with seed >= 0; got -3\. Pass"
    ):
        spawn_generators(-3, 2)


def test_out_must_be_a_folder(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ConvotronError, match=r"--out folder must be a folder; got .*a file"):
        run_experiment("noise", out=f, config=TINY_NOISE)


def test_config_dict_error():
    with pytest.raises(ConvotronError, match=r"config must be an experiment Config .*got int"):
        config_dict(3)


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_config_takes_the_theorem_target_from_the_base(name):
    """ε = 0.01, δ = 0.1, ‖w*‖ = 1 are declared once (ExperimentConfig), not again per experiment,
    and lead the findings' ``config``; ``full()`` keeps them."""
    from convotron.glue.experiments._common import ExperimentConfig

    cls = load_module(name).Config
    base = ExperimentConfig.__dataclass_fields__
    for f in ("eps", "delta", "w_norm"):
        assert cls.__dataclass_fields__[f] is base[f], f"{name} redeclares {f}"
    for cfg in (cls.quick(), cls.full()):
        d = config_dict(cfg)
        assert list(d)[:3] == ["eps", "delta", "w_norm"]
        assert (d["eps"], d["delta"], d["w_norm"]) == (0.01, 0.1, 1.0)
    assert cls(eps=0.05).eps == 0.05
    assert config_dict(ExperimentConfig()) == {"eps": 0.01, "delta": 0.1, "w_norm": 1.0}


def test_table_render_alignment():
    t = Table(("a", "bb"), (("x", 1.23456), ("yyy", None)))
    lines = t.render().splitlines()
    assert lines[0].startswith("a    bb") and lines[2] == "x    1.23" and lines[3] == "yyy  -"


# --- command line -----------------------------------------------------------------------


def _cli(argv, capsys):
    from convotron.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_bad_name_exits_2_with_one_line(capsys):
    code, out, err = _cli(["experiment", "nope"], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "experiment NAME must be one of" in err and "'nope'" in err


def test_cli_bad_seed_exits_2(capsys):
    code, _, err = _cli(["experiment", "noise", "--seed", "x"], capsys)
    assert code == 2 and "--seed must be an integer >= 0; got 'x'" in err


def test_cli_list(capsys):
    code, out, _ = _cli(["experiment", "list"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.strip().splitlines()] == list(EXPERIMENTS)


def test_cli_json_prints_exactly_one_object(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(noise.Config, "quick", classmethod(lambda cls: TINY_NOISE))
    out_dir = tmp_path / "n"
    code, out, _ = _cli(
        [
            "experiment",
            "noise",
            "--quick",
            "--json",
            "--no-progress",
            "--out",
            str(out_dir),
            "--seed",
            "4",
        ],
        capsys,
    )
    assert code == 0
    assert len(out.strip().splitlines()) == 1
    doc = json.loads(out)
    assert doc["experiment"] == "noise" and doc["quick"] is True and doc["seed"] == 4
    assert (out_dir / "noise.json").is_file() and (out_dir / "floor_vs_noise.png").is_file()
    assert json.loads((out_dir / "noise.json").read_text())["data"] == doc["data"]
