"""Firing a transition: permission, guards, compare-and-set, step data and audit in one go."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from transitions import MachineError

from .. import clock
from ..extensions import db
from ..models import Case, User
from ..security import can
from ..text import has_invisible
from ..workflow.calendar import load_calendar
from ..workflow.context import StepContext
from ..workflow import stepdata as sd
from ..workflow.errors import Conflict, InvalidStepData, NotAllowed, NotAvailable
from ..workflow.machine import attached
from ..workflow.rulesets import rule_set_on
from ..workflow.transitions import BY_TRIGGER, STEP_DATE_LABELS, spec
from . import audit, undo

MAX_COMMENT = 2000
CONFLICT = _l("Someone else acted on this case first. Reload it to see what changed.")


def fire(case: Case, trigger: str, user: User | None, *, expected_version: int,
         data: dict | None = None, comment: str = "", on: date | None = None,
         today: date | None = None, check_permission: bool = True,
         comment_visible: bool = False) -> Case:
    """Move ``case`` by ``trigger``; flushes, never commits.

    ``on`` is the step's date (defaults to today); for a step dated by its own data (a
    meeting, a decision, a ceremony) it is that date. The rule set in force on it applies.
    ``comment_visible``: the candidate may read the comment on his own case page.
    What the step writes is recorded in its audit event so that it can be corrected.
    Raises a WorkflowError subclass whose message is in the user's language.
    """
    today = today or clock.today()
    if trigger not in BY_TRIGGER:
        raise NotAvailable(_l("Unknown action."))
    if check_permission and not can(user, trigger, case, today):
        raise NotAllowed(_l("You may not take this action on this case."))
    if case.version != expected_version:
        raise Conflict(CONFLICT)
    on = step_day(trigger, data or {}) or on or today
    if on > today:
        raise InvalidStepData(_l("The step's date cannot be in the future."))
    if on < case.state_since:
        raise InvalidStepData(_l("The step's date cannot precede the current step (%(d)s).",
                                 d=case.state_since.strftime("%d/%m/%Y")))
    comment = comment_text(comment)
    rules = rule_set_on(on)
    ctx = StepContext(case=case, user=user, data=dict(data or {}), on=on, rules=rules,
                      calendar=load_calendar(), comment=comment)
    source = case.state
    with undo.recording(case) as written:
        # No autoflush while effects write: a lazy load in the middle of an effect would
        # flush the half-written case and bump its version twice; the flush below is the
        # one compare-and-set of the step.
        with attached(case), db.session.no_autoflush:
            try:
                moved = case.trigger(trigger, ctx=ctx)
            except MachineError:
                raise NotAvailable(
                    _l("This action is not available in the case's current state.")) from None
        if not moved:       # only routing conditions can refuse silently
            raise NotAvailable(_l("This action is not available in the case's current state."))
        case.state_since = on
        # Every step is one compare-and-set of the version, even one that leaves the row as
        # it was (a self-loop on the same day, e.g. an undecided vote recorded).
        flag_modified(case, "state_since")
        try:
            db.session.flush()
        except StaleDataError:
            raise Conflict(CONFLICT) from None
    audit.append(trigger=trigger, actor_id=user.id if user else None, case_id=case.id,
                 from_state=source, to_state=case.state, comment=comment,
                 data={"on": on, **ctx.data, "comment_visible": bool(comment_visible and comment),
                       "undo": written.as_json()},
                 rule_set=rules.code)
    return case


def comment_text(comment: str | None, required: bool = False) -> str:
    """A comment or a reason as it is stored: trimmed, without control characters, at most
    MAX_COMMENT characters; refused when ``required`` and empty."""
    comment = (comment or "").strip()
    if has_invisible(comment, allow_newlines=True):
        raise InvalidStepData(_l("The text contains invisible or control characters."))
    if required and not comment:
        raise InvalidStepData(_l("Give the reason."))
    if len(comment) > MAX_COMMENT:
        raise InvalidStepData(_l("The comment is too long (at most %(n)d characters).",
                                 n=MAX_COMMENT))
    return comment


def step_day(trigger: str, data: dict) -> date | None:
    """The step's own date from its data, for a step dated by it (else None)."""
    field = spec(trigger).dated_by
    return sd.day(data, field, STEP_DATE_LABELS[field], required=False) if field else None
