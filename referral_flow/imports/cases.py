"""Importing cases already under way at go-live (issue 10 item 5) from XLSX or CSV: one row
per case, entered at its step by ``services.case_intake`` exactly as the screen enters one.

A row names the member by citizen ID (a member already on the roster) or gives the person's
fields (a new member of the union unit); the union unit, the Party organisation and the
host cell by their codes, which become ids here: a code nobody has, a closed organisation
or one outside the user's scope is the row's error. The step is its Vietnamese label (or
its English one, or its state code); dates are dd/mm/yyyy or date cells; each vote kind of
the intake service has its group of columns; the dossier's documents may be left out
except at the steps whose guards need them (cell review, recognition review).

``check_cases`` runs ``check_case`` on every row and adds the file's own checks (the same
person twice); ``commit_cases`` runs the same pass with ``enter_case`` inside a savepoint,
undoes everything and raises ``ImportRefused`` if any row is wrong; else it appends one
audit event for the file (name, SHA-256, counts) beside the one per case that the service
writes (its source: the file, its SHA-256 and the row). The intake's errors are by field;
each is reported under the file's header of that field's column.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..forms.fields import parse_day
from ..models import Case, Organisation, Tree, UnionKind, User
from ..security.permissions import intake_nodes
from ..services import audit
from ..services.case_intake import (INTAKE_STATES, LABELS, VOTES, IntakeRefused, check_case,
                                    enter_case)
from ..text import fold
from ..workflow.guards import (CELL_KINDS, DOSSIER_FORMS, NUMBERED_FORMS, RECOGNITION_FORMS,
                               RECORDABLE_FORMS)
from ..workflow.states import label
from .columns import Column, Columns, Header, header_key
from .files import ImportFileError, read_rows
from .report import PREVIEW_ROWS, ImportRefused, Progress, Report, no_progress
from .roster import GENDER_WORDS, NO_WORDS, YES_WORDS


# --- the columns ----------------------------------------------------------------------------

def _vote_columns(kind: str, prefixes: tuple[str, ...]) -> list[Column]:
    """One vote's group: its date, the members entitled to vote, present, for, against,
    the resolution's number (the intake's ``<prefix>eligible`` ... and its date key)."""
    prefix, date_key = VOTES[kind]
    parts = [(date_key, ("ngày họp", "ngày"), _l("meeting date")),
             (prefix + "eligible", ("tổng số", "số được biểu quyết"),
              _l("members entitled to vote")),
             (prefix + "present", ("có mặt", "số có mặt"), _l("members present")),
             (prefix + "votes_for", ("tán thành", "số tán thành"), _l("votes for")),
             (prefix + "votes_against", ("không tán thành", "số không tán thành"),
              _l("votes against")),
             (prefix + "resolution_no", ("số nghị quyết", "số NQ"), _l("resolution number"))]
    return [Column(key, tuple(f"{p}: {w}" for p in prefixes for w in words),
                   _l("%(vote)s: %(field)s", vote=LABELS[date_key], field=what),
                   hint=_l("dd/mm/yyyy") if key == date_key else "")
            for key, words, what in parts]


# The forms without a KNĐ number: their columns' name and the headers' Vietnamese name.
NAMED_FORMS = {"new_member_certificate": ("doc_new_member", "GCN lớp đảng viên mới")}


def _doc(code: str) -> str:
    """The column keys' name of a form: "1-KNĐ" -> "doc_1"."""
    return NAMED_FORMS[code][0] if code in NAMED_FORMS else "doc_" + code.split("-")[0]


DOSSIER_HINT = _l("Needed for a case at the step “Cell review” (the dossier sent to the "
                  "cell); may be left empty at the other steps: the dossier can be "
                  "recorded on the case's page.")
RECOGNITION_HINT = _l("Needed for a case at the step “Recognition review”; may be left "
                      "empty at the other steps.")


