"""Aggregate report queries: every count is one GROUP BY through ``scoped_cases``.

Nothing here loops over cases: the cohort's time per step is measured in SQL against a
cumulative index of the working-day calendar, and comes back as a histogram per step.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (ColumnElement, Date, Integer, and_, case, func, literal, or_,
                        select, true, union_all)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import AuditEvent, Case, Organisation, TransferRequest, TransferState, User
from ..models.tally import PARTY
from ..security.scope import CellOrg, PartyOrg, scoped_cases, under
from ..services import cohort_tallies, period_tallies, tallies, transfers
from ..services.cohort_tallies import ENDS, SKIPPED_BY, STEPS
from ..services.deadlines import active_deadline
from ..workflow.calendar import WorkingCalendar
from ..workflow.steps import CLOCK, STEP
from ..workflow.steps import STEPS as SPEC
from .achievement import (Period, answered_by_kept, as_figures, kept_figures, period_figures,
                          placed_at_end, within)

# The period counts and the Party dashboard's due lists, from the step specification
# (the cohort's steps, ends and bypasses: services.cohort_tallies).
PERIOD_STEPS = tuple(s.id for s in SPEC if s.period)
DUE_LISTS = tuple(s.id for s in SPEC if s.due_list)
DUE_LIMIT = 50


def party_subtree(node: Organisation) -> ColumnElement[bool]:
    """Cases in a Party node's jurisdiction: its receiving organisation or host cell."""
    return or_(under(PartyOrg, node.path),
               and_(Case.host_cell_id.is_not(None), under(CellOrg, node.path)))


def union_subtree(node: Organisation | None, period: Period) -> ColumnElement[bool]:
    """Cases of the node's subtree as it stood at the period's end (all without a node)."""
    return within(node, period) if node is not None else true()


# --- Party dashboard -------------------------------------------------------------------

def state_counts(user: User, today: date, node: Organisation) -> dict[str, int]:
    """Cases per state in the Party node's jurisdiction, without the union's drafts (not
    yet sent to the Party): the node's tally when the user sees all of it."""
    if tallies.covers(user, node, PARTY, today):
        found = tallies.counts(PARTY, node.id)
    else:
        found = dict(db.session.execute(
            scoped_cases(user, today, select(Case.state, func.count(Case.id)))
            .where(party_subtree(node)).group_by(Case.state)).all())
    return {state: n for state, n in found.items() if state != "draft"}


def _anchor(state: str):
    """The case column the due date of ``state``'s deadline grows with."""
    columns = [getattr(Case, name) for name in CLOCK[STEP[state].deadline].sort]
    return func.coalesce(*columns) if len(columns) > 1 else columns[0]


def due_list(user: User, today: date, where: ColumnElement[bool], state: str,
             calendar: WorkingCalendar, rules_on, limit: int = DUE_LIMIT) -> list:
    """The ``limit`` cases of ``state`` due first (overdue first, then by due date).

    The due date grows with the key date it runs from, so the first ``limit`` by key
    date (separately for extended decisions, whose due date is later) hold the first
    ``limit`` by due date: two bounded queries at most, never the whole state."""
    base = scoped_cases(user, today, select(Case.id)).where(where, Case.state == state)
    extended = CLOCK[STEP[state].deadline].extended_column
    groups = ([getattr(Case, extended).is_(False), getattr(Case, extended).is_(True)]
              if extended else [true()])
    cases = []
    for group in groups:
        # The first ``limit`` ids, then their cases with the member and the organisations
        # named: joined before the LIMIT, those were read for every case of the state.
        first = base.where(group).order_by(_anchor(state), Case.id).limit(limit).subquery()
        cases += db.session.scalars(
            select(Case).join(first, first.c.id == Case.id)
            .options(joinedload(Case.union_unit), joinedload(Case.party_org))
            .order_by(_anchor(state), Case.id)).unique().all()
    rows = [(case, active_deadline(case, calendar, today, rules_on)) for case in cases]
    rows = [(c, d) for c, d in rows if d is not None]
    rows.sort(key=lambda r: (0 if r[1].overdue_by else 1, r[1].due, r[0].id))
    return rows[:limit]


ToParty = aliased(Organisation, name="due_to_party")
ToCell = aliased(Organisation, name="due_to_cell")


