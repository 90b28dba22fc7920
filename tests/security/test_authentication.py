"""ASVS chapter 6 (authentication): the password policy, changing and resetting a password,
throttling of sign-in per account and per address (across workers, behind a proxy), the
time of a refusal, and the address a sign-in or a language switch sends the browser to."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import pytest
import redis
from flask_babel import force_locale
from sqlalchemy import select

from referral_flow.demo import DEMO_PASSWORD
from referral_flow.models import AuditEvent, Role, User
from referral_flow.security import passwords

from ..conftest import Auth, app_of, csrf_token, totp_code
from ..factories import user
from ..integration.test_admin import post
from .throttling import LIMIT, limited_config

REPO = Path(__file__).resolve().parents[2]
FACTORY_PASSWORD = "correct horse battery"
CHOSEN = "mây trắng bay qua đỉnh núi Tản"
WEAK = ["password1234", "123456789012", "aaaaaaaaaaaa", DEMO_PASSWORD]


def _in(app, locale: str, message) -> str:
    with app.test_request_context(), force_locale(locale):
        return str(message)


# --- the policy (F-3.1) ----------------------------------------------------------------

@pytest.mark.parametrize("password", [*WEAK, "Password1234", "qwertyuiopas", "abcdefghijkl",
                                      "nguyenvanan1990", "congdoan2026!", "short", "p" * 129])
def test_policy_refuses_weak_passwords_and_says_why_in_vietnamese(app, password):
    # F-3.1
    reason = passwords.problem(password, ("an.nguyen", "Nguyễn Văn An"))
    assert reason is not None
    text = _in(app, "vi", reason)
    assert text != _in(app, "en", reason)            # translated, not the English msgid
    for english in ("common", "guess", "Repeats", "Add another word", "characters"):
        assert english not in text                   # nothing of zxcvbn's English


def test_policy_names_the_reason(app):
    # F-3.1: the message tells which weakness zxcvbn found, in our words.
    reasons = {pw: _in(app, "en", passwords.problem(pw, ("an.nguyen", "Nguyễn Văn An")))
               for pw in ("password12345", "trustno1trustno1", "nguyenvanan1990",
                          "abcdefghijklmn")}
    assert "most common passwords" in reasons["password12345"]
    assert "repeats" in reasons["trustno1trustno1"]
    assert "your name" in reasons["nguyenvanan1990"]
    assert "sequence" in reasons["abcdefghijklmn"]


@pytest.mark.parametrize("password", [CHOSEN, "tôi đi làm bằng xe đạp mỗi sáng " * 2,
                                      "k7mq-x2pf-9hbt-wn4r", "ĐoànViên@KCN-Quế_Võ#" * 6])
def test_policy_accepts_long_passphrases_up_to_128_characters(app, password):
    assert len(password) <= 128
    assert passwords.problem(password, ("an.nguyen", "Nguyễn Văn An")) is None


def test_one_time_passwords_pass_the_policy_and_differ():
    values = {passwords.one_time_password() for _ in range(20)}
    assert len(values) == 20
    assert all(passwords.problem(v) is None for v in values)


@pytest.mark.parametrize("password", WEAK)
def test_admin_form_refuses_weak_passwords(admin, world, db, password):
    # F-3.1: accepted through /admin/users/new before.
    page = post(admin, "/admin/users/new", {"username": "weak.pw", "full_name": "Lê Văn Yếu",
                                            "password": password, "confirm": password})
    assert page.status_code == 400 and 'id="password-error"' in page.text
    assert db.session.scalar(select(User).where(User.username == "weak.pw")) is None


def test_cli_refuses_a_weak_password(app, db):
    # F-3.1: `flask users create … --password password1234` created the account before.
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--username", "weakpw", "--full-name", "Weak", "--role",
        "administrator", "--org", "", "--password", "password1234"])
    assert result.exit_code != 0 and "password refused" in result.output
    assert db.session.scalar(select(User).where(User.username == "weakpw")) is None


# --- changing one's own password (F-3.2) ------------------------------------------------

def _change(client, current: str, new: str, confirm: str | None = None):
    page = client.get("/account/password")
    return client.post("/account/password", data={
        "current": current, "new": new, "confirm": new if confirm is None else confirm,
        "csrf_token": csrf_token(page.text)})


def test_user_changes_his_password_and_his_other_sessions_end(app, world, db, client, auth):
    # F-3.2
    chair = world.users["union_chair_a"]
    name, uid = chair.username, chair.id
    db.session.commit()
    other = app.test_client()
    Auth(other).login(name, FACTORY_PASSWORD)
    assert other.get("/account/").status_code == 200
    auth.login(name)
    assert 'href="/account/password"' in client.get("/account/").text

    assert _change(client, "wrong current pw", CHOSEN).status_code == 400
    assert _change(client, FACTORY_PASSWORD, "password1234").status_code == 400
    assert _change(client, FACTORY_PASSWORD, CHOSEN, CHOSEN + "x").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, uid).check_password(FACTORY_PASSWORD)

    page = _change(client, FACTORY_PASSWORD, CHOSEN)
    assert page.status_code == 302 and page.location == "/account/"
    db.session.expire_all()
    assert db.session.get(User, uid).check_password(CHOSEN)
    assert client.get("/account/").status_code == 200               # this browser stays in
    assert other.get("/account/").status_code == 302                # the other one is out
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.subject != "sign_in")).one()
    assert (event.trigger, event.actor_id, event.data["user_id"]) == (
        "password_change", uid, uid)
    assert CHOSEN not in str(event.data)


def test_change_form_needs_a_signed_in_user(client):
    assert client.get("/account/password").location.startswith("/login")


# --- an administrator's reset (F-3.2) ---------------------------------------------------

def test_admin_reset_gives_a_one_time_password_that_must_be_changed(app, world, db, admin):
    chair = world.users["union_chair_a"]
    name, uid = chair.username, chair.id
    victim = app.test_client()
    Auth(victim).login(name, FACTORY_PASSWORD)
    assert victim.get("/account/").status_code == 200
    user_page = admin.get(f"/admin/users/{uid}").text
    assert f'action="/admin/users/{uid}/password"' in user_page
    assert admin.post(f"/admin/users/{uid}/password").status_code == 400      # no CSRF

    page = post(admin, f"/admin/users/{uid}/password", {})
    assert page.status_code == 200
    one_time = page.text.split('class="one-time">', 1)[1].split("<", 1)[0]
    assert passwords.problem(one_time) is None
    assert victim.get("/account/").status_code == 302                 # sessions ended
    db.session.expire_all()
    target = db.session.get(User, uid)
    assert target.must_change_password and target.check_password(one_time)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.subject != "sign_in")).one()
    assert (event.trigger, event.data["user_id"]) == ("password_reset", uid)
    assert event.actor_id == world.users["administrator"].id
    assert one_time not in str(event.data)

    # The user signs in with it: every page leads to the change form until he changes it.
    fresh = app.test_client()
    assert Auth(fresh).login(name, one_time).status_code == 302
    for url in ("/cases/", "/members/", "/account/", "/inbox/", "/members/new"):
        assert fresh.get(url).location == "/account/password", url
    assert fresh.get("/account/password").status_code == 200
    assert _change(fresh, one_time, CHOSEN).status_code == 302
    assert fresh.get("/members/").status_code == 200
    db.session.expire_all()
    assert not db.session.get(User, uid).must_change_password


def test_only_administrators_reset_passwords(world, db, client, auth):
    chair, other = world.users["union_chair_a"], world.users["cell_secretary_a"]
    name, oid = chair.username, other.id
    db.session.commit()
    auth.login(name)
    token = csrf_token(client.get("/account/").text)
    assert client.post(f"/admin/users/{oid}/password",
                       data={"csrf_token": token}).status_code == 403


def test_an_account_created_by_an_administrator_must_change_its_password(app, world, db,
                                                                         admin):
    page = post(admin, "/admin/users/new", {"username": "moi.tao", "full_name": "Lê Văn Mới",
                                            "password": CHOSEN, "confirm": CHOSEN})
    assert page.status_code == 302
    fresh = app.test_client()
    fresh.post("/login", data={"username": "moi.tao", "password": CHOSEN,
                               "csrf_token": csrf_token(fresh.get("/login").text)})
    assert fresh.get("/cases/").location == "/account/password"


# --- the same work for every refusal (F-3.6) --------------------------------------------

def test_unknown_and_inactive_accounts_cost_one_hash_like_a_wrong_password(
        app, world, db, client, monkeypatch):
    # F-3.6: a refusal checks exactly one hash of the configured method, whoever asked.
    sleeper = user(Role.union_chair, world["unit_a"], username="ngu.dong")
    sleeper.active = False
    known = world.users["union_chair_a"].username
    db.session.commit()
    checked: list[str] = []
    real = passwords.check_password_hash

    def counting(stored, password):
        checked.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    method = app.config["PASSWORD_HASH_METHOD"]
    for username, password in ((known, "wrong password!"), ("khong.co.ai", "wrong password!"),
                               ("ngu.dong", FACTORY_PASSWORD)):
        checked.clear()
        page = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client.get("/login").text)})
        assert page.status_code == 200 and "/logout" not in page.text
        assert checked == [method], username


# --- throttling (F-3.4, F-3.5) ----------------------------------------------------------

def _attempt(client, username: str, address: str = "192.0.2.1", **headers):
    return client.post("/login", data={"username": username, "password": "wrong password!"},
                       environ_base={"REMOTE_ADDR": address}, headers=headers).status_code


@pytest.fixture
def chair_name(world, db) -> str:
    """A union chair's username, read before the test's session lets go of the database."""
    name = world.users["union_chair_a"].username
    db.session.commit()
    return name


@pytest.fixture
def limited(database_url, chair_name):
    """An app whose login throttling is on (memory storage), on the world's database."""
    with app_of(limited_config(database_url)) as app:
        yield app


