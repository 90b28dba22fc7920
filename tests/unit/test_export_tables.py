"""``tables_response``: several tables in one CSV (blank rows between) or one XLSX (a legal,
unique worksheet per table); ``export_response`` is its one untitled table."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from werkzeug.exceptions import BadRequest

from referral_flow.exports import (Table, download_name, export_response, sheet_titles,
                                    slug, tables_response)

TABLES = [
    Table("Nhóm giới thiệu 2025", ["Bước", "Số hồ sơ"], [["Nguyễn Thị Ánh", 3], ["=1+1", 2]]),
    Table("Số liệu trong kỳ", ["Tỷ lệ (%)", "Ngày"], [[12.5, date(2025, 3, 4)]]),
]


def body(resp) -> bytes:
    return b"".join(resp.response)


@pytest.mark.parametrize("titles, expected", [
    (["Cohort 2025: of those introduced in 2025"], ["Cohort 2025 of those introduced"]),
    (["a[b]c:d*e?f/g\\h"], ["abcdefgh"]),
    (["'quoted'", None, "", "[]:*?"], ["quoted", "Sheet", "Sheet (2)", "Sheet (3)"]),
    (["Due", "due", "DUE"], ["Due", "due (2)", "DUE (3)"]),
    (["x" * 40, "x" * 35], ["x" * 31, "x" * 27 + " (2)"]),
    (["Nguye\u0302\u0303n"], ["Nguyễn"]),                            # NFC
    # longer than 31: cut after the last whole word, never mid-word
    (["Theo tổ chức đảng trong doanh nghiệp"], ["Theo tổ chức đảng trong doanh"]),
    (["CĐCS chưa giới thiệu ai năm 2024"], ["CĐCS chưa giới thiệu ai năm"]),
    (["Lớp cho doanh nghiệp chưa có tổ chức đảng", "Lớp cho doanh nghiệp chưa có tổ"],
     ["Lớp cho doanh nghiệp chưa có tổ", "Lớp cho doanh nghiệp chưa (2)"]),
    (["Due – in  time: a very long title indeed"], ["Due – in time a very long title"]),
])
def test_sheet_titles_are_legal_and_unique(titles, expected):
    got = sheet_titles(titles)
    assert got == expected
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in got)
    assert len({t.casefold() for t in got}) == len(got)


def test_csv_writes_each_titled_table_with_a_blank_row_between():
    """Outside a request (no user): the Vietnamese CSV, ';' between fields, decimal comma."""
    resp = tables_response(TABLES, "csv", "report")
    data = body(resp)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\n" not in text.replace("\r\n", "")
    assert text.splitlines()[:2] == ["Nhóm giới thiệu 2025", "Bước;Số hồ sơ"]
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";")) == [
        ["Nhóm giới thiệu 2025"], ["Bước", "Số hồ sơ"], ["Nguyễn Thị Ánh", "3"],
        ["'=1+1", "2"], [],
        ["Số liệu trong kỳ"], ["Tỷ lệ (%)", "Ngày"], ["12,5", "04/03/2025"]]


def test_xlsx_has_one_typed_sheet_per_table():
    resp = tables_response(TABLES + [Table("Số liệu trong kỳ", ["A"], [])], "xlsx", "report")
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(body(resp)))
    assert wb.sheetnames == ["Nhóm giới thiệu 2025", "Số liệu trong kỳ", "Số liệu trong kỳ (2)"]
    first, second = wb.worksheets[:2]
    assert first.freeze_panes == "A2" and all(c.font.b for c in first[1])
    assert [c.value for c in first[3]] == ["'=1+1", 2]
    assert first["A2"].number_format == "@" and first["B2"].data_type == "n"
    assert second["A2"].value == 12.5 and second["A2"].data_type == "n"
    assert second["B2"].is_date and second["B2"].number_format.lower() == "dd/mm/yyyy"


def test_the_one_table_export_has_no_title_row():
    resp = export_response(["Họ và tên"], [["Nguyễn Thị Ánh"]], "csv", "cases")
    assert body(resp).decode("utf-8-sig") == "Họ và tên\r\nNguyễn Thị Ánh\r\n"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="cases.csv"'


def test_an_unknown_format_is_refused():
    with pytest.raises(BadRequest):
        tables_response(TABLES, "pdf", "report")


def test_download_names_are_vietnamese_without_diacritics():
    assert download_name("ket-qua-chi-tieu", 2024, "quy-2") == "ket-qua-chi-tieu-2024-quy-2"
    assert download_name("ho-so", None, "", "Chi bộ xét đề nghị kết nạp") == \
        "ho-so-chi-bo-xet-de-nghi-ket-nap"
    assert download_name("ho-so", "Công đoàn Đồng Tháp / “Ưu tú”") == \
        "ho-so-cong-doan-dong-thap-uu-tu"
    assert download_name("", "!!!") == "tai-xuong"
    assert slug("Công đoàn cơ sở Công ty CP Thép Kinh Bắc", 30) == "cong-doan-co-so-cong-ty-cp"
    assert slug("x" * 70) == "x" * 60
