"""Cases already under way at go-live (issue 10 item 5): entered at their step, judged by the
rule set of each step's date, with their deadlines and one audit event."""
from __future__ import annotations

from datetime import date as D

import pytest
from sqlalchemy import func, select

from referral_flow.models import Case, PartyMember, RuleSet, VoteKind
from referral_flow.security.permissions import INTAKE, can
from referral_flow.services.case_intake import (STEPS, IntakeRefused, check_case, enter_case)
from referral_flow.services.deadlines import deadlines
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.rulesets import rule_set_on
from referral_flow.workflow.states import ORDER

from ..conftest import audit_events, csrf_token
from ..factories import TODAY

PERSON = {"full_name": "Trần Thị Nhập", "date_of_birth": D(1990, 3, 4), "gender": "female",
          "citizen_id": "027199000001", "job": "Công nhân"}


@pytest.fixture(autouse=True)
def in_request(app):
    """Messages are formatted in the user's language (Vietnamese by default)."""
    with app.test_request_context():
        yield


def vote(prefix, held_on, eligible, votes_for, no):
    return {prefix + "eligible": eligible, prefix + "present": eligible,
            prefix + "votes_for": votes_for, prefix + "votes_against": eligible - votes_for,
            prefix + "resolution_no": no} | ({prefix + "held_on": held_on} if held_on else {})


def facts(world) -> dict:
    """Every fact of a case walked to the recognition review in 2025–2026."""
    return {
        "nominated_on": D(2025, 1, 8), **vote("union_", D(2025, 1, 6), 7, 6, "01/NQ-CĐ"),
        "accepted_on": D(2025, 1, 15), "host_cell_id": world["cell_a"].id,
        "helpers": [world.helper().full_name],
        "certificate_no": "CN-12", "certificate_issuer": "Trường Chính trị tỉnh",
        "certified_on": D(2025, 3, 7),
        "cell_resolution_on": D(2025, 5, 6), **vote("cell_", None, 9, 8, "02/NQ-CB"),
        "committee_resolution_on": D(2025, 5, 20),
        **vote("committee_", None, 9, 9, "03/NQ-ĐU"),
        "decision_no": "15-QĐ/ĐU", "decision_on": D(2025, 6, 16),
        "decision_received_on": D(2025, 6, 19), "ceremony_on": D(2025, 7, 3),
        "recognition_cell_on": D(2026, 7, 10), **vote("recognition_", None, 9, 9, "04/NQ-CB"),
        "recognition_committee_on": D(2026, 7, 24),
        **vote("recognition_committee_", None, 9, 6, "05/NQ-ĐU"),
    }


DOSSIER = [
    {"form_code": "1-KNĐ", "issued_on": D(2025, 4, 1)},
    {"form_code": "2-KNĐ", "issued_on": D(2025, 4, 2), "verified": True},
    {"form_code": "3-KNĐ", "issued_on": D(2025, 4, 3), "issuer": "Lê Văn Giới",
     "official": True, "months_together": 24},
    {"form_code": "5-KNĐ", "issued_on": D(2025, 4, 10), "issuer": "Tổ dân phố 3"},
]
RECOGNITION = [{"form_code": code, "issued_on": D(2026, 7, 6), "issuer": "Chi bộ"}
               for code in ("10-KNĐ", "11-KNĐ", "12-KNĐ")] + [
    {"form_code": "new_member_certificate", "issued_on": D(2025, 11, 20), "number": "ĐVM-7",
     "issuer": "Trung tâm chính trị xã"}]


def row(world, state, **over) -> dict:
    """The facts of the steps up to ``state`` (none of a later one), as a file row holds."""
    later = {key for s, keys in STEPS if ORDER.index(s) > ORDER.index(state) for key in keys}
    out = {k: v for k, v in facts(world).items() if k not in later}
    recognised = ORDER.index(state) >= ORDER.index("recognition_committee")
    docs = DOSSIER + (RECOGNITION if recognised else [])
    return {"state": state, "union_unit_id": world["unit_a"].id, **PERSON,
            "documents": docs} | out | over


def enter(world, state, **over) -> Case:
    return enter_case(row(world, state, **over), world.users["administrator"],
                      source={"screen": True}, today=TODAY)


