"""``commissioning serve``: the web app for commissioners, providers and planners (issue 16).

Server-rendered pages (Starlette and Jinja2, no JavaScript framework, nothing from the internet) over one
database (SQLAlchemy: SQLite by default, PostgreSQL by the same ``--db`` URL; the schema by Alembic
migrations) and one data folder (uploaded datasets, run output folders).

* :mod:`commissioning.web.db` — the tables: users, log-in sessions, datasets, runs, the audit log.
* :mod:`commissioning.web.accounts` — argon2 passwords, sessions, lock-out after wrong passwords.
* :mod:`commissioning.web.uploads` — a dataset from a zip or files, refused whole when unsafe.
* :mod:`commissioning.web.jobs` — runs (``commissioning run`` children): two at once here, or on Dask.
* :mod:`commissioning.web.form` — the scenario form, made from the switches' own declarations.
* :mod:`commissioning.web.app` — the pages, each checked against the user's role and provider.
"""
