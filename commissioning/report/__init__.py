"""The report of a run: the board report page (``page``) and the maps of the output folder and of one
provider (``run_maps``), drawn by the pure render functions of :mod:`maps`."""
