"""Deadlines of a case from its key dates, the rule sets and the working-day calendar."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app

from .. import clock
from ..models import Case, RuleSet
from ..workflow.calendar import WorkingCalendar
from ..workflow.rulesets import rule_set_on
from ..workflow.steps import CLOCKS, STEP


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
    """The case's clocks (``steps.CLOCKS``) that have started, the one its state waits on
    active. ``rules_on`` looks up the rule set of a date (``rule_book()`` on pages of many
    cases)."""
    today = today or clock.today()
    waits_on = STEP[case.state].deadline
    out: list[Deadline] = []
    for c in CLOCKS:
        start = c.start(case, rules_on)
        if start is None:
            continue
        if c.end is not None:
            out.append(Deadline(c.key, c.label, c.end(case, rules_on), False, start=start))
            continue
        rules = rules_on(start)
        n = rules[c.days] + (rules[c.extra] if c.extra and c.extended(case) else 0)
        due = calendar.add(start, n)
        active = c.key == waits_on
        met_on = c.met(case)
        late = calendar.between(due, today) if active and today > due else 0
        left = calendar.between(today, due) if active and today <= due else None
        met_late = calendar.between(due, met_on) if met_on and met_on > due else 0
        out.append(Deadline(c.key, c.label, due, active, max(late, 0), left, start, met_on,
                            met_late))
    return out


def active_deadline(case: Case, calendar: WorkingCalendar, today: date,
                    rules_on: Callable[[date], RuleSet] = rule_set_on) -> Deadline | None:
    """The deadline the case is waiting on now, if any."""
    return next((d for d in deadlines(case, calendar, today, rules_on) if d.active), None)


def work_horizon(calendar: WorkingCalendar, today: date | None = None) -> date:
    """Steps that open on a date count as work from this many working days before it
    (``REVIEW_WINDOW_WORKING_DAYS``): the inbox shows them once ``opens <= horizon``."""
    return calendar.add(today or clock.today(), current_app.config["REVIEW_WINDOW_WORKING_DAYS"])
