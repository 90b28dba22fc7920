"""Role checks for screens that are not about one case (rosters, classes, administration)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select

from .. import clock
from ..extensions import db
from ..models import Organisation, Role, Tree, UnionKind, User
from ..workflow.transitions import TRANSITIONS


STAFF_ROLES = frozenset(Role) - {Role.member}
# Roles that take the steps cases wait for (the inbox is their work).
WORK_ROLES = frozenset(role for t in TRANSITIONS if t.work for role in t.roles)


def is_staff(user: User, day: date | None = None) -> bool:
    return has_role(user, STAFF_ROLES, day)


def has_case_work(user: User, day: date | None = None) -> bool:
    return has_role(user, WORK_ROLES, day)


def granted_nodes(user: User, roles: Iterable[Role], day: date | None = None,
                  capability: str | None = None) -> list[Organisation]:
    """The organisation nodes on which ``user`` holds one of ``roles`` today."""
    if user is None or not user.is_authenticated:
        return []
    return user.nodes_of(roles, day or clock.today(), capability)


def covers(user: User, roles: Iterable[Role], node: Organisation | None,
           day: date | None = None, capability: str | None = None) -> bool:
    """Does one of the user's grants of ``roles`` cover ``node`` (its subtree)?"""
    return node is not None and any(
        org.contains(node) for org in granted_nodes(user, roles, day, capability))


def has_role(user: User, roles: Iterable[Role], day: date | None = None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    roles = set(roles)
    return any(g.role in roles for g in user.active_grants(day or clock.today()))


def is_admin(user: User, day: date | None = None) -> bool:
    return has_role(user, {Role.administrator}, day)


# Who keeps a cell's roster of Party members: its secretary, a Party officer of a committee
# above it, an administrator.
ROSTER_KEEPERS = frozenset({Role.cell_secretary, Role.party_officer})


def keeps_rosters(user: User, day: date | None = None) -> bool:
    """May keep some cell's roster (the menu entry)."""
    return bool(granted_nodes(user, ROSTER_KEEPERS, day)) or is_admin(user, day)



CHAIR = frozenset({Role.union_chair})


def chaired_units(user: User, day: date | None = None) -> list[Organisation]:
    """The union units under the user's union_chair grants that keep members, by name (one
    query): whose roster he keeps. They are the CĐCS and the unions directly above
    grassroots, which keep the workers of enterprises without a CĐCS."""
    nodes = granted_nodes(user, CHAIR, day)
    if not nodes:
        return []
    return list(db.session.scalars(
        select(Organisation).where(
            Organisation.tree == Tree.union,
            Organisation.kind.in_([UnionKind.grassroots.value, UnionKind.upper.value]),
            or_(*[Organisation.path.startswith(n.path, autoescape=True) for n in nodes]))
        .order_by(Organisation.name, Organisation.id)))
