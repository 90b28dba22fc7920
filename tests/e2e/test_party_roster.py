"""The Party members of a cell in a real browser: the Party officer adds a member to a
kept roster and the cell's count follows; the accept form picks helpers from the rosters,
grouped by cell, without JavaScript."""
from __future__ import annotations

from sqlalchemy import select

from referral_flow.extensions import db
from referral_flow.models import Case, Organisation


def _cell(live_app, code="CB-THEP-1") -> tuple[int, int]:
    with live_app.app_context():
        cell = db.session.scalar(select(Organisation).where(Organisation.code == code))
        return cell.id, cell.official_members


def test_officer_adds_a_member_and_the_count_follows(live_app, base_url, page, login, shot):
    cell_id, before = _cell(live_app)
    login(page, "dangvu")
    page.click("nav >> text=Đảng viên")
    page.click(f"a[href='/party-members/cells/{cell_id}']")
    assert f"hiện là {before}:" in page.content()
    shot(page, "party-roster")
    page.click("text=Thêm đảng viên")
    page.fill("#full_name", "Lương Thị Thu Hằng")
    page.fill("#official_since", "2012-09-02")
    page.fill("#phone", "0977 123 456")
    page.click("main form button.primary")
    page.wait_for_load_state()
    assert "Đã thêm Lương Thị Thu Hằng" in page.content()
    assert f"hiện là {before + 1}:" in page.content()
    assert _cell(live_app)[1] == before + 1
    page.fill("input[name=q]", "luong thi thu hang")
    page.click("form[role=search] button")
    assert page.locator("table.people tbody tr").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/party-members/cells/{cell_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "party-roster-phone")


def test_accept_form_groups_helpers_by_cell(live_app, base_url, browser, login, shot):
    with live_app.app_context():
        case_id = db.session.scalar(
            select(Case.id).join(Organisation, Case.party_org_id == Organisation.id)
            .where(Case.state == "nominated", Organisation.code == "P-THEP").order_by(Case.id))
    context = browser.new_context(locale="vi-VN", java_script_enabled=False)
    page = login(context.new_page(), "dangvu")
    page.goto(f"{base_url}/cases/{case_id}")
    picker = page.locator("#accept-helpers")
    groups = picker.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups == ["Chi bộ Phân xưởng 1 – Công ty CP Thép Kinh Bắc",
                      "Chi bộ Phân xưởng 2 – Công ty CP Thép Kinh Bắc"]
    page.locator("#action-accept summary").click()
    shot(page, "accept-helpers")
    context.close()
