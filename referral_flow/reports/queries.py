"""Aggregate report queries: every count is one GROUP BY through ``scoped_cases``.

Nothing here loops over cases issuing queries; the cohort's time per step fetches one
row per case-step of one cohort (bounded by the cohort) and measures it in working days
with a cumulative index of the calendar built once (O(days), not O(cases)).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AuditEvent, Case, Organisation, User
from ..security.scope import CellOrg, PartyOrg, UnionOrg, scoped_cases, under
from ..services.deadlines import active_deadline
from ..workflow.calendar import WorkingCalendar

# The steps of the cohort table, in order (PROCESS.md §2, draft excluded: a cohort is
# the cases the union introduced).
STEPS = ("nominated", "accepted", "in_class", "certified", "dossier", "cell_review",
         "committee_review", "decision_pending", "admitted", "probation",
         "recognition_review", "official")
ENDS = ("rejected", "withdrawn", "removed")
# Period counts: events of the calendar year by step.
PERIOD_STEPS = ("nominated", "in_class", "admitted")
# Due lists of the Party dashboard: state -> the key date the deadline runs from.
DUE_LISTS = ("decision_pending", "admitted", "probation")
DUE_LIMIT = 50


def event_on():
    """The step date of an event (``data["on"]``, ISO text: sorts as dates)."""
    return AuditEvent.data["on"].as_string()


def party_subtree(node: Organisation) -> ColumnElement[bool]:
    """Cases in a Party node's jurisdiction: its receiving organisation or host cell."""
    return or_(under(PartyOrg, node.path),
               and_(Case.host_cell_id.is_not(None), under(CellOrg, node.path)))


def union_subtree(node: Organisation | None) -> ColumnElement[bool]:
    return under(UnionOrg, node.path) if node is not None else true()


# --- Party dashboard -------------------------------------------------------------------

def state_counts(user: User, today: date, where: ColumnElement[bool]) -> dict[str, int]:
    stmt = scoped_cases(user, today, select(Case.state, func.count(Case.id))) \
        .where(where).group_by(Case.state)
    return {state: n for state, n in db.session.execute(stmt)}


def _anchor(state: str):
    if state == "decision_pending":
        return Case.cell_resolution_on
    if state == "admitted":
        return Case.decision_received_on
    return func.coalesce(Case.probation_ends_on, Case.ceremony_on)


def due_list(user: User, today: date, where: ColumnElement[bool], state: str,
             calendar: WorkingCalendar, rules_on, limit: int = DUE_LIMIT) -> list:
    """The ``limit`` cases of ``state`` due first (overdue first, then by due date).

    The due date grows with the key date it runs from, so the first ``limit`` by key
    date (separately for extended decisions, whose due date is later) hold the first
    ``limit`` by due date: two bounded queries at most, never the whole state."""
    base = (scoped_cases(user, today).where(where, Case.state == state)
            .options(joinedload(Case.union_unit), joinedload(Case.party_org)))
    groups = ([Case.decision_extended.is_(False), Case.decision_extended.is_(True)]
              if state == "decision_pending" else [true()])
    cases = []
    for group in groups:
        cases += db.session.scalars(base.where(group).order_by(_anchor(state), Case.id)
                                    .limit(limit)).unique().all()
    rows = [(case, active_deadline(case, calendar, today, rules_on)) for case in cases]
    rows = [(c, d) for c, d in rows if d is not None]
    rows.sort(key=lambda r: (0 if r[1].overdue_by else 1, r[1].due, r[0].id))
    return rows[:limit]


# --- cohort ----------------------------------------------------------------------------

@dataclass
class StepRow:
    state: str
    reached: int
    share: float            # % of the cohort
    completed: int          # cases that have left the step (durations known)
    median: float | None    # working days
    p90: float | None


def cohort_filter(year: int) -> ColumnElement[bool]:
    return and_(Case.referral_year == year, Case.nominated_on.is_not(None))


def cohort_size(user: User, today: date, year: int, where) -> int:
    return db.session.scalar(scoped_cases(user, today, select(func.count(Case.id)))
                             .where(where, cohort_filter(year))) or 0


