"""The candidate's page on a phone (390 × 844) as the demo account doanvien: nothing
scrolls sideways, the documents he still has to bring and whom to ask are on the page."""
from __future__ import annotations

from sqlalchemy import select

from referral_flow.extensions import db
from referral_flow.models import Case, CaseHelper, User

PHONE = {"width": 390, "height": 844}


def test_candidate_page_at_phone_width(live_app, base_url, browser, login, shot):
    with live_app.app_context():
        member_id = db.session.scalar(select(User.member_id).where(User.username == "doanvien"))
        case = db.session.scalar(select(Case).where(Case.member_id == member_id))
        helpers = list(db.session.scalars(select(CaseHelper.full_name).where(
            CaseHelper.case_id == case.id)))
        case_id = case.id
    context = browser.new_context(locale="vi-VN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = login(context.new_page(), "doanvien")
    assert page.url.endswith("/me/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # What to bring: the two documents the demo's dossier still lacks, by name.
    todo = page.locator("section.todo li")
    assert todo.count() == 2
    texts = " ".join(todo.all_inner_texts())
    assert "mẫu 3-KNĐ" in texts and "mẫu 5-KNĐ" in texts
    # Whom to ask: the helper and the cell secretary, with his work phone and e-mail.
    ask = page.locator("ul.contacts")
    assert all(name in ask.inner_text() for name in helpers) and helpers
    assert "Hoàng Văn Tư" in ask.inner_text()
    assert ask.locator('a[href="tel:0915362804"]').is_visible()
    assert ask.locator('a[href="mailto:tu.hv@thepkinhbac.example"]').is_visible()
    # By when, and one road.
    assert page.locator("text=Bước này không có thời hạn").is_visible()
    assert page.locator("ol").count() == 1
    assert page.locator(f"a[href='/cases/{case_id}']").is_visible()
    shot(page, "candidate-phone")
    context.close()
