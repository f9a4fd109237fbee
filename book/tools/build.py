"""Build the book from a clean state and fail loudly.

Runs ``jupyter-book build book/ -W -n --keep-going`` with the ``jupyter-book`` executable that
sits beside the running Python (the project's ``.venv``), after removing ``book/_build`` so no
stale page or cached notebook survives. Every code cell is executed (``execute_notebooks:
force``); with ``-W`` a failing cell, a warning or a broken reference makes the build exit
non-zero, and so does this script.

The notebooks name the kernel ``python3``. Before building, the script checks that this kernel
resolves to the running interpreter (Jupyter replaces a kernel command ``python`` by
``sys.executable``); if it does not, it registers the venv's ``ipykernel`` under
``sys.prefix`` (inside ``.venv``), touching nothing outside the repository.

Before building, :func:`book.tools.glue_check.scan_book` checks that every computed number of
the text is glued from a cell (a hand-written one fails the build at once); after it,
:func:`book.tools.downloads.check_downloads` checks that every page offers its ``.md`` and,
for notebooks, ``.ipynb`` as local files.

Usage: ``python -m book.tools.build [--keep]`` (``--keep``: do not delete the previous build).
Exit status: 0 on success, 1 when the build fails, 2 when the tools are missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from book.tools import BOOK_DIR, BUILD_DIR, HTML_DIR, REPO_ROOT

__all__ = ["build", "ensure_kernel", "jupyter_book_executable", "main"]


def jupyter_book_executable() -> Path:
    """Return the ``jupyter-book`` executable of the running environment.

    Raises
    ------
    FileNotFoundError
        If it is not installed beside ``sys.executable``, with the command that installs it.
    """
    exe = Path(sys.executable).parent / "jupyter-book"
    if not exe.exists():
        raise FileNotFoundError(
            f"jupyter-book must be installed beside the running Python; {str(exe)!r} does not "
            "exist. Install the book extra: python -m pip install -e '.[book]'."
        )
    return exe


def ensure_kernel() -> str:
    """Make sure the kernel ``python3`` runs this interpreter; return how it resolves.

    ``jupyter_client`` substitutes ``sys.executable`` for a kernel command ``python`` or
    ``python3``; a kernel spec naming another absolute interpreter would run the book against
    the wrong packages. In that case the venv's ipykernel is installed under ``sys.prefix``.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    def resolves_here() -> tuple[bool, str]:
        try:
            spec = KernelSpecManager().get_kernel_spec("python3")
        except NoSuchKernel:
            return False, "no kernel named python3"
        cmd = spec.argv[0]
        ok = cmd in {"python", "python3"} or Path(cmd).resolve() == Path(sys.executable).resolve()
        return ok, f"python3 -> {cmd} ({spec.resource_dir})"

    ok, how = resolves_here()
    if ok:
        return how
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
        check=True,
    )
    ok, how = resolves_here()
    if not ok:
        raise RuntimeError(
            f"the notebook kernel 'python3' must run {sys.executable}; it resolves to {how} even "
            "after 'ipykernel install --sys-prefix'. Remove the conflicting kernel spec "
            "(jupyter kernelspec list) and rerun."
        )
    return how


def build(*, clean: bool = True) -> int:
    """Build the book into ``book/_build/html``; return the exit status (0 on success)."""
    exe = jupyter_book_executable()
    from book.tools.glue_check import scan_book

    unglued = scan_book()
    if unglued:
        for problem in unglued:
            print(f"[book] {problem}", file=sys.stderr)
        print(
            f"[book] FAILED: {len(unglued)} computed numbers of the text are not glued "
            "(book/tools/glue_check.py).",
            file=sys.stderr,
        )
        return 1
    print(f"[book] kernel: {ensure_kernel()}", flush=True)
    if clean and BUILD_DIR.exists():
        shutil.rmtree(BUILD_DIR)
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    cmd = [str(exe), "build", str(BOOK_DIR.relative_to(REPO_ROOT)), "-W", "-n", "--keep-going"]
    print("[book] " + " ".join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(
            f"[book] FAILED: jupyter-book exited {proc.returncode} after {seconds:.1f} s; "
            "the first error above names the page and cell.",
            file=sys.stderr,
        )
        return 1
    if not (HTML_DIR / "index.html").exists():
        print(
            f"[book] FAILED: jupyter-book exited 0 but {HTML_DIR / 'index.html'} is missing.",
            file=sys.stderr,
        )
        return 1
    pages = sorted(HTML_DIR.glob("*.html"))
    print(f"[book] built {len(pages)} pages in {seconds:.1f} s -> {HTML_DIR}", flush=True)
    from book.tools.downloads import check_downloads

    missing = check_downloads()
    if missing:
        for problem in missing:
            print(f"[book] {problem}", file=sys.stderr)
        print("[book] FAILED: page downloads (book/tools/downloads.py).", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m book.tools.build", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="do not delete book/_build first")
    args = parser.parse_args(argv)
    try:
        return build(clean=not args.keep)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"[book] {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
