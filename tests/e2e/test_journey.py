"""One case walked from the union's nomination to official membership, in a real browser,
each step by the demo account whose job it is. The app's clock is moved forward for the
awareness class and for the 12 months of probation."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from referral_flow.extensions import db
from referral_flow.models import Case, Organisation, PartyMember, PartyStatus
from referral_flow.workflow.calendar import add_months
from referral_flow.workflow.guards import competent_body_of

from ..factories import TODAY as T0


class Step:
    """Drives the case page's action forms as a person would."""

    def __init__(self, page, base_url, case_id):
        self.page, self.url = page, f"{base_url}/cases/{case_id}"
        self.outcomes: list[str] = []

    def open(self):
        self.page.goto(self.url)

    def act(self, trigger, expect_state, **fields):
        self.open()
        box = self.page.locator(f"#action-{trigger}")
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        for name, value in fields.items():
            target = self.page.locator(f"#{trigger}-{name}")
            if isinstance(value, bool):
                target.set_checked(value)
            elif target.evaluate("e => e.tagName") == "SELECT":
                option = target.locator("option", has_text=value).first \
                    if isinstance(value, str) else None     # else chosen by its value
                target.select_option(value=option.get_attribute("value") if option
                                     else str(value))
            else:
                target.fill(str(value))
        box.locator("button[type=submit]").click()
        self.page.wait_for_load_state()
        self.confirm(f"#action-{trigger}")
        errors = self.page.locator(".flash.error, .error").all_inner_texts()
        assert not errors, errors
        assert self.page.locator(f"h1 .state-{expect_state}").count() == 1, expect_state

    def confirm(self, box: str) -> None:
        """Where the step shows its outcome first, read it and confirm (ticking the
        separate confirmation of a closing outcome)."""
        outcome = self.page.locator(f"{box} .outcome")
        if not outcome.count():
            return
        self.outcomes.append(outcome.inner_text())
        close = self.page.locator(f"{box} input[name=confirm_close]")
        if close.count():
            close.check()
        self.page.locator(f"{box} button[name=confirm]:not([value=''])").click()
        self.page.wait_for_load_state()

    def document(self, form_code, on, **fields):
        """Record a document with the dossier's form for ``form_code``."""
        self.open()
        key = "doc-" + form_code.replace("Đ", "D").lower()
        self.page.locator(f"#{key} > details > summary").click()
        self.page.fill(f"#{key}-issued_on", on.isoformat())
        for name, value in fields.items():
            target = self.page.locator(f"#{key}-{name}")
            target.set_checked(value) if isinstance(value, bool) else target.fill(str(value))
        self.page.click(f"#{key} > details button[type=submit]")
        self.page.wait_for_load_state()
        assert not self.page.locator(".flash.error, .error").all_inner_texts()


    def verify(self, what, **fields):
        """Send one of the background verification's forms (the first of ``what``:
        relative, request, answer, residence, received); a select is chosen by the start
        of an option's text."""
        self.open()
        box = self.page.locator(
            f"#verification details:has(form[action*='/verification/{what}'])").first
        box.locator("summary").first.click()
        for name, value in fields.items():
            target = box.locator(f"[id$='-{name}']").first
            if isinstance(value, bool):
                target.set_checked(value)
            elif target.evaluate("e => e.tagName") == "SELECT":
                option = target.locator("option", has_text=value).first
                target.select_option(value=option.get_attribute("value"))
            else:
                target.fill(str(value))
        box.locator("button[type=submit]").first.click()
        self.page.wait_for_load_state()
        assert not self.page.locator(".flash.error, .error").all_inner_texts()


def vote(on, eligible, prefix=""):
    return {f"{prefix}held_on": on.isoformat(), f"{prefix}eligible": eligible,
            f"{prefix}present": eligible, f"{prefix}votes_for": eligible,
            f"{prefix}votes_against": 0, f"{prefix}resolution_no": f"{eligible}/NQ"}


