"""The achievement dashboard (issue 4 item 2, charts item 6): introduced against target by
union node, year and quarter; sent to classes; admitted, of which direct production
workers; splits by enterprise kind and Party organisation; drill-down; CĐCS with no
introduction; scoped, and a bounded number of statements."""
from __future__ import annotations

import re
from datetime import date

import pytest

from referral_flow.charts import column_chart, nice_step, percent_bars
from referral_flow.reports import achievement_view
from referral_flow.reports.achievement import Period
from referral_flow.services import targets

from ..conftest import counting
from ..factories import TODAY, advance, new_case, org, user
from referral_flow.demo import MARKER
from referral_flow.models import Role, Tree, UnionKind

Q1 = date(2025, 3, 3)           # nominated a week later: quarter 1
Q2 = date(2025, 5, 5)


@pytest.fixture
def frozen(app):
    app.config["FROZEN_TODAY"] = TODAY
    return TODAY


@pytest.fixture
def year_2025(world, db, frozen):
    """2025 targets 2/1 (side a), 3/1 (side b). Side a: three admitted at unit_a (one not a
    direct production worker), one accepted at gunit_a (non-state, no Party organisation).
    Side b: one sent to class in Q2 at unit_b; gunit_b introduces no one. A 2024 case of
    unit_a admitted in 2025 counts as admitted in 2025, not as introduced."""
    world["gunit_a"].has_party_org = False
    targets.set_targets(2025, {world["unit_a"].id: 2, world["gunit_a"].id: 1,
                               world["unit_b"].id: 3, world["gunit_b"].id: 1}, actor_id=None)
    admitted = [advance(new_case(world, start=Q1), world, "admitted", gap=7) for _ in range(3)]
    admitted[0].member.direct_production = False
    advance(new_case(world, unit="gunit", start=Q1), world, "accepted", gap=7)
    advance(new_case(world, "b", start=Q2), world, "in_class", gap=7)
    advance(new_case(world, start=date(2024, 10, 1)), world, "admitted", gap=14)
    db.session.commit()
    return world


def english(world, db, key):
    world.users[key].locale = "en"
    db.session.commit()
    return world.users[key].username


def row(page: str, attr: str, value) -> dict[str, str]:
    found = re.search(rf'<tr {attr}="{value}">(.*?)</tr>', page, re.S).group(1)
    return {col: re.sub(r"<[^>]+>", "", text).strip()
            for col, text in re.findall(r'data-col="(\w+)">(.*?)</td>', found, re.S)}


def totals(page: str) -> dict[str, str]:
    table = re.search(r'<table class="report" id="totals">(.*?)</table>', page, re.S).group(1)
    return {col: re.sub(r"<[^>]+>", "", text).strip()
            for col, text in re.findall(r'data-col="(\w+)">(.*?)</td>', table, re.S)}