def test_attempts_are_limited_per_account_from_any_address(limited):
    # F-3.5: a spray from many addresses at one account is stopped.
    client = limited.test_client()
    codes = [_attempt(client, name, f"198.51.100.{i}")
             for i, name in enumerate(["thamquyen"] * LIMIT + [" ThamQuyen "] * 2)]
    assert codes == [200] * LIMIT + [429, 429]
    assert _attempt(client, "someone.else", "198.51.100.99") == 200


def test_attempts_are_limited_per_address_across_accounts(limited):
    # F-3.4: one address trying many accounts is stopped too.
    client = limited.test_client()
    codes = [_attempt(client, f"user{i}") for i in range(LIMIT + 2)]
    assert codes == [200] * LIMIT + [429, 429]
    assert _attempt(client, "user99", "192.0.2.200") == 200


def test_guesses_of_the_current_password_are_limited_per_user(limited, chair_name):
    # F-3.5: a stolen session cannot try passwords on the change form without end.
    client = limited.test_client()
    assert client.post("/account/password").location.startswith("/login")   # anonymous
    client.post("/login", data={"username": chair_name, "password": FACTORY_PASSWORD})
    client.post("/login/code", data={"code": totp_code(chair_name)})
    codes = [client.post("/account/password", data={
        "current": f"guess number {i}", "new": CHOSEN, "confirm": CHOSEN}).status_code
        for i in range(LIMIT + 1)]
    assert codes == [400] * LIMIT + [429]


