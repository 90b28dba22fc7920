"""A cell's roster as the steps write it: the admission ceremony puts the new probationary
member on his cell's roster, the recognition makes him official there, a removal marks him
as left; a kept roster's count of official members follows. Called by the transitions'
effects inside ``fire`` (no flush, no audit event of their own: what they return goes into
the step's event, the record of the roster change and of the count that follows it); the
roster screens' verbs are in ``services/party_members``."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import Case, Organisation, PartyMember, PartyStatus


def lock(cell: Organisation) -> None:
    """Serialise roster changes of one cell (PostgreSQL: until commit; SQLite writes are
    serialised already), so that two recounts never miss each other's change."""
    db.session.execute(select(Organisation.id).where(Organisation.id == cell.id)
                       .with_for_update())


def official_count(cell_id: int, excluding: int | None = None) -> int:
    """Official members on the roster who have not left (as stored)."""
    stmt = select(func.count(PartyMember.id)).where(
        PartyMember.cell_id == cell_id, PartyMember.status == PartyStatus.official,
        PartyMember.left_on.is_(None))
    if excluding is not None:
        stmt = stmt.where(PartyMember.id != excluding)
    return db.session.scalar(stmt)


def _current_row(case: Case) -> PartyMember | None:
    return db.session.scalars(
        select(PartyMember).where(PartyMember.member_id == case.member_id,
                                  PartyMember.left_on.is_(None))
        .order_by(PartyMember.id.desc()).limit(1)).first()


def enter_admitted(case: Case, status: PartyStatus) -> dict:
    """The candidate on his cell's roster as ``status`` (the ceremony: probationary; the
    recognition: official from the end of probation), the count of a kept roster with him."""
    person = _current_row(case)
    if person is None:
        member = case.member
        person = PartyMember(cell=case.host_cell, full_name=member.full_name,
                             phone=member.phone or "", email=member.email or "",
                             member_id=member.id, status=status)
        db.session.add(person)
    cell = person.cell
    lock(cell)
    person.status = status
    person.official_since = case.official_from if status == PartyStatus.official else None
    if cell.roster_kept:
        cell.official_members = (official_count(cell.id, excluding=person.id)
                                 + (status == PartyStatus.official))
    return {"cell_id": cell.id, "status": status.value}


def leave_removed(case: Case, on: date) -> dict:
    """A probationary member removed from the list leaves his cell's roster."""
    person = _current_row(case)
    if person is None:
        return {}
    person.left_on = on
    return {"cell_id": person.cell_id, "left_on": on}
