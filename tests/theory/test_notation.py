"""The notation module: symbols carry their assumptions; the table is complete and typesets."""

from __future__ import annotations

import pytest
import sympy as sp

from convotron_theory import notation as N


def test_sizes_are_positive_integers() -> None:
    for s in (N.n, N.r, N.k, N.d, N.m, N.T, N.k1, N.k2, N.r1, N.r2, N.d1, N.d2, N.n1, N.n2):
        assert s.is_integer and s.is_positive, s


def test_ranges_held_by_sympy() -> None:
    assert N.alpha.is_real and N.alpha.is_nonnegative
    for s in (N.eta, N.epsilon, N.delta, N.w_norm, N.lambda_min, N.a, N.beta, N.B, N.kappa):
        assert s.is_positive, s
    for s in (N.rho, N.varsigma, N.xi_moment, N.lambda_min_PPT):
        assert s.is_nonnegative, s
    assert N.t.is_integer and N.t.is_nonnegative
    # consequences sympy can draw from them
    assert (1 + N.alpha).is_positive
    assert sp.log(N.w_norm**2).is_real


def test_table_is_complete_and_unique() -> None:
    names = [e.name for e in N.NOTATION]
    assert len(names) == len(set(names))
    required = (
        "n r k d alpha eta epsilon delta lambda_min lambda_max a beta rho w_norm varsigma B T t"
    )
    for name in required.split():
        assert name in N.SYMBOLS
    for e in N.NOTATION:
        assert e.latex and e.meaning and e.assumptions
        assert e.provenance in ("[paper]", "[derived]")
    assert "α ≤ 1" in next(e for e in N.NOTATION if e.name == "alpha").assumptions
    assert "δ ≤ 1" in next(e for e in N.NOTATION if e.name == "delta").assumptions


def test_latex_uses_the_book_names() -> None:
    assert N.latex(N.lambda_min / N.k) == r"\frac{\lambda_{\min}}{k}"
    assert r"\varsigma" in N.latex(N.varsigma**2)
    assert N.latex(sp.log(N.epsilon)) == r"\ln{\left(\epsilon \right)}"


def test_unknown_symbol_is_named() -> None:
    assert N.symbol("rho") is N.rho
    with pytest.raises(
        KeyError, match=r"no notation symbol named 'lamda'; the known symbols are: .*lambda_min"
    ):
        N.symbol("lamda")


# --------------------------------------------------------------------------------------------
# One meaning per symbol in the book's maths (issue 20, Deliver 4)
# --------------------------------------------------------------------------------------------
import re  # noqa: E402
from pathlib import Path  # noqa: E402

BOOK = Path(__file__).resolve().parents[2] / "book"
_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n.*?^```", re.MULTILINE | re.DOTALL)
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$", re.DOTALL)

#: Each scanned symbol of the notation table with the definitions (``X = ...`` in maths) it may
#: have, as regexes of the right-hand side (convotron_theory.notation.OBJECTS: the one table). A
#: definition with another right-hand side gives the symbol a second meaning.
DEFINITIONS: dict[str, tuple[str, ...]] = {o.symbol: o.definitions for o in N.OBJECTS if o.symbol}
#: Forms that gave a symbol a second meaning on e461165 and must not come back.
RETIRED = (
    r"B = PL",
    r"B = P\^\\top P",
    r"\\rho\(P",
    r"\\rho_\{ij\}",
    r"q = Px",
    r"a = P_i\^\\top",
    r"q = S/D",
)


def book_maths() -> list[tuple[str, str]]:
    out = []
    for page in sorted(BOOK.glob("*.md")):
        text = _CODE_CELL.sub("", page.read_text(encoding="utf-8"))
        out += [(page.name, m.group(1) or m.group(2)) for m in _MATH.finditer(text)]
    return out


def second_meanings(maths: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """``(page, symbol, right-hand side)`` of every definition not allowed by DEFINITIONS."""
    names = "|".join(re.escape(s) for s in sorted(DEFINITIONS, key=len, reverse=True))
    lhs = re.compile(
        rf"(?:^|[,;(]|\\quad|\\qquad|&|\\text\{{[^}}]*\}})\s*({names})(?![\w{{])\s*=\s*([^,$]*)"
    )
    bad = []
    for page, seg in maths:
        for m in lhs.finditer(seg):
            sym, rhs = m.group(1), m.group(2).strip()
            if re.match(r"^[-\d./]+\s*(?:$|[^\w\\])", rhs) and sym not in ("B",):
                continue  # a value (a = 0, rho = 0, kappa = 3), not a definition
            if not any(re.match(ok, rhs) for ok in DEFINITIONS[sym]):
                bad.append((page, sym, rhs[:40]))
    return bad


def test_every_symbol_keeps_one_meaning_in_the_books_maths() -> None:
    maths = book_maths()
    assert len(maths) > 1000
    assert second_meanings(maths) == []
    retired = [(page, pat) for page, seg in maths for pat in RETIRED if re.search(pat, seg)]
    assert retired == []


def test_the_scan_catches_the_old_second_meanings() -> None:
    old = [
        ("theorem.md", r"A_i = P_iL, B = PL, C = B^\top B"),
        ("theorem.md", r"\text{with } q = Px = Bz"),
        ("conv.md", r"q = S/D"),
        ("spectra.md", r"\Pr[u \le 0] = \frac18 + \frac1{4\pi}\sum_{i<j}\arcsin\rho_{ij}"),
    ]
    found = {(page, sym) for page, sym, _ in second_meanings(old)}
    # B = PL and C = B^T B (C is L^T P^T P L), q = Px, q = S/D: four second meanings
    assert found == {
        ("theorem.md", "B"),
        ("theorem.md", "C"),
        ("theorem.md", "q"),
        ("conv.md", "q"),
    }
    assert any(re.search(p, old[3][1]) for p in RETIRED)


def test_notation_prose_agrees_with_the_symbols() -> None:
    """The sympy table says one thing per symbol: rho equals the noise moment (it does not
    "bound" it), and the symbols of the exact second moment cite the lemma that defines them
    (on e461165 notation.md cited lem-beta, Lemma 11, for what Lemma 10 defines)."""
    entries = {e.name: e for e in N.NOTATION}
    assert "ρ = E[ξ² ‖Px‖²]" in entries["rho"].meaning
    assert "bounds" not in entries["xi_moment"].meaning
    assert "lem-exact-k" in entries["kappa"].meaning
    objects = {o.latex: o for o in N.OBJECTS}
    for latex in ("L, z", r"\kappa = \mathbb{E} z_j^4", "K"):
        assert objects[latex].where == "lem-exact-k", latex
    # the appendix is rendered from the module: no hand-written table rows
    page = (BOOK / "notation.md").read_text(encoding="utf-8")
    assert not [line for line in page.splitlines() if line.startswith("| $")]
