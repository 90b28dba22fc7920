"""The live workflow diagram (/workflow/): drawn from the machine, counted in scope."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from referral_flow.models import Case, Role
from referral_flow.security import scoped_cases
from referral_flow.workflow.states import STATES
from referral_flow.workflow.transitions import TRANSITIONS
from referral_flow.workflow_view import diagram

from ..conftest import counting
from ..factories import TODAY, advance, new_case, user

SVG = "{http://www.w3.org/2000/svg}"
NEEDS_DOT = pytest.mark.skipif(diagram.dot_binary() is None,
                               reason="Graphviz `dot` is not installed: apt-get install graphviz")
ROW = re.compile(r'<a href="/cases/\?state=(\w+)">[^<]*</a></th>\s*<td class="num">(\d+)</td>')


@pytest.fixture(autouse=True)
def fresh_cache():
    diagram.clear_cache()
    yield
    diagram.clear_cache()


def expected_edges() -> set[tuple[str, str, str]]:
    """From the transition table itself (the machine is built from it)."""
    return {(t.trigger, s, t.dest) for t in TRANSITIONS for s in t.source}


def svg_of(html: str) -> ET.Element:
    m = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert m, "no inline SVG in the page"
    return ET.fromstring(m.group(0))


def table_counts(html: str) -> dict[str, int]:
    return {state: int(n) for state, n in ROW.findall(html)}


@pytest.fixture
def spread(world, db):
    """Cases on both sides of the world, in several states."""
    cases = []
    for side, states in (("a", ("draft", "nominated", "nominated", "certified", "probation")),
                         ("b", ("nominated", "dossier", "official"))):
        for state in states:
            case = new_case(world, side)
            if state != "draft":
                advance(case, world, state)
            cases.append(case)
    db.session.commit()
    return cases


def test_dot_source_has_every_state_and_every_trigger_edge(app):
    with app.test_request_context():
        nodes, edges = diagram.graph({})
        hrefs = {n.id: f"/cases/?state={n.id}" for n in nodes}
        source = diagram.dot_source(nodes, edges, hrefs, {n.id: "0" for n in nodes})
    assert set(re.findall(r'\[id="state-(\w+)"', source)) == set(STATES)
    found = set(re.findall(r'"(\w+)" -> "(\w+)" \[id="edge-(\w+)-', source))
    assert {(t, s, d) for s, d, t in found} == expected_edges()
    assert {t for t, _, _ in expected_edges()} == {e.trigger for e in edges}


@NEEDS_DOT
def test_svg_has_every_state_and_edge_each_node_links_to_the_case_list(world, auth, client):
    auth.login(world.users["administrator"].username)
    page = client.get("/workflow/")
    assert page.status_code == 200
    root = svg_of(page.text)
    # Plain SVG names a browser draws (not "ns0:svg", whatever another library registered).
    assert re.search(r'<svg [^>]*class="workflow-svg"', page.text) and "ns0:" not in page.text
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    assert {i[len("state-"):] for i in groups if i.startswith("state-")} == set(STATES)
    edges = {tuple(i.split("-")[1:]) for i in groups if i.startswith("edge-")}
    assert edges == expected_edges()
    for state in STATES:
        links = [a.get("href") for a in groups[f"state-{state}"].iter(f"{SVG}a")]
        assert links == [f"/cases/?state={state}"]
    # CSP: no inline style or script, nothing but drawing elements.
    assert "style=" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}foreignObject"))
    # The link leads to the filtered case list.
    assert client.get("/cases/?state=nominated").status_code == 200


@pytest.mark.parametrize("key", ["union_chair_a", "party_officer_b", "administrator"])
def test_counts_are_the_scoped_counts(world, db, auth, client, spread, key):
    viewer = world.users[key]
    expected = dict.fromkeys(STATES, 0) | dict(db.session.execute(
        scoped_cases(viewer, TODAY, select(Case.state, func.count(Case.id)))
        .group_by(Case.state)).all())
    auth.login(viewer.username)
    page = client.get("/workflow/")
    assert page.status_code == 200
    assert table_counts(page.text) == expected
    if diagram.dot_binary():
        root = svg_of(page.text)
        for g in root.iter(f"{SVG}g"):
            if (g.get("id") or "").startswith("state-"):
                text = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
                assert re.search(rf"\b{expected[g.get('id')[6:]]}\b", text)


def test_a_case_outside_the_scope_is_not_counted(world, db, auth, client, spread):
    chair_a, officer_b = world.users["union_chair_a"], world.users["party_officer_b"]
    auth.login(chair_a.username)
    a = table_counts(client.get("/workflow/").text)
    assert a["nominated"] == 2 and a["dossier"] == 0 and a["official"] == 0
    auth.logout()
    auth.login(officer_b.username)
    b = table_counts(client.get("/workflow/").text)
    assert b["nominated"] == 1 and b["dossier"] == 1 and b["draft"] == 0
    # One more case on side b changes b's numbers only.
    advance(new_case(world, "b"), world, "nominated")
    db.session.commit()
    assert table_counts(client.get("/workflow/").text)["nominated"] == 2
    auth.logout()
    auth.login(chair_a.username)
    assert table_counts(client.get("/workflow/").text)["nominated"] == 2


def test_without_dot_the_page_falls_back_to_tables(world, auth, client, spread, monkeypatch):
    monkeypatch.setattr(diagram, "dot_binary", lambda: None)
    auth.login(world.users["administrator"].username)
    page = client.get("/workflow/")
    assert page.status_code == 200
    assert "<svg" not in page.text and 'role="status"' in page.text
    assert table_counts(page.text)["nominated"] == 3
    assert "<details class=\"card\" open>" in page.text
    for t in TRANSITIONS:
        assert str(t.label) in page.text


def test_a_failing_dot_falls_back_too(world, auth, client, monkeypatch):
    monkeypatch.setattr(diagram, "dot_binary", lambda: "/bin/false")
    auth.login(world.users["administrator"].username)
    page = client.get("/workflow/")
    assert page.status_code == 200 and "<svg" not in page.text


@NEEDS_DOT
def test_labels_are_escaped(world, auth, client, monkeypatch):
    monkeypatch.setitem(STATES, "draft", 'Nháp "<script>alert(1)</script>" \\ & <b>')
    auth.login(world.users["administrator"].username)
    page = client.get("/workflow/")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<b>" not in page.text
    svg_of(page.text)       # still well-formed


@NEEDS_DOT
def test_the_svg_is_cached_per_locale_and_counts(world, auth, client, monkeypatch):
    auth.login(world.users["administrator"].username)
    client.get("/workflow/")
    calls = []
    real = diagram.subprocess.run
    monkeypatch.setattr(diagram.subprocess, "run", lambda *a, **k: calls.append(1) or real(*a, **k))
    client.get("/workflow/")
    assert calls == []


def test_anonymous_is_sent_to_login(client):
    page = client.get("/workflow/")
    assert page.status_code == 302 and "/login" in page.location


def test_members_are_refused_and_see_no_menu_entry(world, db, auth, client):
    case = new_case(world)
    me = user(Role.member, None, member_id=case.member_id)
    db.session.commit()
    auth.login(me.username)
    assert client.get("/workflow/").status_code == 403
    assert 'href="/workflow/"' not in client.get("/me/").text


def test_staff_see_the_menu_entry(world, auth, client):
    auth.login(world.users["cell_secretary_a"].username)
    assert 'href="/workflow/"' in client.get("/inbox/").text


def _statements(app, db, client) -> int:
    with counting(app, db) as seen:
        assert client.get("/workflow/").status_code == 200
    return len(seen)


def test_bounded_sql_statements(app, world, db, auth, client):
    auth.login(world.users["administrator"].username)
    for _ in range(5):
        new_case(world)
    db.session.commit()
    five = _statements(app, db, client)
    for i in range(55):
        case = new_case(world, "ab"[i % 2])
        if i % 5 == 0:
            advance(case, world, "nominated")
    db.session.commit()
    assert _statements(app, db, client) == five
