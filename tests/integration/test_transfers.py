"""Transfers (issue 10 item 6): a case moved to another union unit, Party organisation or
host cell on request, with the receiving side's answer."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from referral_flow.demo_steps import background_check
from referral_flow.models import CaseMove, PartyKind, Role, TransferKind, TransferState, Tree
from referral_flow.security import actionable, can, scoped_cases
from referral_flow.security.permissions import incoming_transfers
from referral_flow.services import audit, transfers
from referral_flow.services.dossier import checklist
from referral_flow.services.transitions import fire
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.errors import (Conflict, GuardFailed, InvalidStepData, NotAllowed,
                                           NotAvailable)

from referral_flow.services.transitions import CONFLICT

from ..conftest import audit_events, csrf_token
from .test_web import vi
from ..factories import TODAY, advance, new_case, org, user


@pytest.fixture
def in_dossier(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "dossier")
    background_check(case, case.state_since)
    db.session.commit()
    return case


def ask(case, world, user="party_officer_a", **targets):
    targets = targets or {"party_id": world["committee_b"].id, "cell_id": world["cell_b"].id}
    return transfers.request_transfer(
        case, world.users[user], kind=TransferKind.residence, reason="Chuyển nơi cư trú",
        expected_version=case.version, **targets)


def statuses(case):
    return {row.form_code: row.status for _stage, rows in checklist(case, TODAY)
            for row in rows}


def test_a_transfer_keeps_the_documents_and_flags_the_stale_ones(world, db, in_dossier):
    case = in_dossier
    documents = [(d.id, d.form_code, d.issued_on) for d in case.documents]
    assert statuses(case)["5-KNĐ"] == "ok"
    transfer = ask(case, world)
    assert case.host_cell == world["cell_a"]        # nothing moves before the answer
    transfers.accept_transfer(transfer, world.users["party_officer_b"],
                              expected_version=case.version, note="Đồng ý tiếp nhận")
    db.session.commit()
    assert (case.party_org, case.host_cell) == (world["committee_b"], world["cell_b"])
    assert [(d.id, d.form_code, d.issued_on) for d in case.documents] == documents
    assert transfer.state == TransferState.accepted
    assert transfer.move.to_cell_id == world["cell_b"].id
    shown = statuses(case)
    assert shown["3-KNĐ"] == shown["5-KNĐ"] == "moved"
    assert shown["1-KNĐ"] == "ok" and shown["2-KNĐ"] == "ok"
    # The dossier cannot go to the new cell with the old cell's letters ...
    with pytest.raises(GuardFailed) as refused:
        fire(case, "send_to_cell", world.users["cell_secretary_b"], expected_version=case.version)
    assert refused.value.form == "3-KNĐ"
    db.session.rollback()
    # ... until they are recorded again from the new place.
    fire(case, "send_to_cell", world.users["cell_secretary_b"], expected_version=case.version,
         data={"documents": [
             {"form_code": "3-KNĐ", "issued_on": TODAY, "issuer": "Lê Thị Hoa",
              "official": True, "months_together": 14},
             {"form_code": "5-KNĐ", "issued_on": TODAY, "issuer": "Chi ủy CB-b"}]})
    assert case.state == "cell_review"
    assert statuses(case)["3-KNĐ"] == "ok"


def test_a_draft_moves_to_another_union_with_its_party_organisation(world, db):
    case = new_case(world)
    db.session.commit()
    transfer = ask(case, world, "union_chair_a", union_id=world["unit_b"].id)
    transfers.accept_transfer(transfer, world.users["union_chair_b"],
                              expected_version=case.version)
    assert case.union_unit == world["unit_b"] and case.member.unit == world["unit_b"]
    assert case.party_org == world["committee_b"]


# Who may ask: the side responsible for the case at its stage.
@pytest.mark.parametrize(("user", "allowed"), [
    ("party_officer_a", True), ("cell_secretary_a", True), ("union_chair_a", False),
    ("competent_officer_a", False), ("class_organiser_a", False),
    ("federation_officer_a", False), ("party_officer_b", False), ("cell_secretary_b", False),
    ("administrator", False),
])
def test_who_may_ask_for_a_party_stage_transfer(world, db, in_dossier, user, allowed):
    assert can(world.users[user], "request_transfer", in_dossier) is allowed
    if allowed:
        assert ask(in_dossier, world, user).pending
    else:
        with pytest.raises(NotAllowed):
            ask(in_dossier, world, user)


@pytest.mark.parametrize(("user", "allowed"), [
    ("union_chair_a", True), ("party_officer_a", False), ("union_chair_b", False),
    ("federation_officer_a", False),
])
def test_who_may_ask_for_a_draft_transfer(world, db, user, allowed):
    case = new_case(world)
    assert can(world.users[user], "request_transfer", case) is allowed


# Who may answer: the receiving side.
@pytest.mark.parametrize(("targets", "user", "allowed"), [
    ("party", "party_officer_b", True), ("party", "cell_secretary_b", True),
    ("party", "party_officer_a", False), ("party", "cell_secretary_a", False),
    ("party", "union_chair_b", False), ("party", "competent_officer_b", False),
    ("party", "administrator", False),
    ("cell", "cell_secretary_a2", True), ("cell", "party_officer_a", True),
    ("cell", "cell_secretary_a", False), ("cell", "cell_secretary_b", False),
    ("union", "union_chair_b", True), ("union", "party_officer_a", False),
    ("union", "union_chair_a", False),
])
def test_who_may_answer(world, db, in_dossier, targets, user, allowed):
    case = in_dossier
    if targets == "cell":       # another cell of the same committee
        cell = another_cell(world)
        transfer = ask(case, world, cell_id=cell.id)
    elif targets == "union":    # a new employer, same Party organisation and cell
        transfer = ask(case, world, union_id=world["unit_b"].id)
    else:
        transfer = ask(case, world)
    assert can(world.users[user], "answer_transfer", transfer) is allowed
    incoming = db.session.scalars(incoming_transfers(world.users[user])).all()
    assert (transfer in incoming) is allowed
    if not allowed:
        with pytest.raises(NotAllowed):
            transfers.accept_transfer(transfer, world.users[user], expected_version=case.version)


def another_cell(world):
    """A second cell under committee_a, with its secretary."""
    cell = org("CB-a2", Tree.party, PartyKind.cell.value, parent=world["committee_a"],
               official_members=5)
    world.nodes["cell_a2"] = cell
    world.users["cell_secretary_a2"] = user(Role.cell_secretary, cell)
    return cell


@pytest.mark.parametrize("answer", ["refuse", "withdraw"])
def test_a_refused_or_withdrawn_transfer_changes_nothing(world, db, in_dossier, answer):
    case = in_dossier
    before = (case.union_unit_id, case.party_org_id, case.host_cell_id, case.state)
    transfer = ask(case, world)
    if answer == "refuse":
        transfers.refuse_transfer(transfer, world.users["party_officer_b"],
                                  expected_version=case.version, note="Chưa đủ điều kiện")
    else:
        transfers.withdraw_transfer(transfer, world.users["cell_secretary_a"],
                                    expected_version=case.version, note="Không chuyển nữa")
    db.session.commit()
    assert (case.union_unit_id, case.party_org_id, case.host_cell_id, case.state) == before
    assert db.session.scalars(select(CaseMove)).all() == []
    assert "moved" not in statuses(case).values()
    assert transfer.state == TransferState(f"{answer}d" if answer == "refuse" else "withdrawn")
    with pytest.raises(NotAvailable):       # answered once
        transfers.accept_transfer(transfer, world.users["party_officer_b"],
                                  expected_version=case.version)
    ask(case, world)                        # a new request may follow


def test_the_answer_is_a_compare_and_set_on_the_case(world, db, in_dossier):
    case = in_dossier
    transfer = ask(case, world)
    seen = case.version
    transfers.refuse_transfer(transfer, world.users["party_officer_b"], expected_version=seen,
                              note="Từ chối")
    with pytest.raises(Conflict):
        transfers.withdraw_transfer(transfer, world.users["party_officer_a"],
                                    expected_version=seen, note="Rút")


def test_bad_requests_are_refused_with_a_reason(world, db, in_dossier):
    case = in_dossier
    with pytest.raises(InvalidStepData):        # no reason
        transfers.request_transfer(case, world.users["party_officer_a"],
                                   kind=TransferKind.other, reason="  ",
                                   expected_version=case.version, cell_id=world["cell_b"].id)
    with pytest.raises(InvalidStepData):        # a cell of another committee
        ask(case, world, cell_id=world["cell_b"].id)
    with pytest.raises(InvalidStepData):        # a union node as a cell
        ask(case, world, cell_id=world["unit_b"].id)
    with pytest.raises(InvalidStepData):        # nowhere new
        ask(case, world, cell_id=world["cell_a"].id)
    ask(case, world)
    with pytest.raises(NotAvailable):           # one pending request at a time
        ask(case, world)


def test_a_probationary_members_transfer_is_due_in_60_working_days(world, db, app):
    case = advance(new_case(world, start=date(2024, 3, 1)), world, "probation",
                   today=date(2025, 12, 1))
    db.session.commit()
    app.config["FROZEN_TODAY"] = date(2026, 1, 5)
    transfer = ask(case, world)
    assert transfer.requested_on == date(2026, 1, 5)
    calendar = load_calendar()
    due = transfers.deadline(transfer, calendar, date(2026, 1, 5))
    # 60 working days from Monday 5 January 2026: twelve weeks, plus the five working days
    # of the Tết holiday (16-20 February 2026).
    assert due.due == date(2026, 4, 6)
    assert due.active and due.days_left == 60
    late = transfers.deadline(transfer, calendar, date(2026, 4, 8))
    assert late.overdue_by == 2
    transfers.accept_transfer(transfer, world.users["party_officer_b"],
                              expected_version=case.version, today=date(2026, 4, 8))
    done = transfers.deadline(transfer, calendar, date(2026, 4, 9))
    assert not done.active and done.met_on == date(2026, 4, 8) and done.late_by == 2
    # Other transfers have no such deadline.
    other = ask(new_dossier := advance(new_case(world, "b", start=date(2025, 6, 1)), world,
                                       "dossier"), world, "party_officer_b",
                party_id=world["committee_a"].id, cell_id=world["cell_a"].id)
    assert new_dossier.state == "dossier" and transfers.deadline(other, calendar) is None


def test_audit_events_of_a_transfer(world, db, in_dossier):
    case = in_dossier
    transfer = ask(case, world)
    transfers.accept_transfer(transfer, world.users["cell_secretary_b"],
                              expected_version=case.version, note="Tiếp nhận")
    again = ask(case, world, "cell_secretary_b", party_id=world["committee_a"].id,
                cell_id=world["cell_a"].id)
    transfers.withdraw_transfer(again, world.users["party_officer_b"],
                                expected_version=case.version, note="Ở lại")
    third = ask(case, world, "party_officer_b", party_id=world["committee_a"].id,
                cell_id=world["cell_a"].id)
    transfers.refuse_transfer(third, world.users["party_officer_a"],
                              expected_version=case.version, note="Không tiếp nhận")
    db.session.commit()
    events = [e for e in audit_events(db) if e.trigger in (
        "request_transfer", "move", "withdraw_transfer", "refuse_transfer")]
    assert [e.trigger for e in events] == [
        "request_transfer", "move", "request_transfer", "withdraw_transfer",
        "request_transfer", "refuse_transfer"]
    request, move = events[0], events[1]
    assert request.comment == "Chuyển nơi cư trú" and request.data["cell"] == world["cell_b"].id
    assert move.data["transfer"] == transfer.id and move.data["kind"] == "transfer"
    assert move.data["cell"] == [world["cell_a"].id, world["cell_b"].id]
    assert move.actor_id == world.users["cell_secretary_b"].id
    assert events[3].comment == "Ở lại" and events[5].comment == "Không tiếp nhận"
    assert audit.verify().ok


def test_after_acceptance_the_case_is_the_receiving_sides_work(world, db, in_dossier):
    case = in_dossier
    old, new = world.users["cell_secretary_a"], world.users["cell_secretary_b"]

    def work(user):
        return db.session.scalars(scoped_cases(user).where(actionable(user))).all()

    def visible(user):
        return db.session.scalars(scoped_cases(user)).all()

    assert case in work(old) and case not in visible(new)
    transfer = ask(case, world)
    assert case not in visible(new)         # asked, not yet accepted
    transfers.accept_transfer(transfer, world.users["party_officer_b"],
                              expected_version=case.version)
    db.session.commit()
    assert case in work(new) and case in visible(world.users["party_officer_b"])
    assert case not in work(old) and case not in visible(old)
    assert case not in visible(world.users["party_officer_a"])


# --- the screens --------------------------------------------------------------------------

def form_post(client, page_url, url, prefix, **fields):
    token = csrf_token(client.get(page_url).text)
    data = {f"{prefix}-{k}": v for k, v in fields.items()} | {"csrf_token": token}
    return client.post(url, data=data)


def test_asking_and_accepting_through_the_pages(app, world, db, auth, client, in_dossier):
    case = in_dossier
    auth.login(world.users["cell_secretary_a"].username)
    page = client.get(f"/cases/{case.id}")
    assert 'id="transfers"' in page.text and world["cell_b"].name in page.text
    sent = form_post(client, f"/cases/{case.id}", f"/cases/{case.id}/transfer", "transfer",
                     version=case.version, kind="residence", reason="Chuyển về nơi ở mới",
                     party_id=world["committee_b"].id, cell_id=world["cell_b"].id)
    assert sent.status_code == 302
    transfer = transfers.pending_of(case)
    assert f'data-transfer="{transfer.id}"' in client.get("/inbox/?group=watching").text
    auth.logout()

    auth.login(world.users["cell_secretary_b"].username)
    assert client.get(f"/cases/{case.id}").status_code == 404      # not theirs yet
    inbox = client.get("/inbox/").text
    assert f'data-transfer="{transfer.id}"' in inbox
    url = f"/cases/transfers/{transfer.id}"
    assert "Chuyển về nơi ở mới" in client.get(url).text
    token = csrf_token(client.get(url).text)
    done = client.post(f"{url}/answer", data={"csrf_token": token, "decision": "accept",
                                              "answer-version": case.version})
    assert done.status_code == 302 and done.location == f"/cases/{case.id}"
    page = client.get(f"/cases/{case.id}").text
    assert vi(app, "to be supplemented after the transfer") in page
    db.session.expire_all()
    assert case.host_cell == world["cell_b"]


def test_bad_input_is_refused_in_vietnamese_and_kept(app, world, db, auth, client, in_dossier):
    case = in_dossier
    auth.login(world.users["party_officer_a"].username)
    page_url = f"/cases/{case.id}"
    no_reason = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                          version=case.version, kind="employer", reason="",
                          union_id=world["unit_b"].id)
    assert no_reason.status_code == 400
    foreign_cell = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                             version=case.version, kind="residence", reason="Nhà mới",
                             cell_id=world["cell_b"].id)
    assert foreign_cell.status_code == 422
    assert vi(app, "The host cell must belong to the receiving Party organisation: choose a "
                   "host cell there.") in foreign_cell.text
    assert "Nhà mới" in foreign_cell.text            # what was typed is kept
    not_a_node = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                           version=case.version, kind="residence", reason="Nhà mới",
                           cell_id="99999999999999")
    assert not_a_node.status_code == 400
    stale = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                      version=case.version - 1, kind="residence", reason="Nhà mới",
                      party_id=world["committee_b"].id, cell_id=world["cell_b"].id)
    assert stale.status_code == 409 and vi(app, CONFLICT) in stale.text
    assert transfers.pending_of(case) is None


def test_refusing_needs_a_reason_and_outsiders_see_nothing(app, world, db, auth, client,
                                                           in_dossier):
    case = in_dossier
    transfer = ask(case, world)
    db.session.commit()
    url = f"/cases/transfers/{transfer.id}"
    auth.login(world.users["union_chair_b"].username)
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(world.users["party_officer_b"].username)
    token = csrf_token(client.get(url).text)
    bare = client.post(f"{url}/answer", data={"csrf_token": token, "decision": "refuse",
                                              "answer-version": case.version})
    assert bare.status_code == 422 and vi(app, "Give the reason.") in bare.text
    odd = client.post(f"{url}/answer", data={"csrf_token": token, "decision": "maybe",
                                             "answer-version": case.version})
    assert odd.status_code == 400
    assert client.get("/cases/transfers/99999999999999").status_code == 404
    refused = client.post(f"{url}/answer", data={"csrf_token": token, "decision": "refuse",
                                                 "answer-version": case.version,
                                                 "answer-note": "Không đủ điều kiện"})
    assert refused.status_code == 302
    db.session.expire_all()
    assert transfer.state == TransferState.refused and case.host_cell == world["cell_a"]


def test_a_probationary_transfer_shows_in_the_due_lists(app, world, db, auth, client):
    case = advance(new_case(world, start=date(2024, 3, 1)), world, "probation")
    db.session.commit()
    transfer = ask(case, world)
    db.session.commit()
    due = transfers.deadline(transfer, load_calendar()).due
    for officer in ("party_officer_a", "party_officer_b"):
        auth.login(world.users[officer].username)
        report = client.get("/reports/party").text
        section = report[report.index('id="due-transfers"'):]
        assert f'data-transfer="{transfer.id}"' in section and due.strftime("%d/%m/%Y") in section
        auth.logout()
    auth.login(world.users["party_officer_b"].username)
    assert due.strftime("%d/%m/%Y") in client.get("/inbox/").text


def test_too_many_places_to_list_are_asked_by_code(app, world, db, auth, client, in_dossier,
                                                   monkeypatch):
    """A province has thousands of units and cells: past ``CHOICES_LIMIT`` the form asks
    for the organisation's code instead of listing every open node of the tree."""
    monkeypatch.setattr(transfers, "CHOICES_LIMIT", 1)
    case = in_dossier
    auth.login(world.users["cell_secretary_a"].username)
    page_url = f"/cases/{case.id}"
    page = client.get(page_url).text
    assert 'name="transfer-cell_code"' in page and 'name="transfer-cell_id"' not in page
    assert world["cell_b"].name not in page
    unknown = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                        version=case.version, kind="residence", reason="Nhà mới",
                        party_code=world["committee_b"].code, cell_code="KHONG-CO")
    assert unknown.status_code == 400
    assert vi(app, "No organisation has this code.") in unknown.text
    assert "KHONG-CO" in unknown.text and "Nhà mới" in unknown.text
    wrong_kind = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                           version=case.version, kind="residence", reason="Nhà mới",
                           cell_code=world["unit_b"].code)
    assert wrong_kind.status_code == 422
    sent = form_post(client, page_url, f"/cases/{case.id}/transfer", "transfer",
                     version=case.version, kind="residence", reason="Chuyển về nơi ở mới",
                     party_code=world["committee_b"].code, cell_code=world["cell_b"].code)
    assert sent.status_code == 302
    transfer = transfers.pending_of(case)
    assert (transfer.to_party_id, transfer.to_cell_id) == (world["committee_b"].id,
                                                           world["cell_b"].id)
