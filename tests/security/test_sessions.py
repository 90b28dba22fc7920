"""ASVS chapter 7, session management: findings F-2.1 to F-2.5 of the 2026-11 review stay
fixed. Time is moved on the application's clock (``FROZEN_NOW``); each request runs in
its own app context, as in production, so nothing cached by the test hides a refusal."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from referral_flow.models import AuditEvent, EndReason, Role, RoleGrant, UserSession
from referral_flow.services.sessions import agent_summary

from ..conftest import Auth, csrf_token, own_context
from ..factories import TODAY, user as make_user

NINE_AM = datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def clock(app):
    """The application's clock pinned at 09:00 (Vietnam) on the tests' day; call it with
    a timedelta's arguments to move time forward."""
    app.config["FROZEN_NOW"] = NINE_AM

    def move(**delta):
        app.config["FROZEN_NOW"] += timedelta(**delta)
    return move


class Device:
    """One browser: its own cookie jar, each request in its own app context."""

    def __init__(self, app, db):
        self.app, self.db = app, db
        self.client = app.test_client()

    def get(self, url: str):
        with own_context(self.app, self.db):
            return self.client.get(url)

    def post(self, url: str, data: dict | None = None, token_from: str = "/account/"):
        with own_context(self.app, self.db):
            token = csrf_token(self.client.get(token_from).text)
            return self.client.post(url, data={"csrf_token": token, **(data or {})})

    def login(self, username: str):
        with own_context(self.app, self.db):
            page = Auth(self.client).login(username)
        assert page.status_code == 302, "the login was refused"
        return page

    @property
    def session_key(self) -> str:
        with self.client.session_transaction() as session:
            return session.get("_user_id", "")

    @property
    def signed_in(self) -> bool:
        return self.get("/account/").status_code == 200


@pytest.fixture
def device(app, db):
    return lambda: Device(app, db)


@pytest.fixture
def chair(world):
    return world.users["union_chair_a"]


def vi(app, message: str, **variables) -> str:
    with app.test_request_context(), force_locale("vi"):
        return str(escape(gettext(message, **variables)))


def record(db, key: str | int) -> UserSession:
    db.session.expire_all()
    return db.session.get(UserSession, int(str(key).partition(":")[0]))


# --- F-2.1: new CSRF material at sign-in ----------------------------------------------

def test_the_csrf_secret_of_the_anonymous_session_is_not_kept_after_login(world, app, db,
                                                                         device, chair):
    # F-2.1
    phone = device()
    phone.get("/login")
    with phone.client.session_transaction() as session:
        before = session["csrf_token"]
    phone.login(chair.username)
    phone.get("/account/")
    with phone.client.session_transaction() as session:
        assert session["csrf_token"] != before


# --- F-2.3: idle timeout; F-2.2: absolute lifetime --------------------------------------

def test_a_session_idle_for_longer_than_the_limit_is_refused(world, app, db, device, chair,
                                                             clock):
    # F-2.3
    phone = device()
    phone.login(chair.username)
    clock(minutes=29)
    assert phone.get("/cases/").status_code == 200
    clock(minutes=31)
    page = phone.get("/cases/")
    assert page.status_code == 302 and page.location.startswith("/login")
    login_page = phone.get(page.location)
    assert vi(app, "Your session has expired. Please log in again.") in login_page.text
    assert vi(app, "Please log in to continue.") not in login_page.text
    assert phone.get("/cases/").status_code == 302     # the cookie stays refused


def test_activity_keeps_a_session_open_but_not_beyond_its_absolute_lifetime(
        world, app, db, device, chair, clock):
    # F-2.2
    phone = device()
    phone.login(chair.username)
    for _ in range(12 * 3 - 1):
        clock(minutes=20)
        assert phone.get("/cases/").status_code == 200
    clock(minutes=20)       # 12 hours after sign-in, used 20 minutes ago
    page = phone.get("/cases/")
    assert page.status_code == 302 and page.location.startswith("/login")
    assert vi(app, "Your session has expired. Please log in again.") in phone.get("/login").text


