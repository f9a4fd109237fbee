r"""The model: the activation, the network :math:`f_w`, the problem and its teacher.

:mod:`convotron.model.activations` (leaky ReLU), :mod:`convotron.model.network`
(:math:`f_w(x) = \frac1k \sum_i \sigma(w^\top P_i x)`) and
:mod:`convotron.model.problem` (``Problem``: scheme, slope, law, covariance, noise;
``Teacher``: a problem and :math:`w^*`, with its one sampling routine). Above
:mod:`convotron.geometry`, :mod:`convotron.data` and :mod:`convotron._compiled`
(a teacher's compiled labels). Nothing is re-exported here: import the modules.
"""
