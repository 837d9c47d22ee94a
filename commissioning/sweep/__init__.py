"""``commissioning sweep``: many runs of one scenario file, each a task on Dask distributed.

:mod:`~commissioning.sweep.plan` turns ``--vary`` options into scenario texts (one per run, each checked
by the scenario file's own parser), :mod:`~commissioning.sweep.cache` names each run's folder by a hash of
its inputs and reads finished runs back, :mod:`~commissioning.sweep.engine` runs the rest on a local or
remote Dask cluster, :mod:`~commissioning.sweep.table` writes ``sweep.csv`` and
:mod:`~commissioning.sweep.page` ``sweep.html``.
"""
