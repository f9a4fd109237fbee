"""Hypothesis strategies for the tests: re-exported from :mod:`convotron.testing`."""

from convotron.testing import *  # noqa: F403
from convotron.testing import __all__  # noqa: F401
