"""The union chair's screens: roster (scope, folded search, open case per row, constant
statements), adding and editing members (every field's bad input, NFC, duplicate citizen
ID, audit), nominating (the draft case, refusal of a second one) and the unit's cases."""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, timedelta

import pytest
from flask import current_app
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from referral_flow.models import (AuditEvent, Case, Member, PartyMember, PartyStatus, Role,
                                  RoleGrant)
from referral_flow.services import audit as audit_service
from referral_flow.services.cases import open_draft
from referral_flow.services.transitions import fire
from referral_flow.workflow.errors import GuardFailed

from ..conftest import changes_logged, counting, csrf_token
from ..factories import TODAY, advance, member, new_case, user
from .test_web import vi

EDIT_LINK = re.compile(r'href="/members/(\d+)/edit"')
NOMINATE = re.compile(r'action="/members/(\d+)/nominate')
ROSTER_BOUND = 10      # 8, and the read log's two INSERTs


def shown(page) -> set[int]:
    return {int(i) for i in EDIT_LINK.findall(page.text)}


def years_ago(n: int, days: int = 0) -> date:
    try:
        return TODAY.replace(year=TODAY.year - n) - timedelta(days=days)
    except ValueError:                      # 29 February
        return TODAY.replace(year=TODAY.year - n, day=28) - timedelta(days=days)


