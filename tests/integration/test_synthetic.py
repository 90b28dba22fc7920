"""The bulk generator writes what the real workflow would have written: key dates agreeing
with the state and the events, a verifiable chain, classes within capacity; replaying a
generated case through ``fire`` gives the same case. And the demo's public example year."""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from referral_flow import demo, synthetic
from referral_flow.demo_province import BLOC_CODE, CUTOVER
from referral_flow.papers import render
from referral_flow.papers.content import PAPERS, class_paper
from referral_flow.models import (AuditEvent, AwarenessClass, Case, CaseMove, CaseTally, Document,
                                  Enrolment, EnrolmentResult, EnterpriseKind, Member, MoveKind,
                                  Organisation, PartyKind, Target, Tree, UnionKind, Vote,
                                  VoteKind)
from referral_flow.services import tallies, verification
from referral_flow.services.audit import verify
from referral_flow.services.cases import open_draft
from referral_flow.services.classes import next_number
from referral_flow.services.transitions import fire
from referral_flow.synthetic import generate_nation, generate_province
from referral_flow.workflow.calendar import add_months
from referral_flow.workflow.states import FINAL
from referral_flow.workflow.verification import records_of

from ..factories import TODAY, citizen_id

YEARS = [2024, 2025, 2026]
PER_YEAR = 120
# The key date each step writes (PROCESS.md §2), in process order.
# (the triggers that write it, the case's column); the cell's resolution at the end of
# probation, proposing recognition or removal, starts the competent body's clock.
WRITES = [(("submit",), "nominated_on"), (("accept",), "accepted_on"),
          (("cell_approve",), "cell_resolution_on"),
          (("committee_approve",), "committee_resolution_on"), (("admit",), "decision_on"),
          (("admit",), "decision_received_on"), (("hold_ceremony",), "ceremony_on"),
          (("open_recognition", "propose_removal"), "recognition_cell_on"),
          (("recognise",), "official_from")]
ORDERED = ["nominated_on", "accepted_on", "cell_resolution_on", "committee_resolution_on",
           "decision_on", "decision_received_on", "ceremony_on", "probation_ends_on",
           "recognition_cell_on", "closed_on"]
COMPARED = ["state", "version", "host_cell_id", "nominated_on", "accepted_on", "certified_on",
            "cell_resolution_on", "committee_resolution_on", "decision_extended",
            "decision_no", "decision_on", "decision_received_on", "ceremony_on",
            "probation_ends_on", "recognition_cell_on", "official_from", "closed_on",
            "closed_at_state", "close_reason"]


@pytest.fixture(params=[None, 25], ids=["one-batch", "batches-of-25"])
def province(db, request, monkeypatch):
    """The province written at the end, or every 25 cases (many writes, class counters
    updated after their rows were written, events merged back from many spilled runs)."""
    if request.param:
        monkeypatch.setattr(synthetic, "CASE_BATCH", request.param)
    made = generate_province(units=40, uppers=4, years=YEARS, cases_per_year=PER_YEAR,
                             today=TODAY, seed=7)
    db.session.commit()
    return made


def _events(db) -> dict[int, list[AuditEvent]]:
    by_case = defaultdict(list)
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "case")
                                    .order_by(AuditEvent.id)):
        by_case[event.case_id].append(event)
    return by_case


def test_counts_as_requested(province, db):
    per_year = dict(db.session.execute(select(Case.referral_year, func.count(Case.id))
                                       .group_by(Case.referral_year)).all())
    assert per_year == {year: PER_YEAR for year in YEARS}
    assert all(c.nominated_on.year == c.referral_year for c in db.session.scalars(select(Case)))
    units = db.session.scalar(select(func.count(Organisation.id)).where(
        Organisation.kind == "grassroots"))
    assert units == province.units == 40
    assert db.session.scalar(select(func.count(Target.id))) == 40 * len(YEARS)
    assert db.session.scalar(select(func.count(func.distinct(Member.citizen_id)))) \
        == db.session.scalar(select(func.count(Member.id))) == PER_YEAR * len(YEARS)
    # Old years are closed, the current one still has open cases.
    states = Counter((c.referral_year, c.state in FINAL) for c in db.session.scalars(select(Case)))
    assert states[(2026, False)] > states[(2024, False)]


def test_chain_verifies(province, db):
    report = verify()
    assert report.ok, report
    assert report.checked == province.counts.events


def test_kept_counts_equal_a_recount(province, db):
    """On PostgreSQL the bulk load counts its cases once at the end, the row trigger off."""
    assert tallies.differences() == []
    assert sum(n for (_side, node, _state), n in _tally(db).items()
               if node == province.federation_id) == PER_YEAR * len(YEARS)


