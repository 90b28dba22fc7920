"""Importing cases already under way from a file (issue 10 item 5): each row through the
intake service, all or nothing, every error by row and column, one audit event per case
and one for the file; the pages for those who may use the intake screen."""
from __future__ import annotations

import io
from datetime import date as D

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from referral_flow.imports.cases import COLUMNS, _doc, check_cases, commit_cases
from referral_flow.imports.report import ImportRefused
from referral_flow.models import AuditEvent, Case, Organisation
from referral_flow.services.deadlines import deadlines
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.states import label

from ..conftest import csrf_token
from ..factories import TODAY, member, new_case
from ..sheets import csv_bytes, xlsx
from .test_case_intake import row as intake_row


@pytest.fixture(autouse=True)
def in_request(app):
    """Messages in the user's language (Vietnamese by default)."""
    with app.test_request_context():
        yield


@pytest.fixture
def officer(world):
    return world.users["party_officer_a"]


def header(key: str) -> str:
    return COLUMNS.by_key[key].header


def person(i: int) -> dict:
    return {"full_name": f"Nguyễn Thị Nhập {i}", "citizen_id": f"0271990{i:05d}"}


def cells(world, values: dict) -> dict:
    """An intake row (``test_case_intake.row``) as the template's columns hold it."""
    out = {}
    for key, value in values.items():
        if key == "documents":
            for doc in value:
                key = _doc(doc["form_code"])
                out[header(f"{key}_on")] = doc["issued_on"]
                if doc.get("issuer"):
                    out[header(f"{key}_issuer")] = doc["issuer"]
                if doc.get("number"):
                    out[header(f"{key}_number")] = doc["number"]
                if doc.get("verified"):
                    out[header("doc_2_verified")] = "x"
                if doc.get("official"):
                    out[header("doc_3_official")] = "Có"
                if "months_together" in doc:
                    out[header("doc_3_months")] = doc["months_together"]
        elif key in ("union_unit_id", "host_cell_id"):
            out[header(key.removesuffix("_id"))] = db_code(value)
        elif key == "helpers":
            out[header(key)] = "; ".join(value)
        elif key == "gender":
            out[header(key)] = "Nữ" if value == "female" else "Nam"
        elif key == "state":
            out[header(key)] = label(value)         # the Vietnamese label
        else:
            out[header(key)] = value
    return out


def db_code(node_id: int) -> str:
    from referral_flow.extensions import db
    return db.session.get(Organisation, node_id).code


def case_row(world, state: str, i: int = 0, **over) -> dict:
    return cells(world, intake_row(world, state, **person(i)) | over)


def book(rows: list[dict]) -> bytes:
    """An XLSX of the rows, with the template's columns that any row fills, in its order."""
    used = [c.header for c in COLUMNS.columns if any(c.header in r for r in rows)]
    return xlsx([used] + [[r.get(h) for h in used] for r in rows])


def count_cases(db) -> int:
    return db.session.scalar(select(func.count(Case.id)))


def imports_logged(db) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "import")
                                   .order_by(AuditEvent.id)))


# --- a good file ---------------------------------------------------------------------------

def test_a_good_file_enters_its_cases_at_their_steps_with_their_deadlines(world, db, officer):
    steps = ["nominated", "accepted", "decision_pending", "admitted", "probation"]
    data = book([case_row(world, state, i) for i, state in enumerate(steps)])
    report = check_cases("dang-do.xlsx", data, officer, TODAY)
    assert report.ok, report.errors
    assert report.counts == {"cases": 5} and count_cases(db) == 0      # a check writes nothing
    assert [p["row"] for p in report.preview] == [2, 3, 4, 5, 6]
    assert report.preview[4]["action"] == "nhập ở bước: Đảng viên dự bị"
    report = commit_cases("dang-do.xlsx", data, officer, TODAY)
    db.session.commit()
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert [c.state for c in cases] == steps
    assert [c["id"] for c in report.summary()["cases"]] == [c.id for c in cases]
    calendar = load_calendar()
    admitted, probation = cases[3], cases[4]
    due = {d.key: d for d in deadlines(admitted, calendar, TODAY)}
    assert due["ceremony"].active and due["ceremony"].due == D(2025, 7, 31)
    assert probation.probation_ends_on == D(2026, 7, 3)
    due = {d.key: d for d in deadlines(probation, calendar, TODAY)}
    assert due["recognition"].active and due["recognition"].due == calendar.add(D(2026, 7, 3), 30)
    assert cases[2].committee_resolution_on == D(2025, 5, 20)
    assert cases[0].member.full_name == "Nguyễn Thị Nhập 0"
    # One event per case naming the file, its SHA-256 and the row; one for the file.
    *per_case, whole = imports_logged(db)
    assert [(e.case_id, e.to_state) for e in per_case] == [(c.id, c.state) for c in cases]
    assert [e.data["source"] for e in per_case] == [
        {"file": "dang-do.xlsx", "sha256": report.sha256, "row": n} for n in range(2, 7)]
    assert whole.case_id is None and whole.subject == "case"
    assert whole.data == {"file": "dang-do.xlsx", "sha256": report.sha256, "rows": 5,
                          "cases": 5}