def test_codes_are_limited_per_account_from_any_address(limited, chair_name):
    # F-3.3/F-3.5: with a stolen password, codes cannot be tried from many addresses.
    client = limited.test_client()
    client.post("/login", data={"username": chair_name, "password": FACTORY_PASSWORD},
                environ_base={"REMOTE_ADDR": "198.51.100.1"})
    codes = [client.post("/login/code", data={"code": "000000"},
                         environ_base={"REMOTE_ADDR": f"203.0.113.{i}"}).status_code
             for i in range(LIMIT + 1)]
    assert codes == [400] * LIMIT + [429]


def test_a_spoofed_forwarded_for_is_ignored_without_trusted_proxies(limited):
    # F-3.5: with TRUSTED_PROXIES = 0 a client cannot pick a new address per attempt.
    client = limited.test_client()
    codes = [_attempt(client, f"user{i}", **{"X-Forwarded-For": f"203.0.113.{i}"})
             for i in range(LIMIT + 1)]
    assert codes[-1] == 429


def test_behind_a_trusted_proxy_each_client_has_his_own_bucket(database_url, world, db):
    # F-3.5: behind the TLS proxy (one hop) users do not share the proxy's bucket.
    db.session.commit()
    with app_of(limited_config(database_url, TRUSTED_PROXIES=1)) as app:
        client = app.test_client()
        proxy = "10.0.0.2"
        first = [_attempt(client, f"user{i}", proxy, **{"X-Forwarded-For": "203.0.113.5"})
                 for i in range(LIMIT + 1)]
        other = _attempt(client, "user99", proxy, **{"X-Forwarded-For": "203.0.113.6"})
        # The right-most address is the proxy's own view; a client's forged prefix is not.
        forged = _attempt(client, "user98", proxy,
                          **{"X-Forwarded-For": "1.2.3.4, 203.0.113.5"})
        app.extensions["sqlalchemy"].session.remove()
    assert first[-1] == 429 and other == 200 and forged == 429


