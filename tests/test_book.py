"""The book's sources against the claims: labels, references, the registry, the code.

These tests parse ``book/*.md`` (no build): every ``prf:`` directive's ``:label:``, every
``{prf:ref}`` target, every import of a code cell, every ``convotron`` command of the
introduction. The build itself (``make book``, ``make book-check``) is not run here. That every
claim marked "checked by tests" has a test carrying its label, and that every object the
registry names imports, is tested in ``tests/theory/test_claims.py`` (not repeated here).
The helpers of ``book/tools`` (tables, claims graph) are tested against small oracles.
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest

from book.tools import claim_graph as cg
from book.tools.tables import markdown_table
from tests.labels import ARCHITECTURE_LABELS

BOOK = Path(__file__).resolve().parent.parent / "book"
DIRECTIVE = re.compile(r"^```\{prf:(\w+)\}[^\n]*\n:label: ([\w-]+)", re.MULTILINE)
REF = re.compile(r"\{prf:ref\}`([^`<]+?)(?:\s*<([\w-]+)>)?`")


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
    from convotron_theory.claims import CLAIMS

    labels = book_labels()
    assert set(CLAIMS) == set(labels), set(CLAIMS) ^ set(labels)
    for label, places in labels.items():
        assert places[0][1] == CLAIMS[label].kind, (label, places, CLAIMS[label].kind)


CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def cell_imports() -> list[tuple[str, str, str | None]]:
    """Every ``(page, module, name)`` imported by a code cell of the book (name None: module)."""
    found = []
    for page in sorted(BOOK.rglob("*.md")):
        if "_build" in page.parts:
            continue
        for cell in CODE_CELL.findall(page.read_text(encoding="utf-8")):
            if cell.startswith("---\n"):  # a YAML block of cell options (tags, prompts)
                cell = cell.split("\n---\n", 1)[1]
            code = "\n".join(line for line in cell.splitlines() if not line.startswith((":", "%")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    found += [(page.name, a.name, None) for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    found += [(page.name, node.module, a.name) for a in node.names]
    return found


def test_every_object_a_book_cell_imports_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check cells name real code: each imported module and name resolves.

    The notebooks run in ``book/``, so ``tools.*`` there is ``book/tools``.
    """
    monkeypatch.syspath_prepend(str(BOOK))
    imports = cell_imports()
    expected = {"convotron.glue.experiments", "convotron_theory.claims", "tools.tables"}
    assert {m for _, m, _ in imports} >= expected
    for page, module, name in imports:
        mod = importlib.import_module(module)
        if name is not None and name != "*":
            assert hasattr(mod, name) or importlib.util.find_spec(f"{module}.{name}"), (
                page, module, name,
            )  # fmt: skip
    sys.modules.pop("tools", None)


def test_the_introductions_commands_parse() -> None:
    """Every ``convotron ...`` command of the introduction names real subcommands and options."""
    from convotron.cli import build_parser

    text = (BOOK / "intro.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(?:\$ )?convotron (.+?)(?:\s+#.*)?$", text, re.MULTILINE)
    commands += re.findall(r"`convotron ([a-z][^`]*)`", text)
    argvs = [shlex.split(c) for c in commands if "COMMAND" not in c and "--help" not in c]
    assert {a[0] for a in argvs} >= {"run", "check", "bounds", "verify", "experiment"}, argvs
    parser = build_parser()
    for argv in argvs:
        ns = parser.parse_args(argv)
        assert ns.command == argv[0] and callable(ns.handler), argv


def test_markdown_table_formats_and_escapes() -> None:
    md = markdown_table(("a", "b|c"), [(0.000123456, None), (True, "x|y")])
    assert md.splitlines() == [
        "| a | b\\|c |",
        "|---|---|",
        "| 0.000123 | - |",
        "| yes | x\\|y |",
    ]
    with pytest.raises(ValueError, match=r"every row must have 2 cells .* row 0 has 1"):
        markdown_table(("a", "b"), [(1,)])


