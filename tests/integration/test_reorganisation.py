"""Reorganising the trees (services/reorganisation.py and the node page's "Reorganise"
section): open work follows the successor on the effective date, finished cases and past
reports stay where they were, refused reorganisations change nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from referral_flow.extensions import db as _db
from referral_flow.demo_steps import step_data
from referral_flow.models import (AuditEvent, Case, CaseMove, Organisation, OrganisationMove,
                                  PartyMember, RoleGrant, Target, Tree, UnitPlan)
from referral_flow.reports.achievement import (Period, as_figures, by_child, children_of,
                                               period_figures, within)
from referral_flow.reports.queries import cohort_table, period_counts
from referral_flow.security import scoped_cases
from referral_flow.security.tree_on import node_path_on
from referral_flow.services import organisations, reorganisation
from referral_flow.services.refused import Refused
from referral_flow.services.transitions import fire
from referral_flow.workflow.calendar import load_calendar
from referral_flow.workflow.roster import official_count

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


def report(world, year: int, node="federation") -> dict:
    """The figures a federation officer reads for ``year``: the node's total and each
    child's (the children of the period), as the achievement dashboard gathers them."""
    officer, top = world.users["federation_officer_a"], world[node]
    period = Period(year)
    total = as_figures(period_figures(officer, TODAY, within(top, period), period)[0])
    children = children_of(top, period)
    return {"total": total, "children": by_child(officer, TODAY, top, period, children),
            "listed": [c.code for c in children]}


def cohort(world, year: int, node="federation"):
    """The cohort page's figures for ``year`` (size, steps reached, the period counts)."""
    officer = world.users["federation_officer_a"]
    size, rows, ends = cohort_table(officer, TODAY, year, world[node], load_calendar())
    return size, [(r.state, r.reached) for r in rows], ends, period_counts(officer, TODAY,
                                                                            year, world[node])


def new_commune(world, code="XA-MOI", kind="upper", parent="LDLD", tree=Tree.union):
    node = organisations.create_node(tree, kind=kind, code=code, name="Công đoàn xã Mới",
                                     opened_on=EFFECTIVE, parent_code=parent,
                                     actor_id=world.users["administrator"].id)
    _db.session.flush()
    return node


def test_a_merge_of_two_communes_moves_open_work_and_keeps_the_2024_report(world, db, history):
    before = {"province": report(world, 2024), "a": report(world, 2024, "upper_a"),
              "b": report(world, 2024, "upper_b")}
    assert before["province"]["total"].introduced == 3
    assert before["a"]["listed"] == ["CDCS-G-a", "CDCS-a"]
    admin = world.users["administrator"]
    commune = new_commune(world)
    outcome = reorganisation.merge(["UP-a", "UP-b"], commune, on=EFFECTIVE, today=TODAY,
                                   reason=REASON, actor=admin)
    db.session.commit()

    up_a, unit_a = world["upper_a"], world["unit_a"]
    assert up_a.closed_on == EFFECTIVE and up_a.successor == commune
    assert world["upper_b"].successor == commune
    # The CĐCS go under the new commune as they are: same node, code, members, cases.
    for key in ("unit_a", "gunit_a", "unit_b", "gunit_b"):
        assert world[key].parent == commune and world[key].path.startswith(commune.path)
        assert world[key].closed_on is None
    assert unit_a.code == "CDCS-a" and history["open_a"].union_unit == unit_a
    assert outcome.counts["re-parented"] == 4
    # The communes' officer now reaches the open cases there, through the new commune.
    officer_b = world.users["federation_officer_b"]
    assert {g.org.code for g in officer_b.active_grants(TODAY)} == {"XA-MOI"}
    seen = set(db.session.scalars(scoped_cases(officer_b, TODAY).with_only_columns(Case.id)
                                  .where(Case.state.not_in(["withdrawn"]))))
    assert seen == {history["open_a"].id, history["open_b"].id}
    # The grants on the CĐCS are untouched: same organisation.
    chair = world.users["union_chair_a"]
    assert {(g.org.code, g.valid_to) for g in chair.grants} == {("CDCS-a", None)}
    # Targets of 2025 on: summed into the successor; 2024 stays.
    targets = dict(db.session.execute(select(Target.node_id, Target.target)
                                      .where(Target.year == 2025)).all())
    assert targets == {commune.id: 8}
    assert db.session.scalar(select(Target.target).where(Target.node_id == up_a.id,
                                                         Target.year == 2024)) == 4
    # The 2024 report is unchanged, at the province and in each commune, each case once.
    after = {"province": report(world, 2024), "a": report(world, 2024, "upper_a"),
             "b": report(world, 2024, "upper_b")}
    assert after == before
    assert sum(f.introduced for f in after["province"]["children"].values()) == 3
    # One event for the operation, naming the nodes and counts.
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "merge")).one()
    assert event.subject == "organisation" and event.comment == REASON
    assert event.data["codes"] == ["UP-a", "UP-b"] and event.data["successor"] == "XA-MOI"
    assert event.data["counts"]["re-parented"] == 4