def test_cases_at_the_cell_and_the_recognition_review_bring_their_documents(world, db,
                                                                            officer):
    rows = [case_row(world, "cell_review", 1, since=D(2025, 4, 20)),
            case_row(world, "recognition_review", 2)]
    commit_cases("x.xlsx", book(rows), officer, TODAY)
    db.session.commit()
    cell, recognition = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert {d.form_code for d in cell.documents} >= {"1-KNĐ", "2-KNĐ", "3-KNĐ", "5-KNĐ"}
    assert {d.form_code for d in recognition.documents} >= {"10-KNĐ", "11-KNĐ", "12-KNĐ",
                                                            "new_member_certificate"}
    # Without them the step cannot be entered: the error names the form's column.
    missing = case_row(world, "cell_review", 3, since=D(2025, 4, 20))
    del missing[header("doc_5_on")], missing[header("doc_5_issuer")]
    report = check_cases("x.xlsx", book([missing]), officer, TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(2, "5-KNĐ: ngày")]


# --- all or nothing ------------------------------------------------------------------------

def test_two_bad_rows_among_50_change_nothing_and_are_listed(world, db, officer):
    rows = [case_row(world, "nominated", i) for i in range(50)]
    rows[10][header("nominated_on")] = "31/02/2025"
    rows[37][header("union_votes_for")] = 2
    rows[37][header("union_votes_against")] = 5
    data = book(rows)
    report = check_cases("50.xlsx", data, officer, TODAY)
    assert report.rows == 50 and report.error_count == 2
    assert [(e.row, e.column) for e in report.errors] == [
        (12, "Ngày công đoàn giới thiệu"), (39, "BCH CĐCS: ngày họp")]
    assert "2" in report.errors[1].message
    with pytest.raises(ImportRefused) as refused:
        commit_cases("50.xlsx", data, officer, TODAY)
    assert refused.value.report.error_count == 2
    db.session.commit()
    assert count_cases(db) == 0 and imports_logged(db) == []


def test_headers_without_diacritics_in_another_order(world, db, officer):
    row = case_row(world, "accepted", 4)
    plain = {"Số CCCD": "so cccd", "Họ và tên": "HO VA TEN", "Ngày sinh": "ngay sinh",
             "Giới tính": "gioi tinh", "Nghề nghiệp": "nghe nghiep", "Mã CĐCS": "ma cdcs",
             "Bước hiện tại": "buoc", "Ngày công đoàn giới thiệu": "ngay gioi thieu",
             "Ngày tiếp nhận": "ngay tiep nhan", "Mã chi bộ": "ma chi bo",
             "Đảng viên giúp đỡ": "nguoi giup do"}
    renamed = {plain.get(h, h.replace("BCH CĐCS", "bch cong doan")): v for h, v in row.items()}
    renamed["buoc"] = "da tiep nhan, phan cong giup do"       # the label without diacritics
    names = sorted(renamed, reverse=True)
    data = csv_bytes([names, [renamed[n].strftime("%d/%m/%Y") if isinstance(renamed[n], D)
                              else renamed[n] for n in names]])
    report = check_cases("x.csv", data, officer, TODAY)
    assert report.ok and report.ignored_columns == [], report.errors
    commit_cases("x.csv", data, officer, TODAY)
    case = db.session.scalars(select(Case)).one()
    assert (case.state, case.host_cell_id) == ("accepted", world["cell_a"].id)


# --- refused rows ----------------------------------------------------------------------------

