"""In a real browser, the union chair prints the union resolution (4A-KNĐ) from the case
page, and brings it back signed: he uploads its scan on the same page and the dossier
checklist shows it signed, by him, with the scan to download."""
from __future__ import annotations

import io

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from referral_flow.extensions import db
from referral_flow.models import Case, Document, Organisation

from ..integration.test_scans import pdf_bytes


def _chairs_case_with_a_resolution(live_app) -> int:
    """A case of the chair's union (CĐCS Thép Kinh Bắc) that carries its 4A-KNĐ."""
    with live_app.app_context():
        return db.session.scalar(
            select(Case.id).join(Document, Document.case_id == Case.id)
            .join(Organisation, Organisation.id == Case.union_unit_id)
            .where(Organisation.code == "CDCS-THEP", Document.form_code == "4A-KNĐ",
                   Document.withdrawn_on.is_(None))
            .order_by(Case.id).limit(1))


def test_a_chair_uploads_the_signed_resolution_and_sees_it_in_the_checklist(
        live_app, base_url, page, login, shot):
    case_id = _chairs_case_with_a_resolution(live_app)
    assert case_id is not None
    login(page, "chutich")
    page.goto(f"{base_url}/cases/{case_id}")
    # Print: the 4A-KNĐ as a PDF, filled from the case's own records.
    printed = page.locator(".papers .paper", has_text="4A-KNĐ")
    with page.expect_download() as download:
        printed.locator("a:has-text('PDF')").click()
    with open(download.value.path(), "rb") as pdf:
        text = PdfReader(io.BytesIO(pdf.read())).pages[0].extract_text()
    with live_app.app_context():
        case = db.session.get(Case, case_id)
        name, unit = case.member.full_name, case.union_unit.name
    assert name in text and "NGHỊ QUYẾT" in text, text[:400]
    assert unit.upper() in text.upper()
    row = page.locator("#doc-4a-knd")
    expect(row).to_contain_text("chưa có bản quét đã ký")
    row.locator("summary:has-text('Tải lên bản quét đã ký')").click()
    # A PDF whatever its name says: kept as a PDF.
    row.locator("input[type=file]").set_input_files(files=[{
        "name": "nghi-quyet-4A-da-ky.jpg", "mimeType": "image/jpeg", "buffer": pdf_bytes()}])
    row.locator("button:has-text('Tải bản quét lên')").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu bản quét đã ký")
    row = page.locator("#doc-4a-knd")
    expect(row).to_contain_text("đã ký, đã tải lên")
    expect(row).to_contain_text("Nguyễn Văn Bình")
    link = row.locator("a:has-text('Tải bản quét (PDF')")
    expect(link).to_be_visible()
    shot(page, "scan-uploaded")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"4A-KND-{case_id}-v1.pdf"
