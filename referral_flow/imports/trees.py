"""The two organisation trees out (one XLSX, parents before children) and back in with the
roster's rules: a check that writes nothing and lists every error, then all or nothing.

A row whose code is new creates a node under its parent (by code: a node kept already or
another row of the file, in any order), placed by the administrator's rules
(``services.organisations.placement_problem``). A row whose code is kept updates the
node's name and fields; its tree, kind, parent and dates are the reorganisation's business
(``services/reorganisation.py``): a change of them is an error. Parents that form a cycle,
or are nowhere, are errors. One audit event names the file, its SHA-256 and the counts.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..forms.fields import parse_day
from ..models import EnterpriseKind, Organisation, Tree, UnionKind, User
from ..services import audit
from ..services.organisations import RANKS, placement_problem
from ..text import InvalidValue, fold, normalise_name
from .columns import Column, Columns, Header
from .files import ImportFileError, read_rows
from .report import ImportRefused, Progress, Report, no_progress

TREE_WORDS = {"union": Tree.union, "cong doan": Tree.union, "party": Tree.party,
              "dang": Tree.party}
YES, NO = {"1", "x", "co", "yes", "true"}, {"", "0", "khong", "no", "false"}
FLAGS = ("has_party_org", "has_youth_union", "runs_classes", "competent_body",
         "grassroots_committee", "authorised_to_admit")
COUNTS = ("official_members", "committee_members")
# What an import may change on a kept node (its place and dates belong to reorganisation).
UPDATABLE = ("name", "enterprise_kind", "receiving_party_id", *FLAGS, *COUNTS)
FIXED = ("tree", "kind", "parent_id", "opened_on", "closed_on")

COLUMNS = Columns([
    Column("code", ("Mã", "Mã tổ chức"), _l("Code"), required=True),
    Column("parent", ("Mã cấp trên", "Mã tổ chức cấp trên"), _l("Parent code"), required=True),
    Column("tree", ("Cây",), _l("Tree"), required=True, hint=_l("union or party")),
    Column("kind", ("Loại",), _l("Kind"), required=True,
           hint=_l("national, federation, upper, grassroots; provincial, bloc, commune, "
                   "grassroots_committee, grassroots_cell, cell")),
    Column("name", ("Tên", "Tên tổ chức"), _l("Name"), required=True),
    Column("opened_on", ("Ngày thành lập",), _l("Opened on"), required=True),
    Column("closed_on", ("Ngày kết thúc",), _l("Closed on")),
    Column("enterprise_kind", ("Loại hình doanh nghiệp",), _l("Enterprise kind"),
           hint=_l("public, state, non_state, fdi (a CĐCS)")),
    Column("has_party_org", ("Có tổ chức đảng",), _l("Has a Party organisation")),
    Column("has_youth_union", ("Có Đoàn Thanh niên",), _l("Has a Youth Union")),
    Column("receiving", ("Mã tổ chức đảng tiếp nhận",), _l("Receiving Party organisation")),
    Column("runs_classes", ("Mở lớp bồi dưỡng",), _l("Runs awareness classes")),
    Column("competent_body", ("Cấp có thẩm quyền kết nạp",), _l("Competent body")),
    Column("grassroots_committee", ("Đảng ủy cơ sở",), _l("Grassroots committee")),
    Column("authorised_to_admit", ("Được ủy quyền kết nạp",), _l("Authorised to admit")),
    Column("official_members", ("Số đảng viên chính thức",), _l("Official members")),
    Column("committee_members", ("Số ủy viên",), _l("Committee members")),
])


# --- out ----------------------------------------------------------------------------------

def export_rows() -> Iterator[list]:
    """Both trees, union first, each parent before its children (the path's byte order)."""
    path = Organisation.path
    if db.session.get_bind().dialect.name == "postgresql":
        path = path.collate("C")
    nodes = db.session.scalars(select(Organisation).order_by(Organisation.tree, path))
    codes = dict(db.session.execute(select(Organisation.id, Organisation.code)).all())
    for n in nodes:
        yield [n.code, codes.get(n.parent_id), n.tree.value, n.kind, n.name, n.opened_on,
               n.closed_on, n.enterprise_kind.value if n.enterprise_kind else None,
               n.has_party_org, n.has_youth_union, codes.get(n.receiving_party_id),
               n.runs_classes, n.competent_body, n.grassroots_committee, n.authorised_to_admit,
               n.official_members,
               n.committee_members]


def export_headers() -> list[str]:
    return [c.header for c in COLUMNS.columns]


# --- in -----------------------------------------------------------------------------------

@dataclass
class Row:
    number: int
    record: dict[str, str]
    values: dict
    parent_code: str
    receiving_code: str
    node: Organisation | None = None        # the kept node of this code


def check_trees(file_name: str, data: bytes, progress: Progress = no_progress) -> Report:
    return _run(file_name, data, progress, None)


def commit_trees(file_name: str, data: bytes, user: User,
                 progress: Progress = no_progress) -> Report:
    """Write in the caller's transaction, one audit event; ImportRefused (nothing written)
    when a row is wrong."""
    savepoint = db.session.begin_nested()
    try:
        report = _run(file_name, data, progress, user)
    except BaseException:
        savepoint.rollback()
        raise
    if not report.ok:
        savepoint.rollback()
        raise ImportRefused(report)
    savepoint.commit()
    audit.append(trigger="import", subject="organisation", actor_id=user.id,
                 data={"file": file_name, "sha256": report.sha256, "rows": report.rows}
                 | report.counts)
    return report


def _run(file_name: str, data: bytes, progress: Progress, writer: User | None) -> Report:
    report = Report(file_name, hashlib.sha256(data).hexdigest(),
                    counts={"added": 0, "updated": 0, "unchanged": 0})
    rows_in = read_rows(data)
    stream = iter(rows_in)
    header = COLUMNS.header(stream)
    report.headers = [header.shown[c.key] for c in COLUMNS.columns if c.key in header.places]
    report.ignored_columns = header.ignored
    # A tree is hundreds or a few thousand rows: held whole, for parents and cycles.
    rows: dict[str, Row] = {}
    for number, record in COLUMNS.records(header, stream):
        row = _parse(number, record, header, report)
        if row is None:
            continue
        if row.values["code"] in rows:
            report.error(number, header.shown["code"], _l(
                "The same code as row %(row)d.", row=rows[row.values["code"]].number))
            continue
        rows[row.values["code"]] = row
    report.rows = len(rows)
    if not rows and report.ok:
        raise ImportFileError(_l("The file has a header row but no organisations under it."))
    kept = {n.code: n for n in db.session.scalars(
        select(Organisation).where(Organisation.code.in_(list(rows))))} if rows else {}
    for row in rows.values():
        row.node = kept.get(row.values["code"])
    order = _parents_first(rows, header, report)
    created: dict[str, Organisation] = {}
    for done, row in enumerate(order, 1):
        action = _apply(row, rows, created, header, report, writer)
        report.show(row.number, [row.record[c.key] for c in COLUMNS.columns
                                 if c.key in header.places], action)
        progress(done, len(order))
    if writer is not None:
        db.session.flush()
    return report


def _flag(text: str) -> bool | None:
    word = fold(" ".join(text.split()))
    return True if word in YES else False if word in NO else None


def _parse(number: int, record: dict[str, str], header: Header, report: Report) -> Row | None:
    """The row's values, or None after reporting each bad cell."""
    before = report.error_count

    def wrong(key, message):
        report.error(number, header.shown.get(key, COLUMNS.by_key[key].header), message)

    values = _identity(record, wrong) | _dates(record, wrong) | _fields(record, wrong)
    if report.error_count != before:
        return None
    if not (values["tree"] == Tree.union and values["kind"] == UnionKind.grassroots.value):
        values["has_party_org"] = None          # a CĐCS's fact only, as the screens keep it
    return Row(number, record, values, record["parent"].strip(),
               record.get("receiving", "").strip())


def _identity(record: dict[str, str], wrong) -> dict:
    values: dict = {"code": record["code"], "kind": record["kind"].strip(), "name": ""}
    if not values["code"] or len(values["code"]) > 40:
        wrong("code", _l("A code of 1 to 40 characters is required."))
    values["tree"] = TREE_WORDS.get(fold(record["tree"]).strip())
    if values["tree"] is None:
        wrong("tree", _l("Write union or party."))
    elif values["kind"] not in RANKS[values["tree"]]:
        wrong("kind", _l("Not a kind of organisation of this tree."))
    try:
        values["name"] = normalise_name(record["name"])
    except InvalidValue as exc:
        wrong("name", str(exc))
    if len(values["name"]) > 200:
        wrong("name", _l("At most %(max)d characters.", max=200))
    return values


def _dates(record: dict[str, str], wrong) -> dict:
    values = {}
    for key in ("opened_on", "closed_on"):
        text = record.get(key, "")
        values[key] = parse_day(text) if text else None
        if values[key] is None and (text or key == "opened_on"):
            wrong(key, _l("Enter a valid date (dd/mm/yyyy)."))
    if values["opened_on"] and values["closed_on"] and values["closed_on"] <= values["opened_on"]:
        wrong("closed_on", _l("The closing date must be after the opening date."))
    return values


def _fields(record: dict[str, str], wrong) -> dict:
    values: dict = {}
    for key in FLAGS:
        flag = _flag(record.get(key, ""))
        if flag is None:
            wrong(key, _l("Write 1 (or x) for yes, 0 or nothing for no."))
        values[key] = bool(flag)
    for key in COUNTS:
        text = record.get(key, "")
        values[key] = int(text) if text.isascii() and text.isdigit() else None
        if text and values[key] is None:
            wrong(key, _l("A whole number of 0 or more."))
    kind = record.get("enterprise_kind", "").strip()
    values["enterprise_kind"] = None
    if kind:
        try:
            values["enterprise_kind"] = EnterpriseKind(kind)
        except ValueError:
            wrong("enterprise_kind", _l("Choose one of the listed values."))
    return values


def _parents_first(rows: dict[str, Row], header: Header, report: Report) -> list[Row]:
    """The rows in an order where each parent comes before its children; rows whose
    parent is nowhere, or that are their own ancestors, are errors."""
    order: list[Row] = []
    state: dict[str, str] = {}          # code -> "visiting" | "done" | "bad"

    def visit(row: Row) -> bool:
        code = row.values["code"]
        if state.get(code) == "done":
            return True
        if state.get(code) in ("visiting", "bad"):
            return False
        state[code] = "visiting"
        parent = row.parent_code
        ok = True
        if parent in rows:
            if not visit(rows[parent]):
                ok = False
                if state.get(code) == "visiting":
                    report.error(row.number, header.shown["parent"],
                                 _l("The parents form a cycle, or the parent's row is wrong."))
        elif parent and _kept_node(parent) is None:
            report.error(row.number, header.shown["parent"],
                         _l("No organisation has this code."))
            ok = False
        state[code] = "done" if ok else "bad"
        if ok:
            order.append(row)
        return ok

    for row in sorted(rows.values(), key=lambda r: r.number):
        visit(row)
    return order


def _kept_node(code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def _apply(row: Row, rows: dict[str, Row], created: dict[str, Organisation], header: Header,
           report: Report, writer: User | None) -> str:
    values = row.values
    parent = _node_of(row.parent_code, rows, created) if row.parent_code else None
    receiving = _node_of(row.receiving_code, rows, created) if row.receiving_code else None
    if row.receiving_code and (receiving is None or receiving.tree != Tree.party):
        report.error(row.number, header.shown["receiving"],
                     _l("This is not a Party organisation."))
        return str(_l("error"))
    if row.node is not None:
        return _update(row, parent, receiving, header, report, writer)
    problem = placement_problem(values["tree"], values["kind"], parent, values["opened_on"])
    if problem is not None:
        report.error(row.number, header.shown["parent"], problem)
        return str(_l("error"))
    if values["tree"] == Tree.union and values["kind"] == UnionKind.grassroots.value \
            and values["enterprise_kind"] is None:
        report.error(row.number, header.shown.get("enterprise_kind", ""),
                     _l("A CĐCS needs its enterprise kind."))
        return str(_l("error"))
    node = Organisation(**values, receiving_party=receiving)
    node.parent = parent          # for the checks of the rows below it (unsaved yet)
    if writer is not None:
        db.session.add(node)
        db.session.flush()
        node.place_under(parent)
    created[values["code"]] = node
    report.count("added")
    return str(_l("add"))


def _node_of(code: str, rows: dict[str, Row], created: dict[str, Organisation]):
    if code in created:
        return created[code]
    row = rows.get(code)
    if row is not None and row.node is not None:
        return row.node
    return _kept_node(code)


def _update(row: Row, parent, receiving, header: Header, report: Report,
            writer: User | None) -> str:
    node, values = row.node, row.values
    wanted = values | {"parent_id": parent.id if parent is not None else None,
                       "receiving_party_id": receiving.id if receiving is not None else None}
    for key in FIXED:
        if getattr(node, key) != wanted[key]:
            column = {"parent_id": "parent"}.get(key, key)
            report.error(row.number, header.shown.get(column, ""), _l(
                "An organisation's tree, kind, parent and dates change by a "
                "reorganisation, not by an import."))
            return str(_l("error"))
    changed = {k: wanted[k] for k in UPDATABLE if getattr(node, k) != wanted[k]}
    if node.roster_kept:
        changed.pop("official_members", None)     # follows the cell's roster
    if not changed:
        report.count("unchanged")
        return str(_l("unchanged"))
    if writer is not None:
        for key, value in changed.items():
            setattr(node, key, value)
    report.count("updated")
    return str(_l("update"))
