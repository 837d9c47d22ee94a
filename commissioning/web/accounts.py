"""Users, passwords and log-in sessions.

Passwords are hashed with argon2id (memory-hard: a stolen table is slow to guess through). Wrong passwords
are counted per account: :data:`MAX_FAILED_LOGINS` in a row lock it for :data:`LOCK_MINUTES`, whatever the
password tried next, so guessing online is slow too. A session is a random token in an HttpOnly cookie;
the database keeps only its SHA-256, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from commissioning.errors import CareCommissioningError
from commissioning.web.db import ROLES, LoginSession, User, now

MAX_FAILED_LOGINS = 20
LOCK_MINUTES = 15
SESSION_HOURS = 12
MIN_PASSWORD_CHARS = 12
_HASHER = PasswordHasher()  # argon2id, the library's current parameters (64 MiB, 3 passes)
# Checked against when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class AccountError(CareCommissioningError):
    """A user command that cannot be done (unknown user, weak password, wrong role)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(
            f"the password has {len(password)} characters. Fix: use at least "
            f"{MIN_PASSWORD_CHARS} (a passphrase of a few words is easiest)"
        )


MAX_NAME_CHARS = 80  # the users table's column
MAX_PROVIDER_ID_CHARS = 40


def _check_text(what: str, text: str, most: int, fix: str) -> None:
    """A name or id the audit log and the pages show as it is: not empty, no spaces around it, no character
    that does not show (control, zero-width, direction marks) or that addresses use (an id is part of
    addresses), at most ``most`` characters."""
    hidden = any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)  # incl. zero-width, RTL
    if not text or text != text.strip() or len(text) > most or hidden or any(c in text for c in "/\\#?%") \
            or text in (".", ".."):
        raise AccountError(f"{what} {text!r} is empty, has spaces around it, a character that does not show "
                           f"or that addresses use (/ \\ # ? %), or more than {most} characters. Fix: {fix}")


def add_user(db: Session, name: str, role: str, password: str, provider_id: str | None = None) -> User:
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}. Fix: --role commissioner")
    if (role == "provider") != bool(provider_id):
        raise AccountError("a provider user needs --provider ID (e.g. P03), and only a provider user has one")
    _check_text("the name", name, MAX_NAME_CHARS, "a name such as 'jsmith' or 'j.smith@council.gov.uk'")
    if provider_id:
        _check_text("the provider id", provider_id, MAX_PROVIDER_ID_CHARS, "the provider_id of providers.csv")
    # one person per name whatever its case: 'Ghost' beside 'ghost' read as one user in the audit log
    same = [u.name for u in db.scalars(select(User)) if u.name.casefold() == name.casefold()]
    if same:
        raise AccountError(f"user {same[0]!r} exists. Fix: choose another name, or reset-password")
    check_password_rules(password)
    user = User(
        name=name,
        role=role,
        provider_id=provider_id or None,
        password_hash=_HASHER.hash(password),
        failed_logins=0,
    )
    db.add(user)
    db.commit()
    return user


def reset_password(db: Session, name: str, password: str) -> None:
    """A new password; the lock and every session of the user end."""
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f"no user {name!r}. Fix: 'commissioning users list' shows who there is")
    check_password_rules(password)
    user.password_hash, user.failed_logins, user.locked_until = _HASHER.hash(password), 0, None
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.commit()


# One answer for a wrong name, a wrong password and a locked account: a lock told apart would say which
# names exist (lock one by 20 guesses, then try names). It says how a locked user gets in again.
REFUSED = (
    f"Wrong name or password, or the account is locked after {MAX_FAILED_LOGINS} wrong passwords in a row: "
    f"try again in {LOCK_MINUTES} minutes, or ask a commissioner to unlock it "
    "(commissioning users reset-password NAME)."
)


def authenticate(
    db: Session, name: str, password: str, at: dt.datetime | None = None
) -> tuple[User | None, str]:
    """(the user, "") when the password is right and the account is not locked; else (None, :data:`REFUSED`),
    the same words and about the same time whether the name is unknown, the password wrong or the account
    locked."""
    at = at or now()
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None, REFUSED
    if user.locked_until is not None and user.locked_until > at:
        _verify(_DUMMY_HASH, password)  # as long as any other refusal; the password is not even tried
        return None, REFUSED
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins, user.locked_until = 0, at + dt.timedelta(minutes=LOCK_MINUTES)
        db.commit()
        return None, REFUSED
    user.failed_logins, user.locked_until = 0, None
    db.commit()
    return user, ""


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def open_session(db: Session, user: User) -> tuple[str, str]:
    """(cookie token, CSRF token) of a new session of ``user``."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            token_sha256=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=now() + dt.timedelta(hours=SESSION_HOURS),
        )
    )
    db.commit()
    return token, csrf


def session_user(db: Session, token: str | None) -> tuple[User | None, LoginSession | None]:
    if not token:
        return None, None
    found = db.get(LoginSession, _digest(token))
    if found is None or found.expires_at <= now():
        return None, None
    return db.get(User, found.user_id), found


def close_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(LoginSession).where(LoginSession.token_sha256 == _digest(token)))
        db.commit()