def test_totals_against_the_sum_of_the_unit_targets(year_2025, db, auth, client):
    auth.login(english(year_2025, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    assert totals(page) == {"introduced": "5", "achievement": "71.4 %", "in_class": "4",
                            "admitted": "4", "admitted_dp": "3"}
    assert "no target" not in page
    assert ("the unions of LDLD introduced 5 outstanding members to the Party, 71.4 % of "
            "the year&#39;s target (7)") in page
    assert ("4 members were sent to awareness classes. 4 members were admitted to the Party, "
            "including 3 working in direct production.") in page


def test_the_demo_note_shows_only_on_a_database_with_the_demo_province(year_2025, db, auth,
                                                                     client):
    auth.login(english(year_2025, db, "federation_officer_a"))
    assert 'id="demo-note"' not in client.get("/reports/achievement?year=2025").text
    org(MARKER, Tree.union, UnionKind.federation.value)      # what `flask demo load` writes
    db.session.commit()
    page = client.get("/reports/achievement?year=2025").text
    note = re.search(r'<aside class="note" id="demo-note".*?</aside>', page, re.S).group(0)
    assert "Demo data: synthetic figures." in note
    assert "2,158" in note and "44" in note and "Month (May) 2024" in note


def test_drill_down_by_unit(year_2025, db, auth, client):
    w = year_2025
    auth.login(english(w, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    assert row(page, "data-node", w["upper_a"].id) == {
        "introduced": "4", "achievement": "133.3 %", "in_class": "3", "admitted": "4",
        "admitted_dp": "3"}
    assert row(page, "data-node", w["upper_b"].id)["achievement"] == "25.0 %"
    assert f'href="/reports/achievement?node={w["upper_a"].id}&amp;year=2025"' in page
    down = client.get(f"/reports/achievement?year=2025&node={w['upper_a'].id}").text
    assert row(down, "data-node", w["unit_a"].id)["introduced"] == "3"
    assert row(down, "data-node", w["gunit_a"].id) == {
        "introduced": "1", "achievement": "100.0 %", "in_class": "0", "admitted": "0",
        "admitted_dp": "0"}
    assert '<nav class="trail"' in down and ">LDLD</a>" in down      # the way back up


def test_quarters_and_months(year_2025, db, auth, client):
    w = year_2025
    auth.login(english(w, db, "federation_officer_a"))
    q1 = totals(client.get("/reports/achievement?year=2025&quarter=1").text)
    q2 = totals(client.get("/reports/achievement?year=2025&quarter=2").text)
    assert (q1["introduced"], q2["introduced"]) == ("4", "1")
    assert q2["achievement"] == "14.3 %"        # of the year's target
    page = client.get("/reports/achievement?year=2025").text
    quarters = re.search(r'id="quarters">(.*?)</table>', page, re.S).group(1)
    q1_row = re.search(r'data-quarter="1"[^>]*>(.*?)</tr>', quarters, re.S).group(1)
    cells = re.findall(r'<td class="num">(.*?)</td>', q1_row)
    assert cells[:3] == ["4", "4", "57.1 %"]
    months = re.search(r'id="months">(.*?)</table>', page, re.S).group(1)
    march = re.findall(r'<td class="num">(.*?)</td>', re.findall(r"<tr>(.*?)</tr>", months,
                                                                 re.S)[3])
    assert march[0] == "4"                        # introduced in March


def test_splits_by_enterprise_and_party_organisation(year_2025, db, auth, client):
    auth.login(english(year_2025, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    kinds = re.search(r'id="by-enterprise">(.*?)</table>', page, re.S).group(1)
    fdi = re.search(r"Foreign-invested enterprise</td>(.*?)</tr>", kinds, re.S).group(1)
    assert re.findall(r'<td class="num">(.*?)</td>', fdi) == ["4", "0", "4", "4", "3"]
    non_state = re.search(r"Non-state enterprise</td>(.*?)</tr>", kinds, re.S).group(1)
    assert re.findall(r'<td class="num">(.*?)</td>', non_state) == ["1", "1", "0", "0", "0"]
    party = re.search(r'id="by-party-org">(.*?)</table>', page, re.S).group(1)
    without = re.search(r"has no Party organisation</td>(.*?)</tr>", party, re.S).group(1)
    assert re.findall(r'<td class="num">(.*?)</td>', without)[0] == "1"


def test_units_with_no_introduction(year_2025, db, auth, client):
    w = year_2025
    auth.login(english(w, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    silent = re.search(r'id="silent">(.*?)</section>', page, re.S).group(1)
    assert "(1)" in silent and w["gunit_b"].name in silent
    assert w["unit_a"].name not in silent
    page = client.get("/reports/achievement?year=2024").text
    silent = re.search(r'id="silent">(.*?)</section>', page, re.S).group(1)
    assert "(3)" in silent          # in 2024 only unit_a introduced someone


def test_scope(year_2025, db, auth, client):
    w = year_2025
    auth.login(english(w, db, "federation_officer_b"))     # holds upper_b only
    page = client.get("/reports/achievement?year=2025").text
    assert totals(page)["introduced"] == "1"
    assert w["unit_a"].name not in page
    assert client.get(f"/reports/achievement?node={w['upper_a'].id}").status_code == 404
    assert client.get(f"/reports/achievement?node={w['committee_a'].id}").status_code == 404


def test_union_chair_sees_his_unit(year_2025, db, auth, client):
    auth.login(english(year_2025, db, "union_chair_a"))
    page = client.get("/reports/achievement?year=2025").text
    assert totals(page)["introduced"] == "3"
    assert totals(page)["achievement"] == "150.0 %"


def test_party_side_user_holds_no_union_node(year_2025, db, auth, client):
    auth.login(english(year_2025, db, "party_officer_a"))
    page = client.get("/reports/achievement")
    assert page.status_code == 200 and "no grant on a union organisation" in page.text
    assert client.get("/reports/achievement/export?format=csv").status_code == 403


# A bad year, quarter, sort or page falls back to the default view; a node that is not a
# union node in the user's scope is a 404.
@pytest.mark.parametrize("query, status", [
    ("year=abc", 200), ("year=99999999999999", 200), ("quarter=9", 200), ("quarter=x", 200),
    ("node=0", 404), ("node=-3", 404), ("node=99999999999999", 404), ("node=x", 404),
    ("sort=evil", 200), ("page=-1", 200), ("page=99999", 200)])
def test_bad_parameters_never_fail(year_2025, db, auth, client, query, status):
    auth.login(year_2025.users["federation_officer_a"].username)
    assert client.get(f"/reports/achievement?{query}").status_code == status


def test_charts_are_inline_svg_beside_the_tables(year_2025, db, auth, client):
    auth.login(english(year_2025, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    assert page.count('<svg viewBox=') == 2 and 'role="img"' in page
    assert page.count('class="series-introduced"') == 12
    assert "<title>3: 4</title>" in page        # March: four introduced
    assert 'id="by-unit"' in page and 'id="months"' in page


def test_bounded_statements(world, db, auth, client, frozen, request):
    app = request.getfixturevalue("app")
    auth.login(world.users["federation_officer_a"].username)
    seen_counts, made = [], 0
    for n in (4, 40):
        for i in range(n - made):
            unit = ("unit", "gunit")[i % 2]
            advance(new_case(world, ("a", "b")[i % 2], unit=unit, start=Q1), world,
                    ("admitted", "in_class", "nominated")[i % 3], gap=7)
        made = n
        with counting(app, db) as seen:
            assert client.get("/reports/achievement?year=2025").status_code == 200
        seen_counts.append(len(seen))
    assert seen_counts[0] == seen_counts[1], seen_counts
    assert seen_counts[1] <= 25, seen_counts


def test_union_chair_cases_page_shows_the_target(year_2025, db, auth, client, app):
    w = year_2025
    app.config["FROZEN_TODAY"] = date(2025, 12, 1)
    targets.save_plan(w["unit_a"], 2025, 4, "", actor_id=None)
    db.session.commit()
    auth.login(english(w, db, "union_chair_a"))
    page = client.get("/members/cases").text
    tally = re.search(r'id="tally">(.*?)</section>', page, re.S).group(1)
    assert "<strong>3</strong>" in tally and "target 2" in tally and "(150" in tally
    assert "own plan 4" in tally


def test_period_bounds():
    assert (Period(2024).start, Period(2024).end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert (Period(2024, 1).start, Period(2024, 1).end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert Period(2024, 2).end == date(2024, 6, 30)
    assert (Period(2024, 4).start, Period(2024, 4).end) == (date(2024, 10, 1), date(2024, 12, 31))


def test_chart_geometry():
    assert [nice_step(v) for v in (0, 3, 10, 37, 180, 2158)] == [1, 1, 5, 10, 50, 1000]
    chart = column_chart(["1", "2"], [("a", "A", [0, 8]), ("b", "B", [4, 2])],
                         width=200, height=100)
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.value == 8 and tallest.y >= 12 - 0.1
    assert chart.ticks[0][0] == 0 and chart.ticks[-1][0] >= 8
    assert all(b.x >= chart.plot_left for b in chart.bars)
    bars = percent_bars([("x", 50.0), ("y", 150.0), ("z", None)])
    assert [r.met for r in bars.rows] == [False, True, False]
    assert bars.rows[1].width == pytest.approx(bars.plot_width)        # 150 % is the ceiling
    assert bars.reference_x == pytest.approx(bars.plot_left + bars.plot_width * 100 / 150,
                                             abs=0.1)


def test_a_federation_officer_of_a_deeper_node_and_a_wider_one_see_the_wider(
        year_2025, db, auth, client):
    w = year_2025
    officer = user(Role.federation_officer, w["upper_a"])
    from referral_flow.models import RoleGrant
    officer.grants.append(RoleGrant(role=Role.federation_officer, org=w["federation"],
                                    valid_from=date(2020, 1, 1)))
    officer.locale = "en"
    db.session.commit()
    auth.login(officer.username)
    page = client.get("/reports/achievement?year=2025").text
    assert totals(page)["introduced"] == "5"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_holds_every_table(year_2025, db, auth, client, fmt):
    import io

    import openpyxl

    from referral_flow.models import AuditEvent
    w = year_2025
    w["gunit_b"].name = "=HYPERLINK(\"http://x\") Công đoàn"
    db.session.commit()
    auth.login(english(w, db, "federation_officer_a"))
    response = client.get(f"/reports/achievement/export?format={fmt}&year=2025")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="ket-qua-chi-tieu-2025.{fmt}"'
    if fmt == "csv":
        text = response.data.decode("utf-8-sig")
        assert "LDLD,7,5,71.4,4,4,3" in text
        assert f"{w['upper_b'].name},4,1,25.0,1,0,0" in text
        assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    else:
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        assert len(book.sheetnames) == 8
        totals_sheet = book[book.sheetnames[1]]
        assert [c.value for c in totals_sheet[2]] == ["LDLD", 7, 5, 71.4, 4, 4, 3]
        silent = book[book.sheetnames[-1]]
        assert silent["A2"].value.startswith("'=HYPERLINK")
    event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.subject, event.data["report"], event.data["filters"]["year"]) == (
        "report_export", "achievement", 2025)


def test_a_class_held_for_enterprises_without_a_party_organisation(year_2025, db, auth, client):
    """A Q3 class whose only member comes from gunit_a (non-state, no Party organisation)
    is named in the report's words; a class without such members is not listed."""
    w = year_2025
    advance(new_case(w, unit="gunit", start=date(2025, 8, 4)), w, "certified", gap=7)
    db.session.commit()
    auth.login(english(w, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    summary = re.sub(r"\s+", " ", re.search(r'id="summary">(.*?)</section>', page,
                                            re.S).group(1))
    assert re.search(r"Liên đoàn Lao động tỉnh and BLOC-a jointly ran the class “[^”]+” "
                     r"\(\d\d/\d\d/2025 – \d\d/\d\d/2025\) for "
                     r"members from enterprises without a Party organisation \(1, of whom 1 "
                     r"from non-state enterprises\)\. Certificates were issued to 1 of them\.",
                     summary), summary
    classes = re.search(r'id="classes">(.*?)</section>', page, re.S).group(1)
    # the header and the Q3 class (the Q1 class holds only unit_a's members)
    assert classes.count("<tr>") == 2


def test_a_long_list_of_dedicated_classes_is_cut_with_its_total(year_2025, db, auth, client,
                                                               monkeypatch):
    """Past the rows the page lists, one row counts the other dedicated classes and adds up
    their members (the export lists every class)."""
    w = year_2025
    for start in (date(2025, 8, 4), date(2025, 9, 1)):
        advance(new_case(w, unit="gunit", start=start), w, "certified", gap=7)
    db.session.commit()
    monkeypatch.setattr(achievement_view, "CLASSES_SHOWN", 1)
    auth.login(english(w, db, "federation_officer_a"))
    page = client.get("/reports/achievement?year=2025").text
    classes = re.search(r'id="classes">(.*?)</section>', page, re.S).group(1)
    assert classes.count("<tr>") == 2
    more = re.search(r'<tr class="mixed">(.*?)</tr>', classes, re.S).group(1)
    assert "1 more classes held only for members of enterprises without a Party" in more
    assert re.findall(r'<td class="num">(\d+)</td>', more) == ["1", "1", "1", "1"]


@pytest.mark.parametrize("key, lands", [("federation_officer_a", "/reports/achievement"),
                                        ("union_chair_a", "/reports/achievement"),
                                        ("administrator", "/reports/achievement"),
                                        ("party_officer_a", "/reports/party"),
                                        ("class_organiser_a", "/reports/party")])
def test_reports_menu_lands_on_the_side_of_the_user(world, db, auth, client, key, lands):
    auth.login(world.users[key].username)
    response = client.get("/reports/")
    assert response.status_code == 302 and response.headers["Location"].endswith(lands)


def test_summary_names_the_largest_joint_classes_and_counts_the_rest(app):
    from types import SimpleNamespace

    from referral_flow.reports.achievement import ClassRow, Figures
    from referral_flow.reports.achievement_view import NAMED_CLASSES, Report, summary
    node = SimpleNamespace(name="LĐLĐ tỉnh")
    rows = [ClassRow(SimpleNamespace(name=f"Lớp {i}", organiser=node, co_organiser="",
                                     starts_on=date(2024, 9, i), ends_on=date(2024, 9, i + 4),
                                     id=i), members=10 * i, without_party=10 * i,
                     non_state=10 * i, certified=10 * i, only_without_party=True)
            for i in range(1, 6)]
    rows.append(ClassRow(SimpleNamespace(name="Lớp hỗn hợp"), 80, 3, 3, 3, False))
    report = Report(node, Period(2024), [], Figures(introduced=2158, target=1950), [], None,
                    [], [], {}, [], 0, rows)
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        lines = summary(report)
    assert "2,158" in lines[0] and "110.7 %" in lines[0]
    named = [line for line in lines if line.startswith("LĐLĐ tỉnh ran")]
    assert len(named) == NAMED_CLASSES
    assert "“Lớp 5”" in named[0] and "(50, of whom 50 from non-state" in named[0]
    assert lines[-1] == ("2 more classes were held only for members from enterprises without "
                         "a Party organisation: “Lớp 2”, “Lớp 1” (30 members in all).")
    assert not any("hỗn hợp" in line for line in lines)
