"""Moving a case to other organisations, and where a case was on a past day.

One way to move a case (``move_case``) for transfers and reorganisations: it records the
``CaseMove``, points the case at the new nodes and appends one audit event. Reports of a
past period place each case with ``union_unit_on``/``party_org_on``: the node it was at on
that day, so moving open cases leaves earlier reports unchanged and counts nothing twice.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import Case, CaseMove, MoveKind, Organisation
from ..security.tree_on import moved_after
from . import audit

KEEP = object()     # "leave this placement as it is" (None is a valid host cell: none)
MOVE = "move"       # the audit event's trigger


def move_case(case: Case, *, on: date, kind: MoveKind, actor_id: int | None, reason: str = "",
              union_unit: Organisation | None = None, party_org: Organisation | None = None,
              host_cell=KEEP, data: dict | None = None) -> CaseMove:
    """Move ``case`` from ``on`` (the first day at the new place); flushes, never commits.

    Only the nodes given change. ``data`` joins the audit event (e.g. a transfer's request)."""
    cell = case.host_cell if host_cell is KEEP else host_cell
    last = db.session.scalar(select(func.max(CaseMove.seq)).where(
        CaseMove.case_id == case.id, CaseMove.moved_on == on))
    move = CaseMove(
        case_id=case.id, moved_on=on, kind=kind, reason=reason, actor_id=actor_id,
        seq=0 if last is None else last + 1,
        from_union_id=case.union_unit_id, to_union_id=(union_unit or case.union_unit).id,
        from_party_id=case.party_org_id, to_party_id=(party_org or case.party_org).id,
        from_cell_id=case.host_cell_id, to_cell_id=cell.id if cell is not None else None)
    db.session.add(move)
    db.session.expire(case, ["moves"])      # read again with this one when next asked
    case.union_unit = union_unit or case.union_unit
    case.party_org = party_org or case.party_org
    case.host_cell = cell
    db.session.flush()
    audit.append(trigger=MOVE, actor_id=actor_id, case_id=case.id, comment=reason,
                 data={"kind": kind.value, "moved_on": on,
                       "union": [move.from_union_id, move.to_union_id],
                       "party": [move.from_party_id, move.to_party_id],
                       "cell": [move.from_cell_id, move.to_cell_id]} | (data or {}))
    return move


def _placed_on(day: date | ColumnElement, before: InstrumentedAttribute,
               now: InstrumentedAttribute) -> ColumnElement:
    """The node (``before`` column of the first later move, else the case's ``now`` column)
    where a case was on ``day``: a correlated subquery, usable in any report's SELECT; the
    ``now`` column itself when no case has moved after ``day``."""
    if isinstance(day, date) and not moved_after(CaseMove, day):
        return now
    first_later = (select(before).where(CaseMove.case_id == Case.id, CaseMove.moved_on > day)
                   .order_by(CaseMove.moved_on, CaseMove.seq).limit(1).scalar_subquery())
    return func.coalesce(first_later, now)


def union_unit_on(day: date | ColumnElement) -> ColumnElement:
    return _placed_on(day, CaseMove.from_union_id, Case.union_unit_id)


def party_org_on(day: date | ColumnElement) -> ColumnElement:
    return _placed_on(day, CaseMove.from_party_id, Case.party_org_id)

