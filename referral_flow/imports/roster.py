"""Importing a union's roster (its members) from XLSX or CSV into the CĐCS the user chairs.

Each row is checked by the roster screen's own rules (``forms.member.MemberFields``). A row
is the same person as a member already kept when its citizen ID is that member's, or, when
the row has no citizen ID (or nobody has it), when the name and the date of birth are those
of a member of the same unit without a citizen ID. The user chooses what happens to them:
``skip`` (leave them as they are) or ``update`` (the file's non-empty cells replace theirs;
an empty cell never erases anything). Within the file the same person twice is an error.

``check_roster`` writes nothing; ``commit_roster`` runs the same code, writes inside a
savepoint, and undoes everything and raises ``ImportRefused`` if any row is wrong; else it
appends one audit event (file name, SHA-256, counts). Rows are read and looked up in
batches, so memory holds a batch and the keys seen, never the whole file.
"""
from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..forms.member import MemberFields
from ..models import Member, Organisation, User
from ..models.member import Education
from ..services import audit
from ..text import fold
from .columns import Column, Columns, Header
from .files import ImportFileError, read_rows
from .report import ImportRefused, Progress, Report, no_progress

SKIP, UPDATE = "skip", "update"
# The count of rows whose citizen ID is a member's of a unit the user does not chair: each
# is answered neutrally, and the screen bounds how many a user may ask about (F-4.10).
ELSEWHERE = "elsewhere"
BATCH = 500

COLUMNS = Columns([
    Column("full_name", ("Họ và tên", "Họ tên", "Tên đoàn viên", "Họ và tên đoàn viên"),
           _l("Full name"), required=True),
    Column("date_of_birth", ("Ngày sinh", "Ngày tháng năm sinh", "Sinh ngày"),
           _l("Date of birth"), required=True, hint=_l("dd/mm/yyyy, or a date cell")),
    Column("gender", ("Giới tính", "Nam/Nữ"), _l("Gender"), required=True,
           hint=_l("Nam or Nữ")),
    Column("citizen_id", ("Số CCCD", "CCCD", "Căn cước công dân", "Số căn cước công dân",
                          "Số căn cước", "Số định danh", "Số định danh cá nhân"),
           _l("Citizen ID (12 digits)"), digits=12,
           hint=_l("12 digits; may be left empty, but is required before a nomination")),
    Column("old_id_number", ("Số CMND", "CMND", "Chứng minh nhân dân", "Số CMND cũ"),
           _l("Old identity card (CMND, 9 digits)"), digits=9),
    Column("job", ("Nghề nghiệp", "Công việc", "Việc làm", "Nghề nghiệp, công việc"),
           _l("Job"), required=True),
    Column("direct_production", ("Công nhân trực tiếp sản xuất", "Trực tiếp sản xuất",
                                 "Lao động trực tiếp", "CNTTSX"),
           _l("Direct production worker"), hint=_l("x, Có or 1 for yes; empty or Không")),
    Column("phone", ("Số điện thoại", "Điện thoại", "SĐT", "ĐT"), _l("Phone")),
    Column("email", ("Email", "E-mail", "Thư điện tử"), _l("E-mail")),
    Column("union_member_since", ("Ngày vào công đoàn", "Ngày kết nạp công đoàn",
                                  "Đoàn viên từ", "Ngày vào CĐ"), _l("Union member since"),
           hint=_l("dd/mm/yyyy")),
    Column("education", ("Trình độ học vấn", "Học vấn", "Trình độ văn hóa", "Văn hóa",
                         "Trình độ giáo dục phổ thông"), _l("Education (highest diploma)"),
           hint=_l("9/12 or THCS, 12/12 or THPT, Trung cấp, Cao đẳng, Đại học; below THCS "
                   "the grade, e.g. 7/12")),
    Column("employer", ("Nơi làm việc", "Doanh nghiệp", "Tên doanh nghiệp",
                        "Đơn vị sử dụng lao động"), _l("Employer"),
           hint=_l("Required on the roster of a union above grassroots")),
    Column("unit_code", ("Mã CĐCS", "Mã công đoàn cơ sở", "Mã đơn vị", "Mã công đoàn"),
           _l("Union unit code"),
           hint=_l("Only when the file holds the members of several of your units")),
])
GENDER_WORDS = {"nam": "male", "male": "male", "m": "male",
                "nu": "female", "female": "female", "f": "female"}
YES_WORDS = {"x", "co", "c", "1", "yes", "y", "true", "dung"}
NO_WORDS = {"", "khong", "k", "0", "no", "n", "false"}
# "9/12": grade 9 of the 12-year school, "7/10": of the 10-year school before 1981-1990
# (its lower secondary ended with grade 7).
GRADE = re.compile(r"(\d{1,2})\s*/\s*(10|12)")
LOWER_SECONDARY_ENDS = {12: 9, 10: 7}
EDUCATION_WORDS = {
    **dict.fromkeys(("tieu hoc", "cap 1", "cap i"), Education.primary),
    **dict.fromkeys(("thcs", "trung hoc co so", "cap 2", "cap ii"), Education.lower_secondary),
    **dict.fromkeys(("thpt", "trung hoc pho thong", "cap 3", "cap iii"),
                    Education.upper_secondary),
    **dict.fromkeys(("trung cap", "cao dang", "dai hoc", "cu nhan", "ky su", "thac si",
                     "tien si", "sau dai hoc"), Education.higher),
}
ACTIONS = {"add": _l("add"), "update": _l("update"), "skip": _l("skip"),
           "error": _l("error")}


