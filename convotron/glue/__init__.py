"""GLUE: the only place where the numerical core (:mod:`convotron`) meets :mod:`convotron_theory`.

- :mod:`convotron.glue.parameters`: the theorem's numbers for a
  :class:`~convotron.model.problem.Problem` (:func:`~convotron.glue.parameters.theorem_parameters`,
  one :class:`~convotron.glue.parameters.TheoremParameters` carried by reference);
- :mod:`convotron.glue.verify`: ``convotron verify`` (cases, statistics, drift check,
  report, suite);
- :mod:`convotron.glue.experiments`: ``convotron experiment NAME``;
- :mod:`convotron.glue.claims`: run-time resolution of the claims registry's code objects.

Layers (checked by import-linter in ``make lint``): :mod:`convotron.cli` may import this
package; this package may import the core and :mod:`convotron_theory`; the core never imports this
package, :mod:`convotron.cli` or :mod:`convotron_theory`; :mod:`convotron_theory` never imports
:mod:`convotron`.
Nothing is imported here, so ``import convotron.glue.claims`` stays light.
"""
