"""Reorganising the trees (services/reorganisation.py and the node page's "Reorganise"
section): open work follows the successor on the effective date, finished cases and past
reports stay where they were, refused reorganisations change nothing."""
from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from referral_flow.extensions import db as _db
from referral_flow.models import (AuditEvent, Case, CaseMove, Organisation, RoleGrant, Target,
                                  Tree)
from referral_flow.reports.achievement import (Period, as_figures, by_child, children_of,
                                               period_figures)
from referral_flow.security import scoped_cases
from referral_flow.security.scope import UnionOrg, under
from referral_flow.services import organisations, reorganisation
from referral_flow.services.refused import Refused

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case

EFFECTIVE = date(2025, 7, 1)
REASON = "Nghị quyết 60-NQ/TW; Quyết định 123/QĐ-LĐLĐ ngày 20/6/2025"


@pytest.fixture
def history(world, db):
    """2024 work in both communes: two open cases, one finished; targets for 2024 and 2025."""
    cases = {
        "open_a": advance(new_case(world, "a", start=date(2024, 3, 1)), world, "accepted"),
        "done_a": advance(new_case(world, "a", start=date(2024, 4, 1)), world, "withdrawn"),
        "open_b": advance(new_case(world, "b", start=date(2024, 5, 2)), world, "nominated"),
    }
    db.session.add_all([Target(node_id=world["upper_a"].id, year=2024, target=4),
                        Target(node_id=world["upper_a"].id, year=2025, target=5),
                        Target(node_id=world["upper_b"].id, year=2025, target=3)])
    db.session.commit()
    return cases


def report_2024(world) -> dict:
    """The 2024 figures a federation officer reads: the province's and each commune's."""
    officer, federation = world.users["federation_officer_a"], world["federation"]
    period = Period(2024)
    total = as_figures(period_figures(officer, TODAY, under(UnionOrg, federation.path),
                                      period)[0])
    children = children_of(federation, period)
    return {"province": total, "children": by_child(officer, TODAY, federation, period,
                                                    children),
            "listed": [c.code for c in children]}


def new_commune(world, code="XA-MOI", kind="upper", parent="LDLD", tree=Tree.union):
    node = organisations.create_node(tree, kind=kind, code=code, name="Công đoàn xã Mới",
                                     opened_on=EFFECTIVE, parent_code=parent,
                                     actor_id=world.users["administrator"].id)
    _db.session.flush()
    return node


def test_a_merge_of_two_communes_moves_open_work_and_keeps_the_2024_report(world, db, history):
    before = report_2024(world)
    assert before["province"].introduced == 3
    admin = world.users["administrator"]
    commune = new_commune(world)
    outcome = reorganisation.merge(["UP-a", "UP-b"], commune, on=EFFECTIVE, today=TODAY,
                                   reason=REASON, actor=admin)
    db.session.commit()

    up_a, unit_a = world["upper_a"], world["unit_a"]
    assert up_a.closed_on == EFFECTIVE and up_a.successor == commune
    assert world["upper_b"].successor == commune
    # The CĐCS with cases keep their place (and past) under the old commune, continued by
    # successors under the new one; a CĐCS without history simply moves.
    twin = organisations.node_by_code("CDCS-a.2025")
    assert unit_a.successor == twin and twin.parent == commune and unit_a.parent == up_a
    assert twin.name == unit_a.name and twin.receiving_party == unit_a.receiving_party
    assert world["gunit_a"].parent == commune and world["gunit_a"].path.startswith(commune.path)
    # Open cases follow, with a move on the effective date; the finished one stays.
    assert history["open_a"].union_unit == twin and history["done_a"].union_unit == unit_a
    assert history["open_b"].union_unit.code == "CDCS-b.2025"
    move = db.session.scalar(select(CaseMove).where(CaseMove.case_id == history["open_a"].id))
    assert (move.moved_on, move.from_union_id, move.kind.value) == (EFFECTIVE, unit_a.id,
                                                                    "reorganisation")
    # Grants: the old one ends the day before, a new one starts on the successor.
    chair = world.users["union_chair_a"]
    grants = {(g.org.code, g.valid_from, g.valid_to) for g in chair.grants}
    assert grants == {("CDCS-a", date(2020, 1, 1), date(2025, 6, 30)),
                      ("CDCS-a.2025", EFFECTIVE, None)}
    officer_b = world.users["federation_officer_b"]
    assert {g.org.code for g in officer_b.active_grants(TODAY)} == {"XA-MOI"}
    # Targets of 2025 on: summed into the successor; 2024 stays.
    targets = dict(db.session.execute(select(Target.node_id, Target.target)
                                      .where(Target.year == 2025)).all())
    assert targets == {commune.id: 8}
    assert db.session.scalar(select(Target.target).where(Target.node_id == up_a.id,
                                                         Target.year == 2024)) == 4
    # The 2024 report is unchanged, at the province and per commune, each case once.
    after = report_2024(world)
    assert after == before
    assert sum(f.introduced for f in after["children"].values()) == 3
    # The successor's staff see the open case that moved, not the finished one.
    seen = set(db.session.scalars(scoped_cases(chair, TODAY).with_only_columns(Case.id)))
    assert seen == {history["open_a"].id}
    # One event for the operation, naming the nodes and counts.
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "merge")).one()
    assert event.subject == "organisation" and event.comment == REASON
    assert event.data["codes"] == ["UP-a", "UP-b"] and event.data["successor"] == "XA-MOI"
    assert event.data["counts"]["open cases"] == 2 == outcome.counts["open cases"]
    assert ["CDCS-a", "CDCS-a.2025"] in event.data["created"]


