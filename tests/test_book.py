"""The book's sources against the claims: labels, references and the registry.

These tests parse ``book/*.md`` (no build): every ``prf:`` directive's ``:label:``, every
``{prf:ref}`` target. The build itself (``make book``, ``make book-check``) is not run here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
DIRECTIVE = re.compile(r"^```\{prf:(\w+)\}[^\n]*\n:label: ([\w-]+)", re.MULTILINE)
REF = re.compile(r"\{prf:ref\}`([^`<]+?)(?:\s*<([\w-]+)>)?`")
ARCHITECTURE_LABELS = {
    "def-model", "alg-convotron", "lem-symmetric", "lem-drift", "lem-progress",
    "lem-second-moment", "lem-one-step", "thm-convotron", "cor-realizable", "cor-noisy",
    "lem-beta", "lem-1d", "lem-1d-sos", "lem-1d-structure", "lem-2d", "lem-2d-kron",
    "lem-cov-transfer", "thm-disjoint", "cor-1d-instantiated",
}  # fmt: skip


def book_labels() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for page in sorted(BOOK.glob("*.md")):
        for kind, label in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            found.setdefault(label, []).append((page.name, kind))
    return found


def test_every_architecture_label_is_stated_once_in_the_book() -> None:
    labels = book_labels()
    assert set(labels) == ARCHITECTURE_LABELS, set(labels) ^ ARCHITECTURE_LABELS
    assert all(len(v) == 1 for v in labels.values()), {
        k: v for k, v in labels.items() if len(v) > 1
    }


def test_every_statement_carries_a_provenance_tag() -> None:
    for page in sorted(BOOK.glob("*.md")):
        for head in re.findall(
            r"^```\{prf:(?:theorem|lemma|definition|algorithm|corollary)\}(.*)$",
            page.read_text(encoding="utf-8"),
            re.MULTILINE,
        ):
            assert "[paper]" in head or "[derived]" in head, (page.name, head)


def test_every_prf_ref_target_exists() -> None:
    labels = set(book_labels())
    for page in sorted(BOOK.glob("*.md")):
        for text, target in REF.findall(page.read_text(encoding="utf-8")):
            assert (target or text).strip() in labels, (page.name, target or text)


def test_book_labels_agree_with_the_claims_registry() -> None:
    claims = pytest.importorskip("theory.claims", reason="theory.claims has not landed yet")
    assert set(claims.CLAIMS) == set(book_labels())
