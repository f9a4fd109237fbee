"""Local Sphinx extension of the convotron book.

Jupyter Book 1 loads ``sphinx_thebe``, whose ``env-before-read-docs`` handler fires on every
read pass; with this project's build it registers its inline configuration script twice, so
every page declares ``const THEBE_JS_URL`` twice (once with ``filename=None``, once with
``filename=""``) and the browser logs an uncaught ``SyntaxError``. The browser check
(``book/tools/browser_check.py``) treats console errors as page errors, so this extension
removes duplicate script entries from each page's context.

Downloads. sphinx-book-theme offers a page's executed notebook (``.ipynb``) in its download
menu only when a launch service (Binder, JupyterHub, Colab) is configured, which an offline
book has none of. :func:`offer_notebook` copies the executed notebook that myst-nb wrote to
``_build/jupyter_execute/PAGE.ipynb`` into ``_sources/`` and sets ``ipynb_source``, so the
menu lists ``.ipynb`` beside ``.md`` (both plain files of the site; ``book/tools/downloads.py``
checks them after every build).

API values. autodoc prints a module constant's value after its name; for the bounds of
:mod:`convotron_theory.bounds` that value is a ``repr`` full of TeX (``lhs='\\beta'``), which the
page
shows raw and the browser check rejects. :class:`TexSafeDataDocumenter` omits the value of a
constant whose ``repr`` holds a backslash (its docstring still describes it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TexSafeDataDocumenter", "dedupe_scripts", "offer_notebook", "setup"]


def dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Keep the first of several identical ``<script>`` entries of a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    kept = []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        key = (str(getattr(js, "filename", None) or ""), repr(sorted(attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    scripts[:] = kept


def offer_notebook(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Copy ``jupyter_execute/PAGE.ipynb`` to ``_sources/`` and offer it for download."""
    from pathlib import Path
    from shutil import copy2

    out_dir = Path(app.outdir)
    executed = out_dir.parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file() or not str(context.get("sourcename", "")).endswith(".md"):
        return
    target = out_dir / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _tex_safe_documenter() -> Any:
    from sphinx.ext.autodoc import DataDocumenter
    from sphinx.util.inspect import object_description

    class TexSafeDataDocumenter(DataDocumenter):
        """A module constant's documenter that hides a value whose ``repr`` holds TeX."""

        def should_suppress_value_header(self) -> bool:
            if super().should_suppress_value_header():
                return True
            try:
                text = object_description(self.object)
            except Exception:  # an unprintable value: keep the default
                return False
            return "\\" in text

    return TexSafeDataDocumenter


TexSafeDataDocumenter: Any = None  # created in setup, once Sphinx is importable


def setup(app: Any) -> dict[str, Any]:
    """Register the page-context hook.

    It runs early (priority 100): ``html-page-context`` stops at the first handler that returns
    a template name, so a late handler might never run.
    """
    app.connect("html-page-context", dedupe_scripts, priority=100)
    app.connect("html-page-context", offer_notebook, priority=100)
    global TexSafeDataDocumenter
    app.setup_extension("sphinx.ext.autodoc")
    TexSafeDataDocumenter = _tex_safe_documenter()
    app.add_autodocumenter(TexSafeDataDocumenter, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
