"""Who may do what, checked on every request: the signed-in user, their role, CSRF on every form, the audit.

Every page handler is wrapped by :func:`page` (GET) or :func:`form` (POST) with the roles allowed; a handler
that fetches a run or a provider by id checks it again (:func:`deny` when the user may not see it). A form
without the session's CSRF token is refused before the handler runs. Every refusal and every action is in the
audit log with the user, the address and the object.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from commissioning.web import accounts
from commissioning.web.db import AuditEvent, User

SESSION_COOKIE = "cc_session"
LOGIN_CSRF_COOKIE = "cc_login_csrf"  # the log-in form's CSRF token, before there is a session
MAX_FORM_FIELDS = 400
FORM_OVERHEAD_BYTES = 64 * 1024  # a form's fields and multipart boundaries beside its files
Handler = Callable[..., Awaitable[Response]]


def audit(request: Request, user: User | None, action: str, target: str = "", outcome: str = "ok") -> None:
    with request.app.state.sessions() as db:
        db.add(
            AuditEvent(
                user_name=user.name if user else "-",
                action=action[:80],  # the column's length: a long address must not make PostgreSQL refuse
                target=target[:500],
                outcome=outcome,
                address=_address(request),
            )
        )
        db.commit()


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def signed_in(request: Request) -> tuple[User | None, str]:
    """(the user of the request's session, its CSRF token), or (None, "")."""
    with request.app.state.sessions() as db:
        user, found = accounts.session_user(db, request.cookies.get(SESSION_COOKIE))
        return (user, found.csrf_token) if user is not None else (None, "")


DENIED_WORDS = {403: "You may not see or do this.", 404: "There is no such page."}


def deny(request: Request, user: User | None, action: str, target: str, status: int = 403,
         words: str = "") -> Response:
    """Refuse (403, or 404 where saying "forbidden" would confirm the object exists; other statuses say
    ``words``), into the audit."""
    audit(request, user, action, target, "denied")
    words = words or DENIED_WORDS.get(status, "This request was refused.")
    return render(request, "error.html", status_code=status, message=words, user=user)


def render(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    html = request.app.state.templates.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def page(*roles: str) -> Callable[[Handler], Handler]:
    """A GET handler for signed-in users of ``roles``; others go to the log-in page or get 403."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            user, csrf = signed_in(request)
            if user is None and request.url.path.startswith("/api/"):  # a script: no log-in page to follow
                return JSONResponse({"error": "not signed in: log in at /login, then send its cookie"},
                                    status_code=401)
            if user is None:
                return RedirectResponse("/login", status_code=303)
            request.state.user, request.state.csrf = user, csrf
            if user.role not in roles:
                return deny(request, user, f"{request.method} {request.url.path}", handler.__name__)
            return await handler(request, user)

        return guarded

    return wrap


def form(*roles: str, max_files: int = 0, max_bytes: int = 1024 * 1024) -> Callable[[Handler], Handler]:
    """A POST handler for signed-in users of ``roles`` whose form carries the session's CSRF token; the
    handler gets the parsed form (at most ``max_bytes`` in all, ``max_files`` files) as its third argument."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            user, csrf = signed_in(request)
            if user is None:
                audit(request, None, f"POST {request.url.path}", "not signed in", "denied")
                return Response("Sign in first.", status_code=403)
            request.state.user, request.state.csrf = user, csrf
            if too_large(request, max_bytes + FORM_OVERHEAD_BYTES):
                return deny(request, user, f"POST {request.url.path}", "over the size limit", 413,
                            f"This is over the limit of {max_bytes / 2**20:g} MB. Fix: send less at once"
                            + (f" (at most {max_files} files, {max_bytes / 2**20:g} MB in all)."
                               if max_files else "."))
            try:
                data = await request.form(max_files=max_files, max_fields=MAX_FORM_FIELDS,
                                          max_part_size=max_bytes)
            except HTTPException as error:  # too many files or fields, a part too large: Starlette's words
                many_files = max_files and "files" in str(error.detail).lower()
                return deny(request, user, f"POST {request.url.path}", "form refused", 400,
                            f"{error.detail} Fix: send at most {max_files} files at once" if many_files
                            else f"{error.detail} Fix: send the form as the page gives it")
            if not secrets.compare_digest(str(data.get("csrf_token", "")), csrf):
                return deny(request, user, f"POST {request.url.path}", "no or wrong CSRF token")
            if user.role not in roles:
                return deny(request, user, f"POST {request.url.path}", handler.__name__)
            return await handler(request, user, data)

        return guarded

    return wrap


def too_large(request: Request, limit: int) -> bool:
    """Over ``limit`` bytes, or of no declared length (browsers declare it): refused before it is read."""
    length = request.headers.get("content-length", "")
    return not length.isdigit() or int(length) > limit


class AttemptLimiter:
    """At most ``per_minute`` log-in attempts a minute from one address (on top of the account's lock)."""

    def __init__(self, per_minute: int = 30):
        self.per_minute = per_minute
        self.seen: dict[str, deque] = defaultdict(deque)

    def allow(self, address: str) -> bool:
        stamps, t = self.seen[address], time.monotonic()
        while stamps and t - stamps[0] > 60.0:
            stamps.popleft()
        stamps.append(t)
        return len(stamps) <= self.per_minute