def test_a_nation_of_provinces(db):
    nation = generate_nation(provinces=2, units=12, uppers=3, years=[2025, 2026],
                             cases_per_year=30, today=TODAY, seed=3)
    db.session.commit()
    root = db.session.get(Organisation, nation.federation_id)
    assert root.kind == UnionKind.national.value and root.parent_id is None
    federations = db.session.scalars(select(Organisation).where(
        Organisation.parent_id == root.id)).all()
    assert len(federations) == 2 and {f.kind for f in federations} == {"federation"}
    unions = dict(db.session.execute(
        select(Organisation.path, func.count(Case.id)).join(Case, Case.union_unit_id ==
                                                            Organisation.id)
        .group_by(Organisation.path)).all())
    assert all(path.startswith(root.path) for path in unions)
    assert {path.split("/")[2] for path in unions} == {str(f.id) for f in federations}
    assert nation.counts.cases == 60 and verify().ok and tallies.differences() == []


def _tally(db) -> dict:
    return {(t.side, t.node_id, t.state): t.n for t in db.session.scalars(select(CaseTally))}


def test_key_dates_agree_with_state_and_events(province, db):
    events = _events(db)
    for case in db.session.scalars(select(Case)):
        mine = events[case.id]
        assert mine[0].trigger == "create" and mine[0].to_state == "draft"
        for before, after in pairwise(mine):
            assert after.from_state == before.to_state
            assert after.data["on"] >= before.data["on"]
        assert mine[-1].to_state == case.state
        assert case.state_since.isoformat() == mine[-1].data["on"]
        assert case.version == len(mine)
        on = {e.trigger: date.fromisoformat(e.data["on"]) for e in mine}
        for triggers, column in WRITES:
            assert (getattr(case, column) is not None) == bool(set(triggers) & set(on)), (
                case.id, column)
        dates = [getattr(case, c) for c in ORDERED if getattr(case, c) is not None]
        assert dates == sorted(dates), case.id
        if case.ceremony_on:
            assert case.probation_ends_on == add_months(case.ceremony_on, 12)
        if case.state == "official":
            assert case.official_from == case.probation_ends_on <= case.recognition_cell_on
        assert (case.closed_on is not None) == (case.state in FINAL)
        assert (case.closed_at_state is not None) == (case.state in FINAL - {"official"})


def test_classes_within_capacity_with_unique_certificates(province, db):
    classes = {k.id: k for k in db.session.scalars(select(AwarenessClass))}
    enrolments = db.session.scalars(select(Enrolment)).all()
    taken = Counter(e.class_id for e in enrolments)
    assert all(taken[k] <= classes[k].capacity for k in taken)
    passed = [e for e in enrolments if e.result == EnrolmentResult.passed]
    numbers = [(e.class_id, e.certificate_no) for e in passed]
    assert len(set(numbers)) == len(numbers) and all(n for _c, n in numbers)
    assert all(classes[k].certificate_seq == n
               for k, n in Counter(e.class_id for e in passed).items())
    certified = dict(db.session.execute(select(Case.id, Case.certified_on)).all())
    assert all(e.certificate_on == certified[e.case_id] == classes[e.class_id].ends_on
               for e in passed)


def _replayable(db, events) -> list[Case]:
    """One closed case per final state (and one that skipped the class), whose class has a
    free place for the replay."""
    free = {k.id for k in db.session.scalars(select(AwarenessClass))
            if db.session.scalar(select(func.count(Enrolment.id)).where(
                Enrolment.class_id == k.id)) < k.capacity}
    picked: dict[str, Case] = {}
    for case in db.session.scalars(select(Case).where(Case.state.in_(FINAL)).order_by(Case.id)):
        triggers = [e.trigger for e in events[case.id]]
        classes = [e.data["class_id"] for e in events[case.id] if e.trigger == "enroll"]
        kind = "skip_class" if "skip_class" in triggers else case.state
        if kind not in picked and all(k in free for k in classes):
            picked[kind] = case
    return list(picked.values())


def replay_verification(original: Case, copy: Case, on: date) -> None:
    """Record the original's background verification on the copy through the services,
    which check it as they would on the case page."""
    kw = {"today": on, "check_permission": False}
    mine = records_of(original)
    for relative in mine.relatives:
        twin = verification.add_relative(copy, None, {
            "relation": relative.relation.value, "full_name": relative.full_name,
            "abroad": relative.abroad, "country": relative.country,
            "exempt": relative.exempt}, **kw)
        for request in mine.requests_of(relative):
            sent = verification.send_request(copy, None, {
                "subject": f"relative:{twin.id}", "sent_to": request.sent_to,
                "sent_on": request.sent_on}, **kw)
            verification.record_answer(copy, sent.id, None, {
                "answered_on": request.answered_on, "result": request.result.value,
                "note": request.answer_note}, **kw)
    for opinion in mine.opinions:
        asked = verification.request_residence_opinion(copy, None, {
            "residence_cell": opinion.residence_cell, "requested_on": opinion.requested_on},
            **kw)
        verification.receive_residence_opinion(copy, asked.id, None, {
            "received_on": opinion.received_on, "summary": opinion.summary}, **kw)


