"""The administrator screens: access, each form's happy path and its audit event, refused
input (nothing saved, a message next to the field) and bounded statements on the tree page."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import func, select

from referral_flow.admin.forms import BY_ENTRY, PARAMS, confirm_name, field_name
from referral_flow.labels import KIND_LABELS
from referral_flow.extensions import db as _db
from referral_flow.models import (AuditEvent, EnterpriseKind, HolidayOverride,
                                  Organisation, Role, RoleGrant, RuleSet, Tree, UnionKind, User)
from referral_flow.workflow.rulesets import REQUIRED_KEYS, form_order, rule_set_on, unconfirmed

from ..conftest import Auth, counting, csrf_token
from ..factories import TODAY, member, org, user

HOSTILE = ["<script>alert(1)</script>", "'; DROP TABLE user_account; --", "Công\u200bđoàn",
           "Tên\u202eđảo"]


# --- helpers ------------------------------------------------------------------------------

@pytest.fixture
def admin(world, client, auth):
    auth.login(world.users["administrator"].username)
    return client


def token(client) -> str:
    return csrf_token(client.get("/admin/").text)


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": token(client), **data})


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def last_event() -> AuditEvent:
    return _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()


@contextmanager
def unchanged(*models):
    """Nothing of ``models`` nor of the audit trail was saved inside the block."""
    before = [count(m) for m in (*models, AuditEvent)]
    yield
    _db.session.rollback()
    assert [count(m) for m in (*models, AuditEvent)] == before


def vi(message, **variables) -> str:
    """``message`` as a Vietnamese user sees it (the English msgid until the catalogue has
    it), HTML-escaped as the templates render it."""
    with current_app.test_request_context(), force_locale("vi"):
        variables = {k: v if isinstance(v, int) else str(v) for k, v in variables.items()}
        text = gettext(message, **variables) if isinstance(message, str) else str(message)
        return str(escape(text))


# Formatted English messages of the parametrised tables, back to their msgid and values.
FORMATTED = [
    (re.compile(r"At most (\d+) characters\.$"), "At most %(max)d characters.", ("max",)),
    (re.compile(r"At least (\d+) characters\.$"), "At least %(min)d characters.", ("min",)),
    (re.compile(r"Enter a whole number from (\d+) to (\d+)\.$"),
     "Enter a whole number from %(min)s to %(max)s.", ("min", "max")),
]


def shows(page, message, **variables) -> bool:
    for pattern, msgid, names in FORMATTED:
        found = isinstance(message, str) and not variables and pattern.match(message)
        if found:
            message, variables = msgid, dict(zip(names, map(int, found.groups()), strict=True))
            break
    return vi(message, **variables) in page.text


# One markup policy for every form (referral_flow/forms): no < or >; SQL-looking text such
# as HOSTILE[1] is plain text, stored as typed (test_sql_looking_text_is_stored_as_typed).
NOT_ALLOWED = "The text cannot contain < or >."
CODE_CHARS = "Use letters, digits and . _ / - only (no spaces)."
USERNAME_CHARS = "Use lower-case letters without accents, digits and . _ - only."


def rule_form_data(params: dict, **changes) -> dict:
    data = {}
    for key, _label, kind, *_ in PARAMS:
        value = params[key]
        if kind == "threshold":
            data[field_name(key, "num")] = value["num"]
            data[field_name(key, "den")] = value["den"]
            if value["strict"]:
                data[field_name(key, "strict")] = "y"
        elif kind == "bool":
            if value:
                data[field_name(key)] = "y"
        elif kind in BY_ENTRY:
            for i, doc in enumerate(sorted(value, key=form_order)):
                data[field_name(key, i)] = value[doc]
        else:
            data[field_name(key)] = value
        mark = unconfirmed(params, key)
        if kind in BY_ENTRY:
            data.update({confirm_name(key, i): "y"
                         for i, doc in enumerate(sorted(value, key=form_order))
                         if mark is True or doc in (mark or [])})
        elif mark:
            data[confirm_name(key)] = "y"
    data.update(changes)
    return data


# --- access -------------------------------------------------------------------------------

def _get_urls(w, extra):
    return [
        "/admin/", "/admin/organisations", "/admin/organisations?union_page=2&party_root="
        f"{w['bloc_a'].id}", "/admin/organisations/new/union", "/admin/organisations/new/party",
        f"/admin/organisations/{w['unit_a'].id}", f"/admin/organisations/{w['cell_a'].id}",
        "/admin/users", "/admin/users?q=union&page=3", "/admin/users/new",
        f"/admin/users/{w.users['union_chair_a'].id}", "/admin/rules", "/admin/rules/new",
        "/admin/holidays", "/admin/holidays?year=2025",
    ]


def _post_urls(w, extra):
    chair = w.users["union_chair_a"]
    return [
        "/admin/organisations/new/union", f"/admin/organisations/{w['unit_a'].id}/rename",
        f"/admin/organisations/{w['unit_a'].id}/close",
        f"/admin/organisations/{w['unit_a'].id}/receiving",
        f"/admin/organisations/{w['unit_a'].id}/move",
        f"/admin/organisations/{w['upper_a'].id}/merge",
        f"/admin/organisations/{w['unit_a'].id}/close-into", "/admin/users/new",
        f"/admin/users/{chair.id}/active", f"/admin/users/{chair.id}/grants",
        f"/admin/users/{chair.id}/grants/{chair.grants[0].id}/end", "/admin/rules/new",
        "/admin/holidays", f"/admin/holidays/{extra.id}/remove",
    ]


@pytest.fixture
def holiday(db):
    row = HolidayOverride(day=date(2026, 12, 24), day_off=True, note="Nghỉ thêm")
    db.session.add(row)
    db.session.commit()
    return row


NON_ADMIN = ["union_chair_a", "federation_officer_a", "party_officer_a", "class_organiser_a",
             "cell_secretary_a", "competent_officer_a", "member"]


def test_every_admin_url_is_for_administrators_only(world, app, db, holiday):
    world.users["member"] = user(Role.member, None, member_id=member(world["unit_a"]).id)
    db.session.commit()
    gets, posts = _get_urls(world, holiday), _post_urls(world, holiday)
    usernames = {key: u.username for key, u in world.users.items()}
    db.session.commit()

    # Each client in its own app context: the fixture's context keeps ``g`` (and the
    # CSRF token Flask-WTF caches there) from one client to the next.
    with app.app_context():
        anonymous = app.test_client()
        for url in gets + posts:
            page = anonymous.get(url) if url in gets else anonymous.post(url)
            if url in gets:
                assert page.status_code == 302 and "/login" in page.location, url
            else:       # no session, no CSRF token: refused before anything else
                assert page.status_code == 400, url

    for key in NON_ADMIN:
        with app.app_context():
            client = app.test_client()
            assert Auth(client).login(usernames[key]).status_code == 302
            tok = csrf_token(client.get("/cases/").text)
            for url in gets:
                assert client.get(url).status_code == 403, (key, url)
            for url in posts:
                page = client.post(url, data={"csrf_token": tok})
                assert page.status_code == 403, (key, url)
            assert 'href="/admin/"' not in client.get("/cases/").text   # no menu entry

    with app.app_context():
        client = app.test_client()
        Auth(client).login(usernames["administrator"])
        for url in gets:
            assert client.get(url).status_code == 200, url
        assert 'href="/admin/"' in client.get("/cases/").text


def test_a_post_without_csrf_is_refused(admin, db):
    with unchanged(Organisation):
        page = admin.post("/admin/organisations/new/union", data={
            "kind": "federation", "name": "LĐLĐ X", "code": "X", "opened_on": "2020-01-01"})
    assert page.status_code == 400


# --- organisation trees -------------------------------------------------------------------

def test_tree_page_shows_both_trees_indented_with_dates(admin, world, db):
    world["unit_b"].closed_on = date(2025, 7, 1)
    db.session.commit()
    page = admin.get("/admin/organisations")
    assert page.status_code == 200
    text = page.text
    assert text.index(world["federation"].name) < text.index(world["upper_a"].name) \
        < text.index(world["unit_a"].name)
    assert 'class="depth-2"' in text            # a CĐCS two levels under the federation
    assert "01/07/2025" in text and "01/01/2015" in text
    assert world["committee_a"].name in text    # receiving organisation shown on the CĐCS
    branch = admin.get(f"/admin/organisations?union_root={world['upper_a'].id}")
    assert world["unit_a"].code in branch.text and world["unit_b"].code not in branch.text


def test_tree_orders_by_path_as_a_tree_not_as_numbers(admin, world, db):
    # ids 4 and 40-something under one parent: "/…/4/" must come with its own children.
    parent = world["upper_a"]
    nodes = [org(f"T-{i}", Tree.union, UnionKind.grassroots.value, parent=parent,
                 enterprise_kind=EnterpriseKind.fdi) for i in range(12)]
    db.session.commit()
    text = admin.get(f"/admin/organisations?union_root={parent.id}").text
    positions = [text.index(f"<code>{n.code}</code>") for n in nodes]
    assert positions == sorted(positions)


def _add_cdcs(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        org(f"CDCS-N{i}", Tree.union, UnionKind.grassroots.value,
            parent=world[f"upper_{'ab'[i % 2]}"], enterprise_kind=EnterpriseKind.non_state,
            has_party_org=False, receiving_party=world["committee_a"])


def test_tree_page_issues_the_same_statements_for_10_and_300_nodes(admin, world, app, db):
    _add_cdcs(world, 10, 0)
    db.session.commit()
    with counting(app, db) as few:
        page = admin.get("/admin/organisations")
    assert page.status_code == 200
    _add_cdcs(world, 290, 10)
    db.session.commit()
    with counting(app, db) as many:
        page = admin.get("/admin/organisations?union_page=2")
    assert page.status_code == 200 and "CDCS-N" in page.text
    assert len(few) == len(many), (few, many)
    assert len(many) <= 10, many
    assert 'union_page=3' in page.text         # 300+ union nodes are paginated by 100


def test_add_union_grassroots_node(admin, world, db):
    page = post(admin, "/admin/organisations/new/union", {
        "kind": "grassroots", "name": "Công đoàn cơ sở Công ty Mới", "code": "CDCS-MOI",
        "parent_code": world["upper_a"].code, "opened_on": "2026-01-15",
        "enterprise_kind": "non_state", "has_youth_union": "y",
        "receiving_code": world["committee_a"].code})
    assert page.status_code == 302
    node = db.session.scalar(select(Organisation).where(Organisation.code == "CDCS-MOI"))
    assert node.path == f"{world['upper_a'].path}{node.id}/"
    assert node.enterprise_kind == EnterpriseKind.non_state and node.has_youth_union
    assert node.has_party_org is False and node.receiving_party_id == world["committee_a"].id
    e = last_event()
    assert (e.subject, e.trigger, e.case_id) == ("organisation", "create", None)
    assert e.data["code"] == "CDCS-MOI" and e.data["receiving_party"] == world["committee_a"].code
    assert e.actor_id == world.users["administrator"].id
    assert "Công đoàn cơ sở Công ty Mới" in admin.get(page.location).text


def test_add_party_cell_with_capabilities(admin, world, db):
    page = post(admin, "/admin/organisations/new/party", {
        "kind": "cell", "name": "Chi bộ Phân xưởng 9", "code": "CB-9",
        "parent_code": world["committee_a"].code, "opened_on": "2024-03-01",
        "official_members": "7", "runs_classes": "y"})
    assert page.status_code == 302
    node = db.session.scalar(select(Organisation).where(Organisation.code == "CB-9"))
    assert node.tree == Tree.party and node.parent_id == world["committee_a"].id
    assert node.official_members == 7 and node.runs_classes and not node.competent_body
    assert last_event().trigger == "create"


GOOD_UNION = {"kind": "grassroots", "name": "CĐCS Tốt", "code": "CDCS-OK",
              "parent_code": "UP-a", "opened_on": "2026-01-15", "enterprise_kind": "fdi"}


@pytest.mark.parametrize("changes, field_message", [
    ({"name": ""}, "This field is required."),
    ({"name": "x" * 201}, "At most 200 characters."),
    ({"code": "C" * 41}, "At most 40 characters."),
    ({"opened_on": "31/02/2026"}, "Enter a valid date (dd/mm/yyyy)."),
    ({"opened_on": "2026-02-30"}, "Enter a valid date (dd/mm/yyyy)."),
    ({"opened_on": ""}, "This field is required."),
    ({"code": "CDCS-a"}, "This code is already used."),
    ({"code": "CÓ DẤU"}, CODE_CHARS),
    ({"code": "'; DROP TABLE user_account; --"},
     CODE_CHARS),
    ({"name": HOSTILE[0]}, NOT_ALLOWED),
    ({"name": HOSTILE[2]}, "The text contains invisible or control characters."),
    ({"name": HOSTILE[3]}, "The text contains invisible or control characters."),
    ({"kind": "cell"}, "Choose one of the listed values."),
    ({"enterprise_kind": ""}, "A CĐCS needs its enterprise kind."),
    ({"enterprise_kind": "mafia"}, "Choose one of the listed values."),
    ({"parent_code": ""}, "This kind of organisation needs a parent."),
    ({"parent_code": "NOPE"}, "No organisation of this tree has this code."),
    ({"parent_code": "DU-a"}, "No organisation of this tree has this code."),
    ({"parent_code": "CDCS-a"}, "cannot be placed under this node"),
    ({"opened_on": "2010-01-01"}, "The parent is not open on the opening date."),
    ({"receiving_code": "UP-b"}, "This is not a Party organisation."),
    ({"receiving_code": "ZZZ"}, "No organisation has this code."),
])
def test_add_node_refuses_bad_input(admin, world, db, changes, field_message):
    with unchanged(Organisation):
        page = post(admin, "/admin/organisations/new/union", {**GOOD_UNION, **changes})
    assert page.status_code == 400
    if field_message == "cannot be placed under this node":
        assert shows(page, "A %(kind)s cannot be placed under this node.",
                     kind=KIND_LABELS["grassroots"])
    else:
        assert shows(page, field_message), field_message
    assert "<script>alert" not in page.text
    assert 'class="error"' in page.text


def test_sql_looking_text_is_stored_as_typed(admin, world, db):
    page = post(admin, "/admin/organisations/new/union", {**GOOD_UNION, "name": HOSTILE[1]})
    assert page.status_code == 302
    node = db.session.scalar(select(Organisation).where(Organisation.code == "CDCS-OK"))
    assert node.name == HOSTILE[1]
    assert escape(HOSTILE[1]) in admin.get(page.location).text


def test_add_node_refuses_a_closed_receiving_party_and_party_kinds_in_the_union_tree(
        admin, world, db):
    world["committee_b"].closed_on = date(2025, 1, 1)
    db.session.commit()
    with unchanged(Organisation):
        page = post(admin, "/admin/organisations/new/union",
                    {**GOOD_UNION, "receiving_code": "DU-b"})
        assert page.status_code == 400 and shows(page, "This Party organisation is closed.")
        page = post(admin, "/admin/organisations/new/party", {
            "kind": "cell", "name": "Chi bộ", "code": "CB-X", "parent_code": "CB-a",
            "opened_on": "2024-01-01", "official_members": "-3"})
        assert page.status_code == 400
        assert shows(page, "A %(kind)s cannot be placed under this node.",
                     kind=KIND_LABELS["cell"])
        assert shows(page, "Enter a whole number from %(min)s to %(max)s.", min="0",
                     max="100.000")       # numbers the Vietnamese way


def test_rename_close_and_link(admin, world, db):
    unit = world["gunit_a"]
    node_id, old = unit.id, unit.name
    page = post(admin, f"/admin/organisations/{node_id}/rename", {"name": "CĐCS Đổi Tên"})
    assert page.status_code == 302
    assert db.session.get(Organisation, node_id).name == "CĐCS Đổi Tên"
    e = last_event()
    assert (e.subject, e.trigger, e.data["from"], e.data["to"]) == (
        "organisation", "rename", old, "CĐCS Đổi Tên")

    page = post(admin, f"/admin/organisations/{node_id}/receiving",
                {"receiving_code": world["committee_b"].code})
    assert page.status_code == 302
    assert db.session.get(Organisation, node_id).receiving_party_id == world["committee_b"].id
    assert last_event().trigger == "link"

    page = post(admin, f"/admin/organisations/{node_id}/close", {"closed_on": "2026-07-01"})
    assert page.status_code == 302
    node = db.session.get(Organisation, node_id)
    assert node.closed_on == date(2026, 7, 1)          # closed, never deleted
    e = last_event()
    assert (e.subject, e.trigger, e.data["closed_on"]) == ("organisation", "close",
                                                           "2026-07-01")
    assert "01/07/2026" in admin.get(f"/admin/organisations/{node_id}").text


@pytest.mark.parametrize("action, data, message", [
    ("rename", {"name": ""}, "This field is required."),
    ("rename", {"name": "y" * 201}, "At most 200 characters."),
    ("rename", {"name": HOSTILE[0]}, NOT_ALLOWED),
    ("rename", {"name": HOSTILE[2]}, "The text contains invisible or control characters."),
    ("rename", {"name": "CDCS-G-a"}, "The name is unchanged."),
    ("close", {"closed_on": ""}, "This field is required."),
    ("close", {"closed_on": "2026-13-01"}, "Enter a valid date (dd/mm/yyyy)."),
    ("close", {"closed_on": "2014-12-31"}, "The closing date must be after the opening date."),
    ("receiving", {"receiving_code": ""}, "This field is required."),
    ("receiving", {"receiving_code": "UP-a"}, "This is not a Party organisation."),
    ("receiving", {"receiving_code": "CB-a' OR 1=1"}, CODE_CHARS),
    ("receiving", {"receiving_code": "CBCS-a"}, "This is already the receiving organisation."),
])
def test_node_actions_refuse_bad_input(admin, world, db, action, data, message):
    node_id = world["gunit_a"].id
    with unchanged(Organisation):
        before = db.session.get(Organisation, node_id)
        snapshot = (before.name, before.closed_on, before.receiving_party_id)
        page = post(admin, f"/admin/organisations/{node_id}/{action}", data)
        assert page.status_code == 400 and shows(page, message)
        after = db.session.get(Organisation, node_id)
        assert (after.name, after.closed_on, after.receiving_party_id) == snapshot


def test_a_node_with_open_children_cannot_be_closed(admin, world, db):
    with unchanged(Organisation):
        page = post(admin, f"/admin/organisations/{world['upper_a'].id}/close",
                    {"closed_on": "2026-07-01"})
    assert page.status_code == 400
    assert shows(page, "Close or move its %(n)d open sub-organisations first.", n=2)
    assert db.session.get(Organisation, world["upper_a"].id).closed_on is None


def test_receiving_link_only_for_a_node_that_keeps_members(admin, world, db):
    """A CĐCS, or the union directly above grassroots (its workers of enterprises without a
    CĐCS); not the federation."""
    page = post(admin, f"/admin/organisations/{world['federation'].id}/receiving",
                {"receiving_code": "DU-a"})
    assert page.status_code == 404
    page = post(admin, f"/admin/organisations/{world['upper_a'].id}/receiving",
                {"receiving_code": "DU-a"})
    assert page.status_code == 302
    assert db.session.get(Organisation, world["upper_a"].id).receiving_party.code == "DU-a"
    assert admin.get("/admin/organisations/999999").status_code == 404


# --- users and grants ---------------------------------------------------------------------

GOOD_USER = {"username": "nguyen.van.moi", "full_name": "Nguyễn Văn Mới",
             "password": "một mật khẩu dài", "confirm": "một mật khẩu dài"}


def test_create_user_then_grant_end_and_deactivate(admin, world, db, app):
    page = post(admin, "/admin/users/new", GOOD_USER)
    assert page.status_code == 302
    new = db.session.scalar(select(User).where(User.username == "nguyen.van.moi"))
    assert new.full_name == "Nguyễn Văn Mới" and new.active
    assert new.check_password("một mật khẩu dài")
    e = last_event()
    assert (e.subject, e.trigger, e.data["username"]) == ("user", "create", "nguyen.van.moi")
    assert "một mật khẩu" not in str(e.data) and new.password_hash not in str(e.data)
    user_id = new.id

    page = post(admin, f"/admin/users/{user_id}/grants", {
        "role": "union_chair", "org_code": world["unit_a"].code,
        "valid_from": "2026-01-01", "valid_to": ""})
    assert page.status_code == 302
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == user_id))
    assert (grant.role, grant.org_id, grant.valid_to) == (Role.union_chair,
                                                         world["unit_a"].id, None)
    e = last_event()
    assert (e.subject, e.trigger, e.data["org"]) == ("user", "grant", world["unit_a"].code)

    page = post(admin, f"/admin/users/{user_id}/grants/{grant.id}/end",
                {"valid_to": "2026-06-30"})
    assert page.status_code == 302
    assert db.session.get(RoleGrant, grant.id).valid_to == date(2026, 6, 30)
    assert last_event().trigger == "end_grant"

    page = post(admin, f"/admin/users/{user_id}/active", {})
    assert page.status_code == 302
    assert not db.session.get(User, user_id).active     # its sessions: tests/security
    assert last_event().trigger == "deactivate"
    page = post(admin, f"/admin/users/{user_id}/active", {})
    assert db.session.get(User, user_id).active and last_event().trigger == "activate"


def test_member_role_links_the_account_to_the_member(admin, world, db):
    person = member(world["unit_a"], name="Trần Thị Đoàn Viên")
    target = User(username="tran.thi", full_name="Trần Thị Đoàn Viên", password_hash="x")
    db.session.add(target)
    db.session.commit()
    page = post(admin, f"/admin/users/{target.id}/grants", {
        "role": "member", "citizen_id": person.citizen_id, "valid_from": "2026-01-01"})
    assert page.status_code == 302
    target = db.session.get(User, target.id)
    assert target.member_id == person.id and target.grants[0].role == Role.member
    assert last_event().data["member_id"] == person.id
    assert person.citizen_id in admin.get(f"/admin/users/{target.id}").text


@pytest.mark.parametrize("changes, message", [
    ({"username": ""}, "This field is required."),
    ({"username": "ab"}, "From 3 to 60 characters."),
    ({"username": "u" * 61}, "From 3 to 60 characters."),
    ({"username": "admin"}, None),      # filled in below: an existing username
    ({"username": "Nguyễn"}, USERNAME_CHARS),
    ({"username": HOSTILE[0]}, USERNAME_CHARS),
    ({"username": HOSTILE[1]}, USERNAME_CHARS),
    ({"username": "zero\u200bwidth"}, "The text contains invisible or control characters."),
    ({"full_name": ""}, "This field is required."),
    ({"full_name": "n" * 121}, "At most 120 characters."),
    ({"full_name": HOSTILE[0]}, NOT_ALLOWED),
    ({"full_name": HOSTILE[3]}, "The text contains invisible or control characters."),
    ({"password": "short", "confirm": "short"}, "At least 12 characters."),
    ({"password": "p" * 129, "confirm": "p" * 129}, "At most 128 characters."),
    ({"confirm": "something else entirely"}, "The two passwords differ."),
])
def test_create_user_refuses_bad_input(admin, world, db, changes, message):
    if changes.get("username") == "admin":
        changes = {"username": world.users["union_chair_a"].username}
        message = "This username is already taken."
    with unchanged(User):
        page = post(admin, "/admin/users/new", {**GOOD_USER, **changes})
    assert page.status_code == 400 and shows(page, message), page.text
    assert "<script>alert" not in page.text


@pytest.mark.parametrize("changes, message", [
    ({"role": "union_chair", "org_code": ""}, "This role needs an organisation."),
    ({"role": "emperor"}, "Choose one of the listed values."),
    ({"role": "administrator", "org_code": "LDLD"},
     "This role is not tied to an organisation; leave it empty."),
    ({"role": "party_officer", "org_code": "CDCS-a"},
     "This role is held on a Party organisation."),
    ({"role": "union_chair", "org_code": "DU-a"}, "This role is held on a union organisation."),
    ({"org_code": "NOPE"}, "No organisation has this code."),
    ({"valid_from": "2026-05-01", "valid_to": "2026-04-30"},
     "The end date is before the start date."),
    ({"valid_from": "01.01.2026"}, "Enter a valid date (dd/mm/yyyy)."),
    ({"valid_from": ""}, "This field is required."),
    ({"role": "member", "org_code": ""}, "Give the member's citizen ID."),
    ({"role": "member", "org_code": "", "citizen_id": "12345"},
     "The citizen ID must have exactly 12 digits."),
    ({"role": "member", "org_code": "", "citizen_id": "999999999999"},
     "No union member has this citizen ID."),
    ({"citizen_id": "027100000001"}, "Only for the member role."),
    ({"org_code": HOSTILE[1]}, CODE_CHARS),
    ({"role": "union_chair", "org_code": "CDCS-a", "valid_from": "2021-01-01"},
     "The account already holds this role here in that period."),
])
def test_grant_refuses_bad_input(admin, world, db, changes, message):
    chair = world.users["union_chair_a"]
    with unchanged(RoleGrant):
        page = post(admin, f"/admin/users/{chair.id}/grants", {
            "role": "class_organiser", "org_code": "BLOC-a", "valid_from": "2026-01-01",
            **changes})
        assert page.status_code == 400 and shows(page, message), page.text
        assert db.session.get(User, chair.id).member_id is None


def test_member_cannot_be_linked_to_two_accounts(admin, world, db):
    person = member(world["unit_a"])
    user(Role.member, None, member_id=person.id)
    other = world.users["union_chair_b"]
    db.session.commit()
    with unchanged(RoleGrant):
        page = post(admin, f"/admin/users/{other.id}/grants", {
            "role": "member", "citizen_id": person.citizen_id, "valid_from": "2026-01-01"})
    assert page.status_code == 400
    assert shows(page, "Another account is already linked to this member.")


@pytest.mark.parametrize("valid_to, message", [
    ("2019-12-31", "The end date is before the start date."),
    ("", "This field is required."),
    ("2026-02-31", "Enter a valid date (dd/mm/yyyy)."),
])
def test_end_grant_refuses_bad_input(admin, world, db, valid_to, message):
    chair = world.users["union_chair_a"]
    grant_id = chair.grants[0].id
    with unchanged(RoleGrant):
        page = post(admin, f"/admin/users/{chair.id}/grants/{grant_id}/end",
                    {"valid_to": valid_to})
    assert page.status_code == 400 and shows(page, message)
    assert db.session.get(RoleGrant, grant_id).valid_to is None


def test_an_administrator_cannot_lock_themself_out(admin, world, db):
    me = world.users["administrator"]
    with unchanged(User, RoleGrant):
        page = post(admin, f"/admin/users/{me.id}/grants/{me.grants[0].id}/end",
                    {"valid_to": TODAY.isoformat()})
        assert page.status_code == 400
        assert shows(page, "You cannot end your own administrator role.")
        page = post(admin, f"/admin/users/{me.id}/active", {})
        assert page.status_code == 302
    assert db.session.get(User, me.id).active


def test_user_list_searches_and_paginates(admin, world, db):
    for i in range(60):
        user(Role.union_chair, world["unit_a"], username=f"extra{i:02d}")
    db.session.commit()
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "?page=2" in page.text
    found = admin.get("/admin/users?q=EXTRA0")
    assert "extra05" in found.text and "extra15" not in found.text
    assert "extra05" not in admin.get("/admin/users?q=%00%27%3B--").text
    assert admin.get("/admin/users?page=999999999999").status_code == 200


# --- rule sets ----------------------------------------------------------------------------

def test_every_required_parameter_has_a_field_and_a_label():
    assert {key for key, *_ in PARAMS} >= REQUIRED_KEYS


def test_rule_sets_are_listed_with_readable_parameters(admin, db):
    page = admin.get("/admin/rules")
    assert page.status_code == 200
    for code in ("29-QĐ/TW", "24-QĐ/TW", "232-QĐ/TW", "294-QĐ/TW"):
        assert code in page.text
    assert "≥ 2/3" in page.text and "&gt; 1/2" in page.text
    assert "Probation (months)" in page.text or "dự bị" in page.text.lower()
    assert "01/07/2025" in page.text


def test_new_rule_set_is_prefilled_and_saved(admin, world, db):
    current = rule_set_on(TODAY)
    form = admin.get("/admin/rules/new").text
    assert f'name="{field_name("decision_working_days")}"' in form
    assert 'value="60"' in form
    start = TODAY + timedelta(days=30)
    data = rule_form_data(current.params, **{field_name("probation_months"): "18",
                                            field_name("cell_vote", "num"): "3",
                                            field_name("cell_vote", "den"): "4"})
    page = post(admin, "/admin/rules/new", {
        "code": "999-QĐ/TW", "title": "Quy định 999-QĐ/TW", "note": "Thử",
        "effective_from": start.isoformat(), **data})
    assert page.status_code == 302, page.text
    new = db.session.scalar(select(RuleSet).where(RuleSet.code == "999-QĐ/TW"))
    assert new.effective_from == start and set(new.params) >= REQUIRED_KEYS
    assert new.params["probation_months"] == 18
    assert new.params["cell_vote"] == {"num": 3, "den": 4, "strict": False}
    assert {k: v for k, v in new.params.items() if k not in ("probation_months", "cell_vote")} \
        == {k: v for k, v in current.params.items() if k not in ("probation_months",
                                                                  "cell_vote")}
    assert rule_set_on(TODAY).code == current.code and rule_set_on(start).code == "999-QĐ/TW"
    e = last_event()
    assert (e.subject, e.trigger, e.rule_set) == ("rule_set", "create", "999-QĐ/TW")
    assert e.data["params"]["probation_months"] == 18


@pytest.mark.parametrize("changes, message", [
    ({field_name("cell_vote", "num"): "3", field_name("cell_vote", "den"): "3"},
     "The numerator must be smaller than the denominator."),
    ({field_name("union_vote", "num"): "5", field_name("union_vote", "den"): "4"},
     "The numerator must be smaller than the denominator."),
    ({field_name("probation_months"): "0"}, "Enter a whole number from 1 to 60."),
    ({field_name("decision_working_days"): "abc"}, "Enter a whole number from 1 to 365."),
    ({field_name("decision_working_days"): "99999999999999999999"},
     "Enter a whole number from 1 to 365."),
    ({field_name("decision_working_days"): ""}, "This field is required."),
    ({field_name("document_validity_months", 0): "-1"}, "Enter a whole number from 1 to 240."),
    ({field_name("max_age_months"): "216"}, "The maximum age must be above the minimum age."),
    ({"effective_from": "PAST"}, "The date must be after today."),
    ({"effective_from": "TODAY"}, "The date must be after today."),
    ({"effective_from": "2026-02-30"}, "Enter a valid date (dd/mm/yyyy)."),
    ({"effective_from": ""}, "This field is required."),
    ({"code": "294-QĐ/TW"}, "This code is already used."),
    ({"code": ""}, "This field is required."),
    ({"code": "c" * 41}, "At most 40 characters."),
    ({"title": HOSTILE[0]}, NOT_ALLOWED),
    ({"code": HOSTILE[1]}, CODE_CHARS),
    ({"title": HOSTILE[2]}, "The text contains invisible or control characters."),
    ({"note": "n" * 2001}, "At most 2000 characters."),
])
def test_new_rule_set_refuses_bad_input(admin, world, db, changes, message):
    current = rule_set_on(TODAY)
    dates = {"PAST": (TODAY - timedelta(days=1)).isoformat(), "TODAY": TODAY.isoformat()}
    if changes.get("effective_from") in dates:
        changes = {"effective_from": dates[changes["effective_from"]]}
    data = {"code": "NEW-1", "title": "Quy định mới",
            "effective_from": (TODAY + timedelta(days=10)).isoformat(),
            **rule_form_data(current.params), **changes}
    with unchanged(RuleSet):
        page = post(admin, "/admin/rules/new", data)
    assert page.status_code == 400 and shows(page, message), message
    assert "<script>alert" not in page.text


def test_a_missing_parameter_is_refused_not_taken_from_the_current_set(admin, world, db):
    data = rule_form_data(rule_set_on(TODAY).params)
    del data[field_name("ceremony_working_days")]
    with unchanged(RuleSet):
        page = post(admin, "/admin/rules/new", {
            "code": "NEW-2", "title": "Mới",
            "effective_from": (TODAY + timedelta(days=5)).isoformat(), **data})
    assert page.status_code == 400 and shows(page, "This field is required.")


def test_two_sets_cannot_start_on_the_same_day(admin, world, db):
    start = TODAY + timedelta(days=40)
    db.session.add(RuleSet(code="F-1", title="Tương lai", effective_from=start,
                           params=dict(rule_set_on(TODAY).params)))
    db.session.commit()
    with unchanged(RuleSet):
        page = post(admin, "/admin/rules/new", {
            "code": "F-2", "title": "Trùng ngày", "effective_from": start.isoformat(),
            **rule_form_data(rule_set_on(TODAY).params)})
    assert page.status_code == 400
    assert shows(page, "Another rule set takes effect on that day.")


# --- holidays -----------------------------------------------------------------------------

def test_add_and_remove_holiday_overrides(admin, world, db):
    page = post(admin, "/admin/holidays", {"day": "2026-12-31", "day_off": "1",
                                           "note": "Nghỉ cuối năm"})
    assert page.status_code == 302 and "year=2026" in page.location
    row = db.session.scalar(select(HolidayOverride).where(
        HolidayOverride.day == date(2026, 12, 31)))
    assert row.day_off and row.note == "Nghỉ cuối năm"
    e = last_event()
    assert (e.subject, e.trigger, e.data["day"], e.case_id) == ("holiday", "create",
                                                                "2026-12-31", None)
    listing = admin.get("/admin/holidays?year=2026").text
    assert "31/12/2026" in listing and "Nghỉ cuối năm" in listing
    assert "01/01/2026" in listing          # the built-in public holidays are shown too

    # 2026-01-10 is a Saturday: an extra working day (a swapped Saturday).
    page = post(admin, "/admin/holidays", {"day": "2026-01-10", "day_off": "0", "note": ""})
    assert page.status_code == 302
    assert db.session.scalar(select(HolidayOverride.day_off).where(
        HolidayOverride.day == date(2026, 1, 10))) is False

    row_id = row.id
    page = post(admin, f"/admin/holidays/{row_id}/remove", {})
    assert page.status_code == 302
    assert db.session.get(HolidayOverride, row_id) is None
    e = last_event()
    assert (e.subject, e.trigger, e.data["day"], e.data["note"]) == (
        "holiday", "remove", "2026-12-31", "Nghỉ cuối năm")
    assert post(admin, f"/admin/holidays/{row_id}/remove", {}).status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"day": ""}, "This field is required."),
    ({"day": "2026-02-29"}, "Enter a valid date (dd/mm/yyyy)."),
    ({"day": "2026-12-24"}, "This day already has an override; remove it first."),
    ({"day": "2026-12-26"}, "This day is already a day off (weekend or public holiday)."),
    ({"day": "2026-09-02"}, "This day is already a day off (weekend or public holiday)."),
    ({"day": "2026-12-22", "day_off": "0"}, "This day is already a working day."),
    ({"day_off": "maybe"}, "Choose one of the listed values."),
    ({"note": "n" * 201}, "At most 200 characters."),
    ({"note": HOSTILE[0]}, NOT_ALLOWED),
    ({"note": HOSTILE[2]}, "The text contains invisible or control characters."),
])
def test_add_holiday_refuses_bad_input(admin, world, db, holiday, data, message):
    with unchanged(HolidayOverride):
        page = post(admin, "/admin/holidays", {"day": "2026-12-23", "day_off": "1",
                                               "note": "", **data})
    assert page.status_code == 400 and shows(page, message), message
    assert "<script>alert" not in page.text


def test_year_argument_is_bounded(admin, db):
    assert admin.get("/admin/holidays?year=99999999").status_code == 200
    assert admin.get("/admin/holidays?year=abc").status_code == 200