def test_tests_by_label_finds_function_class_and_module_marks(tmp_path: Path) -> None:
    d = tmp_path / "tests"
    d.mkdir()
    # The marks are assembled at run time: a literal mark in this file would count as a
    # marked test for tests/theory/test_claims.py, which scans the sources with a regex.
    mark = "pytest.mark." + "claim"
    (d / "test_a.py").write_text(
        "import pytest\n"
        f"pytestmark = [{mark}('lem-m')]\n"
        f"@{mark}('lem-f')\n"
        "def test_f():\n    pass\n"
        f"@{mark}('lem-c')\n"
        "class TestC:\n"
        f"    @{mark}('lem-g')\n"
        "    def test_g(self):\n        pass\n"
        f"@{mark}('lem-x')\n"
        "def helper():\n    pass\n",
        encoding="utf-8",
    )
    found = cg.tests_by_label(d)
    assert found == {
        "lem-c": ["tests/test_a.py::TestC::test_g"],
        "lem-f": ["tests/test_a.py::test_f"],
        "lem-g": ["tests/test_a.py::TestC::test_g"],
        "lem-m": ["tests/test_a.py::TestC::test_g", "tests/test_a.py::test_f"],
    }


def test_tests_by_label_agrees_with_the_registry_test_scan() -> None:
    from tests.theory.test_claims import marked_labels

    assert set(cg.tests_by_label()) == set(marked_labels())


def test_graph_levels_put_every_arrow_upwards() -> None:
    from convotron_theory.claims import CLAIMS, dependency_edges

    uses = {lab: tuple(c.uses) for lab, c in CLAIMS.items()}
    lev = cg.levels(uses)
    assert all(lev[u] < lev[v] for u, v in dependency_edges())
    assert all(lev[lab] == 1 + max((lev[u] for u in us), default=-1) for lab, us in uses.items())
    pos = cg.positions(uses)
    assert set(pos) == set(CLAIMS) and len(set(pos.values())) == len(pos)
    with pytest.raises(ValueError, match=r"no cycle; 'a' uses itself"):
        cg.levels({"a": ("b",), "b": ("a",)})
    with pytest.raises(ValueError, match=r"got 'z', which is not"):
        cg.levels({"a": ("z",)})


def test_check_layout_reads_the_probe_report() -> None:
    """The layout report of the browser check: each kind of problem is named, none is silent."""
    import html
    import json

    from book.tools.browser_check import LAYOUT_ID, check_layout

    def dom(report: dict) -> str:
        return f'<body><pre id="{LAYOUT_ID}">{html.escape(json.dumps(report))}</pre></body>'

    clean = {"code": [], "math": [], "tables": []}
    assert check_layout(dom(clean)) == []
    assert check_layout("<body></body>") == [
        "the layout probe did not report (the page's scripts did not finish)"
    ]
    broken = {
        "code": [{"output": False, "scroll": 900, "width": 700, "line": "x = 1" + " " * 90}],
        "math": [{"scroll": 800, "width": 700, "tex": "a + b"}],
        "tables": [{"index": 0, "counts": [3, 3, 2], "dollars": ["$E[y "], "head": "a b c"}],
    }
    problems = check_layout(dom(broken))
    assert len(problems) == 4
    assert "a code line is wider than the column (900 > 700 px)" in problems[0]
    assert "display maths scrolls sideways (800 > 700 px)" in problems[1]
    assert "unequal cell counts [3, 3, 2]" in problems[2]
    assert "unmatched '$'" in problems[3] and r"\mid" in problems[3]


LIST_MARKER = re.compile(r"^\s*(?:[-+*]|\d{1,9}[.)])(?:\s|$)")


def list_markers_inside_inline_maths(text: str) -> list[tuple[int, str]]:
    """Lines that Markdown would read as a list item although they continue inline maths.

    A paragraph's source line that starts with ``+ ``, ``- ``, ``* `` or ``1. `` while an inline
    ``$...$`` opened on an earlier line is still open starts a list: the maths breaks, the page
    shows raw ``$`` and TeX. Pass the text without code cells; ``$$`` blocks are skipped,
    directive bodies (``prf:`` statements and proofs) are scanned. Returns
    ``(line number, line)`` pairs.
    """
    bad: list[tuple[int, str]] = []
    in_display = False
    dollars = 0  # inline $ seen so far in the current paragraph
    for no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(("```", ":")):  # fences and directive options end a paragraph
            dollars = 0
            continue
        if stripped == "$$" or (stripped.startswith("$$") and stripped.count("$$") == 1):
            in_display = not in_display
            dollars = 0
            continue
        if in_display:
            continue
        if not stripped:
            dollars = 0
            continue
        if dollars % 2 == 1 and LIST_MARKER.match(line):
            bad.append((no, line))
        dollars += len(re.findall(r"(?<![\\$])\$(?!\$)", line.replace("$$", "")))
    return bad


