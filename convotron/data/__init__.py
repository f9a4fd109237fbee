r"""The distribution of the data: covariances and input laws, noise models.

The bottom layer of the numerical core (with the shared helpers ``_errors``,
``_limits``, ``_validate``, ``_io`` and the compiled loop's codes ``_codes``): it
imports no other layer. :mod:`convotron.data.covariance` holds the covariances
:math:`\Sigma` and their factor :math:`L` (:math:`x = Lz`),
:mod:`convotron.data.laws` the laws of the standardised coordinates :math:`z` and the
label noise :math:`\xi`. Nothing is re-exported here: import the modules.
"""
