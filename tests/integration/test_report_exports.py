"""CSV and XLSX exports of the reports (cohort, Party-side dashboard) and of the targets
grid: the page's figures, scope, text intact, formula neutralisation, access, audit."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from referral_flow.models import AuditEvent, Member, Organisation, Role, Target
from referral_flow.reports import queries
from referral_flow.workflow.calendar import WorkingCalendar

from ..conftest import counting
from ..factories import TODAY, advance, new_case, user
from .test_reports import START, cell, number, period

FORMATS = ["csv", "xlsx"]
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NAME = "Nguyễn Thị Ánh"
FORMULAS = ["=1+1", "@SUM(A1)", "+cmd", "-2+3"]
YEAR = TODAY.year           # a year offered by the targets' selector


@pytest.fixture(autouse=True)
def frozen(app):
    app.config["FROZEN_TODAY"] = TODAY


def tables(resp, fmt: str, name: str) -> list[tuple[str, list[list]]]:
    """(title, [header, *rows]) per table; empty cells are None, CSV numbers stay text
    (the Vietnamese CSV: ';' between fields, decimal commas)."""
    assert resp.status_code == 200, resp.status_code
    assert resp.headers["Content-Type"] == TYPES[fmt]
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{name}.{fmt}"'
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"), newline=""),
                               delimiter=";"))
        chunks, chunk = [], []
        for row in rows + [[]]:
            if row:
                chunk.append([v if v != "" else None for v in row])
            elif chunk:
                chunks.append((chunk[0][0], chunk[1:]))
                chunk = []
        return chunks
    wb = load_workbook(io.BytesIO(resp.data))
    titles = wb.sheetnames
    assert len(set(t.casefold() for t in titles)) == len(titles)
    assert all(0 < len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    return [(ws.title, [[c.value for c in row] for row in ws.iter_rows()])
            for ws in wb.worksheets]


def num(value) -> float | None:
    """A cell as a number: an XLSX number, or a CSV field with a decimal comma."""
    return None if value is None else float(str(value).replace(",", "."))


def events(db) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "report_export")
                              .order_by(AuditEvent.id)).all()


def rename_member(db, case, name: str) -> None:
    db.session.execute(update(Member).where(Member.id == case.member_id).values(full_name=name))


def rename_org(db, node, name: str) -> None:
    # Straight to the table: the admin form would not let these names through.
    db.session.execute(update(Organisation).where(Organisation.id == node.id).values(name=name))


# --- cohort -----------------------------------------------------------------------------

@pytest.fixture
def cohort(world, db):
    """Cohort 2025 of side a (two admitted, one certified), a 2024 case admitted in 2025
    (a period count only) and one of side b."""
    for gap in (5, 9):
        advance(new_case(world, start=START), world, "admitted", gap=gap)
    advance(new_case(world, start=START), world, "certified", gap=7)
    advance(new_case(world, start=date(2024, 10, 1)), world, "admitted", gap=14)
    advance(new_case(world, "b", start=START), world, "admitted", gap=7)
    db.session.commit()


@pytest.mark.parametrize("fmt", FORMATS)
def test_cohort_export_has_the_pages_figures(world, db, auth, client, cohort, fmt):
    auth.login(world.users["union_chair_a"].username)
    page = client.get("/reports/cohort?year=2025").text
    assert f"/reports/cohort/export?format={fmt}&amp;year=2025" in page
    (t_steps, steps), (t_ends, ends), (t_period, counts) = tables(
        client.get(f"/reports/cohort/export?format={fmt}&year=2025"), fmt,
        "theo-nam-gioi-thieu-2025")
    assert len({t_steps, t_ends, t_period}) == 3
    assert "2025" in t_steps and "2025" in t_period
    assert "%" in steps[0][2]
    assert len(steps) == 1 + len(queries.STEPS)
    for state, row in zip(queries.STEPS, steps[1:], strict=True):
        assert num(row[1]) == number(cell(page, state, "reached")), state
        for col, value in (("median", row[4]), ("p90", row[5])):
            expected = number(cell(page, state, col))
            assert num(value) == (None if expected is None
                                  else pytest.approx(expected, abs=0.051)), (state, col)
    admitted = steps[1 + queries.STEPS.index("admitted")]
    assert num(admitted[1]) == 2 and num(admitted[2]) == pytest.approx(66.7)
    assert [num(r[1]) for r in ends[1:]] == [0] * len(queries.ENDS)     # each ending apart
    assert [num(r[1]) for r in counts[1:]] == [
        number(period(page, key)) for key in queries.PERIOD_STEPS]
    assert num(counts[3][1]) == 3       # the 2024 case admitted in 2025: a period count


@pytest.mark.parametrize("fmt", FORMATS)
def test_cohort_export_keeps_the_users_scope(world, db, auth, client, cohort, fmt):
    url = f"/reports/cohort/export?format={fmt}&year=2025"
    auth.login(world.users["administrator"].username)
    steps = tables(client.get(url), fmt, "theo-nam-gioi-thieu-2025")[0][1]
    assert num(steps[1][1]) == 4                         # side b counted for the admin
    auth.logout()
    auth.login(world.users["union_chair_a"].username)
    for node in ("", world["unit_b"].id):                # a node outside: ignored, as the page
        steps = tables(client.get(f"{url}&node={node}"), fmt, "theo-nam-gioi-thieu-2025")[0][1]
        assert num(steps[1][1]) == 3


# --- Party-side dashboard ---------------------------------------------------------------

@pytest.fixture
def due(world, db):
    """Three decisions due in bloc a (one named in Vietnamese, one with a formula), one
    ceremony due, and a decision due in bloc b."""
    cases = {
        "overdue": advance(new_case(world, start=TODAY - timedelta(days=400)), world,
                           "decision_pending", gap=10),
        "late": advance(new_case(world, start=TODAY - timedelta(days=250)), world,
                        "decision_pending", gap=10),
        "recent": advance(new_case(world, start=TODAY - timedelta(days=100)), world,
                          "decision_pending", gap=5),
        "ceremony": advance(new_case(world, start=TODAY - timedelta(days=200)), world,
                            "admitted", gap=10),
        "other": advance(new_case(world, "b", start=TODAY - timedelta(days=400)), world,
                         "decision_pending", gap=10),
    }
    rename_member(db, cases["late"], NAME)
    db.session.commit()
    return cases


def due_rows(found, title_index: int) -> dict[int, list]:
    return {int(r[0]): r for r in found[title_index][1][1:]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_party_export_has_all_due_cases_with_the_pages_figures(world, db, auth, client,
                                                               monkeypatch, due, fmt):
    monkeypatch.setattr(queries, "DUE_LIMIT", 2)      # the page shows 2 of the 3
    auth.login(world.users["competent_officer_a"].username)
    page = client.get("/reports/party").text
    node = world["bloc_a"].id
    assert f"/reports/party/export?format={fmt}&amp;node={node}" in page
    found = tables(client.get(f"/reports/party/export?format={fmt}"), fmt,
                   "tong-hop-phia-dang-bloc-a")
    # the counts, one table per due list, the probationary members' transfers due
    assert len(found) == 1 + len(queries.DUE_LISTS) + 1
    counts = {r[0]: num(r[1]) for r in found[0][1][1:]}
    assert sorted(counts.values()) == [1, 3]
    shown = re.search(r'id="due-decision_pending">(.*?)</section>', page, re.S).group(1)
    assert len(re.findall(r'data-case="\d+"', shown)) == 2
    decisions = found[1][1]
    order = [int(r[0]) for r in decisions[1:]]
    assert order == [due["overdue"].id, due["late"].id, due["recent"].id]
    cal = WorkingCalendar()
    for case in (due["overdue"], due["recent"]):
        row = due_rows(found, 1)[case.id]
        deadline = cal.add(case.cell_resolution_on, 60)
        key_date, due_date = row[6], row[7]
        if fmt == "csv":
            assert key_date == case.cell_resolution_on.strftime("%d/%m/%Y")
            assert due_date == deadline.strftime("%d/%m/%Y")
        else:
            assert key_date.date() == case.cell_resolution_on and due_date.date() == deadline
        assert row[2] == world["unit_a"].name and row[3] == world["committee_a"].name
    overdue = due_rows(found, 1)[due["overdue"].id]
    assert overdue[8] is None and num(overdue[9]) == cal.between(
        cal.add(due["overdue"].cell_resolution_on, 60), TODAY)
    recent = due_rows(found, 1)[due["recent"].id]
    assert num(recent[8]) == cal.between(TODAY, cal.add(due["recent"].cell_resolution_on, 60))
    assert recent[9] is None
    named = due_rows(found, 1)[due["late"].id][1]
    assert named == NAME and unicodedata.is_normalized("NFC", named)
    assert set(due_rows(found, 2)) == {due["ceremony"].id}
    assert due["other"].id not in due_rows(found, 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_party_export_keeps_the_users_scope(world, db, auth, client, due, fmt):
    auth.login(world.users["competent_officer_a"].username)
    found = tables(client.get(f"/reports/party/export?format={fmt}"), fmt,
                   "tong-hop-phia-dang-bloc-a")
    assert due["other"].id not in due_rows(found, 1)
    assert world["unit_b"].name not in str(found)
    # a node outside the user's scope: 404, as the page (nothing logged)
    assert client.get(f"/reports/party/export?format={fmt}&node={world['bloc_b'].id}"
                      ).status_code == 404
    assert events(db)[-1].data["filters"] == {"node": world["bloc_a"].id}
    auth.logout()
    auth.login(world.users["competent_officer_b"].username)
    found = tables(client.get(f"/reports/party/export?format={fmt}"), fmt,
                   "tong-hop-phia-dang-bloc-b")
    assert set(due_rows(found, 1)) == {due["other"].id}


# --- targets ----------------------------------------------------------------------------

@pytest.fixture
def targets(world, db):
    for key, value in (("federation", 10), ("upper_a", 3), ("upper_b", 2), ("unit_a", 1),
                       ("gunit_b", 1)):
        db.session.add(Target(node_id=world[key].id, year=YEAR, target=value))
    rename_org(db, world["upper_b"], NAME)
    db.session.commit()


@pytest.mark.parametrize("fmt", FORMATS)
def test_targets_export_has_the_grids_rows(world, db, auth, client, targets, fmt):
    auth.login(world.users["federation_officer_a"].username)
    node = world["federation"].id
    page = client.get(f"/targets/?node={node}&year={YEAR}").text
    assert f"/targets/export?format={fmt}&amp;node={node}&amp;year={YEAR}" in page
    assert "+8" in page and "badge diff" in page           # 10 against 2; upper_a 3 vs 1
    [(title, rows)] = tables(client.get(f"/targets/export?format={fmt}&node={node}"
                                        f"&year={YEAR}"), fmt, f"chi-tieu-{YEAR}")
    assert str(YEAR) in title
    by_name = {r[0]: [r[1]] + [num(v) for v in r[2:]] for r in rows[1:]}
    assert [r[0] for r in rows[1:]] == [world["federation"].name, NAME, world["upper_a"].name]
    level = by_name[NAME][0]
    # target, sum below, CĐCS below, with a target, without, difference
    assert by_name[world["federation"].name][1:] == [10, 2, 4, 2, 2, 8]
    assert by_name[world["upper_a"].name][1:] == [3, 1, 2, 1, 1, 2]
    assert by_name[NAME][1:] == [2, 1, 2, 1, 1, 1]
    assert level and level == by_name[world["upper_a"].name][0]
    assert unicodedata.is_normalized("NFC", rows[2][0])
    # a CĐCS: no roll-up, no difference
    [(_t, rows)] = tables(client.get(f"/targets/export?format={fmt}"
                                     f"&node={world['upper_b'].id}&year={YEAR}"), fmt,
                          f"chi-tieu-{YEAR}-nguyen-thi-anh")      # a unit below: its name
    gunit = next(r for r in rows if r[0] == world["gunit_b"].name)
    assert num(gunit[2]) == 1 and gunit[3:] == [None] * 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_targets_export_keeps_the_users_scope(world, db, auth, client, targets, fmt):
    auth.login(world.users["federation_officer_b"].username)
    url = f"/targets/export?format={fmt}&year={YEAR}"
    [(_t, rows)] = tables(client.get(url), fmt, f"chi-tieu-{YEAR}")
    assert world["upper_a"].name not in str(rows) and world["unit_a"].name not in str(rows)
    assert client.get(f"{url}&node={world['upper_a'].id}").status_code == 404
    assert client.get(f"{url}&node={world['federation'].id}").status_code == 404


# --- text, formulas, access, audit ------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("payload", FORMULAS)
def test_formulas_are_neutralised(world, db, auth, client, due, fmt, payload):
    rename_member(db, due["overdue"], payload)
    rename_org(db, world["unit_a"], payload + " CĐ")
    rename_org(db, world["committee_a"], payload + " ĐU")
    rename_org(db, world["upper_a"], payload + " UP")
    db.session.commit()
    auth.login(world.users["competent_officer_a"].username)
    found = tables(client.get(f"/reports/party/export?format={fmt}"), fmt,
                   "tong-hop-phia-dang-bloc-a")
    row = due_rows(found, 1)[due["overdue"].id]
    assert row[1:4] == ["'" + payload, f"'{payload} CĐ", f"'{payload} ĐU"]
    auth.logout()
    auth.login(world.users["federation_officer_a"].username)
    [(_t, rows)] = tables(client.get(f"/targets/export?format={fmt}&year={YEAR}"),
                          fmt, f"chi-tieu-{YEAR}")
    assert f"'{payload} UP" in [r[0] for r in rows]
    if fmt == "xlsx":
        resp = client.get(f"/targets/export?format=xlsx&year={YEAR}")
        ws = load_workbook(io.BytesIO(resp.data)).active
        assert all(c.data_type == "s" and c.number_format == "@" for c in ws["A"][1:])


EXPORTS = ["/reports/cohort/export", "/reports/party/export", "/targets/export"]


@pytest.mark.parametrize("url", EXPORTS)
def test_anonymous_goes_to_login(world, client, url):
    resp = client.get(f"{url}?format=csv")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("url", EXPORTS)
def test_a_candidate_is_refused(world, db, auth, client, url):
    case = new_case(world)
    me = user(Role.member, None, member_id=case.member_id, username="ungvien_exports")
    db.session.commit()
    auth.login(me.username)
    assert client.get(f"{url}?format=csv").status_code == 403
    assert events(db) == []


@pytest.mark.parametrize("key, url", [
    ("union_chair_a", "/reports/party/export"),        # staff without a Party grant
    ("party_officer_a", "/targets/export"),            # as the grid page
    ("administrator", "/targets/export"),
])
def test_staff_without_the_grant_is_refused(world, db, auth, client, key, url):
    auth.login(world.users[key].username)
    assert client.get(f"{url}?format=xlsx").status_code == 403
    assert events(db) == []


@pytest.mark.parametrize("url", EXPORTS)
@pytest.mark.parametrize("fmt", ["pdf", "", "CSV"])
def test_an_unknown_format_is_refused_and_not_logged(world, db, auth, client, url, fmt):
    auth.login(world.users["federation_officer_a"].username)   # union staff: cohort, targets
    if "party" in url:
        auth.logout()
        auth.login(world.users["competent_officer_a"].username)
    assert client.get(f"{url}?format={fmt}").status_code == 400
    assert events(db) == []


def test_every_export_is_logged(world, db, auth, client, due, targets):
    officer = world.users["federation_officer_a"]
    auth.login(officer.username)
    assert client.get("/reports/cohort/export?format=csv&year=2025").status_code == 200
    assert client.get(f"/targets/export?format=xlsx&year={YEAR}").status_code == 200
    auth.logout()
    party = world.users["competent_officer_a"]
    auth.login(party.username)
    assert client.get("/reports/party/export?format=xlsx").status_code == 200
    logged = events(db)
    assert [(e.trigger, e.actor_id, e.case_id) for e in logged] == [
        ("export", officer.id, None), ("export", officer.id, None), ("export", party.id, None)]
    assert logged[0].data == {"report": "cohort", "format": "csv",
                              "rows": len(queries.STEPS) + len(queries.ENDS) + 3,
                              "filters": {"year": 2025, "node": None}}
    assert logged[1].data == {"report": "targets", "format": "xlsx", "rows": 3,
                              "filters": {"node": world["federation"].id, "year": YEAR}}
    assert logged[2].data["report"] == "party" and logged[2].data["format"] == "xlsx"
    assert logged[2].data["filters"] == {"node": world["bloc_a"].id}
    assert logged[2].data["rows"] == 2 + 3 + 1             # two steps, three + one due
    assert NAME not in str([e.data for e in logged])


@pytest.mark.parametrize("key, url", [
    ("administrator", "/reports/cohort/export?format=xlsx&year=2025"),
    ("competent_officer_a", "/reports/party/export?format=csv"),
])
def test_the_number_of_statements_does_not_grow_with_the_cases(app, world, db, auth, client,
                                                               key, url):
    auth.login(world.users[key].username)
    seen_counts, made = [], 0
    for n in (4, 40):
        for i in range(n - made):
            state = ("decision_pending", "admitted", "probation", "certified")[i % 4]
            advance(new_case(world, start=START), world, state, gap=7)
        made = n
        with counting(app, db) as seen:
            assert client.get(url).status_code == 200
        seen_counts.append(len(seen))
    assert seen_counts[0] == seen_counts[1], seen_counts
    assert seen_counts[1] <= 25, seen_counts