def test_list_marker_detector_on_the_old_exact_k_proof() -> None:
    old = (
        "For independent standardised coordinates,\n"
        "$\\mathbb{E}[z_az_bz_cz_d] = \\delta_{ab}\\delta_{cd} + \\delta_{ac}\\delta_{bd}\n"
        "+ (\\kappa - 3)\\delta_{abcd}$: a product\n"
    )
    assert list_markers_inside_inline_maths(old) == [
        (3, "+ (\\kappa - 3)\\delta_{abcd}$: a product")
    ]
    fixed = old.replace("\\delta_{bd}\n+ (", "\\delta_{bd} +\n(")
    assert list_markers_inside_inline_maths(fixed) == []
    display = "$$\n a \\\\\n+ b\n$$\n- a real item with $x$\n"
    assert list_markers_inside_inline_maths(display) == []


def test_no_line_of_inline_maths_starts_like_a_list_item() -> None:
    """Finding 1 of issue 20: theorem.md's proof of the exact-K lemma showed raw TeX because a
    continuation line of inline maths began with ``+ ``."""
    found = {
        page.name: hits
        for page in sorted(BOOK.glob("*.md"))
        if (hits := list_markers_inside_inline_maths(CODE_CELL.sub("", page.read_text("utf-8"))))
    }
    assert not found, found


def test_strided_schemes_are_not_said_to_be_singular() -> None:
    """Finding 2 of issue 20: an unpadded patch-and-stride scheme always has
    λ_min(PPᵀ) > 0 (spectra.md asserts it on every swept scheme); k ≥ ⌈r/d⌉ only buys the
    constant 1/2. The old framing ("starts low while k < ⌈r/d⌉", "add patches or shorten the
    stride" as the fix for λ_min = 0) must not come back."""
    stale = (
        "starts low while",
        "cannot tell all filter positions apart",
        "Add patches or shorten the stride",
        "this holds as soon as there are at least",
        "For $r/2 < d < r$",
        "If $r/2 < d < r$",
    )
    hits = [
        (page.name, phrase)
        for page in sorted(BOOK.glob("*.md"))
        for phrase in stale
        if phrase in page.read_text("utf-8")
    ]
    assert not hits, hits


def _section(page: str, label: str) -> str:
    text = (BOOK / page).read_text("utf-8")
    start = text.index(f":label: {label}")
    return text[start : text.index("```", start)]


def test_moment_conditions_are_stated_in_the_model_and_the_theorem() -> None:
    """Issue 19, item 7: β needs E‖x‖⁴ < ∞ and ρ needs E[ξ²‖Px‖²] < ∞; on e461165 neither the
    model nor the theorem said so."""
    fourth = r"\mathbb{E}\lVert x\rVert^4 < \infty"
    noise = r"\mathbb{E}[\xi^2\lVert Px\rVert^2] < \infty"
    for page, label in (("model.md", "def-model"), ("theorem.md", "thm-convotron")):
        statement = " ".join(_section(page, label).split())
        assert fourth in statement and noise in statement, (page, label)


def test_the_first_step_remarks_are_true() -> None:
    """Issue 19, item 7: a leaky ReLU does not make the first step non-zero with probability
    one (model.md asserts two counterexamples), and the "leaves zero" proof uses a patch of
    positive variance, which λ_min(M) > 0 provides (Pr[u₁ ≤ 0] = 1/2 fails when Var u₁ = 0)."""
    text = " ".join((BOOK / "model.md").read_text("utf-8").split())
    assert "With a leaky ReLU ($\\alpha > 0$) or noise with a density, the first step" not in text
    assert r"\Pr[u_1 \le 0] = 1/2" not in text
    assert r"w^{*\top}Mw^* \ge \lambda_{\min}(M)\lVert w^*\rVert^2 > 0" in text
    assert '"repeated": (2, [[0, 1], [0, 1], [1, 0]], 0.5' in text
    assert "assert np.array_equal(zero_, cone(X_))" in text


