"""Spreadsheet exports: tables of (title, header labels, rows of cells) -> one CSV or XLSX
download. ``tables_response`` writes several tables (a report); ``export_response`` is its
one untitled table (a case list).

Cells may be ``str``, ``int``/``float``, ``date``/``datetime`` or ``None``:

* Text is NFC-normalised (Vietnamese intact) and always written as text: in XLSX the
  cell's number format is ``@``, so a citizen ID such as ``027100000001`` keeps its
  leading zero and is never turned into a number. CSV has no types: every field is text,
  and a spreadsheet that opens it may still guess numbers (use the XLSX for that reason).
* Formula injection (OWASP "CSV injection"): a text cell beginning with ``= + - @``, a tab
  or a carriage return gets a leading apostrophe, in both formats, so that no spreadsheet
  runs it as a formula. Numbers stay numbers (a negative number is not text).
* CSV: UTF-8 with a byte-order mark (so Excel reads Vietnamese correctly), ``\\r\\n`` line
  ends; each table is its title row (if titled), its header row and its rows, tables
  separated by a blank row.
* XLSX: openpyxl write-only workbook, one worksheet per table named after its title (made
  a legal, unique sheet name), bold and frozen header row, dates as real date cells
  formatted dd/mm/yyyy, numbers as numbers (a percentage is a number under a header that
  says "%"), column widths estimated from the header and the first rows.

Rows are consumed once, as they come (the caller may stream them from the database with
``yield_per``); the file is built in a spooled temporary file (memory, then disk), so
memory stays bounded whatever the number of rows.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response, abort

from . import clock
from .i18n import vn_date

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
SPOOL_BYTES = 8 * 1024 * 1024
WIDTH_SAMPLE = 200          # rows looked at to size the XLSX columns
MIN_WIDTH, MAX_WIDTH = 8, 60
SHEET_CHARS = 31            # Excel's limit on a worksheet name


@dataclass
class Table:
    """One table of a download: in the CSV its title row (when it has a title), the header
    row and the rows; in the XLSX a worksheet named after the title."""
    title: str | None
    headers: Sequence[str]
    rows: Iterable[Sequence]


class Counted:
    """Wrap an iterable of rows and count them as they are consumed."""

    def __init__(self, rows: Iterable[Sequence]):
        self._rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[Sequence]:
        for row in self._rows:
            self.n += 1
            yield row


def safe_text(value: str) -> str:
    """NFC, with a leading apostrophe when a spreadsheet would read a formula."""
    value = unicodedata.normalize("NFC", value)
    return "'" + value if value.startswith(DANGEROUS_START) else value


def sheet_titles(titles: Sequence[str | None]) -> list[str]:
    """Worksheet names for ``titles``: without the characters Excel forbids (``[]:*?/\\``,
    control characters, an apostrophe at either end), at most 31 characters, unique
    regardless of case (Excel's rule), "Sheet" when nothing is left."""
    out: list[str] = []
    seen: set[str] = set()
    for title in titles:
        base = unicodedata.normalize("NFC", str(title or ""))
        base = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", "", base).strip().strip("'").strip()
        base = base or "Sheet"
        name, n = _clip(base, SHEET_CHARS), 1
        while name.casefold() in seen:
            n += 1
            suffix = f" ({n})"
            name = _clip(base, SHEET_CHARS - len(suffix)) + suffix
        seen.add(name.casefold())
        out.append(name)
    return out


def _clip(text: str, size: int) -> str:
    return text[:size].rstrip(" '")


def tables_response(tables: Sequence[Table], fmt: str, name: str) -> Response:
    """The download of ``tables`` as ``name-YYYY-MM-DD.<fmt>``; 400 for an unknown format."""
    if fmt not in FORMATS:
        abort(400)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    (_write_csv if fmt == "csv" else _write_xlsx)(out, tables)
    size = out.tell()
    out.seek(0)
    filename = f"{name}-{clock.today().isoformat()}.{fmt}"      # ASCII: no quoting needed
    response = Response(_chunks(out), content_type=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Length": str(size),
        "Cache-Control": "no-store",        # personal records
    })
    response.call_on_close(out.close)
    return response


def export_response(headers: Sequence[str], rows: Iterable[Sequence], fmt: str,
                    name: str) -> Response:
    """One untitled table: the header row first in the CSV, one sheet in the XLSX."""
    return tables_response([Table(None, headers, rows)], fmt, name)


def _chunks(out, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := out.read(size):
            yield chunk
    finally:
        out.close()


# --- CSV --------------------------------------------------------------------------------

def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return vn_date(value)
    if isinstance(value, (int, float)):
        return str(value)
    return safe_text(str(value))


def _write_csv(out, tables: Sequence[Table]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        if table.title is not None:
            writer.writerow([_csv_cell(str(table.title))])
        writer.writerow([_csv_cell(str(h)) for h in table.headers])
        for row in table.rows:
            writer.writerow([_csv_cell(v) for v in row])
    text.flush()
    text.detach()           # leave ``out`` open for the response


# --- XLSX -------------------------------------------------------------------------------

def _xlsx_value(value):
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        # Control characters XML cannot hold are dropped (tab and CR are legal).
        return safe_text(ILLEGAL_CHARACTERS_RE.sub("", value)) or None
    return value


def _width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, (datetime, date)):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _write_xlsx(out, tables: Sequence[Table]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for table, title in zip(tables, sheet_titles([t.title for t in tables])):
        _write_sheet(wb.create_sheet(title), [str(h) for h in table.headers], table.rows)
    wb.save(out)


def _write_sheet(ws, headers: list[str], rows: Iterable[Sequence]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    for i, header in enumerate(headers):
        widest = max([_width(header)] + [_width(r[i]) for r in sample if i < len(r)])
        ws.column_dimensions[get_column_letter(i + 1)].width = min(
            max(widest + 2, MIN_WIDTH), MAX_WIDTH)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value):
        value = _xlsx_value(value)
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.number_format = "@"
        elif isinstance(value, (datetime, date)):
            c.number_format = "DD/MM/YYYY"
        return c

    header_cells = []
    for header in headers:
        c = cell(header)
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    for row in itertools.chain(sample, rows):
        ws.append([cell(v) for v in row])
