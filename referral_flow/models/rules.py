"""Rule sets: every threshold, deadline and validity, dated by when it took effect."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class RuleSet(db.Model):
    __tablename__ = "rule_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    params: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    def __getitem__(self, key: str):
        return self.params[key]
