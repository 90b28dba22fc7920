"""CSV and XLSX exports of the case lists: scope, round trip, text cells, formula
neutralisation, filters, bounded SQL, audit."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from referral_flow.models import AuditEvent, Case, Member
from referral_flow.services.cases import open_draft
from referral_flow.workflow.calendar import months_between

from .. import factories as f
from ..conftest import counting

START = f.TODAY - timedelta(days=900)
FORMULAS = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1"]


def case_in(w, unit_key: str, *, name: str | None = None, citizen_id: str | None = None,
            job: str | None = None) -> Case:
    m = f.member(w[unit_key], name=name)
    if citizen_id:
        m.citizen_id = citizen_id
    if job is not None:
        m.job = job
    return open_draft(m, None, year=START.year, today=START, check_permission=False)


def login(auth, w, key: str):
    auth.login(w.users[key].username)


def file_name(resp) -> str:
    found = re.fullmatch(r'attachment; filename="([a-z0-9-]+)\.(csv|xlsx)"',
                         resp.headers["Content-Disposition"])
    assert found, resp.headers["Content-Disposition"]
    return found.group(1)


def parse(resp, fmt: str) -> list[list]:
    """The rows of a case export (a Vietnamese user's: the CSV separates fields with ';')."""
    assert resp.status_code == 200, resp.status_code
    assert not re.search(r"\d{4}-\d\d-\d\d", file_name(resp))      # never today's date
    if fmt == "csv":
        assert resp.data.startswith(b"\xef\xbb\xbf")          # UTF-8 BOM for Excel
        text = resp.data.decode("utf-8-sig")
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        assert not text.startswith("sep=")       # Excel would then ignore the BOM
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    ws = load_workbook(io.BytesIO(resp.data)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def sheet(resp):
    return load_workbook(io.BytesIO(resp.data)).active


def ids_of(rows: list[list]) -> set[int]:
    return {int(r[0]) for r in rows[1:]}


# --- scope ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/cases/export?format=csv", "/members/cases/export?format=xlsx"])
def test_anonymous_goes_to_login(world, client, db, url):
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.subject == "case_export")) is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_chair_exports_only_his_units_cases(world, db, client, auth, fmt):
    mine = [case_in(world, "unit_a").id for _ in range(3)]
    others = [case_in(world, "unit_b").id, case_in(world, "gunit_a").id,
              case_in(world, "gunit_b").id]
    db.session.commit()
    login(auth, world, "union_chair_a")
    for url in (f"/members/cases/export?format={fmt}", f"/cases/export?format={fmt}"):
        got = ids_of(parse(client.get(url), fmt))
        assert got == set(mine)
        assert not got & set(others)


def test_a_member_of_staff_outside_the_union_tree_gets_nothing(world, db, client, auth):
    case_in(world, "unit_a")
    db.session.commit()
    login(auth, world, "party_officer_b")
    assert ids_of(parse(client.get("/cases/export?format=csv"), "csv")) == set()


def test_unit_cases_export_is_for_chairs_only(world, db, client, auth):
    login(auth, world, "party_officer_a")
    assert client.get("/members/cases/export?format=csv").status_code == 403


def test_an_unknown_format_is_refused_and_not_logged(world, db, client, auth):
    case_in(world, "unit_a")
    db.session.commit()
    login(auth, world, "administrator")
    assert client.get("/cases/export?format=pdf").status_code == 400
    assert client.get("/cases/export").status_code == 400
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.subject == "case_export")) is None


