"""Recognition as the rules have it (issue 11 item 6; domain.md M3, M7, R17-R19): the new
members' political class certificate in the recognition dossier, the grassroots committee's
own resolution (15-KNĐ, 2/3 of all its members), the competent body's vote and decision
(16-KNĐ), the +30 working-day extension of the decision, and the Party age."""
from __future__ import annotations

from datetime import timedelta

import pytest

from referral_flow.demo_steps import step_data, vote_data
from referral_flow.me.road import following
from referral_flow.models import Case, VoteKind
from referral_flow.services.deadlines import deadlines
from referral_flow.services.transitions import fire
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.errors import GuardFailed, InvalidStepData, NotAvailable

from ..factories import TODAY, advance, new_case
from .test_dossier import post

START = TODAY - timedelta(days=900)


@pytest.fixture(autouse=True)
def in_request(app):
    """Messages in the user's language (Vietnamese by default)."""
    with app.test_request_context():
        yield


def step(case: Case, trigger: str, on, data=None, comment: str = "") -> Case:
    data = step_data(trigger, case, on, [])[0] if data is None else data
    return fire(case, trigger, None, expected_version=case.version, data=data, on=on,
                comment=comment, today=TODAY, check_permission=False)


def on_probation(world, unit: str = "unit") -> tuple[Case, object]:
    case = advance(new_case(world, unit=unit, start=START), world, "probation")
    return case, case.probation_ends_on + timedelta(days=5)


def recognition_data(case: Case, on, drop: str | None = None, **certificate) -> dict:
    data = step_data("open_recognition", case, on, [])[0]
    docs = [d for d in data["documents"] if d["form_code"] != drop]
    for d in docs:
        if d["form_code"] == "new_member_certificate":
            d.update(certificate)
    return data | {"documents": docs}


# --- the new members' political class certificate -------------------------------------------

def test_without_the_new_members_certificate_the_cell_cannot_propose(world, db):
    case, on = on_probation(world)
    with pytest.raises(GuardFailed) as refused:
        step(case, "open_recognition", on, recognition_data(case, on, "new_member_certificate"))
    assert refused.value.form == "new_member_certificate"
    assert "lớp bồi dưỡng lý luận chính trị cho đảng viên mới" in str(refused.value)
    assert case.state == "probation"


@pytest.mark.parametrize("missing", ["number", "issuer"])
def test_the_certificate_names_its_number_and_issuer(world, db, missing):
    case, on = on_probation(world)
    with pytest.raises(InvalidStepData):
        step(case, "open_recognition", on, recognition_data(case, on, **{missing: ""}))


def test_the_certificate_is_recorded_with_the_dossier(world, db):
    case, on = on_probation(world)
    step(case, "open_recognition", on, recognition_data(case, on, number="ĐVM-12/2026",
                                                         issuer="Trường Chính trị tỉnh"))
    cert = case.latest_document("new_member_certificate")
    assert (cert.number, cert.issuer, cert.issued_on) == ("ĐVM-12/2026",
                                                          "Trường Chính trị tỉnh", on)


# --- the grassroots committee's resolution (15-KNĐ) ------------------------------------------

def test_under_a_grassroots_committee_the_committee_resolves_first(world, db):
    case, on = on_probation(world)
    step(case, "open_recognition", on)
    assert case.state == "recognition_committee"
    with pytest.raises(NotAvailable):
        step(case, "recognise", on)             # the decision waits for the committee
    step(case, "recognition_committee_approve", on + timedelta(days=3),
         vote_data(on + timedelta(days=3), 9, 6, number="NQ/ĐU-CT"))     # 6 of 9: exactly 2/3
    vote = case.latest_vote(VoteKind.recognition_committee)
    assert (case.state, vote.votes_for, vote.eligible) == ("recognition_review", 6, 9)
    assert case.latest_document("15-KNĐ").number == vote.resolution_no


def test_one_vote_short_of_two_thirds_is_refused(world, db):
    case, on = on_probation(world)
    step(case, "open_recognition", on)
    with pytest.raises(GuardFailed):
        step(case, "recognition_committee_approve", on, vote_data(on, 9, 5))
    assert case.state == "recognition_committee"


