"""The signed paper comes back (issue 12 item 3): a scan attached to its document, its type
told by the content, kept under its SHA-256 outside the web root, every version kept, each
download scoped like the case page and logged like a read of the record."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select, text

from referral_flow.models import AuditEvent, Role, Scan
from referral_flow.services import audit
from referral_flow.services.dossier import checklist
from referral_flow.services.scans import NOT_A_SCAN

from ..conftest import csrf_token, logged_reads
from ..factories import TODAY, advance, new_case, user
from ..security.test_files import BOUNDARY, multipart
from .test_web import vi


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("L", (60, 80), 255).save(out, format=kind)
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def in_dossier(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "dossier")
    db.session.commit()
    return case


def doc_of(case, form):
    return case.latest_document(form)


def upload(client, case, document, data: bytes, name: str,
           content_type: str = "application/octet-stream"):
    token = csrf_token(client.get(f"/cases/{case.id}").text)
    prefix = f"scan{document.id}"
    body = multipart({f"{prefix}-csrf_token": token}, data, f"{prefix}-file", name,
                     content_type)
    return client.post(f"/cases/{case.id}/documents/{document.id}/scan", data=body,
                       content_type=f"multipart/form-data; boundary={BOUNDARY}")


def scans(db, document) -> list[Scan]:
    db.session.expire_all()
    return list(db.session.scalars(select(Scan).where(Scan.document_id == document.id)
                                   .order_by(Scan.id)))


@pytest.mark.parametrize(("data", "name", "kind"), [
    (pdf_bytes(2), "don-xin-vao-dang.pdf", "application/pdf"),
    (image_bytes("JPEG"), "Đơn xin vào Đảng.JPG", "image/jpeg"),
    (image_bytes("PNG"), "scan.png", "image/png"),
    # A PDF named .jpg (and sent as an image) is a PDF: kept as one, downloaded as .pdf.
    (pdf_bytes(), "scan-ky.jpg", "application/pdf"),
])
def test_a_scan_is_kept_by_its_content_under_its_sha256(app, world, db, auth, client,
                                                         in_dossier, data, name, kind):
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "1-KNĐ")
    response = upload(client, in_dossier, document, data, name, "image/jpeg")
    assert response.status_code == 302
    [scan] = scans(db, document)
    digest = hashlib.sha256(data).hexdigest()
    assert (scan.media_type, scan.sha256, scan.size, scan.original_name) == (
        kind, digest, len(data), name)
    stored = Path(app.config["SCANS_DIR"]) / digest[:2] / digest
    assert stored.read_bytes() == data          # named by its content, never by the user
    assert not any(p.name == name for p in Path(app.config["SCANS_DIR"]).rglob("*"))
    got = client.get(f"/cases/{in_dossier.id}/scans/{scan.id}")
    assert got.status_code == 200 and got.data == data and got.mimetype == kind
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[kind]
    assert f'filename=1-KND-{in_dossier.id}-v1.{extension}' in got.headers["Content-Disposition"]
    assert got.headers["Content-Disposition"].startswith("attachment")


def test_the_audit_event_names_the_sha256_size_type_and_name(world, db, auth, client,
                                                             in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    document, data = doc_of(in_dossier, "3-KNĐ"), pdf_bytes()
    assert upload(client, in_dossier, document, data, "thu-gioi-thieu.pdf").status_code == 302
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.trigger == "attach_scan")).one()
    assert event.subject == "scan" and event.case_id == in_dossier.id
    assert event.actor_id == world.users["cell_secretary_a"].id
    assert event.data == {"form": "3-KNĐ", "document_id": document.id,
                          "scan_id": scans(db, document)[0].id,
                          "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                          "type": "application/pdf", "name": "thu-gioi-thieu.pdf",
                          "replaces": None}
    assert audit.verify().ok


def test_an_html_file_named_pdf_is_refused_in_vietnamese(app, world, db, auth, client,
                                                         in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "1-KNĐ")
    response = upload(client, in_dossier, document, HTML, "don.pdf", "application/pdf")
    assert response.status_code == 422
    assert vi(app, NOT_A_SCAN) in response.text
    assert "Tệp này không phải là bản quét" in response.text
    assert scans(db, document) == []
    assert not Path(app.config["SCANS_DIR"]).exists()


@pytest.mark.parametrize(("data", "name"), [
    (b"%PDF-1.7\n<html>not really</html>", "fake.pdf"),        # the magic, not a PDF
    (image_bytes("JPEG")[:-400], "cut.jpg"),                   # a JPEG cut short
    (image_bytes("PNG")[:-30], "cut.png"),                     # a PNG cut short
    (b"", "empty.pdf"),
])
def test_a_damaged_or_empty_file_is_refused(world, db, auth, client, in_dossier, data, name):
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "1-KNĐ")
    response = upload(client, in_dossier, document, data, name)
    assert response.status_code in (400, 422)
    assert 'role="alert"' in response.text
    assert scans(db, document) == []


def test_a_scan_over_the_limit_is_refused_naming_it(app, world, db, auth, client, in_dossier):
    app.config["SCAN_MAX_BYTES"] = 2_500_000
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "1-KNĐ")
    big = pdf_bytes() + b"%" + b"0" * 2_600_000
    response = upload(client, in_dossier, document, big, "big.pdf")
    assert response.status_code == 413
    assert "tối đa 2,5 MB" in response.text
    assert scans(db, document) == []


def test_a_body_over_the_request_limit_gets_the_scan_message(app, world, db, auth, client,
                                                             in_dossier):
    """Flask refuses it before the form is read; the page names the limit and the case."""
    app.config["MAX_CONTENT_LENGTH"] = 3_000_000
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "1-KNĐ")
    response = upload(client, in_dossier, document, b"0" * 3_100_000, "huge.pdf")
    assert response.status_code == 413
    assert "tối đa 3 MB" in response.text and "bản quét" in response.text
    assert f'href="/cases/{in_dossier.id}"' in response.text


def test_a_replaced_scan_stays_in_the_history(app, world, db, auth, client, in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "5-KNĐ")
    first, second = pdf_bytes(1), image_bytes("PNG")
    assert upload(client, in_dossier, document, first, "v1.pdf").status_code == 302
    assert upload(client, in_dossier, document, second, "v2.png").status_code == 302
    old, new = scans(db, document)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.trigger == "attach_scan").order_by(AuditEvent.id)).all()
    assert [e.data["replaces"] for e in events] == [None, old.id]
    assert client.get(f"/cases/{in_dossier.id}/scans/{old.id}").data == first
    got = client.get(f"/cases/{in_dossier.id}/scans/{new.id}")
    assert got.data == second and "v2.png" in got.headers["Content-Disposition"]
    row = next(r for _s, rows in checklist(in_dossier, TODAY, with_scans=True) for r in rows
               if r.form_code == "5-KNĐ")
    assert [s.id for s in row.documents[0].scans] == [old.id, new.id]
    assert row.documents[0].scan.id == new.id
    page = client.get(f"/cases/{in_dossier.id}").text
    assert f"/cases/{in_dossier.id}/scans/{old.id}" in page
    assert f"/cases/{in_dossier.id}/scans/{new.id}" in page
    # The table refuses to forget: no row of it can be changed or deleted.
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM scan"))
    db.session.rollback()


def test_permissions_follow_the_case_and_the_step(app, world, db, auth, client, in_dossier):
    """Another unit's staff get 404; who may only see the case may download, not upload;
    the union's chair may attach the 4A-KNĐ he took to the cell, not the cell's papers."""
    document = doc_of(in_dossier, "1-KNĐ")
    auth.login(world.users["cell_secretary_a"].username)
    assert upload(client, in_dossier, document, pdf_bytes(), "a.pdf").status_code == 302
    [scan] = scans(db, document)
    auth.logout()

    auth.login(world.users["cell_secretary_b"].username)
    assert client.get(f"/cases/{in_dossier.id}/scans/{scan.id}").status_code == 404
    assert client.post(f"/cases/{in_dossier.id}/documents/{document.id}/scan").status_code \
        in (400, 404)
    auth.logout()

    auth.login(world.users["union_chair_a"].username)
    assert upload(client, in_dossier, document, pdf_bytes(), "b.pdf").status_code == 403
    assert client.get(f"/cases/{in_dossier.id}/scans/{scan.id}").status_code == 200
    union = doc_of(in_dossier, "4A-KNĐ")
    assert upload(client, in_dossier, union, pdf_bytes(), "4a.pdf").status_code == 302
    auth.logout()

    # The candidate sees his own case: he may download its scans, not upload.
    me = user(Role.member, None, member_id=in_dossier.member_id)
    db.session.commit()
    auth.login(me.username)
    assert client.get(f"/cases/{in_dossier.id}/scans/{scan.id}").status_code == 200
    assert upload(client, in_dossier, document, pdf_bytes(), "c.pdf").status_code == 403
    assert len(scans(db, document)) == 1
    # A scan of another case is not reached through this one.
    other = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "dossier")
    db.session.commit()
    assert client.get(f"/cases/{other.id}/scans/{scan.id}").status_code == 404


def test_a_staff_download_is_logged_as_a_read_of_the_record(world, db, auth, client,
                                                            in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "2-KNĐ")
    assert upload(client, in_dossier, document, pdf_bytes(), "ly-lich.pdf").status_code == 302
    [scan] = scans(db, document)
    before = len(logged_reads(db))
    assert client.get(f"/cases/{in_dossier.id}/scans/{scan.id}").status_code == 200
    reads = logged_reads(db)
    assert len(reads) == before + 1
    read = reads[-1]
    assert read.endpoint == "scans.download" and read.members == {in_dossier.member_id}
    assert read.filters["scan_id"] == scan.id


def test_a_missing_or_altered_file_is_said_not_served(app, world, db, auth, client,
                                                      in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    document = doc_of(in_dossier, "1-KNĐ")
    data = pdf_bytes()
    assert upload(client, in_dossier, document, data, "a.pdf").status_code == 302
    [scan] = scans(db, document)
    stored = Path(app.config["SCANS_DIR"]) / scan.sha256[:2] / scan.sha256
    stored.write_bytes(data + b"tampered")
    response = client.get(f"/cases/{in_dossier.id}/scans/{scan.id}", follow_redirects=True)
    assert "SHA-256" in response.text and response.request.path == f"/cases/{in_dossier.id}"


def test_the_checklist_shows_which_papers_are_signed(app, world, db, auth, client):
    """The dossier documents and the papers the steps recorded (6-, 8-, 9-KNĐ) each say
    whether their signed scan is uploaded, when and by whom."""
    case = advance(new_case(world, start=TODAY - timedelta(days=400)), world, "admitted")
    db.session.commit()
    auth.login(world.users["competent_officer_a"].username)
    decision = doc_of(case, "9-KNĐ")
    assert upload(client, case, decision, pdf_bytes(), "qd-ket-nap.pdf").status_code == 302
    rows = {r.form_code: r for _s, rows in checklist(case, TODAY, with_scans=True) for r in rows}
    assert {"6-KNĐ", "8-KNĐ", "9-KNĐ"} <= set(rows)
    assert rows["9-KNĐ"].documents[0].scan is not None
    assert rows["6-KNĐ"].documents[0].scan is None
    page = client.get(f"/cases/{case.id}").text
    assert vi(app, "%(title)s (%(code)s)", title=vi(app, "Admission decision"),
              code="9-KNĐ") in page
    assert vi(app, "signed and uploaded") in page and vi(app, "no signed scan") in page
    assert world.users["competent_officer_a"].full_name in page
    # The competent body may attach its decision, not the cell's resolution.
    assert f"/documents/{decision.id}/scan" in page
    assert f"/documents/{doc_of(case, '6-KNĐ').id}/scan" not in page
