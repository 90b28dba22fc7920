"""The import kit: file types told by content, size limit, CSV variants, header
recognition (diacritics, case, order, aliases, a title row above), cells as text, the
template workbook."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl.xml
import pytest
from openpyxl import load_workbook

from referral_flow.imports.columns import Column, Columns, cell_text, header_key
from referral_flow.imports.files import ImportFileError, read_rows
from tests.sheets import csv_bytes, xlsx

KIT = Columns([
    Column("name", ("Họ và tên", "Họ tên"), "Full name", required=True),
    Column("born", ("Ngày sinh",), "Date of birth", required=True),
    Column("cid", ("Số CCCD", "CCCD"), "Citizen ID", digits=12),
])
ROWS = [["Họ và tên", "Ngày sinh", "Số CCCD"],
        ["Nguyễn Văn An", "17/05/1990", "027100000001"],
        ["Trần Thị Bình", "01/02/1985", ""]]


@pytest.fixture
def vi(app):
    """A request in Vietnamese: the messages are read in the user's language."""
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        yield app


def records(data: bytes) -> list[tuple[int, dict]]:
    rows = iter(read_rows(data))
    header = KIT.header(rows)
    return list(KIT.records(header, rows))


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("data", [
    xlsx(ROWS),
    csv_bytes(ROWS),                                    # UTF-8 with BOM, ;
    csv_bytes(ROWS, delimiter=",", encoding="utf-8"),   # no BOM, ,
    csv_bytes(ROWS, delimiter="\t"),
    csv_bytes(ROWS, encoding="cp1258"),                 # Vietnamese Windows code page
], ids=["xlsx", "csv-bom-semicolon", "csv-comma", "csv-tab", "csv-cp1258"])
def test_every_format_reads_the_same_records(vi, data):
    assert records(data) == [
        (2, {"name": "Nguyễn Văn An", "born": "17/05/1990", "cid": "027100000001"}),
        (3, {"name": "Trần Thị Bình", "born": "01/02/1985", "cid": ""})]


def test_headers_without_diacritics_in_any_case_and_order_after_a_title(vi):
    data = xlsx([["DANH SÁCH ĐOÀN VIÊN"], [], ["cccd", "  NGAY   SINH (*)", "Ghi chú",
                                                   "ho_ten"],
                 # Excel's date cells are naive: no time zone to give.
                 [27100000001, datetime(1990, 5, 17), "x", "Nguyễn Văn An"]])  # noqa: DTZ001
    rows = iter(read_rows(data))
    header = KIT.header(rows)
    assert header.row == 3 and header.ignored == ["Ghi chú"]
    assert header.shown == {"cid": "cccd", "born": "NGAY   SINH (*)", "name": "ho_ten"}
    # A number cell that lost the leading zero gets it back; a date cell reads as dd/mm/yyyy.
    assert list(KIT.records(header, rows)) == [
        (4, {"cid": "027100000001", "born": "17/05/1990", "name": "Nguyễn Văn An"})]


def test_english_labels_are_recognised_too(vi):
    assert records(xlsx([["Date of birth", "Full name"], ["01/01/1990", "An"]])) == [
        (2, {"born": "01/01/1990", "name": "An"})]


def test_row_numbers_are_the_spreadsheets_with_blank_rows_skipped(vi):
    data = xlsx([ROWS[0], ROWS[1], [], [None, None, None], ROWS[2]])
    assert [n for n, _ in records(data)] == [2, 5]
    quoted = csv_bytes([ROWS[0], ["Nguyễn\nVăn An", "17/05/1990", ""], ROWS[2]])
    assert [n for n, _ in records(quoted)] == [2, 3]


def test_a_missing_required_column_is_named(vi):
    with pytest.raises(ImportFileError, match="Ngày sinh"):
        records(xlsx([["Họ và tên", "CCCD"], ["An", "1"]]))


def test_a_column_twice_is_refused(vi):
    with pytest.raises(ImportFileError, match="Họ tên"):
        records(xlsx([["Họ và tên", "Ngày sinh", "Họ tên"], ["An", "1/1/1990", "An"]]))


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


BOMB = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>')


@pytest.mark.parametrize("data, words", [
    (b"%PDF-1.4\x00\x01binary", "không phải"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (_zip({"word/document.xml": b"<w/>"}), "hỏng"),               # a zip, not a workbook
    (xlsx(ROWS)[:500], "hỏng"),                                  # cut short
    (_zip({"[Content_Types].xml": BOMB}), "hỏng"),               # entities: defusedxml
    (b"", "trống"),
], ids=["pdf", "xls", "docx-like-zip", "truncated", "xml-entities", "empty"])
def test_wrong_or_damaged_files_get_one_clear_message(vi, data, words):
    with pytest.raises(ImportFileError) as refused:
        records(data)
    assert words in str(refused.value)


def test_the_size_limit_is_a_setting_with_a_clear_message(vi):
    vi.config["IMPORT_MAX_BYTES"] = 1000
    with pytest.raises(ImportFileError, match="0,0 MB"):
        read_rows(csv_bytes(ROWS * 100))


@pytest.mark.parametrize("value, digits, text", [
    (None, 0, ""), ("  Nguye\u0302\u0303n  ", 0, "Nguyễn"), (12.0, 0, "12"), (12.5, 0, "12.5"),
    (date(2024, 3, 1), 0, "01/03/2024"),
    (datetime(2024, 3, 1, 0, 0), 0, "01/03/2024"),  # noqa: DTZ001 (Excel's cells are naive)
    (27100000001, 12, "027100000001"), (True, 0, "1"),
])
def test_cells_read_as_the_text_a_user_typed(value, digits, text):
    assert cell_text(value, digits) == text


def test_header_keys_fold_diacritics_case_spacing_and_punctuation():
    assert header_key("  Ngày   SINH (*) ") == header_key("ngay_sinh") == "ngay sinh"
    assert header_key("Số ĐT") == "so dt"


def test_the_template_has_the_headers_and_a_notes_sheet(vi):
    wb = load_workbook(io.BytesIO(KIT.template("Danh sách", "Hướng dẫn")))
    assert [c.value for c in wb["Danh sách"][1]] == ["Họ và tên", "Ngày sinh", "Số CCCD"]
    assert wb["Hướng dẫn"].max_row == 3
    # the template itself reads back with its headers recognised
    rows = iter(read_rows(KIT.template("Danh sách", "Hướng dẫn")))
    assert KIT.header(rows).places == {"name": 0, "born": 1, "cid": 2}