def test_the_committee_counts_all_its_members(world, db):
    case, on = on_probation(world)
    step(case, "open_recognition", on)
    with pytest.raises(InvalidStepData):
        step(case, "recognition_committee_approve", on, vote_data(on, 8))   # 9 members
    with pytest.raises(InvalidStepData):
        step(case, "recognition_committee_approve", on,
             vote_data(on - timedelta(days=1), 9))          # before the cell's resolution


def test_the_candidate_sees_the_committee_ahead_unless_his_cell_is_grassroots(world, db):
    case, _on = on_probation(world)
    grassroots, _on = on_probation(world, unit="gunit")
    assert following(case) == ["recognition_committee", "recognition_review", "official"]
    assert following(grassroots) == ["recognition_review", "official"]


def test_a_grassroots_cell_goes_straight_to_the_competent_body(world, db):
    case, on = on_probation(world, unit="gunit")
    step(case, "open_recognition", on)
    assert case.state == "recognition_review"
    step(case, "recognise", on + timedelta(days=2))
    assert case.state == "official"
    assert case.latest_vote(VoteKind.recognition_committee) is None


# --- the competent body's vote and decision (16-KNĐ) --------------------------------------------

def test_the_competent_body_decides_with_its_vote(world, db):
    case, on = on_probation(world)
    step(case, "open_recognition", on)
    step(case, "recognition_committee_approve", on)
    later = on + timedelta(days=4)
    data = step_data("recognise", case, later, [])[0]
    with pytest.raises(InvalidStepData):    # the bloc's committee has 15 members
        step(case, "recognise", later, data | {"committee_eligible": 9,
                                               "committee_present": 9})
    with pytest.raises(GuardFailed):
        step(case, "recognise", later, data | {"committee_votes_for": 9,
                                               "committee_votes_against": 6})
    step(case, "recognise", later, data)
    vote = case.latest_vote(VoteKind.recognition_decision)
    assert (case.state, vote.eligible) == ("official", 15)
    assert case.official_from == case.probation_ends_on


# --- the +30 working-day extension ---------------------------------------------------------

def test_the_recognition_decision_is_extended_once_by_30_working_days(world, db):
    case, on = on_probation(world)
    step(case, "open_recognition", on)
    step(case, "recognition_committee_approve", on)
    calendar = load_calendar()

    def due():
        return {d.key: d.due for d in deadlines(case, calendar, TODAY)}["recognition_decision"]

    assert due() == calendar.add(case.recognition_cell_on, 30)
    with pytest.raises(InvalidStepData):
        step(case, "extend_recognition", on, {})        # the reason is required
    step(case, "extend_recognition", on, {}, comment="Chờ ý kiến nơi cư trú")
    assert case.state == "recognition_review" and case.recognition_decision_extended
    assert due() == calendar.add(case.recognition_cell_on, 60)
    with pytest.raises(GuardFailed):
        step(case, "extend_recognition", on, {}, comment="Lần nữa")


# --- the Party age ------------------------------------------------------------------------

def test_the_case_page_shows_the_party_age(world, db, auth, client):
    case = advance(new_case(world, start=TODAY - timedelta(days=900)), world, "probation")
    case.decision_on = TODAY - timedelta(days=800)
    db.session.commit()
    auth.login(world.users["administrator"].username)
    page = client.get(f"/cases/{case.id}").text
    assert "Tuổi đảng" in page and "2 năm 2 tháng" in page
    draft = new_case(world)
    db.session.commit()
    assert "Tuổi đảng" not in client.get(f"/cases/{draft.id}").text


def test_the_cell_records_the_certificate_on_the_case_page(world, db, auth, client):
    case = advance(new_case(world, start=START), world, "probation")
    db.session.commit()
    auth.login(world.users["cell_secretary_a"].username)
    page = client.get(f"/cases/{case.id}").text
    assert "Giấy chứng nhận lớp bồi dưỡng lý luận chính trị cho đảng viên mới" in page
    url = f"/cases/{case.id}/documents/new_member_certificate"
    blank = post(client, case, url, "doc-new_member_certificate", number="",
                 issuer="Trường Chính trị tỉnh", issued_on=TODAY.isoformat())
    assert blank.status_code in (400, 422) and case.latest_document(
        "new_member_certificate") is None
    done = post(client, case, url, "doc-new_member_certificate", number="ĐVM-3",
                issuer="Trường Chính trị tỉnh", issued_on=TODAY.isoformat())
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).latest_document("new_member_certificate").number \
        == "ĐVM-3"
