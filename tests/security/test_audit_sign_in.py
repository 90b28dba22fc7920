"""ASVS chapter 16 (security logging): every authentication event is in the audit trail,
with the client's address: a sign-in (and its session), a refused password or code, a
sign-out. A refusal for an unknown account records nothing of what was typed."""
from __future__ import annotations

from sqlalchemy import select

from referral_flow.models import AuditEvent

from ..conftest import Auth, csrf_token


def _sign_in_events(db) -> list[tuple[str, int | None, dict]]:
    db.session.expire_all()
    return [(e.trigger, e.actor_id, e.data) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject == "sign_in").order_by(AuditEvent.id))]


def test_sign_in_refusals_and_sign_out_are_audited(app, db, world, client, auth):
    chair = world.users["union_chair_a"]
    db.session.commit()
    page = client.get("/login")
    client.post("/login", data={"username": chair.username, "password": "not his password",
                                "csrf_token": csrf_token(page.text)})
    client.post("/login", data={"username": "ai-do-khac", "password": "mat-khau-go-nham",
                                "csrf_token": csrf_token(client.get("/login").text)})
    client.post("/login", data={"username": chair.username, "password": "correct horse battery",
                                "csrf_token": csrf_token(client.get("/login").text)})
    client.post("/login/code", data={"code": "abcdef",
                                     "csrf_token": csrf_token(client.get("/login/code").text)})
    auth.login(chair.username)
    auth.logout()
    events = _sign_in_events(db)
    assert [(trigger, actor) for trigger, actor, _ in events] == [
        ("sign_in_refused", chair.id), ("sign_in_refused", None),
        ("sign_in_refused", chair.id), ("sign_in", chair.id), ("sign_out", chair.id)]
    assert [data.get("step") for _, _, data in events[:3]] == ["password", "password", "code"]
    assert all(data["address"] == "127.0.0.1" for _, _, data in events)
    assert "ai-do-khac" not in str(events) and "mat-khau" not in str(events)
    assert events[3][2]["session_id"] == events[4][2]["session_id"] is not None


def test_a_wrong_password_at_re_authentication_is_audited(app, db, world):
    chair = world.users["union_chair_a"]
    db.session.commit()
    browser = app.test_client()
    Auth(browser).login(chair.username)
    page = browser.get("/reauthenticate")
    browser.post("/reauthenticate", data={"password": "not his password", "code": "123456",
                                          "csrf_token": csrf_token(page.text)})
    trigger, actor, data = _sign_in_events(db)[-1]
    assert (trigger, actor, data["step"]) == ("sign_in_refused", chair.id, "reauthentication")
