"""The cells' rosters of Party members: add, edit, mark as left, declare a roster kept, and
the rows the admission ceremony, the recognition and the removal write.

Once a cell's roster is kept (``Organisation.roster_kept``), the cell's ``official_members``
(the denominator of its votes) is the roster's number of official members who have not
left: recounted in the same transaction as every roster change, and the change audited.
Services flush, never commit.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Organisation, PartyMember, PartyStatus, User
from ..workflow.roster import lock as _lock
from ..workflow.roster import official_count
from . import audit

FIELDS = ("full_name", "phone", "email", "status", "official_since")


def _set_count(cell: Organisation, count: int, actor_id: int | None) -> None:
    if count != cell.official_members:
        audit.append(trigger="recount", subject="organisation", actor_id=actor_id,
                     data={"org_id": cell.id, "code": cell.code,
                           "official_members": {"from": cell.official_members, "to": count}})
        cell.official_members = count


def recount(cell: Organisation, actor_id: int | None) -> None:
    """After a flushed change of a kept roster: official_members follows it."""
    if cell.roster_kept:
        _set_count(cell, official_count(cell.id), actor_id)


def _log(trigger: str, person: PartyMember, actor: User, **data) -> None:
    # Ids and field names, never the values: the audit trail holds no personal data.
    audit.append(trigger=trigger, subject="party_member", actor_id=actor.id,
                 data={"party_member_id": person.id, "cell_id": person.cell_id, **data})


def add(cell: Organisation, fields: dict, actor: User) -> PartyMember:
    _lock(cell)
    person = PartyMember(cell=cell, **fields)
    db.session.add(person)
    db.session.flush()
    _log("create", person, actor, status=person.status.value)
    recount(cell, actor.id)
    return person


def edit(person: PartyMember, fields: dict, actor: User) -> list[str]:
    """Apply ``fields``; returns the names of those that changed."""
    changed = sorted(name for name, value in fields.items() if getattr(person, name) != value)
    if not changed:
        return []
    _lock(person.cell)
    for name in changed:
        setattr(person, name, fields[name])
    db.session.flush()
    _log("edit", person, actor, fields=changed)
    recount(person.cell, actor.id)
    return changed


def mark_left(person: PartyMember, day: date, actor: User) -> None:
    _lock(person.cell)
    person.left_on = day
    db.session.flush()
    _log("leave", person, actor, left_on=day)
    recount(person.cell, actor.id)


def keep_roster(cell: Organisation, actor: User) -> None:
    """The roster is complete: from now on the cell's official_members follows it."""
    _lock(cell)
    cell.roster_kept = True
    audit.append(trigger="keep_roster", subject="organisation", actor_id=actor.id,
                 data={"org_id": cell.id, "code": cell.code})
    recount(cell, actor.id)


# --- for the accept form and the candidate's page ------------------------------------------

def helpers_by_cell(cells: Iterable[Organisation], day: date) -> dict[int, list[PartyMember]]:
    """The official members of each cell who may help a candidate on ``day`` (one query)."""
    ids = [c.id for c in cells]
    out: dict[int, list[PartyMember]] = {i: [] for i in ids}
    if not ids:
        return out
    for person in db.session.scalars(
            select(PartyMember).where(
                PartyMember.cell_id.in_(ids), PartyMember.status == PartyStatus.official,
                or_(PartyMember.official_since.is_(None), PartyMember.official_since <= day),
                PartyMember.left_on.is_(None))
            .order_by(PartyMember.search_key, PartyMember.id)):
        out[person.cell_id].append(person)
    return out