def test_replaying_generated_cases_through_fire_gives_the_same_case(province, db):
    events = _events(db)
    cases = _replayable(db, events)
    assert {c.state for c in cases} >= {"official", "rejected", "withdrawn"}
    for original in cases:
        mine = events[original.id]
        # A twin of the person (the same unit and birth date): the original may have made
        # the person a Party member, who cannot be referred again.
        person = original.member
        twin = Member(full_name=person.full_name, date_of_birth=person.date_of_birth,
                      gender=person.gender, citizen_id=citizen_id(), unit_id=person.unit_id,
                      job=person.job, direct_production=person.direct_production,
                      education=person.education)
        db.session.add(twin)
        db.session.flush()
        copy = open_draft(twin, None, year=original.referral_year,
                          today=date.fromisoformat(mine[0].data["on"]), check_permission=False)
        for event in mine[1:]:
            data = {k: v for k, v in event.data.items()
                    if k not in ("on", "comment_visible", "class_name")}
            if event.trigger == "enroll":
                klass = db.session.get(AwarenessClass, data["class_id"])
            if event.trigger == "pass_class":    # the original holds its number in the class
                data["certificate_no"] = next_number(klass)
            if event.trigger == "send_to_cell":
                replay_verification(original, copy, date.fromisoformat(event.data["on"]))
            fire(copy, event.trigger, None, expected_version=copy.version, data=data,
                 comment=event.comment, on=date.fromisoformat(event.data["on"]), today=TODAY,
                 check_permission=False)
        for column in COMPARED:
            assert getattr(copy, column) == getattr(original, column), (original.id, column)
        for model, key in ((Vote, lambda r: (r.kind, r.held_on, r.votes_for)),
                           (Document, lambda r: (r.form_code, r.issued_on, r.valid_until))):
            rows = [sorted(map(key, db.session.scalars(select(model).where(
                model.case_id == c.id)))) for c in (original, copy)]
            assert rows[0] == rows[1], (original.id, model.__name__)
    assert verify().ok


# --- the demo's public example year (PROCESS.md §4) --------------------------------------

def test_demo_example_year(db):
    demo.load(today=TODAY)
    db.session.commit()
    fed = db.session.scalar(select(Organisation).where(Organisation.code == demo.MARKER))
    in_demo = Organisation.path.startswith(fed.path)
    year = (date(2024, 1, 1), date(2024, 12, 31))
    introduced = db.session.scalar(select(func.count(Case.id)).join(Case.union_unit).where(
        in_demo, Case.nominated_on.between(*year)))
    assert introduced == demo.EXAMPLE_INTRODUCED == 2158
    targets = db.session.scalar(select(func.sum(Target.target)).join(
        Organisation, Organisation.id == Target.node_id).where(in_demo, Target.year == 2024))
    assert targets == demo.EXAMPLE_TARGET_TOTAL < 2158

    joint = db.session.scalars(select(AwarenessClass).join(AwarenessClass.organiser).where(
        Organisation.code == BLOC_CODE, AwarenessClass.co_organiser == demo.FEDERATION_NAME,
        AwarenessClass.starts_on.between(*year))).all()
    assert len(joint) == 1
    # Workers' Month (May), led by the federation with the bloc committee of the time.
    assert joint[0].starts_on.month == joint[0].ends_on.month == 5
    rows = db.session.execute(
        select(Enrolment, Case, Organisation).join(Case, Case.id == Enrolment.case_id)
        .join(Organisation, Organisation.id == Case.union_unit_id)
        .where(Enrolment.class_id == joint[0].id)).all()
    assert len(rows) == 44
    assert all(u.enterprise_kind == EnterpriseKind.non_state and not u.has_party_org
               for _e, _c, u in rows)
    assert all(e.result == EnrolmentResult.passed and e.certificate_no
               and e.certificate_on == joint[0].ends_on == c.certified_on for e, c, _u in rows)
    assert len({e.certificate_no for e, _c, _u in rows}) == 44
    assert joint[0].certificate_seq == 44
    # Its certificates print as one file, a page per certified member (issue 12).
    pages = PdfReader(io.BytesIO(render.pdf(class_paper(joint[0]),
                                            PAPERS["certificate"].template))).pages
    assert len(pages) == 44
    assert rows[0][1].member.full_name in "".join(p.extract_text() for p in pages)
    # Other 2024 cases went to other classes.
    assert db.session.scalar(select(func.count(Enrolment.id)).join(
        AwarenessClass, AwarenessClass.id == Enrolment.class_id).where(
        AwarenessClass.starts_on.between(*year), AwarenessClass.id != joint[0].id)) > 500

    # The demo accounts' own unit has only its hand-made cases (moved by demo users).
    own = select(Case.id).join(Case.union_unit).where(Organisation.code == "CDCS-THEP")
    assert not db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.case_id.in_(own), AuditEvent.trigger == "submit",
        AuditEvent.actor_id.is_(None)))
    assert verify().ok


