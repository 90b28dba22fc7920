"""In a real browser, the federation officer's year: this year's targets for the whole
province in one step, then the public example year read at a glance, down to a unit, and
its spreadsheet; the cohort of that year agreeing with it."""
from __future__ import annotations

import io

import openpyxl
from playwright.sync_api import expect


def test_targets_for_the_province_then_the_year_at_a_glance(base_url, page, login, shot):
    login(page, "liendoan")
    page.click("nav >> text=Chỉ tiêu")
    page.fill("#value", "1")
    page.click("button.primary:has-text('Áp dụng')")
    expect(page.locator(".flash")).to_contain_text("CĐCS")
    shot(page, "federation-targets")

    page.click("nav >> text=Báo cáo")
    expect(page.locator("h1")).to_contain_text("Kết quả thực hiện chỉ tiêu")
    page.select_option("select[name=year]", "2024")
    page.click("button:has-text('Xem')")
    expect(page.locator("#demo-note")).to_contain_text("số liệu giả lập")
    expect(page.locator("#demo-note")).to_contain_text("2.158")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("đã giới thiệu 2.158 đoàn viên công đoàn ưu tú")
    expect(summary).to_contain_text("cho 44 đoàn viên ở doanh nghiệp chưa có tổ chức đảng")
    expect(summary).to_contain_text("44 đoàn viên được cấp giấy chứng nhận")
    assert page.locator("figure.chart svg").count() == 2
    shot(page, "federation-achievement-2024")

    first_unit = page.locator("#by-unit tbody tr a").first
    name = first_unit.inner_text()
    first_unit.click()
    expect(page.locator("h1 small")).to_have_text(name)
    expect(page.locator("nav.trail")).to_contain_text("Liên đoàn Lao động tỉnh Hòa Lâm (hư cấu)")

    page.click("nav.trail a >> nth=0")
    with page.expect_download() as download:
        page.click("a:has-text('Excel (XLSX)')")
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    totals = book[book.sheetnames[1]]
    assert totals["B2"].value < totals["C2"].value == 2158     # more than the target
    assert download.value.suggested_filename == "ket-qua-chi-tieu-2024.xlsx"
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert book.sheetnames[-1] == "CĐCS chưa giới thiệu năm 2024"


def test_the_cohort_of_2024_agrees_with_the_achievement(base_url, page, login, shot):
    login(page, "liendoan")
    page.goto(f"{base_url}/reports/cohort?year=2024")
    expect(page.locator("#cohort-size")).to_have_text("2.158")      # as the achievement page
    expect(page.locator("#cohort")).to_contain_text("vào ngày công đoàn gửi hồ sơ cho Đảng")
    in_class = page.locator('tr[data-state="in_class"]')
    expect(in_class).to_contain_text("đã có giấy chứng nhận còn giá trị")
    skipped = int(in_class.locator("[data-skipped]").get_attribute("data-skipped"))
    reached = {state: int(page.locator(f'tr[data-state="{state}"] [data-col="reached"]')
                          .inner_text().replace(".", ""))
               for state in ("in_class", "certified")}
    assert reached["in_class"] < reached["certified"] <= reached["in_class"] + skipped
    expect(page.locator("p.exports a").first).to_have_text("Excel (XLSX)")
    shot(page, "federation-cohort-2024")
