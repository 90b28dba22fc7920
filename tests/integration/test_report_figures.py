"""Figures safe to paste into a report (issue 8): one number and percent format on every
page, sentence and export, in Vietnamese and English; the cohort agreeing with the
achievement dashboard and explaining the steps some cases skip; CSV that Excel opens with
Vietnamese regional settings; download and worksheet names; report sentences without
clauses for zero counts."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from referral_flow.demo_steps import step_data
from referral_flow.exports import SHEET_CHARS
from referral_flow.i18n import format_number, format_percentage, shown
from referral_flow.models import Target
from referral_flow.reports.achievement import ClassRow, Figures, Period
from referral_flow.reports.achievement_view import Report, summary
from referral_flow.services.transitions import fire

from ..factories import TODAY, advance, new_case

START = date(2025, 3, 3)


@pytest.fixture(autouse=True)
def frozen(app):
    app.config["FROZEN_TODAY"] = TODAY


def in_english(world, db, key: str) -> str:
    world.users[key].locale = "en"
    db.session.commit()
    return world.users[key].username


def skip_class(case, world, gap: int = 10):
    """accepted -> certified with a valid certificate already held (no class)."""
    on = case.state_since + timedelta(days=gap)
    data, comment = step_data("skip_class", case, on, world.cells)
    fire(case, "skip_class", None, expected_version=case.version, data=data, comment=comment,
         on=on, today=TODAY, check_permission=False)
    return case


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- 1. one number and one percent format --------------------------------------------------

@pytest.mark.parametrize("lang, expected", [
    ("vi", ["2.158", "0", "17,4", "1.234,5", "110,7 %", "1.150 %", "100,0 %", "—"]),
    ("en", ["2,158", "0", "17.4", "1,234.5", "110.7 %", "1,150 %", "100.0 %", "—"]),
])
def test_the_number_and_percent_formatters(app, lang, expected):
    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        got = [format_number(2158), format_number(None), format_number(17.375),
               format_number(1234.46), format_percentage(2158 / 1950 * 100),
               format_percentage(1150.0, 0), format_percentage(100.0), format_percentage(None)]
    assert got == expected
    # the page rounds as the spreadsheet stores: one rounding for both
    assert shown(66.65) == round(66.65, 1) and shown(None) is None


@pytest.fixture
def cohort_2025(world, db):
    """Cohort 2025 of side a: two admitted and one certified through a class; one certified
    with a certificate already held (no class); two (gunit: a grassroots cell) reaching a
    decision without the grassroots committee's review."""
    for gap in (5, 9):
        advance(new_case(world, start=START), world, "admitted", gap=gap)
    advance(new_case(world, start=START), world, "certified", gap=7)
    skip_class(advance(new_case(world, start=START), world, "accepted", gap=7), world)
    for gap in (6, 8):
        advance(new_case(world, unit="gunit", start=START), world, "decision_pending", gap=gap)
    db.session.commit()


