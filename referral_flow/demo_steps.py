"""Valid step data for every trigger: used by the demo loader and by the tests."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from .extensions import db
from .models import AwarenessClass, Case, Enrolment, Organisation, PartyKind
from .services import party_members
from .services.classes import next_number
from .workflow.guards import pending_enrolment
from .workflow.transitions import spec


def vote_data(held_on: date, eligible: int, votes_for: int | None = None, prefix: str = "",
              number: str = "NQ") -> dict:
    """A vote's step data (all present, the rest against), as the guards read it."""
    votes_for = eligible if votes_for is None else votes_for
    return {f"{prefix}held_on": held_on, f"{prefix}eligible": eligible,
            f"{prefix}present": eligible, f"{prefix}votes_for": votes_for,
            f"{prefix}votes_against": eligible - votes_for,
            f"{prefix}resolution_no": f"{number}-{held_on:%d%m%y}"}


def dossier_documents(on: date) -> list[dict]:
    return [
        {"form_code": "1-KNĐ", "issued_on": on, "number": ""},
        {"form_code": "2-KNĐ", "issued_on": on, "verified": True},
        {"form_code": "3-KNĐ", "issued_on": on, "issuer": "Trần Văn Hùng", "official": True,
         "months_together": 24},
        {"form_code": "5-KNĐ", "issued_on": on, "issuer": "Chi ủy"},
    ]


def host_cell_for(case: Case, cells: list[Organisation]) -> Organisation:
    mine = [c for c in cells if case.party_org.contains(c)
            and c.kind in (PartyKind.cell.value, PartyKind.grassroots_cell.value)]
    return mine[0]


def class_runner(party_org: Organisation) -> Organisation:
    """The nearest node at or above ``party_org`` that runs awareness classes (else the top)."""
    ids = [int(i) for i in party_org.path.strip("/").split("/") if i]
    nodes = {o.id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids)))}
    for node_id in reversed(ids):
        if nodes[node_id].runs_classes:
            return nodes[node_id]
    return nodes[ids[0]]


CLASS_DAYS = 5          # an awareness class runs five days
PROVINCIAL_SCHOOL = "Trường Chính trị tỉnh"


def class_place(runner: Organisation) -> str:
    """Where ``runner``'s classes meet: a commune or ward committee's political centre
    (Quy định 360-QĐ/TW), else the provincial political school."""
    if runner.kind == PartyKind.commune.value:
        return f"Trung tâm chính trị {runner.name.removeprefix('Đảng ủy ')}"
    return PROVINCIAL_SCHOOL


def class_for(case: Case, on: date) -> AwarenessClass:
    """A class run above the case's Party organisation that is under way on ``on``, has
    a free place and ends within its five days (so that, days later, its results are due):
    found, or opened on ``on``."""
    runner = class_runner(case.party_org)
    last = on + timedelta(days=CLASS_DAYS - 1)
    taken = (select(func.count(Enrolment.id)).where(Enrolment.class_id == AwarenessClass.id)
             .scalar_subquery())
    found = db.session.scalars(
        select(AwarenessClass).where(AwarenessClass.organiser_id == runner.id,
                                     AwarenessClass.starts_on <= on,
                                     AwarenessClass.ends_on.between(on, last),
                                     taken < AwarenessClass.capacity)
        .order_by(AwarenessClass.id).limit(1)).first()
    if found is None:
        found = AwarenessClass(
            name=f"Lớp bồi dưỡng nhận thức về Đảng khai giảng {on:%d/%m/%Y} – "
                 f"{runner.name}"[:200],
            organiser=runner, co_organiser="Liên đoàn Lao động tỉnh", starts_on=on,
            ends_on=last, place=class_place(runner), capacity=60,
            certificate_prefix=f"GCN-{runner.id}-{on:%y%m%d}-", certificate_seq=0)
        db.session.add(found)
        db.session.flush()
    return found


def current_class(case: Case) -> AwarenessClass | None:
    """The class the case attends (its pending enrolment), if any."""
    enrolment = pending_enrolment(case)
    return enrolment.awareness_class if enrolment is not None else None


def earliest_on(trigger: str, case: Case, on: date) -> date:
    """``on``, or the first day the step may be taken: a class's result from its last day,
    the recognition review and removal from the end of probation."""
    klass = current_class(case) if trigger in ("pass_class", "fail_class") else None
    if klass is not None:
        return max(on, klass.ends_on)
    if spec(trigger).opens == "probation_ends_on" and case.probation_ends_on:
        return max(on, case.probation_ends_on)
    return on


