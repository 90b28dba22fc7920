"""In a real browser: scope (404 outside it), the member's own case, a conflict."""
from __future__ import annotations

import re

from sqlalchemy import select

from referral_flow.extensions import db
from referral_flow.models import Case, Organisation, User


def _case_outside_unit(app, code="CDCS-THEP"):
    with app.app_context():
        unit = db.session.scalar(select(Organisation).where(Organisation.code == code))
        return db.session.scalar(select(Case.id).where(Case.union_unit_id != unit.id)
                                 .order_by(Case.id))


def test_union_chair_opening_another_units_case_gets_404(live_app, base_url, page, login, shot):
    login(page, "chutich")
    other = _case_outside_unit(live_app)
    response = page.goto(f"{base_url}/cases/{other}")
    assert response.status == 404
    shot(page, "chair-404")


def test_member_sees_only_his_own_case(live_app, base_url, page, login, shot):
    with live_app.app_context():
        member_id = db.session.scalar(select(User.member_id).where(User.username == "doanvien"))
        own = db.session.scalar(select(Case.id).where(Case.member_id == member_id))
        other = db.session.scalar(select(Case.id).where(Case.member_id != member_id))
    login(page, "doanvien")
    assert page.url.endswith("/me/")
    shot(page, "member-my-case")
    assert page.goto(f"{base_url}/cases/{own}").status == 200
    assert page.goto(f"{base_url}/cases/{other}").status == 404
    assert page.goto(f"{base_url}/inbox/").status in (200, 403)
    listing = page.goto(f"{base_url}/cases/")
    assert listing.status == 200
    links = page.locator("a[href^='/cases/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert {link for link in links if re.fullmatch(r"/cases/\d+", link)} <= {f"/cases/{own}"}


def test_two_browsers_on_the_same_step_the_second_gets_the_conflict(
        live_app, base_url, browser, login, shot):
    with live_app.app_context():
        case_id = db.session.scalar(
            select(Case.id).join(Organisation, Case.party_org_id == Organisation.id)
            .where(Case.state == "nominated", Organisation.code == "P-THEP").order_by(Case.id))
    first = browser.new_context(locale="vi-VN").new_page()
    second = browser.new_context(locale="vi-VN").new_page()
    for page in (first, second):
        login(page, "dangvu")
        page.goto(f"{base_url}/cases/{case_id}")
        page.click("#action-return_to_union summary")
        page.fill("#return_to_union-comment", "Cần bổ sung nghị quyết")
    first.click("#action-return_to_union button[type=submit]")
    first.wait_for_load_state()
    assert "Đã lưu" in first.content() or "Saved" in first.content()
    with second.expect_navigation():
        second.click("#action-return_to_union button[type=submit]")
    body = second.content()
    assert "người khác xử lý trước" in body          # "someone else acted first"
    assert second.locator("a", has_text="Tải lại").count() + \
        second.locator("a", has_text="Reload").count() >= 1
    assert second.locator("#return_to_union-comment").input_value() == "Cần bổ sung nghị quyết"
    shot(second, "conflict")