def _document_columns(code: str) -> list[Column]:
    hint = RECOGNITION_HINT if code in RECOGNITION_FORMS else DOSSIER_HINT
    name = NAMED_FORMS[code][1] if code in NAMED_FORMS else code
    columns = [
        Column(_doc(code) + "_on", (f"{name}: ngày", f"Ngày {name}", f"{name}: ngày ký"),
               _l("%(form)s: date", form=name), hint=hint),
        Column(_doc(code) + "_issuer", (f"{name}: người ký", f"Người ký {name}",
                                        f"{name}: nơi cấp"),
               _l("%(form)s: issued by", form=name),
               hint=_l("Required for the introducer's letter (3-KNĐ): the introducer's "
                       "name.") if code == "3-KNĐ" else ""),
    ]
    if code in NUMBERED_FORMS:
        columns.append(Column(_doc(code) + "_number", (f"{name}: số", f"Số {name}"),
                              _l("%(form)s: number", form=name), hint=hint))
    if code == "2-KNĐ":
        columns.append(Column("doc_2_verified", ("2-KNĐ: đã thẩm tra", "Đã thẩm tra lý lịch"),
                              _l("2-KNĐ: verified"), hint=_l("x, Có or 1 for yes")))
    if code == "3-KNĐ":
        columns += [
            Column("doc_3_official", ("3-KNĐ: đảng viên chính thức",
                                      "Người giới thiệu là đảng viên chính thức"),
                   _l("3-KNĐ: the introducer is an official member"),
                   hint=_l("x, Có or 1 for yes")),
            Column("doc_3_months", ("3-KNĐ: số tháng cùng công tác", "Số tháng cùng công tác"),
                   _l("3-KNĐ: months worked or lived together"))]
    return columns


STEP_NAMES = LazyString(lambda: "; ".join(f"{label(s)} ({s})" for s in INTAKE_STATES))

COLUMNS = Columns([
    Column("citizen_id", ("Số CCCD", "CCCD", "Căn cước công dân", "Số căn cước công dân",
                          "Số định danh cá nhân"), _l("Citizen ID (12 digits)"), required=True,
           digits=12, hint=_l("12 digits. A member already on a roster is found by it; "
                              "otherwise fill in the person's columns: the new member "
                              "joins the union unit.")),
    Column("full_name", ("Họ và tên", "Họ tên", "Tên đoàn viên"), _l("Full name"),
           hint=_l("For a new member only (also his date of birth, gender and job)")),
    Column("date_of_birth", ("Ngày sinh", "Ngày tháng năm sinh"), _l("Date of birth"),
           hint=_l("dd/mm/yyyy, or a date cell")),
    Column("gender", ("Giới tính", "Nam/Nữ"), _l("Gender"), hint=_l("Nam or Nữ")),
    Column("job", ("Nghề nghiệp", "Công việc"), _l("Job")),
    Column("direct_production", ("Công nhân trực tiếp sản xuất", "Trực tiếp sản xuất",
                                 "CNTTSX"), _l("Direct production worker"),
           hint=_l("x, Có or 1 for yes; empty or Không")),
    Column("union_unit", ("Mã CĐCS", "Mã công đoàn cơ sở", "Mã công đoàn"),
           _l("Union unit code"), required=True,
           hint=_l("The code of the grassroots union (CĐCS) that nominated the member")),
    Column("party_org", ("Mã tổ chức đảng", "Mã tổ chức đảng tiếp nhận", "Mã đảng ủy"),
           _l("Party organisation code"),
           hint=_l("Empty: the union unit's receiving Party organisation")),
    Column("state", ("Bước hiện tại", "Bước", "Trạng thái"), _l("Current step"),
           required=True,
           hint=_l("One of: %(steps)s. Fill in the columns of the steps up to it, none of a "
                   "later step.", steps=STEP_NAMES)),
    Column("since", ("Ngày đến bước hiện tại", "Ngày đến bước"), LABELS["since"],
           hint=_l("For “Completing the dossier” and “Cell review”: the day the case "
                   "reached its step (the day the dossier was sent to the cell)")),
    Column("nominated_on", ("Ngày công đoàn giới thiệu", "Ngày giới thiệu"),
           LABELS["nominated_on"], hint=_l("dd/mm/yyyy")),
    *_vote_columns("union", ("BCH CĐCS", "BCH công đoàn", "NQ 4A-KNĐ")),
    Column("accepted_on", ("Ngày tiếp nhận",), LABELS["accepted_on"],
           hint=_l("dd/mm/yyyy")),
    Column("host_cell", ("Mã chi bộ", "Mã chi bộ phụ trách", "Mã chi bộ giúp đỡ"),
           _l("Host cell code"), hint=_l("From the step “Accepted”: the code of the cell")),
    Column("helpers", ("Đảng viên giúp đỡ", "Người giúp đỡ"), LABELS["helpers"],
           hint=_l("Full names, separated by ; (official members of the host cell)")),
    Column("certificate_no", ("Số giấy chứng nhận", "Số GCN"), LABELS["certificate_no"]),
    Column("certificate_issuer", ("Nơi cấp giấy chứng nhận", "Nơi cấp GCN"),
           LABELS["certificate_issuer"]),
    Column("certified_on", ("Ngày cấp giấy chứng nhận", "Ngày cấp GCN"),
           LABELS["certified_on"], hint=_l("dd/mm/yyyy")),
    *[column for code in RECORDABLE_FORMS if code in DOSSIER_FORMS
      for column in _document_columns(code)],
    *_vote_columns("cell", ("Chi bộ", "NQ 6-KNĐ")),
    Column("over_age_approval", ("Phê duyệt trên 60 tuổi", "Văn bản đồng ý trên 60 tuổi"),
           _l("Approval for a candidate over 60")),
    *_vote_columns("committee", ("Đảng ủy cơ sở", "NQ 8-KNĐ")),
    Column("decision_extended", ("Đã gia hạn quyết định", "Gia hạn quyết định"),
           _l("The decision deadline was extended"), hint=_l("x, Có or 1 for yes")),
    Column("decision_no", ("Số quyết định kết nạp", "Số quyết định", "Số QĐ"),
           _l("Decision number")),
    Column("decision_on", ("Ngày quyết định kết nạp", "Ngày quyết định", "Ngày QĐ"),
           LABELS["decision_on"], hint=_l("dd/mm/yyyy")),
    Column("decision_received_on", ("Ngày chi bộ nhận quyết định", "Ngày nhận quyết định"),
           LABELS["decision_received_on"], hint=_l("dd/mm/yyyy")),
    Column("ceremony_on", ("Ngày lễ kết nạp", "Ngày kết nạp"), LABELS["ceremony_on"],
           hint=_l("dd/mm/yyyy")),
    Column("late_approval", ("Cấp trên đồng ý kết nạp muộn",),
           _l("Superior committee's approval (if late)")),
    Column("probation_ends_on", ("Ngày hết dự bị", "Ngày hết thời gian dự bị"),
           LABELS["probation_ends_on"],
           hint=_l("May be left empty: it follows from the ceremony date")),
    *_vote_columns("recognition", ("Chi bộ xét chính thức", "NQ 13-KNĐ")),
    *[column for code in RECOGNITION_FORMS for column in _document_columns(code)],
    *_vote_columns("recognition_committee", ("Đảng ủy cơ sở xét chính thức", "NQ 15-KNĐ")),
    Column("recognition_decision_extended", ("Đã gia hạn quyết định công nhận",
                                             "Gia hạn quyết định công nhận"),
           _l("The recognition decision deadline was extended"),
           hint=_l("x, Có or 1 for yes")),
])

