"""The columns an importer reads: how their headers are recognised, how a cell becomes
text, and the template workbook made from them.

A header is recognised by its letters and digits only, lower case and without diacritics
(``text.fold``): "Ngày sinh", "NGAY SINH", "ngày  sinh (*)" and "Ngay_sinh" are one name.
Each column lists its Vietnamese names (the first is the template's header) and answers to
its English label too. Columns may come in any order; unknown columns are ignored (and
listed); a required column that is missing refuses the file.
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from ..text import fold
from .files import ImportFileError

HEADER_SEARCH_ROWS = 10     # a title or a note may stand above the header row


@dataclass(frozen=True)
class Column:
    key: str                        # the importer's name for the value
    names: tuple[str, ...]          # Vietnamese headers; the first one is the template's
    label: object                   # translatable label (English msgid), also recognised
    required: bool = False          # the header must be present (a cell may still be empty)
    digits: int = 0                 # an identifier of this many digits: a number cell that
                                    # lost its leading zeros gets them back
    hint: object = ""               # what the template's notes sheet says about it

    @property
    def header(self) -> str:
        return self.names[0]


def header_key(text) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(text or ""))).split())


def cell_text(value, digits: int = 0) -> str:
    """A cell as the text a user would have typed: dates as dd/mm/yyyy, whole numbers
    without a decimal point, text NFC and trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:0{digits}d}" if digits else str(value)
    return unicodedata.normalize("NFC", str(value)).strip()


@dataclass
class Header:
    """Where each known column is in the file, read from its header row."""
    row: int                            # the header's row number
    places: dict[str, int]              # column key -> index in the row
    shown: dict[str, str]               # column key -> the header as the file writes it
    ignored: list[str]                  # headers of columns nobody reads


class Columns:
    def __init__(self, columns: Sequence[Column]):
        self.columns = list(columns)
        self.by_key = {c.key: c for c in columns}
        self._names: dict[str, str] = {}
        for column in columns:
            for name in column.names:
                self._names[header_key(name)] = column.key

    def _lookup(self, text) -> str | None:
        key = header_key(text)
        if key in self._names:
            return self._names[key]
        # The English label, in the language of whoever exported the file.
        return next((c.key for c in self.columns if header_key(str(c.label)) == key), None)

    def header(self, rows: Iterator[tuple[int, list]]) -> Header:
        """Find the header row among the first rows (consumed from ``rows``)."""
        required = {c.key for c in self.columns if c.required}
        for number, cells in rows:
            places: dict[str, int] = {}
            shown: dict[str, str] = {}
            ignored: list[str] = []
            duplicate = None
            for i, cell in enumerate(cells):
                text = cell_text(cell)
                if not text:
                    continue
                key = self._lookup(text)
                if key is None:
                    ignored.append(text)
                elif key in places:
                    duplicate = text
                else:
                    places[key], shown[key] = i, text
            if required <= places.keys():
                if duplicate is not None:
                    raise ImportFileError(_l("The column \"%(name)s\" appears twice in the "
                                             "header row.", name=duplicate))
                return Header(number, places, shown, ignored)
            if number >= HEADER_SEARCH_ROWS:
                break
        raise ImportFileError(_l(
            "No header row was found in the first %(n)d rows. The file needs the columns: "
            "%(names)s (download the template).", n=HEADER_SEARCH_ROWS,
            names=", ".join(self.by_key[k].header for k in self.by_key if k in required)))

    def records(self, header: Header,
                rows: Iterable[tuple[int, list]]) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, {column key: cell text}) for each non-empty row after the header."""
        for number, cells in rows:
            record = {key: cell_text(cells[i] if i < len(cells) else None,
                                     self.by_key[key].digits)
                      for key, i in header.places.items()}
            if any(record.values()):
                yield number, record

    def template(self, sheet: str, notes_sheet: str) -> bytes:
        """An empty workbook with the header row (identifier columns formatted as text, so
        leading zeros stay) and a sheet that explains each column."""
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        bold = Font(bold=True)
        cells = []
        for i, column in enumerate(self.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(len(column.header) + 4, 14)
            if column.digits:
                ws.column_dimensions[get_column_letter(i)].number_format = "@"
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        notes = wb.create_sheet(notes_sheet)
        notes.column_dimensions["A"].width = 32
        notes.column_dimensions["B"].width = 14
        notes.column_dimensions["C"].width = 90
        for column in self.columns:
            notes.append([column.header, str(_l("required")) if column.required else "",
                          str(column.hint)])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
