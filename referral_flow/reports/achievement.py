"""The achievement dashboard's figures (PROCESS.md §4): for a union node and a period,
introduced against the target, sent to awareness classes, admitted, of which direct
production workers; by child unit, by enterprise kind and Party organisation, by month;
the CĐCS that have introduced no one yet; the classes held for enterprises without a
Party organisation.

Each table is one aggregate statement over the viewer's scoped cases (conditional sums),
so the number of statements does not depend on the number of cases or units. The period
counts follow the key dates: introduced on ``nominated_on``, sent to a class on the
enrolment's date, admitted on the decision's date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import g, has_request_context
from sqlalchemy import (ColumnElement, Integer, and_, case, cast, extract, func,
                        literal, or_, select)

from ..extensions import db
from ..models import (AwarenessClass, Case, EnrolmentResult, Enrolment, Member, Organisation,
                      OrganisationMove, Target, Tree, UnionKind, User)
from ..models import Role
from ..security.scope import UNION_SIDE, UnionOrg, scoped_cases, under
from ..security.tree_on import node_path_on, parent_on, path_on, under_on
from ..services import period_tallies as kept
from ..services.placement import party_org_on, union_unit_on
from ..services.targets import open_on, rollup

GRASSROOTS = UnionKind.grassroots.value
MEASURES = ("introduced", "introduced_dp", "in_class", "admitted", "admitted_dp")
QUARTERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def end(self) -> date:
        if not self.quarter or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    def holds(self, column) -> ColumnElement[bool]:
        return and_(column >= self.start, column <= self.end)

    @property
    def key(self) -> str:
        """The period's key in the kept figures (services.period_tallies)."""
        return (kept.quarter_key(self.year, self.quarter) if self.quarter
                else kept.year_key(self.year))


def placed_at_end(period: Period) -> dict:
    """``scoped_cases`` arguments that place each case where it was on the period's last
    day, in the tree of that day (issue 10: after a reorganisation a past period's figures
    do not change, and the roll-up over old and new nodes counts each case once). The
    report's own subtree filter reads the same day: ``within(node, period)``."""
    return {"union_at": union_unit_on(period.end), "party_at": party_org_on(period.end),
            "paths_on": period.end}


def within(node: Organisation, period: Period) -> ColumnElement[bool]:
    """The cases whose union unit stood in ``node``'s subtree at the period's end."""
    return under_on(UnionOrg, node, period.end)


@dataclass
class Figures:
    """The indicators of one group of cases, with the target they are measured against."""
    introduced: int = 0
    introduced_dp: int = 0
    in_class: int = 0
    admitted: int = 0
    admitted_dp: int = 0
    target: int | None = None

    @property
    def achievement(self) -> float | None:
        """Introduced as a % of the target (None when no target is set)."""
        if not self.target:
            return None
        return 100.0 * self.introduced / self.target


def period_figures(user: User, today: date, where, period: Period, *group_by):
    """Rows of (group..., the five measures) for the scoped cases matching ``where`` that
    did something in the period. The period's enrolments are one grouped subquery joined once
    (not a lookup per case)."""
    enrolled = (select(Enrolment.case_id).where(period.holds(Enrolment.enrolled_on))
                .group_by(Enrolment.case_id).subquery("enrolled"))
    in_class = enrolled.c.case_id.is_not(None)
    introduced, admitted = period.holds(Case.nominated_on), period.holds(Case.decision_on)
    worker = Member.direct_production.is_(True)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
    sums = [count(introduced), count(and_(introduced, worker)), count(in_class),
            count(admitted), count(and_(admitted, worker))]
    stmt = (scoped_cases(user, today, select(*group_by, *sums).select_from(Case),
                         **placed_at_end(period))
            .join(Member, Member.id == Case.member_id)
            .outerjoin(enrolled, enrolled.c.case_id == Case.id))
    stmt = stmt.where(where, or_(introduced, admitted, in_class))
    return db.session.execute(stmt.group_by(*group_by) if group_by else stmt).all()


def answered_by_kept(user: User, today: date, node: Organisation, period: Period) -> bool:
    """Whether the kept figures (services.period_tallies) are what ``user`` would count:
    an administrator, or a union-side grant whose subtree held ``node`` at the period's end
    (the scope ``placed_at_end`` applies). Others, whose scope cuts through the node, are
    counted from their scoped cases. Asked by every table of a page: answered once per
    request."""
    memo = g.setdefault("answered_by_kept", {}) if has_request_context() else {}
    key = (user.id, node.id, period, today)
    if key not in memo:
        grants = user.active_grants(today)
        root = None if any(grant.role == Role.administrator for grant in grants) \
            else node_path_on(node, period.end)
        memo[key] = root is None or any(
            grant.role in UNION_SIDE and grant.org is not None
            and root.startswith(node_path_on(grant.org, period.end)) for grant in grants)
    return memo[key]