DATE_COLUMNS = ("date_of_birth", "since", "nominated_on", "accepted_on", "certified_on",
                "decision_on", "decision_received_on", "ceremony_on", "probation_ends_on",
                *(date_key for _prefix, date_key in VOTES.values()),
                *(_doc(code) + "_on" for code in RECORDABLE_FORMS))
COUNT_COLUMNS = (*(prefix + name for prefix, _key in VOTES.values()
                   for name in ("eligible", "present", "votes_for", "votes_against")),
                 "doc_3_months")
FLAG_COLUMNS = ("direct_production", "decision_extended", "doc_2_verified", "doc_3_official",
                "recognition_decision_extended")
# Read as they are (the intake service checks them).
TEXT_COLUMNS = ("citizen_id", "full_name", "job", "certificate_no", "certificate_issuer",
                "over_age_approval", "decision_no", "late_approval",
                *(prefix + "resolution_no" for prefix, _key in VOTES.values()),
                *(_doc(code) + "_issuer" for code in RECORDABLE_FORMS),
                *(_doc(code) + "_number" for code in NUMBERED_FORMS))
PREVIEW = ("citizen_id", "full_name", "union_unit", "state")
# The intake's fields that a column of another name holds.
FIELD_COLUMN = {"member": "citizen_id", "host_cell_id": "host_cell"}


# --- the organisations named by code ---------------------------------------------------------

NOT_A_UNIT = _l("None of the grassroots unions (CĐCS) whose cases you may enter has this "
                "code.")
NOT_A_PARTY_ORG = _l("None of the Party organisations you may enter cases for has this code.")
NOT_A_CELL = _l("None of the Party cells you may enter cases for has this code.")


