"""In a real browser, a union chair imports his roster from Excel: the file is checked in
the background while its page shows a progress bar that fills and finishes, then the
members are imported, again in the background, all at once."""
from __future__ import annotations

from playwright.sync_api import expect

from ..integration.test_roster_import import roster

ROWS = 3000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _watch_until_done(page) -> list[str]:
    """The progress bar's readings (value/max) as the page refreshes itself, until the
    job's page says it is done."""
    seen = []
    done = page.locator(".flash.success:has-text('Đã xong')")
    for _ in range(120):
        if done.count():
            return seen
        bar = page.locator("progress#job-progress")
        if bar.count():
            seen.append(f"{bar.get_attribute('value')}/{bar.get_attribute('max')}")
        page.wait_for_timeout(500)
    raise AssertionError(f"the job did not finish; progress seen: {seen}")


def test_a_chair_imports_his_roster_and_watches_the_progress(live_app, base_url, page, login,
                                                              shot):
    live_app.config["JOBS_MODE"] = "thread"       # as `make demo`: a thread of the server
    try:
        login(page, "chutich")
        page.goto(f"{base_url}/members/")
        page.click("a:has-text('Nhập từ Excel')")
        expect(page.locator("h1")).to_have_text("Nhập đoàn viên từ Excel")
        page.set_input_files("input[type=file]", files=[{
            "name": "danh-sach-doan-vien.xlsx", "mimeType": XLSX,
            "buffer": roster(ROWS, first_id=77_000_000)}])
        page.click("button:has-text('Kiểm tra tệp')")
        expect(page.locator("progress#job-progress")).to_be_attached()
        shot(page, "roster-import-progress")
        seen = _watch_until_done(page)
        assert seen, "no progress bar was shown before the check finished"
        expect(page.locator("main")).to_contain_text("Đã đọc 3.000 dòng")
        expect(page.locator("main")).to_contain_text("3.000 sẽ thêm")
        shot(page, "roster-import-checked")

        page.click("button:has-text('Nhập')")
        _watch_until_done(page)
        expect(page.locator("main")).to_contain_text("Đã thêm 3.000")
        shot(page, "roster-import-done")
        page.click("main a.button:has-text('Đoàn viên')")
        page.fill("input[name=q]", "079177000000")        # the file's first citizen ID
        page.press("input[name=q]", "Enter")
        expect(page.locator("main table")).to_contain_text("Nguyễn Văn An")
    finally:
        live_app.config["JOBS_MODE"] = "inline"
