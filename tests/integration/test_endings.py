"""Recognition's endings and the endings during the process (issue 11 items 6 and 7): the
cell's resolution proposing removal (2/3), the undecided votes that send a case up after the
rule set's number (29/24-QĐ/TW §4.2c), and death, leaving, withdrawal after the decision and
removal for discipline, each its own state, counted apart in the cohort."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from referral_flow.demo import PATHS
from referral_flow.demo_steps import earliest_on, step_data
from referral_flow.models import PartyMember, VoteKind
from referral_flow.reports.queries import ENDS, cohort_table
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.errors import InvalidStepData, NotAvailable, WorkflowError
from referral_flow.workflow.guards import undecided_votes
from referral_flow.workflow.rulesets import rule_set_on
from referral_flow.workflow.states import DECIDED, FINAL, OPEN
from referral_flow.workflow.transitions import BY_TRIGGER, WITH_CELL

from ..factories import TODAY, advance, new_case
from .test_guards import refused, step, vote

START = TODAY - timedelta(days=900)


def in_probation(world, unit: str = "unit"):
    """A probationer of the cell of 9 official members (6 in the grassroots cell), whose
    probation is over."""
    case = advance(new_case(world, unit=unit, start=START), world, "probation")
    return case, earliest_on("propose_removal", case, case.state_since + timedelta(days=5))


def undecided(on: date, eligible: int, for_recognition: int, for_removal: int) -> dict:
    return vote(on, eligible, for_recognition) | {"votes_against": for_removal}


# --- the cell's resolution proposing removal ------------------------------------------------

@pytest.mark.parametrize("votes_for, passes", [(6, True), (5, False), (9, True)])
def test_removal_needs_two_thirds_of_the_cells_official_members(world, db, votes_for, passes):
    case, on = in_probation(world)
    data = vote(on, 9, votes_for)
    if not passes:
        assert refused(case, "propose_removal", on, data, "Không hoàn thành nhiệm vụ.") == (
            "The vote for removal did not reach 2/3: 5 for of 9 entitled to vote.")
        return
    step(case, "propose_removal", on, data, "Không hoàn thành nhiệm vụ.")
    assert case.state == "removal_review" and case.recognition_cell_on == on
    assert case.latest_vote(VoteKind.removal_cell).votes_for == votes_for


def test_removal_is_proposed_after_probation_with_a_reason(world, db):
    case, on = in_probation(world)
    early = case.probation_ends_on - timedelta(days=1)
    assert refused(case, "propose_removal", early, vote(early, 9, 9), "Lý do.").startswith(
        "The probation ends on")
    assert refused(case, "propose_removal", on, vote(on, 9, 9), "",
                   error=InvalidStepData) == "Give the reason."


@pytest.mark.parametrize("trigger, dest", [("remove", "removed"), ("recognise", "official")])
def test_the_competent_body_removes_or_recognises_after_the_cells_proposal(
        world, db, trigger, dest):
    case, on = in_probation(world)
    step(case, "propose_removal", on, vote(on, 9, 7), "Không hoàn thành nhiệm vụ.")
    later = on + timedelta(days=10)
    data, comment = step_data(trigger, case, later, world.cells)
    step(case, trigger, later, data, comment)
    assert case.state == dest and case.closed_on == later
    if dest == "removed":
        assert case.closed_at_state == "removal_review"
        left = db.session.scalars(select(PartyMember).where(
            PartyMember.member_id == case.member_id)).one()
        assert left.left_on == later


@pytest.mark.parametrize("votes_for, removes", [(10, True), (9, False)])
def test_the_competent_body_removes_with_two_thirds_of_its_committee(world, db, votes_for,
                                                                     removes):
    """The bloc's committee of 15: 10 for removal is exactly 2/3; 9 is one short."""
    case, on = in_probation(world)
    step(case, "propose_removal", on, vote(on, 9, 7), "Không hoàn thành nhiệm vụ.")
    later = on + timedelta(days=10)
    data = vote(later, 15, votes_for, prefix="committee_")
    if not removes:
        assert refused(case, "remove", later, data, "Xóa tên.") == (
            "The committee vote did not reach 2/3: 9 for of 15 entitled to vote.")
        return
    step(case, "remove", later, data, "Xóa tên.")
    removal = case.latest_vote(VoteKind.removal_decision)
    assert (case.state, removal.held_on, removal.eligible, removal.votes_for) == (
        "removed", later, 15, 10)