class RosterRow(MemberFields):
    """One row of the file, validated as the screen's form would be."""

    class Meta:
        csrf = False


@dataclass
class RosterImport:
    """Who imports, into which units, and what becomes of members already kept."""
    user: User
    units: list[Organisation]           # where rows may go: the user's open CĐCS
    unit: Organisation | None = None    # rows without a unit code go here
    existing: str = SKIP

    def __post_init__(self):
        if self.existing not in (SKIP, UPDATE):
            raise ValueError(self.existing)


def check_roster(file_name: str, data: bytes, options: RosterImport,
                 progress: Progress = no_progress) -> Report:
    """What importing the file would do (nothing is written)."""
    return _run(file_name, data, options, progress, write=False)


def commit_roster(file_name: str, data: bytes, options: RosterImport,
                  progress: Progress = no_progress) -> Report:
    """Import the file in the caller's transaction (it commits), with one audit event;
    raises ImportRefused, having written nothing, when a row is wrong."""
    savepoint = db.session.begin_nested()
    try:
        report = _run(file_name, data, options, progress, write=True)
    except BaseException:
        savepoint.rollback()
        raise
    if not report.ok:
        savepoint.rollback()
        raise ImportRefused(report)
    savepoint.commit()
    audit.append(trigger="import", subject="member", actor_id=options.user.id,
                 data={"file": file_name, "sha256": report.sha256, "rows": report.rows,
                       "units": sorted({u.id for u in options.units}),
                       "existing": options.existing} | report.counts)
    return report


# --- the one pass -----------------------------------------------------------------------

def _run(file_name: str, data: bytes, options: RosterImport, progress: Progress,
         write: bool) -> Report:
    report = Report(file_name, hashlib.sha256(data).hexdigest(),
                    counts={"added": 0, "updated": 0, "skipped": 0})
    rows = read_rows(data)
    stream = iter(rows)
    header = COLUMNS.header(stream)
    report.headers = [header.shown[c.key] for c in COLUMNS.columns if c.key in header.places]
    report.ignored_columns = header.ignored
    if "unit_code" not in header.places and options.unit is None:
        raise ImportFileError(_l("This file is for several of your units: add the column "
                                 "\"%(name)s\", or choose the unit before the import.",
                                 name=COLUMNS.by_key["unit_code"].header))
    seen = Seen()
    records = COLUMNS.records(header, stream)
    while batch := list(itertools.islice(records, BATCH)):
        _batch(batch, header, options, report, seen, write)
        report.rows += len(batch)
        progress(min(batch[-1][0], rows.total), rows.total)
    if report.rows == 0:
        raise ImportFileError(_l("The file has a header row but no members under it."))
    return report


class Seen:
    """The people met so far in the file: citizen ID, and unit + name + birth date, each
    to the first row that had it."""

    def __init__(self):
        self.by_id: dict[str, int] = {}
        self.by_name: dict[tuple, int] = {}

    def first(self, row: int, citizen_id: str | None, name_key: tuple) -> int | None:
        """The earlier row of the same person: by citizen ID when the row has one (two
        people may share a name and a birthday), else by name and birth date."""
        earlier = self.by_name.setdefault(name_key, row)
        if citizen_id:
            earlier = self.by_id.setdefault(citizen_id, row)
        return earlier if earlier != row else None


@dataclass
class Row:
    number: int
    record: dict[str, str]
    unit: Organisation | None = None
    values: dict | None = None


def _batch(batch: list[tuple[int, dict]], header: Header, options: RosterImport,
           report: Report, seen: Seen, write: bool) -> None:
    rows = [_validate(number, record, header, options, report) for number, record in batch]
    good = [r for r in rows if r.values is not None]
    by_id, by_name = _kept(good)
    for row in rows:
        action = "error"
        if row.values is not None:
            action = _decide(row, header, options, report, seen, by_id, by_name, write)
        report.show(row.number, [row.record[c.key] for c in COLUMNS.columns
                                 if c.key in header.places], ACTIONS[action])
    if write:
        db.session.flush()


def _validate(number: int, record: dict[str, str], header: Header, options: RosterImport,
              report: Report) -> Row:
    row = Row(number, record)
    errors_before = report.error_count
    code = record.get("unit_code", "")
    if code:
        row.unit = next((u for u in options.units if u.code == code.strip()), None)
        if row.unit is None:
            report.error(number, header.shown["unit_code"],
                         _l("None of your open union units has this code."))
    else:
        row.unit = options.unit
        if row.unit is None:
            report.error(number, header.shown["unit_code"], _l("Give the unit's code."))
    form = RosterRow(formdata=_formdata(record, header, number, report))
    if not form.validate():
        for name, messages in form.errors.items():
            column = header.shown.get(name, COLUMNS.by_key[name].header)
            report.error(number, column, messages[0])
    if report.error_count == errors_before:
        row.values = form.values()
    return row


