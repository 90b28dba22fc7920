"""Signed-in sessions kept on the server (ASVS 7, findings F-2.2 to F-2.5).

The login cookie carries "<session id>:<secret>"; the row keeps only the secret's SHA-256.
A session is refused once ended, after ``SESSION_IDLE_MINUTES`` without a request, or
``SESSION_MAX_HOURS`` after sign-in whatever the activity. ``end_sessions`` is the one way
to cut sessions at once (logout, the user's list, an administrator, a change of grants,
deactivation, a password change). Times come from the application's clock.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC

from flask import current_app
from sqlalchemy import delete, select, update

from .. import clock
from ..extensions import db
from ..models import EndReason, User, UserSession

# last_seen_at is written at most this often: not a write per request.
TOUCH_EVERY = timedelta(minutes=1)


class Refusal(str, enum.Enum):
    """Why a login cookie no longer opens its session."""
    unknown = "unknown"     # malformed, wrong secret, no such session, account deactivated
    ended = "ended"
    idle = "idle"
    too_old = "too_old"


@dataclass
class Check:
    session: UserSession | None
    refusal: Refusal | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def max_age() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


# The first mark found names the browser: Edge, Opera and Cốc Cốc also say "Chrome/", and
# Chrome also says "Safari/"; Android also says "Linux", iOS also "Mac OS X".
_AGENTS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("coc_coc_browser/", "Cốc Cốc"),
           ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def agent_summary(user_agent: str) -> str:
    """"Firefox · Windows": enough to recognise one's devices, without keeping the whole
    User-Agent string; an unknown client keeps its string's start."""
    browser = next((name for mark, name in _AGENTS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser or system:
        return " · ".join(part for part in (browser, system) if part)
    return re.sub(r"\s+", " ", user_agent).strip()[:120]


def start(user: User, client_address: str | None, user_agent: str) -> str:
    """Open a session for ``user``; return the key the login cookie carries."""
    secret = secrets.token_urlsafe(32)
    record = UserSession(user=user, token_hash=_digest(secret),
                         client_address=(client_address or "")[:45],
                         user_agent=agent_summary(user_agent))
    db.session.add(record)
    db.session.flush()
    return f"{record.id}:{secret}"


def check(key: str) -> Check:
    """The session a login cookie's key names, or why it is refused."""
    session_id, _, secret = key.partition(":")
    if not session_id.isdigit() or not secret:
        return Check(None, Refusal.unknown)
    record = db.session.get(UserSession, int(session_id))
    if record is None or not hmac.compare_digest(record.token_hash, _digest(secret)) \
            or not record.user.active:
        return Check(None, Refusal.unknown)
    now = clock.now()
    if record.ended_at is not None:
        return Check(None, Refusal.ended)
    if now - _aware(record.created_at) >= max_age():
        return Check(None, Refusal.too_old)
    if now - _aware(record.last_seen_at) >= idle_limit():
        return Check(None, Refusal.idle)
    record.user.login_key = key
    return Check(record)


def needs_touch(record: UserSession) -> bool:
    return clock.now() - _aware(record.last_seen_at) >= TOUCH_EVERY


def touch(record: UserSession) -> None:
    record.last_seen_at = clock.now()
    db.session.flush()


def _live(user_id: int):
    now = clock.now()
    return (UserSession.user_id == user_id, UserSession.ended_at.is_(None),
            UserSession.created_at > now - max_age(),
            UserSession.last_seen_at > now - idle_limit())


def purge(days: int) -> int:
    """Delete the records of sessions last used more than ``days`` days ago (at least one
    day, so beyond any idle or absolute limit: such a session cannot open); their number.
    The sign-ins and ends that matter to an auditor are in the audit trail."""
    cutoff = clock.now() - timedelta(days=max(days, 1))
    return db.session.execute(delete(UserSession).where(UserSession.last_seen_at < cutoff),
                              execution_options={"synchronize_session": False}).rowcount


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still open, the most recently used first."""
    return list(db.session.scalars(select(UserSession).where(*_live(user.id))
                                   .order_by(UserSession.last_seen_at.desc(),
                                             UserSession.id.desc())))


def current_session(user: User) -> UserSession | None:
    """The session this request is signed in with (already loaded by the login loader)."""
    session_id = (user.login_key or "").partition(":")[0]
    return db.session.get(UserSession, int(session_id)) if session_id.isdigit() else None


def end_session(record: UserSession, reason: EndReason) -> None:
    """End one session (logout, or one line of the user's list). Flushes."""
    if record.ended_at is None:
        record.ended_at, record.end_reason = clock.now(), reason
        db.session.flush()


def end_sessions(user: User, reason: EndReason, keep: UserSession | None = None) -> list[int]:
    """End all the user's open sessions at once, but ``keep`` when given; return the ids
    ended. Flushes; the caller audits what the change is about and commits."""
    stmt = select(UserSession.id).where(UserSession.user_id == user.id,
                                        UserSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    ids = list(db.session.scalars(stmt))
    if ids:
        db.session.execute(update(UserSession).where(UserSession.id.in_(ids))
                           .values(ended_at=clock.now(), end_reason=reason),
                           execution_options={"synchronize_session": "fetch"})
    return ids