def valid_data(**changes) -> dict:
    data = {
        "full_name": "Nguyễn Văn An", "date_of_birth": years_ago(30).isoformat(),
        "gender": "male", "citizen_id": "001090123456", "job": "Công nhân hàn",
        "direct_production": "y", "phone": "0912345678", "email": "an@example.vn",
        "union_member_since": years_ago(5).isoformat(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def chair(world, db, client, auth):
    db.session.commit()
    auth.login(world.users["union_chair_a"].username)
    return world.users["union_chair_a"]


def post_form(client, url: str, data: dict):
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


# --- access -----------------------------------------------------------------------------

OTHER_ROLES = ["federation_officer_a", "party_officer_a", "class_organiser_a",
               "cell_secretary_a", "competent_officer_a", "administrator"]


@pytest.mark.parametrize("who", OTHER_ROLES)
@pytest.mark.parametrize("path", ["/members/", "/members/new", "/members/cases"])
def test_other_roles_are_refused(world, db, client, auth, who, path):
    db.session.commit()
    auth.login(world.users[who].username)
    assert client.get(path).status_code == 403
    assert 'href="/members/"' not in client.get("/cases/").text


@pytest.mark.parametrize("who", OTHER_ROLES)
def test_other_roles_cannot_edit_or_nominate(world, db, client, auth, who):
    m = member(world["unit_a"])
    db.session.commit()
    auth.login(world.users[who].username)
    assert client.get(f"/members/{m.id}/edit").status_code == 403
    token = csrf_token(client.get("/cases/").text)
    assert client.post(f"/members/{m.id}/nominate",
                       data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_anonymous_is_sent_to_login(client):
    page = client.get("/members/")
    assert page.status_code == 302 and "/login" in page.location


def test_chair_sees_the_menu_entry_and_own_members_only(world, db, client, auth):
    mine, theirs = member(world["unit_a"]), member(world["unit_b"])
    db.session.commit()
    auth.login(world.users["union_chair_a"].username)
    page = client.get("/members/")
    assert page.status_code == 200
    assert 'href="/members/"' in page.text
    assert shown(page) == {mine.id}
    assert theirs.id not in shown(client.get("/members/",
                                             query_string={"unit": world["unit_b"].id}))


def test_another_units_chair_gets_404(world, db, client, auth):
    m = member(world["unit_a"])
    db.session.commit()
    auth.login(world.users["union_chair_b"].username)
    assert client.get(f"/members/{m.id}/edit").status_code == 404
    page = client.get("/members/")
    token = csrf_token(page.text)
    assert client.post(f"/members/{m.id}/edit",
                       data=valid_data(csrf_token=token)).status_code == 404
    assert client.post(f"/members/{m.id}/nominate",
                       data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count(Case.id))) == 0
    db.session.refresh(m)
    assert m.full_name != "Nguyễn Văn An"


@pytest.mark.parametrize("path", ["/members/abc/edit", "/members/-1/edit", "/members/0/edit",
                                  "/members/" + "9" * 40 + "/edit", "/members/99999/edit"])
def test_hostile_member_paths_are_404(chair, client, path):
    assert client.get(path).status_code == 404


def test_nominate_needs_csrf(world, db, chair, client):
    m = member(world["unit_a"])
    db.session.commit()
    assert client.post(f"/members/{m.id}/nominate").status_code == 400
    assert client.post(f"/members/{m.id}/nominate", data={"csrf_token": "x"}).status_code == 400
    # A GET (a reload after a refused POST) returns to the roster rather than a 405.
    assert client.get(f"/members/{m.id}/nominate").location == "/members/"
    assert db.session.scalar(select(func.count(Case.id))) == 0


# --- roster: search, open case per row, constant statements -----------------------------

NAMES = ["Nguyễn Văn Bình", "NGUYỄN Thị Ánh", "Trần Văn Đức", "Lê Thị Hương", "Vi_Thị Lan"]


@pytest.fixture
def named(world, db) -> dict[str, int]:
    ids = {name: member(world["unit_a"], name=name).id for name in NAMES}
    member(world["unit_b"], name="Nguyễn Văn Khác")       # another unit: never shown
    db.session.commit()
    return ids


@pytest.mark.parametrize("q, expected", [
    ("nguyen van", {"Nguyễn Văn Bình"}),
    ("Nguyễn Văn", {"Nguyễn Văn Bình"}),
    ("NGUYEN", {"Nguyễn Văn Bình", "NGUYỄN Thị Ánh"}),
    (unicodedata.normalize("NFD", "nguyễn"), {"Nguyễn Văn Bình", "NGUYỄN Thị Ánh"}),
    ("duc", {"Trần Văn Đức"}),
    ("  thi   huong ", {"Lê Thị Hương"}),
    ("%", set()),
    ("_", {"Vi_Thị Lan"}),
    ("n%n", set()),
    ("xyz", set()),
    ("' OR 1=1 --", set()),
    ("<script>alert(1)</script>", set()),
    ("abc\x00def", set()),
    ("", set(NAMES)),
])
def test_roster_search_folds_diacritics(named, chair, client, q, expected):
    page = client.get("/members/", query_string={"q": q})
    assert page.status_code == 200
    assert shown(page) == {named[n] for n in expected}
    assert "<script>alert" not in page.text


def test_roster_search_by_citizen_id(world, db, chair, client):
    m = member(world["unit_a"])
    db.session.commit()
    assert shown(client.get("/members/", query_string={"q": m.citizen_id[:8]})) == {m.id}


@pytest.mark.parametrize("params", [{"page": "-1"}, {"page": "abc"}, {"page": "9" * 40},
                                    {"unit": "abc"}, {"unit": "9" * 40}, {"q": "a" * 10_000},
                                    {"q": ["a", "b"]}])
def test_roster_survives_hostile_query_strings(named, chair, client, params):
    page = client.get("/members/", query_string=params)
    assert page.status_code == 200


def test_roster_shows_open_case_state_and_nominate_only_without_one(world, db, chair,
                                                                    client):
    free, busy, closed = (member(world["unit_a"]) for _ in range(3))
    case = open_draft(busy, None, today=TODAY, check_permission=False)
    old = open_draft(closed, None, today=TODAY, check_permission=False)
    fire(old, "withdraw", None, expected_version=old.version, comment="Chuyển công tác",
         on=TODAY, today=TODAY, check_permission=False)
    db.session.commit()
    page = client.get("/members/")
    assert set(map(int, NOMINATE.findall(page.text))) == {free.id, closed.id}
    assert f'href="/cases/{case.id}"' in page.text
    # The earlier outcome and its date are shown beside "Nominate again".
    assert f'href="/cases/{old.id}"' in page.text
    assert vi(current_app, "on %(d)s", d=TODAY.strftime("%d/%m/%Y")) in page.text
    assert vi(current_app, "Nominate again") in page.text


@pytest.mark.parametrize("state, why", [
    ("probation", "Already a probationary Party member"),
    ("official", "Official Party member since %(d)s"),
    ("nominated", "A referral is under way"),
])
def test_no_nomination_for_a_party_member_or_beside_an_open_case(world, db, chair, client,
                                                                 state, why):
    case = advance(new_case(world, start=TODAY - timedelta(days=900)), world, state)
    db.session.commit()
    page = client.get("/members/").text
    assert case.member_id not in set(map(int, NOMINATE.findall(page)))
    assert vi(current_app, why, d=case.official_from.strftime("%d/%m/%Y")
              if case.official_from else "") in page
    token = csrf_token(page)
    refused = client.post(f"/members/{case.member_id}/nominate", data={"csrf_token": token})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Case.id)).where(
        Case.member_id == case.member_id)) == 1
    with pytest.raises(GuardFailed):
        open_draft(case.member, None, today=TODAY, check_permission=False)


