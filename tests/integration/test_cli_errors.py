"""The command line names a library parameter by its flag (eta -> --eta), and only then."""

from __future__ import annotations

import argparse

from convotron import ConvotronError
from convotron.cli import main
from convotron.cli._common import flag_for, render_error


def test_a_parameter_is_rendered_as_the_flag_of_the_command():
    args = argparse.Namespace(eta="0.1", only_patch=None)
    assert flag_for("eta", args) == "--eta" and flag_for("only_patch", args) == "--only-patch"
    assert flag_for("rho", args) is None and flag_for(None, args) is None
    err = ConvotronError("eta (the step size) must be a finite number > 0; got 0.0.", param="eta")
    assert render_error(err, args) == "--eta (the step size) must be a finite number > 0; got 0.0."
    # no flag of that name in this command: the message is left as the library wrote it
    other = ConvotronError("rho (the AR(1) correlation) must be ...", param="rho")
    assert render_error(other, args) == str(other)
    # a message that does not start with the parameter is left alone
    mid = ConvotronError("convotron diverged: ... step size eta=5.", param="eta")
    assert render_error(mid, args) == str(mid)


def test_divergence_on_a_teacher_points_to_eta_auto(capsys):
    argv = ["run", "--scheme", "1d:16,4,2", "--eta", "1000", "--iters", "100000"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    # the hint is the theorem's step size for this very problem, not a fixed eta/10
    assert "The theorem's step size for this problem is a/(2β) = 0.00203" in err
    assert "pass --eta 0.00203 or --eta auto" in err and "eta=100" not in err
    assert main([*argv[:-4], "--algorithm", "sgd", "--eta", "1000", "--iters", "100000",
                 "--init", "random"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "sgd diverged" in err and "--eta auto" not in err
