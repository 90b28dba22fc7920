"""Spreadsheet exports: tables of (title, header labels, rows of cells) -> one CSV or XLSX
download. ``tables_response`` writes several tables (a report); ``export_response`` is its
one untitled table (a case list).

Cells may be ``str``, ``int``/``float``, ``date``/``datetime`` or ``None``:

* Text is NFC-normalised (Vietnamese intact) and always written as text: in XLSX the
  cell's number format is ``@``, so a citizen ID such as ``027100000001`` keeps its
  leading zero and is never turned into a number. CSV has no types: a spreadsheet that
  opens it guesses, and drops that leading zero; the XLSX is the download the pages
  recommend (first link), the CSV is for other tools.
* Formula injection (OWASP "CSV injection"): a text cell beginning with ``= + - @``, a tab
  or a carriage return gets a leading apostrophe, in both formats, so that no spreadsheet
  runs it as a formula. Numbers stay numbers (a negative number is not text).
* CSV follows the user's language, because Excel reads a CSV with the separators of the
  computer's regional settings and no file can tell it otherwise (a ``sep=`` first line
  would, but Excel then ignores the UTF-8 byte-order mark and garbles Vietnamese):
  Vietnamese users (Windows vi-VN: list separator ``;``, decimal ``,``, grouping ``.``)
  get fields separated by ``;`` and decimal commas (``110,7``); English users (en-US:
  ``,`` and ``.``) get ``,`` and ``110.7``. Numbers are never grouped (``2158``: a
  grouping dot would read as a decimal point elsewhere), dates are dd/mm/yyyy. UTF-8 with
  a byte-order mark, ``\\r\\n`` line ends; each table is its title row (if titled), its
  header row and its rows, tables separated by a blank row.
* XLSX: openpyxl write-only workbook, one worksheet per table, named by the table's short
  ``sheet`` name (else its title) made a legal, unique sheet name of at most 31 characters,
  cut at a word boundary as a last resort; bold and frozen header row; dates as real date
  cells formatted dd/mm/yyyy; numbers as numbers, whole numbers shown grouped (``#,##0``)
  and fractions with one decimal (``#,##0.0``: a percentage is such a number under a header
  that says "%"), which Excel displays with the computer's own separators (2.158 and 110,7
  in Vietnamese); identifiers and years (``plain`` columns) without grouping. Column widths
  are estimated from the header and the first rows; a column of long text (the summary's
  sentences) gets a wide column and wrapped cells.
* Download names are ASCII (Vietnamese without diacritics, ``download_name``), chosen by
  the caller from what the file holds (report, year, quarter, filter), never today's date.

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
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from flask import Response, abort, request
from flask_login import current_user

from .extensions import db
from .i18n import CsvStyle, csv_style, vn_date
from .services import audit, reads
from .text import fold

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
SPOOL_BYTES = 8 * 1024 * 1024
WIDTH_SAMPLE = 200          # rows looked at to size the XLSX columns
MIN_WIDTH, MAX_WIDTH = 8, 60
WRAP_WIDTH = 100            # a column of longer text: this wide, its text wrapped
SHEET_CHARS = 31            # Excel's limit on a worksheet name
NAME_CHARS = 60             # a part of a download name (an organisation's name) at most
WHOLE, FRACTION, PLAIN = "#,##0", "#,##0.0", "0"


@dataclass
class Table:
    """One table of a download: in the CSV its title row (when it has a title), the header
    row and the rows; in the XLSX a worksheet named ``sheet`` (a short name; else the
    title). ``plain`` holds the indexes of the columns of identifiers and years, shown
    without a thousands separator."""
    title: str | None
    headers: Sequence[str]
    rows: Iterable[Sequence]
    sheet: str | None = None
    plain: Collection[int] = ()


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


def slug(text: str, size: int = NAME_CHARS) -> str:
    """``text`` as part of a file name: Vietnamese without diacritics, lower case, words
    joined by hyphens, cut after a whole word ("Công đoàn Viên chức" -> "cong-doan-vien-chuc")."""
    words = re.sub(r"[^a-z0-9]+", " ", fold(str(text))).split()
    out = ""
    for word in words:
        if out and len(out) + 1 + len(word) > size:
            break
        out = f"{out}-{word}" if out else word[:size]
    return out


def download_name(*parts) -> str:
    """A download's name (without extension) from its parts, skipping empty ones:
    ``download_name("ket-qua-chi-tieu", 2024, "quy-2")`` -> ``ket-qua-chi-tieu-2024-quy-2``."""
    return "-".join(slug(p) for p in parts if p not in (None, "") and slug(p)) or "tai-xuong"


def sheet_titles(titles: Sequence[str | None]) -> list[str]:
    """Worksheet names for ``titles``: without the characters Excel forbids (``[]:*?/\\``,
    control characters, an apostrophe at either end), at most 31 characters (cut after a
    whole word when a title is longer), unique regardless of case (Excel's rule), "Sheet"
    when nothing is left."""
    out: list[str] = []
    seen: set[str] = set()
    for title in titles:
        base = unicodedata.normalize("NFC", str(title or ""))
        base = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", "", base)
        base = re.sub(r"\s+", " ", base).strip().strip("'").strip()
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
    """``text`` cut to ``size`` characters after its last whole word (mid-word only when a
    single word is longer than ``size``)."""
    if len(text) <= size:
        return text
    cut = text[:size + 1].rsplit(" ", 1)[0] if " " in text[:size + 1] else text[:size]
    return cut.rstrip(" '-–,;.") or text[:size].rstrip(" '")


def tables_response(tables: Sequence[Table], fmt: str, name: str) -> Response:
    """The download of ``tables`` as ``<name>.<fmt>``; 400 for an unknown format."""
    if fmt not in FORMATS:
        abort(400)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (_chunks closes it)
    write_tables(out, tables, fmt)
    size = out.tell()
    out.seek(0)
    filename = f"{name}.{fmt}"          # ASCII (``download_name``): no quoting needed
    response = Response(_chunks(out), content_type=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Length": str(size),
        "Cache-Control": "no-store",        # personal records
    })
    response.call_on_close(out.close)
    return response


def write_tables(out, tables: Sequence[Table], fmt: str, style: CsvStyle | None = None) -> None:
    """``tables`` as ``fmt`` into the binary file ``out`` (CSV in ``style``, by default the
    request's language)."""
    if fmt == "csv":
        _write_csv(out, tables, style or csv_style())
    else:
        _write_xlsx(out, tables)


def export_response(headers: Sequence[str], rows: Iterable[Sequence], fmt: str,
                    name: str, plain: Collection[int] = ()) -> Response:
    """One untitled table: the header row first in the CSV, one sheet in the XLSX."""
    return tables_response([Table(None, headers, rows, plain=plain)], fmt, name)


def _chunks(out, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := out.read(size):
            yield chunk
    finally:
        out.close()


# --- CSV --------------------------------------------------------------------------------

def _csv_cell(value, style: CsvStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return vn_date(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value).replace(".", style.decimal)
    return safe_text(str(value))


def _write_csv(out, tables: Sequence[Table], style: CsvStyle) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=style.delimiter, lineterminator="\r\n")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        if table.title is not None:
            writer.writerow([_csv_cell(str(table.title), style)])
        writer.writerow([_csv_cell(str(h), style) for h in table.headers])
        for row in table.rows:
            writer.writerow([_csv_cell(v, style) for v in row])
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
    names = sheet_titles([t.sheet or t.title for t in tables])
    for table, name in zip(tables, names, strict=True):
        _write_sheet(wb.create_sheet(name), table)
    wb.save(out)


def _write_sheet(ws, table: Table) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = [str(h) for h in table.headers]
    rows = iter(table.rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    wrapped = set()
    for i, header in enumerate(headers):
        widest = max([_width(header)] + [_width(r[i]) for r in sample if i < len(r)])
        if widest > MAX_WIDTH:
            wrapped.add(i)
        ws.column_dimensions[get_column_letter(i + 1)].width = (
            WRAP_WIDTH if i in wrapped else max(widest + 2, MIN_WIDTH))
    ws.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    def cell(value, column: int):
        value = _xlsx_value(value)
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.number_format = "@"
            if column in wrapped:
                c.alignment = wrap
        elif isinstance(value, (datetime, date)):
            c.number_format = "DD/MM/YYYY"
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            c.number_format = PLAIN if column in table.plain else WHOLE
        elif isinstance(value, float):
            c.number_format = FRACTION
        return c

    header_cells = []
    for i, header in enumerate(headers):
        c = cell(header, i)
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    for row in itertools.chain(sample, rows):
        ws.append([cell(v, i) for i, v in enumerate(row)])


def report_export(report: str, name: str, tables: Sequence[Table], filters: dict,
                  members: Sequence[int] = ()) -> Response:
    """``tables`` as the download ``<name>.<format>`` (``exports.download_name``: the
    report, its year and period, never today's date); 400 for an unknown format (nothing
    logged); the audit event is committed, and when the tables name ``members`` (union
    members' ids) so is a read-log record naming them."""
    fmt = request.args.get("format", "")
    counted = [Counted(t.rows) for t in tables]
    response = tables_response(
        [replace(t, rows=rows) for t, rows in zip(tables, counted, strict=True)], fmt, name)
    audit.append(trigger="export", subject="report_export", actor_id=current_user.id,
                 case_id=None, data={"report": report, "filters": filters, "format": fmt,
                                     "rows": sum(c.n for c in counted)})
    if members:
        reads.record(actor_id=current_user.id, endpoint=request.endpoint or request.path,
                     filters=filters | {"format": fmt}, rows=sum(c.n for c in counted),
                     members=members)
    db.session.commit()
    return response
