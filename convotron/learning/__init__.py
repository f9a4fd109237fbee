r"""Learning: update rules, data sources, the runner and its results.

:mod:`convotron.learning.rules` (the ``Rule`` protocol, ``ConvotronRule``,
``SGDRule``), :mod:`convotron.learning.sources` (``Sampler``, ``Rows``),
:mod:`convotron.learning.algorithm` (``fit``, the one runner, and its wrappers),
:mod:`convotron.learning.many` (``run_many``), :mod:`convotron.learning.baselines`
(SGD, GLMtron), :mod:`convotron.learning.results`; privately the compiled loop's
drivers (``_engine``, ``_sampling``) and the readable oracles they are tested
against bitwise (``_sampling_reference``). Above :mod:`convotron.model`. Nothing is
re-exported here: import the modules.
"""
