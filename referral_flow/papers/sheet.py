"""The data of one printed page of a paper: one structure, drawn by both renderers (the
HTML of the PDF and the DOCX), so the two files never differ in content."""
from __future__ import annotations

from dataclasses import dataclass, field

PARTY_HEADING = ("ĐẢNG CỘNG SẢN VIỆT NAM",)
NATION_HEADING = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
# The place of the date line is the issuing body's locality, which the records do not
# hold: a blank the office fills in (the DOCX is there to be edited before signing).
PLACE = "................"


@dataclass(frozen=True)
class Line:
    """A paragraph of the body: ``p`` plain, ``center`` a centred bold word (QUYẾT NGHỊ),
    ``item`` an indented point, ``blank`` a dotted line to fill by hand."""
    text: str
    style: str = "p"


@dataclass(frozen=True)
class Signature:
    on_behalf: str          # "T/M CHI BỘ"
    role: str               # "BÍ THƯ"
    name: str = ""          # blank: the signer writes it


@dataclass
class Sheet:
    form: str               # the form's code in force ("6-KNĐ"), printed in the corner
    superior: str           # the issuing organisation's superior, capitals
    issuer: str             # the issuing organisation, capitals
    number: str             # "Số 12-NQ/CB"
    dated: str              # "Hòa Lâm, ngày 15 tháng 12 năm 2025"
    title: str
    subtitle: str
    body: list[Line]
    signature: Signature
    heading: tuple[str, ...] = PARTY_HEADING
    recipients: tuple[str, ...] = field(default=("Lưu.",))


@dataclass
class Paper:
    """One file: its download name (ASCII, without extension), its pages, and the union
    members it names (for the read log)."""
    name: str
    sheets: list[Sheet]
    members: list[int] = field(default_factory=list)