class Places:
    """The organisations the file names, each looked up once, within what ``user`` may
    enter cases for on ``today`` (the intake screen's scope)."""

    def __init__(self, user: User, today: date):
        self.today = today
        self.nodes = intake_nodes(user, today)
        self._found: dict[str, Organisation | None] = {}

    def _node(self, code: str, tree: Tree) -> Organisation | None:
        if code not in self._found:
            self._found[code] = db.session.scalar(
                select(Organisation).where(Organisation.code == code))
        node = self._found[code]
        return node if node is not None and node.tree == tree else None

    def _mine(self, party_node: Organisation | None) -> bool:
        """Within the user's scope (an administrator's is everything, even a union unit
        without a receiving Party organisation yet: the intake says what it lacks)."""
        return self.nodes is None or any(n.contains(party_node) for n in self.nodes)

    def _open(self, node: Organisation | None, found: bool, unknown):
        """(the node, None) when it may be named today, else (None, why not)."""
        if node is None or not found:
            return None, unknown
        if node.is_open_on(self.today):
            return node, None
        if node.closed_on is not None and node.closed_on <= self.today:
            return None, _l("This organisation was closed on %(d)s: use the code of its "
                            "successor.", d=node.closed_on.strftime("%d/%m/%Y"))
        return None, _l("This organisation opens on %(d)s.",
                        d=node.opened_on.strftime("%d/%m/%Y"))

    def unit(self, code: str):
        node = self._node(code, Tree.union)
        return self._open(node, node is not None and node.kind == UnionKind.grassroots.value
                          and self._mine(node.receiving_party), NOT_A_UNIT)

    def party(self, code: str):
        node = self._node(code, Tree.party)
        return self._open(node, self._mine(node), NOT_A_PARTY_ORG)

    def cell(self, code: str):
        node = self._node(code, Tree.party)
        return self._open(node, node is not None and node.kind in CELL_KINDS
                          and self._mine(node), NOT_A_CELL)


# --- the import ------------------------------------------------------------------------------

@dataclass
class CaseReport(Report):
    """A case import's report, with the first cases entered (links to them: id, the
    person's name, the step)."""
    cases: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return super().summary() | {"cases": self.cases}


def check_cases(file_name: str, data: bytes, user: User, today: date,
                progress: Progress = no_progress) -> CaseReport:
    """What importing the file would do (nothing is written)."""
    return _run(file_name, data, user, today, progress, write=False)


def commit_cases(file_name: str, data: bytes, user: User, today: date,
                 progress: Progress = no_progress) -> CaseReport:
    """Enter every case of the file in the caller's transaction (it commits): one audit
    event per case and one for the file; raises ImportRefused, having written nothing,
    when a row is wrong."""
    savepoint = db.session.begin_nested()
    try:
        report = _run(file_name, data, user, today, progress, write=True)
    except BaseException:
        savepoint.rollback()
        raise
    if not report.ok:
        savepoint.rollback()
        raise ImportRefused(report)
    savepoint.commit()
    audit.append(trigger="import", subject="case", actor_id=user.id,
                 data={"file": file_name, "sha256": report.sha256, "rows": report.rows}
                 | report.counts)
    return report


def _run(file_name: str, data: bytes, user: User, today: date, progress: Progress,
         write: bool) -> CaseReport:
    report = CaseReport(file_name, hashlib.sha256(data).hexdigest(), counts={"cases": 0})
    rows = read_rows(data)
    stream = iter(rows)
    header = COLUMNS.header(stream)
    report.headers = [header.shown[key] for key in PREVIEW if key in header.places]
    report.ignored_columns = header.ignored
    places, steps, seen = Places(user, today), _step_words(), {}
    for number, record in COLUMNS.records(header, stream):
        report.rows += 1
        action = _l("error")
        row = _parse(number, record, header, places, steps, report)
        if row is not None and not _seen_before(number, row, header, seen, report):
            case = _enter(number, row, header, user, today, report, write)
            if case is not None:
                report.count("cases")
                action = _l("enter at: %(step)s", step=label(row["state"]))
                if write and len(report.cases) < PREVIEW_ROWS:
                    report.cases.append({"id": case.id, "name": case.member.full_name,
                                         "step": label(case.state)})
        report.show(number, [record[key] for key in PREVIEW if key in header.places], action)
        progress(min(number, rows.total), rows.total)
    if report.rows == 0:
        raise ImportFileError(_l("The file has a header row but no cases under it."))
    return report


def _enter(number: int, row: dict, header: Header, user: User, today: date, report: Report,
           write: bool) -> Case | bool | None:
    """The case entered (write), True when the row would enter one (check), else None
    after reporting each of the intake's errors under its column."""
    if write:
        try:
            return enter_case(row, user, today=today, source={
                "file": report.file_name, "sha256": report.sha256, "row": number})
        except IntakeRefused as refused:
            errors = refused.errors
    else:
        errors = check_case(row, user, today=today)
        if not errors:
            return True
    for key, message in errors:
        report.error(number, _column(header, key, message), message)
    return None