def transfer_due_list(node: Organisation, today: date, calendar: WorkingCalendar, rules_on,
                      limit: int | None = DUE_LIMIT) -> list:
    """Probationary members' pending transfers (due within the rule set's working days,
    294-QĐ/TW §6.3.1) leaving or entering the Party node's jurisdiction, due first. The due
    date grows with the request date, so the first ``limit`` requests are the first due."""
    stmt = (select(TransferRequest).join(Case, TransferRequest.case_id == Case.id)
            .join(PartyOrg, Case.party_org_id == PartyOrg.id)
            .outerjoin(CellOrg, Case.host_cell_id == CellOrg.id)
            .outerjoin(ToParty, TransferRequest.to_party_id == ToParty.id)
            .outerjoin(ToCell, TransferRequest.to_cell_id == ToCell.id)
            .where(TransferRequest.state == TransferState.requested,
                   TransferRequest.case_state.in_(sorted(transfers.PROBATIONARY)),
                   or_(party_subtree(node), under(ToParty, node.path),
                       under(ToCell, node.path)))
            .options(joinedload(TransferRequest.case).joinedload(Case.union_unit))
            .order_by(TransferRequest.requested_on, TransferRequest.id).limit(limit))
    return [(t, transfers.deadline(t, calendar, today, rules_on))
            for t in db.session.scalars(stmt).unique()]


# --- cohort ----------------------------------------------------------------------------

@dataclass
class StepRow:
    state: str
    reached: int
    share: float            # % of the cohort
    completed: int          # cases that have left the step (durations known)
    median: float | None    # working days
    p90: float | None
    skipped: int = 0        # cases that went past this step without it (SKIPPED_BY)


def cohort_filter(year: int) -> ColumnElement[bool]:
    """The cohort of ``year``: the cases the union introduced (submitted to the Party) in
    that calendar year, on the same date the achievement dashboard counts them by, so the
    two pages give the same number whatever year a draft was opened in."""
    return Period(year).holds(Case.nominated_on)


def cohort_size(user: User, today: date, year: int, where) -> int:
    return db.session.scalar(scoped_cases(user, today, select(func.count(Case.id)),
                                          **placed_at_end(Period(year)))
                             .where(where, cohort_filter(year))) or 0


def calendar_rows(index: dict[date, int]):
    """The cumulative working-day index as a CTE of (day, n), sent as one or two bound
    values (arrays on PostgreSQL, a JSON array on SQLite), not as a VALUES list of
    thousands of parameters that SQLAlchemy would compile anew at every request. SQLite
    keeps dates as ISO text, as its JSON does."""
    if db.session.get_bind().dialect.name == "postgresql":
        rows = func.unnest(literal(list(index), ARRAY(Date)),
                           literal(list(index.values()), ARRAY(Integer))).table_valued(
            "day", "n").render_derived()
        return select(rows.c.day, rows.c.n).cte("cal")
    pairs = json.dumps([[day.isoformat(), n] for day, n in index.items()])
    rows = func.json_each(literal(pairs)).table_valued("value")
    return select(func.json_extract(rows.c.value, "$[0]").label("day"),
                  func.json_extract(rows.c.value, "$[1]").label("n")).cte("cal")


def taken_into_account():
    """Step events that stand: neither a correction nor a step a correction took back.

    The steps taken back are one uncorrelated subquery (corrections are few), evaluated once:
    a correlated EXISTS on ``corrects_id``, NULL for nearly every event, was planned by
    SQLite after ANALYZE as a scan of the whole trail for every event."""
    corrections = aliased(AuditEvent)
    return and_(AuditEvent.corrects_id.is_(None),
                AuditEvent.id.not_in(select(corrections.corrects_id)
                                     .where(corrections.corrects_id.is_not(None))))


