"""No dead end from a typo: the outcome of a vote is shown and confirmed before it is saved,
and a recorded step can be corrected, by its author on the day or later by the body above,
as an audited event that takes the step back; history is never rewritten."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from referral_flow.models import AuditEvent, Case, Enrolment, EnrolmentResult, MoveKind, Role
from referral_flow.services import audit, placement
from referral_flow.services.corrections import correct, correctable
from referral_flow.workflow.errors import NotAllowed, NotAvailable

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case, user
from .test_web import vi

MEETING = "cell_approve"


@pytest.fixture
def at_cell(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=300)), world, "cell_review")
    db.session.commit()
    return case


def vote(held_on, eligible=9, votes_for=8, **extra):
    return {"held_on": held_on.isoformat(), "eligible": eligible, "present": eligible,
            "votes_for": votes_for, "votes_against": eligible - votes_for,
            "resolution_no": "12-NQ/CB", **extra}


def post(client, url, prefix, fields, **raw):
    page = client.get(url.rsplit("/", 1)[0] if "/correct/" not in url else
                      url.split("/correct/")[0])
    data = {f"{prefix}-{k}": v for k, v in {"csrf_token": csrf_token(page.text), **fields}.items()}
    return client.post(url, data=data | raw)


def confirm_token(page: str) -> str:
    m = re.search(r'name="confirm" value="([0-9a-f]{24})"', page)
    assert m, "no confirmation button"
    return m.group(1)


def meeting(client, case, figures, *, confirm=False, close=False):
    url = f"/cases/{case.id}/{MEETING}"
    fields = {"version": case.version, **figures}
    first = post(client, url, MEETING, fields)
    if not confirm:
        return first
    raw = {"confirm": confirm_token(first.text)}
    if close:
        raw["confirm_close"] = "1"
    return post(client, url, MEETING, fields, **raw)


def test_a_vote_shows_its_outcome_and_saves_nothing_until_confirmed(world, db, app, auth,
                                                                    client, at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    steps = select(AuditEvent.id).where(AuditEvent.subject == "case").order_by(
        AuditEvent.id.desc()).limit(1)
    before = db.session.scalar(steps)
    page = meeting(client, at_cell, vote(TODAY, 9, 5))
    assert page.status_code == 200
    assert vi(app, "%(f)d/%(e)d in favour, below %(ratio)s (%(need)d needed)",
              f=5, e=9, ratio="2/3", need=6) in page.text
    assert vi(app, "the cell does not propose admission") in page.text
    assert "confirm_close" in page.text                 # closing is confirmed separately
    db.session.expire_all()
    assert at_cell.state == "cell_review"
    assert db.session.scalar(steps) == before


def test_a_closing_outcome_needs_its_own_confirmation(world, db, auth, client, at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    url, fields = f"/cases/{at_cell.id}/{MEETING}", {"version": at_cell.version,
                                                      **vote(TODAY, 9, 5)}
    token = confirm_token(post(client, url, MEETING, fields).text)
    unticked = post(client, url, MEETING, fields, confirm=token)
    assert unticked.status_code == 200
    db.session.expire_all()
    assert at_cell.state == "cell_review"
    saved = post(client, url, MEETING, fields, confirm=token, confirm_close="1")
    assert saved.status_code == 302
    db.session.expire_all()
    assert at_cell.state == "rejected"


def test_a_confirmation_counts_only_for_the_figures_it_showed(world, db, auth, client,
                                                              at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    url = f"/cases/{at_cell.id}/{MEETING}"
    token = confirm_token(post(client, url, MEETING, {"version": at_cell.version,
                                                      **vote(TODAY, 9, 8)}).text)
    changed = post(client, url, MEETING, {"version": at_cell.version, **vote(TODAY, 9, 5)},
                   confirm=token, confirm_close="1")
    assert changed.status_code == 200                    # shown again, with the new outcome
    db.session.expire_all()
    assert at_cell.state == "cell_review"


def test_a_passing_vote_moves_on_once_confirmed_and_names_the_new_step(world, db, app, auth,
                                                                       client, at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    saved = meeting(client, at_cell, vote(TODAY, 9, 8), confirm=True)
    assert saved.status_code == 302
    db.session.expire_all()
    assert at_cell.state == "committee_review"
    page = client.get(f"/cases/{at_cell.id}").text
    assert vi(app, "Saved. The case is now at the step: %(state)s.",
              state=vi(app, "Grassroots committee review")) in page


def _reject_by_typo(client, case):
    assert meeting(client, case, vote(TODAY, 9, 5), confirm=True, close=True).status_code == 302


def _correct(client, case, event_id, figures, mode="again", reason="Nhập nhầm số phiếu"):
    url = f"/cases/{case.id}/correct/{event_id}"
    prefix = f"fix{event_id}"
    fields = {"version": case.version, "reason": reason, "mode": mode, **figures}
    first = post(client, url, prefix, fields)
    if mode == "undo":
        return first
    return post(client, url, prefix, fields, confirm=confirm_token(first.text))


def test_the_author_corrects_a_typo_on_the_same_day(world, db, app, auth, client, at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    _reject_by_typo(client, at_cell)
    db.session.expire_all()
    wrong = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == at_cell.id)
                               .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert at_cell.state == "rejected" and at_cell.closed_on == TODAY
    assert wrong.trigger == "cell_reject"
    done = _correct(client, at_cell, wrong.id, vote(TODAY, 9, 8))
    assert done.status_code == 302
    db.session.expire_all()
    assert at_cell.state == "committee_review"
    assert at_cell.closed_on is None and at_cell.close_reason is None
    votes = sorted(at_cell.votes, key=lambda v: v.id)
    assert [(v.votes_for, v.voided_on) for v in votes[-2:]] == [(5, TODAY), (8, None)]
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == at_cell.id,
                                                        AuditEvent.subject == "case")
                               .order_by(AuditEvent.id)).all()
    assert [e.trigger for e in trail[-3:]] == ["cell_reject", "correct", "cell_approve"]
    assert trail[-2].corrects_id == wrong.id and trail[-2].to_state == "cell_review"
    assert trail[-2].comment == "Nhập nhầm số phiếu"
    assert audit.verify().ok
    page = client.get(f"/cases/{at_cell.id}").text
    assert vi(app, "corrected on %(d)s", d=TODAY.strftime("%d/%m/%Y")) in page
    assert "Nhập nhầm số phiếu" in page


def test_the_author_may_not_correct_on_a_later_day_but_the_body_above_may(world, db, app,
                                                                          auth, client, at_cell):
    secretary = world.users["cell_secretary_a"]
    auth.login(secretary.username)
    _reject_by_typo(client, at_cell)
    auth.logout()       # (a day later his session would have expired anyway)
    db.session.expire_all()
    later = TODAY + timedelta(days=1)
    app.config["FROZEN_TODAY"] = later
    assert correctable(secretary, at_cell, later) is None
    wrong = correctable(world.users["competent_officer_a"], at_cell, later)
    assert wrong is not None and wrong.by_body_above and not wrong.by_author
    assert correctable(world.users["competent_officer_b"], at_cell, later) is None
    assert correctable(world.users["union_chair_a"], at_cell, later) is None
    assert correctable(world.users["administrator"], at_cell, later).by_body_above
    with pytest.raises(NotAllowed):
        correct(at_cell, wrong.event.id, secretary, reason="x", expected_version=at_cell.version,
                today=later)
    auth.login(world.users["competent_officer_a"].username)
    assert _correct(client, at_cell, wrong.event.id, vote(TODAY, 9, 8)).status_code == 302
    db.session.expire_all()
    assert at_cell.state == "committee_review"
    correction = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "correct")
                                    ).one()
    assert correction.actor_id == world.users["competent_officer_a"].id
    assert correction.step_on == later


def test_only_the_latest_step_can_be_corrected(world, db, at_cell):
    first = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == at_cell.id,
                                                        AuditEvent.trigger == "submit")).one()
    with pytest.raises(NotAvailable):
        correct(at_cell, first.id, world.users["administrator"], reason="x",
                expected_version=at_cell.version)


def test_a_reason_is_required_and_nothing_changes_without_it(world, db, app, auth, client,
                                                             at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    _reject_by_typo(client, at_cell)
    db.session.expire_all()
    event = correctable(world.users["cell_secretary_a"], at_cell).event
    page = _correct(client, at_cell, event.id, vote(TODAY, 9, 8), mode="undo", reason="")
    assert page.status_code == 400
    db.session.expire_all()
    assert at_cell.state == "rejected"


def test_taking_a_step_back_only_returns_the_case_to_the_step_before(world, db, auth, client,
                                                                     at_cell):
    auth.login(world.users["cell_secretary_a"].username)
    _reject_by_typo(client, at_cell)
    db.session.expire_all()
    event = correctable(world.users["cell_secretary_a"], at_cell).event
    assert _correct(client, at_cell, event.id, {}, mode="undo").status_code == 302
    db.session.expire_all()
    assert at_cell.state == "cell_review"
    assert correctable(world.users["cell_secretary_a"], at_cell) is None   # nothing to undo now


def test_a_class_result_is_corrected_with_its_certificate(world, db, at_cell):
    case = advance(new_case(world, start=TODAY - timedelta(days=300)), world, "certified")
    db.session.commit()
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.case_id == case.id)).one()
    assert enrolment.result == EnrolmentResult.passed
    organiser = user(Role.administrator, None)
    event = correctable(organiser, case).event
    assert event.trigger == "pass_class"
    correct(case, event.id, organiser, reason="Học viên chưa thi", expected_version=case.version)
    db.session.commit()
    db.session.expire_all()
    assert case.state == "in_class" and case.certified_on is None
    assert enrolment.result == EnrolmentResult.pending and enrolment.certificate_no is None
    certificate = [d for d in case.documents if d.form_code == "certificate"]
    assert len(certificate) == 1 and certificate[0].withdrawn_on == TODAY
    assert certificate[0].withdrawn_reason == "Học viên chưa thi"
    assert case.latest_document("certificate") is None
    assert audit.verify().ok


def test_correcting_an_acceptance_restores_the_helpers_it_replaced(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=300)), world, "accepted")
    db.session.commit()
    assert len(case.helpers) == 1 and case.helpers[0].party_member_id is not None
    admin = world.users["administrator"]
    event = correctable(admin, case).event
    correct(case, event.id, admin, reason="Nhầm chi bộ", expected_version=case.version)
    db.session.commit()
    db.session.expire_all()
    assert case.state == "nominated" and case.host_cell_id is None and case.helpers == []
    assert case.accepted_on is None


def test_a_corrected_step_leaves_the_cohort(world, db, app, auth, client, at_cell):
    """Reports count what happened: a vote taken back is not a refusal."""
    from referral_flow.reports.queries import cohort_steps
    from referral_flow.workflow.calendar import load_calendar
    auth.login(world.users["cell_secretary_a"].username)
    _reject_by_typo(client, at_cell)
    db.session.expire_all()
    event = correctable(world.users["cell_secretary_a"], at_cell).event
    _correct(client, at_cell, event.id, vote(TODAY, 9, 8))
    db.session.expire_all()
    reached, _, _ = cohort_steps(world.users["administrator"], TODAY, at_cell.referral_year,
                              Case.id == at_cell.id, load_calendar())
    assert "rejected" not in reached and reached["committee_review"] == 1


def test_the_outcome_names_the_certificate_of_a_pass_and_the_step_it_leads_to(app, db):
    from referral_flow.services.outcome import describe
    with app.test_request_context():
        text = describe("pass_class", {"certificate_no": "GCN-DN-007"}, "certified", TODAY)
        verdict = vi(app, "passed the awareness class, certificate %(no)s", no="GCN-DN-007")
        where = vi(app, "the case moves to the step: %(state)s",
                   state=vi(app, "Certificate obtained"))
        assert text == f"{verdict[:1].upper()}{verdict[1:]}; {where}."


def test_a_step_taken_before_the_case_moved_is_not_taken_back(world, db, at_cell):
    admin = world.users["administrator"]
    assert correctable(admin, at_cell, TODAY) is not None
    placement.move_case(at_cell, on=TODAY, kind=MoveKind.transfer, actor_id=admin.id,
                        host_cell=world["gcell_a"])
    db.session.commit()
    assert correctable(admin, at_cell, TODAY) is None
