"""Organisation trees out and in: the export imports back as no change; new nodes by code
under kept or new parents in any order; unknown parents, cycles, misplaced kinds and moves
are errors and change nothing; one audit event."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from referral_flow.imports.report import ImportRefused
from referral_flow.imports.trees import (check_trees, commit_trees, export_headers,
                                         export_rows)
from referral_flow.models import AuditEvent, Organisation
from tests.conftest import csrf_token
from tests.sheets import xlsx


@pytest.fixture
def vi(app):
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        yield


@pytest.fixture
def admin(world):
    return world.users["administrator"]


def exported() -> list[list]:
    return [export_headers()] + [list(r) for r in export_rows()]


def nodes(db) -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


def row(code, parent, tree, kind, name, **more) -> list:
    values = dict.fromkeys(export_headers(), None) | {
        "Mã": code, "Mã cấp trên": parent, "Cây": tree, "Loại": kind, "Tên": name,
        "Ngày thành lập": "01/01/2020"} | more
    return list(values.values())


def test_the_export_imports_back_as_no_change(vi, db, world, admin):
    before = nodes(db)
    data = xlsx(exported())
    report = commit_trees("cay.xlsx", data, admin)
    assert report.ok, report.errors
    assert report.counts == {"added": 0, "updated": 0, "unchanged": before}
    db.session.commit()
    assert nodes(db) == before


def test_new_nodes_import_under_kept_and_new_parents_in_any_order(vi, db, world, admin):
    rows = exported() + [
        row("CB-NEW", "DU-NEW", "party", "cell", "Chi bộ Phân xưởng 3", **{
            "Số đảng viên chính thức": 5}),
        row("DU-NEW", "BLOC-a", "party", "grassroots_committee", "Đảng ủy Công ty Mới"),
        row("CDCS-NEW", "UP-a", "union", "grassroots", "CĐCS Công ty Mới", **{
            "Loại hình doanh nghiệp": "non_state", "Mã tổ chức đảng tiếp nhận": "DU-NEW",
            "Có tổ chức đảng": 1}),
    ]
    rows[1][4] = "Tên mới"                                  # a rename of a kept node
    report = check_trees("cay.xlsx", xlsx(rows))
    assert report.ok, report.errors
    assert report.counts == {"added": 3, "updated": 1, "unchanged": len(rows) - 5}
    commit_trees("cay.xlsx", xlsx(rows), admin)
    db.session.commit()
    cell = db.session.scalar(select(Organisation).where(Organisation.code == "CB-NEW"))
    committee = cell.parent
    assert committee.code == "DU-NEW" and committee.parent == world["bloc_a"]
    assert cell.path == f"{committee.path}{cell.id}/" and cell.official_members == 5
    unit = db.session.scalar(select(Organisation).where(Organisation.code == "CDCS-NEW"))
    assert unit.receiving_party == committee and unit.has_party_org is True
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "import"))
    assert event.subject == "organisation" and event.data["added"] == 3


def test_unknown_parents_cycles_and_misplaced_kinds_change_nothing(vi, db, world, admin):
    before = nodes(db)
    rows = exported() + [
        row("X1", "NOWHERE", "party", "cell", "Chi bộ lạc"),
        row("C1", "C2", "party", "grassroots_committee", "Vòng 1"),
        row("C2", "C1", "party", "grassroots_committee", "Vòng 2"),
        row("CB-UNDER-CELL", "CB-a", "party", "cell", "Chi bộ dưới chi bộ"),
    ]
    rows[2][1] = "UP-b"                                    # a move: not by import
    data = xlsx(rows)
    report = check_trees("cay.xlsx", data)
    n = len(rows)
    assert sorted(e.row for e in report.errors) == [3, n - 3, n - 2, n - 1, n]
    assert {e.column for e in report.errors} == {"Mã cấp trên"}
    with pytest.raises(ImportRefused):
        commit_trees("cay.xlsx", data, admin)
    db.session.commit()
    assert nodes(db) == before


def test_the_admin_pages_export_and_import_the_trees(db, world, client, auth, admin):
    auth.login(admin.username)
    page = client.get("/admin/organisations")
    assert "/admin/organisations/export" in page.text
    assert "/admin/organisations/import" in page.text
    download = client.get("/admin/organisations/export")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows.append(row("CDCS-WEB", "UP-b", "union", "grassroots", "CĐCS Mới qua trang", **{
        "Loại hình doanh nghiệp": "fdi"}))
    form = client.get("/admin/organisations/import")
    response = client.post("/admin/organisations/import", data={
        "csrf_token": csrf_token(form.text), "file": (io.BytesIO(xlsx(rows)), "cay.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    result = client.get(response.location)
    assert "/commit" in result.text
    job_id = response.location.rsplit("/", 1)[1]
    done = client.post(f"/admin/organisations/import/{job_id}/commit",
                       data={"csrf_token": csrf_token(result.text)})
    assert client.get(done.location).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Organisation).where(Organisation.code == "CDCS-WEB"))


def test_tree_pages_are_for_administrators(db, world, client, auth):
    auth.login(world.users["union_chair_a"].username)
    assert client.get("/admin/organisations/export").status_code == 403
    assert client.get("/admin/organisations/import").status_code == 403
