"""Speed and memory benchmarks of the Hunan model, and the per-agent Mesa reference they compare against.

* :mod:`benchmarks.reference_mesa`: the household migration, permit and settlement decisions written the
  plain Mesa way (one :class:`mesa.Agent` per household, ``shuffle_do("step")``).
* :mod:`benchmarks.run`: ``python -m benchmarks.run`` times every stage of :class:`sim.model.HunanModel` at
  several scales, each in its own process, and writes ``benchmarks/results.md``.
* :mod:`benchmarks.profile_model`: ``python -m benchmarks.profile_model`` profiles a few model years
  (cProfile, and line timings of the stages when ``line_profiler`` is installed).
"""
