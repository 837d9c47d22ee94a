"""Shared by the web tests: an app on a real SQLite file, users of every role, logging in."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

PASSWORD = "correct horse battery staple"
# A quick run for tests of where and how runs run: today's allocation only (a name over 14 characters).
CURRENT_ONLY = """
[routing]
enabled = false
[[variants]]
name = "today-as-it-is-now"
mode = "current"
"""
USERS = (
    ("comm", "commissioner", None),
    ("plan", "planner", None),
    ("p03", "provider", "P03"),
    ("p05", "provider", "P05"),
)


def make_app(folder: Path, db_url: str | None = None, scheduler: str | None = None):
    from commissioning.web import accounts
    from commissioning.web.app import create_app
    from commissioning.web.db import sqlite_url

    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(db_url or sqlite_url(folder), folder, scheduler=scheduler)
    with app.state.sessions() as db:
        for name, role, provider in USERS:
            accounts.add_user(db, name, role, PASSWORD, provider)
    return app


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


def log_in(client, name: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
    )


def upload(client, name: str, filename: str, data: bytes, **options):
    """POST a dataset upload as the signed-in commissioner's form sends it (its CSRF token included)."""
    csrf = csrf_of(client.get("/datasets/new").text)
    return client.post(
        "/datasets",
        data={"csrf_token": csrf, "name": name},
        files=[("files", (filename, data, "application/zip"))],
        **options,
    )


def zipped(folder: Path, prefix: str = "data/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return buffer.getvalue()
