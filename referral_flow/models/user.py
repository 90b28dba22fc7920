"""Users and their role grants (user × role × organisation node, dated)."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, Date, Enum, ForeignKey, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .org import Organisation

if TYPE_CHECKING:
    from .second_factor import TotpFactor


class Role(str, enum.Enum):
    administrator = "administrator"
    federation_officer = "federation_officer"
    union_chair = "union_chair"
    party_officer = "party_officer"
    class_organiser = "class_organiser"
    cell_secretary = "cell_secretary"
    competent_officer = "competent_officer"
    member = "member"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    # Set when an administrator chose the password (a new account, a reset): until the user
    # picks his own, every page leads to the change form.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    # Staff contact shown to candidates (e.g. the secretary of the host cell).
    work_phone: Mapped[str] = mapped_column(String(20), default="", server_default=text("''"))
    work_email: Mapped[str] = mapped_column(String(120), default="", server_default=text("''"))

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    # Read-only here: services/second_factor.py enrols and resets.
    second_factor: Mapped[TotpFactor | None] = relationship(viewonly=True)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # The login cookie's id of the session this request is signed in with ("<session id>:
    # <secret>", models/session.py); set by sign-in and by the login loader, not a column.
    login_key = None

    def get_id(self) -> str:
        return self.login_key or str(self.id)

    @property
    def is_active(self) -> bool:
        return self.active

    def active_grants(self, day: date) -> list[RoleGrant]:
        return [g for g in self.grants if g.valid_on(day)]

    def nodes_of(self, roles: Iterable[Role], day: date,
                 capability: str | None = None) -> list[Organisation]:
        """The organisation nodes on which the user holds one of ``roles`` on ``day``
        (those carrying ``capability`` when given)."""
        roles = set(roles)
        return [g.org for g in self.active_grants(day)
                if g.role in roles and g.org is not None
                and (capability is None or getattr(g.org, capability))]


class RoleGrant(db.Model):
    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=24))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(back_populates="grants")
    org: Mapped[Organisation | None] = relationship(lazy="joined")

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