def _formdata(record: dict[str, str], header: Header, number: int,
              report: Report) -> MultiDict:
    data = {k: v for k, v in record.items() if k != "unit_code"}
    if "gender" in data:
        data["gender"] = GENDER_WORDS.get(fold(data["gender"]).strip(), data["gender"])
    if "direct_production" in data:
        word = fold(data["direct_production"]).strip()
        if word in YES_WORDS:
            data["direct_production"] = "y"
        elif word in NO_WORDS:
            del data["direct_production"]
        else:
            report.error(number, header.shown["direct_production"],
                         _l("Write x (or Có) for a direct production worker, else leave "
                            "it empty."))
            del data["direct_production"]
    if data.get("education"):
        level = education_level(data["education"])
        if level is None:
            report.error(number, header.shown["education"],
                         _l("Write the education as 9/12, 12/12, THCS, THPT, Trung cấp, Cao "
                            "đẳng or Đại học."))
            del data["education"]
        else:
            data["education"] = level.value
    return MultiDict(data)


def education_level(text: str) -> Education | None:
    """The education a roster cell states ("9/12", "THPT", "Đại học"), or None."""
    words = " ".join(fold(text).replace(".", " ").split())
    grade = GRADE.fullmatch(words)
    if grade is None:
        return EDUCATION_WORDS.get(words)
    year, school = int(grade.group(1)), int(grade.group(2))
    if not 1 <= year <= school:
        return None
    if year == school:
        return Education.upper_secondary
    return Education.lower_secondary if year >= LOWER_SECONDARY_ENDS[school] \
        else Education.primary


def _name_key(unit_id: int, values: dict) -> tuple:
    return unit_id, fold(values["full_name"]), values["date_of_birth"]


def _kept(rows: Iterable[Row]) -> tuple[dict[str, Member], dict[tuple, list[Member]]]:
    """The members already kept that the batch's rows may be: by citizen ID (anywhere),
    and by unit, name and birth date (two queries)."""
    rows = list(rows)
    ids = {r.values["citizen_id"] for r in rows if r.values["citizen_id"]}
    by_id = {m.citizen_id: m for m in db.session.scalars(
        select(Member).where(Member.citizen_id.in_(ids)))} if ids else {}
    keys = {_name_key(r.unit.id, r.values) for r in rows}
    by_name: dict[tuple, list[Member]] = {}
    if keys:
        for m in db.session.scalars(select(Member).where(
                Member.unit_id.in_({k[0] for k in keys}),
                Member.search_key.in_({k[1] for k in keys}),
                Member.date_of_birth.in_({k[2] for k in keys}))):
            by_name.setdefault((m.unit_id, m.search_key, m.date_of_birth), []).append(m)
    return by_id, by_name


def _decide(row: Row, header: Header, options: RosterImport, report: Report, seen: Seen,
            by_id: dict[str, Member], by_name: dict[tuple, list[Member]], write: bool) -> str:
    values, number = row.values, row.number
    cid = values["citizen_id"]
    key = _name_key(row.unit.id, values)
    earlier = seen.first(number, cid, key)
    if earlier is not None:
        report.error(number, "", _l("The same person as row %(row)d.", row=earlier))
        return "error"
    member = by_id.get(cid) if cid else None
    if member is not None and member.unit_id != row.unit.id:
        mine = next((u for u in options.units if u.id == member.unit_id), None)
        if mine is None:
            report.count(ELSEWHERE)
        report.error(number, header.shown["citizen_id"], _l(
            "This person is on the roster of %(unit)s: move the record there, or correct "
            "the unit.", unit=mine.name) if mine else _l(
            "This citizen ID cannot be used here. If the member transferred from another "
            "unit, ask the upper-level union to transfer the record."))
        return "error"
    if member is None:
        # A row with a citizen ID nobody has may be a member kept without one.
        same = [m for m in by_name.get(key, []) if not cid or m.citizen_id is None]
        if len(same) > 1:
            report.error(number, header.shown["full_name"], _l(
                "%(n)d members of the unit have this name and date of birth: add the "
                "citizen ID to tell them apart.", n=len(same)))
            return "error"
        member = same[0] if same else None
    if member is None:
        report.count("added")
        if write:
            db.session.add(Member(unit_id=row.unit.id, **values))
        return "add"
    if options.existing == SKIP:
        report.count("skipped")
        return "skip"
    changed = {name: value for name, value in values.items()
               if row.record.get(name) and getattr(member, name) != value}
    if not changed:
        report.count("skipped")
        return "skip"
    report.count("updated")
    if write:
        for name, value in changed.items():
            setattr(member, name, value)
    return "update"
