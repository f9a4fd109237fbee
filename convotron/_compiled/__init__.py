r"""The compiled code (numba): the update loop's kernels and the fast random stream.

Private. ``_kernels`` holds the one update loop and its draws, ``_rng`` the fast
stream (``_ziggurat_data`` its tables); their interface, the integer codes and the
named bundles, is :mod:`convotron._codes` (plain Python, so that the light modules
name it without loading numba). Imports only :mod:`convotron.data` (the laws'
constants) and the shared helpers. Nothing is re-exported here.
"""