def test_a_later_period_counts_a_moved_case_once_under_its_new_place(world, db, history):
    officer, federation = world.users["federation_officer_a"], world["federation"]
    commune = new_commune(world)
    reorganisation.merge(["UP-a"], commune, on=EFFECTIVE, today=TODAY, reason=REASON,
                         actor=world.users["administrator"])
    db.session.commit()
    period = Period(2024, 4)     # placed on 31/12/2024: before the move
    figures = by_child(officer, TODAY, federation, period, children_of(federation, period))
    assert set(figures) <= {world["upper_a"].id, world["upper_b"].id}
    late = as_figures(period_figures(officer, TODAY, under(UnionOrg, commune.path),
                                     Period(2026))[0])
    assert late.introduced == 0     # 2024 introductions are not claimed by the new commune


def test_close_with_a_successor_moves_party_work(world, db, history):
    admin = world.users["administrator"]
    committee_a, committee_b = world["committee_a"], world["committee_b"]
    reorganisation.close_with_successor(committee_a, "DU-b", on=EFFECTIVE, today=TODAY,
                                        reason=REASON, actor=admin)
    db.session.commit()
    assert committee_a.closed_on == EFFECTIVE and committee_a.successor == committee_b
    case = history["open_a"]
    assert case.party_org == committee_b
    # Its cell had history (the case's host cell): continued under the successor.
    cell_twin = organisations.node_by_code("CB-a.2025")
    assert case.host_cell == cell_twin and cell_twin.parent == committee_b
    assert world["unit_a"].receiving_party == committee_b
    officer = world.users["party_officer_a"]
    assert {g.org.code for g in officer.active_grants(TODAY)} == {"DU-b"}
    assert history["done_a"].party_org == committee_a


def test_moving_a_node_with_history_creates_its_successor(world, db, history):
    admin = world.users["administrator"]
    unit_a = world["unit_a"]
    with pytest.raises(Refused) as refused:
        reorganisation.move_node(unit_a, "UP-b", new_code="", on=EFFECTIVE, today=TODAY,
                                 reason=REASON, actor=admin)
    assert "new_code" in refused.value.errors
    outcome = reorganisation.move_node(unit_a, "UP-b", new_code="CDCS-a-moi", on=EFFECTIVE,
                                       today=TODAY, reason=REASON, actor=admin)
    db.session.commit()
    successor = outcome.node
    assert successor.code == "CDCS-a-moi" and successor.parent == world["upper_b"]
    assert unit_a.parent == world["upper_a"] and unit_a.successor == successor
    assert history["open_a"].union_unit == successor
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "move",
                                                        AuditEvent.subject == "organisation")
                               ).one()
    assert event.data["parent"] == "UP-b" and event.data["codes"] == ["CDCS-a"]


