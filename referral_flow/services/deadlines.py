"""Deadlines of a case from its key dates, the rule sets and the working-day calendar."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import clock
from ..models import Case, RuleSet
from ..workflow.calendar import WorkingCalendar, add_months
from ..workflow.rulesets import rule_set_on


@dataclass
class Deadline:
    key: str
    label: object
    due: date
    active: bool          # the deadline the case is waiting on now
    overdue_by: int = 0   # working days past due (0 when not overdue)
    days_left: int | None = None   # working days left, for the active deadline not yet past
    start: date | None = None      # the key date it runs from
    met_on: date | None = None     # the day the step it waits for was taken
    late_by: int = 0               # working days past due when it was met


def deadlines(case: Case, calendar: WorkingCalendar, today: date | None = None,
              rules_on: Callable[[date], RuleSet] = rule_set_on) -> list[Deadline]:
    """``rules_on`` looks up the rule set of a date (``rule_book()`` on pages of many cases)."""
    today = today or clock.today()
    out: list[Deadline] = []

    def add(key, label, start, days_key, extra_key=None, extended=False, active=False,
            met_on=None):
        rules = rules_on(start)
        n = rules[days_key] + (rules[extra_key] if extended and extra_key else 0)
        due = calendar.add(start, n)
        late = calendar.between(due, today) if active and today > due else 0
        left = calendar.between(today, due) if active and today <= due else None
        met_late = calendar.between(due, met_on) if met_on and met_on > due else 0
        out.append(Deadline(key, label, due, active, max(late, 0), left, start, met_on,
                            met_late))

    if case.cell_resolution_on:
        add("decision", _l("Admission decision due"), case.cell_resolution_on,
            "decision_working_days", "decision_extension_working_days",
            case.decision_extended, case.state in ("committee_review", "decision_pending"),
            met_on=case.decision_on)
    if case.decision_received_on:
        add("ceremony", _l("Admission ceremony due"), case.decision_received_on,
            "ceremony_working_days", active=case.state == "admitted", met_on=case.ceremony_on)
    if case.ceremony_on:
        end = case.probation_ends_on or add_months(
            case.ceremony_on, rules_on(case.ceremony_on)["probation_months"])
        out.append(Deadline("probation", _l("Probation ends"), end, False,
                            start=case.ceremony_on))
        add("recognition", _l("Cell recognition review due"), end,
            "recognition_cell_working_days", active=case.state == "probation",
            met_on=case.recognition_cell_on)
    if case.recognition_cell_on:
        add("recognition_decision", _l("Recognition decision due"), case.recognition_cell_on,
            "recognition_decision_working_days", active=case.state == "recognition_review",
            met_on=case.closed_on if case.state == "official" else None)
    return out


def active_deadline(case: Case, calendar: WorkingCalendar, today: date,
                    rules_on: Callable[[date], RuleSet] = rule_set_on) -> Deadline | None:
    """The deadline the case is waiting on now, if any."""
    return next((d for d in deadlines(case, calendar, today, rules_on) if d.active), None)


def work_horizon(calendar: WorkingCalendar, today: date | None = None) -> date:
    """Steps that open on a date count as work from this many working days before it
    (``REVIEW_WINDOW_WORKING_DAYS``): the inbox shows them once ``opens <= horizon``."""
    return calendar.add(today or clock.today(), current_app.config["REVIEW_WINDOW_WORKING_DAYS"])