def test_a_merge_of_two_party_committees_moves_their_open_cases(world, db, history):
    """The receiving committees merge: the open cases they received follow the successor
    (a move on the effective date), the finished one stays."""
    admin = world.users["administrator"]
    committee_a, committee_b = world["committee_a"], world["committee_b"]
    reorganisation.merge(["DU-a"], committee_b, on=EFFECTIVE, today=TODAY, reason=REASON,
                         actor=admin)
    db.session.commit()
    assert history["open_a"].party_org == committee_b
    assert history["done_a"].party_org == committee_a
    move = db.session.scalar(select(CaseMove).where(CaseMove.case_id == history["open_a"].id))
    assert (move.moved_on, move.from_party_id, move.kind.value) == (EFFECTIVE, committee_a.id,
                                                                    "reorganisation")


def test_a_later_period_counts_a_moved_case_once_under_its_new_place(world, db, history):
    officer, federation = world.users["federation_officer_a"], world["federation"]
    commune = new_commune(world)
    reorganisation.merge(["UP-a"], commune, on=EFFECTIVE, today=TODAY, reason=REASON,
                         actor=world.users["administrator"])
    db.session.commit()
    period = Period(2024, 4)     # placed on 31/12/2024: before the move
    figures = by_child(officer, TODAY, federation, period, children_of(federation, period))
    assert set(figures) <= {world["upper_a"].id, world["upper_b"].id}
    late = as_figures(period_figures(officer, TODAY, within(commune, Period(2026)),
                                     Period(2026))[0])
    assert late.introduced == 0     # 2024 introductions are not claimed by the new commune


def test_close_with_a_successor_moves_party_work(world, db, history):
    admin = world.users["administrator"]
    committee_a, committee_b, cell_a = world["committee_a"], world["committee_b"], world["cell_a"]
    old_path = cell_a.path
    reorganisation.close_with_successor(committee_a, "DU-b", on=EFFECTIVE, today=TODAY,
                                        reason=REASON, actor=admin)
    db.session.commit()
    assert committee_a.closed_on == EFFECTIVE and committee_a.successor == committee_b
    case = history["open_a"]
    assert case.party_org == committee_b
    # Its cell goes under the successor as it is: the same cell hosts the case.
    assert case.host_cell == cell_a and cell_a.parent == committee_b
    assert cell_a.code == "CB-a" and cell_a.closed_on is None
    assert node_path_on(cell_a, EFFECTIVE - timedelta(days=1)) == old_path
    assert node_path_on(cell_a, EFFECTIVE) == cell_a.path == f"{committee_b.path}{cell_a.id}/"
    assert world["unit_a"].receiving_party == committee_b
    officer = world.users["party_officer_a"]
    assert {g.org.code for g in officer.active_grants(TODAY)} == {"DU-b"}
    assert history["done_a"].party_org == committee_a


