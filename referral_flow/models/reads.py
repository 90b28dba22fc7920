"""The read log: one row per staff page view that shows personal data, and one narrow row
per person the page showed.

Kept apart from the hash-chained audit trail on purpose: every append to the chain takes
an advisory lock until commit, which would serialise every page view of the province.
These tables take no lock; the database refuses UPDATE and DELETE on both (migration
0010's triggers), so a read, once logged, stays. ``read_subject``'s primary key
(kind, subject_id, read_event_id) is the index that answers "who saw this person, when".
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

# Who a page showed: a union member (citizen ID, date of birth, phone, case) or a person
# on a cell's roster of Party members.
MEMBER, PARTY_MEMBER = "member", "party_member"


class ReadEvent(db.Model):
    __tablename__ = "read_event"
    __table_args__ = (Index("ix_read_event_actor_id_at", "actor_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The page (Flask endpoint, e.g. "members.index") and its arguments (path and query).
    endpoint: Mapped[str] = mapped_column(String(60))
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    # How many rows the page showed (one per person or case).
    rows: Mapped[int] = mapped_column(Integer, default=0)

    actor = relationship("User", lazy="raise_on_sql")


class ReadSubject(db.Model):
    __tablename__ = "read_subject"

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_event_id: Mapped[int] = mapped_column(ForeignKey("read_event.id"), primary_key=True,
                                               index=True)