def class_certificate(case: Case) -> dict:
    """The certificate of the class the case attends: the class's next number, dated the
    class's last day."""
    klass = current_class(case)
    return {"certificate_no": next_number(klass), "certificate_issuer": klass.organiser.name,
            "certificate_on": klass.ends_on}


def _accept(case: Case, on: date, cells: list[Organisation]) -> dict:
    cell = host_cell_for(case, cells)
    listed = party_members.helpers_by_cell([cell], on)[cell.id]
    return {"host_cell_id": cell.id, "helpers": [listed[case.id % len(listed)].id]}


def _recognition(case: Case, on: date, _cells) -> dict:
    documents = [{"form_code": form, "issued_on": on, "issuer": issuer} for form, issuer in
                 (("10-KNĐ", case.member.full_name), ("11-KNĐ", case.helpers[0].full_name),
                  ("12-KNĐ", "Công đoàn cơ sở"))]
    return vote_data(on, case.host_cell.official_members, number="NQ/CB-CT") | {
        "documents": documents}


def _recognise(case: Case, on: date, _cells) -> dict:
    data = {"decision_no": f"QĐ-CT-{case.id:05d}", "decision_on": on, "received_on": on}
    if not case.host_cell.is_grassroots_cell:
        data.update(vote_data(on, case.party_org.committee_members or 9,
                              prefix="committee_", number="NQ/ĐU-CT"))
    return data


# trigger -> (case, step date, cells) -> the step's data
STEP_DATA = {
    "submit": lambda case, on, _c: vote_data(on, 9, 8, number="NQ/CĐ"),
    "accept": _accept,
    "enroll": lambda case, on, _c: {"class_id": class_for(case, on).id},
    "pass_class": lambda case, on, _c: class_certificate(case),
    "skip_class": lambda case, on, _c: {
        "certificate_no": f"GCN-{case.id:05d}", "certificate_issuer": PROVINCIAL_SCHOOL,
        "certificate_on": on - timedelta(days=1)},
    "open_dossier": lambda case, on, _c: {"documents": dossier_documents(on)},
    "send_to_cell": lambda case, on, _c: {},
    "cell_approve": lambda case, on, _c: vote_data(on, case.host_cell.official_members,
                                                   number="NQ/CB"),
    "committee_approve": lambda case, on, _c: vote_data(
        on, case.party_org.committee_members or 9, number="NQ/ĐU"),
    "admit": lambda case, on, _c: {"decision_no": f"QĐ-{case.id:05d}", "decision_on": on,
                                   "received_on": on},
    "hold_ceremony": lambda case, on, _c: {"ceremony_on": on},
    "open_recognition": _recognition,
    "recognise": _recognise,
    # the cell's official members: all for removal; or 1/2 for recognition, 1/3 for removal
    "propose_removal": lambda case, on, _c: vote_data(on, case.host_cell.official_members,
                                                      number="NQ/CB-XT"),
    "record_undecided": lambda case, on, _c: _undecided(case.host_cell.official_members, on),
    "record_death": lambda case, on, _c: {"died_on": on},
    "remove_for_discipline": lambda case, on, _c: {"decision_no": f"QĐ-KL-{case.id:05d}",
                                                   "decision_on": on},
}
REASONS = {
    "cell_reject": "Chi bộ biểu quyết không đạt 2/3.",
    "propose_removal": "Không hoàn thành nhiệm vụ trong thời gian dự bị.",
    "record_leaving": "Ra nước ngoài lao động, không làm thủ tục chuyển sinh hoạt đảng.",
    "record_resignation": "Có đơn xin thôi, không tiếp tục phấn đấu vào Đảng.",
    "remove_for_discipline": "Vi phạm tư cách đảng viên trong thời gian dự bị.",
}


def _undecided(eligible: int, on: date) -> dict:
    """A vote reaching neither 2/3: half for recognition, a third for removal, the rest
    abstaining."""
    return vote_data(on, eligible, eligible // 2, number="NQ/CB-CT") | {
        "votes_against": eligible // 3}
def step_data(trigger: str, case: Case, on: date, cells: list[Organisation]) -> tuple[dict, str]:
    """(data, comment) that satisfy the guards of ``trigger`` for a well-formed case."""
    if trigger == "cell_reject":
        eligible = case.host_cell.official_members
        return vote_data(on, eligible, eligible // 2, number="NQ/CB"), REASONS[trigger]
    data = STEP_DATA[trigger](case, on, cells) if trigger in STEP_DATA else {}
    if trigger in REASONS or spec(trigger).reason:
        return data, REASONS.get(trigger, "Lý do được ghi trong dữ liệu mẫu.")
    return data, ""