def test_the_limits_are_settings_and_the_cookie_expires_with_the_session(world, app, db,
                                                                        device, chair, clock):
    # F-2.2: no fallback to Flask's 31 days
    assert (app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_MAX_HOURS"]) == (30, 12)
    assert app.permanent_session_lifetime == timedelta(hours=12)
    page = device().login(chair.username)
    cookie = next(v for v in page.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "Expires=" in cookie
    app.config["SESSION_IDLE_MINUTES"] = 5
    phone = device()
    phone.login(chair.username)
    clock(minutes=6)
    assert not phone.signed_in


def test_last_seen_is_written_at_most_once_a_minute(world, app, db, device, chair, clock):
    phone = device()
    phone.login(chair.username)
    clock(seconds=40)
    phone.get("/cases/")
    assert record(db, phone.session_key).last_seen_at.replace(tzinfo=None) == \
        NINE_AM.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    clock(seconds=40)
    phone.get("/cases/")
    seen = record(db, phone.session_key).last_seen_at.replace(tzinfo=None)
    assert seen == (NINE_AM + timedelta(seconds=80)).astimezone(ZoneInfo("UTC")).replace(
        tzinfo=None)


def test_the_cookie_carries_a_secret_the_database_keeps_only_hashed(world, app, db, device,
                                                                   chair):
    phone = device()
    phone.login(chair.username)
    session_id, _, secret = phone.session_key.partition(":")
    assert secret and secret not in record(db, phone.session_key).token_hash
    with phone.client.session_transaction() as session:
        session["_user_id"] = f"{session_id}:{secret[:-1]}x"
    assert not phone.signed_in


@pytest.mark.parametrize(("user_agent", "shown"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Safari/537.36", "Chrome · Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Safari/537.36 Edg/120.0", "Edge · Windows"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
     "coc_coc_browser/118.0 Chrome/118.0 Mobile Safari/537.36", "Cốc Cốc · Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari · iOS"),
    ("curl/8.5.0", "curl/8.5.0"),
])
def test_a_session_keeps_a_summary_of_the_browser(user_agent, shown):
    assert agent_summary(user_agent) == shown


# --- F-2.5: the user's sessions ---------------------------------------------------------

def test_the_user_sees_his_sessions_and_ends_another_one(world, app, db, device, chair):
    # F-2.5
    laptop, phone = device(), device()
    laptop.login(chair.username)
    phone.login(chair.username)
    page = laptop.get("/account/sessions")
    assert page.status_code == 200
    assert len(re.findall(r'action="/account/sessions/\d+/end"', page.text)) == 2
    assert vi(app, "this session") in page.text
    phone_id = int(phone.session_key.partition(":")[0])
    done = laptop.post(f"/account/sessions/{phone_id}/end", token_from="/account/sessions")
    assert done.status_code == 302
    assert not phone.signed_in and laptop.signed_in
    assert record(db, phone_id).end_reason == EndReason.ended_by_user
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.trigger, event.data["sessions"]) == ("end_sessions", [phone_id])


def test_sign_out_of_all_other_sessions_keeps_the_current_one(world, app, db, device, chair):
    # F-2.5
    laptop, phone, tablet = device(), device(), device()
    for d in (laptop, phone, tablet):
        d.login(chair.username)
    laptop.post("/account/sessions/end-others", token_from="/account/sessions")
    assert laptop.signed_in
    assert not phone.signed_in and not tablet.signed_in


def test_ending_the_current_session_from_the_list_signs_out(world, app, db, device, chair):
    phone = device()
    phone.login(chair.username)
    key = phone.session_key
    page = phone.post(f"/account/sessions/{key.partition(':')[0]}/end",
                      token_from="/account/sessions")
    assert page.status_code == 302 and page.location == "/login"
    assert not phone.signed_in
    assert record(db, key).end_reason == EndReason.ended_by_user


def test_nobody_ends_someone_elses_session(world, app, db, device, chair):
    mine, theirs = device(), device()
    mine.login(chair.username)
    theirs.login(world.users["union_chair_b"].username)
    their_id = int(theirs.session_key.partition(":")[0])
    assert mine.post(f"/account/sessions/{their_id}/end").status_code == 404
    assert theirs.signed_in


