"""Moving a case (transfers, reorganisations) and placing it on a past day."""
from datetime import date

from sqlalchemy import select

from referral_flow.models import Case, MoveKind
from referral_flow.services import placement
from tests import factories
from tests.conftest import audit_events


def _placed(db, day):
    return db.session.execute(select(Case.id, placement.union_unit_on(day),
                                     placement.party_org_on(day))).all()


def test_a_move_changes_the_case_and_keeps_where_it_was(world, db):
    case = factories.new_case(world, start=date(2024, 3, 1))
    a, b = world["unit_a"], world["unit_b"]
    party_a, party_b = case.party_org, world["committee_b"]
    placement.move_case(case, on=date(2025, 7, 1), kind=MoveKind.transfer, actor_id=None,
                        union_unit=b, party_org=party_b, reason="Chuyển nơi làm việc")
    placement.move_case(case, on=date(2025, 7, 1), kind=MoveKind.reorganisation,
                        actor_id=None, union_unit=a)
    db.session.commit()
    assert case.union_unit == a and case.party_org == party_b
    assert _placed(db, date(2025, 6, 30)) == [(case.id, a.id, party_a.id)]
    assert _placed(db, date(2025, 7, 1)) == [(case.id, a.id, party_b.id)]
    assert [m.seq for m in case.moves] == [0, 1]
    moved = [e for e in audit_events(db) if e.trigger == "move"]
    assert [e.data["kind"] for e in moved] == ["transfer", "reorganisation"]
    assert moved[0].data["union"] == [a.id, b.id] and moved[0].comment == "Chuyển nơi làm việc"


def test_the_host_cell_moves_only_when_given(world, db):
    case = factories.new_case(world, start=date(2024, 3, 1))
    case.host_cell = world["cell_a"]
    placement.move_case(case, on=date(2025, 1, 2), kind=MoveKind.transfer, actor_id=None,
                        union_unit=world["unit_b"])
    assert case.host_cell == world["cell_a"]
    placement.move_case(case, on=date(2025, 1, 3), kind=MoveKind.transfer, actor_id=None,
                        host_cell=None)
    assert case.host_cell is None