def test_a_new_referral_shows_the_earlier_refusal_and_its_date(world, db, chair, client):
    refused = advance(new_case(world, start=TODAY - timedelta(days=400)), world, "rejected")
    db.session.commit()
    again = open_draft(refused.member, None, today=TODAY, check_permission=False)
    db.session.commit()
    page = client.get(f"/cases/{again.id}").text
    assert vi(current_app, "Earlier referrals of this person") in page
    assert f'href="/cases/{refused.id}"' in page
    assert vi(current_app, "on %(d)s", d=refused.closed_on.strftime("%d/%m/%Y")) in page
    assert refused.close_reason in page


def _members(w, n):
    for i in range(n):
        m = member(w["unit_a"])
        if i % 3 == 0:
            open_draft(m, None, today=TODAY, check_permission=False)


def test_roster_statements_do_not_grow_with_members(world, app, db, client, auth):
    _members(world, 10)
    username = world.users["union_chair_a"].username
    db.session.commit()
    auth.login(username)
    with counting(app, db) as few:
        page = client.get("/members/")
    assert page.status_code == 200 and len(shown(page)) == 10
    _members(world, 190)
    db.session.commit()
    with counting(app, db) as many:
        page = client.get("/members/")
    assert page.status_code == 200 and len(shown(page)) == 50
    assert "200" in page.text
    assert len(few) == len(many), (few, many)
    assert len(many) <= ROSTER_BOUND, many


# --- add and edit -----------------------------------------------------------------------

def test_add_member_happy_path_writes_an_audit_event(world, db, chair, client):
    page = post_form(client, "/members/new", valid_data())
    assert page.status_code == 302 and page.location.endswith("/members/")
    m = db.session.scalars(select(Member)).one()
    assert (m.full_name, m.search_key, m.citizen_id) == ("Nguyễn Văn An", "nguyen van an",
                                                        "001090123456")
    assert m.unit_id == world["unit_a"].id and m.direct_production
    assert m.date_of_birth == years_ago(30) and m.union_member_since == years_ago(5)
    ev = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "member")).one()
    assert (ev.trigger, ev.actor_id, ev.case_id) == ("create", chair.id, None)
    assert ev.data == {"member_id": m.id}
    assert audit_service.verify().ok
    listing = client.get("/members/")
    assert m.id in shown(listing) and "Nguyễn Văn An" in listing.text


def test_optional_fields_may_stay_empty(world, db, chair, client):
    page = post_form(client, "/members/new", valid_data(
        phone="", email="", union_member_since="", direct_production=None))
    assert page.status_code == 302
    m = db.session.scalars(select(Member)).one()
    assert (m.phone, m.email, m.union_member_since, m.direct_production) == ("", "", None,
                                                                             False)


def test_friendly_input_is_normalised(world, db, chair, client):
    page = post_form(client, "/members/new", valid_data(
        full_name="  Nguye\u0302\u0303n   Va\u0306n  An ", citizen_id="001 090 123 456",
        phone="+84 912.345.678", date_of_birth=years_ago(30).strftime("%d/%m/%Y"),
        job="Tho\u031b\u0323 ha\u0300n"))
    assert page.status_code == 302
    m = db.session.scalars(select(Member)).one()
    assert m.full_name == "Nguyễn Văn An" == unicodedata.normalize("NFC", m.full_name)
    assert m.job == "Thợ hàn" == unicodedata.normalize("NFC", m.job)
    assert (m.citizen_id, m.phone, m.date_of_birth) == ("001090123456", "+84912345678",
                                                        years_ago(30))


