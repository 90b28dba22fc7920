"""The case tallies: kept by the database's triggers as cases are written, moved with a
re-parented subtree, equal to a recomputation after any mix of steps, corrections and
reorganisations; ``flask tallies check`` finds and mends a wrong count; the pages that read
them show what a GROUP BY over the scope shows. The achievement figures per period
(services.period_tallies) likewise: equal to a recomputation, and the dashboard's tables
read from them equal to the same tables counted from the scoped cases."""
from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import func, select, text

from referral_flow.demo import PATHS
from referral_flow.models import AuditEvent, Case, CaseTally, MoveKind, Role, RoleGrant
from referral_flow.models.tally import PARTY, UNION
from referral_flow.reports import achievement
from referral_flow.reports import queries
from referral_flow.services import kept_facts, reorganisation, tallies
from referral_flow.services.calendar import add_override
from referral_flow.workflow.calendar import load_calendar
from referral_flow.services.placement import move_case
from referral_flow.services.corrections import correct, correctable
from referral_flow.workflow.errors import WorkflowError
from referral_flow.services.refused import Refused

from .. import factories
from ..factories import TODAY

ADVANCE_TO = ["accepted", "in_class", "cell_review", "decision_pending", "probation"]


def scope_group_by(db, user) -> dict[str, int]:
    from referral_flow.security import scoped_cases
    stmt = scoped_cases(user, TODAY, select(Case.state, func.count(Case.id))).group_by(Case.state)
    return dict(db.session.execute(stmt).all())


class TallyMachine(RuleBasedStateMachine):
    """Cases opened, moved on, corrected; units and Party nodes re-parented."""

    def __init__(self, db, world):
        super().__init__()
        self.db, self.world = db, world
        self.cases: list[int] = []
        self.admin = world.users["administrator"]

    @rule(side=st.sampled_from("ab"), unit=st.sampled_from(["unit", "gunit"]))
    def open_case(self, side, unit):
        case = factories.new_case(self.world, side, unit=unit)
        self.db.session.commit()
        self.cases.append(case.id)

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), to=st.sampled_from(ADVANCE_TO))
    def advance(self, data, to):
        case = self.db.session.get(Case, data.draw(st.sampled_from(self.cases)))
        if case.state != "draft":
            return
        factories.advance(case, self.world, to, start=case.state_since, gap=5,
                          today=TODAY + timedelta(days=900))
        self.db.session.commit()
        event(f"advanced to {to}")

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def correct_last_step(self, data):
        case = self.db.session.get(Case, data.draw(st.sampled_from(self.cases)))
        allowed = correctable(self.admin, case, TODAY)
        if allowed is None:
            return
        try:
            correct(case, allowed.event.id, self.admin, reason="Ghi nhầm bước.",
                    expected_version=case.version, today=TODAY)
            self.db.session.commit()
            event("corrected")
        except (WorkflowError, Refused):
            self.db.session.rollback()

    # Cells stay under their committee (the demo's steps pick a host cell there); the
    # committees and blocs carry theirs along.
    @rule(node=st.sampled_from(["unit_a", "gunit_b", "upper_a", "committee_b", "bloc_a"]),
          under=st.sampled_from(["upper_a", "upper_b", "federation", "bloc_a", "bloc_b",
                                 "committee_a", "province"]))
    def reparent(self, node, under):
        moved, parent = self.world[node], self.world[under]
        on = TODAY - timedelta(days=len(self.cases) + 1)
        try:
            reorganisation.move_node(moved, parent.code, on=on, today=TODAY,
                                     reason="Sắp xếp lại tổ chức.", actor=self.admin)
            self.db.session.commit()
            event("re-parented")
        except Refused:
            self.db.session.rollback()

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), to=st.sampled_from(["unit_a", "gunit_a", "unit_b", "gunit_b"]),
          days=st.integers(min_value=-400, max_value=30))
    def move_a_case(self, data, to, days):
        """A case moves to another unit (a transfer), on a day around its steps."""
        case = self.db.session.get(Case, data.draw(st.sampled_from(self.cases)))
        if case.state == "draft" or case.union_unit_id == self.world[to].id:
            return      # a draft stays with its member's unit until it is sent
        move_case(case, on=TODAY + timedelta(days=days), kind=MoveKind.transfer,
                  actor_id=self.admin.id, union_unit=self.world[to])
        self.db.session.commit()
        event("moved")

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def toggle_worker(self, data):
        case = self.db.session.get(Case, data.draw(st.sampled_from(self.cases)))
        case.member.direct_production = not case.member.direct_production
        self.db.session.commit()

    @invariant()
    def tallies_equal_a_recount(self):
        assert tallies.differences() == []
        assert kept_facts.differences(self.db.session.connection()) == []


    @invariant()
    def workflow_counts_equal_the_scoped_group_by(self):
        for user in (self.admin, self.world.users["federation_officer_a"],
                     self.world.users["party_officer_a"]):
            found = tallies.scope_counts(user, TODAY) or {}
            assert {s: n for s, n in found.items() if n} == scope_group_by(self.db, user)

    def teardown(self):
        """At the end of each run (the facts' invariant above holds at every step): the
        reports read from the kept figures equal the same reports counted."""
        for user in (self.admin, self.world.users["federation_officer_a"]):
            node = self.world["federation" if user is self.admin else "upper_a"]
            for year in range(TODAY.year - 3, TODAY.year + 2):
                assert dashboard(user, node, year) == counted(dashboard, user, node, year)
        self.db.session.rollback()


