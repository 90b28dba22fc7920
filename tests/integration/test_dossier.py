"""The dossier is a record, not the newest row: every document of each form with its
standing; documents corrected or withdrawn with a reason, never deleted."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral_flow.models import AuditEvent
from referral_flow.services import audit
from referral_flow.services.dossier import checklist
from referral_flow.services.transitions import fire

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case
from .test_web import vi


@pytest.fixture
def in_dossier(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "dossier")
    db.session.commit()
    return case


def post(client, case, url, prefix, **fields):
    token = csrf_token(client.get(f"/cases/{case.id}").text)
    return client.post(url, data={f"{prefix}-{k}": v
                                  for k, v in {"csrf_token": token, **fields}.items()})


def letter(client, case, months, issuer="Lê Văn Bảy"):
    return post(client, case, f"/cases/{case.id}/documents/3-knd", "doc-3-knd",
                issuer=issuer, issued_on=TODAY.isoformat(), official="y",
                months_together=months)


def row_of(case, form):
    return next(r for _stage, rows in checklist(case, TODAY) for r in rows
                if r.form_code == form)


def test_every_letter_is_listed_with_its_own_standing(world, db, auth, client, in_dossier):
    """A later letter that does not qualify no longer hides the one that does."""
    auth.login(world.users["cell_secretary_a"].username)
    assert letter(client, in_dossier, 8).status_code == 302
    db.session.expire_all()
    row = row_of(in_dossier, "3-KNĐ")
    assert [r.status for r in row.documents] == ["ok", "not_qualifying"]
    assert row.status == "ok"
    page = client.get(f"/cases/{in_dossier.id}").text
    assert "Trần Văn Hùng" in page and "Lê Văn Bảy" in page
    assert vi(client.application, "does not qualify") in page


def test_a_withdrawn_document_stays_on_record_and_no_longer_counts(world, db, auth, client,
                                                                   in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    first = row_of(in_dossier, "1-KNĐ").document
    url = f"/cases/{in_dossier.id}/documents/{first.id}/withdraw"
    assert post(client, in_dossier, url, f"withdraw{first.id}", reason="").status_code == 400
    assert post(client, in_dossier, url, f"withdraw{first.id}",
                reason="Đơn viết sai họ tên").status_code == 302
    db.session.expire_all()
    row = row_of(in_dossier, "1-KNĐ")
    assert [r.status for r in row.documents] == ["withdrawn"] and row.status == "missing"
    assert first.withdrawn_on == TODAY and first.withdrawn_reason == "Đơn viết sai họ tên"
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.trigger == "withdraw_document")).one()
    assert event.data["document_id"] == first.id and event.comment == "Đơn viết sai họ tên"
    # The guard no longer counts it: the case cannot go to the cell.
    page = post(client, in_dossier, f"/cases/{in_dossier.id}/send_to_cell", "send_to_cell",
                version=in_dossier.version, on=TODAY.isoformat())
    assert page.status_code == 422
    assert 'href="#doc-1-knd"' in page.text                  # the fix is one click away
    assert "Đơn viết sai họ tên" in page.text
    assert audit.verify().ok


def test_a_corrected_document_replaces_the_old_one(world, db, auth, client, in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    old = row_of(in_dossier, "3-KNĐ").document
    url = f"/cases/{in_dossier.id}/documents/{old.id}/correct"
    done = post(client, in_dossier, url, f"correct{old.id}", issuer="Trần Văn Hùng",
                issued_on=old.issued_on.isoformat(), official="y", months_together=30,
                reason="Sai số tháng")
    assert done.status_code == 302
    db.session.expire_all()
    row = row_of(in_dossier, "3-KNĐ")
    assert [(r.status, r.document.detail["months_together"]) for r in row.documents] == [
        ("withdrawn", 24), ("ok", 30)]
    new = row.document
    assert new.replaces_id == old.id and old.withdrawn_reason == "Sai số tháng"
    assert db.session.scalars(select(AuditEvent.trigger).where(
        AuditEvent.subject == "document")).all() == ["correct_document"]


def test_the_document_form_asks_only_for_its_own_fields(world, db, auth, client, in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    page = client.get(f"/cases/{in_dossier.id}").text
    assert 'id="doc-1-knd-issued_on"' in page
    assert 'id="doc-1-knd-official"' not in page and 'id="doc-1-knd-verified"' not in page
    assert 'id="doc-3-knd-months_together"' in page and 'id="doc-2-knd-verified"' in page
    assert 'id="doc-4a-knd-' not in page               # the 4A-KNĐ comes with the nomination


def test_the_recognition_refusal_links_to_the_missing_document(world, db, auth, client):
    case = advance(new_case(world, start=TODAY - timedelta(days=900)), world, "probation")
    case.probation_ends_on = TODAY - timedelta(days=3)
    db.session.commit()
    auth.login(world.users["cell_secretary_a"].username)
    page = post(client, case, f"/cases/{case.id}/open_recognition", "open_recognition",
                version=case.version, held_on=TODAY.isoformat(), eligible=9, present=9,
                votes_for=9, votes_against=0, resolution_no="5-NQ/CB")
    assert page.status_code == 422
    assert 'href="#doc-10-knd"' in page.text and 'id="doc-10-knd"' in page.text


def test_documents_are_not_corrected_where_the_stage_is_closed(world, db, auth, client):
    case = advance(new_case(world, start=TODAY - timedelta(days=300)), world, "cell_review")
    db.session.commit()
    auth.login(world.users["cell_secretary_a"].username)
    doc = row_of(case, "1-KNĐ").document
    page = client.get(f"/cases/{case.id}").text
    assert f"/documents/{doc.id}/withdraw" not in page
    refused = post(client, case, f"/cases/{case.id}/documents/{doc.id}/withdraw",
                   f"withdraw{doc.id}", reason="x")
    assert refused.status_code == 403
    fire(case, "cell_defer", None, expected_version=case.version, comment="Bổ sung",
         check_permission=False)
    db.session.commit()
    assert f"/documents/{doc.id}/withdraw" in client.get(f"/cases/{case.id}").text
