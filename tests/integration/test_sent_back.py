"""Dossiers sent back for more papers, and authorised committees that decide themselves
(issue 11 items 4 and 5; domain.md M6, R4, §3 item 5)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from referral_flow.demo_steps import MISSING, step_data
from referral_flow.models import VoteKind
from referral_flow.services.deadlines import deadlines
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.errors import GuardFailed, InvalidStepData, NotAvailable
from referral_flow.workflow.transitions import routes

from ..conftest import csrf_token
from ..factories import TODAY
from .test_guards import case_in, last_event, refused, step, vote
from .test_web import vi

D = date


def active(case, today=TODAY):
    return next((d for d in deadlines(case, load_calendar(), today) if d.active), None)


def decision_clock(case, today=TODAY):
    return next((d for d in deadlines(case, load_calendar(), today) if d.key == "decision"),
                None)


# --- sent back ---------------------------------------------------------------------------

@pytest.mark.parametrize("state, trigger", [("decision_pending", "return_dossier"),
                                            ("committee_review", "committee_return")])
def test_return_needs_the_missing_list(world, db, state, trigger):
    case = case_in(world, state, start=D(2024, 6, 1))
    on = case.state_since + timedelta(days=5)
    for empty in ({}, {"missing": [], "missing_note": "   "}):
        assert refused(case, trigger, on, empty, "Thiếu giấy tờ.",
                       error=InvalidStepData) == (
            "List what is missing: choose the forms or describe it.")
    assert refused(case, trigger, on, {"missing": ["9-KNĐ"]}, "Thiếu.",
                   error=InvalidStepData) == "Unknown form 9-KNĐ."
    step(case, trigger, on, {"missing": ["5-KNĐ", "2-KNĐ"]}, "Thiếu giấy tờ.")
    assert case.state == "dossier"
    assert case.missing_items["forms"] == ["2-KNĐ", "5-KNĐ"]      # the dossier's order
    assert case.dossier_returns == 1
    assert last_event(case).data["missing"] == ["2-KNĐ", "5-KNĐ"]


def test_a_note_alone_is_a_list(world, db):
    case = case_in(world, "decision_pending", start=D(2024, 6, 1))
    step(case, "return_dossier", case.state_since + timedelta(days=3),
         {"missing_note": "Bản sao bằng tốt nghiệp THCS"}, "Bổ sung.")
    assert case.missing_items["forms"] == []
    assert case.missing_items["note"] == "Bản sao bằng tốt nghiệp THCS"


def test_deadline_during_and_after_resubmission(world, db):
    """While the dossier is back with the cell no decision clock runs; the new cell
    resolution starts a fresh 60 working days (and a fresh extension)."""
    case = case_in(world, "decision_pending", start=D(2024, 1, 8))
    old = decision_clock(case)
    step(case, "extend_decision", case.state_since + timedelta(days=2), {}, "Chờ xác minh.")
    returned_on = case.state_since + timedelta(days=5)
    step(case, "return_dossier", returned_on, dict(MISSING), "Thiếu ý kiến nơi cư trú.")
    assert active(case) is None and decision_clock(case) is None
    assert case.cell_resolution_on is None and not case.decision_extended
    # The case comes back the same way: dossier -> cell -> committee -> decision.
    on = returned_on + timedelta(days=10)
    step(case, "send_to_cell", on, {"documents": step_data("open_dossier", case, on,
                                                            world.cells)[0]["documents"]})
    assert case.missing_items is None and case.dossier_returns == 1
    on += timedelta(days=10)
    step(case, "cell_approve", on, step_data("cell_approve", case, on, world.cells)[0])
    assert case.cell_resolution_on == on
    clock = active(case)
    assert clock.key == "decision" and clock.start == on
    assert clock.due == load_calendar().add(on, 60) and clock.due > old.due
    on += timedelta(days=10)
    step(case, "committee_approve", on, step_data("committee_approve", case, on, world.cells)[0])
    assert active(case).due == clock.due
    step(case, "return_dossier", on + timedelta(days=3), dict(MISSING), "Lại thiếu.")
    assert case.dossier_returns == 2


def test_send_to_cell_clears_the_list_only_there(world, db):
    case = case_in(world, "committee_review", start=D(2024, 6, 1))
    on = case.state_since + timedelta(days=3)
    step(case, "committee_return", on, dict(MISSING), "Thiếu 5-KNĐ.")
    step(case, "send_to_cell", on + timedelta(days=3))
    assert case.state == "cell_review" and case.missing_items is None


# --- authorised committee ----------------------------------------------------------------

def authorised(case):
    case.party_org.authorised_to_admit = True
    return case


def decision(on, number="QĐ-1"):
    return {"decision_no": number, "decision_on": on, "received_on": on}


def test_routing_by_the_flag(world, db):
    case = case_in(world, "committee_review", start=D(2024, 6, 1))
    assert routes("committee_approve", case) and not routes("committee_admit", case)
    authorised(case)
    assert routes("committee_admit", case) and not routes("committee_approve", case)
    on = case.state_since + timedelta(days=5)
    with pytest.raises(NotAvailable):       # no proposal to the competent body (8-KNĐ)
        step(case, "committee_approve", on, vote(on, 9, 9))
    assert case.state == "committee_review"


def test_two_thirds_of_all_members_exactly(world, db):
    case = authorised(case_in(world, "committee_review", start=D(2024, 6, 1)))
    on = case.state_since + timedelta(days=5)
    members = case.party_org.committee_members          # 9: 6 needed
    # Those present do not make the base: 6 for of 9 members, 7 present, decides.
    data = vote(on, members, 6) | {"present": 7, "votes_against": 1} | decision(on)
    step(case, "committee_admit", on, data)
    assert case.state == "admitted" and case.decision_on == on
    kinds = [v.kind for v in case.votes]
    assert VoteKind.committee in kinds
    assert "8-KNĐ" not in [d.form_code for d in case.documents]
    assert "9-KNĐ" in [d.form_code for d in case.documents]
    assert active(case).key == "ceremony"


def test_one_short_and_counting_only_those_present(world, db):
    case = authorised(case_in(world, "committee_review", start=D(2024, 6, 1)))
    on = case.state_since + timedelta(days=5)
    assert refused(case, "committee_admit", on, vote(on, 9, 5) | decision(on)) == (
        "The committee vote did not reach 2/3: 5 for of 9 entitled to vote.")
    # 5 of 7 present is 2/3 of those present, not of all 9 members.
    assert refused(case, "committee_admit", on, vote(on, 7, 5) | decision(on),
                   error=InvalidStepData) == "The committee has 9 members: count all of them."


def test_committee_size_must_be_known(world, db):
    case = authorised(case_in(world, "committee_review", start=D(2024, 6, 1)))
    case.party_org.committee_members = None
    on = case.state_since + timedelta(days=5)
    assert "Record the number of the committee's members" in refused(
        case, "committee_admit", on, vote(on, 9, 9) | decision(on))


def test_decision_not_before_the_meeting(world, db):
    case = authorised(case_in(world, "committee_review", start=D(2024, 6, 1)))
    on = case.state_since + timedelta(days=5)
    data = vote(on, 9, 9) | decision(on - timedelta(days=1))
    assert refused(case, "committee_admit", on - timedelta(days=1), data,
                   error=InvalidStepData) == "The meeting date cannot be after the step's date."


# --- the standing committee's vote on 9-KNĐ -------------------------------------------------

def test_admit_records_the_standing_committee_vote(world, db):
    case = case_in(world, "decision_pending", start=D(2024, 6, 1))
    on = case.state_since + timedelta(days=5)
    assert refused(case, "admit", on, decision(on) | vote(on, 9, 5, prefix="standing_")) == (
        "The standing committee vote did not reach 2/3: 5 for of 9 entitled to vote.")
    with pytest.raises(InvalidStepData):
        step(case, "admit", on, decision(on))
    step(case, "admit", on, decision(on) | vote(on, 9, 6, prefix="standing_"))
    standing = [v for v in case.votes if v.kind == VoteKind.standing_committee]
    assert [(v.eligible, v.votes_for) for v in standing] == [(9, 6)]


def test_standing_vote_after_the_decision_refused(world, db):
    case = case_in(world, "decision_pending", start=D(2024, 6, 1))
    on = case.state_since + timedelta(days=5)
    data = decision(on) | vote(on + timedelta(days=1), 9, 9, prefix="standing_")
    with pytest.raises((InvalidStepData, GuardFailed)):
        step(case, "admit", on + timedelta(days=1), data)


# --- the standing committee's vote on not admitting -----------------------------------------

@pytest.mark.parametrize("votes_for, declined", [(6, False), (5, True)])
def test_decline_records_the_standing_vote_short_of_two_thirds(world, db, votes_for, declined):
    """A vote reaching 2/3 admits (6 of 9): the body records the decision, not a refusal;
    one short (5 of 9), the case closes with the vote."""
    case = case_in(world, "decision_pending", start=D(2024, 6, 1))
    on = case.state_since + timedelta(days=5)
    data = vote(on, 9, votes_for, prefix="standing_")
    if not declined:
        assert refused(case, "decline", on, data, "Không đủ phiếu.") == (
            "The standing committee vote reached 2/3 (6 for of 9): record it as an approval.")
        return
    step(case, "decline", on, data, "Không đủ phiếu.")
    assert (case.state, case.closed_at_state) == ("rejected", "decision_pending")
    standing = [v for v in case.votes if v.kind == VoteKind.standing_committee]
    assert [(v.held_on, v.eligible, v.votes_for, v.votes_against) for v in standing] == [
        (on, 9, 5, 4)]


def test_decline_needs_the_vote_after_the_cells_resolution(world, db):
    case = case_in(world, "decision_pending", start=D(2024, 6, 1))
    on = case.state_since + timedelta(days=5)
    with pytest.raises(InvalidStepData):
        step(case, "decline", on, {}, "Không đủ phiếu.")
    before = case.cell_resolution_on - timedelta(days=1)
    assert refused(case, "decline", on, vote(before, 9, 3, prefix="standing_"),
                   "Không đủ phiếu.", error=InvalidStepData) == (
        "The standing committee cannot meet before the cell's resolution.")


def test_the_decline_form_shows_the_vote_and_its_outcome(world, db, app, auth, client):
    case = case_in(world, "decision_pending", start=TODAY - timedelta(days=200))
    db.session.commit()
    auth.login(world.users["competent_officer_a"].username)
    page = client.get(f"/cases/{case.id}")
    assert 'name="decline-standing_votes_for"' in page.text
    figures = {k: v.isoformat() if isinstance(v, date) else v
               for k, v in vote(TODAY, 9, 5, prefix="standing_").items()}
    fields = {"csrf_token": csrf_token(page.text), "version": case.version,
              "comment": "Không đủ phiếu.", "on": TODAY.isoformat(), **figures}
    shown = client.post(f"/cases/{case.id}/decline",
                        data={f"decline-{k}": v for k, v in fields.items()})
    assert shown.status_code == 200
    assert vi(app, "%(f)d/%(e)d in favour, below %(ratio)s (%(need)d needed)",
              f=5, e=9, ratio="2/3", need=6) in shown.text
    assert vi(app, "the competent body does not admit the candidate") in shown.text