def cohort_steps(user: User, today: date, year: int, where, calendar: WorkingCalendar
                 ) -> tuple[dict[str, int], dict[str, list[tuple[int, int]]], dict[str, int]]:
    """For the cohort, in one statement over its step events (read once, materialised):

    * reached: state -> cases with an event into it;
    * skipped: state -> cases that went past it by its bypass (``SKIPPED_BY``) and never
      entered it;
    * durations: state -> [(working days spent in the step, how many cases)] for the
      completed steps (a step visited twice adds up). Each visit is the LEAD over the
      case's step events; its working days come from joining the calendar's cumulative
      index over the days the cohort can span (``calendar_rows``); rows are grouped per
      case and step, then per number of days, so what comes back is bounded by the steps
      and the spread of durations, not by the number of cases."""
    first, last = date(year - 1, 1, 1), max(today, date(year, 12, 31))
    cal = calendar_rows(calendar.index(first, last))
    entered, left = cal.alias("cal_in"), cal.alias("cal_out")
    events = (scoped_cases(user, today, select(
        AuditEvent.case_id.label("case_id"), AuditEvent.id.label("event_id"),
        AuditEvent.from_state.label("from_state"), AuditEvent.to_state.label("state"),
        AuditEvent.step_on.label("on")).select_from(Case), **placed_at_end(Period(year)))
        .join(AuditEvent, AuditEvent.case_id == Case.id)
        .where(where, cohort_filter(year), AuditEvent.to_state.is_not(None),
               AuditEvent.subject == "case", taken_into_account())
        ).cte("events").prefix_with("MATERIALIZED", dialect="postgresql")     # read once
    visits = select(events.c.case_id, events.c.state, events.c.on.label("entered_on"),
                    func.lead(events.c.on).over(partition_by=events.c.case_id,
                                                order_by=events.c.event_id).label("left_on")
                    ).subquery("visits")
    per_case = (select(visits.c.state, func.sum(left.c.n - entered.c.n).label("days"))
                .join(entered, entered.c.day == visits.c.entered_on)
                .join(left, left.c.day == visits.c.left_on)
                .where(visits.c.state.in_(STEPS))
                .group_by(visits.c.case_id, visits.c.state)).subquery("per_case")
    reached_rows = (select(literal("reached").label("kind"), events.c.state,
                           literal(0).label("days"), func.count(func.distinct(events.c.case_id)))
                    .where(events.c.state.in_(STEPS + ENDS)).group_by(events.c.state))
    duration_rows = (select(literal("days").label("kind"), per_case.c.state, per_case.c.days,
                            func.count()).group_by(per_case.c.state, per_case.c.days))
    # Per case, whether it took each bypass and whether it entered the step: one grouping
    # (an anti-join on the CTE would be planned as a nested loop, cases x cases).
    flags = select(events.c.case_id, *(
        column for state, (source, dest) in SKIPPED_BY.items() for column in (
            func.max(case((and_(events.c.from_state == source, events.c.state == dest), 1),
                          else_=0)).label(f"by_{state}"),
            func.max(case((events.c.state == state, 1), else_=0)).label(f"in_{state}")))
    ).group_by(events.c.case_id).cte("flags")
    skipped_rows = [
        select(literal("skipped").label("kind"), literal(state).label("state"),
               literal(0).label("days"),
               func.coalesce(func.sum(case((and_(flags.c[f"by_{state}"] == 1,
                                                 flags.c[f"in_{state}"] == 0), 1), else_=0)), 0))
        for state in SKIPPED_BY]
    reached: dict[str, int] = {}
    skipped: dict[str, int] = {}
    durations: dict[str, list[tuple[int, int]]] = {}
    for kind, state, days, n in db.session.execute(
            union_all(reached_rows, duration_rows, *skipped_rows)):
        if kind == "reached":
            reached[state] = int(n)
        elif kind == "skipped":
            skipped[state] = int(n)
        else:
            durations.setdefault(state, []).append((int(days), int(n)))
    return reached, durations, skipped


def percentile_summary(values: list[int]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return float(values[0]), float(values[0])
    median = statistics.median(values)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return float(median), float(p90)


def kept_node(user: User, today: date, node: Organisation | None,
              period: Period) -> Organisation | None:
    """The node whose kept figures are what ``user`` counts in ``node``'s subtree (in their
    whole scope when ``node`` is None), or None when the scope cuts through it."""
    node = node if node is not None else tallies.union_scope_node(user, today)
    return node if node is not None and answered_by_kept(user, today, node, period) else None


def cohort_table(user: User, today: date, year: int, node: Organisation | None,
                 calendar: WorkingCalendar):
    """The cohort of ``year`` in ``node``'s subtree (the user's scope without one): its
    size, a StepRow per step, the cases per end. From the kept cohort table when it answers
    for the user, else from the scoped cases' events."""
    kept = kept_node(user, today, node, Period(year))
    if kept is not None:
        size, reached, histogram, skipped = cohort_tallies.kept_cohort(kept.id, year)
    else:
        where = union_subtree(node, Period(year))
        size = cohort_size(user, today, year, where)
        reached, histogram, skipped = cohort_steps(user, today, year, where, calendar)
    rows = []
    for state in STEPS:
        values = sorted(d for d, n in histogram.get(state, []) for _ in range(n))
        median, p90 = percentile_summary(values)
        n = reached.get(state, 0)
        rows.append(StepRow(state, n, 100.0 * n / size if size else 0.0, len(values),
                            median, p90, skipped.get(state, 0)))
    ends = {state: reached.get(state, 0) for state in ENDS}
    return size, rows, ends


def period_counts(user: User, today: date, year: int, node: Organisation | None
                  ) -> dict[str, int]:
    """Steps taken during calendar year ``year`` in ``node``'s subtree (everywhere the user
    sees without one), whatever the cases' cohort, on the same key dates and from the same
    kept figures as the achievement dashboard: introduced on ``nominated_on``, sent to a
    class on the enrolment's date, admitted on the decision's date."""
    period = Period(year)
    kept = kept_node(user, today, node, period)
    if kept is not None:
        figures = kept_figures(period_tallies.kept_rows(period.key, node_ids=[kept.id]))
    else:
        figures = as_figures(period_figures(user, today, union_subtree(node, period),
                                            period)[0])
    return dict(zip(PERIOD_STEPS, (figures.introduced, figures.in_class, figures.admitted),
                    strict=True))