# --- round trip -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_both_formats_parse_back_equal_to_the_database(world, db, client, auth, fmt):
    names = ["Nguyễn Thị Hồng Nhung", "Đặng Văn Ưng", "Trần Thị Thuỷ Tiên"]
    cases = [case_in(world, "unit_a", name=n) for n in names]
    f.advance(cases[0], world, "probation")
    db.session.commit()
    login(auth, world, "administrator")
    rows = parse(client.get(f"/cases/export?format={fmt}"), fmt)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Số hồ sơ", "Họ và tên", "Ngày sinh", "Số căn cước"]
    assert len(header) == 22 and header[21] == "Tuổi đảng"
    by_id = {int(r[0]): r for r in body}
    assert set(by_id) == {c.id for c in cases}
    for case in db.session.scalars(select(Case)):
        row, m = by_id[case.id], case.member
        assert row[1] == m.full_name and unicodedata.is_normalized("NFC", row[1])
        assert row[3] == m.citizen_id
        assert row[5] == m.job
        assert row[7] == world["unit_a"].name
        assert row[12] in (case.referral_year, str(case.referral_year))
        if fmt == "xlsx":
            assert row[2].date() == m.date_of_birth
            assert row[14].date() == case.state_since
        else:
            assert row[2] == m.date_of_birth.strftime("%d/%m/%Y")
            assert row[14] == case.state_since.strftime("%d/%m/%Y")
    advanced = by_id[cases[0].id]
    assert advanced[11] == cases[0].host_cell.name
    assert advanced[13] == "Đảng viên dự bị"
    # The ceremony date: a real date cell in XLSX, dd/mm/yyyy in CSV.
    ceremony = cases[0].ceremony_on
    assert ceremony is not None
    if fmt == "csv":
        assert advanced[19] == ceremony.strftime("%d/%m/%Y")
    else:
        assert advanced[19].date() == ceremony
    # The Party age, from the admission decision to the export's day, in years and months.
    years, months = divmod(months_between(cases[0].decision_on, f.TODAY), 12)
    assert advanced[21] == " ".join(filter(None, [f"{years} năm" if years else "",
                                                  f"{months} tháng" if months else ""]))
    assert by_id[cases[1].id][21] in ("", None)        # not admitted: no Party age


def test_xlsx_cells_are_typed(world, db, client, auth):
    case = case_in(world, "unit_a", citizen_id="001234567890")
    db.session.commit()
    login(auth, world, "administrator")
    ws = sheet(client.get("/cases/export?format=xlsx"))
    assert all(c.font.b for c in ws[1])                     # bold header
    assert ws.column_dimensions["B"].width >= 12
    row = ws[2]
    cid = row[3]
    assert cid.value == "001234567890" and cid.data_type == "s" and cid.number_format == "@"
    assert row[0].value == case.id and row[0].data_type == "n"       # numbers stay numbers
    assert row[12].value == START.year and row[12].data_type == "n"
    assert row[2].is_date and row[2].number_format.lower() == "dd/mm/yyyy"


def test_csv_keeps_the_leading_zero(world, db, client, auth):
    case_in(world, "unit_a", citizen_id="001234567890")
    db.session.commit()
    login(auth, world, "administrator")
    rows = parse(client.get("/cases/export?format=csv"), "csv")
    assert rows[1][3] == "001234567890"


# --- formula injection ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("payload", FORMULAS)
def test_formulas_are_neutralised(world, db, client, auth, fmt, payload):
    case = case_in(world, "unit_a")
    # Straight to the table: neither the form nor the model's name check stops them here.
    db.session.execute(update(Member).where(Member.id == case.member_id)
                       .values(full_name=payload, job=payload))
    db.session.commit()
    login(auth, world, "administrator")
    resp = client.get(f"/cases/export?format={fmt}")
    row = parse(resp, fmt)[1]
    assert row[1] == "'" + payload
    assert row[5] == "'" + payload
    if fmt == "xlsx":
        cells = sheet(resp)[2]
        assert cells[1].data_type == "s" and cells[5].data_type == "s"


