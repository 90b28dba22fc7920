"""ASVS chapter 6 (authentication): the second factor of sign-in (F-3.3) and the
re-authentication before a bulk export of personal data (issue 9, item 4)."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from referral_flow import clock
from referral_flow.models import AuditEvent, RecoveryCode, Role, TotpFactor
from referral_flow.security.reauth import AUTHENTICATED_AT
from referral_flow.services import second_factor as mfa
from referral_flow.services.sealed import SealBroken, unseal

from .. import factories
from ..conftest import Auth, csrf_token, totp_code

PASSWORD = "correct horse battery"
SECRET = re.compile(r'<code id="mfa-secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([a-z2-9-]{19})</code></li>")


def password_step(client, username, next_url=""):
    page = client.get(f"/login{next_url}")
    return client.post(f"/login{next_url}", data={
        "username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)})


def send_code(client, code, url="/login/code"):
    page = client.get(url)
    return client.post(url, data={"code": code, "csrf_token": csrf_token(page.text)})


def signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def enrol_on(client, page_url, post_url):
    """Enrol through a page that shows the QR code: the secret read from the page, the code
    computed from it; the recovery codes shown."""
    page = client.get(page_url)
    secret = SECRET.search(page.text)[1].replace(" ", "")
    token = re.search(r'name="pending" type="hidden" value="([^"]+)"', page.text)[1]
    done = client.post(post_url, data={"pending": token, "code": pyotp.TOTP(secret).now(),
                                       "csrf_token": csrf_token(page.text)})
    return secret, done


def audited(db, trigger):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.trigger == trigger)).all()


# F-3.3
def test_the_password_alone_does_not_sign_a_staff_user_in(client, world):
    chair = world.users["union_chair_a"].username
    first = password_step(client, chair, "?next=/members/")
    assert first.status_code == 302 and first.location == "/login/code"
    assert not signed_in(client)
    assert client.get("/members/").status_code == 302
    done = send_code(client, totp_code(chair))
    assert done.status_code == 302 and done.location == "/members/"
    assert signed_in(client)


# F-3.3
def test_a_wrong_code_is_refused_and_too_many_end_the_sign_in(app, client, world):
    chair = world.users["union_chair_a"].username
    password_step(client, chair)
    wrong = send_code(client, "000000" if totp_code(chair) != "000000" else "111111")
    assert wrong.status_code == 400 and "Mã không đúng" in wrong.text
    assert not signed_in(client)
    for _ in range(app.config["SIGNIN_CODE_TRIES"] - 1):
        last = send_code(client, "not a code")
    assert last.status_code == 302 and last.location == "/login"
    # the password step must be done again, even with the right code
    assert client.get("/login/code").location == "/login"
    token = csrf_token(client.get("/login").text)
    again = client.post("/login/code", data={"code": totp_code(chair), "csrf_token": token})
    assert again.location == "/login"
    assert not signed_in(client)


# F-3.3
def test_a_code_is_accepted_once(client, auth, world):
    chair = world.users["union_chair_a"].username
    code = totp_code(chair)
    password_step(client, chair)
    assert send_code(client, code).status_code == 302 and signed_in(client)
    auth.logout()
    password_step(client, chair)
    again = send_code(client, code)
    assert again.status_code == 400 and not signed_in(client)


# F-3.3
def test_the_password_step_expires(client, world, monkeypatch):
    chair = world.users["union_chair_a"].username
    password_step(client, chair)
    later = clock.wall_clock() + timedelta(minutes=6)
    token = csrf_token(client.get("/login/code").text)
    monkeypatch.setattr(clock, "wall_clock", lambda: later)
    late = client.post("/login/code", data={"code": totp_code(chair), "csrf_token": token})
    assert late.status_code == 302 and late.location == "/login"
    assert not signed_in(client)


# F-3.3
def test_a_required_role_must_enrol_before_reaching_any_page(client, db, world):
    chair = factories.user(Role.union_chair, world["unit_a"], enrolled=False)
    db.session.commit()
    first = password_step(client, chair.username)
    assert first.location == "/login/enrol"
    for url in ("/inbox/", "/members/", "/cases/", "/account/", "/account/second-factor",
                "/reports/", "/login/code"):
        assert client.get(url).status_code == 302, url
        assert not signed_in(client)
    page = client.get("/login/enrol")
    assert page.headers["Cache-Control"] == "no-store"      # it holds the secret
    # the QR code is drawn on the server, inline: no image from elsewhere
    assert re.search(r'<img src="data:image/svg\+xml;[^"]+" alt="[^"]+" id="mfa-qr">', page.text)
    assert "otpauth" not in page.text.replace("otpauth%3A", "")  # only inside the image
    token = re.search(r'name="pending" type="hidden" value="([^"]+)"', page.text)[1]
    wrong = client.post("/login/enrol", data={"pending": token, "code": "12345x",
                                              "csrf_token": csrf_token(page.text)})
    assert wrong.status_code == 400 and db.session.get(TotpFactor, chair.id) is None
    # the refused code keeps the same secret on the page (the QR code already scanned)
    assert SECRET.search(wrong.text)[1] == SECRET.search(page.text)[1]
    secret, done = enrol_on(client, "/login/enrol", "/login/enrol")
    assert done.status_code == 200 and len(CODES.findall(done.text)) == 10
    assert signed_in(client)
    factor = db.session.get(TotpFactor, chair.id)
    assert unseal(factor.secret) == secret and secret not in factor.secret
    assert [e.data["username"] for e in audited(db, "mfa_enrol")] == [chair.username]


def test_a_forged_enrolment_secret_is_refused(client, db, world):
    """The secret proposed is signed for this user: another one cannot be slipped in."""
    chair = factories.user(Role.union_chair, world["unit_a"], enrolled=False)
    db.session.commit()
    password_step(client, chair.username)
    page = client.get("/login/enrol")
    mine = pyotp.random_base32()
    forged = client.post("/login/enrol", data={
        "pending": mfa.pending_token(world.users["union_chair_b"], mine),
        "code": pyotp.TOTP(mine).now(), "csrf_token": csrf_token(page.text)})
    assert forged.status_code == 400 and db.session.get(TotpFactor, chair.id) is None


# F-3.3
def test_an_optional_role_signs_in_without_and_may_enrol(client, auth, db, world):
    person = factories.member(world["unit_a"])
    member = factories.user(Role.member, None, member_id=person.id)
    db.session.commit()
    first = password_step(client, member.username)
    assert first.status_code == 302 and not first.location.startswith("/login")
    assert signed_in(client)
    page = client.get("/account/second-factor")
    assert "không bắt buộc" in page.text
    secret, done = enrol_on(client, "/account/second-factor", "/account/second-factor/enrol")
    assert done.status_code == 200 and len(CODES.findall(done.text)) == 10
    auth.logout()
    assert password_step(client, member.username).location == "/login/code"
    assert send_code(client, totp_code(member.username, secret)).status_code == 302
    assert signed_in(client)


# F-3.3
def test_a_recovery_code_signs_in_once(client, auth, db, world):
    person = factories.member(world["unit_a"])
    member = factories.user(Role.member, None, member_id=person.id)
    db.session.commit()
    auth.login(member.username)
    _, done = enrol_on(client, "/account/second-factor", "/account/second-factor/enrol")
    first, second = CODES.findall(done.text)[:2]
    auth.logout()
    password_step(client, member.username)
    assert send_code(client, first.upper().replace("-", " ")).status_code == 302
    assert signed_in(client)
    auth.logout()
    password_step(client, member.username)
    assert send_code(client, first).status_code == 400 and not signed_in(client)
    assert send_code(client, second).status_code == 302 and signed_in(client)
    assert len(audited(db, "mfa_recovery_used")) == 2
    assert mfa.recovery_codes_left(member) == 8


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(client, auth, db, world):
    chair = world.users["union_chair_a"]
    auth.login(chair.username)
    page = client.get("/account/second-factor")
    refused = client.post("/account/second-factor/recovery-codes", data={
        "code": "000000", "csrf_token": csrf_token(page.text)})
    assert refused.status_code == 400
    made = client.post("/account/second-factor/recovery-codes", data={
        "code": totp_code(chair.username), "csrf_token": csrf_token(page.text)})
    codes = CODES.findall(made.text)
    assert made.status_code == 200 and len(codes) == 10
    made_again = client.post("/account/second-factor/recovery-codes", data={
        "code": totp_code(chair.username), "csrf_token": csrf_token(page.text)})
    newer = CODES.findall(made_again.text)
    assert len(newer) == 10 and not set(codes) & set(newer)
    assert len(db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == chair.id)).all()) == 10
    assert mfa.check_code(chair, codes[0]) is None
    assert mfa.check_code(chair, newer[0]) == "recovery"
    assert len(audited(db, "mfa_recovery_codes")) == 2


# F-3.3
def test_an_administrator_resets_a_second_factor(app, client, auth, db, world):
    chair = world.users["union_chair_a"]
    chair_client = app.test_client()
    type(auth)(chair_client).login(chair.username)
    assert signed_in(chair_client)
    auth.login(world.users["administrator"].username)
    page = client.get(f"/admin/users/{chair.id}")
    assert "Đặt lại xác thực hai lớp" in page.text
    assert client.post(f"/admin/users/{chair.id}/second-factor/reset").status_code == 400
    done = client.post(f"/admin/users/{chair.id}/second-factor/reset",
                       data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 302
    assert db.session.get(TotpFactor, chair.id) is None
    assert not signed_in(chair_client)       # his sessions ended
    assert password_step(chair_client, chair.username).location == "/login/enrol"
    [event] = audited(db, "mfa_reset")
    assert event.actor_id == world.users["administrator"].id
    assert event.data["user_id"] == chair.id


def test_only_an_administrator_resets_or_sets_the_policy(client, auth, world):
    auth.login(world.users["federation_officer_a"].username)
    token = csrf_token(client.get("/account/").text)
    chair = world.users["union_chair_a"]
    assert client.post(f"/admin/users/{chair.id}/second-factor/reset",
                       data={"csrf_token": token}).status_code == 403
    assert client.get("/admin/second-factor").status_code == 403


# F-3.3
def test_the_policy_is_set_per_role(client, auth, db, world):
    assert mfa.policy() == {role: role != Role.member for role in Role}
    chair = factories.user(Role.union_chair, world["unit_a"], enrolled=False)
    person = factories.member(world["unit_a"])
    member = factories.user(Role.member, None, member_id=person.id)
    db.session.commit()
    auth.login(world.users["administrator"].username)
    page = client.get("/admin/second-factor")
    assert 'href="/admin/second-factor"' in client.get("/admin/").text
    ticks = {r.value: "y" for r in Role if r not in (Role.union_chair, Role.member)}
    saved = client.post("/admin/second-factor", data={
        **ticks, "member": "y", "csrf_token": csrf_token(page.text)})
    assert saved.status_code == 302
    db.session.expire_all()
    assert not mfa.policy()[Role.union_chair] and mfa.policy()[Role.member]
    [event] = audited(db, "mfa_policy")
    assert event.data["changed"] == {"member": True, "union_chair": False}
    auth.logout()
    # the chair now signs in without; the member must enrol first
    assert not password_step(client, chair.username).location.startswith("/login")
    auth.logout()
    assert password_step(client, member.username).location == "/login/enrol"
    assert not signed_in(client)


# F-3.3
def test_requiring_a_role_signs_out_its_holders_without_a_second_factor(app, client, auth, db,
                                                                         world):
    lacking = factories.user(Role.union_chair, world["unit_a"], enrolled=False)
    db.session.commit()
    mfa.set_policy({Role.union_chair: False}, world.users["administrator"])
    db.session.commit()
    browsers = {name: app.test_client() for name in (lacking.username,
                                                     world.users["union_chair_a"].username)}
    for name, browser in browsers.items():
        Auth(browser).login(name)
        assert browser.get("/account/").status_code == 200
    auth.login(world.users["administrator"].username)
    page = client.get("/admin/second-factor")
    ticks = {r.value: "y" for r in Role if r != Role.member}
    saved = client.post("/admin/second-factor", data={**ticks, "csrf_token": csrf_token(page.text)},
                        follow_redirects=True)
    assert "1 người dùng thuộc vai trò nay bắt buộc xác thực hai lớp" in saved.text
    assert browsers[lacking.username].get("/account/").location.startswith("/login")
    assert browsers[world.users["union_chair_a"].username].get("/account/").status_code == 200
    [event] = audited(db, "mfa_policy")[-1:]
    assert event.data["signed_out"] == [lacking.id]


def test_secrets_are_sealed_with_the_application_key(app, world):
    factor = world.users["union_chair_a"].second_factor
    assert factories.TOTP_SECRET not in factor.secret
    assert unseal(factor.secret) == factories.TOTP_SECRET
    app.config["MFA_KEY"] = "another key"
    with pytest.raises(SealBroken):
        unseal(factor.secret)


EXPORTS = ["/cases/export?format=csv", "/members/cases/export?format=csv",
           "/reports/party/export?format=csv"]


@pytest.mark.parametrize("url", EXPORTS)
def test_an_export_that_lists_people_asks_to_authenticate_again(client, auth, world, url):
    chair = world.users["union_chair_a"].username
    officer = world.users["party_officer_a"].username
    user = chair if url.startswith("/members") else officer
    auth.login(user)
    assert client.get(url).status_code == 200          # signing in counts, for 10 minutes
    with client.session_transaction() as session:
        session[AUTHENTICATED_AT] -= 11 * 60
    asked = client.get(url)
    assert asked.status_code == 302 and asked.location.startswith("/reauthenticate?next=")
    page = client.get(asked.location)
    assert page.status_code == 200 and "Xác nhận" in page.text
    wrong = client.post(asked.location, data={"password": "wrong password!", "code":
                                              totp_code(user), "csrf_token": csrf_token(page.text)})
    assert wrong.status_code == 200 and "Sai mật khẩu hoặc mã" in wrong.text
    no_code = client.post(asked.location, data={"password": PASSWORD, "code": "000000",
                                                "csrf_token": csrf_token(page.text)})
    assert "Sai mật khẩu hoặc mã" in no_code.text
    assert client.get(url).status_code == 302
    done = client.post(asked.location, data={"password": PASSWORD, "code": totp_code(user),
                                             "csrf_token": csrf_token(page.text)})
    assert done.status_code == 302 and done.location == url
    assert client.get(url).status_code == 200


def test_an_unenrolled_user_re_authenticates_with_the_password(client, auth, db, world):
    chair = factories.user(Role.union_chair, world["unit_a"], enrolled=False)
    db.session.commit()
    mfa.set_policy({Role.union_chair: False}, world.users["administrator"])
    db.session.commit()
    auth.login(chair.username)
    with client.session_transaction() as session:
        session[AUTHENTICATED_AT] -= 11 * 60
    url = "/members/cases/export?format=csv"
    page = client.get(client.get(url).location)
    assert 'name="code"' not in page.text
    done = client.post(f"/reauthenticate?next={url}", data={
        "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert done.location == url and client.get(url).status_code == 200
