"""The accept step picks its helpers from the roster: the guard's boundaries (not in the
host cell, left, probationary, not yet official, junk) and the picker on the case page
(official members of the open cells under the receiving organisation, grouped by cell;
a cell without a roster says how to add one)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from referral_flow.models import Case, PartyMember, PartyStatus
from referral_flow.services.transitions import fire
from referral_flow.workflow.errors import GuardFailed, InvalidStepData

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case, org, roster

ON = TODAY - timedelta(days=5)


@pytest.fixture
def nominated(world, db) -> Case:
    case = advance(new_case(world, start=TODAY - timedelta(days=60)), world, "nominated")
    db.session.commit()
    return case


def accept(case: Case, helpers, cell=None, world=None):
    cell_id = (cell or world["cell_a"]).id
    return fire(case, "accept", None, expected_version=case.version, on=ON, today=TODAY,
                data={"host_cell_id": cell_id, "helpers": helpers}, check_permission=False)


def refused(case: Case, helpers, world, error=GuardFailed, cell=None) -> str:
    with pytest.raises(error) as exc:
        accept(case, helpers, cell, world)
    assert (case.state, case.host_cell_id, case.helpers) == ("nominated", None, [])
    with force_locale("en"):
        return str(exc.value)


def test_official_members_of_the_host_cell_are_assigned_with_name_and_link(world, db,
                                                                          nominated):
    two = world.rosters["cell_a"][:2]
    accept(nominated, [str(two[0].id), two[1].id, two[0].id], world=world)    # repeated once
    assert nominated.state == "accepted"
    assert [(h.full_name, h.party_member_id) for h in nominated.helpers] == \
        [(p.full_name, p.id) for p in two]


def test_a_member_of_another_cell_is_refused(world, db, nominated):
    stranger = world.rosters["cell_b"][0]
    message = refused(nominated, [world.helper().id, stranger.id], world)
    assert message == f"{stranger.full_name} is not on the roster of the host cell CB-a."


def test_a_member_who_left_is_refused(world, db, nominated):
    gone = world.rosters["cell_a"][3]
    gone.left_on = ON + timedelta(days=2)        # even after the step's date: he has left
    db.session.flush()
    assert refused(nominated, [gone.id], world) == \
        f"{gone.full_name} left the cell on {gone.left_on:%d/%m/%Y}."


def test_a_probationary_member_is_refused(world, db, nominated):
    probationary = world.rosters["cell_a"][4]
    probationary.status = PartyStatus.probationary
    probationary.official_since = None
    db.session.flush()
    assert "is not an official Party member" in refused(nominated, [probationary.id], world)


@pytest.mark.parametrize("since, passes", [(ON, True), (ON + timedelta(days=1), False)])
def test_official_from_the_step_date_on(world, db, nominated, since, passes):
    person = world.helper()
    person.official_since = since
    db.session.flush()
    if passes:
        accept(nominated, [person.id], world=world)
        assert nominated.state == "accepted"
    else:
        assert "is not an official Party member" in refused(nominated, [person.id], world)


@pytest.mark.parametrize("helpers, error, message", [
    ([], GuardFailed, "Assign at least one official Party member"),
    (["", "  "], GuardFailed, "Assign at least one official Party member"),
    (["Lê Văn An"], InvalidStepData, "Choose the helpers from the official members"),
    (["²"], InvalidStepData, "Choose the helpers from the official members"),
    (["1" * 12], InvalidStepData, "Choose the helpers from the official members"),
    ({"id": 1}, InvalidStepData, "Choose the helpers from the official members"),
    ([999_999], GuardFailed, "#999999 is not on the roster of the host cell"),
])
def test_junk_helpers_are_refused_with_a_message(world, db, nominated, helpers, error,
                                                 message):
    assert message in refused(nominated, helpers, world, error)


def test_the_helper_must_be_in_the_chosen_cell_even_from_the_same_organisation(world, db):
    """A grassroots committee with two cells: a member of the other one is refused."""
    second = org("CB-a2", world["cell_a"].tree, world["cell_a"].kind,
                 parent=world["committee_a"], official_members=4)
    other = roster(second)[0]
    case = advance(new_case(world, start=TODAY - timedelta(days=60)), world, "nominated")
    assert "is not on the roster of the host cell CB-a." in refused(case, [other.id], world)
    accept(case, [other.id], cell=second, world=world)
    assert case.host_cell_id == second.id


# --- the picker on the case page ---------------------------------------------------------

OPTGROUP = re.compile(r'<optgroup label="([^"]+)">(.*?)</optgroup>', re.S)
OPTION = re.compile(r'<option[^>]*value="(\d+)"')


def _picker(client, case) -> dict[str, set[int]]:
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    select = re.search(r'<select[^>]*id="accept-helpers"[^>]*>(.*?)</select>', page.text, re.S)
    assert select and "multiple" in select.group(0)
    return {label: {int(i) for i in OPTION.findall(body)}
            for label, body in OPTGROUP.findall(select.group(1))}


def test_the_picker_offers_official_members_grouped_by_cell(world, db, auth, client,
                                                            nominated):
    cell = world["cell_a"]
    people = world.rosters["cell_a"]
    people[0].left_on = date(2026, 1, 5)
    people[1].status = PartyStatus.probationary
    people[1].official_since = None
    db.session.commit()
    auth.login(world.users["party_officer_a"].username)
    assert _picker(client, nominated) == {cell.name: {p.id for p in people[2:]}}


def test_a_cell_without_a_roster_says_how_to_add_its_members(world, db, auth, client,
                                                            nominated):
    bare = org("CB-a3", world["cell_a"].tree, world["cell_a"].kind,
               parent=world["committee_a"], official_members=7)
    db.session.commit()
    auth.login(world.users["party_officer_a"].username)
    page = client.get(f"/cases/{nominated.id}").text
    assert f'href="/party-members/cells/{bare.id}/new"' in page
    assert f'href="/party-members/cells/{world["cell_a"].id}/new"' not in page
    assert set(_picker(client, nominated)) == {world["cell_a"].name}


def test_an_empty_choice_is_refused_by_the_form_in_vietnamese(world, db, auth, client,
                                                              nominated):
    auth.login(world.users["party_officer_a"].username)
    token = csrf_token(client.get(f"/cases/{nominated.id}").text)
    response = client.post(f"/cases/{nominated.id}/accept", data={
        "accept-csrf_token": token, "accept-version": nominated.version,
        "accept-host_cell_id": world["cell_a"].id})
    assert response.status_code == 400
    assert "Hãy chọn ít nhất một đảng viên giúp đỡ." in response.text
    db.session.expire_all()
    assert db.session.get(Case, nominated.id).state == "nominated"
    assert not db.session.query(PartyMember).filter(PartyMember.member_id.is_not(None)).count()
