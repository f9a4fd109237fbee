"""``--rng numpy|fast`` on ``run`` and ``verify`` (issue 25): the fast stream end to end."""

from __future__ import annotations

import json
from unittest.mock import ANY

import numpy as np

from convotron.cli import main
from convotron.geometry.patches import parse_spec
from convotron.glue import verify as V
from convotron.learning.algorithm import fit
from convotron.learning.rules import ConvotronRule
from convotron.model.problem import Teacher
from tests.integration.test_verify import SMALL

ARGS = ["--scheme", "1d:16,4,2", "--eta", "0.01", "--iters", "5000", "--seed", "3"]


def _run_json(capsys, *argv):
    rc = main(["run", *argv, "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def test_run_rng_fast_is_the_library_run_on_the_fast_stream(capsys) -> None:
    obj = _run_json(capsys, *ARGS, "--rng", "fast")
    assert obj["rng"] == "fast"
    t_seq, r_seq = np.random.SeedSequence(3).spawn(2)
    scheme = parse_spec("1d:16,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(t_seq))
    res = fit(ConvotronRule(), teacher, scheme, 0.0, eta=0.01, iters=5000,
              rng=np.random.default_rng(r_seq), w_star=teacher.w_star, stream="fast")  # fmt: skip
    np.testing.assert_array_equal(obj["w"], res.w)
    numpy_obj = _run_json(capsys, *ARGS, "--rng", "numpy")
    assert numpy_obj["rng"] == "numpy" and numpy_obj["w"] != obj["w"]
    assert _run_json(capsys, *ARGS) == obj | {"seconds": ANY, "updates_per_second": ANY}


def test_run_rng_with_data_is_refused(tmp_path, capsys) -> None:
    X = np.random.default_rng(0).standard_normal((40, 16))
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=np.zeros(40))
    rc = main(["run", "--scheme", "1d:16,4,2", "--eta", "0.01", "--data", str(path),
               "--rng", "fast"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "stream='fast'" in err and "Traceback" not in err


def test_verify_fast_stream_passes_and_is_independent_of_the_backend() -> None:
    one = V.run_suite([SMALL], runs=20, seed=3, workers=1, stream="fast")
    two = V.run_suite([SMALL], runs=20, seed=3, workers=2, stream="fast")
    inline = V.run_suite([SMALL], runs=20, seed=3, scheduler="inline", stream="fast")
    numpy_ = V.run_suite([SMALL], runs=20, seed=3, workers=2, stream="numpy")
    a, b, c, d = (r.cases[0] for r in (one, two, inline, numpy_))
    assert a.status == V.STATUS_PASS and one.all_pass
    for other in (b, c):
        assert (a.fails, a.median_iters_to_eps) == (other.fails, other.median_iters_to_eps)
    assert a.median_iters_to_eps != d.median_iters_to_eps  # another stream, other runs
