"""In a real browser, the union chair brings back the signed union resolution (4A-KNĐ): he
uploads its scan on the case page and the dossier checklist shows it signed, by him, with
the scan to download. (Printing the 4A-KNĐ first joins this test with the paper forms.)"""
from __future__ import annotations

from playwright.sync_api import expect
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
