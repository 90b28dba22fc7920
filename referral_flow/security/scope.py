"""Turn a user's grants into a SQL filter on the organisation trees.

Every list, count, search, export and API goes through ``case_scope``; a case
outside it is a 404, never a 403, so that its existence does not leak.
"""
from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import aliased

from .. import clock
from ..extensions import db
from ..models import Case, Organisation, Role, Tree, User
from .tree_on import under_on

UNION_SIDE = frozenset({Role.union_chair, Role.federation_officer})
PARTY_SIDE = frozenset({Role.party_officer, Role.class_organiser, Role.cell_secretary,
                        Role.competent_officer})

MAX_ID = 2**31 - 1      # primary keys are 32-bit INTEGER columns

UnionOrg = aliased(Organisation, name="scope_union")
PartyOrg = aliased(Organisation, name="scope_party")
CellOrg = aliased(Organisation, name="scope_cell")


def under(org_alias, path: str) -> ColumnElement[bool]:
    return org_alias.path.startswith(path, autoescape=True)


def case_scope(user: User, day: date | None = None,
               paths_on: date | None = None) -> ColumnElement[bool]:
    """A WHERE clause on Case (joined to the three scope aliases) for ``user``'s grants;
    with ``paths_on``, each node's subtree is the one it had on that day."""
    day = day or clock.today()

    def within(alias, node: Organisation) -> ColumnElement[bool]:
        return under(alias, node.path) if paths_on is None else under_on(alias, node, paths_on)
    clauses = []
    for grant in user.active_grants(day):
        if grant.role == Role.administrator:
            return true()
        if grant.role == Role.member:
            if user.member_id:
                clauses.append(Case.member_id == user.member_id)
        elif grant.org is None:
            continue
        elif grant.role in UNION_SIDE:
            clauses.append(within(UnionOrg, grant.org))
        elif grant.role in PARTY_SIDE:
            clauses.append(or_(within(PartyOrg, grant.org),
                               and_(Case.host_cell_id.is_not(None), within(CellOrg, grant.org))))
    return or_(*clauses) if clauses else false()


def scoped_cases(user: User, day: date | None = None, stmt: Select | None = None, *,
                 union_at: ColumnElement | None = None,
                 party_at: ColumnElement | None = None,
                 paths_on: date | None = None) -> Select:
    """``stmt`` over the cases ``user`` may see, with ``UnionOrg``/``PartyOrg`` the case's
    union unit and Party organisation; a report of a past period passes where each case was
    then (``union_at``/``party_at``: services.placement's ``union_unit_on(day)`` and
    ``party_org_on(day)``) and the day whose tree it reads (``paths_on``: the grants'
    subtrees compared by the paths of that day, ``tree_on.under_on``, as the report's own
    roll-up is), so that both the scope and the roll-up follow the tree of that period: a
    case moved to a successor later, or whose unit moved later, still counts, once, where
    it was."""
    stmt = stmt if stmt is not None else select(Case)
    union_at = union_at if union_at is not None else Case.union_unit_id
    party_at = party_at if party_at is not None else Case.party_org_id
    return (stmt.join(UnionOrg, union_at == UnionOrg.id)
            .join(PartyOrg, party_at == PartyOrg.id)
            .outerjoin(CellOrg, Case.host_cell_id == CellOrg.id)
            .where(case_scope(user, day, paths_on)))


def get_case_or_404(case_id: int, user: User, day: date | None = None) -> Case:
    if not 0 < case_id <= MAX_ID:       # beyond the INTEGER column: cannot exist, and the
        abort(404)                      # database would refuse the parameter (a 500)
    case = db.session.scalars(scoped_cases(user, day).where(Case.id == case_id)).first()
    if case is None:
        abort(404)
    return case


def union_node_in(roots: list[Organisation], raw) -> Organisation:
    """The union node ``raw`` (an id) when one of ``roots`` covers it; else 404."""
    if raw in (None, ""):
        return roots[0]
    try:
        node_id = int(str(raw)) if len(str(raw)) <= 12 else 0
    except ValueError:
        abort(404)
    if not 0 < node_id <= MAX_ID:
        abort(404)
    node = db.session.get(Organisation, node_id)
    if node is None or node.tree != Tree.union or not any(r.contains(node) for r in roots):
        abort(404)
    return node
