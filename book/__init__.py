"""The executable book of convotron (Jupyter Book 1 sources) and its tools.

The chapters are MyST text notebooks; ``python -m book.tools.build`` builds them and
``python -m book.tools.browser_check`` loads every built page in headless Chromium.
"""

__all__: list[str] = []
