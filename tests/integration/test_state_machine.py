"""Hypothesis stateful test: random triggers, users, data, dates and versions fired at one case.

Each example opens a fresh case and fires up to ``stateful_step_count`` random steps through the
service ``fire`` (permission checks on), committing on success and rolling back on a workflow
error, as a request would. After every step the test re-reads the database and checks that

(a) the case's audit events form a path of legal transitions from ``draft`` to the stored state;
(b) there is one ``create`` event plus one event per successful ``fire``;
(c) the hash chain of the whole audit trail verifies;
(d) no guard was bypassed: a successful step's facts hold when re-checked directly here, and a
    refused step left state, version, step date and events untouched;
(e) the member has one open case at most (a second referral is tried along the way);
(f) every open state's deadlines are defined: they compute, and a state the step
    specification gives a clock has exactly that clock active.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule, run_state_machine_as_test)
from sqlalchemy import func, select

from referral_flow.demo_steps import earliest_on, step_data
from referral_flow.demo import PATHS
from referral_flow.models import (AuditEvent, Case, Enrolment, ExtraCheck, PartyKind, Relative,
                                  ResidenceOpinion, Role, User, VerificationRequest, VoteKind)
from referral_flow.security import can
from referral_flow.services import audit, verification
from referral_flow.services.cases import open_draft
from referral_flow.services.deadlines import deadlines
from referral_flow.services.transitions import MAX_COMMENT, fire, step_day
from referral_flow.workflow.calendar import add_months, load_calendar
from referral_flow.workflow.errors import Conflict, NotAllowed, NotAvailable, WorkflowError
from referral_flow.workflow.guards import competent_body_of
from referral_flow.workflow.states import BEFORE_DECISION, DECIDED, FINAL, OPEN
from referral_flow.workflow.steps import STEP
from referral_flow.workflow.verification import records_of
from referral_flow.workflow.transitions import TRANSITIONS, TRIGGERS, routes, spec

from ..factories import TODAY, new_case, user

# (trigger, from, to) rows of the table: the only moves an audit trail may show.
EDGES = frozenset((t.trigger, src, t.dest) for t in TRANSITIONS for src in t.source)
# The triggers of the roads to "official" (an authorised committee's decision is its road),
# to removal by the cell's resolution, and up after the undecided votes, which an honest
# step prefers.
FORWARD = (frozenset(PATHS["official"] + PATHS["removed"] + PATHS["referred_up"])
           | {"committee_admit"})
ENDINGS = frozenset({"record_death", "record_leaving", "record_resignation",
                     "remove_for_discipline"})
DIMENSIONS = ("trigger", "user", "date", "data", "comment", "version")
CELL_KINDS = (PartyKind.cell.value, PartyKind.grassroots_cell.value)
DOSSIER = {"1-KNĐ", "2-KNĐ", "3-KNĐ", "4A-KNĐ", "5-KNĐ"}
RECOGNITION = {"10-KNĐ", "11-KNĐ", "12-KNĐ", "new_member_certificate"}

# PROCESS.md §2/§3, restated here rather than read back from the guards they check.
UNION_PASS = (1, 2, True)        # more than half of the executive committee
TWO_THIRDS = (2, 3, False)       # at least two thirds
PROBATION_MONTHS = 12
INTRODUCER_MONTHS = 12
READMISSION_MONTHS = 36          # since leaving the Party (294-QĐ/TW §3.5.1)
BARRED = {"abandoned", "quit_request", "disunity", "corruption", "serious_crime"}  # §3.5.2
CERTIFICATE_MONTHS = 60
CEREMONY_WORKING_DAYS = 30
UNDECIDED_VOTES = 3              # 29/24-QĐ/TW §4.2c


def passes(votes_for: int, eligible: int, rule: tuple[int, int, bool]) -> bool:
    num, den, strict = rule
    return votes_for * den > num * eligible if strict else votes_for * den >= num * eligible


def largest_failing(eligible: int, rule: tuple[int, int, bool]) -> int:
    num, den, strict = rule
    return num * eligible // den if strict else (num * eligible - 1) // den


# --- random step data ------------------------------------------------------------------------

SAFE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), SAFE_TEXT,
    st.sampled_from(["", "   ", "abc", "2999-12-31", "31/12/2025", "-1", "1e9", "Đ" * 41,
                     "x" * 201, "x" * 5000]),
    st.lists(st.integers(0, 9), max_size=3), st.dictionaries(SAFE_TEXT, st.integers(), max_size=2),
)
KNOWN_KEYS = sorted({
    "held_on", "eligible", "present", "votes_for", "votes_against", "resolution_no",
    "committee_held_on", "committee_eligible", "committee_present", "committee_votes_for",
    "committee_votes_against", "committee_resolution_no", "host_cell_id", "helpers",
    "class_id", "certificate_no", "certificate_issuer", "certificate_on", "documents",
    "decision_no", "decision_on", "received_on", "ceremony_on", "late_approval",
    "over_age_approval", "standing_held_on", "standing_eligible", "standing_present",
    "standing_votes_for", "standing_votes_against", "standing_resolution_no", "missing",
    "missing_note", "died_on",
})
GARBAGE = st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), SAFE_TEXT), JUNK, max_size=6)


def leaf_paths(data: dict) -> list[tuple]:
    """Keys of ``data``, and of the dicts inside its lists (e.g. each document's fields)."""
    paths = []
    for key, value in data.items():
        paths.append((key,))
        if isinstance(value, list):
            paths += [(key, i, k) for i, item in enumerate(value) if isinstance(item, dict)
                      for k in item]
    return paths


def _parent(data, path):
    for step in path[:-1]:
        data = data[step]
    return data


def mutate(draw, trigger: str, data: dict, on: date) -> dict:
    """One to three plausible corruptions of valid data."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        kind = draw(st.sampled_from(["drop", "retype", "huge", "future", "fail_vote"]),
                    label="mutation")
        if kind == "fail_vote":
            rule = UNION_PASS if trigger == "submit" else TWO_THIRDS
            for prefix in ("", "committee_", "standing_"):
                if isinstance(data.get(prefix + "eligible"), int):
                    eligible = data[prefix + "eligible"]
                    data[prefix + "votes_for"] = largest_failing(eligible, rule)
                    data[prefix + "votes_against"] = eligible - data[prefix + "votes_for"]
            continue
        paths = leaf_paths(data)
        if not paths:
            data[draw(st.sampled_from(KNOWN_KEYS), label="key")] = draw(JUNK, label="junk")
            continue
        path = draw(st.sampled_from(paths), label="path")
        parent, last = _parent(data, path), path[-1]
        if kind == "drop":
            del parent[last]
        elif kind == "retype":
            parent[last] = draw(JUNK, label="junk")
        elif kind == "huge":
            parent[last] = "Đ" * draw(st.sampled_from([41, 121, 201, 2001, 20_000]), label="len")
        elif isinstance(parent[last], date):
            parent[last] = on + timedelta(days=draw(st.integers(1, 3000), label="days ahead"))
    return data


def draw_data(draw, trigger: str, case: Case, on: date, cells,
              perturb: frozenset[str]) -> tuple[dict, str]:
    try:
        data, comment = step_data(trigger, case, on, cells)
    except (AttributeError, IndexError, TypeError):     # the trigger does not fit this case
        data, comment = {}, ""
    if "data" in perturb:
        kind = draw(st.sampled_from(["mutated", "mutated", "garbage", "empty"]), label="data")
        data = {"mutated": lambda: mutate(draw, trigger, data, on),
                "garbage": lambda: draw(GARBAGE, label="garbage"), "empty": dict}[kind]()
    if "comment" in perturb:
        comment = draw(st.one_of(st.sampled_from(["", "   ", "x" * (MAX_COMMENT + 1)]),
                                 SAFE_TEXT), label="comment")
    return data, comment


# --- what the database says ------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    state: str
    version: int
    state_since: date
    events: int


def case_events(case_id: int) -> list[AuditEvent]:
    from referral_flow.extensions import db
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.subject == "case").order_by(AuditEvent.id)))


def has_role(u: User, trigger: str, day: date) -> bool:
    return any(g.role in spec(trigger).roles for g in u.active_grants(day))


def check_facts(trigger: str, case: Case, event: AuditEvent, on: date) -> None:
    """Re-check, from the stored records, the facts the guards of ``trigger`` stand for."""
    from referral_flow.extensions import db
    t = spec(trigger)
    if t.reason:
        assert event.comment.strip(), f"{trigger} succeeded without a reason"
    if trigger == "submit":
        vote = case.latest_vote(VoteKind.union_committee)
        if case.member.not_union_member:    # two official Party members, no union vote
            assert vote is None
            assert len({d.issuer.casefold() for d in case.documents_of("3-KNĐ")
                        if d.detail.get("official")
                        and d.detail.get("months_together", 0) >= INTRODUCER_MONTHS}) >= 2
        else:
            assert passes(vote.votes_for, vote.eligible, UNION_PASS)
            assert vote.held_on <= on and vote.votes_for + vote.votes_against <= vote.present
            assert vote.present <= vote.eligible
        assert case.member.unit_id == case.union_unit_id
        if case.readmission:
            assert on >= add_months(case.former_left_on, READMISSION_MONTHS)
            assert case.former_exit_ground not in BARRED
        assert not db.session.scalar(select(func.count(Case.id)).where(
            Case.member_id == case.member_id, Case.id != case.id, Case.state.in_(OPEN),
            Case.state != "draft"))
    elif trigger == "accept":
        assert case.host_cell is not None and case.host_cell.kind in CELL_KINDS
        assert case.party_org.contains(case.host_cell)
        assert case.helpers and all(h.full_name.strip() for h in case.helpers)
    elif trigger == "enroll":
        enrolment = db.session.scalar(select(Enrolment).where(
            Enrolment.case_id == case.id, Enrolment.class_id == event.data.get("class_id")))
        assert enrolment is not None and enrolment.enrolled_on == on
        klass = enrolment.awareness_class
        assert on <= klass.ends_on
        assert db.session.scalar(select(func.count(Enrolment.id)).where(
            Enrolment.class_id == klass.id)) <= klass.capacity
    elif trigger in ("pass_class", "skip_class"):
        cert = case.latest_document("certificate")
        assert cert is not None and cert.number and cert.issuer and cert.issued_on <= on
        if trigger == "skip_class":
            assert on <= add_months(cert.issued_on, CERTIFICATE_MONTHS)
        else:       # a certificate of the class: from its last day, in its numbering scheme
            enrolment = db.session.scalars(select(Enrolment).where(
                Enrolment.case_id == case.id).order_by(Enrolment.id.desc())).first()
            klass = enrolment.awareness_class
            assert klass.ends_on <= cert.issued_on and klass.ends_on <= on
            prefix = klass.certificate_prefix
            assert cert.number == enrolment.certificate_no
            assert cert.number.startswith(prefix) and cert.number[len(prefix):].isdigit()
    elif trigger == "fail_class":
        enrolment = db.session.scalars(select(Enrolment).where(
            Enrolment.case_id == case.id).order_by(Enrolment.id.desc())).first()
        assert enrolment.result.value == "failed" and enrolment.awareness_class.ends_on <= on
    elif trigger == "record_readmission":
        assert case.state == "draft" and case.readmission
        assert case.former_admitted_on <= case.former_left_on <= on
        assert case.former_exit_ground not in BARRED and not case.former_readmitted
        assert on >= add_months(case.former_left_on, READMISSION_MONTHS)
        assert case.readmission_consent.strip()
    elif trigger == "send_to_cell":
        relatives, checks, requests, opinions = (
            db.session.scalars(select(m).where(m.case_id == case.id)).all()
            for m in (Relative, ExtraCheck, VerificationRequest, ResidenceOpinion))
        forms = {d.form_code for d in case.documents}
        needed = DOSSIER - ({"4A-KNĐ"} if case.member.not_union_member else set())
        assert forms >= needed, f"dossier lacks {needed - forms}"
        assert any(d.verified for d in case.documents_of("2-KNĐ"))
        # R12, R13: every relative not exempt and every check answered by the step's date,
        # and the residence area's opinion received by then
        waiting = [[r for r in requests if r.relative_id == rel.id] for rel in relatives
                   if not rel.exempt] + [[r for r in requests if r.check_id == c.id]
                                         for c in checks]
        assert all(any(r.answered_on and r.answered_on <= on for r in mine) for mine in waiting)
        assert any(o.received_on and o.received_on <= on for o in opinions)
        assert any(d.detail.get("official") for d in case.documents_of("3-KNĐ"))
        cert = case.latest_document("certificate")
        assert cert is not None and on <= add_months(cert.issued_on, CERTIFICATE_MONTHS)
    elif trigger in ("cell_approve", "cell_reject"):
        vote = case.latest_vote(VoteKind.cell)
        cell = case.host_cell
        assert cell.official_members >= 3 and vote.eligible <= cell.official_members
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS) == (trigger == "cell_approve")
        if trigger == "cell_approve":
            assert case.cell_resolution_on == vote.held_on <= on
            education = case.member.education      # a THCS diploma, or the exception
            assert education is not None and (education.value != "primary"
                                               or case.member.education_exception.strip())
            assert case.state == ("decision_pending" if cell.is_grassroots_cell
                                  else "committee_review")
    elif trigger in ("committee_approve", "committee_reject"):
        vote = case.latest_vote(VoteKind.committee)
        assert vote.eligible == case.party_org.committee_members
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS) == (trigger == "committee_approve")
        assert vote.held_on >= case.cell_resolution_on
    elif trigger == "committee_admit":        # 2/3 of ALL the committee's members
        assert case.party_org.authorised_to_admit
        vote = case.latest_vote(VoteKind.committee)
        assert vote.eligible == case.party_org.committee_members
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert vote.held_on <= case.decision_on <= on
        assert case.latest_document("9-KNĐ").number == case.decision_no
        assert case.latest_document("8-KNĐ") is None
    elif trigger in ("return_dossier", "committee_return"):
        assert case.missing_items["forms"] or case.missing_items["note"].strip()
        assert case.cell_resolution_on is None and not case.decision_extended
    elif trigger == "extend_decision":
        assert case.decision_extended
        assert sum(e.trigger == "extend_decision" for e in case_events(case.id)) == 1
    elif trigger == "admit":
        vote = case.latest_vote(VoteKind.standing_committee)
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert vote.held_on <= case.decision_on
        assert not case.party_org.authorised_to_admit
        assert case.decision_no and case.decision_on <= on
        assert case.decision_on >= case.cell_resolution_on
        assert case.latest_document("9-KNĐ").number == case.decision_no
    elif trigger == "hold_ceremony":
        received = case.decision_received_on
        assert received <= case.ceremony_on <= on
        assert case.probation_ends_on == add_months(case.ceremony_on, PROBATION_MONTHS)
        due = load_calendar().add(received, CEREMONY_WORKING_DAYS)
        assert case.ceremony_on <= due or str(event.data.get("late_approval", "")).strip()
    elif trigger == "open_recognition":
        vote = case.latest_vote(VoteKind.recognition_cell)
        assert on >= case.probation_ends_on and vote.held_on >= case.probation_ends_on
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert {d.form_code for d in case.documents} >= RECOGNITION
        cert = case.latest_document("new_member_certificate")
        assert cert.number.strip() and cert.issuer.strip() and cert.issued_on <= on
        # a grassroots cell's resolution goes straight to the competent body
        assert case.state == ("recognition_review" if case.host_cell.is_grassroots_cell
                              else "recognition_committee")
    elif trigger == "recognition_committee_approve":
        vote = case.latest_vote(VoteKind.recognition_committee)
        assert vote.eligible == case.party_org.committee_members
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert case.recognition_cell_on <= vote.held_on <= on
        assert case.latest_document("15-KNĐ").number == vote.resolution_no
    elif trigger == "extend_recognition":
        assert case.recognition_decision_extended
        assert sum(e.trigger == "extend_recognition" for e in case_events(case.id)) == 1
    elif trigger == "recognise":
        decision = case.latest_document("16-KNĐ")
        assert decision is not None and decision.issued_on == on
        assert case.official_from == case.probation_ends_on
        vote = case.latest_vote(VoteKind.recognition_decision)
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS) and vote.held_on <= on
        # the grassroots committee's 15-KNĐ, where the cell proposed recognition (from
        # removal_review or referred_up the competent body decides on the cell's votes)
        if event.from_state == "recognition_review" and not case.host_cell.is_grassroots_cell:
            committee = case.latest_vote(VoteKind.recognition_committee)
            assert passes(committee.votes_for, committee.eligible, TWO_THIRDS)
            assert committee.held_on <= vote.held_on
    elif trigger == "remove":
        assert on >= case.probation_ends_on
        assert event.from_state in ("recognition_review", "removal_review", "referred_up")
        # the competent body's committee, all its members counted: 2/3 of them for removal
        vote = case.latest_vote(VoteKind.removal_decision)
        assert vote.eligible == competent_body_of(case).committee_members
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert case.recognition_cell_on <= vote.held_on <= on
    elif trigger == "decline":
        # the standing committee's vote, short of 2/3, after the cell's resolution
        vote = case.latest_vote(VoteKind.standing_committee)
        assert not passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert case.cell_resolution_on <= vote.held_on <= on
        assert vote.present <= vote.eligible and case.decision_no is None
    elif trigger == "propose_removal":
        vote = case.latest_vote(VoteKind.removal_cell)
        assert on >= case.probation_ends_on and vote.held_on >= case.probation_ends_on
        assert vote.eligible <= case.host_cell.official_members
        assert passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert case.recognition_cell_on == vote.held_on
    elif trigger == "record_undecided":
        votes = [v for v in case.votes if v.kind == VoteKind.undecided_cell]
        vote = votes[-1]
        assert vote.held_on >= case.probation_ends_on
        assert not passes(vote.votes_for, vote.eligible, TWO_THIRDS)
        assert not passes(vote.votes_against, vote.eligible, TWO_THIRDS)
        # the third goes up (the shipped rule sets), the others stay in probation
        assert case.state == ("referred_up" if len(votes) >= UNDECIDED_VOTES else "probation")
    elif trigger == "record_death":
        assert event.from_state not in ("draft", "nominated")
        assert event.data["died_on"] == on.isoformat()
    elif trigger in ("record_leaving", "record_resignation", "remove_for_discipline"):
        assert event.from_state in DECIDED
    elif trigger in ("withdraw", "withdraw_self"):
        assert event.from_state in BEFORE_DECISION
    if case.state in FINAL - {"official"}:
        assert case.closed_on == on and case.closed_at_state == event.from_state
        assert case.close_reason or case.state == "deceased"


# --- the machine -----------------------------------------------------------------------------

class CaseMachine(RuleBasedStateMachine):
    """One referral case, poked at by everyone with everything."""

    def __init__(self, db, world, extra_users):
        super().__init__()
        self.db, self.world = db, world
        self.users = dict(world.users) | extra_users
        self.successes = 0

    # where the case lives ---------------------------------------------------------------
    @initialize(unit=st.sampled_from(["unit", "gunit"]), outside=st.booleans(),
                authorised=st.booleans())
    def open_case(self, unit, outside, authorised):
        # The receiving committee may be authorised to admit: it then decides itself.
        self.world["committee_a"].authorised_to_admit = authorised
        case = new_case(self.world, "a", unit=unit)
        # a worker who is not a union member: two Party members introduce him
        case.member.not_union_member = outside
        # the candidate may withdraw his or her own application
        self.users["member_self"] = user(Role.member, None, member_id=case.member_id)
        self.db.session.commit()
        self.case_id, self.on, self.state = case.id, case.state_since, case.state

    @property
    def case(self) -> Case:
        return self.db.session.get(Case, self.case_id)

    def snapshot(self) -> Snapshot:
        self.db.session.expire_all()
        case = self.case
        return Snapshot(case.state, case.version, case.state_since, len(case_events(case.id)))

    # choosing the step ------------------------------------------------------------------
    # An honest step is what a careful officer would do next on the road to "official".
    # A perturbed step is an honest one with some of its dimensions drawn at random instead:
    # side roads and exits, other users, odd dates, corrupt data, bad comments, stale versions.
    def draw_trigger(self, draw, state: str, perturb) -> str:
        leaving = sorted({t.trigger for t in TRANSITIONS if state in t.source})
        forward = [t for t in leaving if t in FORWARD]
        pool = leaving * 2 + list(TRIGGERS) if "trigger" in perturb or not leaving else (
            forward or leaving)
        return draw(st.sampled_from(pool), label="trigger")

    def draw_user(self, draw, trigger: str, case: Case, perturb) -> User:
        names = sorted(self.users)
        allowed = [n for n in names if can(self.users[n], trigger, case, TODAY)]
        if "user" in perturb or not allowed:
            allowed = names
        return self.users[draw(st.sampled_from(allowed), label="user")]

    def draw_on(self, draw, trigger: str, case: Case, perturb) -> date:
        kind = draw(st.sampled_from(["later", "future", "past"]), label="date") \
            if "date" in perturb else "next"
        if kind == "future":
            return TODAY + timedelta(days=draw(st.integers(1, 400), label="days"))
        if kind == "past":
            return case.state_since - timedelta(days=draw(st.integers(1, 60), label="days"))
        on = self.on + timedelta(days=draw(st.integers(0, 20 if kind == "next" else 90),
                                           label="days"))
        if spec(trigger).opens == "probation_ends_on" and case.probation_ends_on and (
                kind == "next" or draw(st.booleans(), label="after probation")):
            on = max(on, case.probation_ends_on)
        if trigger in ("pass_class", "fail_class") and kind == "next":
            on = earliest_on(trigger, case, on)     # a class's result from its last day
        return on

    def draw_version(self, draw, version: int, perturb) -> int:
        if "version" not in perturb:
            return version
        return version + draw(st.sampled_from([-1, 1, -version]), label="stale by")

    # the rules -------------------------------------------------------------------------
    @precondition(lambda self: self.state not in FINAL)
    @rule(data=st.data())
    def honest_step(self, data):
        self.attempt(data.draw, frozenset())

    @precondition(lambda self: self.state not in FINAL)
    @rule(data=st.data())
    def corrupt_data_step(self, data):
        self.attempt(data.draw, frozenset({"data"}))

    @precondition(lambda self: self.state in DECIDED)
    @rule(data=st.data())
    def honest_ending(self, data):
        """After the decision, one of the endings (death, leaving, the request to stop,
        removal for discipline), as honestly as a step on the road."""
        self.attempt(data.draw, frozenset(), pool=ENDINGS)

    @rule(data=st.data(), perturb=st.sets(st.sampled_from(DIMENSIONS), min_size=1, max_size=3))
    def perturbed_step(self, data, perturb):
        self.attempt(data.draw, frozenset(perturb))

    @precondition(lambda self: self.state in ("certified", "dossier"))
    @rule(data=st.data())
    def verification_work(self, data):
        """Background verification recorded between steps: a relative (perhaps abroad or
        exempt) whose answer is awaited, or the awaited answers given on a drawn day; the
        residence area's opinion with them. The guard of send_to_cell must wait for it."""
        case, draw = self.case, data.draw
        kw = {"today": TODAY, "check_permission": False}
        day = draw(st.dates(case.state_since, TODAY), label="verification day")
        records = records_of(case)
        pending = [r for r in records.requests if r.answered_on is None]
        if pending and draw(st.booleans(), label="answer"):
            for request in pending:
                verification.record_answer(case, request.id, None, {
                    "answered_on": max(day, request.sent_on), "result": "clear"}, **kw)
        else:
            abroad, exempt = draw(st.booleans(), label="abroad"), draw(st.booleans(),
                                                                       label="exempt")
            relative = verification.add_relative(case, None, {
                "relation": "spouse", "full_name": "Lê Thị Vân", "abroad": abroad,
                "country": "Nhật Bản", "exempt": exempt}, **kw)
            if not exempt:
                verification.send_request(case, None, {
                    "subject": f"relative:{relative.id}", "sent_to": "Ban đối ngoại",
                    "sent_on": case.state_since}, **kw)
        if not records.opinions:
            opinion = verification.request_residence_opinion(case, None, {
                "residence_cell": "Chi bộ khu 2", "requested_on": case.state_since}, **kw)
            verification.receive_residence_opinion(case, opinion.id, None, {
                "received_on": day, "summary": "Tốt"}, **kw)
        self.db.session.commit()

    def attempt(self, draw, perturb: frozenset[str], pool: frozenset[str] | None = None):
        before = self.snapshot()
        case = self.case
        trigger = (draw(st.sampled_from(sorted(pool)), label="ending") if pool
                   else self.draw_trigger(draw, case.state, perturb))
        actor = self.draw_user(draw, trigger, case, perturb)
        on = self.draw_on(draw, trigger, case, perturb)
        payload, comment = draw_data(draw, trigger, case, on, self.world.cells, perturb)
        expected = self.draw_version(draw, before.version, perturb)
        event(f"perturbed: {', '.join(sorted(perturb)) or 'nothing'}")
        try:
            fire(case, trigger, actor, expected_version=expected, data=payload, comment=comment,
                 on=on, today=TODAY, check_permission=True)
        except WorkflowError as exc:
            self.db.session.rollback()
            event(f"refused: {type(exc).__name__}")
            self.after_refusal(before, exc, trigger, actor, expected, on)
        else:
            self.db.session.commit()
            event(f"moved by {trigger}")
            # A meeting, a decision or a ceremony is the step's own date.
            self.after_success(before, trigger, actor, expected,
                               step_day(trigger, payload) or on)

    def after_refusal(self, before, exc, trigger, actor, expected, on):
        assert self.snapshot() == before, f"{trigger} was refused ({exc!r}) but left changes"
        if expected != before.version and not isinstance(exc, NotAllowed):
            assert isinstance(exc, Conflict), f"stale version {expected}: {exc!r}"
        if isinstance(exc, NotAvailable):
            assert not routes(trigger, self.case), \
                f"{trigger} leaves {before.state} in the table for this case, yet was not available"

    def after_success(self, before, trigger, actor, expected, on):
        self.successes += 1
        self.on = on
        after = self.snapshot()
        self.state = after.state
        case = self.case
        event = case_events(case.id)[-1]
        # the step could only be taken by its role, at the current version, from its source
        assert has_role(actor, trigger, TODAY), f"{actor.username} may not {trigger}"
        assert expected == before.version
        assert before.state_since <= on <= TODAY
        assert (trigger, before.state, after.state) in EDGES
        # it moved the case once, with one event recording exactly this move
        assert after.version == before.version + 1 and after.state_since == on
        assert after.events == before.events + 1
        assert (event.trigger, event.from_state, event.to_state, event.actor_id) == (
            trigger, before.state, after.state, actor.id)
        assert event.data["on"] == on.isoformat()
        check_facts(trigger, case, event, on)

    # invariants -------------------------------------------------------------------------
    @invariant()
    def trail_is_a_legal_path(self):
        events = case_events(self.case_id)
        assert [(e.trigger, e.from_state, e.to_state) for e in events[:1]] == [
            ("create", None, "draft")]
        at = "draft"
        for e in events[1:]:
            assert e.from_state == at, f"event {e.id} starts at {e.from_state}, case was at {at}"
            assert (e.trigger, e.from_state, e.to_state) in EDGES, f"illegal move in {e.id}"
            at = e.to_state
        assert self.case.state == at

    @invariant()
    def one_event_per_success(self):
        assert len(case_events(self.case_id)) == 1 + self.successes

    @invariant()
    def one_open_case_per_member(self):
        member_id = self.case.member_id
        assert self.db.session.scalar(
            select(func.count()).select_from(Case)
            .where(Case.member_id == member_id, Case.state.in_(sorted(OPEN - {"draft"})))) <= 1

    @invariant()
    def deadlines_defined(self):
        case = self.case
        if case.state in FINAL:
            return
        found = deadlines(case, load_calendar(), self.on)
        waits_on = STEP[case.state].deadline
        assert [d.key for d in found if d.active] == ([waits_on] if waits_on else [])

    @rule()
    def second_referral(self):
        """The union nominates the same member again: refused while a case is open."""
        first = self.case
        try:
            second = open_draft(first.member, None, year=self.on.year, today=self.on,
                                check_permission=False)
            data, comment = step_data("submit", second, self.on, self.world.cells)
            fire(second, "submit", None, expected_version=second.version, data=data,
                 comment=comment, on=self.on, today=self.on, check_permission=False)
        except WorkflowError:
            self.db.session.rollback()
            return
        assert first.state in FINAL
        self.db.session.rollback()      # the walk goes on with the first case

    @invariant()
    def returns_are_counted_and_listed_until_the_cell(self):
        case = self.case
        returns = [e for e in case_events(self.case_id)
                   if e.trigger in ("return_dossier", "committee_return")]
        assert case.dossier_returns == len(returns)
        if case.missing_items is not None:
            assert case.state == "dossier" and returns
            assert case.missing_items["forms"] == returns[-1].data.get("missing")

    @invariant()
    def chain_verifies(self):
        report = audit.verify()
        assert report.ok, f"audit chain broken at {report.bad_event_id}: {report.problem}"

    def teardown(self):
        self.db.session.rollback()


def extra_users(world) -> dict[str, User]:
    """Officers that reach the grassroots cell's side, so that that route can be walked too."""
    return {
        "union_chair_gunit_a": user(Role.union_chair, world["gunit_a"]),
        "party_officer_bloc_a": user(Role.party_officer, world["bloc_a"]),
        "cell_secretary_gcell_a": user(Role.cell_secretary, world["gcell_a"]),
    }


@pytest.mark.slow
def test_random_walks_keep_the_invariants(app, db, world):
    extra = extra_users(world)
    # Examples share the database, and each must replay alike: a kept roster would count the
    # members recognised by earlier examples, so that the same choices met another cell size.
    for cell in world.cells:
        cell.roster_kept = False
    db.session.commit()
    run_state_machine_as_test(
        lambda: CaseMachine(db, world, extra),
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)))
