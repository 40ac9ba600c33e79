"""The Solara web UI of the Hunan urbanization simulator (``app.py`` at the top level is the entry point).

Layout of the package, from data to pixels:

* :mod:`ui.i18n`: every label in English and Chinese; lever, indicator and division names come from the
  model's own declarations (:data:`sim.parameters.LEVERS`, :data:`sim.indicators.INDICATORS`, the division
  table), so the UI cannot drift from the model.
* :mod:`ui.inputs`: parsing and validation of what a user types (seed, scale, lever values, the results
  folder); refusals are :class:`sim.errors.InputError` whose message the page shows.
* :mod:`ui.session`: one browser session's simulation (a :class:`ui.session.SimSession` per session, never a
  module-level model), its indicator series and the "follow a household" timeline.
* :mod:`ui.geo`, :mod:`ui.charts`: pure functions that turn model state into the small JSON specs drawn by the
  SVG templates ``ui/map.vue`` and ``ui/chart.vue`` (text is drawn by the browser, so Chinese works without
  a CJK font on the server, and a step sends numbers, not images).
* :mod:`ui.compare`, :mod:`ui.results`: replications against the baseline (fan charts) and browsing stored
  experiment results inside a results root.
* :mod:`ui.teaching`: the About / How it works / Things to try text per mechanism.
* :mod:`ui.components`: the Solara components that assemble all of this.
"""
