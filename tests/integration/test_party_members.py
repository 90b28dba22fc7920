"""The Party members of a cell (its roster): who may keep it (roles × scope), audit of every
change and of each read, the cell's official_members kept in step with a kept roster, folded
search and pages, bad input, and the rows the ceremony, the recognition and the removal
write."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from referral_flow.demo_steps import step_data
from referral_flow.models import (AuditEvent, Organisation, PartyKind, PartyMember, PartyStatus,
                                  Role, Tree)
from referral_flow.services.audit import verify
from referral_flow.services.transitions import fire

from ..conftest import csrf_token, logged_reads
from ..factories import TODAY, advance, new_case, org, user

EDIT_LINK = re.compile(r'href="/party-members/(\d+)/edit"')


def good(**changes) -> dict:
    data = {"full_name": "Trịnh Thị Hồng Nhung", "status": "official",
            "official_since": "2015-05-19", "phone": "0912 345 678",
            "email": "nhung@example.vn"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, url: str, data: dict, form_url: str | None = None):
    page = client.get(form_url or url)
    assert page.status_code == 200, page.text[:300]
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


def events(db, subject: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.subject == subject)
                                   .order_by(AuditEvent.id)))


def count_of(db, cell: Organisation) -> int:
    db.session.expire_all()
    return db.session.get(Organisation, cell.id).official_members


@pytest.fixture
def secretary(world, db, client, auth):
    db.session.commit()
    auth.login(world.users["cell_secretary_a"].username)
    return world.users["cell_secretary_a"]


# --- who may keep which roster ------------------------------------------------------------

# cell_a is under committee_a (party_officer_a) and is cell_secretary_a's cell; gcell_a sits
# directly under bloc_a; cell_b is the other side's.
KEEPS = {
    "administrator": {"cell_a", "gcell_a", "cell_b"},
    "party_officer_a": {"cell_a"},
    "cell_secretary_a": {"cell_a"},
    "party_officer_b": {"cell_b"},
    "cell_secretary_b": {"cell_b"},
}
NO_KEEPER = ["union_chair_a", "federation_officer_a", "class_organiser_a",
             "competent_officer_a", "member"]
CELLS = ["cell_a", "gcell_a", "cell_b"]


def _login(world, db, auth, who):
    if who == "member":
        case = new_case(world)
        world.users["member"] = user(Role.member, None, member_id=case.member_id)
    db.session.commit()
    auth.login(world.users[who].username)


def _requests(world, cell_key):
    """(method, url) of every roster screen for one cell."""
    cell = world[cell_key]
    person = world.rosters[cell_key][0]
    return [
        ("GET", f"/party-members/cells/{cell.id}"),
        ("GET", f"/party-members/cells/{cell.id}/new"),
        ("POST", f"/party-members/cells/{cell.id}/new"),
        ("GET", f"/party-members/{person.id}/edit"),
        ("POST", f"/party-members/{person.id}/edit"),
        ("POST", f"/party-members/{person.id}/left"),
        ("POST", f"/party-members/cells/{cell.id}/keep"),
    ]


@pytest.mark.parametrize("cell_key", CELLS)
@pytest.mark.parametrize("who", [*KEEPS, *NO_KEEPER])
def test_roster_screens_by_role_and_scope(world, db, client, auth, who, cell_key):
    _login(world, db, auth, who)
    if who in NO_KEEPER:
        expected_get, expected_post = 403, 403
    elif cell_key in KEEPS[who]:
        expected_get, expected_post = 200, None        # a change: saved, then redirected
    else:
        expected_get, expected_post = 404, 404
    token = csrf_token(client.get("/cases/" if who != "member" else "/me/").text)
    before = db.session.scalar(select(func.count(PartyMember.id)))
    for method, url in _requests(world, cell_key):
        if method == "GET":
            assert client.get(url).status_code == expected_get, url
            continue
        response = client.post(url, data={"csrf_token": token, **good(),
                                          "left_on": TODAY.isoformat()})
        assert response.status_code == (expected_post or 302), url
    db.session.expire_all()
    after = db.session.scalar(select(func.count(PartyMember.id)))
    assert after == before + (1 if expected_post is None else 0)
    # The menu entry follows the roles that may keep a roster.
    home = client.get("/me/" if who == "member" else "/cases/").text
    assert ('href="/party-members/"' in home) == (who in KEEPS)


def test_the_cell_list_shows_only_cells_in_scope(world, db, client, auth):
    _login(world, db, auth, "administrator")
    page = client.get("/party-members/").text
    assert all(f"/party-members/cells/{world[c].id}" in page for c in CELLS)
    assert f"/party-members/cells/{world['committee_a'].id}" not in page   # not a cell
    auth.logout()
    auth.login(world.users["party_officer_a"].username)
    # One cell in scope: straight to its roster.
    response = client.get("/party-members/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/party-members/cells/{world['cell_a'].id}")


@pytest.mark.parametrize("path", ["/party-members/cells/0", "/party-members/cells/-1",
                                  "/party-members/cells/99999999999", "/party-members/0/edit",
                                  "/party-members/cells/abc"])
def test_hostile_paths_are_404(world, db, client, auth, path):
    _login(world, db, auth, "administrator")
    assert client.get(path).status_code == 404


def test_a_committee_is_not_a_cell(world, db, client, auth):
    _login(world, db, auth, "administrator")
    assert client.get(f"/party-members/cells/{world['committee_a'].id}").status_code == 404


def test_changes_need_csrf(world, db, secretary, client):
    person = world.rosters["cell_a"][0]
    response = client.post(f"/party-members/{person.id}/left",
                           data={"left_on": TODAY.isoformat()})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(PartyMember, person.id).left_on is None


# --- reading, search, pages ---------------------------------------------------------------

def test_each_roster_page_read_is_logged_once(world, db, secretary, client):
    cell = world["cell_a"]
    person = world.rosters["cell_a"][2]
    assert client.get(f"/party-members/cells/{cell.id}").status_code == 200
    assert client.get(f"/party-members/cells/{cell.id}?q=tran").status_code == 200
    assert client.get(f"/party-members/{person.id}/edit").status_code == 200
    reads = logged_reads(db)
    on_roster = {p.id for p in world.rosters["cell_a"]}
    assert [(r.actor_id, r.endpoint, r.filters.get("cell_id") or r.filters.get("person_id"))
            for r in reads] == [(secretary.id, "party_members.roster", cell.id)] * 2 + [
        (secretary.id, "party_members.edit", person.id)]
    assert reads[0].party_members == on_roster and reads[0].members == set()
    assert reads[1].party_members < on_roster and reads[1].filters["q"] == "tran"
    assert reads[2].party_members == {person.id}


@pytest.mark.parametrize("q, expected", [
    ("tran van hung", ["Trần Văn Hùng"]), ("TRẦN VĂN", ["Trần Văn Hùng"]),
    ("tran", ["Trần Văn Hùng", "Đặng Thu Trang"]), ("hoa", ["Lê Thị Hoa", "Hoàng Thị Yến"]),
    ("duc", ["Phạm Minh Đức"]), ("  thi   hoa  ", ["Lê Thị Hoa"]), ("xyz", []),
    ("%", []), ("\x00", ["*"]),
])
def test_roster_search_folds_diacritics(world, db, secretary, client, q, expected):
    page = client.get(f"/party-members/cells/{world['cell_a'].id}", query_string={"q": q})
    assert page.status_code == 200
    names = {p.full_name.rsplit(" ", 1)[0]: p.id for p in world.rosters["cell_a"]}
    shown = {int(i) for i in EDIT_LINK.findall(page.text)}
    if expected == ["*"]:
        assert shown == set(names.values())
    else:
        assert shown == {names[n] for n in expected}


def test_roster_pages_with_the_pager(world, db, secretary, client, app):
    app.config["MEMBERS_PER_PAGE"] = 4
    url = f"/party-members/cells/{world['cell_a'].id}"
    seen = set()
    for page in (1, 2, 3):
        text = client.get(url, query_string={"page": page}).text
        seen |= {int(i) for i in EDIT_LINK.findall(text)}
    assert seen == {p.id for p in world.rosters["cell_a"]}           # 9 members on 3 pages
    assert "Trang 1/3" in client.get(url).text
    assert client.get(url, query_string={"page": "9" * 40}).status_code == 200


def test_those_who_left_are_kept_and_shown_on_request(world, db, secretary, client):
    person = world.rosters["cell_a"][0]
    assert post_form(client, f"/party-members/{person.id}/left", {"left_on": TODAY.isoformat()},
                     form_url=f"/party-members/{person.id}/edit").status_code == 302
    url = f"/party-members/cells/{world['cell_a'].id}"
    assert person.id not in {int(i) for i in EDIT_LINK.findall(client.get(url).text)}
    with_left = client.get(url, query_string={"left": "1"}).text
    assert person.id in {int(i) for i in EDIT_LINK.findall(with_left)}
    assert "25/11/2026" in with_left


# --- changes: audit and the count of official members --------------------------------------

def test_add_edit_leave_are_audited_and_the_count_follows(world, db, secretary, client):
    cell = world["cell_a"]
    assert count_of(db, cell) == 9
    new = f"/party-members/cells/{cell.id}/new"
    assert post_form(client, new, good()).status_code == 302
    person = db.session.scalars(select(PartyMember).where(
        PartyMember.full_name == "Trịnh Thị Hồng Nhung")).one()
    assert (person.phone, person.search_key) == ("0912345678", "trinh thi hong nhung")
    assert count_of(db, cell) == 10
    # A probationary member does not count.
    assert post_form(client, new, good(full_name="Lý Văn Dự", status="probationary",
                                       official_since="")).status_code == 302
    assert count_of(db, cell) == 10
    # Official to probationary (a correction), then leaving: one less each time.
    edit = f"/party-members/{person.id}/edit"
    assert post_form(client, edit, good(status="probationary")).status_code == 302
    assert count_of(db, cell) == 9
    other = world.rosters["cell_a"][1]
    assert post_form(client, f"/party-members/{other.id}/left", {"left_on": TODAY.isoformat()},
                     form_url=f"/party-members/{other.id}/edit").status_code == 302
    assert count_of(db, cell) == 8

    changes = events(db, "party_member")
    assert [e.trigger for e in changes] == ["create", "create", "edit", "leave"]
    assert changes[2].data["fields"] == ["official_since", "status"]
    assert all(e.actor_id == secretary.id and e.data["cell_id"] == cell.id for e in changes)
    assert "Nhung" not in str([e.data for e in changes])          # no personal data
    recounts = [e.data["official_members"] for e in events(db, "organisation")]
    assert recounts == [{"from": 9, "to": 10}, {"from": 10, "to": 9}, {"from": 9, "to": 8}]


def test_an_unchanged_edit_writes_nothing(world, db, secretary, client):
    person = world.rosters["cell_a"][0]
    data = good(full_name=person.full_name, phone=person.phone, email="",
                official_since=person.official_since.isoformat())
    assert post_form(client, f"/party-members/{person.id}/edit", data).status_code == 302
    assert events(db, "party_member") == []


def test_a_roster_not_yet_kept_leaves_the_count_until_confirmed(world, db, client, auth):
    committee = world["committee_a"]
    cell = org("CB-new", Tree.party, PartyKind.cell.value, parent=committee, official_members=12)
    _login(world, db, auth, "party_officer_a")
    page = client.get(f"/party-members/cells/{cell.id}").text
    assert "12" in page and f'action="/party-members/cells/{cell.id}/keep"' in page
    for name in ("Trần Văn A", "Lê Thị B", "Phạm Văn C"):
        assert post_form(client, f"/party-members/cells/{cell.id}/new",
                         good(full_name=name)).status_code == 302
    assert count_of(db, cell) == 12                     # still the number entered by hand
    assert events(db, "organisation") == []
    assert post_form(client, f"/party-members/cells/{cell.id}/keep", {},
                     form_url=f"/party-members/cells/{cell.id}").status_code == 302
    db.session.expire_all()
    kept = db.session.get(Organisation, cell.id)
    assert (kept.roster_kept, kept.official_members) == (True, 3)
    assert [(e.trigger, e.data.get("official_members")) for e in events(db, "organisation")] \
        == [("keep_roster", None), ("recount", {"from": 12, "to": 3})]
    assert f'action="/party-members/cells/{cell.id}/keep"' not in \
        client.get(f"/party-members/cells/{cell.id}").text


BAD = [
    ({"full_name": ""}, "Trường này bắt buộc phải nhập."),
    ({"full_name": "Nguyễn <b>"}, "Họ và tên chỉ được gồm chữ cái"),
    ({"phone": "12ab"}, "Vui lòng nhập số điện thoại"),
    ({"email": "not-an-address"}, "địa chỉ thư điện tử hợp lệ"),
    ({"official_since": ""}, "bắt buộc phải nhập."),
    ({"official_since": (TODAY + timedelta(days=1)).isoformat()}, "không được sau ngày hôm nay"),
    ({"official_since": "31/02/2020"}, "Vui lòng nhập ngày hợp lệ (dd/mm/yyyy)."),
    ({"status": "chairman"}, "Vui lòng chọn một giá trị trong danh sách."),
]


@pytest.mark.parametrize("change, message", BAD, ids=[next(iter(c)) + str(i)
                                                      for i, (c, _m) in enumerate(BAD)])
def test_bad_input_is_refused_in_vietnamese_and_kept(world, db, secretary, client, change,
                                                     message):
    cell = world["cell_a"]
    response = post_form(client, f"/party-members/cells/{cell.id}/new", good(**change))
    assert response.status_code == 400
    assert message in response.text
    assert "Trịnh Thị Hồng Nhung" in response.text or "full_name" in change
    assert db.session.scalar(select(func.count(PartyMember.id)).where(
        PartyMember.cell_id == cell.id)) == 9
    assert count_of(db, cell) == 9


def test_leaving_before_becoming_official_or_in_the_future_is_refused(world, db, secretary,
                                                                      client):
    person = world.rosters["cell_a"][0]
    url = f"/party-members/{person.id}/left"
    for day in ((TODAY + timedelta(days=1)).isoformat(), "2009-01-01", ""):
        response = post_form(client, url, {"left_on": day},
                             form_url=f"/party-members/{person.id}/edit")
        assert response.status_code == 400, day
    db.session.expire_all()
    assert db.session.get(PartyMember, person.id).left_on is None


# --- rows written by the transitions ------------------------------------------------------

def test_ceremony_recognition_and_removal_write_the_roster(world, db):
    cell = world["cell_a"]
    case = advance(new_case(world, start=TODAY - timedelta(days=800)), world, "probation")
    person = db.session.scalars(select(PartyMember).where(
        PartyMember.member_id == case.member_id)).one()
    assert (person.cell_id, person.status, person.full_name, person.left_on) == \
        (cell.id, PartyStatus.probationary, case.member.full_name, None)
    assert cell.official_members == 9                   # a probationary member does not vote
    ceremony = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.trigger == "hold_ceremony")).one()
    assert ceremony.data["roster"] == {"cell_id": cell.id, "status": "probationary"}

    on = case.probation_ends_on
    for trigger in ("open_recognition", "recognition_committee_approve", "recognise"):
        on += timedelta(days=10)
        data, _comment = step_data(trigger, case, on, world.cells)
        fire(case, trigger, None, expected_version=case.version, data=data, on=on,
             today=TODAY, check_permission=False)
    db.session.expire_all()
    person = db.session.get(PartyMember, person.id)
    assert (person.status, person.official_since) == (PartyStatus.official, case.official_from)
    assert db.session.get(Organisation, cell.id).official_members == 10
    recognised = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.trigger == "recognise")).one()
    assert recognised.data["roster"] == {"cell_id": cell.id, "status": "official"}
    assert db.session.scalar(select(func.count(PartyMember.id)).where(
        PartyMember.member_id == case.member_id)) == 1

    removed = advance(new_case(world, start=TODAY - timedelta(days=800)), world, "removed")
    gone = db.session.scalars(select(PartyMember).where(
        PartyMember.member_id == removed.member_id)).one()
    assert (gone.status, gone.left_on) == (PartyStatus.probationary, removed.closed_on)
    assert db.session.get(Organisation, cell.id).official_members == 10


def test_recognition_in_a_cell_whose_roster_is_not_kept_leaves_its_count(world, db):
    cell = world["cell_a"]
    cell.roster_kept = False
    db.session.flush()
    case = advance(new_case(world, start=TODAY - timedelta(days=800)), world, "official")
    assert db.session.get(Organisation, cell.id).official_members == 9
    assert db.session.scalars(select(PartyMember.status).where(
        PartyMember.member_id == case.member_id)).one() == PartyStatus.official


def test_recognition_keeps_version_and_chain(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=800)), world, "official")
    steps = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.case_id == case.id, AuditEvent.subject == "case"))
    assert case.version == steps                        # one compare-and-set per step
    assert verify().ok


def test_the_helper_keeps_his_name_as_it_was_and_links_to_the_roster(world, db):
    case = advance(new_case(world, start=TODAY - timedelta(days=200)), world, "accepted")
    helper = db.session.get(PartyMember, case.helpers[0].party_member_id)
    assert (helper.cell_id, case.helpers[0].full_name) == (world["cell_a"].id, helper.full_name)
    old = case.helpers[0].full_name
    helper.full_name = "Tên Đã Đổi"
    db.session.flush()
    db.session.expire_all()
    assert case.helpers[0].full_name == old             # the name as it was on the day
    assert case.helpers[0].party_member.full_name == "Tên Đã Đổi"
