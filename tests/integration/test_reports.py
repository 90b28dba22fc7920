"""Reports: the cohort view (of those introduced in Y) vs period counts, and the Party-side
dashboard; scoped, aggregate SQL with a bounded number of statements."""
from __future__ import annotations

import re
import statistics
from datetime import date, timedelta

import pytest

from referral_flow.models import Role
from referral_flow.reports.queries import percentile_summary
from referral_flow.workflow.calendar import WorkingCalendar

from ..conftest import counting
from ..factories import TODAY, advance, new_case, user

START = date(2025, 3, 3)        # a Monday; the drafts of cohort 2025
# The states a case passes through on the way to "admitted", in order (cell_a is under
# the grassroots committee_a, so the committee review is a step of its own).
TO_ADMITTED = ["nominated", "accepted", "in_class", "certified", "dossier", "cell_review",
               "committee_review", "decision_pending", "admitted"]
GAPS = [5, 7, 10, 14]


@pytest.fixture
def frozen(app):
    app.config["FROZEN_TODAY"] = TODAY
    return TODAY


def expected_days(gap: int, start: date = START) -> dict[str, int]:
    """Working days spent in each left step when every step is ``gap`` calendar days
    after the previous one: entered on start + k*gap, left on start + (k+1)*gap."""
    cal = WorkingCalendar()
    out = {}
    for k, state in enumerate(TO_ADMITTED[:-1], start=1):
        out[state] = cal.between(start + timedelta(days=k * gap),
                                 start + timedelta(days=(k + 1) * gap))
    return out


@pytest.fixture
def cohort(world, db, frozen):
    """Cohort 2025 of side a: four admitted (different paces), one certified, one still a
    draft (not introduced: not in the cohort). Outside it: a 2024 case admitted in 2025
    (a period count, not the cohort) and a side-b case (outside union_chair_a's scope)."""
    cases = {}
    for gap in GAPS:
        cases[f"admitted_{gap}"] = advance(new_case(world, start=START), world, "admitted",
                                           gap=gap)
    cases["certified"] = advance(new_case(world, start=START), world, "certified", gap=7)
    cases["draft"] = new_case(world, start=START)
    cases["older"] = advance(new_case(world, start=date(2024, 10, 1)), world, "admitted",
                             gap=14)
    cases["other_side"] = advance(new_case(world, "b", start=START), world, "admitted", gap=7)
    db.session.commit()
    return cases


def cell(page: str, state: str, col: str) -> str:
    row = re.search(rf'<tr data-state="{state}">(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'data-col="{col}">(.*?)</td>', row, re.S).group(1).strip()


def period(page: str, key: str) -> str:
    row = re.search(rf'<tr data-period="{key}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="num">(.*?)</td>', row)[0]


def number(text: str) -> float | None:
    return None if "–" in text else float(text.replace(".", "").replace(",", "."))


def test_cohort_counts_reached_steps_and_working_days(world, db, auth, client, cohort):
    auth.login(world.users["union_chair_a"].username)
    page = client.get("/reports/cohort?year=2025").text
    # five introduced in 2025 in scope (the draft is not introduced, side b is not in scope)
    assert 'id="cohort-size">5<' in page
    assert cell(page, "nominated", "reached") == "5"
    assert cell(page, "certified", "reached") == "5"
    assert cell(page, "dossier", "reached") == "4"
    assert cell(page, "admitted", "reached") == "4"
    assert 'id="cohort-admitted">4<' in page
    assert cell(page, "probation", "reached") == "0"
    # durations: the four admitted cases plus the certified one (gap 7) for its first steps
    per_gap = {gap: expected_days(gap) for gap in GAPS}
    for state in TO_ADMITTED[:-1]:
        values = [per_gap[g][state] for g in GAPS]
        if state in ("nominated", "accepted", "in_class"):
            values.append(per_gap[7][state])       # the certified case has left these
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
        assert number(cell(page, state, "median")) == pytest.approx(median, abs=0.01), state
        assert number(cell(page, state, "p90")) == pytest.approx(p90, abs=0.01), state
    assert cell(page, "admitted", "median").count("–") == 1      # nobody has left it


def test_hand_checked_durations():
    """A step of 7 calendar days from a Monday is 5 working days; 28/4 -> 5/5/2025
    spans the 30/4 and 1/5 holidays and the 2/5 swap day: 29/4 and 5/5 only."""
    assert expected_days(7)["nominated"] == 5
    cal = WorkingCalendar()
    index = cal.index(date(2025, 4, 20), date(2025, 5, 10))
    assert index[date(2025, 5, 5)] - index[date(2025, 4, 28)] == 2
    assert percentile_summary([]) == (None, None)
    assert percentile_summary([7]) == (7.0, 7.0)
    assert percentile_summary([1, 2, 3, 4, 10]) == (3.0, statistics.quantiles(
        [1, 2, 3, 4, 10], n=10, method="inclusive")[8])


def english(world, db, key):
    world.users[key].locale = "en"
    db.session.commit()
    return world.users[key].username


def test_period_counts_differ_from_cohort_and_are_labelled(world, db, auth, client, cohort):
    auth.login(english(world, db, "union_chair_a"))
    page = client.get("/reports/cohort?year=2025").text
    # the 2024 case admitted in 2025 is a 2025 period count but not of cohort 2025
    assert period(page, "admitted") == "5"
    assert cell(page, "admitted", "reached") == "4"
    assert period(page, "nominated") == "5"     # the 2024 case was nominated in 2024
    assert period(page, "in_class") == "5"      # and sent to class in 2024 (14-day steps)
    assert "Cohort 2025: of those introduced in 2025" in page
    assert "Period counts for 2025" in page
    assert "includes people introduced in earlier years" in page


def test_cohort_labels_in_vietnamese(world, db, auth, client, cohort):
    auth.login(world.users["union_chair_a"].username)
    page = client.get("/reports/cohort?year=2025").text
    assert "nhóm giới thiệu năm 2025" in page.lower()
    assert "số liệu trong kỳ" in page.lower()


def test_scope_a_case_outside_is_not_counted(world, db, auth, client, cohort):
    auth.login(world.users["administrator"].username)
    page = client.get("/reports/cohort?year=2025").text
    assert cell(page, "admitted", "reached") == "5"           # side b counted for the admin
    node = world["unit_b"].id
    page = client.get(f"/reports/cohort?year=2025&node={node}").text
    assert cell(page, "nominated", "reached") == "1"          # the node filter
    auth.logout()
    auth.login(world.users["union_chair_a"].username)
    page = client.get(f"/reports/cohort?year=2025&node={node}").text
    assert cell(page, "nominated", "reached") == "5"          # a node outside: ignored
    assert cell(page, "admitted", "reached") == "4"


def test_party_dashboard_orders_overdue_first_with_working_days(world, db, auth, client,
                                                                frozen):
    cal = WorkingCalendar()
    # decision due 60 working days after the cell resolution: one long overdue, one
    # recent (days left), one a little overdue; a side-b case outside the node.
    overdue = advance(new_case(world, start=TODAY - timedelta(days=400)), world,
                      "decision_pending", gap=10)
    recent = advance(new_case(world, start=TODAY - timedelta(days=100)), world,
                     "decision_pending", gap=5)
    late = advance(new_case(world, start=TODAY - timedelta(days=250)), world,
                   "decision_pending", gap=10)
    other = advance(new_case(world, "b", start=TODAY - timedelta(days=400)), world,
                    "decision_pending", gap=10)
    admitted = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "admitted",
                       gap=10)
    db.session.commit()
    auth.login(english(world, db, "competent_officer_a"))
    page = client.get("/reports/party").text
    section = re.search(r'id="due-decision_pending">(.*?)</section>', page, re.S).group(1)
    order = [int(i) for i in re.findall(r'data-case="(\d+)"', section)]
    assert order == [overdue.id, late.id, recent.id]
    assert other.id not in order
    due = cal.add(overdue.cell_resolution_on, 60)
    assert f"overdue by {cal.between(due, TODAY)} working days" in section
    due = cal.add(recent.cell_resolution_on, 60)
    assert f"{cal.between(TODAY, due)} working days left" in section
    ceremony = re.search(r'id="due-admitted">(.*?)</section>', page, re.S).group(1)
    assert f'data-case="{admitted.id}"' in ceremony
    counts = re.search(r'id="state-counts">(.*?)</table>', page, re.S).group(1)
    assert re.search(r'data-state="decision_pending">.*?>3</td>', counts, re.S)
    assert "/cases/?state=decision_pending" in counts