def test_sql_fragments_in_free_text_are_stored_literally(world, db, chair, client):
    page = post_form(client, "/members/new", valid_data(job="' OR 1=1 -- ; DROP TABLE member"))
    assert page.status_code == 302
    assert db.session.scalars(select(Member.job)).one() == "' OR 1=1 -- ; DROP TABLE member"


SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"
BAD = {
    "full_name": ["", "   ", "A" * 121, SCRIPT, SQL, "Nguyễn\u200bVăn", "Nguyễn\x07Văn",
                  "\u202eNguyễn Văn", "Nguyễn\nVăn", "Nguyễn\x00Văn", "12345", "..."],
    "date_of_birth": ["", "abc", "31/02/1990", "1990-13-01", "99999-01-01", SCRIPT, SQL,
                      (TODAY + timedelta(days=1)).isoformat(), years_ago(15).isoformat(),
                      years_ago(81, days=1).isoformat(), "0001-01-01"],
    "gender": ["", "other", SCRIPT, SQL, "male\u200b"],
    # An empty citizen ID is allowed (required before a nomination: test_roster_import).
    "citizen_id": ["12345", "1234567890123", "12345678901a", SCRIPT, SQL,
                   "١٢٣٤٥٦٧٨٩٠١٢", "12345678901\n2", "1234567890\u200b12", "-12345678901"],
    "old_id_number": ["12345678", "1234567890", "12345678a", SCRIPT, "١٢٣٤٥٦٧٨٩"],
    "job": ["", "x" * 121, SCRIPT, "Thợ\u200bhàn", "Thợ\x1bhàn", "\u202eThợ hàn",
            "Thợ\nhàn", "Thợ\x00hàn"],
    "phone": ["abc", "123", "+" + "9" * 16, "09123+45678", SCRIPT, SQL, "0912\u200b345678",
              "٠٩١٢٣٤٥٦٧٨"],
    "email": ["not-an-email", "a@b", "a@@b.vn", "a b@c.vn", SCRIPT + "@x.vn", SQL,
              "x" * 116 + "@a.vn", "an@example.vn\u202e", "an@exämple.vn"],
    "union_member_since": ["abc", "32/01/2000", SCRIPT, SQL,
                           (TODAY + timedelta(days=1)).isoformat(),
                           years_ago(31).isoformat()],
}
CASES = [(f, v) for f, values in BAD.items() for v in values]


@pytest.mark.parametrize("field, value", CASES, ids=[f"{f}-{i}" for f, vs in BAD.items()
                                                     for i in range(len(vs))])
def test_bad_input_is_refused_next_to_the_field(world, db, chair, client, field, value):
    page = post_form(client, "/members/new", valid_data(**{field: value}))
    assert page.status_code == 400, page.text[:500]
    assert f'id="{field}-error"' in page.text
    errors = re.findall(r'id="([a-z_]+)-error"', page.text)
    assert errors == [field], errors
    assert "<script>alert" not in page.text
    # Nothing saved, and what the user typed is still in the form.
    assert db.session.scalar(select(func.count(Member.id))) == 0
    assert changes_logged(db) == 0
    if field != "full_name":
        assert 'value="Nguyễn Văn An"' in page.text
    if value and field not in ("gender",) and "\x00" not in value:
        assert f'value="{escape(value)}"' in page.text


def test_a_future_birth_is_refused_for_being_in_the_future(world, db, chair, client):
    future = (TODAY + timedelta(days=1)).isoformat()
    page = post_form(client, "/members/new", valid_data(date_of_birth=future))
    assert page.status_code == 400
    assert "không được sau ngày hôm nay" in page.text       # "cannot be in the future"


def test_duplicate_citizen_id_is_refused_with_a_message(world, db, chair, client):
    other = member(world["unit_a"])    # out of scope: tests/security/test_access_control.py
    cid = other.citizen_id
    db.session.commit()
    page = post_form(client, "/members/new", valid_data(citizen_id=cid))
    assert page.status_code == 400
    assert 'id="citizen_id-error"' in page.text
    assert db.session.scalar(select(func.count(Member.id))) == 1
    assert changes_logged(db) == 0