def _column(header: Header, key: str, message: str = "") -> str:
    """The file's header of the column that holds the intake's field ``key`` ("" for the
    row as a whole); a document's error goes to the date of the form it names."""
    if key == "documents":
        key = next((_doc(code) + "_on" for code in RECORDABLE_FORMS
                    if re.search(rf"(?<!\d){re.escape(code)}", message)), "")
    key = FIELD_COLUMN.get(key, key)
    if key not in COLUMNS.by_key:
        return ""
    return header.shown.get(key, COLUMNS.by_key[key].header)


def _seen_before(number: int, row: dict, header: Header, seen: dict[str, int],
                 report: Report) -> bool:
    """The same person (citizen ID) as an earlier row: one case per person."""
    cid = row.get("citizen_id")
    earlier = seen.setdefault(cid, number) if cid else number
    if earlier == number:
        return False
    report.error(number, _column(header, "citizen_id"),
                 _l("The same person as row %(row)d.", row=earlier))
    return True


# --- one row ---------------------------------------------------------------------------------

def _step_words() -> dict[str, str]:
    """The step as a file may write it: its state code, or its Vietnamese or English label,
    folded (without diacritics, case or punctuation)."""
    words = {}
    for state in INTAKE_STATES:
        words[header_key(state)] = state
        for locale in ("vi", "en"):
            with force_locale(locale):
                words[header_key(label(state))] = state
    return words


def _flag(text: str) -> bool | None:
    word = fold(text).strip()
    return True if word in YES_WORDS else False if word in NO_WORDS else None


def _parse(number: int, record: dict[str, str], header: Header, places: Places,
           steps: dict[str, str], report: Report) -> dict | None:
    """The intake's row dict, or None after reporting each unreadable cell."""
    before = report.error_count

    def wrong(key, message):
        report.error(number, _column(header, key), message)

    row: dict = {key: record[key] for key in TEXT_COLUMNS if record.get(key)}
    state = record.get("state", "")
    row["state"] = steps.get(header_key(state), "")
    if not row["state"]:
        wrong("state", _l("Write one of the steps listed in the template's instructions.")
              if state else _l("%(field)s is required.", field=COLUMNS.by_key["state"].label))
    _organisations(record, row, places, wrong)
    for key in DATE_COLUMNS:
        if record.get(key):
            row[key] = parse_day(record[key])
            if row[key] is None:
                wrong(key, _l("Enter a valid date (dd/mm/yyyy)."))
    for key in COUNT_COLUMNS:
        text = record.get(key, "")
        if text:
            row[key] = int(text) if text.isascii() and text.isdigit() else None
            if row[key] is None:
                wrong(key, _l("A whole number of 0 or more."))
    for key in FLAG_COLUMNS:
        row[key] = _flag(record.get(key, ""))
        if row[key] is None:
            wrong(key, _l("Write x (or Có) for yes, else leave it empty."))
    if record.get("gender"):
        row["gender"] = GENDER_WORDS.get(fold(record["gender"]).strip(), record["gender"])
    row["helpers"] = [name.strip() for name in re.split(r"[;\n]", record.get("helpers", ""))
                      if name.strip()]
    row["documents"] = _documents(row, wrong)
    return row if report.error_count == before else None


def _organisations(record: dict[str, str], row: dict, places: Places, wrong) -> None:
    for key, find, into in (("union_unit", places.unit, "union_unit_id"),
                            ("party_org", places.party, "party_org_id"),
                            ("host_cell", places.cell, "host_cell_id")):
        code = record.get(key, "").strip()
        if not code:
            continue
        node, why = find(code)
        if node is None:
            wrong(key, why)
        else:
            row[into] = node.id


def _documents(row: dict, wrong) -> list[dict]:
    """The forms the row gives (a date, or another of the form's cells filled)."""
    documents = []
    for code in RECORDABLE_FORMS:
        key = _doc(code)
        given = {k: row.pop(key + k) for k in ("_on", "_verified", "_official", "_months")
                 if key + k in row}
        issuer = row.pop(key + "_issuer", "")
        number = row.pop(key + "_number", "")
        if not (given.get("_on") or issuer or number or any(given.values())):
            continue
        if "_on" not in given:          # (an unreadable date is already reported)
            wrong(key + "_on", _l("%(field)s is required.", field=COLUMNS.by_key[key + "_on"]
                                  .label))
        if not given.get("_on"):
            continue
        documents.append({"form_code": code, "issued_on": given["_on"], "issuer": issuer,
                          "number": number,
                          "verified": bool(given.get("_verified")),
                          "official": bool(given.get("_official")),
                          "months_together": given.get("_months", 0)})
    return documents