# --- filters ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_filters_apply_to_the_case_list_export(world, db, client, auth, fmt):
    a = case_in(world, "unit_a", name="Lê Thị Bình")
    b = case_in(world, "unit_a", name="Phạm Văn Cường")
    c = case_in(world, "unit_b", name="Lê Văn Dũng")
    f.advance(b, world, "accepted")
    db.session.commit()
    login(auth, world, "administrator")
    get = lambda qs: ids_of(parse(client.get(f"/cases/export?format={fmt}&{qs}"), fmt))  # noqa: E731
    assert get("") == {a.id, b.id, c.id}
    assert get("state=draft") == {a.id, c.id}
    assert get("q=le") == {a.id, c.id}                      # diacritics folded, as the page
    assert get("q=le&state=draft") == {a.id, c.id}
    assert get("q=cuong") == {b.id}
    assert get("state=accepted") == {b.id}
    assert get("state=official") == set()


def test_filters_apply_to_the_unit_cases_export(world, db, client, auth):
    a = case_in(world, "unit_a")
    b = case_in(world, "unit_a")
    f.advance(b, world, "nominated")
    db.session.commit()
    login(auth, world, "union_chair_a")
    get = lambda qs: ids_of(parse(client.get(f"/members/cases/export?format=csv&{qs}"), "csv"))  # noqa: E731
    assert get("state=draft") == {a.id}
    assert get("state=nominated") == {b.id}
    assert get(f"year={START.year}") == {a.id, b.id}
    assert get(f"year={START.year + 1}") == set()


def test_the_pages_link_to_their_exports_with_the_filters(world, db, client, auth):
    case_in(world, "unit_a")
    db.session.commit()
    login(auth, world, "union_chair_a")
    page = client.get("/cases/?state=draft&q=nguyen").text
    assert "/cases/export?format=csv&amp;state=draft&amp;q=nguyen" in page
    assert "/cases/export?format=xlsx&amp;state=draft&amp;q=nguyen" in page
    page = client.get("/members/cases?state=draft").text
    assert "/members/cases/export?format=csv&amp;state=draft" in page
    assert "/members/cases/export?format=xlsx&amp;state=draft" in page
    assert "Tải xuống" in page


# --- bounded SQL ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/cases/export?format=xlsx", "/members/cases/export?format=csv"])
def test_the_number_of_statements_does_not_grow_with_the_rows(app, world, db, client, auth, url):
    login(auth, world, "union_chair_a")
    for _ in range(10):
        case_in(world, "unit_a")
    db.session.commit()
    with counting(app, db) as seen:
        assert client.get(url).status_code == 200
    few = len(seen)
    for _ in range(190):
        case_in(world, "unit_a")
    db.session.commit()
    with counting(app, db) as seen:
        resp = client.get(url)
    assert resp.status_code == 200
    assert len(ids_of(parse(resp, url.rsplit("=", 1)[1]))) == 200
    assert len(seen) == few, seen
    assert few <= 15


# --- audit ------------------------------------------------------------------------------

def test_an_export_is_logged(world, db, client, auth):
    for _ in range(3):
        case_in(world, "unit_a")
    case_in(world, "unit_b")
    db.session.commit()
    chair = world.users["union_chair_a"]
    login(auth, world, "union_chair_a")
    assert client.get("/cases/export?format=csv&state=draft&q=nguy").status_code == 200
    assert client.get(f"/members/cases/export?format=xlsx&unit={world['unit_a'].id}"
                      f"&year={START.year}").status_code == 200
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "case_export")
                                .order_by(AuditEvent.id)).all()
    assert [(e.trigger, e.actor_id, e.case_id) for e in events] == [("export", chair.id, None)] * 2
    assert events[0].data == {"list": "cases", "rows": 3, "format": "csv",
                              "filters": {"state": "draft", "q": "nguy"}}
    assert events[1].data == {"list": "unit_cases", "rows": 3, "format": "xlsx",
                              "filters": {"unit": world["unit_a"].id, "state": "",
                                          "year": START.year}}
    # No personal data in the trail: neither names nor citizen IDs.
    assert "Nguyễn" not in str(events[0].data) and "0271" not in str(events[0].data)
