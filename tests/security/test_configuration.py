"""ASVS chapter 13 (configuration) and 3.4 (browser security headers): production is the
default and refuses what it must not serve, the headers it sends, the server banner, and
the page shown while the database is unreachable."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.engine import make_url

import referral_flow
from referral_flow import create_app
from referral_flow.config import ProductionConfig, config_from_env
from referral_flow.demo import DEMO_PASSWORD, MARKER
from referral_flow.models import Role, Tree, UnionKind
from referral_flow.production import UnsafeProduction, key_problem

from ..conftest import ON_PG, _admin_engine, _config, csrf_token, needs_real_clock
from ..factories import TODAY, advance, new_case, org, user

REPO = Path(referral_flow.__file__).resolve().parent.parent
MAYBE_RECORDED = "có thể đã được ghi hoặc chưa"      # the 503 page, in Vietnamese


# --- fail closed (F-10.1) ---------------------------------------------------------------

def test_no_environment_means_production(monkeypatch):  # F-10.1
    monkeypatch.delenv("REFERRAL_FLOW_ENV", raising=False)
    assert config_from_env() is ProductionConfig


def test_no_environment_and_no_key_refuses_to_start(monkeypatch):  # F-10.1
    monkeypatch.delenv("REFERRAL_FLOW_ENV", raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app()


def test_an_unknown_environment_name_is_refused(monkeypatch):  # F-10.1
    monkeypatch.setenv("REFERRAL_FLOW_ENV", "prod")
    with pytest.raises(RuntimeError, match="expected one of development, testing, production"):
        config_from_env()


# --- weak keys and demo data under production (F-10.1, F-3.8) ---------------------------

@pytest.mark.parametrize("key", ["dev-only-not-secret", "testing", "x", "",
                                 "0123456789abcdef0123456789abcde",     # 31 characters
                                 "ab" * 32])
def test_weak_secret_keys_are_named(key):  # F-10.1
    assert key_problem(key)


def test_a_random_key_is_fit(strong_key):
    assert key_problem(strong_key) is None


def test_production_refuses_a_weak_key(production_app):  # F-10.1
    with pytest.raises(UnsafeProduction, match="shorter than 32"):
        production_app(SECRET_KEY="a-short-but-not-empty-key")


def test_production_refuses_the_public_development_audit_key(production_app):  # F-10.1
    with pytest.raises(UnsafeProduction, match="AUDIT_KEY is missing or a known public value"):
        production_app(AUDIT_KEY="dev-only-audit-key-not-secret-0000")


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"JOBS_MODE": "inline"}, "JOBS_MODE must be rq or thread"),
    ({"JOBS_MODE": "rq", "REDIS_URL": None}, "REDIS_URL is not set"),
])
def test_production_refuses_jobs_it_cannot_run(production_app, overrides, reason):
    with pytest.raises(UnsafeProduction, match=reason):
        production_app(**overrides)


def test_production_starts_on_a_clean_database(production_app):
    assert production_app().config["PRODUCTION"]


def test_production_refuses_a_demo_account_with_the_demo_password(production_app, db):  # F-3.8
    demo_admin = user(Role.administrator, None, username="admin")
    demo_admin.set_password(DEMO_PASSWORD)
    with pytest.raises(UnsafeProduction, match="demo password: admin"):
        production_app()


def test_an_administrator_called_admin_is_not_a_demo_account(production_app, db):  # F-3.8
    user(Role.administrator, None, username="admin")       # his own password
    assert production_app()


def test_production_refuses_a_database_loaded_with_demo_data(production_app, db):  # F-3.8
    org(MARKER, Tree.union, UnionKind.federation)
    with pytest.raises(UnsafeProduction, match="holds the demo province"):
        production_app()


# --- headers (F-7.1, F-7.2) -------------------------------------------------------------

def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


def test_csp_forbids_plugins_and_base_elements(client):  # F-7.1
    directives = _directives(client.get("/login"))
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]


def test_hsts_under_production_only(client, production_app):  # F-7.2
    assert "Strict-Transport-Security" not in client.get("/login").headers
    served = production_app().test_client().get("/login")
    assert served.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_the_login_page_and_signed_in_pages_are_not_cached(world, auth, client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    auth.login(world.users["union_chair_a"].username)
    assert client.get("/cases/").headers["Cache-Control"] == "no-store"


# --- gunicorn (F-7.3) -------------------------------------------------------------------

@needs_real_clock
def test_gunicorn_with_the_repository_config_sends_no_server_banner(  # F-7.3
        app, db, strong_key, free_port, tmp_path):
    db.session.commit()
    log = tmp_path / "gunicorn.log"
    env = {"PATH": str(Path(sys.executable).parent), "REFERRAL_FLOW_ENV": "production",
           "SECRET_KEY": strong_key, "AUDIT_KEY": strong_key, "WEB_CONCURRENCY": "1",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket",
             "-b", f"127.0.0.1:{free_port}", "wsgi:app"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        response = _first_answer(f"http://127.0.0.1:{free_port}/login?q=027189278104")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert response.status == 200
    assert "Server" not in response.headers
    assert response.headers["Strict-Transport-Security"]
    logged = log.read_text()
    assert '"GET /login HTTP/1.1" 200' in logged
    assert "027189278104" not in logged           # no query string in the access log


def _first_answer(url: str, wait: float = 30):
    deadline = time.monotonic() + wait
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- the database goes away ----------------------------------------------------------------

def _take_the_database_away(db, url: str) -> None:
    """Drop the test's PostgreSQL database, or remove the SQLite file's folder, and let the
    pool forget its connections (an open SQLite handle would keep reading the unlinked file)."""
    db.session.commit()
    db.engine.dispose()
    if ON_PG:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()
    else:
        shutil.rmtree(Path(make_url(url).database).parent)


def test_a_step_while_the_database_is_gone_gets_503_saying_it_may_be_recorded(
        world, db, auth, client, database_url, caplog):
    case = new_case(world, start=TODAY - timedelta(days=60))
    advance(case, world, "nominated", today=TODAY)
    db.session.commit()
    auth.login(world.users["party_officer_a"].username)
    token = csrf_token(client.get(f"/cases/{case.id}").text)
    case_id, version = case.id, case.version
    _take_the_database_away(db, database_url)

    response = client.post(f"/cases/{case_id}/accept",
                           data={"accept-csrf_token": token, "accept-version": version})
    assert response.status_code == 503
    assert MAYBE_RECORDED in response.text
    assert f'href="/cases/{case_id}"' in response.text          # reload the case
    assert response.headers["Retry-After"]
    assert "database unavailable during POST" in caplog.text
    assert client.get(f"/cases/{case_id}").status_code == 503


def test_a_postgresql_server_that_does_not_answer_gets_503(free_port):
    app = create_app(_config(f"postgresql+psycopg://postgres@127.0.0.1:{free_port}/gone"))
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"username": "someone", "password": "anything",
                                           "csrf_token": token})
    assert response.status_code == 503
    assert MAYBE_RECORDED in response.text
    assert 'href="/login"' in response.text


def _failing_view(app, error: Exception) -> str:
    """A page whose view raises ``error``."""
    def failing():
        raise error
    app.add_url_rule("/failing", "failing", failing)
    return "/failing"


def test_any_error_taken_for_a_disconnect_gets_503(app, client):
    lost = DBAPIError("SELECT 1", {}, Exception("connection reset"), connection_invalidated=True)
    response = client.get(_failing_view(app, lost))
    assert response.status_code == 503
    assert MAYBE_RECORDED in response.text


def test_other_database_errors_stay_500(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    clash = IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert client.get(_failing_view(app, clash)).status_code == 500
