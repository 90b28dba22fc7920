"""The case tallies: kept by the database's triggers as cases are written, moved with a
re-parented subtree, equal to a recomputation after any mix of steps, corrections and
reorganisations; ``flask tallies check`` finds and mends a wrong count; the pages that read
them show what a GROUP BY over the scope shows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import func, select, text

from referral_flow.demo import PATHS
from referral_flow.models import Case, CaseTally, Role, RoleGrant
from referral_flow.models.tally import PARTY, UNION
from referral_flow.services import reorganisation, tallies
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

    @invariant()
    def tallies_equal_a_recount(self):
        assert tallies.differences() == []

    @invariant()
    def workflow_counts_equal_the_scoped_group_by(self):
        for user in (self.admin, self.world.users["federation_officer_a"],
                     self.world.users["party_officer_a"]):
            found = tallies.scope_counts(user, TODAY) or {}
            assert {s: n for s, n in found.items() if n} == scope_group_by(self.db, user)

    def teardown(self):
        self.db.session.rollback()


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
