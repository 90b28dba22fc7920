"""Background verification as work (domain.md R12, R13): the guard of send_to_cell at its
boundaries, who may record it, its audit, the working days each request has waited, the
personal history's validity from its certification, and the case page's forms."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from referral_flow.demo_steps import background_check
from referral_flow.models import AuditEvent, Case
from referral_flow.services import audit
from referral_flow.services import verification as vf
from referral_flow.services.transitions import fire
from referral_flow.workflow.calendar import WorkingCalendar, add_months
from referral_flow.workflow.errors import GuardFailed, InvalidStepData, NotAllowed, NotAvailable
from referral_flow.workflow.guards import valid_until
from referral_flow.workflow.rulesets import rule_set_on

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case
from .test_guards import documents

D = date
KW = {"today": TODAY, "check_permission": False}
ASKED = TODAY - timedelta(days=20)


@pytest.fixture
def in_dossier(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "dossier")
    db.session.commit()
    return case


def send(case: Case, on: date = TODAY) -> Case:
    return fire(case, "send_to_cell", None, expected_version=case.version, on=on, today=TODAY,
                check_permission=False)


def refusal(case: Case, on: date = TODAY) -> str:
    with pytest.raises(GuardFailed) as exc:
        send(case, on)
    with force_locale("en"):
        return str(exc.value)


def relative(case: Case, name: str = "Nguyễn Văn Cha", **raw):
    return vf.add_relative(case, None, {"relation": "parent", "full_name": name, **raw}, **KW)


def request(case: Case, subject: str, sent_on: date = ASKED):
    return vf.send_request(case, None, {"subject": subject, "sent_to": "Đảng ủy xã Tân Lâm",
                                        "sent_on": sent_on}, **KW)


def answer(case: Case, req, on: date = TODAY - timedelta(days=5), result: str = "clear",
           note: str = ""):
    return vf.record_answer(case, req.id, None, {"answered_on": on, "result": result,
                                                 "note": note}, **KW)


def residence(case: Case, received: date | None = TODAY - timedelta(days=3)):
    opinion = vf.request_residence_opinion(case, None, {"residence_cell": "Chi bộ khu 3",
                                                        "requested_on": ASKED}, **KW)
    if received:
        vf.receive_residence_opinion(case, opinion.id, None, {"received_on": received,
                                                             "summary": "Tốt"}, **KW)
    return opinion


# --- the guard -------------------------------------------------------------------------------

def test_without_the_residence_opinion_the_case_stays(world, db, in_dossier):
    assert "residence area's opinion has not been asked for" in refusal(in_dossier)
    residence(in_dossier, received=None)
    message = refusal(in_dossier)
    assert "asked of Chi bộ khu 3 on" in message and "is awaited" in message
    assert in_dossier.state == "dossier"


def test_one_relative_unanswered_refuses_then_its_answer_lets_the_case_go(world, db,
                                                                         in_dossier):
    residence(in_dossier)
    father = relative(in_dossier)
    mother = relative(in_dossier, "Trần Thị Mẹ")
    assert "Nguyễn Văn Cha (Father or mother): no verification request sent" in refusal(in_dossier)
    answer(in_dossier, request(in_dossier, f"relative:{father.id}"))
    late = request(in_dossier, f"relative:{mother.id}")
    message = refusal(in_dossier)
    assert "Trần Thị Mẹ (Father or mother): the answer of Đảng ủy xã Tân Lâm" in message
    assert "Nguyễn Văn Cha" not in message
    answer(in_dossier, late, on=TODAY - timedelta(days=1))
    # the step cannot rely on an answer dated after it
    assert "Trần Thị Mẹ" in refusal(in_dossier, on=TODAY - timedelta(days=2))
    send(in_dossier)
    assert in_dossier.state == "cell_review"


def test_an_exempt_relative_needs_no_request(world, db, in_dossier):
    residence(in_dossier)
    member = relative(in_dossier, relation="spouse", exempt=True)
    with pytest.raises(InvalidStepData):
        request(in_dossier, f"relative:{member.id}")
    send(in_dossier)
    assert in_dossier.state == "cell_review"


def test_a_political_standard_check_waits_for_its_answer(world, db, in_dossier):
    residence(in_dossier)
    check = vf.add_check(in_dossier, None, {"topic": "religion", "note": "Theo đạo Công giáo"},
                         **KW)
    assert "Religious affiliation: no verification request sent" in refusal(in_dossier)
    answer(in_dossier, request(in_dossier, f"check:{check.id}"), result="concerns",
           note="Sinh hoạt tôn giáo bình thường")
    send(in_dossier)        # concerns are the cell's to weigh: the answer is in
    assert in_dossier.state == "cell_review"


def test_the_applicants_own_verification_is_still_required(world, db):
    """No relative recorded at all: the personal history itself must still be verified."""
    case = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "certified")
    on = case.state_since
    fire(case, "open_dossier", None, expected_version=case.version, on=on, today=TODAY,
         data={"documents": documents(on, {"2-KNĐ": {"verified": False}})},
         check_permission=False)
    residence(case)
    assert "personal history (2-KNĐ) has not been verified" in refusal(case)
    board = vf.board(case, WorkingCalendar(), TODAY)
    with force_locale("en"):
        shown = [str(m) for m in board.holding]
    assert shown == ["the applicant's own personal history (2-KNĐ) is not verified"]


# --- who may record it, and its audit -------------------------------------------------------

@pytest.mark.parametrize("who, allowed", [
    ("cell_secretary_a", True), ("party_officer_a", True), ("union_chair_a", False),
    ("cell_secretary_b", False), ("competent_officer_a", False), ("class_organiser_a", False),
])
def test_who_may_record_the_verification(world, db, in_dossier, who, allowed):
    user = world.users[who]
    assert vf.may_verify(user, in_dossier) is allowed
    raw = {"relation": "spouse", "full_name": "Lê Thị Vợ"}
    if allowed:
        vf.add_relative(in_dossier, user, raw, today=TODAY)
    else:
        with pytest.raises(NotAllowed):
            vf.add_relative(in_dossier, user, raw, today=TODAY)


def test_not_after_the_dossier_step(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=300)), world, "cell_review")
    with pytest.raises(NotAvailable):
        vf.add_relative(case, world.users["cell_secretary_a"],
                        {"relation": "spouse", "full_name": "Lê Thị Vợ"}, today=TODAY)


def test_each_change_is_audited_without_the_relatives_names(world, db, in_dossier):
    secretary = world.users["cell_secretary_a"]
    abroad = vf.add_relative(in_dossier, secretary, {
        "relation": "adult_child", "full_name": "Nguyễn Văn Con", "abroad": True,
        "country": "Hàn Quốc"}, today=TODAY)
    req = vf.send_request(in_dossier, secretary, {
        "subject": f"relative:{abroad.id}", "sent_to": "Đại sứ quán Việt Nam tại Hàn Quốc",
        "sent_on": ASKED}, today=TODAY)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == in_dossier.id, AuditEvent.subject == "verification")
        .order_by(AuditEvent.id)).all()
    assert [(e.trigger, e.actor_id) for e in events] == [
        ("add_relative", secretary.id), ("send_verification", secretary.id)]
    assert events[0].data["country"] == "Hàn Quốc" and "Nguyễn Văn Con" not in str(events[0].data)
    assert events[1].data["request_id"] == req.id
    assert audit.verify().ok


def test_abroad_needs_the_country_and_an_answer_its_request(world, db, in_dossier):
    with pytest.raises(InvalidStepData):
        relative(in_dossier, abroad=True)
    child = relative(in_dossier, abroad=True, country="Nhật Bản")
    req = request(in_dossier, f"relative:{child.id}")
    with pytest.raises(InvalidStepData):
        answer(in_dossier, req, on=ASKED - timedelta(days=1))        # before it was sent
    with pytest.raises(InvalidStepData):
        answer(in_dossier, req, result="concerns")                   # concerns need a note
    answer(in_dossier, req)
    with pytest.raises(NotAvailable):
        answer(in_dossier, req)


# --- working days waited ----------------------------------------------------------------------

def test_working_days_waited(world, db, in_dossier):
    father = relative(in_dossier)
    waiting = request(in_dossier, f"relative:{father.id}", sent_on=D(2026, 11, 20))   # Friday
    board = vf.board(in_dossier, WorkingCalendar(), TODAY)                           # Wednesday
    assert board.relatives[0].status == "awaiting"
    # Mon 23 and Wed 25: the weekend and Tue 24, Vietnam Cultural Day, are not working days
    assert board.relatives[0].requests[0].waited == 2
    answer(in_dossier, waiting, on=D(2026, 11, 23))
    board = vf.board(in_dossier, WorkingCalendar(), TODAY)
    assert board.relatives[0].status == "clear" and board.relatives[0].requests[0].waited == 1


# --- the personal history's validity runs from its certification --------------------------

def test_history_validity_runs_from_its_certification(world, db):
    assert valid_until({"form_code": "2-KNĐ", "issued_on": D(2025, 1, 10),
                        "certified_on": D(2025, 3, 1)}, {"2-KNĐ": 12}) == D(2026, 3, 1)
    case = advance(new_case(world, start=D(2025, 6, 1)), world, "certified")
    on = case.state_since
    # certified by the day of the nomination, so that the 4A-KNĐ lasts as long
    certified = case.nominated_on
    fire(case, "open_dossier", None, expected_version=case.version, on=on, today=TODAY,
         data={"documents": documents(on, {"2-KNĐ": {"issued_on": on - timedelta(days=200),
                                                     "certified_on": certified}})},
         check_permission=False)
    background_check(case, on)
    last = add_months(certified, 12)
    rules = rule_set_on(last)
    rules.params = {**rules.params, "document_validity_months": {
        **rules.params["document_validity_months"], "2-KNĐ": 12}}
    db.session.flush()
    assert "Personal history of the applicant (2-KNĐ) is older than 12 months" in refusal(
        case, last + timedelta(days=1))
    send(case, last)
    assert case.state == "cell_review"


# --- the case page ------------------------------------------------------------------------

def post(client, case, what, prefix, item=None, **fields):
    token = csrf_token(client.get(f"/cases/{case.id}").text)
    url = f"/cases/{case.id}/verification/{what}" + (f"/{item}" if item else "")
    return client.post(url, data={f"{prefix}-{k}": v
                                  for k, v in {"csrf_token": token, **fields}.items()})


def test_the_page_records_the_verification_and_shows_what_holds_the_case(
        world, db, auth, client, in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    page = client.get(f"/cases/{in_dossier.id}").text
    assert 'id="verification"' in page and 'id="v-relative-full_name"' in page
    missing = post(client, in_dossier, "relative", "v-relative", relation="parent",
                   full_name="Phạm Văn Cha", abroad="y", country="")
    assert missing.status_code == 422 and 'role="alert"' in missing.text
    assert post(client, in_dossier, "relative", "v-relative", relation="parent",
                full_name="Phạm Văn Cha", abroad="y", country="Pháp").status_code == 302
    rel = vf.board(in_dossier, WorkingCalendar(), TODAY).relatives[0].relative
    assert post(client, in_dossier, "request", "v-request", subject=f"relative:{rel.id}",
                sent_to="Ban Đối ngoại", sent_on="20/11/2026").status_code == 302
    page = client.get(f"/cases/{in_dossier.id}").text
    assert "Phạm Văn Cha" in page and "Pháp" in page and "Ban Đối ngoại" in page
    db.session.expire_all()
    req = vf.board(in_dossier, WorkingCalendar(), TODAY).relatives[0].requests[0].item
    assert f'id="v-answer{req.id}-answered_on"' in page
    assert post(client, in_dossier, "answer", f"v-answer{req.id}", item=req.id,
                answered_on="24/11/2026", result="clear").status_code == 302
    # without the CSRF token nothing is saved
    assert client.post(f"/cases/{in_dossier.id}/verification/residence", data={
        "v-residence-residence_cell": "Chi bộ 1", "v-residence-requested_on": "20/11/2026"}
    ).status_code == 400
    assert post(client, in_dossier, "residence", "v-residence", residence_cell="Chi bộ 1",
                requested_on="20/11/2026").status_code == 302
    db.session.expire_all()
    assert vf.board(in_dossier, WorkingCalendar(), TODAY).holding      # opinion awaited
    assert post(client, in_dossier, "nonsense", "v-x").status_code == 404


def test_out_of_scope_users_cannot_record(world, db, auth, client, in_dossier):
    auth.login(world.users["union_chair_a"].username)
    page = client.get(f"/cases/{in_dossier.id}").text
    assert 'id="verification"' in page and 'id="v-relative-full_name"' not in page
    response = post(client, in_dossier, "relative", "v-relative", relation="parent",
                    full_name="Phạm Văn Cha")
    assert response.status_code == 403