def kept_figures(rows) -> Figures:
    """Figures from kept rows of (measure, worker, n)."""
    out = Figures()
    for measure, worker, n in rows:
        setattr(out, measure, getattr(out, measure) + int(n))
        if worker and measure != "in_class":
            setattr(out, f"{measure}_dp", getattr(out, f"{measure}_dp") + int(n))
    return out


def as_figures(values) -> Figures:
    return Figures(**{name: int(v or 0) for name, v in zip(MEASURES, values, strict=True)})


def add(into: Figures, more: Figures) -> Figures:
    for name in MEASURES:
        setattr(into, name, getattr(into, name) + getattr(more, name))
    return into


def by_child(user: User, today: date, node: Organisation, period: Period,
             children: list[Organisation]) -> dict[int, Figures]:
    """The figures of each child's subtree: one GROUP BY per introducing unit (no join on
    path prefixes, which SQLite would evaluate case by child), then each unit's row is
    added to the child its materialised path at the period's end names (a loop over units,
    not cases). A union above grassroots introduces the workers of enterprises without a
    CĐCS itself: those cases are under ``node``'s own id."""
    wanted = {c.id for c in children} | {node.id}
    out: dict[int, Figures] = {}
    if answered_by_kept(user, today, node, period):
        rows: dict[int, list] = {}
        for child_id, *row in kept.kept_rows(period.key, "node_id",
                                             node_ids=[c.id for c in children]):
            rows.setdefault(child_id, []).append(row)
        out = {child_id: kept_figures(r) for child_id, r in rows.items()}
        direct = kept.direct_rows(period.key, node.id)
        if direct:
            out[node.id] = kept_figures(direct)
        return out
    root = node_path_on(node, period.end)
    for path, *values in period_figures(user, today, within(node, period), period,
                                        path_on(UnionOrg, period.end)):
        head = path[len(root):].split("/", 1)[0] or str(node.id)
        if head.isdigit() and int(head) in wanted:
            add(out.setdefault(int(head), Figures()), as_figures(values))
    return out


def by_enterprise(user: User, today: date, node: Organisation,
                  period: Period) -> dict[tuple[str | None, bool | None], Figures]:
    """Figures per (enterprise kind, has a Party organisation) of the introducing CĐCS;
    their sum is the node's total."""
    if answered_by_kept(user, today, node, period):
        grouped: dict[tuple, list] = {}
        for kind, party, *row in kept.kept_rows(period.key, "kind", "party",
                                                node_ids=[node.id]):
            key = (kind or None, {"y": True, "n": False}.get(party))
            grouped.setdefault(key, []).append(row)
        return {key: kept_figures(rows) for key, rows in grouped.items()}
    rows = period_figures(user, today, within(node, period), period,
                          UnionOrg.enterprise_kind, UnionOrg.has_party_org)
    out = {}
    for kind, has_party, *values in rows:
        key = (kind.value if hasattr(kind, "value") else kind, has_party)
        out[key] = as_figures(values)
    return out


def by_month(user: User, today: date, node: Organisation, year: int) -> dict[str, list[int]]:
    """Introduced, sent to a class and admitted in each month of ``year`` (three GROUP BYs)."""
    whole = Period(year)
    out = {}
    if answered_by_kept(user, today, node, whole):
        months = {kept.month_key(year, m): m for m in range(1, 13)}
        counts: dict[tuple[int, str], int] = {}
        for period, measure, _worker, n in kept.kept_rows(list(months), "period",
                                                          node_ids=[node.id]):
            key = (months[period], measure)
            counts[key] = counts.get(key, 0) + int(n)
        return {name: [counts.get((m, name), 0) for m in range(1, 13)]
                for name in ("introduced", "in_class", "admitted")}
    for name, column, extra in (("introduced", Case.nominated_on, None),
                                ("in_class", Enrolment.enrolled_on, Enrolment),
                                ("admitted", Case.decision_on, None)):
        month = cast(extract("month", column), Integer)
        stmt = scoped_cases(user, today, select(month, func.count(func.distinct(Case.id)))
                            .select_from(Case), **placed_at_end(whole))
        if extra is not None:
            stmt = stmt.join(Enrolment, Enrolment.case_id == Case.id)
        stmt = stmt.where(within(node, whole), whole.holds(column)).group_by(month)
        counts = dict(db.session.execute(stmt).all())
        out[name] = [int(counts.get(m, 0)) for m in range(1, 13)]
    return out


