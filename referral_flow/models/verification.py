"""Background verification (thẩm tra lý lịch, domain.md R12) and the residence area's
opinion (part of 5-KNĐ, R13), tracked as work: who is verified, the requests sent, to whom,
when, and their answers."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Relation(str, enum.Enum):
    """The relatives 06-HD/TW §3.4a has verified with the applicant."""
    parent = "parent"
    parent_in_law = "parent_in_law"
    carer = "carer"
    spouse = "spouse"
    adult_child = "adult_child"


class CheckTopic(str, enum.Enum):
    """Political-standard questions that need checks of their own (QĐ 58-QĐ/TW)."""
    religion = "religion"
    abroad = "abroad"
    other = "other"


class Answer(str, enum.Enum):
    clear = "clear"
    concerns = "concerns"


class Relative(db.Model):
    """A relative of the candidate to verify; a Party member who has fully declared his or
    her history needs no verification (06-HD/TW §3.4c) and is recorded as exempt."""
    __tablename__ = "case_relative"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    relation: Mapped[Relation] = mapped_column(Enum(Relation, native_enum=False, length=16))
    full_name: Mapped[str] = mapped_column(String(120))
    abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str] = mapped_column(String(80), default="")
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    added_on: Mapped[date] = mapped_column(Date)


class ExtraCheck(db.Model):
    """A question of the political standard that needs its own check, with its note."""
    __tablename__ = "verification_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    topic: Mapped[CheckTopic] = mapped_column(Enum(CheckTopic, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(Text, default="")
    added_on: Mapped[date] = mapped_column(Date)


class VerificationRequest(db.Model):
    """A request to verify one relative, or to check one question, sent to a committee or
    an agency (free text), and its answer."""
    __tablename__ = "verification_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    relative_id: Mapped[int | None] = mapped_column(ForeignKey("case_relative.id"), index=True)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("verification_check.id"),
                                                 index=True)
    sent_to: Mapped[str] = mapped_column(String(200))
    sent_on: Mapped[date] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[Answer | None] = mapped_column(Enum(Answer, native_enum=False, length=16))
    answer_note: Mapped[str] = mapped_column(Text, default="")

    relative: Mapped[Relative | None] = relationship()
    check: Mapped[ExtraCheck | None] = relationship()

    def answered_by(self, day: date) -> bool:
        return self.answered_on is not None and self.answered_on <= day


class ResidenceOpinion(db.Model):
    """The opinion of the residence area's cell committee (5-KNĐ): asked of which cell,
    when, received when, and what it says."""
    __tablename__ = "residence_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    residence_cell: Mapped[str] = mapped_column(String(200))
    requested_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
