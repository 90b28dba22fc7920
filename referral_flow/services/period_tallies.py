"""The achievement figures per node and period (models/period_tally.py), kept by
services.kept_facts: ``_facts`` says what a case contributes to which period and where it
stood at the period's end (the SQL of reports.achievement says the same for scopes the
kept figures do not answer); ``kept_rows`` and ``direct_rows`` read them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import Connection, func, select

from ..extensions import db
from ..models import (Case, CaseFact, CaseMove, Enrolment, Member, Organisation,
                      OrganisationMove, PeriodTally)
from . import kept_facts


def year_key(year: int) -> str:
    return f"Y{year}"


def quarter_key(year: int, quarter: int) -> str:
    return f"Q{year}-{quarter}"


def month_key(year: int, month: int) -> str:
    return f"M{year}-{month:02d}"


def periods_of(day: date) -> list[tuple[str, date]]:
    """The periods a step dated ``day`` counts in, each with the day its case is placed on
    (the period's last day; a month of the year's table, the year's)."""
    quarter = (day.month - 1) // 3 + 1
    year_end = date(day.year, 12, 31)
    quarter_end = year_end if quarter == 4 else date(day.year, 3 * quarter + 1, 1) - timedelta(1)
    return [(year_key(day.year), year_end), (quarter_key(day.year, quarter), quarter_end),
            (month_key(day.year, day.month), year_end)]


def _first_later(moves: list, day: date, default):
    """The ``before`` value of the first move after ``day`` (moves ordered), else
    ``default``: where a case or node stood on ``day`` (placement.union_unit_on and
    tree_on.path_on say the same in SQL)."""
    for moved_on, before in moves:
        if moved_on > day:
            return before
    return default


class Placer:
    """Where some cases' union units stood on given days: ``place(case, day)`` is (the
    unit, its path then, its enterprise kind, whether it has a Party organisation), read
    with four statements for all the cases."""

    def __init__(self, conn: Connection, units_now: dict[int, int]):
        self.units_now = units_now
        ids = list(units_now)
        self.moves: dict[int, list] = defaultdict(list)
        for case_id, moved_on, before in conn.execute(
                select(CaseMove.case_id, CaseMove.moved_on, CaseMove.from_union_id)
                .where(CaseMove.case_id.in_(ids))
                .order_by(CaseMove.case_id, CaseMove.moved_on, CaseMove.seq)):
            self.moves[case_id].append((moved_on, before))
        units = set(units_now.values()) | {u for ms in self.moves.values() for _d, u in ms}
        self.nodes = {node_id: (path, kind.value if hasattr(kind, "value") else (kind or ""),
                                "" if party is None else "y" if party else "n")
                      for node_id, path, kind, party in conn.execute(
                          select(Organisation.id, Organisation.path,
                                 Organisation.enterprise_kind, Organisation.has_party_org)
                          .where(Organisation.id.in_(units)))}
        self.node_moves: dict[int, list] = defaultdict(list)
        for node_id, moved_on, before in conn.execute(
                select(OrganisationMove.node_id, OrganisationMove.moved_on,
                       OrganisationMove.from_path).where(OrganisationMove.node_id.in_(units))
                .order_by(OrganisationMove.node_id, OrganisationMove.moved_on,
                          OrganisationMove.id)):
            self.node_moves[node_id].append((moved_on, before))

    def place(self, case_id: int, day: date) -> tuple[int, str, str, str]:
        unit = _first_later(self.moves[case_id], day, self.units_now[case_id])
        path, kind, party = self.nodes[unit]
        return unit, _first_later(self.node_moves[unit], day, path), kind, party


def _facts(conn: Connection, ids: list[int]) -> dict[tuple, tuple]:
    """(case, period, measure) -> (unit, path, worker, kind, party) for the cases ``ids``."""
    cases = conn.execute(
        select(Case.id, Case.union_unit_id, Case.nominated_on, Case.decision_on,
               Member.direct_production).join(Member, Member.id == Case.member_id)
        .where(Case.id.in_(ids))).all()
    dated: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for case_id, _unit, nominated, decided, _worker in cases:
        if nominated is not None:
            dated[case_id].append(("introduced", nominated))
        if decided is not None:
            dated[case_id].append(("admitted", decided))
    for case_id, day in conn.execute(select(Enrolment.case_id, Enrolment.enrolled_on)
                                     .where(Enrolment.case_id.in_(ids))):
        dated[case_id].append(("in_class", day))
    placer = Placer(conn, {row[0]: row[1] for row in cases})
    out: dict[tuple, tuple] = {}
    for case_id, _unit, _n, _d, worker in cases:
        for measure, day in dated[case_id]:
            for period, end in periods_of(day):
                key = (case_id, period, measure)
                if key not in out:
                    unit, path, kind, party = placer.place(case_id, end)
                    out[key] = (unit, path, bool(worker), kind, party)
    return out


def _adds(key: tuple, values: tuple) -> Iterator[tuple]:
    """The sums a fact counts in: its period and measure at every node of its path."""
    _case, period, measure = key
    _unit, path, worker, kind, party = values
    for node in path.strip("/").split("/"):
        yield int(node), period, measure, worker, kind, party


KEPT = kept_facts.register(kept_facts.Kept(
    fact=CaseFact, key=("period", "measure"),
    values=("unit_id", "path", "worker", "kind", "party"), tally=PeriodTally,
    dims=("node_id", "period", "measure", "worker", "kind", "party"),
    compute=_facts, adds=_adds,
    watches=frozenset({"case", "enrolment", "move", "member", "node"}), sums_sql="""
SELECT CAST(a.{node} AS INTEGER) AS node_id, f.period, f.measure, f.worker, f.kind, f.party,
       count(*) AS n
FROM case_fact f {ancestors} WHERE {where}
GROUP BY CAST(a.{node} AS INTEGER), f.period, f.measure, f.worker, f.kind, f.party"""))


def kept_rows(period: str | list[str], *group: str, node_ids: list[int]):
    """(group..., measure, worker, n) summed over ``node_ids`` and the period(s)."""
    periods = [period] if isinstance(period, str) else period
    columns = [getattr(PeriodTally, name) for name in group]
    return db.session.execute(
        select(*columns, PeriodTally.measure, PeriodTally.worker, func.sum(PeriodTally.n))
        .where(PeriodTally.node_id.in_(node_ids), PeriodTally.period.in_(periods),
               PeriodTally.n != 0)
        .group_by(*columns, PeriodTally.measure, PeriodTally.worker)).all()


def direct_rows(period: str, node_id: int):
    """(measure, worker, n) of the cases placed at ``node_id`` itself in the period."""
    return db.session.execute(
        select(CaseFact.measure, CaseFact.worker, func.count())
        .where(CaseFact.unit_id == node_id, CaseFact.period == period)
        .group_by(CaseFact.measure, CaseFact.worker)).all()