# A day after every step the machine dates (the cohort's SQL reads the working-day
# calendar up to the report's day).
LATER = TODAY + timedelta(days=1500)


def dashboard(user, node, year: int) -> tuple:
    """The dashboard's tables for ``node``: by child, by enterprise, by month, for the year
    and its quarters; the cohort of the year and the year's period counts."""
    out = [achievement.by_month(user, TODAY, node, year),
           queries.cohort_table(user, LATER, year, node, load_calendar()),
           queries.period_counts(user, TODAY, year, node)]
    for period in [achievement.Period(year)] + [achievement.Period(year, q) for q in range(1, 5)]:
        children = achievement.children_of(node, period)
        out += [achievement.by_child(user, TODAY, node, period, children),
                achievement.by_enterprise(user, TODAY, node, period)]
    return tuple(out)


def counted(read, *args):
    """``read(*args)`` with the kept figures out of the way: counted from the scoped cases."""
    with mock.patch.object(achievement, "answered_by_kept", return_value=False), \
            mock.patch.object(queries, "kept_node", return_value=None):
        return read(*args)


@pytest.mark.slow
def test_tallies_follow_steps_corrections_and_reorganisations(app, db, world):
    run_state_machine_as_test(
        lambda: TallyMachine(db, world),
        settings=settings(max_examples=15, stateful_step_count=15, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)))


def test_a_case_counts_at_every_ancestor_on_each_side(db, world):
    case = factories.new_case(world, "a")
    factories.advance(case, world, "accepted")
    db.session.commit()
    for node in ("unit_a", "upper_a", "federation"):
        assert tallies.counts(UNION, world[node].id).get("accepted") == 1
    for node in ("committee_a", "bloc_a", "province"):
        assert tallies.counts(PARTY, world[node].id).get("accepted") == 1
    assert tallies.counts(UNION, world["upper_b"].id).get("accepted") is None
    assert tallies.counts(UNION, world["federation"].id).get("draft", 0) == 0


def test_check_command_reports_and_mends_a_wrong_count(app, db, world):
    case = factories.new_case(world, "a")
    db.session.commit()
    db.session.execute(text("UPDATE case_tally SET n = n + 3 WHERE state = 'draft'"))
    db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(args=["tallies", "check"])
    assert found.exit_code != 0
    assert f"node {case.union_unit_id} draft: kept 4, recomputed 1" in found.output
    mended = runner.invoke(args=["tallies", "check", "--fix"])
    assert mended.exit_code == 0, mended.output
    assert runner.invoke(args=["tallies", "check"]).exit_code == 0
    assert db.session.scalar(select(CaseTally.n).where(
        CaseTally.side == UNION, CaseTally.node_id == case.union_unit_id,
        CaseTally.state == "draft")) == 1


