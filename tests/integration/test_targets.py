"""Targets: the federation's bulk default and grid (roll-up, difference), the chair's plan,
audit, refused input, scope and bounded SQL."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from referral_flow.models import AuditEvent, EnterpriseKind, Target, Tree, UnionKind, UnitPlan
from tests import factories
from tests.conftest import counting, csrf_token
from tests.factories import TODAY


TARGET_INPUT = re.compile(r'name="rows-\d+-target"')


def _targets(db, year):
    return dict(db.session.execute(select(Target.node_id, Target.target)
                                   .where(Target.year == year)).all())


def _grid(client, node_id, year):
    return client.get(f"/targets/?node={node_id}&year={year}")


def _post_grid(client, node_id, year, values, page_html=None):
    page = page_html or _grid(client, node_id, year).text
    data = {"csrf_token": csrf_token(page), "node": node_id, "year": year}
    for i, (k, v) in enumerate(values.items()):
        data |= {f"rows-{i}-node_id": k, f"rows-{i}-target": v}
    return client.post("/targets/grid", data=data)


def _year():
    return TODAY.year        # a year always offered in the selector


def test_access(client, auth, world, db):
    y = _year()
    # a federation officer of the whole tree
    auth.login(world.users["federation_officer_a"].username)
    assert client.get("/targets/").status_code == 200
    assert _grid(client, world["upper_b"].id, y).status_code == 200
    auth.logout()
    # a federation officer of upper_b only: upper_a is outside his subtree
    auth.login(world.users["federation_officer_b"].username)
    assert _grid(client, world["upper_b"].id, y).status_code == 200
    assert _grid(client, world["upper_a"].id, y).status_code == 404
    assert _grid(client, world["federation"].id, y).status_code == 404
    page = _grid(client, world["upper_b"].id, y).text
    r = _post_grid(client, world["upper_a"].id, y, {world["unit_a"].id: "3"}, page)
    assert r.status_code == 404
    # a posted id that is not a child of the node is refused whole
    r = _post_grid(client, world["upper_b"].id, y, {world["unit_a"].id: "3"}, page)
    assert r.status_code == 400
    assert _targets(db, y) == {}
    auth.logout()
    # a chair: his unit's plan only
    auth.login(world.users["union_chair_a"].username)
    assert client.get("/targets/").status_code == 302
    assert client.get("/targets/plan").status_code == 200
    assert client.get(f"/targets/plan?unit={world['unit_b'].id}").status_code == 404
    assert client.get(f"/targets/?node={world['federation'].id}").status_code == 302
    page = client.get("/targets/plan").text
    r = client.post("/targets/plan", data={"csrf_token": csrf_token(page),
                                            "unit": world["unit_b"].id, "year": y,
                                            "planned": "2"})
    assert r.status_code == 404
    auth.logout()
    # everyone else
    for name in ("party_officer_a", "cell_secretary_a", "administrator"):
        auth.login(world.users[name].username)
        assert client.get("/targets/").status_code == 403
        assert client.get("/targets/plan").status_code == 403
        auth.logout()


def test_nav_entry(client, auth, world):
    auth.login(world.users["federation_officer_a"].username)
    assert 'href="/targets/"' in client.get("/cases/").text
    auth.logout()
    auth.login(world.users["party_officer_a"].username)
    assert 'href="/targets/"' not in client.get("/cases/").text


def test_bulk_default_sets_open_units_and_skips_closed(client, auth, world, db):
    y = _year()
    closed = factories.org("CDCS-CLOSED", Tree.union, UnionKind.grassroots.value,
                           parent=world["upper_a"], enterprise_kind=EnterpriseKind.fdi)
    closed.closed_on = date(2020, 1, 1)
    db.session.add(Target(node_id=world["unit_a"].id, year=y, target=5))
    db.session.commit()
    auth.login(world.users["federation_officer_a"].username)
    page = _grid(client, world["federation"].id, y).text
    r = client.post("/targets/bulk", data={"csrf_token": csrf_token(page), "node":
                                           world["federation"].id, "year": y, "value": "1"})
    assert r.status_code == 302
    got = _targets(db, y)
    assert got == {world["unit_a"].id: 5, world["gunit_a"].id: 1, world["unit_b"].id: 1,
                   world["gunit_b"].id: 1}
    assert closed.id not in got
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "target")).all()
    assert len(events) == 1
    assert events[0].data | {} == events[0].data
    assert events[0].data["inserted"] == 3 and events[0].data["value"] == 1
    # overwrite
    page = _grid(client, world["federation"].id, y).text
    client.post("/targets/bulk", data={"csrf_token": csrf_token(page), "node":
                                       world["federation"].id, "year": y, "value": "2",
                                       "overwrite": "y"})
    assert set(_targets(db, y).values()) == {2}
    # bad bulk input: translated message, nothing changed
    for bad in ("-1", "abc", "99999999999", "1.5", "<script>", "\x00", ""):
        page = _grid(client, world["federation"].id, y).text
        r = client.post("/targets/bulk", data={"csrf_token": csrf_token(page), "node":
                                               world["federation"].id, "year": y,
                                               "value": bad, "overwrite": "y"})
        assert r.status_code == 400, bad
        assert set(_targets(db, y).values()) == {2}
    # without CSRF
    r = client.post("/targets/bulk", data={"node": world["federation"].id, "year": y,
                                           "value": "7", "overwrite": "y"})
    assert r.status_code == 400
    assert set(_targets(db, y).values()) == {2}


def test_rollup_and_difference_on_three_levels(client, auth, world, db):
    y = _year()
    w = world
    for node, value in ((w["federation"], 10), (w["upper_a"], 3), (w["upper_b"], 2),
                        (w["unit_a"], 1), (w["gunit_a"], 2), (w["unit_b"], 1),
                        (w["gunit_b"], 1)):
        db.session.add(Target(node_id=node.id, year=y, target=value))
    db.session.commit()
    auth.login(w.users["federation_officer_a"].username)
    html = _grid(client, w["federation"].id, y).text
    # federation: own 10, CĐCS sum 5, difference +5; upper_a matches (3), upper_b 2 vs 2
    assert "+5" in html
    assert html.count("badge ok-badge") == 2
    html = _grid(client, w["upper_a"].id, y).text
    assert "+0" not in html and "badge diff" not in html
    db.session.execute(Target.__table__.update().where(
        Target.node_id == w["upper_b"].id).values(target=4))
    db.session.commit()
    html = _grid(client, w["federation"].id, y).text
    assert "+2" in html and html.count("badge ok-badge") == 1
    # the service too
    from referral_flow.services.targets import rollup
    sums = rollup([w["federation"].id, w["upper_a"].id, w["upper_b"].id], y,
                  TODAY)
    assert sums[w["federation"].id] == (5, 4, 4)
    assert sums[w["upper_a"].id] == (3, 2, 2)


def test_grid_save_and_audit(client, auth, world, db):
    y = _year()
    w = world
    db.session.add(Target(node_id=w["upper_b"].id, year=y, target=4))
    db.session.commit()
    auth.login(w.users["federation_officer_a"].username)
    r = _post_grid(client, w["federation"].id, y,
                   {w["upper_a"].id: " 7 ", w["upper_b"].id: "4"})
    assert r.status_code == 302
    assert _targets(db, y) == {w["upper_a"].id: 7, w["upper_b"].id: 4}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "target")).all()
    assert [e.data for e in events] == [
        {"node_id": w["upper_a"].id, "year": y, "old": None, "new": 7}]
    r = _post_grid(client, w["federation"].id, y, {w["upper_a"].id: "0"})
    assert _targets(db, y)[w["upper_a"].id] == 0
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.data == {"node_id": w["upper_a"].id, "year": y, "old": 7, "new": 0}
    assert last.actor_id == w.users["federation_officer_a"].id


@pytest.mark.parametrize("bad", ["-1", "abc", "1e3", "99999999999999999999", "1.5",
                                 "٣", "<b>1</b>", "1\x00", "１"])
def test_grid_bad_input_saves_nothing(client, auth, world, db, bad):
    y = _year()
    w = world
    auth.login(w.users["federation_officer_a"].username)
    r = _post_grid(client, w["federation"].id, y, {w["upper_a"].id: "3", w["upper_b"].id: bad})
    assert r.status_code == 400
    assert "0 đến" in r.text or "0 to" in r.text
    assert _targets(db, y) == {}
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.subject == "target")) is None


def test_grid_bad_year_and_node(client, auth, world, db):
    w = world
    auth.login(w.users["federation_officer_a"].username)
    page = _grid(client, w["federation"].id, _year()).text
    # A year the form cannot have sent is bad input (400); a node that is not a union node
    # of his is out of scope (404).
    for node, year, status in ((w["federation"].id, "abc", 400),
                               (w["federation"].id, "1800", 400),
                               ("x", _year(), 404), ("99999999999999", _year(), 404),
                               (w["cell_a"].id, _year(), 404)):
        r = client.post("/targets/grid", data={"csrf_token": csrf_token(page), "node": node,
                                               "year": year, "rows-0-node_id": w["upper_a"].id,
                                               "rows-0-target": "1"})
        assert r.status_code == status, (node, year)
    assert _grid(client, "abc", "zzz").status_code == 404
    assert _grid(client, w["federation"].id, "zzz").status_code == 200
    assert _targets(db, _year()) == {}


def test_chair_plan(client, auth, world, db):
    y = _year()
    w = world
    db.session.add(Target(node_id=w["unit_a"].id, year=y, target=3))
    db.session.commit()
    auth.login(w.users["union_chair_a"].username)
    page = client.get(f"/targets/plan?year={y}")
    assert page.status_code == 200 and ">3<" in page.text
    r = client.post("/targets/plan", data={"csrf_token": csrf_token(page.text),
                                            "unit": w["unit_a"].id, "year": y,
                                            "planned": "2", "note": "Quý III"})
    assert r.status_code == 302
    plan = db.session.scalars(select(UnitPlan)).one()
    assert (plan.unit_id, plan.year, plan.planned, plan.note) == (w["unit_a"].id, y, 2, "Quý III")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "unit_plan")).one()
    assert event.data["old"] is None and event.data["new"] == 2
    for bad in ("-2", "x", "10000000", ""):
        page = client.get(f"/targets/plan?year={y}").text
        r = client.post("/targets/plan", data={"csrf_token": csrf_token(page),
                                                "unit": w["unit_a"].id, "year": y,
                                                "planned": bad})
        assert r.status_code == 400, bad
    page = client.get(f"/targets/plan?year={y}").text
    r = client.post("/targets/plan", data={"csrf_token": csrf_token(page),
                                            "unit": w["unit_a"].id, "year": y,
                                            "planned": "1", "note": "a\u200bb"})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.scalars(select(UnitPlan)).one().planned == 2


def _many_units(world, n, prefix="N"):
    for i in range(n):
        factories.org(f"CDCS-{prefix}{i}", Tree.union, UnionKind.grassroots.value,
                      parent=world["upper_a"], enterprise_kind=EnterpriseKind.non_state)


def test_grid_statements_bounded(app, client, auth, world, db):
    """The grid costs the same number of statements for 20 and for 300 CĐCS."""
    auth.login(world.users["federation_officer_a"].username)
    y = _year()
    urls = [f"/targets/?node={world['upper_a'].id}&year={y}",
            f"/targets/?node={world['federation'].id}&year={y}"]
    counts = []
    for n in (20, 280):
        _many_units(world, n, prefix=f"N{n}-")
        db.session.commit()
        with counting(app, db) as seen:
            for url in urls:
                assert client.get(url).status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 24, counts


def test_grid_paginates_at_100(client, auth, world, db):
    _many_units(world, 120)
    db.session.commit()
    auth.login(world.users["federation_officer_a"].username)
    html = client.get(f"/targets/?node={world['upper_a'].id}&year={_year()}").text
    assert len(TARGET_INPUT.findall(html)) == 100
    html = client.get(f"/targets/?node={world['upper_a'].id}&year={_year()}&page=2").text
    assert len(TARGET_INPUT.findall(html)) == 22
