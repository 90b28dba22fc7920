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


class AwarenessClass(db.Model):
    __tablename__ = "awareness_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The Party node that runs the class (it must carry ``runs_classes``) ...
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # ... and, free text, a body that runs it jointly (e.g. the provincial labour federation).
    co_organiser: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
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
