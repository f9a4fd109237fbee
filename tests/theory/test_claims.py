"""The claims registry: consistent, acyclic, every object imports, statuses are honest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from convotron.glue import claims as G
from convotron_theory import TheoryError
from convotron_theory import claims as C
from tests.labels import ARCHITECTURE_LABELS

TESTS = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"""claim\(\s*["']([\w-]+)["']\s*\)""")


def marked_labels() -> set[str]:
    """Labels carried by @pytest.mark.claim("label") anywhere under tests/."""
    found: set[str] = set()
    for path in TESTS.rglob("*.py"):
        if path.name == "test_claims.py":
            continue  # this file names labels without checking them
        found |= set(MARKER.findall(path.read_text(encoding="utf-8")))
    return found


def test_registry_has_exactly_the_architecture_labels() -> None:
    assert set(C.CLAIMS) == ARCHITECTURE_LABELS


def test_registry_is_consistent_and_every_object_imports() -> None:
    C.check_registry()
    G.check_objects()
    for claim in C.CLAIMS.values():
        assert claim.kind in C.KINDS
        assert claim.provenance.startswith(("[paper]", "[derived]"))
        assert claim.objects, claim.label
        for path in claim.objects:
            assert G.resolve(path) is not None


def test_uses_exist_and_order_is_topological() -> None:
    order = C.topological_order()
    assert sorted(order) == sorted(C.CLAIMS)
    pos = {label: i for i, label in enumerate(order)}
    for used, user in C.dependency_edges():
        assert used in C.CLAIMS and user in C.CLAIMS
        assert pos[used] < pos[user], (used, user)


def test_provenance_matches_the_specification() -> None:
    paper = {"def-model", "alg-convotron", "lem-symmetric"}
    for label, claim in C.CLAIMS.items():
        expected = "[paper]" if label in paper else "[derived]"
        assert claim.provenance.startswith(expected), label
    assert (
        "explicit-constant version of GKM18's main theorem" in C.CLAIMS["thm-convotron"].provenance
    )


def test_every_claim_marked_checked_by_tests_has_a_marked_test() -> None:
    """A status 'checked_by_tests' needs a test carrying @pytest.mark.claim(label)."""
    marked = marked_labels()
    missing = [
        label for label, c in C.CLAIMS.items() if c.status.checked_by_tests and label not in marked
    ]
    assert not missing, f"claims marked checked_by_tests without a marked test: {missing}"


def test_marked_labels_are_registered() -> None:
    assert marked_labels() <= set(C.CLAIMS)


def test_bound_objects_carry_a_registered_label() -> None:
    from convotron_theory.bounds import ALL_BOUNDS

    for bound in ALL_BOUNDS.values():
        assert bound.label in C.CLAIMS, bound.name
        paths = {p for c in C.CLAIMS.values() for p in c.objects}
        # every bound object of the book's chapters is listed by some claim
        if bound.name not in ("samples",):
            assert any(
                G.resolve(p) is bound for p in paths if p.startswith("convotron_theory.bounds.")
            ), bound.name


def test_status_level_order() -> None:
    assert C.Status(checked_by_runs=True).level == "checked"
    assert C.Status(symbolically_checked=True).level == "symbolic"
    assert C.Status(proved_in_book=True).level == "proved"
    assert C.Status().level == "stated"
    assert C.to_dict()["thm-convotron"]["status"]["level"] == "checked"


def test_resolve_errors_name_the_path() -> None:
    with pytest.raises(
        TheoryError,
        match=(
            r"'convotron_theory.bounds.NOPE' does not resolve: "
            r"'convotron_theory.bounds' has no attribute 'NOPE'"
        ),
    ):
        G.resolve("convotron_theory.bounds.NOPE")
    with pytest.raises(TheoryError, match=r"no importable module 'nonexistent_pkg_xyz'"):
        G.resolve("nonexistent_pkg_xyz.thing")


def test_cycles_and_unknown_uses_are_reported(monkeypatch) -> None:
    a, b = C.CLAIMS["lem-drift"], C.CLAIMS["lem-progress"]
    cyclic = dict(C.CLAIMS)
    cyclic["lem-drift"] = C.Claim(
        a.label, a.kind, a.title, a.provenance, ("lem-progress",), a.objects, a.status
    )
    monkeypatch.setattr(C, "CLAIMS", cyclic)
    with pytest.raises(TheoryError, match=r"has a cycle: .*lem-drift -> lem-progress -> lem-drift"):
        C.check_registry()
    unknown = dict(C.CLAIMS)
    unknown["lem-progress"] = C.Claim(
        b.label, b.kind, b.title, b.provenance, ("lem-nope",), b.objects, b.status
    )
    unknown["lem-drift"] = a
    monkeypatch.setattr(C, "CLAIMS", unknown)
    with pytest.raises(TheoryError, match=r"'lem-progress' uses unknown label\(s\) \['lem-nope'\]"):
        C.topological_order()


BOOK = TESTS.parent / "book"
LABEL_LINE = re.compile(r"^:label: ([\w-]+)$", re.MULTILINE)
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def book_sections() -> dict[str, str]:
    """Each label's section of the book: from its ``:label:`` line to the next one (or page end)."""
    sections: dict[str, str] = {}
    for page in sorted(BOOK.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        marks = list(LABEL_LINE.finditer(text))
        for i, here in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            sections[here.group(1)] = text[here.start() : end]
    return sections


def test_book_sections_cover_every_claim() -> None:
    assert set(book_sections()) == set(C.CLAIMS)


@pytest.mark.parametrize("label", sorted(C.CLAIMS))
def test_status_proved_and_symbolic_match_the_book_section(label: str) -> None:
    """'proved_in_book' needs a proof in the claim's section of the book; 'symbolically_checked'
    needs a code cell there that asserts on a sympy computation (``sp.`` and ``assert``), so the
    status page cannot colour a claim "symbolic" that only numbers check."""
    section = book_sections()[label]
    status = C.CLAIMS[label].status
    assert ("```{prf:proof}" in section) == status.proved_in_book, label
    if status.symbolically_checked:
        cells = CODE_CELL.findall(section)
        assert any("sp." in cell and "assert" in cell for cell in cells), label


# ------------------------------------------------------------------------------------------
# One numbering: convotron_theory.claims.PRINTED against the book (sources and, when built, the
# HTML)
# ------------------------------------------------------------------------------------------
DIRECTIVE = re.compile(r"^```\{prf:(\w+)\}[^\n]*\n:label: ([\w-]+)", re.MULTILINE)


def numbers_from_sources() -> dict[str, str]:
    """The number sphinx-proof prints for each label: per kind, in table-of-contents order."""
    toc = re.findall(r"^\s*-?\s*(?:root|file): (\S+)$", (BOOK / "_toc.yml").read_text(), re.M)
    counters: dict[str, int] = {}
    out: dict[str, str] = {}
    for page in toc:
        path = BOOK / f"{page}.md"
        if not path.is_file():
            continue
        for kind, label in DIRECTIVE.findall(path.read_text(encoding="utf-8")):
            counters[kind] = counters.get(kind, 0) + 1
            out[label] = f"{kind.capitalize()} {counters[kind]}"
    return out


def test_printed_numbers_match_the_books_order() -> None:
    """Moving a lemma (or adding one) without updating ``PRINTED`` fails here."""
    assert {lab: num for lab, (num, _) in C.PRINTED.items()} == numbers_from_sources()
    assert C.display_name("lem-1d") == f"{numbers_from_sources()['lem-1d']} (1D patch-and-stride)"
    with pytest.raises(TheoryError, match=r"label must be one of .* got 'lem-nope'"):
        C.display_name("lem-nope")


def test_printed_numbers_match_the_built_html() -> None:
    html_dir = BOOK / "_build" / "html"
    if not (html_dir / "index.html").is_file():
        pytest.skip("the book is not built (python -m book.tools.build)")
    seen: dict[str, str] = {}
    for page in html_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for label, number in re.findall(
            r'id="((?:lem|thm|cor|def|alg)-[\w-]+)"[^>]*>.{0,300}?caption-number">([^<]+)<',
            text,
            re.S,
        ):
            seen[label] = number.strip()
    assert seen == {lab: num for lab, (num, _) in C.PRINTED.items()}


BOOK_NUMBER = re.compile(r"(?<![\w'])(?:Lemma|Theorem|Corollary|Definition|Algorithm)s? \d+")


#: Numbers that are the same in the paper and in the book (the paper's Algorithm 1 is the
#: book's only algorithm), so a bare mention cannot mislead.
SAME_IN_BOTH = {"Algorithm 1"}


def _prose(text: str) -> str:
    return CODE_CELL.sub("", text)


def test_no_hand_written_book_numbers() -> None:
    """A number of the book's own claims reaches the prose only through ``{prf:ref}`` (which
    prints the sphinx number). A literal "Lemma 1" must be the paper's ("the paper's Lemma 1",
    "Lemma 1 of the paper", "Algorithm 1 of ..."). On e461165 conv.md said "Lemma 1 holds for
    all vectors" (the book's Lemma 1 is the block-Toeplitz lemma) and glance.md wrote
    "the paper's Lemma 1, Lemma 7"."""
    bad = []
    for page in sorted(BOOK.glob("*.md")):
        prose = _prose(page.read_text(encoding="utf-8"))
        for m in BOOK_NUMBER.finditer(prose):
            before = prose[max(0, m.start() - 12) : m.start()]
            after = prose[m.end() : m.end() + 30]
            if "paper's" in before or re.match(r"\s*(?:of|in) (?:the paper|GKM|\{cite)", after):
                continue
            if m.group() in SAME_IN_BOTH:
                continue
            bad.append((page.name, prose[max(0, m.start() - 40) : m.end() + 20]))
    for lab, c in C.CLAIMS.items():
        for m in BOOK_NUMBER.finditer(c.title + " " + c.provenance):
            after = (c.title + " " + c.provenance)[m.end() : m.end() + 12]
            if "of GKM18" not in after and "paper's" not in c.title:
                bad.append((lab, m.group()))
    assert not bad, bad


def test_no_spec_lemma_codes_in_the_book() -> None:
    """The specification's L1-L5 codes are not the book's numbers; they must not be printed
    (on e461165 the claim graph's tooltips said "L4's proof" and "L1-L5")."""
    code = re.compile(r"\bL[1-5]\b(?!\w)")
    texts = {lab: c.title + " " + c.provenance for lab, c in C.CLAIMS.items()}
    for page in sorted(BOOK.glob("*.md")):
        texts[page.name] = re.sub(r"\$[^$]*\$", "", _prose(page.read_text(encoding="utf-8")))
    assert not {k for k, t in texts.items() if code.search(t)}


def test_the_papers_numbers_never_sit_beside_the_books() -> None:
    """ "(the paper's Lemma 1, {prf:ref}`lem-symmetric`)" printed "the paper's Lemma 1, Lemma 7"
    on e461165; the paper's number is written "Lemma 1 of the paper", after the book's."""
    pattern = re.compile(r"paper's (?:Lemma|Theorem) \d+,\s*\{prf:ref\}")
    assert not [p.name for p in BOOK.glob("*.md") if pattern.search(p.read_text("utf-8"))]
