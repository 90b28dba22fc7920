"""Valid step data for every trigger: used by the demo loader and by the tests."""
from __future__ import annotations

from datetime import date, timedelta

from .models import Case, Organisation, PartyKind


def _vote(held_on: date, eligible: int, votes_for: int | None = None, prefix: str = "",
          number: str = "NQ") -> dict:
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


def step_data(trigger: str, case: Case, on: date, cells: list[Organisation]) -> tuple[dict, str]:
    """(data, comment) that satisfy the guards of ``trigger`` for a well-formed case."""
    if trigger == "submit":
        return _vote(on, 9, 8, number="NQ/CĐ"), ""
    if trigger == "accept":
        return {"host_cell_id": host_cell_for(case, cells).id,
                "helpers": ["Nguyễn Văn Thành"]}, ""
    if trigger == "enroll":
        return {"class_name": f"Lớp bồi dưỡng nhận thức về Đảng {on:%m/%Y}"}, ""
    if trigger in ("pass_class", "skip_class"):
        return {"certificate_no": f"GCN-{case.id:05d}", "certificate_issuer":
                "Trung tâm chính trị", "certificate_on": on - timedelta(days=1)}, ""
    if trigger == "open_dossier":
        return {"documents": dossier_documents(on)}, ""
    if trigger == "send_to_cell":
        return {}, ""
    if trigger == "cell_approve":
        eligible = case.host_cell.official_members
        return _vote(on, eligible, number="NQ/CB"), ""
    if trigger == "committee_approve":
        return _vote(on, case.party_org.committee_members or 9, number="NQ/ĐU"), ""
    if trigger == "admit":
        return {"decision_no": f"QĐ-{case.id:05d}", "decision_on": on, "received_on": on}, ""
    if trigger == "hold_ceremony":
        return {"ceremony_on": on}, ""
    if trigger == "open_recognition":
        return _vote(on, case.host_cell.official_members, number="NQ/CB-CT"), ""
    if trigger == "recognise":
        data = {"decision_no": f"QĐ-CT-{case.id:05d}", "decision_on": on, "received_on": on}
        if not case.host_cell.is_grassroots_cell:
            data.update(_vote(on, case.party_org.committee_members or 9, prefix="committee_",
                              number="NQ/ĐU-CT"))
        return data, ""
    if trigger == "cell_reject":
        eligible = case.host_cell.official_members
        return _vote(on, eligible, eligible // 2, number="NQ/CB"), "Chi bộ biểu quyết không đạt 2/3."
    return {}, "Lý do được ghi trong dữ liệu mẫu."