def test_edit_member_writes_an_audit_event_without_personal_data(world, db, chair, client):
    m = member(world["unit_a"], name="Lê Văn Cũ")
    mid = m.id
    db.session.commit()
    page = client.get(f"/members/{mid}/edit")
    assert page.status_code == 200 and 'value="Lê Văn Cũ"' in page.text
    data = valid_data(full_name="Lê Văn Mới", citizen_id=m.citizen_id, phone="0987654321")
    page = post_form(client, f"/members/{mid}/edit", data)
    assert page.status_code == 302, page.text[:2000]
    db.session.expire_all()
    m = db.session.get(Member, mid)
    assert (m.full_name, m.search_key, m.phone) == ("Lê Văn Mới", "le van moi", "0987654321")
    ev = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "member")).one()
    assert ev.trigger == "edit" and ev.data["member_id"] == mid
    assert "full_name" in ev.data["fields"] and "phone" in ev.data["fields"]
    stored = json.dumps(ev.data, ensure_ascii=False) + ev.comment
    for personal in ("Lê", "Mới", "0987654321", m.citizen_id, "example.vn"):
        assert personal not in stored


def test_edit_without_changes_writes_nothing(world, db, chair, client):
    m = member(world["unit_a"], name="Hoàng Thị Mai")
    mid = m.id
    db.session.commit()
    page = client.get(f"/members/{mid}/edit")
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page.text))
    fields.pop("csrf_token")
    fields["gender"] = "male"
    fields["direct_production"] = "y"
    assert re.search(r'<option selected value="upper_secondary">', page.text)
    fields["education"] = "upper_secondary"
    fields.pop("not_union_member")      # a checkbox left unticked (its value is always "y")
    page = client.post(f"/members/{mid}/edit",
                       data={**fields, "csrf_token": csrf_token(page.text)})
    assert page.status_code == 302, re.findall(r'class="error"[^<]*<', page.text)
    assert changes_logged(db) == 0


def test_edit_to_another_members_citizen_id_is_refused(world, db, chair, client):
    a, b = member(world["unit_a"]), member(world["unit_a"])
    aid, b_cid, a_cid = a.id, b.citizen_id, a.citizen_id
    db.session.commit()
    page = post_form(client, f"/members/{aid}/edit", valid_data(citizen_id=b_cid))
    assert page.status_code == 400 and 'id="citizen_id-error"' in page.text
    db.session.expire_all()
    assert db.session.get(Member, aid).citizen_id == a_cid


def test_bad_edit_saves_nothing(world, db, chair, client):
    m = member(world["unit_a"], name="Lê Văn Cũ")
    mid = m.id
    db.session.commit()
    page = post_form(client, f"/members/{mid}/edit",
                     valid_data(full_name="Lê Văn Mới", citizen_id=m.citizen_id, email="x"))
    assert page.status_code == 400 and 'value="Lê Văn Mới"' in page.text
    db.session.expire_all()
    assert db.session.get(Member, mid).full_name == "Lê Văn Cũ"
    assert changes_logged(db) == 0


# --- a chair of several units -----------------------------------------------------------

def test_chair_of_several_units_chooses_the_unit(world, db, client, auth):
    chair = user(Role.union_chair, world["unit_a"])
    chair.grants.append(RoleGrant(role=Role.union_chair, org=world["gunit_a"],
                                  valid_from=date(2020, 1, 1)))
    a, g = member(world["unit_a"]), member(world["gunit_a"])
    other = member(world["unit_b"])
    db.session.commit()
    auth.login(chair.username)
    page = client.get("/members/")
    assert shown(page) == {a.id, g.id} and 'name="unit"' in page.text
    assert shown(client.get("/members/", query_string={"unit": world["gunit_a"].id})) == {g.id}
    assert shown(client.get("/members/", query_string={"unit": world["unit_b"].id})) == {
        a.id, g.id}            # a unit outside the grants is ignored, never shown
    assert other.id not in shown(page)
    page = post_form(client, "/members/new", valid_data(unit_id=str(world["gunit_a"].id)))
    assert page.status_code == 302
    assert db.session.scalars(select(Member).where(Member.citizen_id == "001090123456")
                              ).one().unit_id == world["gunit_a"].id
    for bad in ("", "abc", str(world["unit_b"].id), "9" * 40):
        page = post_form(client, "/members/new",
                         valid_data(citizen_id="001090999999", unit_id=bad))
        assert page.status_code == 400 and 'id="unit_id-error"' in page.text


