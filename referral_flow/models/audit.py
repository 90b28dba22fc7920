"""The append-only, keyed hash chain of the audit trail.

Each event stores the HMAC-SHA256 of its canonical JSON, which includes the previous
event's hash, under the audit key (``AUDIT_KEY`` / ``AUDIT_KEY_FILE``), which the database
never holds: whoever can write the table but lacks the key cannot re-chain it. The database
refuses UPDATE and DELETE on this table (migration triggers); ``flask audit verify`` walks
the chain and compares it with the checkpoints kept outside the database.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime

from flask import current_app
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

GENESIS = "0" * 64


def canonical(at: datetime, actor_id: int | None, case_id: int | None, subject: str,
              trigger: str, from_state: str | None, to_state: str | None, comment: str,
              data: dict, rule_set: str | None, prev_hash: str) -> str:
    """The hashed form of an event; a function so that bulk loaders hash rows exactly as
    the model does without building ORM objects."""
    body = {
        "at": at.replace(tzinfo=None).isoformat(timespec="microseconds"),
        "actor_id": actor_id, "case_id": case_id, "subject": subject, "trigger": trigger,
        "from": from_state, "to": to_state, "comment": comment, "data": data,
        "rule_set": rule_set, "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def digest(canonical_json: str, key: bytes) -> str:
    """The event's hash: HMAC-SHA256 of its canonical form under the audit key."""
    return hmac.new(key, canonical_json.encode("utf-8"), hashlib.sha256).hexdigest()


def unkeyed_digest(canonical_json: str) -> str:
    """The plain SHA-256 of events written before the audit key existed (ids below
    ``AUDIT_KEYED_FROM_ID``); never used to write."""
    return hashlib.sha256(canonical_json.encode("utf-8")).hexdigest()


def audit_key() -> bytes:
    """The application's audit key (read from the environment or its file at app creation)."""
    return current_app.config["AUDIT_KEY"]


def step_date(to_state: str | None, data: dict) -> date | None:
    """The date a step event records (its ``data["on"]``), else None."""
    on = data.get("on") if to_state else None
    if isinstance(on, str):
        on = date.fromisoformat(on[:10])
    return on if isinstance(on, date) else None


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    # "Handled by me": the cases a user acted on, without reading the whole trail.
    __table_args__ = (Index("ix_audit_event_actor_case", "actor_id", "case_id"),)

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
    # The step's date, copied from ``data["on"]`` for reports (not hashed: derived).
    step_on: Mapped[date | None] = mapped_column(Date)
    # The event a correction undoes, copied from ``data["corrects"]`` (not hashed: derived).
    corrects_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User", lazy="raise_on_sql")

    def canonical(self) -> str:
        return canonical(self.at, self.actor_id, self.case_id, self.subject, self.trigger,
                         self.from_state, self.to_state, self.comment, self.data,
                         self.rule_set, self.prev_hash)

    def compute_hash(self) -> str:
        return digest(self.canonical(), audit_key())
