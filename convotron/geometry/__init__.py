r"""The patch geometry: which input coordinates each patch :math:`P_i` reads.

:mod:`convotron.geometry.patches` (``PatchScheme``, ``parse_spec``, the overlap
matrix :math:`M = \sum_{i,j} P_i \Sigma P_j^\top`), :mod:`convotron.geometry.conv`
(PyTorch-style ``conv1d:``/``conv2d:`` specs) and their private checks of index
arrays and scheme files. Above :mod:`convotron.data` (the overlap matrix reads a
covariance). Nothing is re-exported here: import the modules.
"""
