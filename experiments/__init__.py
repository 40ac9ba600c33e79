"""Policy experiments: experiment files, sweeps on Dask, results folders, reports and the EMA Workbench model.

See ``experiments/README.md``; the command line is ``hunan-sim sweep`` and ``hunan-sim report``.
"""