def test_moving_a_node_without_history_re_parents_its_subtree(world, db):
    admin = world.users["administrator"]
    upper = new_commune(world, code="XA-CU")
    unit = organisations.create_node(Tree.union, kind="grassroots", code="CDCS-X", name="X",
                                     opened_on=EFFECTIVE, parent_code="XA-CU",
                                     enterprise_kind="fdi", actor_id=admin.id)
    other = organisations.create_node(Tree.union, kind="federation", code="LDLD-2",
                                      name="LĐLĐ khác", opened_on=date(2015, 1, 1),
                                      actor_id=admin.id)
    db.session.commit()
    outcome = reorganisation.move_node(upper, "LDLD-2", new_code="", on=TODAY, today=TODAY,
                                       reason=REASON, actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert outcome.node == upper and upper.parent == other and upper.closed_on is None
    assert upper.path == f"{other.path}{upper.id}/" and unit.path == f"{upper.path}{unit.id}/"
    assert outcome.counts["re-parented"] == 1


def _refused(call, field):
    events = _db.session.scalar(select(func.count(AuditEvent.id)))
    nodes = _db.session.scalar(select(func.count(Organisation.id)))
    with pytest.raises(Refused) as refused:
        call()
    _db.session.rollback()
    assert field in refused.value.errors
    assert _db.session.scalar(select(func.count(AuditEvent.id))) == events
    assert _db.session.scalar(select(func.count(Organisation.id))) == nodes
    with force_locale("en"):
        return str(refused.value)


@pytest.mark.parametrize("case", ["other tree", "closed", "cycle", "child", "before opening",
                                  "future", "level"])
def test_refused_reorganisations_change_nothing(world, db, history, case):
    admin = world.users["administrator"]
    kw = {"today": TODAY, "reason": REASON, "actor": admin}
    unit_a = world["unit_a"]
    if case == "other tree":
        message = _refused(lambda: reorganisation.close_with_successor(
            unit_a, "DU-b", on=EFFECTIVE, **kw), "successor_code")
        assert "same tree" in message
    elif case == "closed":
        world["unit_b"].closed_on = date(2025, 1, 1)
        db.session.commit()
        _refused(lambda: reorganisation.close_with_successor(
            unit_a, "CDCS-b", on=EFFECTIVE, **kw), "successor_code")
    elif case == "cycle":
        _refused(lambda: reorganisation.move_node(
            world["bloc_a"], "DU-a", new_code="X", on=EFFECTIVE, **kw), "parent_code")
    elif case == "child":
        _refused(lambda: reorganisation.merge(["UP-a"], unit_a, on=EFFECTIVE, **kw), "codes")
    elif case == "before opening":
        _refused(lambda: reorganisation.close_with_successor(
            unit_a, "CDCS-b", on=date(2014, 12, 31), **kw), "effective_on")
    elif case == "future":
        message = _refused(lambda: reorganisation.merge(
            ["CDCS-a"], world["unit_b"], on=date(2027, 1, 1), **kw), "effective_on")
        assert "future" in message
    else:
        _refused(lambda: reorganisation.close_with_successor(
            unit_a, "UP-b", on=EFFECTIVE, **kw), "successor_code")


# --- the screens ------------------------------------------------------------------------------

@pytest.fixture
def admin(world, client, auth):
    auth.login(world.users["administrator"].username)
    return client


def test_the_node_page_merges_and_refuses_in_vietnamese(admin, world, db, history):
    commune = new_commune(world)
    db.session.commit()
    url = f"/admin/organisations/{commune.id}"
    page = admin.get(url)
    assert "Tổ chức lại" in page.text
    token = csrf_token(page.text)
    refused = admin.post(f"{url}/merge", data={
        "csrf_token": token, "codes": "UP-a, UP-b", "effective_on": "01/01/2027",
        "reason": REASON})
    assert refused.status_code == 400 and "tương lai" in refused.text
    done = admin.post(f"{url}/merge", data={
        "csrf_token": token, "codes": "UP-a, UP-b", "effective_on": "01/07/2025",
        "reason": REASON}, follow_redirects=True)
    assert done.status_code == 200
    db.session.expire_all()
    assert world["upper_a"].successor_id == commune.id
    assert db.session.scalar(select(func.count(RoleGrant.id)).where(
        RoleGrant.org_id == organisations.node_by_code("CDCS-a.2025").id)) == 1
