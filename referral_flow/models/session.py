"""A signed-in session kept on the server: the login cookie names one of these rows, so a
session can be listed, expire when idle or too old, and be ended from anywhere."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .user import User


class EndReason(str, enum.Enum):
    """Why a session was ended before it expired."""
    logout = "logout"
    ended_by_user = "ended_by_user"         # from the user's list of sessions
    ended_by_admin = "ended_by_admin"       # an administrator's "sign out everywhere"
    grants_changed = "grants_changed"
    deactivated = "deactivated"
    password_changed = "password_changed"
    mfa_required = "mfa_required"           # a role of his now requires a second factor


class UserSession(db.Model):
    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # SHA-256 of the random secret the cookie carries: a copy of the table opens no session.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[EndReason | None] = mapped_column(
        Enum(EndReason, native_enum=False, length=20))
    client_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(120), default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
