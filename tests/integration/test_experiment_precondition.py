"""``convotron experiment precondition``: T against cond(M) for both algorithms (tiny settings)."""

from __future__ import annotations

import pytest

from convotron.glue.experiments import precondition as EP
from convotron.glue.experiments import run_experiment

TINY = EP.Config(rhos=(0.0, 0.9), cap=20_000)


@pytest.fixture(scope="module")
def result():
    return EP.run(TINY, seed=0)


def test_theorem_T_and_measured_first_hits(result):
    rows = {r["rho"]: r for r in result.data["rows"]}
    # the exact numbers of the book's example (1d:16,4,2, AR(1) 0.9): a 10 % error fails
    assert rows[0.9]["T_plain"] == 156_539_001 and rows[0.9]["T_precond"] == 12_189
    assert rows[0.9]["beta_H"] == pytest.approx(4.42051775, abs=1e-7)
    assert rows[0.9]["cond_M"] == pytest.approx(1287.0, abs=0.5)
    for r in rows.values():  # the preconditioned run reaches eps within its theorem's T
        assert r["measured_precond"] is not None and r["measured_precond"] <= r["T_precond"]
    assert rows[0.9]["measured_plain"] is None  # Algorithm 1: not within 20,000 updates
    c = result.conclusions
    assert c["min_T_ratio_at_cond_1000"] >= 100
    assert c["largest_cond_feasible_plain"] == pytest.approx(rows[0.0]["cond_M"])
    assert c["largest_cond_feasible_precond"] == pytest.approx(rows[0.9]["cond_M"])


def test_writes_the_figure_and_json(tmp_path):
    res = run_experiment("precondition", config=TINY, out=tmp_path)
    assert [p.name for p in res.figures] == ["precondition_T_vs_cond.png"]
    assert res.figures[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "precondition.json").exists()
