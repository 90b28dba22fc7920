"""Every desk right, in a real browser: a vote's typo is confirmed, then corrected by its
author and, the next day, by the body above; each demo role's "to do" holds only the cases
it can act on; an empty action form answers in Vietnamese."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from referral_flow.extensions import db
from referral_flow.forms.validators import REQUIRED
from referral_flow.models import Case, Organisation, User
from referral_flow.security import work_triggers
from referral_flow.services.deadlines import work_horizon
from referral_flow.workflow.calendar import load_calendar

from ..factories import TODAY

MEETING = "cell_approve"


def vi(app, message, **kw) -> str:
    with app.test_request_context(), force_locale("vi"):
        return gettext(message, **kw)


def cases_at(app, state: str, cell_code: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(
            select(Case.id).join(Organisation, Organisation.id == Case.host_cell_id)
            .where(Case.state == state, Organisation.code == cell_code).order_by(Case.id)))


def state_of(app, case_id: int) -> str:
    with app.app_context():
        return db.session.get(Case, case_id).state


def vote_typo(page, base_url, case_id, votes_for):
    """Record the cell meeting with ``votes_for`` of the cell's official members; return the
    outcome shown before saving, then confirm it (ticking that the case will close)."""
    page.goto(f"{base_url}/cases/{case_id}")
    box = f"#action-{MEETING}"
    if page.locator(box).get_attribute("open") is None:
        page.locator(f"{box} summary").click()
    eligible = int(page.locator(f"#{MEETING}-eligible").input_value())
    page.fill(f"#{MEETING}-held_on", TODAY.strftime("%d/%m/%Y"))
    page.fill(f"#{MEETING}-present", str(eligible))
    page.fill(f"#{MEETING}-votes_for", str(votes_for))
    page.fill(f"#{MEETING}-votes_against", str(eligible - votes_for))
    page.fill(f"#{MEETING}-resolution_no", "15-NQ/CB")
    page.locator(f"{box} button[type=submit]").click()
    page.wait_for_load_state()
    outcome = page.locator(f"{box} .outcome").inner_text()
    page.locator(f"{box} input[name=confirm_close]").check()
    page.locator(f"{box} button[name=confirm]:not([value=''])").click()
    page.wait_for_load_state()
    return outcome, eligible


def correct(page, base_url, case_id, eligible, reason):
    page.goto(f"{base_url}/cases/{case_id}")
    page.locator("#correction details summary").click()
    form = page.locator("#correction form")
    form.locator("textarea[name$='-reason']").fill(reason)
    form.locator("input[name$='-votes_for']").fill(str(eligible))
    form.locator("input[name$='-votes_against']").fill("0")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    outcome = page.locator("#correction .outcome").inner_text()
    page.locator("#correction button[name=confirm]:not([value=''])").click()
    page.wait_for_load_state()
    return outcome


def test_a_vote_typo_is_confirmed_then_corrected_by_the_author_and_by_the_body_above(
        live_app, base_url, browser, login, shot, clock):
    first, second = cases_at(live_app, "cell_review", "CB-THEP-1")[:2]
    secretary = login(browser.new_context(locale="vi-VN").new_page(), "bithu")

    outcome, eligible = vote_typo(secretary, base_url, first, 5)
    need = -(-2 * eligible // 3)
    assert vi(live_app, "%(f)d/%(e)d in favour, below %(ratio)s (%(need)d needed)",
              f=5, e=eligible, ratio="2/3", need=need) in outcome
    assert vi(live_app, "the cell does not propose admission") in outcome
    assert "kết thúc" in outcome
    assert state_of(live_app, first) == "rejected"

    # The author corrects it the same day: the case is back, and moves on as meant.
    outcome = correct(secretary, base_url, first, eligible, "Nhập nhầm số phiếu tán thành")
    assert vi(live_app, "the cell proposes admission") in outcome
    assert state_of(live_app, first) == "committee_review"
    timeline = secretary.locator("ol.timeline").inner_text()
    assert vi(live_app, "corrected on %(d)s", d=TODAY.strftime("%d/%m/%Y")) in timeline
    assert "Nhập nhầm số phiếu tán thành" in timeline
    shot(secretary, "desk-corrected-by-author")

    # A typo on another case; the next day only the body above may correct it.
    vote_typo(secretary, base_url, second, 4)
    assert state_of(live_app, second) == "rejected"
    clock(TODAY + timedelta(days=1))
    secretary.goto(f"{base_url}/cases/{second}")
    assert secretary.locator("#correction").count() == 0
    competent = login(browser.new_context(locale="vi-VN").new_page(), "thamquyen")
    correct(competent, base_url, second, eligible, "Chi bộ báo nhập sai, đã đối chiếu biên bản")
    assert state_of(live_app, second) == "committee_review"
    timeline = competent.locator("ol.timeline").inner_text()
    assert "Chi bộ báo nhập sai" in timeline and "Đỗ Minh Châu" in timeline
    shot(competent, "desk-corrected-by-body-above")


@pytest.mark.parametrize("username", ["chutich", "dangvu", "giangvien", "bithu", "thamquyen"])
def test_each_inbox_holds_only_the_cases_its_user_can_act_on(live_app, base_url, browser,
                                                              login, username):
    page = login(browser.new_context(locale="vi-VN").new_page(), username)
    assert page.url.rstrip("/").endswith("/inbox")
    ids = {group: {int(i) for i in re.findall(r'href="/cases/(\d+)"', (
        page.goto(f"{base_url}/inbox/?group={group}") and page.content()))}
        for group in ("todo", "watching")}
    assert ids["todo"], "each demo account has work"
    with live_app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        horizon = work_horizon(load_calendar(), TODAY)
        for case_id in ids["todo"]:
            assert work_triggers(user, db.session.get(Case, case_id), TODAY, horizon), case_id
        for case_id in ids["watching"]:
            assert not work_triggers(user, db.session.get(Case, case_id), TODAY, horizon)


@pytest.mark.parametrize("username, lands_on", [("liendoan", "/reports/achievement"),
                                                ("doanvien", "/me/")])
def test_roles_without_an_inbox_land_on_their_work(live_app, browser, login, username,
                                                   lands_on):
    page = login(browser.new_context(locale="vi-VN").new_page(), username)
    assert page.url.split("?")[0].endswith(lands_on)


def test_an_empty_action_form_answers_in_vietnamese(live_app, base_url, browser, login):
    with live_app.app_context():
        nominated = db.session.scalars(
            select(Case.id).join(Organisation, Organisation.id == Case.party_org_id)
            .where(Case.state == "nominated", Organisation.code == "P-THEP")
            .order_by(Case.id)).first()
    page = login(browser.new_context(locale="vi-VN").new_page(), "dangvu")
    page.goto(f"{base_url}/cases/{nominated}")

    def submit_empty(trigger: str) -> str:
        box = f"#action-{trigger}"
        if page.locator(box).get_attribute("open") is None:
            page.locator(f"{box} summary").click()
        page.locator(f"{box} button[type=submit]").click()
        page.wait_for_load_state()
        return " ".join(page.locator(f"{box} .error").all_inner_texts())

    assert vi(live_app, "Choose at least one helper.") in submit_empty("accept")
    # A reason left empty (returning the referral to the union).
    errors = submit_empty("return_to_union")
    assert vi(live_app, str(REQUIRED._args[0])) in errors
    assert errors and "This field is required" not in page.content()
    assert "Not a valid" not in page.content()
