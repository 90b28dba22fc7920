"""Valid step data for every trigger: used by the demo loader and by the tests."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from .extensions import db
from .models import AwarenessClass, Case, Enrolment, Organisation, PartyKind
from .services import party_members, verification
from .services.classes import next_number
from .workflow.guards import competent_body_of, nominated_by_union, pending_enrolment
from .workflow.transitions import BY_TRIGGER, spec
from .workflow.verification import records_of


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


VERIFIED_BY = "Đảng ủy xã nơi cư trú"
RESIDENCE_CELL = "Chi bộ khu dân cư số 3"
RESIDENCE_SUMMARY = "Chấp hành tốt chủ trương, chính sách ở nơi cư trú."


def background_check(case: Case, on: date, done: bool = True) -> None:
    """The candidate's parents and the residence area's opinion asked for nine days before
    ``on`` and, when ``done``, answered two days before it; nothing when the case is past
    the dossier or its verification is already recorded."""
    if case.state not in ("certified", "dossier") or records_of(case).relatives:
        return
    asked, answered = on - timedelta(days=9), on - timedelta(days=2)
    surname = case.member.full_name.split()[0]
    kw = {"today": on, "check_permission": False}
    for name in (f"{surname} Văn Bình", "Trần Thị Mai"):
        relative = verification.add_relative(case, None, {"relation": "parent",
                                                          "full_name": name}, **kw)
        request = verification.send_request(case, None, {
            "subject": f"relative:{relative.id}", "sent_to": VERIFIED_BY, "sent_on": asked},
            **kw)
        if done:
            verification.record_answer(case, request.id, None, {
                "answered_on": answered, "result": "clear"}, **kw)
    opinion = verification.request_residence_opinion(case, None, {
        "residence_cell": RESIDENCE_CELL, "requested_on": asked}, **kw)
    if done:
        verification.receive_residence_opinion(case, opinion.id, None, {
            "received_on": answered, "summary": RESIDENCE_SUMMARY}, **kw)


def _send_to_cell(case: Case, on: date, _cells) -> dict:
    background_check(case, on)
    return {}


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


def goes_without(trigger: str, case: Case) -> bool:
    """Does the case's road go without ``trigger`` (a grassroots cell's resolution goes on
    without the committee's)? It is then not taken from the case's state."""
    return not any(case.state in t.source for t in BY_TRIGGER[trigger])


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


def recognition_documents(on: date, member: str, helper: str, number: str) -> list[dict]:
    """The recognition dossier: 10-, 11- and 12-KNĐ and the new members' political class
    certificate (numbered ``number``), all dated ``on``."""
    return [{"form_code": form, "issued_on": on, "issuer": issuer} for form, issuer in
            (("10-KNĐ", member), ("11-KNĐ", helper), ("12-KNĐ", "Công đoàn cơ sở"))] + [
        {"form_code": "new_member_certificate", "issued_on": on, "number": number,
         "issuer": PROVINCIAL_SCHOOL}]


def _recognition(case: Case, on: date, _cells) -> dict:
    documents = recognition_documents(on, case.member.full_name, case.helpers[0].full_name,
                                      f"GCN-ĐVM-{case.id:05d}")
    return vote_data(on, case.host_cell.official_members, number="NQ/CB-CT") | {
        "documents": documents}


def competent_vote(case: Case, on: date, number: str) -> dict:
    """The competent body's committee vote at the end of probation: all its members for."""
    body = competent_body_of(case)
    return vote_data(on, (body.committee_members if body else None) or 9, prefix="committee_",
                     number=number)


def _recognise(case: Case, on: date, _cells) -> dict:
    return {"decision_no": f"QĐ-CT-{case.id:05d}", "decision_on": on, "received_on": on} | (
        competent_vote(case, on, "NQ/BTV-CT"))


