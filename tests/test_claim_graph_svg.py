"""The claim graph's SVG: self-contained, layered, linked, legible (book/tools/claim_graph.py)."""

from __future__ import annotations

import html
import re
import shutil

import pytest

from book.tools.claim_graph import (
    LABEL_FONT,
    LEVEL_COLOURS,
    LEVEL_NAMES,
    SMALL_FONT,
    SVG_WIDTH,
    TEXT_COLOUR,
    contrast_ratio,
    graph_html,
    label_pages,
    levels,
    render_svg,
)
from convotron_theory.claims import CLAIMS, display_name


def _boxes(svg):
    rects = re.findall(
        r'<a class="claim-node" href="([^"]+)">\s*<title>[^<]*</title>\s*'
        r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"',
        svg,
    )
    return {href.split("#")[1]: (float(x), float(y), float(w)) for href, x, y, w in rects}


def test_every_claim_is_a_node_linking_to_the_page_that_states_it():
    pages = label_pages()
    assert set(pages) == set(CLAIMS)
    svg = render_svg(CLAIMS, pages)
    hrefs = re.findall(r'<a class="claim-node" href="([^"]+)"', svg)
    assert sorted(hrefs) == sorted(pages.values())
    assert all(re.fullmatch(r"[a-z0-9_-]+\.html#[\w-]+", h) for h in hrefs)
    plain = svg.replace("&#x27;", "'").replace("&amp;", "&")
    for lab, c in CLAIMS.items():
        assert f"<title>{display_name(lab)} [{lab}]: {c.title}" in plain


def test_statuses_differ_are_computed_and_rank_proofs_above_tests():
    """The graph informs: several levels occur, each from the registry, proofs first.

    On e461165 every node had the same colour ("checked by tests and runs") and a claim with
    tests ranked above one with a proof.
    """
    from dataclasses import replace

    from convotron_theory.claims import LEVELS, Status, claim_level

    svg = render_svg(CLAIMS)
    drawn = re.findall(r'data-level="(\w+)"', svg)
    assert len(drawn) == len(CLAIMS)
    assert {"exact", "proved", "paper"} <= set(drawn)
    assert claim_level(CLAIMS["lem-1d"]) == "exact"
    assert claim_level(CLAIMS["lem-drift"]) == "proved"
    assert claim_level(CLAIMS["def-model"]) == "paper"
    c = CLAIMS["lem-drift"]
    tested_only = replace(c, status=Status(checked_by_tests=True), provenance="[derived] x")
    assert claim_level(tested_only) == "observed"
    runs_only = replace(tested_only, status=Status(checked_by_tests=True, checked_by_runs=True))
    assert claim_level(runs_only) == "runs"
    assert LEVELS.index("proved") < LEVELS.index("runs") < LEVELS.index("observed")
    # the legend names exactly the levels drawn
    for level, name in LEVEL_NAMES.items():
        assert (html.escape(name) in svg) == (level in drawn), level


def test_every_fill_contrasts_with_the_label_text():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    for level, colour in LEVEL_COLOURS.items():
        assert contrast_ratio(colour, TEXT_COLOUR) >= 4.5, (level, colour)


def test_self_contained_no_script_no_remote_url():
    svg = render_svg(CLAIMS)
    assert "<script" not in svg
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]  # xmlns only


def test_layers_go_down_and_everything_fits_the_column():
    svg = render_svg(CLAIMS)
    box = _boxes(svg)
    lev = levels({lab: c.uses for lab, c in CLAIMS.items()})
    for lab, c in CLAIMS.items():
        for u in c.uses:
            assert box[u][1] < box[lab][1] and lev[u] < lev[lab]
    assert all(0 <= x and x + w <= SVG_WIDTH for x, _, w in box.values())
    assert f'viewBox="0 0 {SVG_WIDTH} ' in svg and min(LABEL_FONT, SMALL_FONT) >= 12
    assert "claim-graph-figure" in graph_html(CLAIMS).data


@pytest.mark.book
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
def test_graph_check_passes_on_a_page_with_the_graph_and_fails_on_a_broken_link(tmp_path):
    from book.tools.graph_check import check_claim_graph, screenshot_graph

    pages = label_pages()
    for page in {p.split("#")[0] for p in pages.values()}:
        ids = "".join(
            f'<div id="{lab}">{lab}</div>' for lab, h in pages.items() if h.startswith(page)
        )
        (tmp_path / page).write_text(f"<html><body>{ids}</body></html>")
    body = f'<div style="width:676px">{render_svg(CLAIMS, pages)}</div>'
    (tmp_path / "intro.html").write_text(f"<html><body>{body}</body></html>")
    assert check_claim_graph("chromium", tmp_path / "intro.html") == []
    shot = screenshot_graph("chromium", tmp_path / "intro.html", tmp_path / "graph.png")
    assert shot.stat().st_size > 10_000
    bad = dict(pages, **{"def-model": "nowhere.html#def-model"})
    small = f'<div style="width:400px">{render_svg(CLAIMS, bad)}</div>'
    (tmp_path / "bad.html").write_text(f"<html><body>{small}</body></html>")
    problems = check_claim_graph("chromium", tmp_path / "bad.html")
    assert any("nowhere.html" in p for p in problems)
    assert any("labels must be at least 12 px" in p for p in problems)


@pytest.mark.book
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
def test_graph_check_measures_contrast_and_levels_in_the_browser(tmp_path, monkeypatch):
    """The browser check fails a graph whose labels do not contrast with their boxes, or
    whose nodes all share one status level (the e461165 graph)."""
    from dataclasses import replace

    from book.tools import claim_graph as cg
    from book.tools.graph_check import check_claim_graph
    from convotron_theory.claims import Status

    pages = label_pages()
    for page in {p.split("#")[0] for p in pages.values()}:
        ids = "".join(f'<div id="{lab}"></div>' for lab, h in pages.items() if h.startswith(page))
        (tmp_path / page).write_text(f"<html><body>{ids}</body></html>")
    monkeypatch.setitem(cg.LEVEL_COLOURS, "exact", "#333333")
    svg = render_svg(CLAIMS, pages)
    (tmp_path / "dark.html").write_text(f'<html><body><div style="width:676px">{svg}</div>')
    problems = check_claim_graph("chromium", tmp_path / "dark.html")
    assert any("has contrast" in p and "#333333" in p for p in problems), problems
    monkeypatch.undo()
    same = {
        lab: replace(c, status=Status(checked_by_tests=True), provenance="[derived] x")
        for lab, c in CLAIMS.items()
    }
    (tmp_path / "flat.html").write_text(
        f'<html><body><div style="width:676px">{render_svg(same, pages)}</div>'
    )
    problems = check_claim_graph("chromium", tmp_path / "flat.html")
    assert any("draws 1 status level" in p for p in problems), problems
