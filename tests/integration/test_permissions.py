"""Who may do what, where: the role × trigger × scope matrix, the view matrix, dated
grants, the scope query and the 404-not-403 rule over HTTP (ARCHITECTURE.md §2, §6).

The expected table below is written out by hand from the process description; it is
deliberately NOT derived from ``referral_flow.workflow.transitions``.
"""
from __future__ import annotations

import re
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import joinedload, selectinload

from referral_flow import create_app
from referral_flow.extensions import db as _db

from referral_flow.models import Case, Role, RoleGrant, User
from referral_flow.security import can, get_case_or_404, scoped_cases
from referral_flow.workflow.transitions import TRIGGERS

from ..conftest import ON_PG, PG_URL, _admin_engine, _config
from ..factories import TODAY, advance, build_world, member, new_case, user

# Which role may fire which trigger (on a case within its organisations).
EXPECTED: dict[Role, frozenset[str]] = {
    Role.administrator: frozenset(),
    Role.federation_officer: frozenset(),
    Role.union_chair: frozenset({"submit", "record_readmission", "withdraw"}),
    Role.party_officer: frozenset({
        "return_to_union", "accept", "skip_class", "open_dossier", "send_to_cell",
        "committee_approve", "committee_admit", "committee_reject", "committee_return",
        "recognition_committee_approve", "record_death"}),
    Role.class_organiser: frozenset({"enroll", "pass_class", "fail_class"}),
    Role.cell_secretary: frozenset({
        "open_dossier", "send_to_cell", "cell_approve", "cell_reject", "cell_defer",
        "hold_ceremony", "open_recognition", "propose_removal", "record_undecided",
        "record_death"}),
    Role.competent_officer: frozenset({
        "extend_decision", "admit", "return_dossier", "decline", "extend_recognition",
        "recognise", "remove", "record_leaving", "record_resignation",
        "remove_for_discipline"}),
    Role.member: frozenset({"withdraw_self"}),
}

# Every trigger the product has must appear in the expected table, and vice versa:
# a new trigger without a decision about who fires it is a failure.
ALL_EXPECTED_TRIGGERS = frozenset().union(*EXPECTED.values())

# Which of the cases built by ``cases_both_sides`` each world user sees. Per side there
# are four cases: "draft" and "nominated" in the FDI unit (receiving Party organisation:
# the grassroots committee, no host cell yet), "dossier" in the same unit (host cell: the
# committee's cell) and "g_accepted" in the second unit, received by a grassroots cell
# directly under the bloc (host cell: that grassroots cell).
UNIT_CASES = {"draft", "nominated", "dossier"}
ALL_CASES = UNIT_CASES | {"g_accepted"}
SEES: dict[str, set[tuple[str, str]]] = {"administrator": {(s, k) for s in "ab" for k in ALL_CASES}}
for _s in "ab":
    SEES[f"union_chair_{_s}"] = {(_s, k) for k in UNIT_CASES}
    SEES[f"party_officer_{_s}"] = {(_s, k) for k in UNIT_CASES}
    SEES[f"class_organiser_{_s}"] = {(_s, k) for k in ALL_CASES}
    SEES[f"competent_officer_{_s}"] = {(_s, k) for k in ALL_CASES}
    SEES[f"cell_secretary_{_s}"] = {(_s, "dossier")}
# The federation officer of side "a" sits at the federation itself, so sees both sides;
# the one of side "b" sits at a sibling upper union and sees only side "b".
SEES["federation_officer_a"] = {(s, k) for s in "ab" for k in ALL_CASES}
SEES["federation_officer_b"] = {("b", k) for k in ALL_CASES}


def test_expected_table_covers_every_trigger_and_role():
    assert set(EXPECTED) == set(Role)
    assert set(TRIGGERS) >= ALL_EXPECTED_TRIGGERS, ALL_EXPECTED_TRIGGERS - set(TRIGGERS)
    unowned = set(TRIGGERS) - ALL_EXPECTED_TRIGGERS
    assert not unowned, f"triggers nobody is expected to fire: {unowned}"


@dataclass
class Matrix:
    world: object
    case: Case
    members: dict[bool, object]     # in_scope -> a member account


