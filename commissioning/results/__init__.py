"""Results of a run: KPIs (``kpis``, from per-variant ``facts``), the allocation, provider and zone tables
(``tables``), spreadsheet-safe text (``spreadsheet``), writing the output folder (``write``, atomically
through ``folder``) and reading it back (``read``)."""