def _enrol_in_2026(world, case):
    on = date(2026, 3, 2)
    data, comment = step_data("enroll", case, on, world.cells)
    fire(case, "enroll", None, expected_version=case.version, data=data, comment=comment,
         on=on, today=TODAY, check_permission=False)


def test_moving_a_cdcs_keeps_the_node_and_its_district_s_past_reports(world, db, history):
    """A CĐCS with 2024 cases moves from its district federation (UP-a) to a commune union:
    the same node, and the district's and the province's 2024 achievement and cohort figures
    do not change; from then on its open cases count under the commune."""
    admin, unit_a = world.users["administrator"], world["unit_a"]
    node_id, old_path = unit_a.id, unit_a.path
    reports = lambda: {node: (report(world, 2024, node), cohort(world, 2024, node))  # noqa: E731
                       for node in ("federation", "upper_a")}
    before = reports()
    assert before["upper_a"][0]["total"].introduced == 2
    assert before["upper_a"][1][0] == 2
    commune = new_commune(world)
    outcome = reorganisation.move_node(unit_a, "XA-MOI", on=EFFECTIVE, today=TODAY,
                                       reason=REASON, actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert outcome.node.id == node_id and unit_a.code == "CDCS-a" and unit_a.closed_on is None
    assert unit_a.parent == commune and unit_a.path == f"{commune.path}{node_id}/"
    assert history["open_a"].union_unit_id == node_id
    assert db.session.scalar(select(func.count(CaseMove.id))) == 0   # no case had to move
    row = db.session.scalars(select(OrganisationMove)).one()
    assert (row.node_id, row.moved_on, row.from_parent_id, row.from_path) == (
        node_id, EFFECTIVE, world["upper_a"].id, old_path)
    assert node_path_on(unit_a, date(2024, 12, 31)) == old_path
    # 2024: unchanged, the CĐCS still listed under its district.
    assert reports() == before
    assert "CDCS-a" in report(world, 2024, "upper_a")["listed"]
    # 2026: its open case's step counts under the commune union, not the district.
    _enrol_in_2026(world, history["open_a"])
    db.session.commit()
    late = report(world, 2026)
    assert late["children"][commune.id].in_class == 1
    assert world["upper_a"].id not in late["children"]
    assert report(world, 2026, "upper_a")["total"].in_class == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "move",
                                                        AuditEvent.subject == "organisation")
                               ).one()
    assert (event.data["from"], event.data["to"], event.data["code"]) == ("UP-a", "XA-MOI",
                                                                          "CDCS-a")