def _actor(matrix: Matrix, role: Role, in_scope: bool):
    """The user of ``role`` that is (or is not) in the scope of the matrix's case."""
    if role == Role.administrator:
        return matrix.world.users["administrator"]
    if role == Role.member:
        return matrix.members[in_scope]
    return matrix.world.users[f"{role.value}_{'a' if in_scope else 'b'}"]


@contextmanager
def _scratch_database(template_db, tmp_path_factory):
    """A throw-away copy of the migrated template, as conftest's ``database_url`` makes."""
    if not ON_PG:
        path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"
        return
    name = f"rf_m_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load_what_can_reads(users: list[User], case: Case) -> None:
    """Load (again, after the commit expired them) what ``can()`` reads: each user with his
    grants, their organisations and their user; the case with its three anchors."""
    fresh = {"populate_existing": True}
    _db.session.scalars(
        select(User).where(User.id.in_([u.id for u in users]))
        .options(selectinload(User.grants).options(joinedload(RoleGrant.org),
                                                   joinedload(RoleGrant.user)))
        .execution_options(**fresh)).all()
    _db.session.scalars(
        select(Case).where(Case.id == case.id)
        .options(joinedload(Case.union_unit), joinedload(Case.party_org),
                 joinedload(Case.host_cell))
        .execution_options(**fresh)).all()


@pytest.fixture(scope="module")
def matrix(template_db, tmp_path_factory) -> Matrix:
    """World + one accepted side-"a" case, built once for the ~400 matrix cells.

    ``can()`` needs no database once grants and the case's organisations are loaded, so
    everything is loaded, then detached: a cell that queried would fail loudly.
    """
    with _scratch_database(template_db, tmp_path_factory) as url:
        app = create_app(_config(url))
        with app.app_context():
            world = build_world()
            case = advance(new_case(world, "a"), world, "accepted")
            members = {True: user(Role.member, None, member_id=case.member_id),
                       False: user(Role.member, None,
                                   member_id=member(world["unit_a"]).id)}
            _db.session.commit()
            assert case.host_cell is not None and world["cell_a"].contains(case.host_cell)
            _load_what_can_reads([*world.users.values(), *members.values()], case)
            _db.session.expunge_all()
            _db.session.remove()
            _db.engine.dispose()
    return Matrix(world, case, members)


@pytest.fixture
def accepted_case(world, db):
    """A side-"a" case with its host cell set, so every anchor (union, party, cell) exists."""
    case = advance(new_case(world, "a"), world, "accepted")
    db.session.commit()
    assert case.host_cell is not None and world["cell_a"].contains(case.host_cell)
    return case