def test_party_dashboard_node_outside_scope_is_404(world, db, auth, client, frozen):
    """As the achievement and targets pages: a node outside the user's Party grants, of the
    union tree, unknown or not a number is 404, never another node's figures."""
    other = advance(new_case(world, "b", start=TODAY - timedelta(days=400)), world,
                    "decision_pending", gap=10)
    db.session.commit()
    auth.login(world.users["competent_officer_a"].username)
    for node in (world["bloc_b"].id, world["federation"].id, 99999999999999, "abc", "-1"):
        assert client.get(f"/reports/party?node={node}").status_code == 404, node
    page = client.get(f"/reports/party?node={world['committee_a'].id}")
    assert page.status_code == 200                          # below the grant: in scope
    assert f'data-case="{other.id}"' not in page.text


def test_party_dashboard_leaves_out_the_unions_drafts(world, db, auth, client, frozen):
    """A draft is the union's, not yet sent to the Party: not in the Party's counts."""
    drafts = [new_case(world, start=TODAY - timedelta(days=30)) for _ in range(2)]
    sent = advance(new_case(world, start=TODAY - timedelta(days=30)), world, "nominated")
    db.session.commit()
    assert {c.state for c in drafts} == {"draft"} and drafts[0].party_org_id == sent.party_org_id
    auth.login(english(world, db, "competent_officer_a"))
    counts = re.search(r'id="state-counts">(.*?)</table>', client.get("/reports/party").text,
                       re.S).group(1)
    assert re.findall(r'data-state="(\w+)"', counts) == ["nominated"]
    assert re.search(r'data-state="nominated">.*?>1</td>', counts, re.S)


def test_access(world, db, auth, client, frozen):
    assert client.get("/reports/cohort").status_code == 302
    assert "/login" in client.get("/reports/party").headers["Location"]
    case = new_case(world)
    db.session.commit()
    me = user(Role.member, None, member_id=case.member_id, username="ungvien_reports")
    db.session.commit()
    auth.login(me.username)
    assert client.get("/reports/cohort").status_code == 403
    assert client.get("/reports/party").status_code == 403
    assert "/reports/" not in client.get("/me/").text


@pytest.mark.parametrize("page", ["/reports/cohort?year=2025", "/reports/party"])
def test_bounded_statements(world, db, auth, client, frozen, request, page):
    app = request.getfixturevalue("app")
    auth.login(world.users["administrator"].username)
    seen_counts = []
    made = 0
    for n in (5, 50):
        for i in range(n - made):
            state = ("decision_pending", "admitted", "probation", "certified")[i % 4]
            advance(new_case(world, start=START), world, state, gap=7)
        made = n
        with counting(app, db) as seen:
            assert client.get(page).status_code == 200
        seen_counts.append(len(seen))
    assert seen_counts[0] == seen_counts[1], seen_counts
    assert seen_counts[1] <= 20, seen_counts
