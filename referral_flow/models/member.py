"""Union members (the people who may be referred)."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, Enum, ForeignKey, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..text import fold, normalise_name
from .org import Organisation


class Gender(str, enum.Enum):
    male = "male"
    female = "female"


class Education(str, enum.Enum):
    """The highest diploma, as far as the admission rule needs it: a lower-secondary (THCS)
    diploma or higher (24-QĐ/TW §1.2.1)."""
    primary = "primary"                    # below THCS
    lower_secondary = "lower_secondary"    # THCS (9/12)
    upper_secondary = "upper_secondary"    # THPT (12/12)
    higher = "higher"                      # vocational, college, university and above

    @property
    def meets_thcs(self) -> bool:
        return self is not Education.primary


class Member(db.Model):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    search_key: Mapped[str] = mapped_column(String(120), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(Enum(Gender, native_enum=False, length=8))
    # Required before a nomination (workflow guard), not before: many union rosters lack
    # it. Some hold the old 9-digit identity card (CMND) number instead, kept apart.
    citizen_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    old_id_number: Mapped[str | None] = mapped_column(String(9))
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    job: Mapped[str] = mapped_column(String(120), default="")
    direct_production: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    union_member_since: Mapped[date | None] = mapped_column(Date)
    # The THCS rule at the cell vote (workflow guard ``education_recorded``): None is "not
    # recorded" (members kept before the field); below THCS needs the Secretariat's
    # exception, recorded in ``education_exception``.
    education: Mapped[Education | None] = mapped_column(
        Enum(Education, native_enum=False, length=16))
    education_exception: Mapped[str] = mapped_column(Text, default="",
                                                     server_default=text("''"))
    # Candidates outside a CĐCS (issue 11 item 8). A worker of an enterprise without a CĐCS
    # belongs to the union above grassroots that introduces him, and his employer is named;
    # a worker who is not a union member (quần chúng) is marked so, explicitly: two official
    # Party members introduce him instead of the union's resolution.
    employer: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    not_union_member: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())

    unit: Mapped[Organisation] = relationship()

    @validates("full_name")
    def _normalise(self, _key, value: str) -> str:
        value = normalise_name(value)
        self.search_key = fold(value)
        return value

    @validates("citizen_id")
    def _check_citizen_id(self, _key, value: str | None) -> str | None:
        from ..text import validate_citizen_id
        if value is not None:
            validate_citizen_id(value)
        return value

    @validates("old_id_number")
    def _check_old_id_number(self, _key, value: str | None) -> str | None:
        from ..text import validate_old_id_number
        if value is not None:
            validate_old_id_number(value)
        return value
