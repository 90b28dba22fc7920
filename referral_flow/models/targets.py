"""Yearly referral targets (chỉ tiêu) assigned down the union tree, and each CĐCS's own plan
(kế hoạch) for the year."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Integer, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

# Far above any real target (a province has a few thousand CĐCS); refuses typos and overflow.
MAX_TARGET = 100_000


class Target(db.Model):
    """The target assigned to one union node for one year."""
    __tablename__ = "referral_target"
    __table_args__ = (
        UniqueConstraint("node_id", "year", name="uq_referral_target_node_id_year"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    target: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class UnitPlan(db.Model):
    """The plan a CĐCS registers for itself for one year."""
    __tablename__ = "unit_plan"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", name="uq_unit_plan_unit_id_year"),
        CheckConstraint("planned >= 0", name="planned_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    planned: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