def test_logout_ends_only_the_session_it_is_sent_from(world, app, db, device, chair):
    laptop, phone = device(), device()
    laptop.login(chair.username)
    phone.login(chair.username)
    key = laptop.session_key
    laptop.post("/logout")
    assert not laptop.signed_in and phone.signed_in
    assert record(db, key).end_reason == EndReason.logout
    with laptop.client.session_transaction() as session:
        session["_user_id"] = key       # a copy of the cookie taken before logout
    assert not laptop.signed_in


# --- cutting sessions from administration -----------------------------------------------

@pytest.fixture
def admin(world, device):
    d = device()
    d.login(world.users["administrator"].username)
    return d


def test_an_administrator_signs_a_user_out_everywhere(world, app, db, device, chair, admin):
    laptop, phone = device(), device()
    laptop.login(chair.username)
    phone.login(chair.username)
    page = admin.post(f"/admin/users/{chair.id}/sessions/end", token_from="/admin/")
    assert page.status_code == 302
    assert not laptop.signed_in and not phone.signed_in and admin.signed_in
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.trigger, event.actor_id, event.data["user_id"], len(event.data["sessions"])) \
        == ("end_sessions", world.users["administrator"].id, chair.id, 2)


def test_deactivation_ends_the_sessions(world, app, db, device, chair, admin):
    phone = device()
    phone.login(chair.username)
    admin.post(f"/admin/users/{chair.id}/active", token_from="/admin/")
    assert not phone.signed_in
    assert db.session.scalars(select(UserSession.end_reason).where(
        UserSession.user_id == chair.id)).all() == [EndReason.deactivated]


def test_a_grant_ended_now_cuts_access_at_once_even_one_that_began_today(world, app, db,
                                                                         device, admin):
    # F-2.4: the review's `revokeme`, union chair granted today, ended the same day
    revokeme = make_user(Role.union_chair, world["unit_a"], username="revokeme",
                         valid_from=TODAY)
    db.session.commit()
    grant_id = revokeme.grants[0].id
    phone = device()
    phone.login("revokeme")
    assert phone.get("/members/").status_code == 200
    page = admin.post(f"/admin/users/{revokeme.id}/grants/{grant_id}/end-now",
                      token_from="/admin/")
    assert page.status_code == 302
    page = phone.get("/members/")
    assert page.status_code == 302 and page.location.startswith("/login")
    db.session.expire_all()
    assert db.session.get(RoleGrant, grant_id).valid_to == TODAY - timedelta(days=1)
    phone.login("revokeme")         # signing in again gives no role back
    assert phone.get("/members/").status_code == 403


def test_granting_a_role_cuts_the_sessions(world, app, db, device, chair, admin):
    phone = device()
    phone.login(chair.username)
    page = admin.post(f"/admin/users/{chair.id}/grants", token_from="/admin/",
                      data={"role": "class_organiser", "org_code": world["committee_a"].code,
                            "valid_from": TODAY.strftime("%d/%m/%Y")})
    assert page.status_code == 302, page.text
    assert not phone.signed_in
    assert db.session.scalars(select(UserSession.end_reason).where(
        UserSession.user_id == chair.id)).all() == [EndReason.grants_changed]


def test_an_administrator_signing_himself_out_elsewhere_keeps_this_session(world, app, db,
                                                                           device, admin):
    me = world.users["administrator"]
    other = device()
    other.login(me.username)
    admin.post(f"/admin/users/{me.id}/sessions/end", token_from="/admin/")
    assert admin.signed_in and not other.signed_in


def test_old_session_records_are_purged_and_live_ones_kept(world, app, db, device, chair,
                                                             clock):
    old, recent = device(), device()
    old.login(chair.username)
    clock(days=91)
    recent.login(chair.username)
    result = app.test_cli_runner().invoke(args=["users", "purge-sessions", "--days", "90"])
    assert result.exit_code == 0 and "1 session records older than 90 days" in result.output
    db.session.expire_all()
    kept = int(recent.session_key.split(":")[0])
    assert db.session.scalars(select(UserSession.id)).all() == [kept]
    assert recent.get("/account/").status_code == 200
    assert app.test_cli_runner().invoke(
        args=["users", "purge-sessions", "--days", "0"]).exit_code != 0
