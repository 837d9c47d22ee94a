"""The web app: routes, security headers, the database, the run queue (``commissioning serve``)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from commissioning.web import pages
from commissioning.web.db import connect
from commissioning.web.guard import DENIED_WORDS, AttemptLimiter, deny, render, signed_in
from commissioning.web.jobs import RunQueue

HERE = Path(__file__).resolve().parent
# Pages and maps use only what the app serves (no CDN, no fonts from the internet); the maps' inline scripts
# need 'unsafe-inline'. Framing only by the app's own pages (the report and maps are shown in frames).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'self'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class _Headers(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


class _IdConvertor(Convertor):
    """A database id: at most 9 digits, so every one fits the ids' 32-bit integer columns (PostgreSQL's
    INTEGER; SQLite's are 64-bit). A longer one is a 404 like any unknown id; it was a 500 from SQLite's
    OverflowError, for providers too."""

    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", _IdConvertor())

ROUTES = [
    Route("/login", pages.login_page, methods=["GET"]),
    Route("/login", pages.login, methods=["POST"]),
    Route("/logout", pages.logout, methods=["POST"]),
    Route("/", pages.home, methods=["GET"]),
    Route("/datasets/new", pages.dataset_new, methods=["GET"]),
    Route("/datasets", pages.dataset_upload, methods=["POST"]),
    Route("/datasets/{dataset_id:id}", pages.dataset_view, methods=["GET"]),
    Route("/datasets/{dataset_id:id}/delete", pages.dataset_delete, methods=["POST"]),
    Route("/runs/new", pages.run_new, methods=["GET"]),
    Route("/runs", pages.run_start, methods=["POST"]),
    Route("/runs/{run_id:id}", pages.run_view, methods=["GET"]),
    Route("/runs/{run_id:id}/publish", pages.run_publish, methods=["POST"]),
    Route("/runs/{run_id:id}/cancel", pages.run_cancel, methods=["POST"]),
    Route("/runs/{run_id:id}/again", pages.run_again, methods=["POST"]),
    Route("/runs/{run_id:id}/delete", pages.run_delete, methods=["POST"]),
    Route("/runs/{run_id:id}/download", pages.run_download, methods=["GET"]),
    Route("/runs/{run_id:id}/out/{path:path}", pages.run_file, methods=["GET"]),
    Route("/runs/{run_id:id}/providers/{provider_id}", pages.provider_view, methods=["GET"]),
    Route("/runs/{run_id:id}/providers/{provider_id}/map", pages.provider_map, methods=["GET"]),
    Route("/api/runs/{run_id:id}", pages.run_status, methods=["GET"]),
    Route("/api/runs/{run_id:id}/providers/{provider_id}", pages.provider_api, methods=["GET"]),
    Route("/compare", pages.compare, methods=["GET"]),
    Route("/audit", pages.audit_log, methods=["GET"]),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
]


async def _not_found(request, exc):
    """An address the app has no page for: the app's own page (not Starlette's bare text), and into the
    audit when someone is signed in (an id of 19 digits or more lands here too)."""
    user, csrf = signed_in(request)
    request.state.user, request.state.csrf = user, csrf
    if user is None:
        return render(request, "error.html", status_code=404, message=DENIED_WORDS[404])
    return deny(request, user, f"{request.method} {request.url.path}", "no such page", 404)


def create_app(db_url: str, data_dir: Path, *, secure_cookies: bool = False,
               scheduler: str | None = None) -> Starlette:
    """The app on the database at ``db_url`` (migrated to the newest schema) and the folder ``data_dir``;
    runs on the Dask cluster at ``scheduler`` when given (:mod:`commissioning.web.jobs`)."""
    sessions = connect(db_url)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.queue.poke()  # runs queued before a restart
        yield
        app.state.queue.stop_all()

    app = Starlette(routes=ROUTES, middleware=[Middleware(_Headers)], lifespan=lifespan,
                    exception_handlers={404: _not_found})
    app.state.sessions = sessions
    app.state.data_dir = Path(data_dir).resolve()
    app.state.secure_cookies = secure_cookies
    app.state.limiter = AttemptLimiter()
    app.state.queue = RunQueue(sessions, scheduler)
    app.state.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    app.state.templates.filters["figure"] = pages.figure
    return app