def test_demo_sends_a_dossier_back_and_lets_a_committee_decide(db):
    """At least one dossier returned to its cell with what is missing, and one case
    decided by a grassroots committee authorised to admit (no decision_pending)."""
    demo.load(today=TODAY)
    db.session.commit()
    returned = db.session.scalars(select(Case).where(Case.dossier_returns > 0)).all()
    assert any(c.state == "dossier" and c.missing_items["forms"] == ["5-KNĐ"]
               for c in returned)
    decided = db.session.scalars(select(AuditEvent).where(
        AuditEvent.trigger == "committee_admit")).all()
    assert decided and all(e.to_state == "admitted" for e in decided)
    for e in decided:
        assert not db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.case_id == e.case_id, AuditEvent.to_state == "decision_pending"))
    assert db.session.scalar(select(func.count(Vote.id)).where(
        Vote.kind == VoteKind.standing_committee))


def test_demo_is_a_fictional_province_after_the_2025_reorganisation(db):
    """The province is marked invented; the bloc committee and the district federations
    closed on 1 July 2025 with successors; the cases the bloc held then moved to the ward
    or commune committees, which receive and decide from then on; every open CĐCS has a
    target this year; classes after the change meet at the provincial school or a
    commune-level political centre."""
    demo.load(today=TODAY)
    db.session.commit()
    org = {o.code: o for o in db.session.scalars(select(Organisation))}
    fed = org[demo.MARKER]
    assert "(hư cấu)" in fed.name and "Bắc Ninh" not in fed.name
    bloc = org[BLOC_CODE]
    assert bloc.closed_on == CUTOVER and bloc.successor.kind == PartyKind.commune.value
    assert bloc.successor.opened_on == CUTOVER and bloc.successor.competent_body
    assert not db.session.scalar(select(func.count(Organisation.id)).where(
        Organisation.parent_id == bloc.id, Organisation.closed_on.is_(None)))
    closed_unions = [o for o in org.values() if o.tree == Tree.union and o.closed_on]
    assert closed_unions and all(o.closed_on == CUTOVER and o.successor.opened_on == CUTOVER
                                 and o.successor.parent_id == fed.id for o in closed_unions)
    assert not any(o.parent_id in {c.id for c in closed_unions} for o in org.values())
    # Nothing refers to the bloc any more; the cases it held on the day moved.
    assert not any(o.receiving_party_id == bloc.id for o in org.values())
    moves = db.session.scalars(select(CaseMove)).all()
    assert moves and all(m.kind == MoveKind.reorganisation and m.moved_on == CUTOVER
                         and m.from_party_id == bloc.id for m in moves)
    assert not db.session.scalar(select(func.count(Case.id)).where(
        Case.party_org_id == bloc.id, Case.nominated_on >= CUTOVER))
    # Cases referred after the change went to the ward and commune committees.
    late = db.session.scalars(select(Case).where(Case.nominated_on >= CUTOVER)).all()
    assert late and all(c.party_org.is_open_on(c.nominated_on) for c in late)
    assert {c.party_org.kind for c in late if not c.union_unit.has_party_org} == {
        PartyKind.commune.value}
    # Every open CĐCS has a target this year.
    units = select(Organisation.id).where(
        Organisation.tree == Tree.union, Organisation.kind == UnionKind.grassroots.value,
        Organisation.closed_on.is_(None), Organisation.path.startswith(fed.path))
    assert db.session.scalar(select(func.count()).select_from(units.subquery())) == \
        db.session.scalar(select(func.count(Target.id)).where(
            Target.year == TODAY.year, Target.node_id.in_(units)))
    places = set(db.session.scalars(select(AwarenessClass.place).where(
        AwarenessClass.starts_on >= CUTOVER)))
    assert places and all(p == "Trường Chính trị tỉnh" or p.startswith("Trung tâm chính trị ")
                          or p.startswith("Hội trường") for p in places), places
    assert verify().ok
