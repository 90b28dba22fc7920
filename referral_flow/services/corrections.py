"""Correcting a recorded step: its own audited event that takes the step back (the case
returns to the state before it, its votes are voided and its documents withdrawn); the
caller then fires what was meant, in the same transaction. History is never deleted or
rewritten: the timeline shows the step, its correction and the step recorded again.

Who may correct: the step's author on the day it was recorded (Vietnam's date), or later
the body above (an officer of a competent body over the case's Party organisation, or an
administrator), always with a reason. Only a case's latest step can be corrected; to go
further back, correct the steps one by one from the newest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, UTC

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..extensions import db
from ..models import AuditEvent, Case, Role, User
from ..security import can
from ..security.grants import covers, is_admin
from ..workflow.errors import Conflict, NotAllowed, NotAvailable
from ..workflow.transitions import BY_TRIGGER
from . import audit
from .transitions import CONFLICT, comment_text
from .placement import MOVE
from .undo import take_back

CORRECT = "correct"


@dataclass(frozen=True)
class Correctable:
    event: AuditEvent
    by_author: bool         # the author, on the day of recording
    by_body_above: bool     # a competent body over the case, or an administrator


def last_step(case: Case) -> AuditEvent | None:
    """The case's latest step if it can be taken back: a transition that recorded what it
    wrote and is not itself a correction, and after which the case has not moved (a step
    taken at the old place is not undone at the new one: a transfer, a reorganisation)."""
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case",
                                 or_(AuditEvent.to_state.is_not(None),
                                     AuditEvent.trigger == MOVE))
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    if event is None or event.trigger not in BY_TRIGGER or "undo" not in event.data:
        return None
    return event


def recorded_on(event: AuditEvent) -> date:
    """The day (in Vietnam) on which ``event`` was recorded."""
    return event.at.replace(tzinfo=UTC).astimezone(clock.zone()).date()


def correctable(user: User, case: Case, today: date | None = None) -> Correctable | None:
    """The step ``user`` may correct on ``case`` now, and on what ground; None if none."""
    today = today or clock.today()
    event = last_step(case)
    if event is None or not can(user, "view", case, today):
        return None
    by_author = event.actor_id == user.id and recorded_on(event) == today
    by_body_above = is_admin(user, today) or covers(
        user, {Role.competent_officer}, case.party_org, today, capability="competent_body")
    if not (by_author or by_body_above):
        return None
    return Correctable(event, by_author, by_body_above)


def correct(case: Case, event_id: int, user: User, *, reason: str, expected_version: int,
            today: date | None = None) -> AuditEvent:
    """Take back the step ``event_id`` of ``case``; flushes, never commits. Returns the
    correction's audit event; the case is at the state it had before the step."""
    today = today or clock.today()
    allowed = correctable(user, case, today)
    if allowed is None or allowed.event.id != event_id:
        if last_step(case) is None or last_step(case).id != event_id:
            raise NotAvailable(_l("Only the case's latest step can be corrected."))
        raise NotAllowed(_l("Only the author, on the day it was recorded, or the competent "
                            "body above may correct this step."))
    reason = comment_text(reason, required=True)
    if case.version != expected_version:
        raise Conflict(CONFLICT)
    event = allowed.event
    take_back(event.data["undo"], case, on=today, reason=reason, actor_id=user.id)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(CONFLICT) from None
    return audit.append(trigger=CORRECT, actor_id=user.id, case_id=case.id,
                        from_state=event.to_state, to_state=case.state, comment=reason,
                        data={"on": today, "corrects": event.id, "step": event.trigger})