def test_every_computed_number_of_the_text_is_glued() -> None:
    """Deliver 2 of issue 20: the build fails on a hand-written computed number."""
    from book.tools.glue_check import scan_book

    assert scan_book() == []


def test_glue_scan_catches_the_old_hand_written_numbers() -> None:
    from book.tools.glue_check import scan_page

    old = (
        "The printed crossing times split the ratio $T/\\text{median}$ of this case, about "
        "$3.8$, into these three factors: about $1.5$ for Markov, exactly $2$ for the "
        "one-step factor, and a factor of about 60 for the rest; $\\epsilon = 0.01$.\n"
    )
    assert [h.number for h in scan_page("verification.md", old)] == ["3.8", "1.5", "60"]
    glued = "a ratio of {glue:text}`slack_total:.2f`, with $\\epsilon = 0.01$ and `x = 0.5`\n"
    assert scan_page("verification.md", glued) == []
    code = "```{code-cell} ipython3\nx = 0.25\n```\n"
    assert scan_page("x.md", code) == []
    # an allowed snippet is allowed only on its page
    assert scan_page("sgd.md", "$\\alpha = 0.2$") == []
    assert [h.number for h in scan_page("model.md", "$\\alpha = 0.2$")] == ["0.2"]


def test_glue_scan_reports_a_role_without_a_glued_key(tmp_path: Path) -> None:
    from book.tools.glue_check import scan_book

    (tmp_path / "a.md").write_text(
        "see {glue:text}`nowhere:.2f` and {glue:text}`x_ok`\n"
        "```{code-cell} ipython3\nglue(f'x_{name}', 1, display=False)\n```\n",
        encoding="utf-8",
    )
    problems = scan_book(tmp_path)
    assert len(problems) == 1 and "'nowhere'" in problems[0]


def test_every_asserting_cell_says_what_it_checks() -> None:
    """The introduction promises that each check sits behind a button saying what it checks
    and what a failure would mean; on e461165 the cells of sklearn.md and conv.md were open
    with no prompt. Every cell that asserts carries a ``code_prompt_show`` starting with
    "Check" (cells whose input is removed are exempt)."""
    missing = []
    for page in sorted(BOOK.glob("*.md")):
        for cell in CODE_CELL.findall(page.read_text("utf-8")):
            head = cell.split("\n---\n", 1)[0] if cell.startswith("---\n") else ""
            options = head + "".join(line for line in cell.splitlines() if line.startswith(":"))
            if "remove-input" in options or "remove-cell" in options:
                continue
            if re.search(r"^\s*(?:assert|np\.testing\.assert)", cell, re.M):
                prompt = re.search(r'code_prompt_show: "([^"]*)"', head)
                if not (prompt and prompt.group(1).startswith("Check")):
                    missing.append((page.name, cell.splitlines()[0][:60]))
    assert not missing, missing


def test_glued_values_are_plain_python_numbers() -> None:
    """myst-nb formats a glued value from its repr; a numpy scalar's repr
    (``np.float64(0.12)``) cannot be formatted and fails the build, so every ``glue`` call
    converts its value with ``float``, ``int`` or ``round``."""
    call = re.compile(r"""glue\(\s*f?["'][^"']+["']\s*,\s*(.+?),\s*display=False\)""")
    bad = [
        (page.name, value)
        for page in sorted(BOOK.glob("*.md"))
        for value in call.findall(page.read_text("utf-8"))
        if not re.match(r"(?:float|int|round)\(", value)
    ]
    assert not bad, bad


