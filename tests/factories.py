"""Test data: a small world of both trees, users per role, and cases moved to any state."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from referral_flow.demo import PATHS
from referral_flow.demo_steps import earliest_on, goes_without, step_data
from referral_flow.extensions import db
from referral_flow.models import (Case, EnterpriseKind, Member, Organisation, PartyKind,
                                  PartyMember, PartyStatus, Role, RoleGrant, TotpFactor, Tree,
                                  UnionKind, User)
from referral_flow.models.member import Education, Gender
from referral_flow.services.cases import open_draft
from referral_flow.services.sealed import seal
from referral_flow.services.transitions import fire

_seq = itertools.count(1)
TODAY = date(2026, 11, 25)
# Every staff user of the test world has this authenticator (their roles require one).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def org(code, tree, kind, name=None, parent=None, **kw) -> Organisation:
    node = Organisation(code=code, tree=tree, kind=kind, name=name or code,
                        opened_on=date(2015, 1, 1), **kw)
    db.session.add(node)
    db.session.flush()
    node.place_under(parent)
    return node


def citizen_id() -> str:
    return f"0271{next(_seq):08d}"


def member(unit: Organisation, *, born: date = date(1990, 5, 17), name: str | None = None,
           direct: bool = True, education: Education | None = Education.upper_secondary,
           education_exception: str = "", **kw) -> Member:
    """A union member of ``unit``; ``kw``: other fields (``employer``, ``not_union_member``)."""
    m = Member(full_name=name or f"Nguyễn Văn Thử {next(_seq)}", date_of_birth=born,
               gender=Gender.male, citizen_id=citizen_id(), unit=unit, job="Công nhân",
               direct_production=direct, education=education,
               education_exception=education_exception, **kw)
    db.session.add(m)
    db.session.flush()
    return m


ROSTER_NAMES = ["Trần Văn Hùng", "Lê Thị Hoa", "Phạm Minh Đức", "Nguyễn Thị Lan", "Vũ Quang Hải",
                "Đặng Thu Trang", "Bùi Văn Nam", "Hoàng Thị Yến", "Đỗ Xuân Long", "Ngô Thị Ngân"]


def roster(cell: Organisation, *, since: date = date(2010, 3, 2)) -> list[PartyMember]:
    """As many official members as the cell counts, on a kept roster."""
    people = [PartyMember(cell=cell, full_name=f"{ROSTER_NAMES[i % len(ROSTER_NAMES)]} {cell.code}",
                          phone=f"09{cell.id:04d}{i:04d}", status=PartyStatus.official,
                          official_since=since)
              for i in range(cell.official_members or 0)]
    db.session.add_all(people)
    cell.roster_kept = True
    db.session.flush()
    return people


def user(role: Role, node: Organisation | None, *, username: str | None = None,
         member_id: int | None = None, valid_from=date(2020, 1, 1), valid_to=None,
         enrolled: bool | None = None) -> User:
    """A user with one grant; staff have the test authenticator unless ``enrolled=False``."""
    u = User(username=username or f"{role.value}{next(_seq)}", full_name=f"User {role.value}",
             member_id=member_id)
    u.set_password("correct horse battery")
    u.grants.append(RoleGrant(role=role, org=node, valid_from=valid_from, valid_to=valid_to))
    db.session.add(u)
    db.session.flush()
    if enrolled if enrolled is not None else role != Role.member:
        enrol(u)
    return u


def enrol(u: User, secret: str = TOTP_SECRET) -> None:
    """Give ``u`` an authenticator with ``secret`` (as if he had scanned its QR code)."""
    db.session.add(TotpFactor(user_id=u.id, secret=seal(secret)))
    db.session.flush()


@dataclass
class World:
    """Two of everything, so that 'out of scope' always has somewhere to be."""
    nodes: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    rosters: dict[str, list[PartyMember]] = field(default_factory=dict)

    @property
    def cells(self) -> list[Organisation]:
        return [n for n in self.nodes.values()
                if n.kind in (PartyKind.cell.value, PartyKind.grassroots_cell.value)]

    def __getitem__(self, key):
        return self.nodes[key]

    def helper(self, cell: str = "cell_a") -> PartyMember:
        """An official member of the cell's roster, who may help a candidate."""
        return self.rosters[cell][0]