def test_scope_counts_only_for_one_nested_scope(db, world):
    assert tallies.scope_counts(world.users["administrator"], TODAY) is not None
    assert tallies.scope_counts(world.users["union_chair_a"], TODAY) is not None
    both = factories.user(Role.party_officer, world["bloc_a"])
    both.grants.append(RoleGrant(role=Role.federation_officer, org=world["upper_a"],
                                 valid_from=TODAY - timedelta(days=30)))
    db.session.commit()
    assert tallies.scope_counts(both, TODAY) is None


def test_demo_paths_used_here_exist():
    assert set(ADVANCE_TO) <= set(PATHS)


def test_kept_figures_place_a_case_where_it_stood_at_each_period_end(db, world):
    """Introduced in one quarter, moved to another unit of another subtree the next: the
    quarter counts it at its old unit, the year at its new one."""
    case = factories.new_case(world, "a", start=TODAY.replace(month=1, day=10))
    factories.advance(case, world, "accepted", start=TODAY.replace(month=1, day=10), gap=5)
    db.session.commit()
    move_case(case, on=TODAY.replace(month=5, day=1), kind=MoveKind.transfer,
              actor_id=None, union_unit=world["unit_b"])
    db.session.commit()
    admin = world.users["administrator"]
    first = achievement.Period(TODAY.year, 1)
    year = achievement.Period(TODAY.year)
    assert achievement.answered_by_kept(admin, TODAY, world["federation"], year)
    in_q1 = achievement.by_child(admin, TODAY, world["federation"], first,
                                 [world["upper_a"], world["upper_b"]])
    in_year = achievement.by_child(admin, TODAY, world["federation"], year,
                                   [world["upper_a"], world["upper_b"]])
    assert in_q1[world["upper_a"].id].introduced == 1 and world["upper_b"].id not in in_q1
    assert in_year[world["upper_b"].id].introduced == 1 and world["upper_a"].id not in in_year
    assert kept_facts.differences(db.session.connection()) == []


def test_check_command_reports_and_mends_a_wrong_figure(app, db, world):
    case = factories.new_case(world, "a")
    factories.advance(case, world, "accepted")
    db.session.commit()
    db.session.execute(text("UPDATE period_tally SET n = n + 2 WHERE measure = 'introduced'"))
    db.session.execute(text("DELETE FROM case_fact WHERE measure = 'introduced' AND period "
                            "LIKE 'Q%'"))
    db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(args=["tallies", "check"])
    assert found.exit_code != 0
    assert f"case_fact case {case.id} " in found.output
    assert "kept None, recomputed" in found.output
    assert f"period_tally {case.union_unit_id} " in found.output
    assert "kept 3, recomputed 1" in found.output
    assert runner.invoke(args=["tallies", "check", "--fix"]).exit_code == 0
    assert runner.invoke(args=["tallies", "check"]).exit_code == 0


def test_a_day_off_added_or_a_unit_changed_moves_the_kept_figures(db, world):
    """Changes that are not a case's own: a calendar day off inside a step shortens the
    cohort's working days; a CĐCS recorded without a Party organisation moves its cases in
    the enterprise split."""
    case = factories.new_case(world, "a", start=TODAY.replace(month=1, day=5))
    factories.advance(case, world, "in_class", start=TODAY.replace(month=1, day=5), gap=20)
    db.session.commit()
    admin, year = world.users["administrator"], case.nominated_on.year

    def days_in(state):
        _size, rows, _ends = queries.cohort_table(admin, LATER, year, world["federation"],
                                                  load_calendar())
        return next(r.median for r in rows if r.state == state)
    before = days_in("nominated")
    entered = db.session.scalar(select(AuditEvent.step_on).where(
        AuditEvent.case_id == case.id, AuditEvent.to_state == "nominated"))
    day = next(entered + timedelta(days=i) for i in range(1, 30)
               if load_calendar().is_working_day(entered + timedelta(days=i)))
    add_override(day, day_off=True, note="Nghỉ bù.", actor_id=admin.id)
    db.session.commit()
    assert days_in("nominated") == before - 1
    world["unit_a"].has_party_org = False
    db.session.commit()
    split = achievement.by_enterprise(admin, TODAY, world["federation"],
                                      achievement.Period(year))
    assert split[("fdi", False)].introduced == 1 and ("fdi", True) not in split
    assert kept_facts.differences(db.session.connection()) == []
