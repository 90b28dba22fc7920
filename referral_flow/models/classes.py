"""Party awareness classes (lớp bồi dưỡng nhận thức về Đảng) and who is enrolled in them."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (Date, DateTime, Enum, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .case import Case
from .org import Organisation


SEQUENCE_DIGITS = 3


def certificate_number(prefix: str, seq: int) -> str:
    """The class's numbering scheme: its prefix, then the sequence on at least 3 digits."""
    return f"{prefix}{seq:0{SEQUENCE_DIGITS}d}"


class AwarenessClass(db.Model):
    __tablename__ = "awareness_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The Party node that runs the class (it must carry ``runs_classes``) ...
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # ... and, free text, a body that runs it jointly (e.g. the provincial labour federation).
    co_organiser: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    # Automatic certificate numbers are ``prefix`` + the next value of ``certificate_seq``.
    certificate_prefix: Mapped[str] = mapped_column(String(30), default="")
    certificate_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organiser: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)

    def has_ended_on(self, day: date) -> bool:
        return day > self.ends_on

    def takes_results_on(self, day: date) -> bool:
        """Results (passed or not) are recorded from the class's last day."""
        return day >= self.ends_on

    def certificate_number(self, seq: int) -> str:
        return certificate_number(self.certificate_prefix, seq)

    def read_certificate_number(self, typed: str) -> str | None:
        """A number typed for this class, in the class's scheme: the prefix (any case) then
        the sequence, or the sequence alone; None when it does not follow the scheme."""
        typed = (typed or "").strip()
        prefix = self.certificate_prefix
        if prefix and typed[:len(prefix)].casefold() == prefix.casefold():
            typed = typed[len(prefix):]
        if typed.isascii() and typed.isdigit() and len(typed) <= 9 and int(typed) > 0:
            return self.certificate_number(int(typed))
        return None


class EnrolmentResult(str, enum.Enum):
    pending = "pending"
    passed = "passed"
    failed = "failed"


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("class_id", "case_id", name="uq_enrolment_class_id_case_id"),
        UniqueConstraint("class_id", "certificate_no", name="uq_enrolment_class_id_certificate_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("awareness_class.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    result: Mapped[EnrolmentResult] = mapped_column(
        Enum(EnrolmentResult, native_enum=False, length=10), default=EnrolmentResult.pending)
    enrolled_on: Mapped[date] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(40))
    certificate_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    awareness_class: Mapped[AwarenessClass] = relationship()
    case: Mapped[Case] = relationship()
