"""Where an organisation stood on a past day.

A node's ``path`` and ``parent_id`` are where it stands now; a reorganisation that re-parents
it records where it (and each node of its subtree) stood before (``OrganisationMove``). The
path a node had on ``day`` is the ``from_path`` of its first move after that day, else its
path now: the same reading as ``services.placement.union_unit_on`` for cases. Reports of a
past period roll nodes up with these (correlated subqueries, one index probe per node);
current lists and access keep the current path. When no node has moved after the day
(the usual case for the current period) the paths of that day are the paths now, and the
expressions are the plain columns: one indexed probe instead of a subquery per node.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, func, literal, select

from ..extensions import db
from ..models import Organisation, OrganisationMove


def _first_later(column, node_id, day: date):
    return (select(column).where(OrganisationMove.node_id == node_id,
                                 OrganisationMove.moved_on > day)
            .order_by(OrganisationMove.moved_on, OrganisationMove.id).limit(1))


def moved_after(model, day: date) -> bool:
    """Whether any move of ``model`` (OrganisationMove or CaseMove) took effect after
    ``day``."""
    return db.session.scalar(select(literal(1)).where(model.moved_on > day).limit(1)) is not None


def path_on(alias, day: date) -> ColumnElement[str]:
    """The path the node of ``alias`` (an Organisation alias) had on ``day``."""
    if not moved_after(OrganisationMove, day):
        return alias.path
    return func.coalesce(_first_later(OrganisationMove.from_path, alias.id, day)
                         .scalar_subquery(), alias.path)


def parent_on(alias, day: date) -> ColumnElement[int]:
    """The id of the parent the node of ``alias`` had on ``day``."""
    if not moved_after(OrganisationMove, day):
        return alias.parent_id
    return func.coalesce(_first_later(OrganisationMove.from_parent_id, alias.id, day)
                         .scalar_subquery(), alias.parent_id)


def node_path_on(node: Organisation, day: date) -> str:
    """The path ``node`` had on ``day`` (one indexed statement)."""
    return db.session.scalar(_first_later(OrganisationMove.from_path, node.id, day)) \
        or node.path


def under_on(alias, node: Organisation, day: date) -> ColumnElement[bool]:
    """The node of ``alias`` stood in ``node``'s subtree on ``day``: both paths as they were
    then (``node``'s is an uncorrelated subquery, read once per statement). Paths hold only
    digits and slashes: nothing to escape in the pattern."""
    if not moved_after(OrganisationMove, day):
        return alias.path.startswith(node.path)
    root = func.coalesce(_first_later(OrganisationMove.from_path, node.id, day)
                         .scalar_subquery(), node.path)
    return path_on(alias, day).startswith(root)