def test_browser_check_flags_raw_tex_and_a_list_inside_maths() -> None:
    """Deliver 6 of issue 20, on the DOM the old exact-K proof produced (no browser needed):
    a lone ``$``, TeX control words outside MathJax and a list item holding raw TeX."""
    from book.tools.browser_check import check_dom

    old = (
        '<body><div class="proof"><p>For independent, <span class="math">'
        "<mjx-container>x</mjx-container></span></p><ul><li><p>(\\kappa - 3)"
        "\\delta_{abcd}$: a product</p></li></ul></div></body>"
    )
    problems = check_dom(old, Path("theorem.html")).problems
    assert any("raw TeX '$' outside MathJax" in p for p in problems)
    assert any("'\\\\kappa'" in p for p in problems)
    assert any(p.startswith("a list item holds raw TeX") for p in problems)
    clean = (
        '<body><ul><li>an item with <span class="math"><mjx-container>\\delta</mjx-container>'
        "</span></li></ul><pre>$ convotron check</pre><code>\\mathbb</code></body>"
    )
    assert check_dom(clean, Path("x.html")).problems == []


def test_code_cell_lines_fit_the_column() -> None:
    """A code line longer than 79 characters scrolls sideways in the book's column (the
    browser check measures it; this catches it before a build)."""
    long_lines = []
    for page in sorted(BOOK.glob("*.md")):
        for cell in CODE_CELL.findall(page.read_text("utf-8")):
            body = cell.split("\n---\n", 1)[1] if cell.startswith("---\n") else cell
            long_lines += [(page.name, line) for line in body.splitlines() if len(line) > 79]
    assert not long_lines, long_lines


def test_heat_map_labels_contrast_with_their_cells() -> None:
    """Issue 20 found black labels on the dark end of the colour map in sgd.md's heat maps;
    each label now takes black or white by the cell's luminance (WCAG ratio >= 4.5)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from book.tools.claim_graph import contrast_ratio
    from convotron.glue.experiments._plots import annotated_heatmap

    values = [[10.0**e for e in range(-16, 1, 2)]]
    fig, ax = plt.subplots()
    annotated_heatmap(ax, values, row_labels=["r"], col_labels=list("abcdefghi"), title="t")
    im = ax.images[0]
    for j, text in enumerate(ax.texts):
        cell = to_hex(im.cmap(im.norm(im.get_array()[0, j])))
        assert contrast_ratio(cell, to_hex(text.get_color())) >= 4.5, (j, cell, text.get_color())
    plt.close(fig)


def test_download_links_are_read_from_the_theme_menu(tmp_path: Path) -> None:
    from book.tools.downloads import check_downloads, download_links

    item = (
        '<li><a href="{href}" target="_blank" class="btn dropdown-item">'
        '<span class="btn__icon-container"><i></i></span>'
        '<span class="btn__text-container">{kind}</span></a></li>'
    )
    html = item.format(href="_sources/p.ipynb", kind=".ipynb") + item.format(
        href="_sources/p.md", kind=".md"
    )
    assert download_links(html) == {".ipynb": "_sources/p.ipynb", ".md": "_sources/p.md"}
    # a tiny book: one notebook page whose .ipynb link names no file
    book, site = tmp_path / "book", tmp_path / "html"
    (site / "_sources").mkdir(parents=True)
    book.mkdir()
    (book / "_toc.yml").write_text("format: jb-book\nroot: p\n")
    (book / "p.md").write_text("# P\n```{code-cell} ipython3\n1\n```\n")
    (site / "p.html").write_text(html)
    (site / "_sources" / "p.md").write_text("# P")
    problems = check_downloads(site, book)
    assert len(problems) == 1 and "p.html: the .ipynb download" in problems[0]
    (site / "_sources" / "p.ipynb").write_text('{"cells": [{"cell_type": "code"}]}')
    assert check_downloads(site, book) == []
    (site / "p.html").write_text(item.format(href="https://x.org/p.md", kind=".md"))
    problems = check_downloads(site, book)
    assert any("not a local file" in p for p in problems)
    assert any("offers no .ipynb download" in p for p in problems)


def test_the_built_book_offers_every_download() -> None:
    """Deliver 8 of issue 20: every page as .md and, with code cells, as .ipynb (offline)."""
    from book.tools import HTML_DIR
    from book.tools.downloads import check_downloads

    if not (HTML_DIR / "index.html").is_file():
        pytest.skip("the book is not built (python -m book.tools.build)")
    assert check_downloads() == []
