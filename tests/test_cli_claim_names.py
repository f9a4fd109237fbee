"""The command line prints the book's number and name beside every claim label (issue 20).

``convotron check`` and ``convotron bounds`` name claims by label (``lem-1d``); the book prints
numbers ("Lemma 4"). Both reports pass through :func:`convotron_theory.claims.annotate_labels`, so a
label is followed by ``[Lemma 4 (1D patch-and-stride)]`` from the one numbering table
:data:`convotron_theory.claims.PRINTED`.
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
    assert "lem-1d [Lemma 4 (1D patch-and-stride)]" in text


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
    assert annotate_labels("lem-1d-sos and lem-1d") == (
        "lem-1d-sos [Lemma 3 (sum of squares)] and lem-1d [Lemma 4 (1D patch-and-stride)]"
    )
    assert annotate_labels("lem-2d", first_only=False) == "lem-2d [Lemma 5 (2D patch-and-stride)]"
    status, text = _run(["check", "--scheme", "1d:16,4,2", "--json"])
    assert status == 0 and "[Lemma" not in text  # JSON keeps bare labels


@pytest.mark.parametrize("label", sorted(PRINTED))
def test_display_name_is_number_then_name(label: str) -> None:
    number, name = PRINTED[label]
    assert display_name(label) == f"{number} ({name})"