def refused(world, state, **over) -> dict:
    return dict(check_case(row(world, state, **over), world.users["administrator"],
                           today=TODAY))


# --- entered at its step, with its deadlines ------------------------------------------------

def test_admitted_case_gets_its_ceremony_due_date(world, db):
    case = enter(world, "admitted", decision_received_on=D(2025, 6, 19))
    db.session.commit()
    assert case.state == "admitted" and case.state_since == D(2025, 6, 19)
    assert case.decision_on == D(2025, 6, 16) and case.referral_year == 2025
    due = {d.key: d for d in deadlines(case, load_calendar(), TODAY)}
    ceremony = due["ceremony"]
    assert ceremony.active and ceremony.start == D(2025, 6, 19)
    assert ceremony.due == load_calendar().add(D(2025, 6, 19), 30) == D(2025, 7, 31)
    assert due["decision"].met_on == D(2025, 6, 16)
    assert [v.kind.value for v in case.votes] == ["union_committee", "cell", "committee"]
    assert {d.form_code for d in case.documents} >= {"4A-KNĐ", "certificate", "6-KNĐ",
                                                     "8-KNĐ", "9-KNĐ", "1-KNĐ", "3-KNĐ"}


def test_probationer_gets_the_recognition_window_and_joins_the_roster(world, db):
    case = enter(world, "probation")
    db.session.commit()
    assert case.probation_ends_on == D(2026, 7, 3)
    due = {d.key: d for d in deadlines(case, load_calendar(), TODAY)}
    assert due["probation"].due == D(2026, 7, 3)
    assert due["recognition"].active
    assert due["recognition"].due == load_calendar().add(D(2026, 7, 3), 30)
    person = db.session.scalars(select(PartyMember).where(
        PartyMember.member_id == case.member_id)).one()
    assert person.status.value == "probationary" and person.cell_id == world["cell_a"].id


def test_recognition_review_needs_its_documents_and_vote(world, db):
    case = enter(world, "recognition_review", recognition_decision_extended=True)
    assert case.recognition_cell_on == D(2026, 7, 10)
    assert case.latest_vote(VoteKind.recognition_committee).votes_for == 6
    assert case.latest_document("new_member_certificate").number == "ĐVM-7"
    due = {d.key: d for d in deadlines(case, load_calendar(), TODAY) if d.active}
    assert set(due) == {"recognition_decision"}
    assert due["recognition_decision"].due == load_calendar().add(D(2026, 7, 10), 60)


def test_recognition_committee_counts_all_its_members(world, db):
    errors = refused(world, "recognition_review", recognition_committee_eligible=8,
                     recognition_committee_present=8)
    assert "recognition_committee_on" in errors
    case = enter(world, "recognition_committee")
    assert case.state == "recognition_committee" and not case.latest_vote(
        VoteKind.recognition_committee)


def test_one_audit_event_per_case_naming_its_source(world, db):
    before = len(audit_events(db))
    case = enter_case(row(world, "decision_pending"), world.users["administrator"],
                      source={"file": "dang-do.xlsx", "row": 7}, today=TODAY)
    db.session.commit()
    events = audit_events(db)[before:]
    assert len(events) == 1
    event = events[0]
    assert (event.trigger, event.case_id, event.from_state, event.to_state) == (
        "import", case.id, None, "decision_pending")
    assert event.data["source"] == {"file": "dang-do.xlsx", "row": 7}
    assert event.step_on == D(2025, 5, 20) and event.rule_set == "232-QĐ/TW"
    assert "citizen_id" not in event.data["facts"]


def test_an_existing_member_is_found_by_citizen_id(world, db):
    from ..factories import member
    person = member(world["unit_a"])
    case = enter(world, "nominated", citizen_id=person.citizen_id, full_name="")
    assert case.member_id == person.id
    assert db.session.scalar(select(func.count(Case.id)).where(
        Case.member_id == person.id)) == 1


# --- the rule set of each step's date --------------------------------------------------------

