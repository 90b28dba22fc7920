"""Reading an uploaded spreadsheet: XLSX (openpyxl in read-only mode, which parses the XML
with defusedxml when it is installed: no entity expansion) or CSV (UTF-8 with or without a
byte-order mark, else the Vietnamese and Western Windows code pages; fields separated by
``;``, ``,`` or a tab). The type is told by the content, never by the file's name.

Rows are yielded one at a time with the number the spreadsheet shows beside them, so memory
stays bounded whatever the number of rows.
"""
from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"      # Excel 97-2003 (.xls)
MAX_COLUMNS = 96            # cells read per row (the case import has 66 columns)
ENCODINGS = ("utf-8-sig", "cp1258", "cp1252")
DELIMITERS = (";", ",", "\t")
CHUNK = 64 * 1024
SNIFF_LINES = 10

NOT_A_SPREADSHEET = _l("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or "
                       "a CSV file.")
DAMAGED_XLSX = _l("This file cannot be read as an Excel workbook (.xlsx): it is damaged or "
                  "of another kind. Open it in Excel, save it as \"Excel Workbook (.xlsx)\" "
                  "and upload it again.")
OLD_XLS = _l("This is an old Excel 97-2003 file (.xls): open it in Excel, save it as "
             "\"Excel Workbook (.xlsx)\" and upload it again.")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; str() is a translated message."""


def max_bytes() -> int:
    return current_app.config["IMPORT_MAX_BYTES"]


def check_size(data: bytes) -> None:
    limit = max_bytes()
    if len(data) > limit:
        raise ImportFileError(_l(
            "The file is too large (%(size)s MB): at most %(limit)s MB can be imported. "
            "Split it into several files.",
            size=f"{len(data) / 1e6:.1f}".replace(".", ","),
            limit=f"{limit / 1e6:.1f}".replace(".", ",")))
    if not data:
        raise ImportFileError(_l("The file is empty."))


@dataclass
class Rows:
    """The rows of a file, read once: (row number, cells), header included; ``total`` is
    about how many there are (for a progress bar)."""
    rows: Iterator[tuple[int, list]]
    total: int

    def __iter__(self) -> Iterator[tuple[int, list]]:
        return self.rows


def read_rows(data: bytes) -> Rows:
    """The rows of the workbook's first sheet or of the CSV; raises ImportFileError for a
    file that is too large, of the wrong type or damaged (possibly while iterating)."""
    check_size(data)
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(OLD_XLS)
    return _csv_rows(data)


# --- XLSX -------------------------------------------------------------------------------

def _xlsx_rows(data: bytes) -> Rows:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        total = ws.max_row or 0
    except Exception as exc:     # any parser error of an untrusted file is "damaged"
        raise ImportFileError(DAMAGED_XLSX) from exc
    return Rows(_sheet_rows(wb, ws), total)


def _sheet_rows(wb, ws) -> Iterator[tuple[int, list]]:
    try:
        # Read-only sheets yield an empty row for each missing one, so the count is the
        # row number Excel shows.
        for number, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True),
                                     start=1):
            yield number, list(row)
    except Exception as exc:     # a damaged sheet found while streaming it
        raise ImportFileError(DAMAGED_XLSX) from exc
    finally:
        wb.close()


# --- CSV --------------------------------------------------------------------------------

def _encoding(data: bytes) -> str:
    """The first of ENCODINGS that decodes the whole file (checked chunk by chunk)."""
    if b"\x00" in data[:CHUNK]:
        raise ImportFileError(NOT_A_SPREADSHEET)
    for name in ENCODINGS:
        decoder = codecs.getincrementaldecoder(name)()
        try:
            for start in range(0, len(data), CHUNK):
                decoder.decode(data[start:start + CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return name
    raise ImportFileError(NOT_A_SPREADSHEET)


def _delimiter(lines: str) -> str:
    """The separator used most in the first lines (a title line may have none)."""
    return max(DELIMITERS, key=lines.count)


def _csv_rows(data: bytes) -> Rows:
    encoding = _encoding(data)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first = "".join(text.readline() for _ in range(SNIFF_LINES))
    text.seek(0)
    return Rows(_records(csv.reader(text, delimiter=_delimiter(first))), data.count(b"\n") + 1)


def _records(reader) -> Iterator[tuple[int, list]]:
    try:
        # A quoted field may span lines; a spreadsheet shows it as one row: count records.
        for number, row in enumerate(reader, start=1):
            yield number, [unicodedata.normalize("NFC", cell) for cell in row[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise ImportFileError(NOT_A_SPREADSHEET) from exc
