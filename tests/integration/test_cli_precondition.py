"""``--precondition none|exact|plugin`` of ``convotron run`` and ``convotron bounds`` [derived].

The preconditioned Convotron is this project's extension (not GKM18's); its theorem is
thm-precond. On ``1d:16,4,2`` with AR(1) ρ = 0.9 inputs the theorem's T falls from
156,539,001 (Algorithm 1) to 12,189 (H = M⁻¹), and a run of that length reaches ε.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from convotron.cli import main

BASE = ["--scheme", "1d:16,4,2", "--cov", "ar1:0.9"]


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue()


@pytest.mark.claim("cor-precond-whitened")
def test_bounds_prints_the_whitened_theorem_beside_algorithm_1s() -> None:
    status, text = _run(["bounds", *BASE, "--precondition", "exact", "--json"])
    assert status == 0
    d = json.loads(text)
    assert d["T"] == 156_539_001 and d["precondition"] == "exact"
    assert d["precondition_theorem"]["T"] == 12189
    assert d["precondition_theorem"]["beta_H"] == pytest.approx(4.42051775, rel=1e-8)
    status, text = _run(["bounds", *BASE, "--precondition", "plugin"])
    assert status == 0
    assert "[derived: this project's extension, not the paper's]" in text
    assert "T = 12189" in text and "m = 2649 set-aside samples" in text
    status, text = _run(["bounds", *BASE])
    assert "preconditioned" not in text


@pytest.mark.claim("thm-precond")
@pytest.mark.parametrize("pre", ["exact", "plugin"])
def test_run_auto_takes_the_preconditioned_theorem_and_reaches_eps(pre: str) -> None:
    status, text = _run(["run", *BASE, "--precondition", pre, "--iters", "auto", "--json"])
    assert status == 0
    d = json.loads(text)
    th = d["precondition_theorem"]
    assert d["iters"] == th["T"] and d["eta"] == pytest.approx(th["eta"], rel=1e-15)
    assert d["final_sq_error"] < d["eps"]
    assert d["precondition"] == pre
    if pre == "exact":
        assert th["T"] == 12189 and th["mu_H"] == pytest.approx(1.0, abs=1e-12)


def test_errors_are_exit_2_with_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *BASE, "--precondition", "exact", "--algorithm", "sgd", "--eta", "0.1",
                 "--iters", "10"]) == 2  # fmt: skip
    assert "--precondition is a variant of Convotron, not of SGD" in capsys.readouterr().err
    assert main(["run", *BASE, "--precondition", "exact", "--only-patch", "1", "--iters",
                 "10"]) == 2  # fmt: skip
    assert "--precondition must be None when only_patch" in capsys.readouterr().err
    assert main(["run", *BASE, "--precondition", "newton"]) == 2
    assert "invalid choice: 'newton'" in capsys.readouterr().err