REDIS = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> redis.Redis:
    conn = redis.Redis.from_url(REDIS)
    try:
        conn.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS}: {exc}")
    return conn


@pytest.mark.parametrize("storage, second_worker", [
    ("redis", ["200", "429", "429"]),        # counted together across processes
    ("memory", ["200", "200", "200"]),       # the old default: each worker counts alone
])
def test_two_workers_count_together_in_redis(database_url, world, db, storage, second_worker):
    # F-3.4: 20 of 30 wrong passwords were checked across 4 workers with memory storage.
    prefix = f"rf-test-{uuid.uuid4().hex}"
    conn = _redis_or_skip() if storage == "redis" else None
    uri = REDIS if conn else "memory://"
    db.session.commit()
    try:
        with app_of(limited_config(database_url, uri, prefix)) as app:
            client = app.test_client()
            first = [_attempt(client, "thamquyen", "192.0.2.7") for _ in range(LIMIT - 1)]
        worker = subprocess.run(
            [sys.executable, "-m", "tests.security.login_worker", database_url, uri, prefix,
             "thamquyen", "3"], cwd=REPO, capture_output=True, text=True, timeout=120,
            check=False)
        assert worker.returncode == 0, worker.stderr[-2000:]
        assert first == [200] * (LIMIT - 1)
        assert worker.stdout.split() == second_worker
    finally:
        if conn is not None:
            keys = list(conn.scan_iter(f"*{prefix}*"))
            if keys:
                conn.delete(*keys)
            conn.close()


# --- where the browser is sent (F-3.7, F-8.1) -------------------------------------------

