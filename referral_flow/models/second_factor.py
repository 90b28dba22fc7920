"""The second factor of sign-in: a TOTP secret per user, his one-time recovery codes, and
which roles must have one (the administrator's policy)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow
from .user import Role


class TotpFactor(db.Model):
    """An enrolled authenticator. ``secret`` is encrypted with the application's key
    (services/second_factor.py): a copy of the database alone does not give the codes."""
    __tablename__ = "totp_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(200))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The last 30-second time step whose code was accepted: a code is never accepted twice.
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    """One one-time recovery code, stored hashed; used once, then kept with its date."""
    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SecondFactorPolicy(db.Model):
    """Whether holders of ``role`` must sign in with a second factor."""
    __tablename__ = "second_factor_policy"

    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=24),
                                       primary_key=True)
    required: Mapped[bool] = mapped_column(Boolean)
