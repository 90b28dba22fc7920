"""The cohort table per node and year (models/period_tally.py's CohortFact, CohortTally),
kept by services.kept_facts.

``_facts`` reads a case's step events as the cohort query of reports.queries does (steps
that stand: neither corrections nor steps taken back), and says which steps it reached,
which it went past by a bypass without entering, and how many working days it spent in
each step it left (every visit added up; the working days of the calendar with its
overrides, as deadlines count them). The case is placed where it stood on its cohort
year's last day. ``kept_cohort`` reads the table back in the shape the page uses.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from sqlalchemy import Connection, func, select

from ..extensions import db
from ..models import AuditEvent, Case, CohortFact, CohortTally
from ..workflow.calendar import load_calendar
from ..workflow.steps import STEPS as SPEC
from . import kept_facts
from .period_tallies import Placer

# The steps of the cohort table, in order (draft excluded: a cohort is the cases the union
# introduced), the ends counted apart and the steps some cases go on without, each with
# the transition (from, to) that bypasses it: all from the step specification.
STEPS = tuple(s.id for s in SPEC if s.funnel)
ENDS = tuple(s.id for s in SPEC if s.end and not s.funnel)
SKIPPED_BY = {s.id: s.bypass for s in SPEC if s.bypass}
SIZE = ""       # the state of a case's membership row


def _standing_events(conn: Connection, ids: list[int]) -> dict[int, list]:
    """case -> its step events that stand, in order: (from, to, step date)."""
    taken_back = select(AuditEvent.corrects_id).where(AuditEvent.case_id.in_(ids),
                                                      AuditEvent.corrects_id.is_not(None))
    out: dict[int, list] = defaultdict(list)
    for case_id, source, dest, on in conn.execute(
            select(AuditEvent.case_id, AuditEvent.from_state, AuditEvent.to_state,
                   AuditEvent.step_on)
            .where(AuditEvent.case_id.in_(ids), AuditEvent.to_state.is_not(None),
                   AuditEvent.subject == "case", AuditEvent.corrects_id.is_(None),
                   AuditEvent.id.not_in(taken_back))
            .order_by(AuditEvent.case_id, AuditEvent.id)):
        out[case_id].append((source, dest, on))
    return out


def _facts(conn: Connection, ids: list[int]) -> dict[tuple, tuple]:
    """(case, state) -> (year, path, reached, skipped, days) for the introduced cases of
    ``ids``."""
    cases = conn.execute(select(Case.id, Case.union_unit_id, Case.nominated_on)
                         .where(Case.id.in_(ids), Case.nominated_on.is_not(None))).all()
    if not cases:
        return {}
    events = _standing_events(conn, [row[0] for row in cases])
    placer = Placer(conn, {row[0]: row[1] for row in cases})
    days = {on for evs in events.values() for *_s, on in evs if on is not None}
    index = load_calendar(conn).index(min(days), max(days)) if days else {}
    out: dict[tuple, tuple] = {}
    for case_id, _unit, nominated in cases:
        year = nominated.year
        _u, path, _k, _p = placer.place(case_id, date(year, 12, 31))
        evs = events[case_id]
        reached = {dest for _s, dest, _on in evs}
        days: dict[str, int] = {}
        for (_s, state, entered), (_s2, _d2, left) in itertools.pairwise(evs):
            if state in STEPS and entered is not None and left is not None:
                days[state] = days.get(state, 0) + index[left] - index[entered]
        skipped = {state for state, bypass in SKIPPED_BY.items()
                   if state not in reached and any((s, d) == bypass for s, d, _on in evs)}
        out[(case_id, SIZE)] = (year, path, True, False, None)
        for state in (*STEPS, *ENDS):
            if state in reached or state in skipped or state in days:
                out[(case_id, state)] = (year, path, state in reached, state in skipped,
                                         days.get(state))
    return out


def _adds(key: tuple, values: tuple) -> Iterator[tuple]:
    _case, state = key
    year, path, reached, skipped, days = values
    for node in (int(n) for n in path.strip("/").split("/")):
        if state == SIZE:
            yield node, year, SIZE, "size", 0
            continue
        if reached:
            yield node, year, state, "reached", 0
        if skipped:
            yield node, year, state, "skipped", 0
        if days is not None:
            yield node, year, state, "days", days


KEPT = kept_facts.register(kept_facts.Kept(
    fact=CohortFact, key=("state",), values=("year", "path", "reached", "skipped", "days"),
    tally=CohortTally, dims=("node_id", "year", "state", "measure", "days"),
    compute=_facts, adds=_adds,
    watches=frozenset({"case", "event", "move", "node", "calendar"}), sums_sql="""
SELECT node_id, year, state, measure, days, count(*) AS n FROM (
    SELECT CAST(a.{node} AS INTEGER) AS node_id, f.year, f.state, 'size' AS measure,
           0 AS days FROM cohort_fact f {ancestors} WHERE f.state = '' AND {where}
    UNION ALL
    SELECT CAST(a.{node} AS INTEGER), f.year, f.state, 'reached', 0
    FROM cohort_fact f {ancestors} WHERE f.state <> '' AND f.reached AND {where}
    UNION ALL
    SELECT CAST(a.{node} AS INTEGER), f.year, f.state, 'skipped', 0
    FROM cohort_fact f {ancestors} WHERE f.skipped AND {where}
    UNION ALL
    SELECT CAST(a.{node} AS INTEGER), f.year, f.state, 'days', f.days
    FROM cohort_fact f {ancestors} WHERE f.days IS NOT NULL AND {where}) AS x
GROUP BY node_id, year, state, measure, days"""))


def kept_cohort(node_id: int, year: int) -> tuple[int, dict[str, int],
                                                  dict[str, list[tuple[int, int]]],
                                                  dict[str, int]]:
    """(size, reached, durations, skipped) of the cohort of ``year`` under the node, as
    reports.queries.cohort_steps computes them from the events."""
    size, reached, skipped = 0, {}, {}
    durations: dict[str, list[tuple[int, int]]] = {}
    for state, measure, days, n in db.session.execute(
            select(CohortTally.state, CohortTally.measure, CohortTally.days,
                   func.sum(CohortTally.n))
            .where(CohortTally.node_id == node_id, CohortTally.year == year,
                   CohortTally.n != 0)
            .group_by(CohortTally.state, CohortTally.measure, CohortTally.days)):
        if measure == "size":
            size = int(n)
        elif measure == "reached":
            reached[state] = int(n)
        elif measure == "skipped":
            skipped[state] = int(n)
        else:
            durations.setdefault(state, []).append((int(days), int(n)))
    return size, reached, durations, skipped
