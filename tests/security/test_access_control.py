"""ASVS chapter 8 (authorisation): what a user learns about records outside his scope."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from referral_flow.members.routes import NOT_HERE
from referral_flow.models import AuditEvent, Member

from ..conftest import app_of, totp_code
from ..factories import member
from ..integration.test_members import post_form, valid_data
from ..integration.test_roster_import import HEADER, person
from ..sheets import xlsx
from ..integration.test_web import vi
from .throttling import LIMIT, limited_config


def _count(model) -> int:
    return select(func.count(model.id))


def test_citizen_id_of_another_unit_is_refused_neutrally_and_audited(app, world, db, chair, client):
    # F-4.10: a chair adding a member learns nothing about a citizen ID outside his scope:
    # the answer neither says "already registered" nor where, and the probe is audited.
    elsewhere = member(world["unit_b"], name="Phạm Thị Xa")
    cid, elsewhere_id, unit_b = elsewhere.citizen_id, elsewhere.id, world["unit_b"].name
    db.session.commit()
    page = post_form(client, "/members/new", valid_data(citizen_id=cid))
    assert page.status_code == 400
    assert vi(app, NOT_HERE) in page.text
    for clue in ("Phạm Thị Xa", unit_b, vi(app, "This member is already on your roster."),
                 f"/members/{elsewhere_id}/"):
        assert clue not in page.text
    assert db.session.scalar(_count(Member)) == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.subject != "sign_in")).one()
    assert (event.trigger, event.data) == ("citizen_id_refused", {"member_id": elsewhere_id})
    assert event.actor_id == chair.id


def test_citizen_id_of_the_chairs_own_member_names_him_with_a_link(app, world, db, chair, client):
    # F-4.10: within the chair's scope the duplicate is named, with a link to the record.
    own = member(world["unit_a"], name="Lê Văn Gần")
    cid, own_id = own.citizen_id, own.id
    db.session.commit()
    page = post_form(client, "/members/new", valid_data(citizen_id=cid))
    assert page.status_code == 400
    assert vi(app, "This member is already on your roster.") in page.text
    assert f'href="/members/{own_id}/edit"' in page.text and "Lê Văn Gần" in page.text
    assert db.session.scalar(_count(AuditEvent).where(AuditEvent.subject != "sign_in")) == 0


def test_editing_to_a_citizen_id_of_another_unit_is_refused_neutrally(app, world, db, chair,
                                                                     client):
    # F-4.10: the edit form is no oracle either.
    own, elsewhere = member(world["unit_a"]), member(world["unit_b"], name="Phạm Thị Xa")
    own_id, cid = own.id, elsewhere.citizen_id
    db.session.commit()
    page = post_form(client, f"/members/{own_id}/edit", valid_data(citizen_id=cid))
    assert page.status_code == 400
    assert vi(app, NOT_HERE) in page.text and "Phạm Thị Xa" not in page.text


def test_neutral_refusals_are_too_few_to_enumerate_another_units_members(database_url, world,
                                                                         db):
    # F-4.10: the answers stop after CITIZEN_ID_PROBE_LIMIT a day, per user; adding real
    # members does not count.
    elsewhere = [member(world["unit_b"]).citizen_id for _ in range(LIMIT + 1)]
    name = world.users["union_chair_a"].username
    db.session.commit()
    with app_of(limited_config(database_url, CITIZEN_ID_PROBE_LIMIT=f"{LIMIT} per day")) as app:
        client = app.test_client()
        client.post("/login", data={"username": name, "password": "correct horse battery"})
        client.post("/login/code", data={"code": totp_code(name)})
        added = client.post("/members/new", data=valid_data(citizen_id="001090123499"))
        assert added.status_code == 302
        answers = [client.post("/members/new", data=valid_data(citizen_id=cid)).status_code
                   for cid in elsewhere]
        assert answers == [400] * LIMIT + [429]


def test_a_roster_file_is_no_oracle_either(database_url, world, db):
    # F-4.10 for imports: citizen IDs of other units' members count against the same daily
    # limit per user; past it the check answers nothing about them.
    elsewhere = [member(world["unit_b"]).citizen_id for _ in range(LIMIT + 1)]
    name = world.users["union_chair_a"].username
    db.session.commit()

    def roster_of(ids):
        rows = [person(i, first_id=500 + 10 * n) for n, i in enumerate(range(len(ids)))]
        for row, cid in zip(rows, ids, strict=True):
            row[3] = cid
        return xlsx([HEADER] + rows)

    with app_of(limited_config(database_url, CITIZEN_ID_PROBE_LIMIT=f"{LIMIT} per day")) as app:
        client = app.test_client()
        client.post("/login", data={"username": name, "password": "correct horse battery"})
        client.post("/login/code", data={"code": totp_code(name)})

        def check(ids) -> str:
            posted = client.post("/members/import", data={
                "existing": "skip", "file": (io.BytesIO(roster_of(ids)), "a.xlsx")},
                content_type="multipart/form-data")
            return client.get(posted.location).text

        first = check(elsewhere[:LIMIT])
        assert first.count("Số CCCD") >= LIMIT and "Quá nhiều" not in first
        refused = check(elsewhere[LIMIT:])
        assert "Quá nhiều số căn cước" in refused
        assert elsewhere[LIMIT] not in refused
