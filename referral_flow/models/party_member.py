"""The Party members of a cell (its roster): who may help a candidate, and whose number of
official members is the denominator of the cell's votes once the roster is kept."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..text import fold, normalise_name
from .member import Member
from .org import Organisation


class PartyStatus(str, enum.Enum):
    official = "official"            # đảng viên chính thức
    probationary = "probationary"    # đảng viên dự bị


class PartyMember(db.Model):
    """A person on a cell's roster. Never deleted: one who leaves gets ``left_on``."""
    __tablename__ = "party_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    search_key: Mapped[str] = mapped_column(String(120), index=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[PartyStatus] = mapped_column(
        Enum(PartyStatus, native_enum=False, length=12))
    official_since: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    # The union member, when he was admitted through referral_flow.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)

    cell: Mapped[Organisation] = relationship()
    member: Mapped[Member | None] = relationship()

    @validates("full_name")
    def _normalise(self, _key, value: str) -> str:
        value = normalise_name(value)
        self.search_key = fold(value)
        return value

    @property
    def is_official(self) -> bool:
        return self.status == PartyStatus.official

    def can_help_on(self, day: date) -> bool:
        """An official member on ``day`` who has not left the cell."""
        return (self.is_official and self.left_on is None
                and (self.official_since is None or self.official_since <= day))
