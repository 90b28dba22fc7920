"""Whom the candidate asks: his helpers, and the staff who act on his case next (the
secretary of his host cell; before a host cell is chosen, the chair of his union)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Case, CaseHelper, PartyMember, Role, RoleGrant, User


@dataclass
class Contact:
    role: object
    name: str
    place: str = ""
    phone: str = ""
    email: str = ""


def _staff(role: Role, org_id: int, today: date) -> list[tuple[str, str, str]]:
    """(name, work phone, work e-mail) of the active users holding ``role`` on ``org_id``."""
    return list(db.session.execute(
        select(User.full_name, User.work_phone, User.work_email).join(RoleGrant)
        .where(RoleGrant.role == role, RoleGrant.org_id == org_id,
               RoleGrant.valid_from <= today,
               or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to >= today),
               User.active.is_(True))
        .distinct().order_by(User.full_name)).all())


def contacts(case: Case, today: date) -> list[Contact]:
    out = [Contact(_l("Party member helping you"), helper.full_name,
                   phone=person.phone if person else "", email=person.email if person else "")
           for helper, person in db.session.execute(
               select(CaseHelper, PartyMember).outerjoin(CaseHelper.party_member)
               .where(CaseHelper.case_id == case.id).order_by(CaseHelper.id)).all()]
    if case.host_cell is not None:
        people = [(_l("Secretary of your Party cell"), case.host_cell.name, row)
                  for row in _staff(Role.cell_secretary, case.host_cell.id, today)]
        # A cell without a secretary's account: the receiving organisation's officer.
        people = people or [(_l("Party officer of the receiving organisation"),
                             case.party_org.name, row)
                            for row in _staff(Role.party_officer, case.party_org_id, today)]
    else:
        people = [(_l("Chair of your grassroots union"), case.union_unit.name, row)
                  for row in _staff(Role.union_chair, case.union_unit_id, today)]
    return out + [Contact(role, name, place, phone, email)
                  for role, place, (name, phone, email) in people]
