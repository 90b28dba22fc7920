"""Fixtures: an app on a fresh migrated database per test (SQLite file by default,
PostgreSQL when TEST_DATABASE_URL points at one), clients, a world of both trees."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
import shutil
import uuid

import pyotp
import pytest
from flask import g
from flask_babel import refresh
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.engine import make_url

from referral_flow import create_app
from referral_flow.config import TestingConfig
from referral_flow.extensions import db as _db
from referral_flow.models import AuditEvent, ReadEvent, ReadSubject, TotpFactor, User
from referral_flow.models.reads import MEMBER, PARTY_MEMBER

from . import factories

PG_URL = os.environ.get("TEST_DATABASE_URL", "")

# Tests that start servers (gunicorn, PostgreSQL) and wait for them with time.sleep, which
# fails (EINVAL) under libfaketime: they run in CI's two normal runs, not in the run under a
# shifted clock, which is about dates, not processes.
needs_real_clock = pytest.mark.skipif(
    "FAKETIME" in os.environ,
    reason="starts servers and waits with time.sleep, which libfaketime breaks; covered by "
           "the runs without faketime")
ON_PG = PG_URL.startswith("postgresql")


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


def _config(url: str) -> dict:
    """The testing config on ``url``, with the application's today pinned to the tests' day
    (nothing in a test depends on the machine's date or time zone)."""
    return {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url, "FROZEN_TODAY": factories.TODAY}


def _admin_engine():
    return create_engine(make_url(PG_URL).set(database="postgres"),
                         isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Build the schema once with the real migrations; each test gets a copy."""
    if ON_PG:
        name = f"rf_tpl_{uuid.uuid4().hex[:10]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _upgrade(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        _upgrade(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(template_db, tmp_path, request):
    if ON_PG:
        name = f"rf_t_{uuid.uuid4().hex[:12]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path / "test.db"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"


class FreshRequestClient(FlaskClient):
    """Requests reuse the test's open app context (and its ``g``); forget the cached
    login and locale before each one so that, as in production, the session cookie and
    the language are read afresh. Responses are buffered and closed."""

    def open(self, *args, **kwargs):
        # Read every response whole and close it, so that a streamed download (a spooled
        # export file) is closed even when a test looks only at its headers.
        kwargs.setdefault("buffered", True)
        g.pop("_login_user", None)
        g.pop("csrf_token", None)       # Flask-WTF caches the session's token in g
        with self.application.test_request_context():
            refresh()
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    # Each test keeps its audit checkpoints and scans in its own files, never the instance
    # folder's.
    app = create_app(_config(database_url)
                     | {"AUDIT_ANCHOR_FILE": str(tmp_path / "audit-anchors.log"),
                        "SCANS_DIR": str(tmp_path / "scans")})
    app.test_client_class = FreshRequestClient
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def world(db):
    w = factories.build_world()
    db.session.commit()
    return w


@pytest.fixture
def client(app):
    return app.test_client()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1) or m.group(2)


def totp_code(username: str, secret: str = factories.TOTP_SECRET) -> str:
    """A code the server accepts now for ``username``: the current step's. Tests sign the
    same user in many times within one 30-second step, and a step is accepted once, so the
    used step is forgotten first (replay is tested in tests/security)."""
    _db.session.execute(update(TotpFactor).where(
        TotpFactor.user_id == select(User.id).where(User.username == username)
        .scalar_subquery()).values(last_step=None))
    _db.session.commit()
    return pyotp.TOTP(secret).now()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "correct horse battery"):
        """Sign in; the second step, when asked, with the test world's authenticator."""
        page = self.client.get("/login")
        response = self.client.post("/login", data={
            "username": username, "password": password, "csrf_token": csrf_token(page.text)})
        if response.status_code == 302 and response.location.startswith("/login/code"):
            page = self.client.get(response.location)
            response = self.client.post(response.location, data={
                "code": totp_code(username), "csrf_token": csrf_token(page.text)})
        return response

    def logout(self):
        page = self.client.get("/cases/")
        return self.client.post("/logout", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client):
    return Auth(client)


@contextmanager
def own_context(app, db):
    """Run requests in their own app context (own session, own ``g``), as in production."""
    db.session.commit()     # on SQLite an open test transaction would lock the request out
    with app.app_context():
        yield


@contextmanager
def app_of(config: dict):
    """Another application (another worker, another configuration) in its own app context;
    its connections are closed afterwards (PostgreSQL warns of a connection left open)."""
    other = create_app(config)
    with other.app_context():
        try:
            yield other
        finally:
            _db.session.remove()
            for engine in _db.engines.values():     # the replica's bind too
                engine.dispose()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def rq_jobs(app):
    """Jobs on the machine's real Redis (.ci/run starts it), on a queue of this test's own;
    the test runs the worker (``jobs.worker.work(burst=True)``) when it wants the jobs done."""
    from redis import Redis
    name = f"rf-test-{uuid.uuid4().hex[:10]}"
    app.config.update(JOBS_MODE="rq", REDIS_URL=REDIS_URL, JOBS_QUEUE=name)
    yield name
    with Redis.from_url(REDIS_URL) as redis:
        keys = list(redis.scan_iter(f"*{name}*"))
        if keys:
            redis.delete(*keys)


@contextmanager
def counting(app, db):
    """Count SQL statements; the request runs in its own app context (its own session),
    as in production, so nothing cached by the test's session hides a query. SQLite's
    BEGINs are not counted (a GET that logs its read has two transactions; PostgreSQL's
    driver sends its BEGIN unseen).

    Inside the block, touch no ORM object of the test's session (compute URLs before):
    an expired attribute would open a transaction that, on SQLite, locks out the request.
    """
    db.session.commit()     # on SQLite an open test transaction would lock the request out
    seen: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        with app.app_context():
            yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


@dataclass(frozen=True)
class Read:
    """One page view of the read log, with the people it named."""
    actor_id: int
    endpoint: str
    filters: dict
    rows: int
    members: frozenset[int]
    party_members: frozenset[int]


def audit_events(db) -> list[AuditEvent]:
    """The whole audit trail, read afresh, in order."""
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.fixture
def trail(world, db):
    """Two cases walked some steps: a chain of a dozen or so events, committed."""
    factories.advance(factories.new_case(world, "a"), world, "certified")
    factories.advance(factories.new_case(world, "b"), world, "dossier")
    db.session.commit()
    events = audit_events(db)
    assert len(events) >= 10
    return events


def changes_logged(db) -> int:
    """How many audit events record something other than a sign-in or sign-out (those are
    written by every test that signs a user in)."""
    return db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.subject != "sign_in"))


def logged_reads(db) -> list[Read]:
    """The read log in order (read in the test's session, after its requests)."""
    db.session.expire_all()
    named: dict[int, dict[str, set]] = {}
    for event_id, kind, subject_id in db.session.execute(
            select(ReadSubject.read_event_id, ReadSubject.kind, ReadSubject.subject_id)):
        named.setdefault(event_id, {}).setdefault(kind, set()).add(subject_id)
    return [Read(e.actor_id, e.endpoint, e.filters, e.rows,
                 frozenset(named.get(e.id, {}).get(MEMBER, ())),
                 frozenset(named.get(e.id, {}).get(PARTY_MEMBER, ())))
            for e in db.session.scalars(select(ReadEvent).order_by(ReadEvent.id))]
