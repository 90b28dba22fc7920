"""Spreadsheets built in code for the import tests: XLSX (openpyxl) and CSV bytes."""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

from openpyxl import Workbook


def xlsx(rows: Iterable[Sequence], title: str = "Danh sách") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: Iterable[Sequence], *, delimiter: str = ";", encoding: str = "utf-8-sig",
              ) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    text = out.getvalue()
    return (_windows_vietnamese(text) if encoding == "cp1258" else text).encode(encoding)


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"     # grave, acute, tilde, hook, dot below


def _windows_vietnamese(text: str) -> str:
    """Text as Windows-1258 writes it: the tone mark as a combining character after a
    precomposed base letter (ê, ơ, ư, ...), which the code page has."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(p for p in parts if p in TONE_MARKS)
            base = "".join(p for p in parts if p not in TONE_MARKS)
            out.append(unicodedata.normalize("NFC", base) + tones)
    return "".join(out)
