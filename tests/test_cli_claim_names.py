"""The command line prints the book's number and name beside every claim label (issue 20).

``convotron check`` and ``convotron bounds`` name claims by label (``thm-convotron``); the book
prints numbers ("Theorem 1"). Both reports pass through
:func:`convotron_theory.claims.annotate_labels`, so a label is followed by ``[Theorem 1 (Convotron
learns the filter)]`` from the one numbering table :data:`convotron_theory.claims.PRINTED`. A
lemma's number is read through :func:`display_name` here (``PRINTED`` is checked against the
book's order in ``tests/theory/test_claims.py``), so a lemma added mid-book edits no test here.
"""

from __future__ import annotations

import contextlib
import io

import pytest

from convotron.cli import main
from convotron_theory.claims import PRINTED, annotate_labels, display_name


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue()


def test_check_prints_number_and_name_beside_each_label() -> None:
    status, text = _run(["check", "--scheme", "1d:16,4,2"])
    assert status == 0
    assert "thm-convotron [Theorem 1 (Convotron learns the filter)]" in text
    assert f"lem-1d [{display_name('lem-1d')}]" in text


def test_bounds_prints_number_and_name_beside_each_label() -> None:
    status, text = _run(["bounds", "--scheme", "1d:16,4,2"])
    assert status == 0
    # a bare label gets "[Name]"; one already in square brackets gets ": Name" (no nesting)
    forms = ("{label} [{name}]", "{label}: {name}]")
    for label in ("thm-convotron", "lem-progress", "lem-exact-k", "cor-realizable"):
        name = display_name(label)
        assert any(f.format(label=label, name=name) in text for f in forms), label
    assert "[[" not in text and "]]" not in text
    # every label of the report is annotated at its first occurrence
    for label in PRINTED:
        first = text.find(label)
        if first >= 0 and text[first - 1] not in "-" and text[first + len(label)] != "-":
            name = display_name(label)
            assert any(text[first:].startswith(f.format(label=label, name=name)) for f in forms)


def test_annotate_labels_leaves_longer_labels_and_json_alone() -> None:
    sos, one, two = (display_name(lab) for lab in ("lem-1d-sos", "lem-1d", "lem-2d"))
    assert sos.endswith("(sum of squares)") and one.endswith("(1D patch-and-stride)")
    assert annotate_labels("lem-1d-sos and lem-1d") == f"lem-1d-sos [{sos}] and lem-1d [{one}]"
    assert annotate_labels("lem-2d", first_only=False) == f"lem-2d [{two}]"
    status, text = _run(["check", "--scheme", "1d:16,4,2", "--json"])
    assert status == 0 and "[Lemma" not in text  # JSON keeps bare labels


@pytest.mark.parametrize("label", sorted(PRINTED))
def test_display_name_is_number_then_name(label: str) -> None:
    number, name = PRINTED[label]
    assert display_name(label) == f"{number} ({name})"
