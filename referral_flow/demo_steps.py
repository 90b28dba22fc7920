"""Valid step data for every trigger: used by the demo loader and by the tests."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from .extensions import db
from .models import AwarenessClass, Case, Enrolment, Organisation, PartyKind
from .workflow.guards import pending_enrolment


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


def class_for(case: Case, on: date) -> AwarenessClass:
    """A five-day class run above the case's Party organisation that has not ended on ``on``,
    ends within a week and has a free place: found, or opened on ``on``."""
    runner = class_runner(case.party_org)
    taken = (select(func.count(Enrolment.id)).where(Enrolment.class_id == AwarenessClass.id)
             .scalar_subquery())
    found = db.session.scalars(
        select(AwarenessClass).where(AwarenessClass.organiser_id == runner.id,
                                     AwarenessClass.ends_on >= on,
                                     AwarenessClass.ends_on <= on + timedelta(days=7),
                                     taken < AwarenessClass.capacity)
        .order_by(AwarenessClass.id).limit(1)).first()
    if found is None:
        found = AwarenessClass(
            name=f"Lớp bồi dưỡng nhận thức về Đảng khai giảng {on:%d/%m/%Y} – {runner.name}"[:200],
            organiser=runner, co_organiser="Liên đoàn Lao động tỉnh", starts_on=on,
            ends_on=on + timedelta(days=4), place="Trung tâm chính trị", capacity=60,
            certificate_prefix=f"GCN-{runner.id}-{on:%y%m%d}-", certificate_seq=0)
        db.session.add(found)
        db.session.flush()
    return found


def earliest_on(trigger: str, case: Case, on: date) -> date:
    """``on``, or later when the step cannot be taken before a date the case sets: class
    results from the class's last day, the recognition review and removal from the end of
    probation."""
    if trigger in ("pass_class", "fail_class"):
        enrolment = pending_enrolment(case)
        if enrolment is not None:
            return max(on, enrolment.awareness_class.ends_on)
    if trigger in ("open_recognition", "remove"):
        return max(on, case.probation_ends_on)
    return on


def step_data(trigger: str, case: Case, on: date, cells: list[Organisation]) -> tuple[dict, str]:
    """(data, comment) that satisfy the guards of ``trigger`` for a well-formed case."""
    if trigger == "submit":
        return vote_data(on, 9, 8, number="NQ/CĐ"), ""
    if trigger == "accept":
        return {"host_cell_id": host_cell_for(case, cells).id,
                "helpers": ["Nguyễn Văn Thành"]}, ""
    if trigger == "enroll":
        return {"class_id": class_for(case, on).id}, ""
    if trigger in ("pass_class", "skip_class"):
        return {"certificate_no": f"GCN-{case.id:05d}", "certificate_issuer":
                "Trung tâm chính trị", "certificate_on": on - timedelta(days=1)}, ""
    if trigger == "open_dossier":
        return {"documents": dossier_documents(on)}, ""
    if trigger == "send_to_cell":
        return {}, ""
    if trigger == "cell_approve":
        eligible = case.host_cell.official_members
        return vote_data(on, eligible, number="NQ/CB"), ""
    if trigger == "committee_approve":
        return vote_data(on, case.party_org.committee_members or 9, number="NQ/ĐU"), ""
    if trigger == "admit":
        return {"decision_no": f"QĐ-{case.id:05d}", "decision_on": on, "received_on": on}, ""
    if trigger == "hold_ceremony":
        return {"ceremony_on": on}, ""
    if trigger == "open_recognition":
        documents = [{"form_code": form, "issued_on": on, "issuer": issuer} for form, issuer in
                     (("10-KNĐ", case.member.full_name), ("11-KNĐ", "Nguyễn Văn Thành"),
                      ("12-KNĐ", "Công đoàn cơ sở"))]
        return vote_data(on, case.host_cell.official_members, number="NQ/CB-CT") | {
            "documents": documents}, ""
    if trigger == "recognise":
        data = {"decision_no": f"QĐ-CT-{case.id:05d}", "decision_on": on, "received_on": on}
        if not case.host_cell.is_grassroots_cell:
            data.update(vote_data(on, case.party_org.committee_members or 9,
                                  prefix="committee_", number="NQ/ĐU-CT"))
        return data, ""
    if trigger == "cell_reject":
        eligible = case.host_cell.official_members
        return (vote_data(on, eligible, eligible // 2, number="NQ/CB"),
                "Chi bộ biểu quyết không đạt 2/3.")
    return {}, "Lý do được ghi trong dữ liệu mẫu."