def test_the_removal_vote_counts_the_whole_committee_after_the_cell(world, db):
    case, on = in_probation(world)
    step(case, "propose_removal", on, vote(on, 9, 7), "Không hoàn thành nhiệm vụ.")
    later = on + timedelta(days=10)
    assert refused(case, "remove", later, vote(later, 9, 9, prefix="committee_"), "Xóa tên.",
                   error=InvalidStepData) == "The committee has 15 members: count all of them."
    early = on - timedelta(days=1)
    assert refused(case, "remove", later, vote(early, 15, 15, prefix="committee_"), "Xóa tên.",
                   error=InvalidStepData) == (
        "The committee cannot meet before the cell's resolution.")


def test_probation_no_longer_ends_by_one_click(world, db):
    case, on = in_probation(world)
    with pytest.raises(NotAvailable):
        step(case, "remove", on, {}, "Lý do.")


# --- undecided votes and the body above -----------------------------------------------------

def test_the_third_undecided_vote_sends_the_case_up(world, db):
    assert rule_set_on(TODAY)["recognition_undecided_votes"] == 3
    case, on = in_probation(world)
    for n in (1, 2):
        step(case, "record_undecided", on, undecided(on, 9, 5, 3))
        assert (case.state, undecided_votes(case)) == ("probation", n)
        assert case.recognition_cell_on is None         # the cell must still meet again
        on += timedelta(days=20)
    step(case, "record_undecided", on, undecided(on, 9, 5, 3))
    assert (case.state, undecided_votes(case), case.recognition_cell_on) == (
        "referred_up", 3, on)
    later = on + timedelta(days=10)
    step(case, "remove", later, step_data("remove", case, later, world.cells)[0],
         "Cấp trên quyết định xóa tên.")
    assert case.state == "removed"


def test_the_number_of_undecided_votes_is_the_rule_sets(world, db):
    rules = rule_set_on(START)
    for rule_set in {rule_set_on(d) for d in (START, TODAY)} | {rules}:
        rule_set.params = {**rule_set.params, "recognition_undecided_votes": 1}
    db.session.flush()
    case, on = in_probation(world)
    step(case, "record_undecided", on, undecided(on, 9, 0, 0))
    assert case.state == "referred_up"


@pytest.mark.parametrize("for_recognition, for_removal, message", [
    (6, 0, "The vote reached 2/3 for recognition (6 of 9): record the cell's recognition "
           "resolution."),
    (0, 6, "The vote reached 2/3 for removal (6 of 9): record the cell's resolution proposing "
           "removal."),
])
def test_an_undecided_vote_reaches_neither_two_thirds(world, db, for_recognition, for_removal,
                                                      message):
    case, on = in_probation(world)
    assert refused(case, "record_undecided", on,
                   undecided(on, 9, for_recognition, for_removal)) == message
    step(case, "record_undecided", on, undecided(on, 9, 5, 3))      # one short of each
    assert undecided_votes(case) == 1


# --- endings --------------------------------------------------------------------------------

ENDINGS = {"record_death": "deceased", "record_leaving": "left",
           "record_resignation": "resigned", "remove_for_discipline": "disciplined"}


def test_endings_leave_from_the_states_the_specification_says():
    assert set(BY_TRIGGER["record_death"][0].source) == set(WITH_CELL)
    assert {"draft", "nominated"} & set(WITH_CELL) == set()
    assert set(DECIDED) >= {"admitted", "probation", "recognition_review", "removal_review",
                            "referred_up"}
    assert not set(DECIDED) & FINAL and set(DECIDED) <= OPEN
    for trigger in ("record_leaving", "record_resignation", "remove_for_discipline"):
        assert set(BY_TRIGGER[trigger][0].source) == set(DECIDED)
    assert set(ENDINGS.values()) <= set(ENDS)


