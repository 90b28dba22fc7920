"""Every guard at its boundaries, through the real transition service.

Cases are built with the factories and moved with ``fire`` (permissions off), each
step dated so that the boundary falls exactly on the day under test. Refusals are
read in English (``force_locale``) and must name the fact that failed.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from referral_flow.extensions import db as _db
from referral_flow.models import AuditEvent, Case, HolidayOverride, RuleSet
from referral_flow.services.cases import open_draft
from referral_flow.services.deadlines import deadlines
from referral_flow.services.transitions import fire
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.errors import GuardFailed, InvalidStepData
from referral_flow.workflow.rulesets import rule_set_on

from referral_flow.demo_steps import MISSING, background_check, earliest_on, step_data

from ..factories import TODAY, advance, new_case

D = date


# --- helpers -----------------------------------------------------------------------------

def step(case: Case, trigger: str, on: date, data: dict | None = None, comment: str = "") -> Case:
    return fire(case, trigger, None, expected_version=case.version, data=data or {},
                comment=comment, on=on, today=TODAY, check_permission=False)


def refused(case: Case, trigger: str, on: date, data: dict | None = None, comment: str = "",
            error: type = GuardFailed) -> str:
    """Fire a step that must be refused; return the refusal in English."""
    state, version = case.state, case.version
    with pytest.raises(error) as exc:
        step(case, trigger, on, data, comment)
    assert (case.state, case.version) == (state, version)
    with force_locale("en"):
        return str(exc.value)


def vote(on: date, eligible: int, votes_for: int, prefix: str = "", **extra) -> dict:
    return {f"{prefix}held_on": on, f"{prefix}eligible": eligible, f"{prefix}present": eligible,
            f"{prefix}votes_for": votes_for, f"{prefix}votes_against": eligible - votes_for,
            f"{prefix}resolution_no": f"NQ-{on:%d%m%y}", **extra}


def case_in(world, state: str, *, start: date = date(2025, 6, 1), **kw) -> Case:
    """A case moved to ``state`` along the demo path, steps 10 days apart from ``start``."""
    return advance(new_case(world, start=start, **kw), world, state)


def last_event(case: Case) -> AuditEvent:
    return _db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                               .order_by(AuditEvent.id.desc()).limit(1)).one()


def documents(on: date, changes: dict | None = None) -> list[dict]:
    """A complete dossier dated ``on``; ``changes`` maps a form to None (drop it) or to
    fields that replace the defaults."""
    docs = {
        "1-KNĐ": {"issued_on": on},
        "2-KNĐ": {"issued_on": on, "verified": True},
        "3-KNĐ": {"issued_on": on, "issuer": "Trần Văn Hùng", "official": True,
                  "months_together": 24},
        "5-KNĐ": {"issued_on": on, "issuer": "Chi ủy"},
    }
    for form, change in (changes or {}).items():
        if change is None:
            del docs[form]
        else:
            docs[form] |= change
    return [{"form_code": form, **fields} for form, fields in docs.items()]


# --- cell and committee votes -------------------------------------------------------------

CELL_VOTE_ON = D(2026, 3, 16)


@pytest.mark.parametrize("official, eligible, votes_for, passes", [
    (9, 9, 6, True),       # 6/9 = 2/3 exactly
    (9, 8, 5, False),      # 5/8 < 2/3 (15 < 16)
    (3, 3, 2, True),       # 2/3 exactly
    (3, 2, 1, False),      # 1/2 < 2/3; absent members are not counted
    (9, 9, 5, False),
    (9, 9, 9, True),
])
def test_cell_vote_two_thirds_in_exact_arithmetic(world, db, official, eligible, votes_for,
                                                  passes):
    case = case_in(world, "cell_review")
    case.host_cell.official_members = official
    db.session.flush()
    data = vote(CELL_VOTE_ON, eligible, votes_for)
    if passes:
        step(case, "cell_approve", CELL_VOTE_ON, data)
        assert case.state == "committee_review"
        assert case.cell_resolution_on == CELL_VOTE_ON
    else:
        message = refused(case, "cell_approve", CELL_VOTE_ON, data)
        assert f"did not reach 2/3: {votes_for} for of {eligible}" in message


def test_cell_with_fewer_than_three_official_members(world, db):
    case = case_in(world, "cell_review")
    case.host_cell.official_members = 2
    db.session.flush()
    message = refused(case, "cell_approve", CELL_VOTE_ON, vote(CELL_VOTE_ON, 2, 2))
    assert "fewer than 3 official members" in message


def test_cell_vote_cannot_count_more_members_than_the_cell_has(world, db):
    case = case_in(world, "cell_review")
    message = refused(case, "cell_approve", CELL_VOTE_ON, vote(CELL_VOTE_ON, 10, 10),
                      error=InvalidStepData)
    assert "only 9 official members" in message


@pytest.mark.parametrize("votes_for, passes", [(5, True), (6, False)])
def test_cell_reject_needs_a_failed_vote(world, db, votes_for, passes):
    case = case_in(world, "cell_review")
    data, reason = vote(CELL_VOTE_ON, 9, votes_for), "Chưa đủ 2/3."
    if passes:
        step(case, "cell_reject", CELL_VOTE_ON, data, reason)
        assert (case.state, case.closed_at_state, case.close_reason) == (
            "rejected", "cell_review", reason)
    else:
        message = refused(case, "cell_reject", CELL_VOTE_ON, data, reason)
        assert "reached 2/3" in message and "record it as an approval" in message


@pytest.mark.parametrize("trigger, votes_for, dest", [
    ("committee_approve", 6, "decision_pending"),
    ("committee_approve", 5, None),
    ("committee_reject", 5, "rejected"),
    ("committee_reject", 6, None),
])
def test_committee_vote_two_thirds(world, db, trigger, votes_for, dest):
    case = case_in(world, "committee_review")
    assert case.party_org.committee_members == 9
    on = case.state_since
    data, reason = vote(on, 9, votes_for), "Lý do."
    if dest:
        step(case, trigger, on, data, reason)
        assert case.state == dest
    else:
        message = refused(case, trigger, on, data, reason)
        expected = ("did not reach 2/3: 5 for of 9" if trigger == "committee_approve"
                    else "committee vote reached 2/3")
        assert expected in message


def test_committee_vote_counts_every_member(world, db):
    case = case_in(world, "committee_review")
    message = refused(case, "committee_approve", case.state_since,
                      vote(case.state_since, 8, 8), error=InvalidStepData)
    assert "The committee has 9 members" in message


# --- age at the cell vote -------------------------------------------------------------------

@pytest.mark.parametrize("born, approval, failure", [
    (D(2008, 3, 16), "", None),                 # 18 years 0 months on the day
    (D(2008, 3, 17), "", "under 18 years old"),  # one day short of 18
    (D(1966, 3, 16), "", None),                 # 60 years 0 months
    (D(1966, 2, 17), "", None),                 # 60 years, 0 months and 28 days
    (D(1966, 2, 16), "", "over 60 years old"),   # 60 years and 1 month
    (D(1966, 2, 16), "CV 45-CV/TU", None),      # ... with the provincial approval
])
def test_age_at_the_cell_vote_in_months(world, db, born, approval, failure):
    case = case_in(world, "cell_review", born=born)
    data = vote(CELL_VOTE_ON, 9, 9, over_age_approval=approval)
    if failure is None:
        step(case, "cell_approve", CELL_VOTE_ON, data)
        assert case.state == "committee_review"
    else:
        assert failure in refused(case, "cell_approve", CELL_VOTE_ON, data)


# --- certificate validity -------------------------------------------------------------------

CERT_VOTE_ON = D(2026, 6, 15)


@pytest.mark.parametrize("issued_on, valid", [
    (D(2021, 6, 15), True),      # exactly 60 months before the vote
    (D(2021, 6, 14), False),     # 60 months and one day
    (D(2021, 6, 16), True),      # 60 months less one day
])
def test_certificate_valid_60_months_at_the_cell_vote(world, db, issued_on, valid):
    case = case_in(world, "accepted", start=D(2025, 7, 1))
    on = case.state_since
    for trigger, data in [
        ("skip_class", {"certificate_no": "GCN-1", "certificate_issuer": "Trung tâm",
                        "certificate_on": issued_on}),
        ("open_dossier", {"documents": documents(on)}),
        ("send_to_cell", {}),
    ]:
        if trigger == "send_to_cell":
            background_check(case, on)
        step(case, trigger, on, data)
    data = vote(CERT_VOTE_ON, 9, 9)
    if valid:
        step(case, "cell_approve", CERT_VOTE_ON, data)
        assert case.state == "committee_review"
    else:
        message = refused(case, "cell_approve", CERT_VOTE_ON, data)
        assert f"certificate of {issued_on:%d/%m/%Y} is older than 60 months" in message


def test_skip_class_refuses_an_expired_certificate(world, db):
    case = case_in(world, "accepted", start=D(2025, 7, 1))
    message = refused(case, "skip_class", D(2025, 8, 1), {
        "certificate_no": "GCN-1", "certificate_issuer": "Trung tâm",
        "certificate_on": D(2020, 7, 31)})
    assert "older than 60 months" in message


# --- dossier ------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, failure", [
    ({}, None),
    ({"1-KNĐ": None}, "lacks the Application for Party membership (1-KNĐ)"),
    ({"5-KNĐ": None}, "lacks the Comments of the organisations"),
    ({"2-KNĐ": {"verified": False}}, "personal history (2-KNĐ) has not been verified"),
    ({"3-KNĐ": {"official": False}}, "introducer must be an official Party member"),
    ({"3-KNĐ": {"months_together": 11}}, "for at least 12 months"),
    ({"3-KNĐ": {"months_together": 12}}, None),
])
def test_dossier_complete_at_send_to_cell(world, db, changes, failure):
    case = case_in(world, "certified")
    on = case.state_since
    step(case, "open_dossier", on, {"documents": documents(on, changes)})
    background_check(case, on)
    if failure is None:
        step(case, "send_to_cell", on)
        assert case.state == "cell_review"
    else:
        assert failure in refused(case, "send_to_cell", on)


@pytest.mark.parametrize("send_on, fresh", [
    (D(2026, 5, 20), True),      # the 3-KNĐ of 20/05/2025 is exactly 12 months old
    (D(2026, 5, 21), False),     # one day more
])
def test_introducer_letter_older_than_12_months(world, db, send_on, fresh):
    case = case_in(world, "certified")
    changes = {"3-KNĐ": {"issued_on": D(2025, 5, 20)}}
    step(case, "open_dossier", case.state_since,
         {"documents": documents(case.state_since, changes)})
    background_check(case, case.state_since)
    if fresh:
        step(case, "send_to_cell", send_on)
        assert case.state == "cell_review"
    else:
        message = refused(case, "send_to_cell", send_on)
        assert "Introducer's letter (3-KNĐ) is older than 12 months" in message


# --- reasons ---------------------------------------------------------------------------------

def failed_cell_vote(on):
    return vote(on, 9, 5)


DEMO = "the demo's data for the step"      # the vote of the case's own bodies


@pytest.mark.parametrize("state, trigger, dest, data", [
    ("nominated", "return_to_union", "draft", None),
    ("in_class", "fail_class", "accepted", None),
    ("cell_review", "cell_defer", "dossier", None),
    ("cell_review", "cell_reject", "rejected", failed_cell_vote),
    ("committee_review", "committee_return", "dossier", lambda on: dict(MISSING)),
    ("decision_pending", "return_dossier", "dossier", lambda on: dict(MISSING)),
    ("committee_review", "committee_reject", "rejected", failed_cell_vote),
    ("decision_pending", "decline", "rejected", DEMO),
    ("decision_pending", "extend_decision", "decision_pending", None),
    ("accepted", "withdraw", "withdrawn", None),
    ("decision_pending", "withdraw_self", "withdrawn", None),
    ("removal_review", "remove", "removed", DEMO),
    ("probation", "record_leaving", "left", None),
    ("admitted", "record_resignation", "resigned", None),
])
def test_reason_is_mandatory(world, db, state, trigger, dest, data):
    case = case_in(world, state, start=D(2024, 6, 1))
    on = earliest_on(trigger, case, case.state_since)     # a class's last day, probation's end
    data = step_data(trigger, case, on, [])[0] if data == DEMO else data(on) if data else {}
    for blank in ("", "   "):
        assert refused(case, trigger, on, data, blank, error=InvalidStepData) == (
            "Give the reason.")
    step(case, trigger, on, data, "  Lý do cụ thể.  ")
    assert case.state == dest
    event = last_event(case)
    assert (event.trigger, event.from_state, event.to_state, event.comment) == (
        trigger, state, dest, "Lý do cụ thể.")


# --- submit -----------------------------------------------------------------------------

SUBMIT_ON = D(2025, 6, 11)


def submit_vote():
    return vote(SUBMIT_ON, 9, 8)


def test_submit_member_not_in_the_unit(world, db):
    case = new_case(world, start=D(2025, 6, 1))
    case.member.unit = world["unit_b"]
    db.session.flush()
    message = refused(case, "submit", SUBMIT_ON, submit_vote())
    assert "does not belong to the nominating union unit" in message


def test_submit_second_open_case_for_the_same_person(world, db):
    first = new_case(world, start=D(2025, 6, 1))
    with pytest.raises(GuardFailed) as exc:
        open_draft(first.member, None, today=D(2025, 6, 1), check_permission=False)
    with force_locale("en"):
        assert "already has an open referral" in str(exc.value)
    # A second draft that slipped in (an import, two chairs at once) cannot be submitted
    # while the first is open beyond the draft.
    second = Case(member=first.member, union_unit=first.union_unit,
                  party_org_id=first.party_org_id, referral_year=2025, state="draft",
                  state_since=D(2025, 6, 1))
    db.session.add(second)
    db.session.flush()
    step(first, "submit", SUBMIT_ON, submit_vote())
    assert "already has an open referral" in refused(second, "submit", SUBMIT_ON,
                                                     submit_vote())


@pytest.mark.parametrize("youth_union, born, failure", [
    (True, D(1994, 6, 12), "is 30, of youth age"),    # 30 years 11 months on the day
    (True, D(1994, 6, 11), None),                      # 31 years
    (False, D(2000, 1, 1), None),                      # 25, but no Youth Union
])
def test_submit_youth_route(world, db, youth_union, born, failure):
    world["unit_a"].has_youth_union = youth_union
    db.session.flush()
    case = new_case(world, born=born, start=D(2025, 6, 1))
    if failure is None:
        step(case, "submit", SUBMIT_ON, submit_vote())
        assert case.state == "nominated"
    else:
        assert failure in refused(case, "submit", SUBMIT_ON, submit_vote())


# --- decision and ceremony -------------------------------------------------------------------

@pytest.mark.parametrize("decision_on, received_on, ceremony_on, approval, due", [
    (D(2026, 1, 30), D(2026, 1, 30), D(2026, 3, 20), "", None),    # the 30th working day
    (D(2026, 1, 30), D(2026, 1, 30), D(2026, 3, 23), "", "20/03/2026"),
    (D(2026, 1, 30), D(2026, 1, 30), D(2026, 3, 23), "CV 7-CV/ĐUK", None),
    (D(2026, 1, 20), D(2026, 1, 30), D(2026, 3, 20), "", None),    # counted from receipt
    (D(2026, 1, 20), None, D(2026, 3, 10), "", None),              # or from the decision
    (D(2026, 1, 20), None, D(2026, 3, 11), "", "10/03/2026"),
])
def test_ceremony_within_30_working_days(world, db, decision_on, received_on, ceremony_on,
                                         approval, due):
    case = case_in(world, "decision_pending", start=D(2025, 10, 1))
    step(case, "admit", received_on or decision_on,
         {"decision_no": "QĐ-1", "decision_on": decision_on, "received_on": received_on}
         | vote(decision_on, 7, 5, prefix="standing_"))
    data = {"ceremony_on": ceremony_on, "late_approval": approval}
    if due is None:
        step(case, "hold_ceremony", ceremony_on, data)
        assert case.state == "probation"
        assert case.probation_ends_on == ceremony_on.replace(year=ceremony_on.year + 1)
    else:
        message = refused(case, "hold_ceremony", ceremony_on, data)
        assert f"later than 30 working days after the decision was received (due {due})" \
            in message


def test_decision_extended_only_once(world, db):
    case = case_in(world, "decision_pending")
    on = case.state_since
    step(case, "extend_decision", on, comment="Chờ xác minh lý lịch.")
    assert (case.state, case.decision_extended) == ("decision_pending", True)
    message = refused(case, "extend_decision", on, comment="Lần nữa.")
    assert "already been extended once" in message


# --- deadlines ---------------------------------------------------------------------------

def decision_case(world, extended: bool) -> Case:
    """Cell resolution on Thu 20 Nov 2025: 60 working days later is Fri 13 Feb 2026, the
    last working day before Tết; 90 is Fri 3 Apr 2026."""
    case = case_in(world, "cell_review", start=D(2025, 7, 1))
    step(case, "cell_approve", D(2025, 11, 20), vote(D(2025, 11, 20), 9, 9))
    step(case, "committee_approve", D(2025, 11, 25), vote(D(2025, 11, 25), 9, 9))
    if extended:
        step(case, "extend_decision", D(2026, 2, 2), comment="Chờ thẩm tra.")
    return case


@pytest.mark.parametrize("extended, today, due, overdue_by", [
    (False, D(2026, 2, 13), D(2026, 2, 13), 0),     # due today
    (False, D(2026, 2, 20), D(2026, 2, 13), 0),     # a week later, but Tết: no working day
    (False, D(2026, 2, 24), D(2026, 2, 13), 2),     # Mon 23 and Tue 24
    (True, D(2026, 2, 24), D(2026, 4, 3), 0),
    (True, D(2026, 4, 7), D(2026, 4, 3), 2),        # Mon 6 and Tue 7 April
])
def test_decision_deadline_in_working_days(world, db, extended, today, due, overdue_by):
    case = decision_case(world, extended)
    found = {d.key: d for d in deadlines(case, load_calendar(), today)}
    assert (found["decision"].due, found["decision"].active, found["decision"].overdue_by) == (
        due, True, overdue_by)


def test_decision_deadline_follows_holiday_overrides(world, db):
    case = decision_case(world, extended=False)
    db.session.add(HolidayOverride(day=D(2026, 2, 13), day_off=True))
    db.session.flush()
    decision = deadlines(case, load_calendar(), D(2026, 2, 24))[0]
    assert (decision.key, decision.due, decision.overdue_by) == ("decision", D(2026, 2, 23), 1)


# --- rule sets by the step's date --------------------------------------------------------------

@pytest.mark.parametrize("on, code", [
    (D(2025, 1, 19), "24-QĐ/TW"),
    (D(2025, 1, 20), "232-QĐ/TW"),
    (D(2025, 6, 30), "232-QĐ/TW"),
    (D(2025, 7, 1), "294-QĐ/TW"),
])
def test_step_records_the_rule_set_in_force_on_its_date(world, db, on, code):
    case = new_case(world, start=D(2024, 12, 1))
    step(case, "submit", on, vote(on, 9, 8))
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.trigger == "submit")).one()
    assert event.rule_set == code


def add_three_quarters_rule_set(db, effective_from: date) -> RuleSet:
    base = rule_set_on(effective_from)
    rules = RuleSet(code="TEST-3/4", title="A stricter cell vote", effective_from=effective_from,
                    params={**base.params, "cell_vote": {"num": 3, "den": 4, "strict": False}})
    db.session.add(rules)
    db.session.flush()
    return rules


@pytest.mark.parametrize("new_rules, on, votes_for, eligible, code", [
    (False, D(2026, 3, 2), 6, 9, "294-QĐ/TW"),     # 6/9 = 2/3: enough under 294-QĐ/TW
    (True, D(2026, 2, 28), 6, 9, "294-QĐ/TW"),     # before the new set: still 2/3
    (True, D(2026, 3, 1), 6, 9, None),             # from its first day: 6/9 < 3/4
    (True, D(2026, 3, 2), 2, 3, None),
    (True, D(2026, 3, 2), 3, 4, "TEST-3/4"),       # 3/4 exactly
])
def test_a_new_rule_set_changes_the_threshold_from_its_date(world, db, new_rules, on,
                                                             votes_for, eligible, code):
    case = case_in(world, "cell_review", start=D(2025, 10, 1))
    if new_rules:
        add_three_quarters_rule_set(db, D(2026, 3, 1))
    data = vote(on, eligible, votes_for)
    if code:
        step(case, "cell_approve", on, data)
        assert case.state == "committee_review"
        assert last_event(case).rule_set == code
    else:
        message = refused(case, "cell_approve", on, data)
        assert f"{votes_for} for of {eligible}" in message


# --- a step dated by its own date -----------------------------------------------------------

@pytest.mark.parametrize("meeting_on, recorded_on, code", [
    (D(2026, 2, 27), D(2026, 3, 10), "294-QĐ/TW"),   # typed after the new set: the meeting's
    (D(2026, 3, 2), D(2026, 3, 10), None),           # set judges it (6/9 < 3/4 from 1 March)
])
def test_a_vote_is_judged_by_the_rule_set_of_the_meeting_not_of_the_recording(
        world, db, meeting_on, recorded_on, code):
    case = case_in(world, "cell_review", start=D(2025, 10, 1))
    add_three_quarters_rule_set(db, D(2026, 3, 1))
    data = vote(meeting_on, 9, 6)
    if code:
        step(case, "cell_approve", recorded_on, data)
        assert (case.state, case.state_since, last_event(case).rule_set) == (
            "committee_review", meeting_on, code)
        assert last_event(case).step_on == meeting_on
    else:
        assert "6 for of 9" in refused(case, "cell_approve", recorded_on, data)


@pytest.mark.parametrize("days_after_entering, refused_", [(-1, True), (0, False)])
def test_a_meeting_cannot_precede_the_day_the_case_entered_its_step(world, db,
                                                                    days_after_entering,
                                                                    refused_):
    case = case_in(world, "cell_review", start=D(2025, 10, 1))
    held = case.state_since + timedelta(days=days_after_entering)
    data = vote(held, 9, 9)
    if refused_:
        message = refused(case, "cell_approve", TODAY, data, error=InvalidStepData)
        assert "cannot precede the current step" in message
    else:
        step(case, "cell_approve", TODAY, data)
        assert case.state == "committee_review" and case.cell_resolution_on == held


@pytest.mark.parametrize("days_after_meeting, refused_", [(1, True), (0, False)])
def test_a_meeting_cannot_rely_on_a_document_dated_after_it(world, db, days_after_meeting,
                                                             refused_):
    case = case_in(world, "cell_review", start=D(2025, 10, 1))
    held = case.state_since + timedelta(days=10)
    comments = next(d for d in case.documents if d.form_code == "5-KNĐ")
    comments.issued_on = held + timedelta(days=days_after_meeting)
    if refused_:
        message = refused(case, "cell_approve", TODAY, vote(held, 9, 9))
        assert "(5-KNĐ) is dated" in message and "cannot rely on a later document" in message
    else:
        step(case, "cell_approve", TODAY, vote(held, 9, 9))
        assert case.state == "committee_review"
