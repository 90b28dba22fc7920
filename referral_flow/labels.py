"""The names people read for the kinds of organisations, of enterprises and for the roles
(translated); every screen and export that names them uses these."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .models import EnterpriseKind, PartyKind, Role, TransferKind, TransferState, UnionKind
from .models.member import Gender
from .workflow.calendar import months_between
from .workflow.states import OPEN

UNION_KINDS = [
    (UnionKind.national.value, _l("National confederation")),
    (UnionKind.federation.value, _l("Provincial federation / central sector union")),
    (UnionKind.upper.value, _l("Union directly above grassroots")),
    (UnionKind.grassroots.value, _l("Grassroots union (CĐCS)")),
]
PARTY_KINDS = [
    (PartyKind.provincial.value, _l("Provincial Party committee")),
    (PartyKind.bloc.value, _l("Bloc Party committee")),
    (PartyKind.commune.value, _l("Commune / ward Party committee")),
    (PartyKind.grassroots_committee.value, _l("Grassroots Party committee")),
    (PartyKind.grassroots_cell.value, _l("Grassroots Party cell")),
    (PartyKind.cell.value, _l("Party cell")),
]
ENTERPRISE_KINDS = [
    (EnterpriseKind.public.value, _l("Public administration / service")),
    (EnterpriseKind.state.value, _l("State enterprise")),
    (EnterpriseKind.non_state.value, _l("Non-state enterprise")),
    (EnterpriseKind.fdi.value, _l("Foreign-invested enterprise")),
]
KIND_LABELS = dict(UNION_KINDS + PARTY_KINDS)
ENTERPRISE_LABELS = dict(ENTERPRISE_KINDS)

ROLE_LABELS = {
    Role.administrator.value: _l("Administrator"),
    Role.federation_officer.value: _l("Federation officer"),
    Role.union_chair.value: _l("Union chair"),
    Role.party_officer.value: _l("Party officer"),
    Role.class_organiser.value: _l("Class organiser"),
    Role.cell_secretary.value: _l("Cell secretary"),
    Role.competent_officer.value: _l("Competent-body officer"),
    Role.member.value: _l("Member"),
}

GENDERS = [(Gender.male.value, _l("Male")), (Gender.female.value, _l("Female"))]
TRANSFER_KINDS = [
    (TransferKind.employer.value, _l("Change of employer")),
    (TransferKind.residence.value, _l("Move of residence")),
    (TransferKind.other.value, _l("Other reason")),
]
TRANSFER_KIND_LABELS = dict(TRANSFER_KINDS)
TRANSFER_STATE_LABELS = {
    TransferState.requested.value: _l("Waiting for the receiving side"),
    TransferState.accepted.value: _l("Accepted"),
    TransferState.refused.value: _l("Refused"),
    TransferState.withdrawn.value: _l("Request withdrawn"),
}


def party_age(case, day: date) -> str:
    """Tuổi đảng, the Vietnamese way ("2 năm 3 tháng"): whole years and months from the
    admission decision's date (Điều lệ Đảng) to ``day``, for a member who is on the road
    or recognised; "" for anyone else (not yet decided, or the case ended otherwise)."""
    if case.decision_on is None or case.decision_on > day or not (
            case.state in OPEN or case.state == "official"):
        return ""
    years, months = divmod(months_between(case.decision_on, day), 12)
    if not years:
        return _("%(m)d months", m=months)
    if not months:
        return _("%(y)d years", y=years)
    return _("%(y)d years %(m)d months", y=years, m=months)