def _allowed_and_refused():
    for trigger, dest in ENDINGS.items():
        source = set(BY_TRIGGER[trigger][0].source)
        for state in ("nominated", "dossier", "decision_pending", "admitted", "probation",
                      "recognition_review", "removal_review", "referred_up", "official"):
            yield trigger, dest, state, state in source


@pytest.mark.parametrize("trigger, dest, state, allowed", list(_allowed_and_refused()))
def test_each_ending_from_allowed_and_refused_states(world, db, trigger, dest, state, allowed):
    case = advance(new_case(world, start=START), world, state)
    on = earliest_on(trigger, case, case.state_since + timedelta(days=3))
    data, comment = step_data(trigger, case, on, world.cells)
    if not allowed:
        with pytest.raises(NotAvailable):
            step(case, trigger, on, data, comment)
        return
    step(case, trigger, on, data, comment)
    assert (case.state, case.closed_on, case.closed_at_state) == (dest, on, state)
    if case.ceremony_on:        # a probationer leaves the cell's roster that day
        listed = db.session.scalars(select(PartyMember).where(
            PartyMember.member_id == case.member_id)).one()
        assert listed.left_on == on


def test_death_needs_its_date_and_discipline_its_decision(world, db):
    case, on = in_probation(world)
    assert refused(case, "record_death", on, {},
                   error=InvalidStepData) == "Date of death is required."
    assert "Decision number" in refused(case, "remove_for_discipline", on,
                                        {"decision_on": on}, "Vi phạm.", error=InvalidStepData)
    with pytest.raises(WorkflowError):       # no death dated in the future
        step(case, "record_death", on, {"died_on": TODAY + timedelta(days=1)})
    step(case, "record_death", TODAY, {"died_on": on})
    assert (case.state, case.closed_on) == ("deceased", on)


def test_the_cohort_counts_each_ending_apart(world, db):
    for state in ("deceased", "left", "resigned", "disciplined", "removed", "withdrawn"):
        advance(new_case(world, start=START), world, state)
    advance(new_case(world, start=START), world, "deceased")
    db.session.commit()
    officer = world.users["federation_officer_a"]
    _size, _rows, ends = cohort_table(officer, TODAY, START.year, world["federation"],
                                      load_calendar())
    assert {s: ends[s] for s in ("deceased", "left", "resigned", "disciplined", "removed",
                                 "withdrawn")} == {
        "deceased": 2, "left": 1, "resigned": 1, "disciplined": 1, "removed": 1, "withdrawn": 1}


def test_demo_paths_reach_the_new_states():
    assert PATHS["referred_up"][-3:] == ["record_undecided"] * 3
    assert PATHS["removed"][-2:] == ["propose_removal", "remove"]


def test_the_case_page_counts_the_undecided_votes_and_offers_the_cells_three_votes(
        world, db, auth, client):
    case, on = in_probation(world)
    step(case, "record_undecided", on, undecided(on, 9, 5, 3))
    secretary = world.users["cell_secretary_a"]
    secretary.locale = "en"
    db.session.commit()
    auth.login(secretary.username)
    page = client.get(f"/cases/{case.id}").text
    assert "Cell votes reaching neither 2/3 (recognition, removal)</dt><dd>1</dd>" in page
    for label in ("Record the cell's resolution proposing removal",
                  "Record a vote reaching neither recognition nor removal",
                  "Official members in favour of removal", "Official members for recognition",
                  "Record the candidate's death"):
        assert label in page, label


def test_the_removal_form_asks_for_the_competent_committees_vote(world, db, auth, client):
    case, on = in_probation(world)
    step(case, "propose_removal", on, vote(on, 9, 7), "Không hoàn thành nhiệm vụ.")
    officer = world.users["competent_officer_a"]
    officer.locale = "en"
    db.session.commit()
    auth.login(officer.username)
    page = client.get(f"/cases/{case.id}").text
    for text in ("Committee members in favour of removal",
                 "At least 2/3 in favour needed: 10 of 15."):
        assert text in page, text
    field = re.search(r'<input[^>]*name="remove-committee_eligible"[^>]*>', page).group(0)
    assert 'value="15"' in field            # the competent body's committee, filled in
