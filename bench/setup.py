"""The bench's users on a built database: one per demo role, named like the demo accounts.

``create_bench_users(app)`` is idempotent (an existing user is kept), so the measuring script
may call it on every run. Targets are chosen by SQL: the chair gets the CĐCS with the most
cases, the candidate the member of that CĐCS's latest case; under a national root, a second
federation officer holds the first province's federation. The password is hashed with the
production method and is not the demo's (production refuses the demo password)."""
from __future__ import annotations

from sqlalchemy import func, select

from referral_flow import clock
from referral_flow.extensions import db
from referral_flow.models import Case, Organisation, Role, RoleGrant, Tree, UnionKind, User
from referral_flow.services.second_factor import make_optional_for_all

PASSWORD = "bench-password-not-the-demo-2026"


def _roots(tree: Tree) -> int:
    return db.session.scalar(select(Organisation.id).where(
        Organisation.tree == tree, Organisation.parent_id.is_(None)).order_by(Organisation.id))


def _province_federation(root: int) -> int | None:
    """The first provincial federation under a national root (None when the root is one)."""
    return db.session.scalar(select(Organisation.id).where(
        Organisation.tree == Tree.union, Organisation.kind == UnionKind.federation.value,
        Organisation.id != root).order_by(Organisation.id).limit(1))


def _user(username: str, role: Role, org_id: int | None, member_id: int | None = None) -> None:
    if db.session.scalar(select(User.id).where(User.username == username)):
        return
    user = User(username=username, full_name=username, member_id=member_id)
    user.set_password(PASSWORD)
    user.grants.append(RoleGrant(role=role, org_id=org_id,
                                 valid_from=clock.today().replace(year=2000)))
    db.session.add(user)


def create_bench_users(app) -> dict[str, str]:
    """Role name -> username of the bench's users (created when missing); no second factor
    required, as the bench times pages, not the sign-in's second step."""
    with app.app_context():
        unit_id = db.session.scalar(select(Case.union_unit_id).group_by(Case.union_unit_id)
                                    .order_by(func.count().desc(), Case.union_unit_id).limit(1))
        member_id = db.session.scalar(select(Case.member_id).where(Case.union_unit_id == unit_id)
                                      .order_by(Case.id.desc()).limit(1))
        party_root, union_root = _roots(Tree.party), _roots(Tree.union)
        users = {
            Role.federation_officer: ("liendoan", union_root, None),
            Role.party_officer: ("dangvu", party_root, None),
            Role.union_chair: ("chutich", unit_id, None),
            Role.competent_officer: ("thamquyen", party_root, None),
            Role.member: ("doanvien", None, member_id),
        }
        for role, (username, org_id, member) in users.items():
            _user(username, role, org_id, member)
        named = {role.value: username for role, (username, _org, _m) in users.items()}
        province = _province_federation(union_root)
        if province:            # the national set: a province-wide federation officer too
            _user("liendoan_tinh", Role.federation_officer, province)
            named["federation_officer_province"] = "liendoan_tinh"
        make_optional_for_all()
        db.session.commit()
    return named