# --- targets ---------------------------------------------------------------------------

def targets_of(nodes: list[Organisation], year: int, day: date) -> dict[int, int | None]:
    """Each node's target for the year: its own when set, else the sum of the targets of
    the open CĐCS below it (None when neither exists). Two statements."""
    if not nodes:
        return {}
    ids = [n.id for n in nodes]
    own = dict(db.session.execute(
        select(Target.node_id, Target.target).where(Target.year == year,
                                                    Target.node_id.in_(ids))).all())
    below = rollup([n.id for n in nodes if n.kind != GRASSROOTS], year, day)
    out = {}
    for node in nodes:
        total, _units, with_target = below.get(node.id, (0, 0, 0))
        out[node.id] = own.get(node.id, total if with_target else None)
    return out


# --- units and classes -----------------------------------------------------------------

def children_of(node: Organisation, period: Period) -> list[Organisation]:
    """The node's child units at the period's end (its children now, and those that have
    moved away since; of these, those it held then), open at some time in the period, by
    name."""
    moved_away = select(OrganisationMove.node_id).where(
        OrganisationMove.from_parent_id == node.id, OrganisationMove.moved_on > period.end)
    return list(db.session.scalars(
        select(Organisation).where(
            or_(Organisation.parent_id == node.id, Organisation.id.in_(moved_away)),
            parent_on(Organisation, period.end) == node.id, Organisation.tree == Tree.union,
            Organisation.opened_on <= period.end,
            or_(Organisation.closed_on.is_(None), Organisation.closed_on > period.start))
        .order_by(Organisation.name, Organisation.id)))


def silent_units(user: User, today: date, node: Organisation, year: int):
    """The open CĐCS of ``node``'s subtree with no case introduced in ``year`` (within the
    user's scope), as a statement of (unit, its target for the year) ordered by name."""
    introduced = scoped_cases(user, today, select(literal(1)).select_from(Case)).where(
        Case.union_unit_id == Organisation.id, Case.nominated_on.is_not(None),
        Period(year).holds(Case.nominated_on)).exists()
    return (select(Organisation, Target.target)
            .outerjoin(Target, and_(Target.node_id == Organisation.id, Target.year == year))
            .where(Organisation.tree == Tree.union, Organisation.kind == GRASSROOTS,
                   under(Organisation, node.path), open_on(Organisation, today), ~introduced)
            .order_by(Organisation.name, Organisation.id))


@dataclass
class ClassRow:
    klass: AwarenessClass
    members: int            # from the node's subtree, in the user's scope
    without_party: int      # of whom from CĐCS of enterprises without a Party organisation
    non_state: int          # of those, from non-state enterprises
    certified: int          # of those, certified
    only_without_party: bool


def classes_without_party(user: User, today: date, node: Organisation,
                          period: Period) -> list[ClassRow]:
    """Classes of the period holding members of enterprises without a Party organisation
    (the joint classes a provincial report names), one GROUP BY."""
    no_party = UnionOrg.has_party_org.is_(False)
    # The period's enrolments first (read once: a join from the scoped cases was planned
    # as a scan of every case, each placed at the period's end).
    enrolled = (select(Enrolment.id, Enrolment.class_id, Enrolment.case_id, Enrolment.result)
                .join(AwarenessClass, AwarenessClass.id == Enrolment.class_id)
                .where(period.holds(AwarenessClass.starts_on))
                .cte("period_enrolments").prefix_with("MATERIALIZED", dialect="postgresql"))

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
    rows = db.session.execute(
        scoped_cases(user, today, select(
            enrolled.c.class_id, func.count(enrolled.c.id), count(no_party),
            count(and_(no_party, UnionOrg.enterprise_kind == "non_state")),
            count(and_(no_party, enrolled.c.result == EnrolmentResult.passed)))
            .select_from(enrolled).join(Case, Case.id == enrolled.c.case_id),
            **placed_at_end(period))
        .where(within(node, period))
        .group_by(enrolled.c.class_id)
        .having(count(no_party) > 0)).all()
    if not rows:
        return []
    classes = {c.id: c for c in db.session.scalars(
        select(AwarenessClass).where(AwarenessClass.id.in_([r[0] for r in rows])))}
    out = [ClassRow(classes[class_id], int(n), int(np), int(ns), int(cert), int(np) == int(n))
           for class_id, n, np, ns, cert in rows]
    out.sort(key=lambda r: (r.klass.starts_on, r.klass.id))
    return out
