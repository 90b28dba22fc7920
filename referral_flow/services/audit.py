"""Appending to and verifying the keyed hash chain of the audit trail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select, text

from ..database import begin_writing
from ..extensions import db
from ..models import AuditEvent
from ..models.audit import GENESIS, step_date, unkeyed_digest
from ..models.base import utcnow

# Any constant: serialises appends to the chain on PostgreSQL until commit.
_CHAIN_LOCK = 7_304_2025


def json_safe(value):
    """Step data as the JSON column stores it (dates as ISO strings), so that the hash
    computed now matches the one computed from the row read back."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def lock_chain() -> str:
    """Take the chain (PostgreSQL: until commit; SQLite: the write lock, taken in a
    transaction that began IMMEDIATE, ``database.begin_writing`` ending a GET's snapshot
    first) and return the hash the next event links to."""
    begin_writing()
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return prev or GENESIS


def append(*, trigger: str, actor_id: int | None, case_id: int | None = None,
           subject: str = "case", from_state: str | None = None, to_state: str | None = None,
           comment: str = "", data: dict | None = None, rule_set: str | None = None) -> AuditEvent:
    prev = lock_chain()
    event = AuditEvent(
        at=utcnow().replace(tzinfo=None), actor_id=actor_id, case_id=case_id, subject=subject,
        trigger=trigger, from_state=from_state, to_state=to_state, comment=comment,
        data=json_safe(data or {}), rule_set=rule_set,
        step_on=step_date(to_state, data or {}), corrects_id=(data or {}).get("corrects"),
        prev_hash=prev)
    event.hash = event.compute_hash()
    db.session.add(event)
    db.session.flush()
    every = current_app.config["AUDIT_ANCHOR_EVERY"]
    if every and event.id % every == 0:
        from .audit_anchor import schedule      # imported here: it builds on lock_chain
        schedule(event)
    return event


@dataclass
class ChainReport:
    checked: int
    bad_event_id: int | None = None
    problem: str = ""
    unkeyed: int = 0        # events before AUDIT_KEYED_FROM_ID, checked as plain SHA-256

    @property
    def ok(self) -> bool:
        return self.bad_event_id is None


def _hash_problem(event: AuditEvent, keyed_from: int) -> str:
    """Why the event's stored hash is wrong, or "" when it is right."""
    if event.id < keyed_from:
        return "" if unkeyed_digest(event.canonical()) == event.hash else \
            "content does not match its hash"
    if event.compute_hash() == event.hash:
        return ""
    if unkeyed_digest(event.canonical()) == event.hash:
        return ("hashed without the audit key: re-chained by someone who lacks it, or a chain "
                "begun before the key (see AUDIT_KEYED_FROM_ID)")
    return "content does not match its hash (altered, or another audit key)"


def verify(batch: int = 5000) -> ChainReport:
    """Walk the chain in id order; stop at the first event whose hash or link is wrong."""
    prev, checked, unkeyed = GENESIS, 0, 0
    keyed_from = current_app.config["AUDIT_KEYED_FROM_ID"]
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    events = db.session.scalars(stmt)
    try:
        for event in events:
            if event.prev_hash != prev:
                return ChainReport(checked, event.id, "link to the previous event is broken")
            problem = _hash_problem(event, keyed_from)
            if problem:
                return ChainReport(checked, event.id, problem)
            if event.step_on != step_date(event.to_state, event.data):
                return ChainReport(checked, event.id, "step date does not match its content")
            if event.corrects_id != event.data.get("corrects"):
                return ChainReport(checked, event.id,
                                   "corrected event does not match its content")
            prev, checked = event.hash, checked + 1
            unkeyed += event.id < keyed_from
    finally:
        # Stopping early must close the server-side cursor that yield_per opens on PostgreSQL.
        events.close()
    return ChainReport(checked, unkeyed=unkeyed)