PAYLOADS = [
    "//evil.example", "///evil.example", "////evil.example", "/\t/evil.example",
    "/\n/evil.example", "/\r/evil.example", "/\r\nX-Injected: 1", "/%0A/evil.example",
    "\\\\evil.example", "/\\evil.example", "\\/evil.example", "/\\/evil.example",
    "/\\\\evil.example", "https://evil.example", "http://evil.example", "https:evil.example",
    "https:/evil.example", "HTTPS://evil.example", "//evil.example/%2F..", "evil.example",
    "@evil.example", ".evil.example", "javascript:alert(1)", "java\tscript:alert(1)",
    "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "%2F%2Fevil.example",
    "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "%5C%5Cevil.example",
    "/\u2215evil.example", "/\uff0fevil.example", "\uff0f\uff0fevil.example",
    "\u2044\u2044evil.example", " //evil.example", "/ /evil.example", "/\x00/evil.example",
    "/\x0b/evil.example", "/\x0c/evil.example", "/\u00a0/evil.example", "/\u200b/evil.example",
    "/\u3000/evil.example", "//evil.example@app.example", "/" + "a" * 3000,
]
# Sent as typed in the address bar (the percent signs are the attacker's).
RAW_QUERIES = ["/%09/evil.example", "/%0A/evil.example", "/%0D%0AX-Injected:%201",
               "%2F%2Fevil.example", "/%5C/evil.example", "/%E2%88%95evil.example"]


def stays_on_the_app(location: str) -> bool:
    """Whether a browser following ``location`` from https://app.example/ stays there: it
    drops tabs and newlines, trims spaces and control characters, reads \\ as /."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r")
    cleaned = cleaned.strip("".join(map(chr, range(0x21)))).replace("\\", "/")
    return urlsplit(urljoin("https://app.example/login", cleaned)).netloc == "app.example"


def test_the_browser_model_of_this_file_knows_the_tricks():
    assert stays_on_the_app("/cases/?q=1") and stays_on_the_app("/login")
    for trick in ("//evil.example", "/\t/evil.example", "/\\evil.example", " //evil.example",
                  "https://evil.example", "\\\\evil.example"):
        assert not stays_on_the_app(trick), repr(trick)


def _assert_stays(page, landing: str, sent: str) -> None:
    """No 500, no injected header, a Location that keeps the browser here; a payload
    without percent signs is refused outright (one with them may be a harmless path)."""
    location = page.headers.get("Location", "")
    assert page.status_code == 302, repr(sent)
    assert stays_on_the_app(location) and "X-Injected" not in page.headers, (sent, location)
    if "%" not in sent:
        assert location == landing, (sent, location)


def _login_with_next(app, query: str, name: str):
    """Sign in with ``next`` in the query: the answer to the last step (the second factor's)."""
    client = app.test_client()
    response = client.post(f"/login?{query}", data={
        "username": name, "password": FACTORY_PASSWORD,
        "csrf_token": csrf_token(client.get("/login").text)})
    assert response.location == "/login/code"
    return client.post("/login/code", data={
        "code": totp_code(name), "csrf_token": csrf_token(client.get("/login/code").text)})


def test_login_never_redirects_off_site(app, world, db):
    # F-3.7 and F-8.1: /login?next=/%09/evil.example went to //evil.example; a newline
    # was a 500 after the login had succeeded.
    name = world.users["union_chair_a"].username
    db.session.commit()
    landing = _login_with_next(app, "", name).location
    sent = [(urlencode({"next": p}), p) for p in PAYLOADS]
    sent += [(f"next={q}", unquote(q)) for q in RAW_QUERIES]
    for query, value in sent:
        _assert_stays(_login_with_next(app, query, name), landing, value)
    assert _login_with_next(app, "next=/cases/%3Fq%3Dabc", name).location == "/cases/?q=abc"


def test_language_switch_never_redirects_off_site(client):
    # F-3.7 and F-8.1: POST /language was a one-click redirector, even before login.
    token = csrf_token(client.get("/login").text)
    landing = client.post("/language", data={"lang": "vi", "csrf_token": token}).location
    for payload in PAYLOADS:
        page = client.post("/language", data={"lang": "vi", "next": payload,
                                              "csrf_token": token})
        _assert_stays(page, landing, payload)
    page = client.post("/language", data={"lang": "en", "next": "/login?x=1",
                                          "csrf_token": token})
    assert page.location == "/login?x=1"
