"""``commissioning serve``: the web app (see :mod:`commissioning.web`)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_DATA = "commissioning-web"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="the web app for commissioners, providers and planners (log-ins and roles)",
        description=(
            "Serve the web app: commissioners upload datasets, run scenarios, read reports and publish runs; "
            "providers see their own view of published runs; planners read and compare every run. Users are "
            "made with 'commissioning users add'. Behind a TLS proxy, pass --secure-cookies."
        ),
    )
    add_db_options(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load the embedded default (Argyll and Bute, 1,000 clients) as a dataset, and "
        "when there are no users make a commissioner, a planner and providers P03 and P05, "
        "printing their passwords once",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run scenarios on this Dask scheduler's workers (as 'sweep --scheduler'; the data folder "
        "must be on a file system they share) instead of at most two at once on this machine",
    )
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="send cookies only over HTTPS (always on when the request came over HTTPS)",
    )
    parser.set_defaults(func=run)


def add_db_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default=DEFAULT_DATA,
        metavar="DIR",
        help=f"folder for uploaded datasets and runs (default ./{DEFAULT_DATA})",
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="database URL: sqlite:///FILE or postgresql+psycopg://user:pw@host/db (default: DIR/app.db)",
    )


def database_url(args) -> str:
    from commissioning.web.db import sqlite_url

    Path(args.data).mkdir(parents=True, exist_ok=True)
    return args.db or sqlite_url(Path(args.data))


def run(args) -> int:
    import uvicorn

    from commissioning.web.app import create_app

    url = database_url(args)
    app = create_app(url, Path(args.data), secure_cookies=args.secure_cookies, scheduler=args.scheduler)
    if args.demo:
        from commissioning.web.demo import load_demo

        for line in load_demo(app.state.sessions, Path(args.data)):
            print(line, flush=True)
    for line in _register_clashes(app):
        print(line, flush=True)
    print(f"serving on http://{args.host}:{args.port} (data in {Path(args.data).resolve()})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_level="warning")
    return 0


def _register_clashes(app) -> list[str]:
    """Provider ids that name two organisations in datasets uploaded before uploads were checked for it."""
    from commissioning.web.pages import usable
    from commissioning.web.register import clashes_between

    with app.state.sessions() as db:
        return clashes_between(usable(db))