def test_moving_a_node_re_parents_its_subtree(world, db):
    admin = world.users["administrator"]
    upper = new_commune(world, code="XA-CU")
    unit = organisations.create_node(Tree.union, kind="grassroots", code="CDCS-X", name="X",
                                     opened_on=EFFECTIVE, parent_code="XA-CU",
                                     enterprise_kind="fdi", actor_id=admin.id)
    other = organisations.create_node(Tree.union, kind="federation", code="LDLD-2",
                                      name="LĐLĐ khác", opened_on=date(2015, 1, 1),
                                      actor_id=admin.id)
    db.session.commit()
    before = {upper.id: upper.path, unit.id: unit.path}
    outcome = reorganisation.move_node(upper, "LDLD-2", on=TODAY, today=TODAY,
                                       reason=REASON, actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert outcome.node == upper and upper.parent == other and upper.closed_on is None
    assert upper.path == f"{other.path}{upper.id}/" and unit.path == f"{upper.path}{unit.id}/"
    assert outcome.counts["re-parented"] == 1 and outcome.counts["nodes moved"] == 2
    kept = dict(db.session.execute(select(OrganisationMove.node_id,
                                          OrganisationMove.from_path)).all())
    assert kept == before


def test_a_cdcs_referred_to_another_party_organisation_takes_its_open_cases(world, db):
    """The CĐCS's Party organisation is no longer its receiver (its bloc ended): from the
    effective date its referrals go to the area's committee, with its open cases; those
    hosted by a cell outside that committee go to the cell named."""
    admin, unit = world.users["administrator"], world["gunit_a"]
    case = advance(new_case(world, "a", unit="gunit", start=date(2025, 3, 3)), world,
                   "accepted")
    done = advance(new_case(world, "a", unit="gunit", start=date(2024, 3, 4)), world,
                   "withdrawn")
    db.session.commit()
    old = case.party_org
    kw = {"on": EFFECTIVE, "today": TODAY, "reason": REASON, "actor": admin}
    _refused(lambda: reorganisation.refer_to([unit], "DU-b", **kw), "host_cell_code")
    _refused(lambda: reorganisation.refer_to([unit], "DU-b", host_cell_code="CB-a", **kw),
             "host_cell_code")
    _refused(lambda: reorganisation.refer_to([world["upper_a"]], "DU-b", **kw), "codes")
    outcome = reorganisation.refer_to([unit], "DU-b", host_cell_code="CB-b", **kw)
    db.session.commit()
    assert unit.receiving_party == world["committee_b"] and outcome.counts["open cases"] == 1
    assert (case.party_org, case.host_cell) == (world["committee_b"], world["cell_b"])
    assert done.party_org == old
    move = db.session.scalar(select(CaseMove).where(CaseMove.case_id == case.id))
    assert (move.moved_on, move.from_party_id) == (EFFECTIVE, old.id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == "refer_to")).one()
    assert event.data["codes"] == ["CDCS-G-a"] and event.data["host_cell"] == "CB-b"


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


@pytest.mark.parametrize("case", ["other tree", "closed", "cycle", "out of order", "child",
                                  "before opening", "future", "level"])
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
            world["bloc_a"], "DU-a", on=EFFECTIVE, **kw), "parent_code")
    elif case == "out of order":
        reorganisation.move_node(unit_a, "UP-b", on=EFFECTIVE, **kw)
        db.session.commit()
        message = _refused(lambda: reorganisation.close_with_successor(
            world["upper_b"], "UP-a", on=date(2025, 1, 1), **kw), "effective_on")
        assert "order" in message
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
    assert world["unit_a"].parent_id == commune.id
    assert db.session.scalar(select(func.count(RoleGrant.id)).where(
        RoleGrant.org_id == commune.id)) == 1


def test_merged_cells_pool_their_rosters_and_units_their_plans(world, db, history):
    admin, cell_a, cell_b = world.users["administrator"], world["cell_a"], world["cell_b"]
    for cell in (cell_a, cell_b):
        cell.roster_kept = True
    left = world.rosters["cell_a"][-1]
    left.left_on = date(2025, 1, 31)
    db.session.add_all([UnitPlan(unit_id=world["unit_a"].id, year=2025, planned=2),
                        UnitPlan(unit_id=world["unit_b"].id, year=2025, planned=1),
                        UnitPlan(unit_id=world["unit_a"].id, year=2024, planned=7)])
    db.session.commit()
    staying = len(world.rosters["cell_a"]) - 1
    before = official_count(cell_b.id)
    reorganisation.merge(["CB-a"], cell_b, on=EFFECTIVE, today=TODAY, reason=REASON,
                         actor=admin)
    reorganisation.merge(["CDCS-a"], world["unit_b"], on=EFFECTIVE, today=TODAY,
                         reason=REASON, actor=admin)
    db.session.commit()
    roster_b = db.session.scalars(select(PartyMember).where(
        PartyMember.cell_id == cell_b.id)).all()
    assert len(roster_b) == len(world.rosters["cell_b"]) + staying
    assert left.cell_id == cell_a.id                # who left before stays where he was
    assert cell_b.official_members == official_count(cell_b.id) > before
    plans = {(p.unit_id, p.year): p.planned for p in db.session.scalars(select(UnitPlan))}
    assert plans == {(world["unit_b"].id, 2025): 3, (world["unit_a"].id, 2024): 7}