def test_unknown_closed_and_out_of_scope_codes(world, db, officer):
    world["cell_a"].closed_on = D(2026, 1, 1)
    rows = [case_row(world, "nominated", 0) | {header("union_unit"): "KHONG-CO"},
            case_row(world, "nominated", 1) | {header("party_org"): "DU-b"},
            case_row(world, "nominated", 2) | {header("union_unit"): "CDCS-b"},
            case_row(world, "accepted", 3)]
    report = check_cases("x.xlsx", book(rows), officer, TODAY)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "Mã CĐCS"), (3, "Mã tổ chức đảng"), (4, "Mã CĐCS"), (5, "Mã chi bộ")]
    assert "01/01/2026" in report.errors[3].message
    assert "DU-b" not in report.errors[1].message
    # An administrator may name any organisation.
    assert check_cases("x.xlsx", book(rows[1:3]), world.users["administrator"], TODAY).ok


def test_the_same_person_twice_and_a_member_with_an_open_case(world, db, officer):
    kept = member(world["unit_a"])
    busy = new_case(world).member
    db.session.commit()
    rows = [case_row(world, "nominated", 1), case_row(world, "nominated", 2),
            case_row(world, "nominated", 1),
            case_row(world, "nominated", 3) | {header("citizen_id"): kept.citizen_id},
            case_row(world, "nominated", 4) | {header("citizen_id"): busy.citizen_id}]
    report = check_cases("x.xlsx", book(rows), officer, TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(4, "Số CCCD"), (6, "Số CCCD")]
    assert report.errors[0].message == "Trùng người ở dòng 2."
    assert "chưa kết thúc" in report.errors[1].message
    assert report.counts == {"cases": 3}


def test_a_step_the_file_cannot_name(world, officer):
    report = check_cases("x.xlsx", book([case_row(world, "nominated") | {
        header("state"): "Đang học lớp"}]), officer, TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Bước hiện tại")]


# --- the pages -----------------------------------------------------------------------------

def upload(client, data: bytes, name: str = "dang-do.xlsx"):
    page = client.get("/cases/import")
    assert page.status_code == 200
    return client.post("/cases/import", data={"csrf_token": csrf_token(page.text),
                                              "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_the_pages_check_then_import_a_file(world, db, client, auth, officer):
    auth.login(officer.username)
    intake = client.get("/cases/intake")
    assert "Nhập nhiều hồ sơ từ Excel" in intake.text and "/cases/import" in intake.text
    assert "/cases/import" in client.get("/cases/").text
    bad = [case_row(world, "nominated", 0) | {header("union_unit"): "KHONG-CO"}]
    page = client.get(upload(client, book(bad)).location)
    assert "Mã CĐCS" in page.text and "/commit" not in page.text
    response = upload(client, book([case_row(world, "nominated", i) for i in range(3)]))
    assert response.status_code == 302 and response.location.startswith("/jobs/")
    page = client.get(response.location)
    assert "3 hồ sơ sẽ được nhập" in page.text and "/commit" in page.text
    job_id = response.location.rsplit("/", 1)[1]
    done = client.post(f"/cases/import/{job_id}/commit",
                       data={"csrf_token": csrf_token(page.text)})
    result = client.get(done.location)
    db.session.expire_all()
    assert count_cases(db) == 3
    case = db.session.scalars(select(Case).order_by(Case.id)).first()
    assert f"/cases/{case.id}" in result.text and "Nguyễn Thị Nhập 0" in result.text


def test_the_template_explains_its_columns(world, client, auth, officer):
    auth.login(officer.username)
    response = client.get("/cases/import/template")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    cases, notes = wb.worksheets
    headers = [c.value for c in next(cases.iter_rows(max_row=1))]
    assert headers[:3] == ["Số CCCD", "Họ và tên", "Ngày sinh"] and len(headers) == 76
    text = " ".join(str(c.value) for r in notes.iter_rows() for c in r if c.value)
    assert "Chi bộ xét đề nghị kết nạp" in text and "để trống" in text


@pytest.mark.parametrize("user", ["cell_secretary_a", "union_chair_a", "class_organiser_a"])
def test_those_who_may_not_enter_cases_get_403(world, client, auth, user):
    auth.login(world.users[user].username)
    assert client.get("/cases/import").status_code == 403
    assert client.get("/cases/import/template").status_code == 403
    assert "/cases/import" not in client.get("/cases/").text


def test_english_labels_are_recognised(world, db, officer):
    with force_locale("en"):
        row = case_row(world, "nominated", 5)
    report = check_cases("x.xlsx", book([row]), officer, TODAY)
    assert report.ok, report.errors
