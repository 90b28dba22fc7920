"""The append-only, hash-chained audit trail.

Each event stores the SHA-256 of its canonical JSON, which includes the previous
event's hash; the database refuses UPDATE and DELETE on this table (migration
triggers). ``flask audit verify`` walks the chain.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

GENESIS = "0" * 64


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("referral_case.id"), index=True)
    subject: Mapped[str] = mapped_column(String(40), default="case")
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    rule_set: Mapped[str | None] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User", lazy="raise_on_sql")

    def canonical(self) -> str:
        at = self.at.replace(tzinfo=None).isoformat(timespec="microseconds")
        body = {
            "at": at, "actor_id": self.actor_id, "case_id": self.case_id,
            "subject": self.subject, "trigger": self.trigger, "from": self.from_state,
            "to": self.to_state, "comment": self.comment, "data": self.data,
            "rule_set": self.rule_set, "prev": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                          default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()
