"""Roster import: all or nothing, every bad row listed by row and column, duplicates within
the file and against the database (skip or update), one audit event; a member without a
citizen ID is marked and cannot be nominated."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from referral_flow.imports.files import ImportFileError
from referral_flow.imports.roster import (SKIP, UPDATE, ImportRefused, RosterImport,
                                          check_roster, commit_roster)
from referral_flow.models import AuditEvent, Member, Role
from referral_flow.security.grants import chaired_units
from referral_flow.services.cases import open_draft
from referral_flow.workflow.errors import GuardFailed
from tests import factories
from tests.conftest import csrf_token
from tests.sheets import csv_bytes, xlsx

HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số CMND", "Nghề nghiệp",
          "Công nhân trực tiếp sản xuất", "Số điện thoại", "Email", "Ngày vào công đoàn"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Hà", "Khánh", "Linh", "Minh", "Ngọc", "Phúc", "Quân"]


def person(i: int, *, first_id: int = 0) -> list:
    """Row ``i`` of a roster: a valid member (IDs from ``first_id``)."""
    return [f"{SURNAMES[i % 8]} Văn {GIVEN[i % 11]}", date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
            "Nữ" if i % 3 == 0 else "Nam", f"0791{first_id + i:08d}", "", "Công nhân may",
            "x" if i % 2 else "", f"09{i:08d}", "", "01/03/2015"]


def roster(n: int, bad: dict[int, tuple[int, object]] | None = None, **kw) -> bytes:
    rows = [person(i, **kw) for i in range(n)]
    for i, (column, value) in (bad or {}).items():
        rows[i][column] = value
    return xlsx([HEADER] + rows)


@pytest.fixture
def chair(world):
    return world.users["union_chair_a"]


@pytest.fixture
def options(world, chair):
    def make(existing=SKIP, unit="unit_a"):
        return RosterImport(user=chair, units=[u for u in chaired_units(chair)],
                            unit=world[unit] if unit else None, existing=existing)
    return make


@pytest.fixture
def vi(app):
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        yield


def members(db) -> int:
    return db.session.scalar(select(func.count(Member.id)))


def imports_logged(db) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "import")))


BAD = {99: (1, "31/02/1990"), 500: (3, "12345"), 901: (2, "khác")}


def test_three_bad_rows_among_1000_change_nothing_and_are_listed(vi, db, options):
    before = members(db)
    data = roster(1000, BAD)
    report = check_roster("danh-sach.xlsx", data, options())
    assert report.rows == 1000 and report.error_count == 3
    # Row numbers as Excel shows them (the header is row 1), the file's headers.
    assert [(e.row, e.column) for e in report.errors] == [
        (101, "Ngày sinh"), (502, "Số CCCD"), (903, "Giới tính")]
    assert "12" in report.errors[1].message
    with pytest.raises(ImportRefused) as refused:
        commit_roster("danh-sach.xlsx", data, options())
    assert refused.value.report.error_count == 3
    db.session.commit()
    assert members(db) == before and imports_logged(db) == []


def test_the_fixed_file_imports_1000_in_one_transaction_with_one_audit_event(vi, db, options,
                                                                              world):
    before = members(db)
    data = roster(1000)
    seen = []
    report = check_roster("danh-sach.xlsx", data, options(), lambda d, t: seen.append((d, t)))
    assert report.ok and report.counts == {"added": 1000, "updated": 0, "skipped": 0}
    assert len(report.preview) == 20 and report.preview[0]["row"] == 2
    assert seen[-1] == (1001, 1001) and len(seen) == 2        # batches of 500
    assert members(db) == before                              # a check writes nothing
    report = commit_roster("danh-sach.xlsx", data, options())
    db.session.commit()
    assert members(db) == before + 1000
    [event] = imports_logged(db)
    assert event.subject == "member" and event.data["file"] == "danh-sach.xlsx"
    assert event.data["sha256"] == report.sha256 and len(report.sha256) == 64
    assert (event.data["added"], event.data["updated"], event.data["skipped"]) == (1000, 0, 0)
    first = db.session.scalar(select(Member).where(Member.citizen_id == "079100000001"))
    assert first.unit == world["unit_a"] and first.direct_production
    assert first.date_of_birth == date(1971, 2, 2) and first.phone == "0900000001"
    assert first.union_member_since == date(2015, 3, 1)


def test_duplicates_within_the_file_are_errors(vi, options):
    rows = [person(i) for i in range(4)]
    rows.append(person(1))                                    # the same citizen ID
    without = person(2)
    without[3] = ""
    rows += [without, list(without)]                          # same name and birth, no ID
    report = check_roster("x.xlsx", xlsx([HEADER] + rows), options())
    # Without an ID, the same name and birth date as an earlier row (with or without one).
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (6, "", "Trùng người ở dòng 3."), (7, "", "Trùng người ở dòng 4."),
        (8, "", "Trùng người ở dòng 4.")]


def test_members_already_kept_are_skipped_or_updated(vi, db, options, world):
    kept = factories.member(world["unit_a"], name="Lê Thị Hoa", born=date(1988, 4, 9))
    kept.phone = "0911111111"
    no_id = factories.member(world["unit_a"], name="Phạm Minh Đức", born=date(1992, 6, 1))
    no_id.citizen_id = None
    db.session.commit()
    rows = [
        ["Lê Thị Hoa", "09/04/1988", "Nữ", kept.citizen_id, "", "Kế toán", "", "0922222222",
         "", ""],                                             # same citizen ID
        ["Phạm Minh Đức", "01/06/1992", "Nam", "079100000777", "123456789", "Thợ hàn", "",
         "", "", ""],                                         # name + birth, now with an ID
        person(5),                                            # a new member
    ]
    data = xlsx([HEADER] + rows)
    skip = commit_roster("a.xlsx", data, options(SKIP))
    assert skip.counts == {"added": 1, "updated": 0, "skipped": 2}
    db.session.commit()
    db.session.refresh(kept)
    assert kept.phone == "0911111111" and kept.job == "Công nhân"
    update = commit_roster("a.xlsx", data, options(UPDATE))
    db.session.commit()
    # the new member of the first import is now kept, unchanged: skipped
    assert update.counts == {"added": 0, "updated": 2, "skipped": 1}
    db.session.refresh(kept)
    db.session.refresh(no_id)
    assert (kept.phone, kept.job) == ("0922222222", "Kế toán")
    assert (no_id.citizen_id, no_id.old_id_number, no_id.job) == (
        "079100000777", "123456789", "Thợ hàn")
    assert no_id.direct_production is True                    # an empty cell erases nothing
    assert [e.data["updated"] for e in imports_logged(db)] == [0, 2]


def test_a_citizen_id_of_another_units_member_is_refused_without_saying_whose(
        vi, db, options, world):
    other = factories.member(world["unit_b"])
    db.session.commit()
    row = person(0)
    row[3] = other.citizen_id
    report = check_roster("x.xlsx", xlsx([HEADER, row]), options())
    [error] = report.errors
    assert error.column == "Số CCCD" and other.full_name not in error.message
    assert world["unit_b"].name not in error.message


def test_rows_go_to_the_units_named_by_code(vi, db, world):
    chair = factories.user(Role.union_chair, world["upper_a"])     # two CĐCS under it
    options = RosterImport(user=chair, units=chaired_units(chair))
    header = HEADER + ["Mã CĐCS"]
    rows = [person(0) + ["CDCS-a"], person(1) + ["CDCS-G-a"], person(2) + ["CDCS-b"]]
    report = check_roster("x.xlsx", xlsx([header] + rows), options)
    assert [(e.row, e.column) for e in report.errors] == [(4, "Mã CĐCS")]
    rows.pop()
    commit_roster("x.xlsx", xlsx([header] + rows), options)
    db.session.commit()
    units = dict(db.session.execute(select(Member.citizen_id, Member.unit_id).where(
        Member.citizen_id.in_(["079100000000", "079100000001"]))).all())
    assert units == {"079100000000": world["unit_a"].id, "079100000001": world["gunit_a"].id}


def test_without_a_unit_column_the_unit_must_be_chosen(vi, options):
    with pytest.raises(ImportFileError):
        check_roster("x.xlsx", roster(2), options(unit=None))


def test_csv_with_headers_without_diacritics_in_another_order(vi, db, options):
    header = ["ngay sinh", "HO VA TEN", "so cccd", "gioi tinh", "nghe nghiep", "so cmnd"]
    rows = [["17/05/1990", "Nguyễn Văn An", "079100000001", "nam", "Thợ điện", "012345678"],
            ["01/02/1985", "Trần Thị Bình", "", "NỮ", "Kế toán", ""]]
    for data in (csv_bytes([header] + rows), csv_bytes([header] + rows, encoding="cp1258"),
                 csv_bytes([header] + rows, delimiter=",", encoding="utf-8")):
        report = check_roster("x.csv", data, options())
        assert report.ok and report.counts["added"] == 2, report.errors
    commit_roster("x.csv", data, options())
    db.session.commit()
    binh = db.session.scalar(select(Member).where(Member.full_name == "Trần Thị Bình"))
    assert binh.citizen_id is None and binh.gender.value == "female"
    an = db.session.scalar(select(Member).where(Member.full_name == "Nguyễn Văn An"))
    assert an.old_id_number == "012345678"


def test_a_corrupt_file_is_refused_and_nothing_written(vi, db, options):
    before = members(db)
    with pytest.raises(ImportFileError):
        commit_roster("x.xlsx", roster(10)[:300], options())
    db.session.commit()
    assert members(db) == before


def test_a_file_over_the_size_limit_is_refused(vi, app, options):
    app.config["IMPORT_MAX_BYTES"] = 2000
    with pytest.raises(ImportFileError, match="MB"):
        check_roster("x.xlsx", roster(200), options())


# --- citizen ID before nomination -------------------------------------------------------

def test_a_member_without_a_citizen_id_cannot_be_nominated(vi, db, world, chair):
    m = factories.member(world["unit_a"])
    m.citizen_id = None
    with pytest.raises(GuardFailed, match="chưa có số CCCD"):
        open_draft(m, chair, today=factories.TODAY)
    m.citizen_id = "079100000999"
    assert open_draft(m, chair, today=factories.TODAY).state == "draft"


def test_a_draft_whose_citizen_id_was_removed_is_not_submitted(vi, db, world):
    case = factories.new_case(world, start=factories.TODAY - timedelta(days=30))
    case.member.citizen_id = None
    with pytest.raises(GuardFailed, match="chưa có số CCCD"):
        factories.advance(case, world, "nominated")


# --- the pages --------------------------------------------------------------------------

def upload(client, data: bytes, name: str = "danh-sach.xlsx", **fields):
    page = client.get("/members/import")
    assert page.status_code == 200
    return client.post("/members/import", data={
        "csrf_token": csrf_token(page.text), "existing": SKIP,
        "file": (io.BytesIO(data), name)} | fields, content_type="multipart/form-data")


def test_the_pages_check_then_import_a_roster(db, world, client, auth, chair):
    auth.login(chair.username)
    before = members(db)
    roster_page = client.get("/members/")
    assert "/members/import" in roster_page.text
    response = upload(client, roster(30, {4: (1, "32/01/1990")}))
    assert response.status_code == 302 and response.location.startswith("/jobs/")
    page = client.get(response.location)
    assert "Ngày sinh" in page.text and ">6<" in page.text          # row 6, its column
    assert "commit" not in page.text                                # no "Import" button
    response = upload(client, roster(30))
    page = client.get(response.location)
    assert "30" in page.text and "/commit" in page.text
    job_id = response.location.rsplit("/", 1)[1]
    done = client.post(f"/members/import/{job_id}/commit",
                       data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 302
    assert client.get(done.location).status_code == 200
    db.session.expire_all()
    assert members(db) == before + 30
    template = client.get("/members/import/template")
    assert template.status_code == 200 and template.data.startswith(b"PK")


def test_a_wrong_file_fails_its_job_with_a_clear_message(db, world, client, auth, chair):
    auth.login(chair.username)
    response = upload(client, b"%PDF-1.4 \x00 not a sheet", "anh.pdf")
    page = client.get(response.location)
    assert "xlsx" in page.text and "flash error" in page.text


def test_an_oversized_file_is_refused_on_the_form(app, db, world, client, auth, chair):
    auth.login(chair.username)
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = upload(client, roster(100))
    assert response.status_code == 400 and "MB" in response.text


def test_only_the_owner_may_import_a_checked_file(db, world, client, auth, chair):
    auth.login(chair.username)
    job_id = upload(client, roster(3)).location.rsplit("/", 1)[1]
    auth.logout()
    auth.login(world.users["union_chair_b"].username)
    page = client.get("/members/")
    response = client.post(f"/members/import/{job_id}/commit",
                           data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 404


def test_import_is_for_union_chairs(db, world, client, auth):
    auth.login(world.users["party_officer_a"].username)
    assert client.get("/members/import").status_code == 403


def test_the_roster_marks_who_lacks_a_citizen_id_and_refuses_the_nomination(db, world, client,
                                                                              auth, chair):
    m = factories.member(world["unit_a"], name="Đỗ Thị Mai")
    m.citizen_id = None
    db.session.commit()
    auth.login(chair.username)
    page = client.get("/members/")
    assert "Chưa có CCCD" in page.text and "Bổ sung CCCD để giới thiệu" in page.text
    refused = client.post(f"/members/{m.id}/nominate", data={"csrf_token": csrf_token(page.text)},
                          follow_redirects=True)
    assert "Đỗ Thị Mai chưa có số CCCD" in refused.text
    edit = client.get(f"/members/{m.id}/edit")
    assert 'name="citizen_id"' in edit.text