@pytest.mark.parametrize("in_scope", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_trigger_matrix(matrix, role, trigger, in_scope):
    actor = _actor(matrix, role, in_scope)
    expected = in_scope and trigger in EXPECTED[role]
    assert can(actor, trigger, matrix.case, TODAY) is expected


@pytest.mark.parametrize("in_scope", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_view_matrix(matrix, role, in_scope):
    actor = _actor(matrix, role, in_scope)
    # The administrator sees every case, whatever "side".
    expected = in_scope or role == Role.administrator
    assert can(actor, "view", matrix.case, TODAY) is expected


def test_unknown_action_and_anonymous_are_refused(world, accepted_case):
    assert not can(world.users["administrator"], "delete_everything", accepted_case, TODAY)
    assert not can(None, "view", accepted_case, TODAY)


@pytest.mark.parametrize("window", ["not_yet", "expired"])
@pytest.mark.parametrize("role", [r for r in Role if EXPECTED[r]] + [Role.administrator],
                         ids=lambda r: r.value)
def test_grants_outside_their_dates_give_nothing(world, accepted_case, db, role, window):
    nodes = {Role.union_chair: "unit_a", Role.party_officer: "committee_a",
             Role.class_organiser: "bloc_a", Role.cell_secretary: "cell_a",
             Role.competent_officer: "bloc_a"}
    dates = ({"valid_from": TODAY + timedelta(days=1)} if window == "not_yet" else
             {"valid_from": TODAY - timedelta(days=400), "valid_to": TODAY - timedelta(days=1)})
    node = world[nodes[role]] if role in nodes else None
    member_id = accepted_case.member_id if role == Role.member else None
    dated = user(role, node, member_id=member_id, **dates)
    # Another case on side "b" so that "sees nothing" is not trivially true.
    advance(new_case(world, "b"), world, "accepted")
    db.session.commit()
    for action in ("view", *TRIGGERS):
        assert not can(dated, action, accepted_case, TODAY), action
    assert db.session.scalars(scoped_cases(dated, TODAY)).all() == []
    # The same grant on a day inside its window does give the permissions.
    inside = TODAY + timedelta(days=2) if window == "not_yet" else TODAY - timedelta(days=2)
    assert can(dated, "view", accepted_case, inside)
    for trigger in EXPECTED[role]:
        assert can(dated, trigger, accepted_case, inside), trigger


@pytest.fixture
def cases_both_sides(world, db) -> dict[tuple[str, str], Case]:
    """Four cases per side (see ``SEES``), keyed by (side, label)."""
    cases = {}
    for side in ("a", "b"):
        cases[side, "draft"] = new_case(world, side)
        cases[side, "nominated"] = advance(new_case(world, side), world, "nominated")
        cases[side, "dossier"] = advance(new_case(world, side), world, "dossier")
        cases[side, "g_accepted"] = advance(new_case(world, side, unit="gunit"), world,
                                            "accepted")
    db.session.commit()
    assert cases["a", "dossier"].host_cell_id == world["cell_a"].id
    assert cases["a", "g_accepted"].host_cell_id == world["gcell_a"].id
    return cases


def test_scope_table_covers_every_world_user(world):
    assert set(SEES) == set(world.users)


@pytest.mark.parametrize("who", sorted(SEES))
def test_scoped_cases_is_exactly_the_scope(world, cases_both_sides, db, who):
    actor = world.users[who]
    expected = {cases_both_sides[key].id for key in SEES[who]}
    got = [c.id for c in db.session.scalars(scoped_cases(actor, TODAY))]
    assert len(got) == len(set(got)), "a case appears twice in the scope query"
    assert set(got) == expected
    # The SQL filter and can("view") agree case by case.
    for case in cases_both_sides.values():
        assert can(actor, "view", case, TODAY) is (case.id in expected), case.id


def test_scoped_cases_of_a_member_is_his_own_case(world, cases_both_sides, db):
    own = cases_both_sides["a", "dossier"]
    me = user(Role.member, None, member_id=own.member_id)
    nobody = user(Role.member, None)          # a member account not linked to any member
    db.session.commit()
    assert [c.id for c in db.session.scalars(scoped_cases(me, TODAY))] == [own.id]
    assert db.session.scalars(scoped_cases(nobody, TODAY)).all() == []


def test_get_case_or_404_outside_scope(world, cases_both_sides):
    from werkzeug.exceptions import NotFound
    case_a = cases_both_sides["a", "draft"]
    assert get_case_or_404(case_a.id, world.users["union_chair_a"], TODAY).id == case_a.id
    with pytest.raises(NotFound):
        get_case_or_404(case_a.id, world.users["union_chair_b"], TODAY)


CASE_LINK = re.compile(r'href="/cases/(\d+)"')


def test_http_out_of_scope_detail_is_404_not_403(world, cases_both_sides, client, auth):
    auth.login(world.users["union_chair_b"].username)
    case_a, case_b = cases_both_sides["a", "draft"], cases_both_sides["b", "draft"]
    assert client.get(f"/cases/{case_b.id}").status_code == 200
    assert client.get(f"/cases/{case_a.id}").status_code == 404
    # A case id that does not exist at all looks exactly the same.
    missing = client.get("/cases/999999")
    assert missing.status_code == 404
    # (the page echoes its own address in the language switch, and its CSRF token is signed
    # with the time; nothing else may differ)
    def normal(text, case_id):
        text = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', text)
        return text.replace(f"/cases/{case_id}", "/cases/N")
    assert normal(client.get(f"/cases/{case_a.id}").text, case_a.id) == \
        normal(missing.text, 999999)


@pytest.mark.parametrize("who", ["union_chair_b", "cell_secretary_a", "competent_officer_b"])
def test_http_list_shows_only_cases_in_scope(world, cases_both_sides, client, auth, who):
    auth.login(world.users[who].username)
    page = client.get("/cases/")
    assert page.status_code == 200
    shown = {int(i) for i in CASE_LINK.findall(page.text)}
    assert shown == {cases_both_sides[key].id for key in SEES[who]}