def cohort_cell(page: str, state: str, col: str) -> str:
    row = re.search(rf'<tr data-state="{state}">(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'data-col="{col}">(.*?)</td>', row, re.S).group(1).strip()


@pytest.mark.parametrize("lang, share, whole, pattern", [
    ("vi", "33,3 %", "100,0 %", r"^\d+,\d$"), ("en", "33.3 %", "100.0 %", r"^\d+\.\d$")])
def test_cohort_page_uses_the_formatters(world, db, auth, client, cohort_2025, lang, share,
                                         whole, pattern):
    user = world.users["federation_officer_a"]
    user.locale = lang
    db.session.commit()
    auth.login(user.username)
    page = client.get("/reports/cohort?year=2025").text
    assert cohort_cell(page, "admitted", "share") == share            # 2 of 6
    assert cohort_cell(page, "nominated", "share") == whole
    assert re.match(pattern, cohort_cell(page, "nominated", "median"))
    assert not re.search(r"\d%", page)                  # never "17.8%" without the space
    assert f"({share})" in page                         # the admitted share beside the count


def test_union_chair_tally_groups_a_large_percentage(world, db, auth, client, app):
    app.config["FROZEN_TODAY"] = date(TODAY.year, 11, 25)
    db.session.add(Target(node_id=world["unit_a"].id, year=TODAY.year, target=1))
    start = date(TODAY.year, 1, 5)
    for _ in range(12):
        advance(new_case(world, start=start), world, "nominated", gap=3)
    db.session.commit()
    auth.login(world.users["union_chair_a"].username)
    tally = re.search(r'id="tally">(.*?)</section>', client.get("/members/cases").text,
                      re.S).group(1)
    assert "(1.200 %)" in tally                         # was "1200 %"


# --- 2. the cohort agrees with the achievement dashboard -----------------------------------

def test_cohort_and_achievement_count_the_same_introductions(world, db, auth, client):
    """A draft opened in December 2024 and submitted on 3 January 2025 is introduced in
    2025 on both pages (it used to be cohort 2024 and achievement 2025)."""
    across = advance(new_case(world, start=date(2024, 12, 20)), world, "nominated", gap=14)
    assert (across.referral_year, across.nominated_on) == (2024, date(2025, 1, 3))
    for _ in range(2):
        advance(new_case(world, start=START), world, "accepted", gap=7)
    advance(new_case(world, start=date(2024, 3, 4)), world, "nominated", gap=7)
    db.session.commit()
    auth.login(world.users["federation_officer_a"].username)
    for year, introduced in ((2024, 1), (2025, 3)):
        cohort = client.get(f"/reports/cohort?year={year}").text
        achievement = client.get(f"/reports/achievement?year={year}").text
        size = re.search(r'id="cohort-size">([\d.]+)<', cohort).group(1)
        total = re.search(r'id="totals">.*?data-col="introduced">([\d.]+)<', achievement,
                          re.S).group(1)
        assert size == total == str(introduced), year
        assert cohort_cell(cohort, "nominated", "reached") == str(introduced)
    # the page says on which date a member counts as introduced, and links the other page
    assert "vào ngày công đoàn gửi hồ sơ cho Đảng" in cohort
    assert "/reports/achievement?year=2025" in cohort


def test_cohort_explains_the_steps_some_cases_skip(world, db, auth, client, cohort_2025):
    auth.login(in_english(world, db, "federation_officer_a"))
    page = client.get("/reports/cohort?year=2025").text
    reached = {s: int(cohort_cell(page, s, "reached"))
               for s in ("accepted", "in_class", "certified", "cell_review",
                         "committee_review", "decision_pending")}
    assert reached == {"accepted": 6, "in_class": 5, "certified": 6, "cell_review": 4,
                       "committee_review": 2, "decision_pending": 4}
    in_class = re.search(r'<tr data-state="in_class">(.*?)</tr>', page, re.S).group(1)
    assert 'data-skipped="1"' in in_class
    assert "1 went on without the class: they already held a valid certificate." in in_class
    review = re.search(r'<tr data-state="committee_review">(.*?)</tr>', page, re.S).group(1)
    assert 'data-skipped="2"' in review and "grassroots Party cell" in review
    certified = re.search(r'<tr data-state="certified">(.*?)</tr>', page, re.S).group(1)
    assert "data-skipped" not in certified            # a step nobody skips has no note


def test_cohort_export_counts_the_skipped(world, db, auth, client, cohort_2025):
    auth.login(world.users["federation_officer_a"].username)
    book = load_workbook(io.BytesIO(client.get(
        "/reports/cohort/export?format=xlsx&year=2025").data))
    rows = {r[0]: r for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert rows["Đang học lớp bồi dưỡng nhận thức về Đảng"][6] == 1
    assert rows["Đảng ủy cơ sở xét"][6] == 2
    assert rows["Đã có giấy chứng nhận"][6] is None


# --- 3. CSV for Excel with Vietnamese (or English) regional settings -----------------------

@pytest.mark.parametrize("lang, sep, decimal", [("vi", ";", ","), ("en", ",", ".")])
def test_csv_separators_follow_the_users_language(world, db, auth, client, cohort_2025,
                                                  lang, sep, decimal):
    user = world.users["federation_officer_a"]
    user.locale = lang
    db.session.commit()
    auth.login(user.username)
    data = client.get("/reports/cohort/export?format=csv&year=2025").data
    assert data.startswith(b"\xef\xbb\xbf")              # UTF-8 BOM, and no "sep=" line
    text = data.decode("utf-8-sig")
    assert not text.lower().startswith("sep=")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header = rows[1]
    assert len(header) == 7                               # one field per column
    admitted = next(r for r in rows if r and r[0] in ("Đã có quyết định kết nạp",
                                                      "Admission decided"))
    assert admitted[1] == "2" and admitted[2] == f"33{decimal}3"
    assert float(admitted[2].replace(decimal, ".")) == pytest.approx(33.3)
    # the page next to the links says how the CSV is written, and XLSX comes first
    page = client.get("/reports/cohort?year=2025").text
    links = re.search(r'<p class="exports small">(.*?)</p>', page, re.S).group(1)
    assert links.index("format=xlsx") < links.index("format=csv")
    assert f"“{sep}”" in links and f"“{decimal}”" in links
    assert ("nên dùng" if lang == "vi" else "recommended") in links


# --- 4. download and worksheet names --------------------------------------------------------

def disposition(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return re.fullmatch(r'attachment; filename="(.+)"',
                        resp.headers["Content-Disposition"]).group(1)


def test_report_download_names_carry_the_year_and_period(world, db, auth, client):
    auth.login(world.users["federation_officer_a"].username)
    upper = world["upper_a"].id
    for url, name in [
        ("/reports/achievement/export?format=xlsx&year=2024", "ket-qua-chi-tieu-2024.xlsx"),
        ("/reports/achievement/export?format=csv&year=2024&quarter=2",
         "ket-qua-chi-tieu-2024-quy-2.csv"),
        (f"/reports/achievement/export?format=xlsx&year=2024&node={upper}",
         "ket-qua-chi-tieu-2024-up-a.xlsx"),
        ("/reports/cohort/export?format=xlsx&year=2024", "theo-nam-gioi-thieu-2024.xlsx"),
        ("/targets/export?format=xlsx&year=2025", "chi-tieu-2025.xlsx"),
        ("/targets/export?format=xlsx", f"chi-tieu-{TODAY.year}.xlsx"),    # this year
    ]:
        assert disposition(client.get(url)) == name, url


def test_case_list_download_names_name_their_filter(world, db, auth, client):
    advance(new_case(world, start=START), world, "nominated")
    db.session.commit()
    auth.login(in_english(world, db, "union_chair_a"))      # names stay Vietnamese
    unit = world["unit_a"].id
    for url, name in [
        ("/cases/export?format=xlsx", "ho-so.xlsx"),
        ("/cases/export?format=xlsx&state=cell_review", "ho-so-chi-bo-xet-de-nghi-ket-nap.xlsx"),
        ("/cases/export?format=csv&q=Nguy%E1%BB%85n", "ho-so-tim-kiem.csv"),   # no name in it
        ("/members/cases/export?format=xlsx", "ho-so.xlsx"),
        (f"/members/cases/export?format=xlsx&unit={unit}&year=2025&state=nominated",
         "ho-so-cdcs-a-2025-cong-doan-da-gioi-thieu-nq-4a-knd.xlsx"),
    ]:
        assert disposition(client.get(url)) == name, url


def test_achievement_sheets_have_short_names_of_their_own(world, db, auth, client):
    auth.login(world.users["federation_officer_a"].username)
    book = load_workbook(io.BytesIO(client.get(
        "/reports/achievement/export?format=xlsx&year=2024").data))
    assert book.sheetnames == [
        "Tóm tắt", "Tổng hợp", "Theo đơn vị", "Theo tháng", "Theo loại hình doanh nghiệp",
        "Theo tổ chức đảng", "Lớp cho DN chưa có tổ chức đảng", "CĐCS chưa giới thiệu năm 2024"]
    assert all(len(name) <= SHEET_CHARS for name in book.sheetnames)
    # the CSV keeps each table's full title
    text = client.get("/reports/achievement/export?format=csv&year=2024").data.decode(
        "utf-8-sig")
    assert "\r\nCĐCS chưa giới thiệu ai năm 2024\r\n" in text
    assert "\r\nTheo tổ chức đảng trong doanh nghiệp\r\n" in text


@pytest.mark.parametrize("key", ["union_chair_a", "competent_officer_a"])
def test_every_report_sheet_name_fits_without_cutting_words(world, db, auth, client, key):
    auth.login(in_english(world, db, key) if key.startswith("union") else
               world.users[key].username)
    url = ("/reports/cohort/export?format=xlsx&year=2025" if key.startswith("union")
           else "/reports/party/export?format=xlsx")
    names = load_workbook(io.BytesIO(client.get(url).data)).sheetnames
    assert all(len(n) <= SHEET_CHARS for n in names)
    assert len(names) == len(set(names))
    if key.startswith("union"):
        assert names == ["Cohort 2025", "Closed cases 2025", "Period counts for 2025"]
    else:
        assert names == ["Số hồ sơ theo bước", "Quyết định kết nạp đến hạn",
                         "Lễ kết nạp đến hạn", "Công nhận chính thức đến hạn",
                         "Hạn chuyển sinh hoạt"]


def test_xlsx_numbers_are_numbers_with_a_grouped_format(world, db, auth, client):
    db.session.add(Target(node_id=world["unit_a"].id, year=2025, target=3))
    for _ in range(2):
        advance(new_case(world, start=START), world, "nominated")
    db.session.commit()
    auth.login(world.users["federation_officer_a"].username)
    book = load_workbook(io.BytesIO(client.get(
        "/reports/achievement/export?format=xlsx&year=2025").data))
    totals = book["Tổng hợp"]
    target, introduced, pct = totals["B2"], totals["C2"], totals["D2"]
    assert (target.value, introduced.value, pct.value) == (3, 2, 66.7)
    assert target.data_type == introduced.data_type == pct.data_type == "n"
    assert introduced.number_format == "#,##0" and pct.number_format == "#,##0.0"
    summary_sheet = book["Tóm tắt"]
    assert summary_sheet.column_dimensions["A"].width == 100
    assert summary_sheet["A2"].alignment.wrap_text
    assert summary_sheet["A2"].value.startswith("Trong năm 2025")
    cases = load_workbook(io.BytesIO(client.get("/cases/export?format=xlsx").data)).active
    assert cases["A2"].number_format == "0" and cases["M2"].number_format == "0"  # no. and year


# --- 5. report sentences --------------------------------------------------------------------

def report_with(**figures) -> Report:
    organiser = SimpleNamespace(name="Đảng ủy Khối các cơ quan và doanh nghiệp tỉnh")
    klass = SimpleNamespace(name="Lớp bồi dưỡng nhận thức về Đảng năm 2024",
                            organiser=organiser, co_organiser="Liên đoàn Lao động tỉnh",
                            starts_on=date(2024, 5, 13), ends_on=date(2024, 5, 17), id=1)
    english = SimpleNamespace(name="Class for FDI enterprises", organiser=organiser,
                              co_organiser="", starts_on=date(2024, 10, 1),
                              ends_on=date(2024, 10, 5), id=2)
    rows = [ClassRow(klass, 44, 44, 0, 0, True), ClassRow(english, 3, 3, 3, 3, True)]
    return Report(SimpleNamespace(name="Liên đoàn Lao động tỉnh Hòa Lâm (hư cấu)"),
                  Period(2024), [],
                  Figures(**figures), [], None, [], [], {}, [], 0, rows)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sentences_leave_out_zero_clauses(app, lang):
    report = report_with(introduced=2158, in_class=0, admitted=5, admitted_dp=0, target=1950)
    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        lines = summary(report)
    joined = " ".join(lines)
    assert not re.search(r"(?<![\d.,])0 ", joined), lines          # no "trong đó 0 …"
    if lang == "vi":
        assert lines[1] == "5 đoàn viên được kết nạp vào Đảng."
        assert lines[2] == (
            "Liên đoàn Lao động tỉnh và Đảng ủy Khối các cơ quan và doanh nghiệp tỉnh phối hợp "
            "mở “Lớp bồi dưỡng nhận thức về Đảng năm 2024” (13/05/2024 – 17/05/2024) cho 44 "
            "đoàn viên ở doanh nghiệp chưa có tổ chức đảng.")
        assert "lớp “Lớp" not in joined
        assert "mở lớp “Class for FDI enterprises”" in lines[3]        # a name not "Lớp …"
        assert "3 đoàn viên được cấp giấy chứng nhận." in lines[3]
    else:
        assert lines[1] == "5 members were admitted to the Party."
        assert lines[2].startswith("Liên đoàn Lao động tỉnh and Đảng ủy Khối")
        assert "jointly ran the class “Lớp bồi dưỡng" in lines[2]
        assert "ran “Class for FDI enterprises”" in lines[3]             # no "class “Class"
        assert "Certificates were issued to 3 of them." in lines[3]


@pytest.mark.parametrize("lang, first, second", [
    ("vi", "đã giới thiệu 1 đoàn viên công đoàn ưu tú cho Đảng xem xét kết nạp (chưa giao "
           "chỉ tiêu).", "1 đoàn viên được cử đi học lớp bồi dưỡng nhận thức về Đảng. 1 đoàn "
                         "viên được kết nạp vào Đảng, trong đó 1 công nhân trực tiếp sản xuất."),
    ("en", "introduced 1 outstanding member to the Party (no target is set).",
     "1 member was sent to an awareness class. 1 member was admitted to the Party, including "
     "1 working in direct production."),
])
def test_sentences_agree_in_number(app, lang, first, second):
    report = report_with(introduced=1, in_class=1, admitted=1, admitted_dp=1)
    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        lines = summary(report)
    assert lines[0].endswith(first) and lines[1] == second


def test_the_extra_dedicated_classes_are_named(app):
    organiser = SimpleNamespace(name="Đảng ủy xã Tân Lâm")
    rows = [ClassRow(SimpleNamespace(name=f"Lớp {i}", organiser=organiser, co_organiser="",
                                     starts_on=date(2026, 7, i), ends_on=date(2026, 9, i),
                                     id=i), 10 - i, 10 - i, 0, 0, True) for i in range(1, 5)]
    report = Report(SimpleNamespace(name="LĐLĐ"), Period(2026), [], Figures(introduced=4),
                    [], None, [], [], {}, [], 0, rows)
    with app.test_request_context():
        lines = summary(report)
    assert lines[-1] == ("Ngoài ra, 1 lớp khác cũng chỉ gồm đoàn viên ở doanh nghiệp chưa có "
                         "tổ chức đảng: “Lớp 4” (gồm 6 đoàn viên).")


# --- 6. wording and page details ------------------------------------------------------------

def test_report_wording_and_the_accessible_chart(world, db, auth, client):
    advance(new_case(world, start=START), world, "admitted")
    db.session.commit()
    auth.login(world.users["federation_officer_a"].username)
    page = client.get("/reports/achievement?year=2025").text
    assert "Theo năm giới thiệu và số liệu trong kỳ" in page
    assert "Nhóm giới thiệu năm và số liệu trong kỳ" not in page
    assert "<h2>Đoạn văn dùng cho báo cáo</h2>" in page
    assert not re.search(r"<th[^>]*>\s*</th>", page)      # axe: empty-table-header
    titles = re.findall(r'class="axis-title"[^>]*>([^<]+)<', page)
    assert titles == ["Tháng", "Số người"]


def test_targets_page_opens_on_this_year_with_units(world, db, auth, client):
    auth.login(world.users["federation_officer_a"].username)
    assert TODAY.month >= 9                      # when the old default was next year
    page = client.get("/targets/").text
    assert f"Chỉ tiêu năm {TODAY.year}" in text_of(page)
    assert re.search(rf'<option value="{TODAY.year}" selected>', page)
    head = re.search(r'<table class="targets">\s*<thead>(.*?)</thead>', page, re.S).group(1)
    assert text_of(head).startswith("Đơn vị Chỉ tiêu")