def introducers_letters(on: date) -> list[dict]:
    """The letters (3-KNĐ) of two official Party members, for a worker who is not a union
    member."""
    return [{"form_code": "3-KNĐ", "issued_on": on, "issuer": name, "official": True,
             "months_together": months}
            for name, months in (("Trần Văn Hùng", 24), ("Lê Thị Hoa", 18))]


def _submit(case: Case, on: date, _cells) -> dict:
    """The union executive committee's resolution, or (not a union member) two letters."""
    if nominated_by_union(case):
        return vote_data(on, 9, 8, number="NQ/CĐ")
    return {"documents": introducers_letters(on)}


def readmission_data(on: date) -> dict:
    """A former member who left at his or her own request for special family hardship,
    more than 36 months before ``on``."""
    return {"former_admitted_on": date(on.year - 15, 5, 19),
            "former_left_on": date(on.year - 5, 3, 2), "former_exit": "quit",
            "former_exit_ground": "family_hardship",
            "former_exit_reason": "Xin ra khỏi Đảng vì hoàn cảnh gia đình đặc biệt khó khăn.",
            "readmission_consent": f"Công văn 12-CV/TU ngày {on - timedelta(days=30):%d/%m/%Y}"}


STANDING_COMMITTEE = 7         # members of a commune committee's standing committee
# What a dossier sent back lacks, in the demo: the residence cell's comments (5-KNĐ).
MISSING = {"missing": ["5-KNĐ"], "missing_note": "Thiếu ý kiến của chi ủy nơi cư trú."}


def _decision(case: Case, on: date) -> dict:
    return {"decision_no": f"QĐ-{case.id:05d}", "decision_on": on, "received_on": on}


# trigger -> (case, step date, cells) -> the step's data
STEP_DATA = {
    "submit": _submit,
    "record_readmission": lambda case, on, _c: readmission_data(on),
    "accept": _accept,
    "enroll": lambda case, on, _c: {"class_id": class_for(case, on).id},
    "pass_class": lambda case, on, _c: class_certificate(case),
    "skip_class": lambda case, on, _c: {
        "certificate_no": f"GCN-{case.id:05d}", "certificate_issuer": PROVINCIAL_SCHOOL,
        "certificate_on": on - timedelta(days=1)},
    "open_dossier": lambda case, on, _c: {"documents": dossier_documents(on)},
    "send_to_cell": _send_to_cell,
    "cell_approve": lambda case, on, _c: vote_data(on, case.host_cell.official_members,
                                                   number="NQ/CB"),
    "committee_approve": lambda case, on, _c: vote_data(
        on, case.party_org.committee_members or 9, number="NQ/ĐU"),
    "committee_admit": lambda case, on, _c: vote_data(
        on, case.party_org.committee_members, number="NQ/ĐU") | _decision(case, on),
    "admit": lambda case, on, _c: _decision(case, on) | vote_data(
        on, STANDING_COMMITTEE, prefix="standing_", number="NQ/BTV"),
    # the standing committee's vote short of 2/3: 4 of 7
    "decline": lambda case, on, _c: vote_data(
        on, STANDING_COMMITTEE, STANDING_COMMITTEE // 2 + 1, prefix="standing_",
        number="NQ/BTV"),
    "hold_ceremony": lambda case, on, _c: {"ceremony_on": on},
    "open_recognition": _recognition,
    "recognition_committee_approve": lambda case, on, _c: vote_data(
        on, case.party_org.committee_members or 9, number="NQ/ĐU-CT"),
    "recognise": _recognise,
    "remove": lambda case, on, _c: competent_vote(case, on, "NQ/BTV-XT"),
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
    "committee_return": "Hồ sơ còn thiếu, đề nghị chi bộ bổ sung.",
    "return_dossier": "Hồ sơ còn thiếu, đề nghị chi bộ bổ sung.",
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
    if trigger in ("committee_return", "return_dossier"):
        data = dict(MISSING)
    if trigger in REASONS or spec(trigger).reason:
        return data, REASONS.get(trigger, "Lý do được ghi trong dữ liệu mẫu.")
    return data, ""