def old_case(world, **over) -> dict:
    """A case decided in 2020, under 29-QĐ/TW (2016)."""
    dates = {"nominated_on": D(2019, 9, 9), "union_held_on": D(2019, 9, 6),
             "accepted_on": D(2019, 9, 16), "certified_on": D(2019, 11, 8),
             "cell_resolution_on": D(2020, 5, 5), "committee_resolution_on": D(2020, 5, 19),
             "decision_on": D(2020, 6, 15), "decision_received_on": D(2020, 6, 17)}
    docs = [dict(d, issued_on=D(2020, 4, d["issued_on"].day)) for d in DOSSIER]
    return row(world, "admitted", **dates, documents=docs) | over


def test_the_2016_rule_set_is_in_force_before_24_qd_tw(db):
    assert rule_set_on(D(2020, 1, 1)).code == "29-QĐ/TW"
    assert rule_set_on(D(2021, 7, 29)).code == "29-QĐ/TW"
    assert rule_set_on(D(2021, 7, 30)).code == "24-QĐ/TW"


def test_a_step_of_2020_is_judged_by_29_qd_tw(world, db):
    admin = world.users["administrator"]
    assert check_case(old_case(world), admin, today=TODAY) == []
    # Make the 2016 set stricter: the 2020 cell vote (7 of 9) is judged by it, not by today's.
    old = db.session.scalars(select(RuleSet).where(RuleSet.code == "29-QĐ/TW")).one()
    old.params = {**old.params, "cell_vote": {"num": 4, "den": 5, "strict": False}}
    db.session.flush()
    errors = dict(check_case(old_case(world, cell_votes_for=7, cell_votes_against=2), admin,
                             today=TODAY))
    assert list(errors) == ["cell_resolution_on"]
    assert "4/5" in errors["cell_resolution_on"]
    later = old_case(world, cell_votes_for=7, cell_votes_against=2, nominated_on=D(2020, 9, 9),
                     union_held_on=D(2020, 9, 7), accepted_on=D(2020, 9, 16),
                     cell_resolution_on=D(2021, 8, 3), committee_resolution_on=D(2021, 8, 17),
                     decision_on=D(2021, 9, 6), decision_received_on=D(2021, 9, 8),
                     documents=[dict(d, issued_on=D(2021, 7, d["issued_on"].day))
                                for d in DOSSIER])
    assert check_case(later, admin, today=TODAY) == []


def test_a_step_before_every_rule_set_is_refused(world):
    errors = refused(world, "nominated", nominated_on=D(2016, 3, 1),
                     union_held_on=D(2016, 2, 26))
    assert "01/03/2016" in errors["nominated_on"]


# --- refused inputs --------------------------------------------------------------------------

def test_dates_out_of_order(world):
    errors = refused(world, "accepted", accepted_on=D(2025, 1, 2))
    assert "02/01/2025" in errors["accepted_on"] and "08/01/2025" in errors["accepted_on"]


def test_future_dates(world):
    errors = refused(world, "probation", ceremony_on=D(2026, 12, 1))
    assert "01/12/2026" in errors["ceremony_on"]


def test_a_vote_under_the_threshold(world):
    errors = refused(world, "committee_review", cell_votes_for=5, cell_votes_against=4)
    assert "2/3" in errors["cell_resolution_on"] and "5" in errors["cell_resolution_on"]


def test_a_state_the_facts_do_not_reach(world):
    missing = refused(world, "admitted", decision_no="", decision_on=None)
    assert "decision_on" in missing
    later = refused(world, "accepted", decision_on=D(2025, 6, 16))
    assert list(later) == ["decision_on"]
    grassroots = refused(world, "committee_review", union_unit_id=world["gunit_a"].id,
                         host_cell_id=world["gcell_a"].id,
                         helpers=[world.helper("gcell_a").full_name], cell_eligible=6,
                         cell_votes_for=6, cell_votes_against=0)
    assert list(grassroots) == ["state"]


def test_nothing_is_written_when_refused(world, db):
    before = len(audit_events(db))
    with pytest.raises(IntakeRefused) as refusal:
        enter(world, "accepted", accepted_on=D(2025, 1, 2))
    assert [key for key, _message in refusal.value.errors] == ["accepted_on"]
    assert len(audit_events(db)) == before
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_messages_are_in_vietnamese(world):
    errors = refused(world, "accepted", accepted_on=D(2025, 1, 2))
    assert "trước" in errors["accepted_on"]