def reached_counts(user: User, today: date, year: int, where) -> dict[str, int]:
    """Cases of the cohort having an event into each state: one GROUP BY."""
    stmt = (scoped_cases(user, today, select(AuditEvent.to_state,
                                             func.count(func.distinct(Case.id)))
                         .select_from(Case))
            .join(AuditEvent, AuditEvent.case_id == Case.id)
            .where(where, cohort_filter(year), AuditEvent.to_state.in_(STEPS + ENDS))
            .group_by(AuditEvent.to_state))
    return {state: n for state, n in db.session.execute(stmt)}


def step_spans(user: User, today: date, year: int, where) -> list[tuple[int, str, str, str]]:
    """(case, state, entered_on, left_on) per completed step visit of the cohort: LEAD
    over each case's state-changing events in id order, in one statement."""
    inner = (scoped_cases(user, today, select(
        Case.id.label("case_id"), AuditEvent.to_state.label("state"),
        event_on().label("entered_on"),
        func.lead(event_on()).over(partition_by=AuditEvent.case_id,
                                   order_by=AuditEvent.id).label("left_on"))
        .select_from(Case))
        .join(AuditEvent, AuditEvent.case_id == Case.id)
        .where(where, cohort_filter(year), AuditEvent.to_state.is_not(None),
               AuditEvent.subject == "case")).subquery()
    stmt = select(inner.c.case_id, inner.c.state, inner.c.entered_on, inner.c.left_on) \
        .where(inner.c.left_on.is_not(None), inner.c.state.in_(STEPS))
    return [tuple(r) for r in db.session.execute(stmt)]


def working_day_index(calendar: WorkingCalendar, first: date, last: date) -> dict[date, int]:
    """date -> working days in (first, date]: the working days between two dates of the
    range are a subtraction."""
    index, n, day = {}, 0, first
    while day <= last:
        if day > first and calendar.is_working_day(day):
            n += 1
        index[day] = n
        day += timedelta(days=1)
    return index


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def percentile_summary(values: list[int]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return float(values[0]), float(values[0])
    median = statistics.median(values)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return float(median), float(p90)


def step_durations(spans, calendar: WorkingCalendar) -> dict[str, list[int]]:
    """Working days per case in each step (a step visited twice adds up)."""
    spans = [(c, s, _as_date(a), _as_date(b)) for c, s, a, b in spans]
    if not spans:
        return {}
    first = min(a for _, _, a, _ in spans)
    last = max(b for _, _, _, b in spans)
    index = working_day_index(calendar, first, last)
    per_case: dict[tuple[str, int], int] = {}
    for case_id, state, entered, left in spans:
        key = (state, case_id)
        per_case[key] = per_case.get(key, 0) + index[left] - index[entered]
    out: dict[str, list[int]] = {}
    for (state, _), days in per_case.items():
        out.setdefault(state, []).append(days)
    return out


def cohort_table(user: User, today: date, year: int, where, calendar: WorkingCalendar):
    size = cohort_size(user, today, year, where)
    reached = reached_counts(user, today, year, where)
    durations = step_durations(step_spans(user, today, year, where), calendar)
    rows = []
    for state in STEPS:
        values = durations.get(state, [])
        median, p90 = percentile_summary(values)
        n = reached.get(state, 0)
        rows.append(StepRow(state, n, 100.0 * n / size if size else 0.0, len(values),
                            median, p90))
    ends = {state: reached.get(state, 0) for state in ENDS}
    return size, rows, ends


def period_counts(user: User, today: date, year: int, where) -> dict[str, int]:
    """Cases with a step event dated in calendar year ``year``, whatever their cohort."""
    on = event_on()
    stmt = (scoped_cases(user, today, select(AuditEvent.to_state,
                                             func.count(func.distinct(Case.id)))
                         .select_from(Case))
            .join(AuditEvent, AuditEvent.case_id == Case.id)
            .where(where, AuditEvent.to_state.in_(PERIOD_STEPS),
                   on >= f"{year:04d}-01-01", on <= f"{year:04d}-12-31")
            .group_by(AuditEvent.to_state))
    found = {state: n for state, n in db.session.execute(stmt)}
    return {state: found.get(state, 0) for state in PERIOD_STEPS}