def test_draft_to_official_through_the_ui(live_app, base_url, browser, login, shot, clock):
    pages = {}

    def as_user(username):
        if username not in pages:
            pages[username] = login(browser.new_context(locale="vi-VN").new_page(), username)
        return pages[username]

    # 1. The union chair nominates a member from the roster and records the 4A-KNĐ vote.
    chair = as_user("chutich")
    chair.goto(f"{base_url}/members/")
    shot(chair, "01-roster")
    # A member never referred before (the roster also offers those whose earlier referral
    # ended, some of them Party members already).
    offered = chair.locator("form[action*='/nominate']").evaluate_all(
        "fs => fs.map(f => f.getAttribute('action'))")
    with live_app.app_context():
        referred = set(db.session.scalars(select(Case.member_id)))
    fresh = next(a for a in offered
                 if int(re.search(r"/members/(\d+)/", a).group(1)) not in referred)
    chair.locator(f"form[action='{fresh}'] button").click()
    chair.wait_for_load_state()
    case_id = int(re.search(r"/cases/(\d+)", chair.url).group(1))
    Step(chair, base_url, case_id).act("submit", "nominated", **vote(T0, 9))
    with live_app.app_context():
        case = db.session.get(Case, case_id)
        cells = {o.code: o.official_members for o in db.session.scalars(select(Organisation))}
        helper = db.session.scalars(
            select(PartyMember).join(PartyMember.cell).where(
                Organisation.code == "CB-THEP-1", PartyMember.status == PartyStatus.official,
                PartyMember.left_on.is_(None)).order_by(PartyMember.id)).first()

    # 2. The Party officer of the receiving organisation accepts and assigns a helper, an
    # official member picked from the host cell's roster.
    officer = as_user("dangvu")
    officer.goto(f"{base_url}/inbox/")
    assert f"/cases/{case_id}" in officer.content()
    shot(officer, "02-inbox")
    Step(officer, base_url, case_id).act("accept", "accepted",
                                          host_cell_id="Phân xưởng 1",
                                          helpers=helper.id)

    # 3. The class organiser opens a class, enrols the candidate, and records the pass.
    organiser = as_user("giangvien")
    organiser.goto(f"{base_url}/classes/new")
    organiser.fill("#name", "Lớp bồi dưỡng nhận thức về Đảng – kiểm thử")
    organiser.fill("#starts_on", T0.isoformat())
    organiser.fill("#ends_on", (T0 + timedelta(days=5)).isoformat())
    organiser.fill("#capacity", "40")
    organiser.locator("main form button.primary").click()
    organiser.wait_for_load_state()
    class_url = organiser.url.split("?")[0].rstrip("/")
    assert re.search(r"/classes/\d+$", class_url), organiser.url
    organiser.goto(f"{class_url}/enrol")
    organiser.check(f"#case-{case_id}")
    organiser.locator("form[method=post] button[type=submit]").last.click()
    organiser.wait_for_load_state()
    shot(organiser, "03-class")
    clock(T0 + timedelta(days=6))
    organiser.goto(class_url)
    row = organiser.locator("tr", has=organiser.locator(f"a[href$='/cases/{case_id}']"))
    row.locator("input[type=radio][value=pass]").check()
    organiser.locator("button", has_text=re.compile("kết quả|results")).click()
    organiser.wait_for_load_state()
    # nothing is saved before the review is confirmed
    with live_app.app_context():
        assert db.session.get(Case, case_id).state == "in_class"
    shot(organiser, "03-class-review")
    organiser.locator("button[name=confirm]").click()
    organiser.wait_for_load_state()
    with live_app.app_context():
        assert db.session.get(Case, case_id).state == "certified"

    # 4. The cell secretary completes the dossier and records the cell's meeting.
    day = T0 + timedelta(days=7)
    clock(day)
    secretary = as_user("bithu")
    cell = Step(secretary, base_url, case_id)
    cell.act("open_dossier", "dossier")
    cell.document("1-KNĐ", day)
    cell.document("2-KNĐ", day, verified=True, certified_on=day)
    cell.document("3-KNĐ", day, issuer="Trần Văn Hùng", official=True, months_together=24)
    cell.document("5-KNĐ", day, issuer="Chi ủy")
    shot(secretary, "04-dossier")
    # The background verification: a spouse abroad, verified through the embassy, and the
    # residence area's opinion. Until then the page says what holds the case.
    cell.verify("relative", relation="Vợ hoặc chồng", full_name="Lê Thị Hạnh", abroad=True,
                country="Hàn Quốc")
    holding = secretary.locator("#verification .holding").inner_text()
    assert "Lê Thị Hạnh" in holding and "chưa gửi đề nghị thẩm tra" in holding
    cell.verify("request", subject="Lê Thị Hạnh",
                sent_to="Đại sứ quán Việt Nam tại Hàn Quốc", sent_on=day.isoformat())
    assert "đã chờ 0 ngày làm việc" in secretary.locator("#verification").inner_text()
    cell.verify("answer", answered_on=day.isoformat(), result="Không có vấn đề")
    cell.verify("residence", residence_cell="Chi bộ khu dân cư số 2",
                requested_on=day.isoformat())
    cell.verify("received", received_on=day.isoformat(), summary="Chấp hành tốt ở nơi cư trú")
    assert not secretary.locator("#verification .holding").count()
    shot(secretary, "04-verification")
    cell.act("send_to_cell", "cell_review")
    cell.act("cell_approve", "committee_review", **vote(day, cells["CB-THEP-1"]))

    # 5. The grassroots committee votes (8-KNĐ).
    Step(officer, base_url, case_id).act("committee_approve", "decision_pending",
                                          **vote(day, 9))
    # 6. The competent body sends the dossier back for more papers: the cell sees what is
    # missing, and the case comes back the same way (dossier -> cell -> committee).
    competent = as_user("thamquyen")
    Step(competent, base_url, case_id).act(
        "return_dossier", "dossier", missing="5-KNĐ",
        missing_note="Xác nhận của chi ủy nơi cư trú", comment="Đề nghị chi bộ bổ sung.")
    secretary.goto(f"{base_url}/inbox/")
    assert "Xác nhận của chi ủy nơi cư trú" in secretary.content()
    cell.open()
    assert "Xác nhận của chi ủy nơi cư trú" in secretary.locator(".sent-back").inner_text()
    shot(secretary, "05-sent-back")
    cell.document("5-KNĐ", day, issuer="Chi ủy nơi cư trú")
    cell.act("send_to_cell", "cell_review")
    assert not secretary.locator(".sent-back").count()
    cell.act("cell_approve", "committee_review", **vote(day, cells["CB-THEP-1"]))
    Step(officer, base_url, case_id).act("committee_approve", "decision_pending",
                                          **vote(day, 9))
    with live_app.app_context():
        returned = db.session.get(Case, case_id)
        assert returned.dossier_returns == 1 and returned.cell_resolution_on == day
    # 7. The competent body decides (9-KNĐ), with its standing committee's vote.
    Step(competent, base_url, case_id).act("admit", "admitted", decision_no="123-QĐ/ĐU",
                                            decision_on=day.isoformat(),
                                            received_on=day.isoformat(),
                                            **vote(day, 7, prefix="standing_"))
    # 8. The cell holds the ceremony: probation starts.
    cell.act("hold_ceremony", "probation", ceremony_on=day.isoformat())

    # 9. Twelve months later: the recognition dossier and the cell's resolution (13-KNĐ).
    later = add_months(day, 12) + timedelta(days=3)
    clock(later)
    cell.document("10-KNĐ", later)
    cell.document("11-KNĐ", later, issuer="Trần Văn Hùng")
    cell.document("12-KNĐ", later, issuer="Công đoàn cơ sở")
    cell.document("new_member_certificate", later, number="ĐVM-0457",
                  issuer="Trung tâm chính trị phường Đông Hòa")
    cell.act("open_recognition", "recognition_committee", **vote(later, cells["CB-THEP-1"]))

    # 9. The grassroots committee records its own recognition resolution (15-KNĐ).
    Step(officer, base_url, case_id).act("recognition_committee_approve",
                                          "recognition_review", **vote(later, 9))

    # 10. The competent body votes and recognises the official member (16-KNĐ).
    with live_app.app_context():
        body = competent_body_of(db.session.get(Case, case_id)).committee_members
    final = Step(competent, base_url, case_id)
    final.act("recognise", "official", decision_no="456-QĐ/ĐU",
              decision_on=later.isoformat(), **vote(later, body, prefix="committee_"))
    shot(competent, "05-official")
    with live_app.app_context():
        done = db.session.get(Case, case_id)
        assert done.state == "official"
        assert done.official_from == add_months(day, 12)
        assert [h.party_member_id for h in done.helpers] == [helper.id]
        # He is now an official member on his cell's roster, which counts him.
        person = db.session.scalars(select(PartyMember).where(
            PartyMember.member_id == done.member_id)).one()
        assert (person.status, person.cell.code) == (PartyStatus.official, "CB-THEP-1")
        assert person.cell.official_members == cells["CB-THEP-1"] + 1
    assert case.member_id