# --- nominate ---------------------------------------------------------------------------

def test_nominate_opens_a_draft_and_refuses_a_second(world, db, chair, client):
    m = member(world["unit_a"])
    mid = m.id
    db.session.commit()
    page = client.get("/members/", query_string={"q": "thu"})
    token = csrf_token(page.text)
    done = client.post(f"/members/{mid}/nominate?q=thu", data={"csrf_token": token})
    assert done.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert done.location.endswith(f"/cases/{case.id}")
    assert (case.state, case.referral_year, case.member_id) == ("draft", TODAY.year, mid)
    assert case.union_unit_id == world["unit_a"].id
    ev = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)).one()
    assert (ev.trigger, ev.actor_id, ev.to_state) == ("create", chair.id, "draft")
    assert client.get(done.location).status_code == 200

    again = client.post(f"/members/{mid}/nominate?q=thu", data={"csrf_token": token})
    assert again.status_code == 302 and "/members/" in again.location and "q=thu" in again.location
    follow = client.get(again.location)
    assert "flash error" in follow.text
    assert db.session.scalar(select(func.count(Case.id))) == 1


# --- the unit's cases -------------------------------------------------------------------

def test_unit_cases_page_lists_filters_and_counts_this_years_referrals(world, db, chair,
                                                                       client):
    def draft(unit="unit_a", year=TODAY.year):
        return open_draft(member(world[unit]), None, year=year, today=TODAY,
                          check_permission=False)

    kept = draft()                                   # a draft: not a referral yet
    withdrawn = draft()                              # withdrawn as a draft: never referred
    fire(withdrawn, "withdraw", None, expected_version=withdrawn.version, comment="Lý do",
         on=TODAY, today=TODAY, check_permission=False)
    # The count reads the date the union submitted the case (as the achievement report).
    submitted = [draft() for _ in range(2)]
    for case in submitted:
        case.state, case.nominated_on = "nominated", TODAY
    last_year = draft(year=TODAY.year - 1)
    last_year.state, last_year.nominated_on = "nominated", date(TODAY.year - 1, 12, 31)
    elsewhere = draft(unit="unit_b")
    elsewhere.state, elsewhere.nominated_on = "nominated", TODAY
    db.session.commit()

    page = client.get("/members/cases")
    assert page.status_code == 200
    ids = {int(i) for i in re.findall(r'href="/cases/(\d+)"', page.text)}
    assert ids == {kept.id, withdrawn.id, last_year.id} | {c.id for c in submitted}
    assert re.search(r'class="big">\s*<strong>2</strong>', page.text), page.text
    only = client.get("/members/cases", query_string={"state": "draft"})
    assert {int(i) for i in re.findall(r'href="/cases/(\d+)"', only.text)} == {kept.id}
    old = client.get("/members/cases", query_string={"year": TODAY.year - 1})
    assert {int(i) for i in re.findall(r'href="/cases/(\d+)"', old.text)} == {last_year.id}
    for params in ({"year": "abc"}, {"year": "9" * 40}, {"state": "x' OR 1=1"},
                   {"page": "-3"}, {"unit": "zz"}):
        assert client.get("/members/cases", query_string=params).status_code == 200


def test_no_nomination_for_a_member_on_a_cells_roster(world, db, auth, client):
    """A union member linked to a cell's roster (admitted earlier, elsewhere) is a Party
    member already."""
    person = member(world["unit_a"])
    db.session.add(PartyMember(cell=world["cell_a"], full_name=person.full_name,
                               member_id=person.id, status=PartyStatus.official,
                               official_since=TODAY - timedelta(days=900)))
    db.session.commit()
    with pytest.raises(GuardFailed) as refused:
        open_draft(person, None, today=TODAY, check_permission=False)
    with force_locale("en"):
        assert "already a Party member, on the roster of" in str(refused.value)
    auth.login(world.users["union_chair_a"].username)
    page = client.get("/members/").text
    assert person.id not in set(map(int, NOMINATE.findall(page)))
    assert vi(current_app, "A Party member (on a cell's roster)") in page
