r"""Estimation from rows: the plug-in constants of the theorem.

:mod:`convotron.estimation.plugin` (:math:`\hat\lambda_{\min}`,
:math:`\hat\beta`, :math:`\hat a`, :math:`\hat\eta` with CLT intervals, the
step diagnosis). Above :mod:`convotron.model`, beside :mod:`convotron.learning`
(neither imports the other). Nothing is re-exported here: import the modules.
"""
