from referral_flow.models import Role
from referral_flow.security import can

from ..factories import TODAY, advance, new_case


def test_walk_to_official(world, db):
    case = new_case(world)
    advance(case, world, "official")
    db.session.commit()
    assert case.state == "official"
    assert case.official_from == case.probation_ends_on


def test_chair_can_submit_own_unit_only(world, db):
    case = new_case(world)
    assert can(world.users["union_chair_a"], "submit", case, TODAY)
    assert not can(world.users["union_chair_b"], "submit", case, TODAY)
    assert Role.union_chair
