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
    """Each union chair submits the drafts of his own unit, and not the other unit's."""
    chair_a, chair_b = world.users["union_chair_a"], world.users["union_chair_b"]
    assert [(g.role, g.org) for g in chair_a.grants] == [(Role.union_chair, world["unit_a"])]
    assert [(g.role, g.org) for g in chair_b.grants] == [(Role.union_chair, world["unit_b"])]
    own_a, own_b = new_case(world, "a"), new_case(world, "b")
    assert (own_a.union_unit, own_b.union_unit) == (world["unit_a"], world["unit_b"])
    assert can(chair_a, "submit", own_a, TODAY) and not can(chair_a, "submit", own_b, TODAY)
    assert can(chair_b, "submit", own_b, TODAY) and not can(chair_b, "submit", own_a, TODAY)