# --- who may enter cases -------------------------------------------------------------------

@pytest.mark.parametrize("user, allowed", [
    ("administrator", True), ("party_officer_a", True), ("competent_officer_a", True),
    ("party_officer_b", False), ("competent_officer_b", False), ("cell_secretary_a", False),
    ("class_organiser_a", False), ("union_chair_a", False), ("federation_officer_a", False),
])
def test_permission_matrix(world, user, allowed):
    case = Case(party_org=world["committee_a"], union_unit=world["unit_a"])
    assert can(world.users[user], INTAKE, case, TODAY) is allowed
    errors = dict(check_case(row(world, "nominated"), world.users[user], today=TODAY))
    assert ("party_org" in errors) is not allowed


@pytest.mark.parametrize("user, status", [
    ("administrator", 200), ("party_officer_a", 200), ("competent_officer_b", 200),
    ("cell_secretary_a", 403), ("union_chair_a", 403), ("class_organiser_a", 403),
])
def test_the_screen_is_for_committee_staff(world, client, auth, user, status):
    auth.login(world.users[user].username)
    assert client.get("/cases/intake").status_code == status


def test_the_screen_previews_then_enters_the_case(world, db, client, auth):
    auth.login(world.users["party_officer_a"].username)
    page = client.get("/cases/intake?state=accepted")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "state": "accepted",
            "union_unit_id": str(world["unit_a"].id), "full_name": PERSON["full_name"],
            "date_of_birth": "04/03/1990", "gender": "female",
            "citizen_id": PERSON["citizen_id"], "job": "Công nhân",
            "nominated_on": "08/01/2025", "union_held_on": "06/01/2025",
            "union_eligible": "7", "union_present": "7", "union_votes_for": "6",
            "union_votes_against": "1", "union_resolution_no": "01/NQ-CĐ",
            "accepted_on": "15/01/2025", "host_cell_id": str(world["cell_a"].id),
            "helpers": world.helper().full_name}
    preview = client.post("/cases/intake?state=accepted", data=data)
    assert preview.status_code == 200
    assert 'name="confirm"' in preview.text
    assert db.session.scalar(select(func.count(Case.id))) == 0
    token = preview.text.split('name="confirm" value="')[-1].split('"')[0]
    done = client.post("/cases/intake?state=accepted", data=data | {"confirm": token})
    assert done.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert done.location.endswith(f"/cases/{case.id}")
    assert case.state == "accepted" and case.host_cell_id == world["cell_a"].id
    assert client.get(done.location).status_code == 200
    event = audit_events(db)[-1]
    assert event.trigger == "import" and event.data["source"] == {"screen": True}


def test_the_screen_shows_the_refusal_by_field(world, client, auth):
    auth.login(world.users["party_officer_a"].username)
    page = client.get("/cases/intake?state=nominated")
    data = {"csrf_token": csrf_token(page.text), "state": "nominated",
            "union_unit_id": str(world["unit_a"].id), "citizen_id": PERSON["citizen_id"],
            "full_name": PERSON["full_name"], "date_of_birth": "04/03/1990",
            "gender": "female", "job": "Công nhân", "nominated_on": "08/01/2025",
            "union_held_on": "06/01/2025", "union_eligible": "7", "union_present": "7",
            "union_votes_for": "3", "union_votes_against": "4", "union_resolution_no": "1"}
    answer = client.post("/cases/intake?state=nominated", data=data)
    assert answer.status_code == 400
    assert 'name="confirm"' not in answer.text


def test_the_recognition_steps_ask_for_their_own_fields(world, client, auth):
    auth.login(world.users["party_officer_a"].username)
    committee = client.get("/cases/intake?state=recognition_committee").text
    review = client.get("/cases/intake?state=recognition_review").text
    certificate = "Giấy chứng nhận lớp bồi dưỡng lý luận chính trị cho đảng viên mới"
    assert certificate in committee and certificate in review
    assert 'name="recognition_cell_on"' in committee
    assert 'name="recognition_committee_on"' not in committee
    assert 'name="recognition_committee_on"' in review
    assert 'name="recognition_decision_extended"' in review