def build_world() -> World:
    w = World()
    n = w.nodes
    n["province"] = org("TU", Tree.party, PartyKind.provincial.value, competent_body=True)
    for side in ("a", "b"):
        n[f"bloc_{side}"] = org(f"BLOC-{side}", Tree.party, PartyKind.bloc.value,
                                parent=n["province"], competent_body=True, runs_classes=True,
                                committee_members=15)
        n[f"committee_{side}"] = org(f"DU-{side}", Tree.party,
                                     PartyKind.grassroots_committee.value,
                                     parent=n[f"bloc_{side}"], grassroots_committee=True,
                                     committee_members=9)
        n[f"cell_{side}"] = org(f"CB-{side}", Tree.party, PartyKind.cell.value,
                                parent=n[f"committee_{side}"], official_members=9)
        n[f"gcell_{side}"] = org(f"CBCS-{side}", Tree.party, PartyKind.grassroots_cell.value,
                                 parent=n[f"bloc_{side}"], official_members=6)
        for key in (f"cell_{side}", f"gcell_{side}"):
            w.rosters[key] = roster(n[key])
    n["federation"] = org("LDLD", Tree.union, UnionKind.federation.value)
    for side in ("a", "b"):
        n[f"upper_{side}"] = org(f"UP-{side}", Tree.union, UnionKind.upper.value,
                                 parent=n["federation"])
        n[f"unit_{side}"] = org(f"CDCS-{side}", Tree.union, UnionKind.grassroots.value,
                                parent=n[f"upper_{side}"], enterprise_kind=EnterpriseKind.fdi,
                                has_party_org=True, receiving_party=n[f"committee_{side}"])
        n[f"gunit_{side}"] = org(f"CDCS-G-{side}", Tree.union, UnionKind.grassroots.value,
                                 parent=n[f"upper_{side}"],
                                 enterprise_kind=EnterpriseKind.non_state,
                                 has_party_org=True, receiving_party=n[f"gcell_{side}"])
    roles = {
        Role.union_chair: "unit", Role.federation_officer: "federation",
        Role.party_officer: "committee", Role.class_organiser: "bloc",
        Role.cell_secretary: "cell", Role.competent_officer: "bloc",
    }
    for role, where in roles.items():
        for side in ("a", "b"):
            key = where if where == "federation" else f"{where}_{side}"
            if where == "federation" and side == "b":
                key = "upper_b"     # a federation officer of a sibling subtree
            w.users[f"{role.value}_{side}"] = user(role, n[key])
    w.users["administrator"] = user(Role.administrator, None)
    db.session.flush()
    return w


def new_case(w: World, side: str = "a", *, unit: str = "unit", born: date = date(1990, 5, 17),
             start: date = TODAY - timedelta(days=900)) -> Case:
    m = member(w[f"{unit}_{side}"], born=born)
    return open_draft(m, None, year=start.year, today=start, check_permission=False)


def advance(case: Case, w: World, state: str, *, start: date | None = None, gap: int = 10,
            today: date = TODAY) -> Case:
    """Fire the demo path to ``state`` with valid data, permission checks off."""
    on = start or case.state_since
    for trigger in PATHS[state]:
        if goes_without(trigger, case):
            continue
        on = earliest_on(trigger, case, on + timedelta(days=gap))
        data, comment = step_data(trigger, case, on, w.cells)
        fire(case, trigger, None, expected_version=case.version, data=data, comment=comment,
             on=on, today=today, check_permission=False)
    return case
