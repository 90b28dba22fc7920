"""Opening a referral (the draft) for a union member."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from ..models import Case, Member, Role, User
from ..workflow.errors import GuardFailed, NotAllowed
from ..workflow.guards import refuse_if_member_or_open, refuse_without_citizen_id
from . import audit


def open_draft(member: Member, user: User | None, *, year: int | None = None,
               today: date | None = None, check_permission: bool = True) -> Case:
    today = today or clock.today()
    unit = member.unit
    if check_permission and not any(
            g.role == Role.union_chair and g.org is not None and g.org.contains(unit)
            for g in user.active_grants(today)):
        raise NotAllowed(_l("You may not nominate members of this unit."))
    if unit.receiving_party_id is None:
        raise GuardFailed(_l("The union unit has no receiving Party organisation yet."))
    if not unit.is_open_on(today):
        raise GuardFailed(_l("The union unit is closed."))
    refuse_without_citizen_id(member)
    refuse_if_member_or_open(member.id)
    case = Case(member=member, union_unit=unit, party_org_id=unit.receiving_party_id,
                referral_year=year or today.year, state="draft", state_since=today)
    db.session.add(case)
    db.session.flush()
    audit.append(trigger="create", actor_id=user.id if user else None, case_id=case.id,
                 from_state=None, to_state="draft", data={"on": today, "year": case.referral_year})
    return case
