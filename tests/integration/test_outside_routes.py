"""Candidates outside a CĐCS (issue 11 item 8), each route at its boundaries: a worker of an
enterprise without a CĐCS introduced by the union above grassroots, a worker who is not a
union member introduced by two official Party members, and a re-admission under
294-QĐ/TW §3.5."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from referral_flow.cases.forms import IntroducersForm, UnionVoteForm, form_for
from referral_flow.demo_steps import introducers_letters, readmission_data, vote_data
from referral_flow.models import Case, Role, VoteKind
from referral_flow.security import can
from referral_flow.services.cases import open_draft
from referral_flow.services.transitions import fire
from referral_flow.workflow.calendar import add_months
from referral_flow.workflow.errors import GuardFailed, InvalidStepData
from referral_flow.workflow.rulesets import rule_set_on

from ..factories import TODAY, advance, member, user

START = TODAY - timedelta(days=200)


def draft(world, unit: str = "unit_a", **kw):
    return open_draft(member(world[unit], **kw), None, year=START.year, today=START,
                      check_permission=False)


def step(case, trigger: str, data: dict, actor=None, on: date = TODAY):
    return fire(case, trigger, actor, expected_version=case.version, data=data, on=on,
                today=TODAY, check_permission=actor is not None)


def refused(case, trigger: str, data: dict, error: type = GuardFailed, on: date = TODAY) -> str:
    state, version = case.state, case.version
    with pytest.raises(error) as exc:
        step(case, trigger, data, on=on)
    assert (case.state, case.version) == (state, version)
    with force_locale("en"):
        return str(exc.value)


# --- 1. the union above grassroots --------------------------------------------------------

@pytest.fixture
def upper(world, db):
    """upper_a receives its workers at the grassroots committee; its own chair."""
    world["upper_a"].receiving_party = world["committee_a"]
    world.users["upper_chair"] = user(Role.union_chair, world["upper_a"])
    db.session.flush()
    return world["upper_a"]


def test_the_upper_union_chair_nominates_a_worker_of_an_enterprise_without_a_cdcs(world, upper):
    case = draft(world, "upper_a", employer="Hộ kinh doanh Cơ khí An Phú")
    chair = world.users["upper_chair"]
    assert can(chair, "submit", case, TODAY)
    assert not can(world.users["union_chair_a"], "submit", case, TODAY)   # a CĐCS below
    step(case, "submit", vote_data(TODAY, 7, 5, number="NQ/CĐX"), actor=chair)
    assert case.state == "nominated" and case.party_org == world["committee_a"]
    assert case.latest_document("4A-KNĐ").issuer == upper.name


def test_a_worker_on_an_upper_roster_needs_his_employer(world, upper):
    case = draft(world, "upper_a")
    assert "name the employer" in refused(case, "submit", vote_data(TODAY, 7, 5))


def test_the_upper_union_counts_its_own_introductions_in_the_report(world, upper, db, auth,
                                                                     client, app):
    app.config["FROZEN_TODAY"] = TODAY
    advance(draft(world, "upper_a", employer="Cơ sở may Hòa Bình"), world, "nominated")
    advance(draft(world), world, "nominated")           # and one of its CĐCS
    world.users["federation_officer_a"].locale = "en"
    db.session.commit()
    auth.login(world.users["federation_officer_a"].username)
    page = client.get(f"/reports/achievement?year={TODAY.year}&node={upper.id}").text
    direct = re.search(r'<tr class="direct"><td>(.*?)</td>(.*?)</tr>', page, re.S)
    assert "Introduced directly (enterprises without a CĐCS)" in direct.group(1)
    assert re.search(r'data-col="introduced">1<', direct.group(2))
    totals = re.search(r'id="totals">(.*?)</table>', page, re.S).group(1)
    assert re.search(r'data-col="introduced">2<', totals)


# --- 2. not a union member: two official Party members -------------------------------------

def letter(issuer: str, months: int = 24, official: bool = True) -> dict:
    return {"form_code": "3-KNĐ", "issued_on": TODAY, "issuer": issuer, "official": official,
            "months_together": months}


def test_two_introducers_instead_of_the_union(world):
    case = draft(world, not_union_member=True)
    assert form_for("submit", False, case) is IntroducersForm
    chair = world.users["union_chair_a"]
    step(case, "submit", {"documents": introducers_letters(TODAY)}, actor=chair)
    assert case.state == "nominated" and case.latest_vote(VoteKind.union_committee) is None
    assert len(case.documents_of("3-KNĐ")) == 2 and not case.documents_of("4A-KNĐ")
    assert form_for("submit", False, case) is IntroducersForm      # its correction too


@pytest.mark.parametrize("letters", [
    [],
    [letter("Trần Văn Hùng")],
    [letter("Trần Văn Hùng"), letter("trần văn hùng")],          # one person twice
    [letter("Trần Văn Hùng"), letter("Lê Thị Hoa", months=11)],   # not 12 months together
    [letter("Trần Văn Hùng"), letter("Lê Thị Hoa", official=False)],
])
def test_fewer_than_two_qualifying_introducers_are_refused(world, letters):
    case = draft(world, not_union_member=True)
    assert "2 introducers' letters" in refused(case, "submit", {"documents": letters})


def test_a_union_vote_does_not_stand_in_for_the_letters_nor_letters_for_the_vote(world):
    outside = draft(world, not_union_member=True)
    assert "2 introducers' letters" in refused(outside, "submit", vote_data(TODAY, 9, 8))
    inside = draft(world)
    assert form_for("submit", False, inside) is UnionVoteForm
    refused(inside, "submit", {"documents": introducers_letters(TODAY)}, InvalidStepData)


def test_the_dossier_without_a_union_resolution(world):
    """No 4A-KNĐ is asked for; the cell meets on the two letters (and the rest)."""
    case = advance(draft(world, not_union_member=True), world, "committee_review",
                   start=START)
    assert case.state == "committee_review" and not case.documents_of("4A-KNĐ")


def test_the_rule_set_says_how_many_introducers(world, db):
    rules = rule_set_on(TODAY)
    rules.params = {**rules.params, "introducers_without_union": 1}
    db.session.flush()
    case = draft(world, not_union_member=True)
    step(case, "submit", {"documents": [letter("Trần Văn Hùng")]})
    assert case.state == "nominated"


def test_the_member_form_refuses_a_union_date_for_a_non_member(world, db, auth, client):
    chair = world.users["union_chair_a"]
    chair.locale = "en"
    db.session.commit()
    auth.login(chair.username)
    page = client.get("/members/new").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/members/new", data={
        "csrf_token": token, "full_name": "Phan Văn Lực", "date_of_birth": "1990-04-02",
        "gender": "male", "job": "Công nhân", "not_union_member": "y",
        "union_member_since": "2015-01-01"})
    assert response.status_code == 400
    assert "has no union membership date" in response.text


# --- 3. re-admission (294-QĐ/TW §3.5) --------------------------------------------------------

def former(**changes) -> dict:
    return readmission_data(TODAY) | changes


def test_a_readmission_is_recorded_then_nominated(world):
    case = draft(world)
    chair = world.users["union_chair_a"]
    step(case, "record_readmission", former(), actor=chair)
    assert case.state == "draft" and case.readmission and case.former_exit == "quit"
    step(case, "submit", vote_data(TODAY, 9, 8), actor=chair)
    assert case.state == "nominated"


@pytest.mark.parametrize("ground", ["abandoned", "quit_request", "disunity", "corruption",
                                    "serious_crime"])
def test_grounds_that_bar_readmission(world, ground):
    message = refused(draft(world), "record_readmission", former(former_exit_ground=ground))
    assert "is not re-admitted (294-QĐ/TW §3.5.2)" in message


def test_36_months_after_leaving(world):
    left = add_months(TODAY, -36)
    step(draft(world), "record_readmission", former(former_left_on=left))
    message = refused(draft(world), "record_readmission",
                      former(former_left_on=left + timedelta(days=1)))
    assert "at least 36 months after leaving the Party" in message


def test_60_months_after_a_cleared_conviction(world):
    conviction = {"former_exit_ground": "minor_conviction", "former_exit": "expelled"}
    refused(draft(world), "record_readmission", former(**conviction), InvalidStepData)
    cleared = add_months(TODAY, -60)
    step(draft(world), "record_readmission", former(**conviction, conviction_cleared_on=cleared))
    message = refused(draft(world), "record_readmission", former(
        **conviction, conviction_cleared_on=cleared + timedelta(days=1)))
    assert "60 months after the conviction was cleared" in message


def test_readmitted_once_only(world, db):
    assert "re-admitted only once" in refused(draft(world), "record_readmission",
                                              former(former_readmitted=True))
    first = draft(world)
    step(first, "record_readmission", former())
    first.decision_on, first.state = TODAY - timedelta(days=400), "official"
    db.session.flush()
    # a second case of the same person: refused at the record
    second = Case(member=first.member, union_unit=first.union_unit,
                  party_org=first.party_org, referral_year=TODAY.year, state="draft",
                  state_since=START)
    db.session.add(second)
    db.session.flush()
    assert "re-admitted only once" in refused(second, "record_readmission", former())


def test_readmission_facts_are_checked(world):
    case = draft(world)
    assert "cannot leave the Party before" in refused(
        case, "record_readmission", former(former_left_on=date(1990, 1, 1)), InvalidStepData)
    refused(case, "record_readmission", former(former_exit="vanished"), InvalidStepData)
    refused(case, "record_readmission", former(readmission_consent=""), InvalidStepData)
