"""ASVS chapter 16 (security logging): every staff read of personal data is logged, once per
page, naming the people shown (F-9.1); the auditor finds them; class create/edit are
audited (F-9.2); the read log cannot be rewritten."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from referral_flow.models import AuditEvent, AwarenessClass, Case, Member, PartyMember, Role
from referral_flow.text import fold

from ..conftest import Auth, csrf_token, logged_reads
from ..factories import TODAY, advance, new_case, user
from ..integration.test_classes import class_data, enrolled, make_class


@dataclass
class Scene:
    nominated: Case
    accepted: Case
    due: Case
    klass: AwarenessClass


@pytest.fixture
def scene(world, db) -> Scene:
    """Side a: a case waiting for the Party officer, one to enrol, one due for decision,
    a class with a candidate; side b the same cases out of scope."""
    for side in ("b", "a"):
        nominated = advance(new_case(world, side), world, "nominated")
        accepted = advance(new_case(world, side, start=TODAY - timedelta(days=200)), world,
                           "accepted")
        due = advance(new_case(world, side), world, "decision_pending")
        klass = make_class(world, side)
        enrolled(world, klass, 1, side)
    db.session.commit()
    return Scene(nominated, accepted, due, klass)


# (endpoint, reader, address)
PAGES = [
    ("members.index", "union_chair_a", lambda w, s: "/members/"),
    ("members.edit", "union_chair_a", lambda w, s: f"/members/{s.accepted.member_id}/edit"),
    ("members.cases", "union_chair_a", lambda w, s: "/members/cases"),
    ("cases.index", "party_officer_a", lambda w, s: "/cases/"),
    ("cases.detail", "party_officer_a", lambda w, s: f"/cases/{s.accepted.id}"),
    ("classes.detail", "class_organiser_a", lambda w, s: f"/classes/{s.klass.id}"),
    ("classes.enrol_page", "class_organiser_a", lambda w, s: f"/classes/{s.klass.id}/enrol"),
    ("classes.skip", "party_officer_a", lambda w, s: f"/classes/skip/{s.accepted.id}"),
    ("inbox.index", "party_officer_a", lambda w, s: "/inbox/"),
    ("reports.party", "party_officer_a", lambda w, s: "/reports/party"),
    ("party_members.roster", "cell_secretary_a",
     lambda w, s: f"/party-members/cells/{w['cell_a'].id}"),
    ("party_members.edit", "cell_secretary_a",
     lambda w, s: f"/party-members/{w.rosters['cell_a'][3].id}/edit"),
]


def named_in(html: str, people) -> set[int]:
    """The ids of ``people`` whose full name the page shows ("… Thử 12" is not "… Thử 123")."""
    return {p.id for p in people if re.search(re.escape(p.full_name) + r"(?!\d)", html)}


@pytest.mark.parametrize("endpoint, reader, address", PAGES, ids=[p[0] for p in PAGES])
def test_a_staff_page_read_is_logged_once_naming_who_it_shows(world, db, scene, client, auth,
                                                               endpoint, reader, address):
    # F-9.1
    url = address(world, scene)
    auth.login(world.users[reader].username)
    before = len(logged_reads(db))
    page = client.get(url)
    assert page.status_code == 200
    reads = logged_reads(db)[before:]
    assert len(reads) == 1
    read = reads[0]
    assert (read.actor_id, read.endpoint) == (world.users[reader].id, endpoint)
    members = named_in(page.text, db.session.scalars(select(Member)))
    party = named_in(page.text, db.session.scalars(select(PartyMember)))
    if endpoint.startswith("party_members."):
        assert read.party_members == party and party
    else:
        assert read.members == members and members
        assert read.party_members <= party


EXPORTS = [
    ("cases.export", "party_officer_a", "/cases/export?format=csv"),
    ("members.cases_export", "union_chair_a", "/members/cases/export?format=csv"),
    ("reports.party_export", "competent_officer_a", "/reports/party/export?format=csv"),
]


@pytest.mark.parametrize("endpoint, reader, url", EXPORTS, ids=[e[0] for e in EXPORTS])
def test_an_export_is_logged_naming_everyone_in_it(world, db, scene, client, auth, endpoint,
                                                   reader, url):
    # F-9.1: exports too, so that "who saw this member" includes who downloaded him
    auth.login(world.users[reader].username)
    before = len(logged_reads(db))
    download = client.get(url)
    assert download.status_code == 200
    reads = logged_reads(db)[before:]
    assert [(r.actor_id, r.endpoint) for r in reads] == [(world.users[reader].id, endpoint)]
    members = named_in(download.data.decode("utf-8-sig"), db.session.scalars(select(Member)))
    assert reads[0].members == members and members


def test_the_log_keeps_the_filters_and_the_page(world, db, scene, client, auth):
    # F-9.1: the finding's roster search by citizen-ID prefix
    auth.login(world.users["union_chair_a"].username)
    assert client.get("/members/?q=0271&page=1").status_code == 200
    read = logged_reads(db)[-1]
    assert read.filters == {"q": "0271", "page": "1"} and read.rows == len(read.members)


def test_a_candidate_reading_his_own_case_is_not_a_staff_read(world, db, scene, client, auth):
    me = user(Role.member, None, member_id=scene.accepted.member_id)
    db.session.commit()
    auth.login(me.username)
    assert client.get(f"/cases/{scene.accepted.id}").status_code == 200
    assert client.get("/me/").status_code == 200
    assert logged_reads(db) == []


def _search(client, **args):
    return client.get("/admin/reads", query_string=args)


def as_user(app, reader):
    """A browser of its own, signed in as ``reader`` (no logout page read in between)."""
    browser = app.test_client()
    Auth(browser).login(reader.username)
    return browser


def test_the_auditor_finds_who_saw_a_member(world, db, app, scene, client, auth):
    # F-9.1: "who saw this member's record, when"
    chair, officer = world.users["union_chair_a"], world.users["party_officer_a"]
    member = db.session.get(Member, scene.accepted.member_id)
    other = db.session.get(Member, scene.due.member_id)
    as_user(app, chair).get(f"/members/{member.id}/edit")
    as_user(app, officer).get(f"/cases/{scene.due.id}")
    auth.login(world.users["administrator"].username)
    for person in (member.citizen_id, member.full_name.upper(), fold(member.full_name)):
        page = _search(client, person=person)
        assert page.status_code == 200 and chair.username in page.text, person
    assert officer.username not in _search(client, person=member.citizen_id).text
    page = _search(client, person=other.citizen_id)
    assert officer.username in page.text and chair.username not in page.text
    # by user, and by dates (Vietnam's days)
    page = _search(client, user=officer.username)
    assert officer.username in page.text and chair.username not in page.text
    day = TODAY.strftime("%d/%m/%Y")
    assert chair.username in _search(client, since=day, until=day).text
    later = (TODAY + timedelta(days=1)).strftime("%d/%m/%Y")
    assert chair.username not in _search(client, since=later).text
    # the auditor's searches are reads themselves
    searches = [r for r in logged_reads(db) if r.endpoint == "admin.reads"]
    assert len(searches) == 8 and searches[0].filters == {"person": member.citizen_id}
    assert searches[0].members == {member.id}


def test_the_auditor_finds_who_saw_a_party_member(world, db, app, client, auth):
    # F-9.1: a person on a cell's roster, by name
    person = world.rosters["cell_a"][3]
    secretary = world.users["cell_secretary_a"]
    as_user(app, secretary).get(f"/party-members/{person.id}/edit")
    auth.login(world.users["administrator"].username)
    page = _search(client, person=person.full_name)
    assert page.status_code == 200 and secretary.username in page.text


@pytest.mark.parametrize("args", [{"since": "31/02/2026"}, {"person": "x" * 101},
                                  {"since": "02/12/2026", "until": "01/12/2026"}])
def test_bad_search_input_is_refused_with_a_message(world, db, client, auth, args):
    auth.login(world.users["administrator"].username)
    page = _search(client, **args)
    assert page.status_code == 400 and 'class="error"' in page.text


@pytest.mark.parametrize("who", ["union_chair_a", "party_officer_a", "class_organiser_a",
                                 "cell_secretary_a", "federation_officer_a",
                                 "competent_officer_a"])
def test_only_administrators_see_the_read_log(world, db, client, auth, who):
    # F-9.1: the log of who saw whom is itself confidential
    auth.login(world.users[who].username)
    assert _search(client).status_code == 403
    assert logged_reads(db) == []


def test_class_create_and_edit_are_audited(world, db, client, auth):
    # F-9.2
    organiser = world.users["class_organiser_a"]
    auth.login(organiser.username)
    data = class_data(world) | {"csrf_token": csrf_token(client.get("/classes/new").text)}
    assert client.post("/classes/new", data=data).status_code == 302
    klass = db.session.scalars(select(AwarenessClass)).one()
    data |= {"capacity": "50", "name": "Lớp khóa 2"}
    assert client.post(f"/classes/{klass.id}/edit", data=data).status_code == 302
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "class")
                                .order_by(AuditEvent.id)).all()
    assert [(e.trigger, e.actor_id, e.data["class_id"], e.data["fields"]) for e in events] == [
        ("create", organiser.id, klass.id, sorted(class_data(world))),
        ("edit", organiser.id, klass.id, ["capacity", "name"])]


@pytest.mark.parametrize("table", ["read_event", "read_subject"])
@pytest.mark.parametrize("verb", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
def test_a_read_cannot_be_rewritten(world, db, client, auth, table, verb):
    # F-9.1: the log is append-only at the database, like the audit trail
    auth.login(world.users["cell_secretary_a"].username)
    assert client.get(f"/party-members/cells/{world['cell_a'].id}").status_code == 200
    column = "rows" if table == "read_event" else "kind"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(verb.format(t=table, c=column)))
    db.session.rollback()
    assert len(logged_reads(db)) == 1
