"""ASVS chapter 16 (security logging): an audit trail nobody with database access can rewrite
unnoticed. The attacker here holds the database (triggers bypassed), not the audit key."""
from __future__ import annotations

import secrets

import hashlib
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from referral_flow import create_app
from referral_flow.config import ProductionConfig
from referral_flow.extensions import db as _db
from referral_flow.models import AuditEvent
from referral_flow.services import audit

from ..conftest import ON_PG, _admin_engine, _config, audit_events
from ..factories import advance, new_case

GENESIS = "0" * 64


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])




@contextmanager
def _with_db_access(db):
    """What someone holding the database does first: get past the append-only triggers
    (SQLite: drop them in this test's copy; PostgreSQL: the superuser's replica mode)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
    yield db.session
    db.session.commit()


def _rechain_unkeyed(db, events: list[AuditEvent], prev: str) -> None:
    """The review's probe: link and hash each event again with plain SHA-256."""
    for event in events:
        event.prev_hash = prev
        prev = hashlib.sha256(event.canonical().encode("utf-8")).hexdigest()
        db.session.execute(text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE id = :id"),
                           {"p": event.prev_hash, "h": prev, "id": event.id})


def _delete_from(db, first_id: int) -> None:
    db.session.execute(text("DELETE FROM audit_event WHERE id >= :id"), {"id": first_id})




def _more_events(world, db) -> None:
    advance(new_case(world, "a"), world, "dossier")
    db.session.commit()


def test_deleted_event_rechained_without_the_key_is_named(trail, app, db):
    # F-9.3
    gone, rest = trail[5], trail[6:]
    with _with_db_access(db):
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone.id})
        _rechain_unkeyed(db, rest, trail[4].hash)
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {rest[0].id}: hashed without the audit key" in result.output
    assert "intact" not in result.output


def test_whole_chain_rechained_without_the_key_is_named(trail, app, db):
    # F-9.3: from the genesis on, no keyed event left to betray the rewrite
    with _with_db_access(db):
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": trail[0].id})
        _rechain_unkeyed(db, trail[1:], GENESIS)
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {trail[1].id}" in result.output


def test_newest_events_deleted_after_a_checkpoint_are_reported(trail, app, db):
    # F-9.4
    assert _cli(app, "anchor").exit_code == 0
    with _with_db_access(db):
        _delete_from(db, trail[-3].id)
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert "BROKEN at event" not in result.output         # what is left still links up…
    assert ("3 events missing since the checkpoint of" in result.output
            and f"ends at event {trail[-4].id}" in result.output)   # …but it lost its tail
    assert "intact" not in result.output


def test_rechained_chain_differs_from_its_checkpoint(trail, app, db):
    # F-9.3: the checkpoint catches the rewrite on its own, apart from the keyed hashes
    assert _cli(app, "anchor").exit_code == 0
    with _with_db_access(db):
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": trail[2].id})
        _rechain_unkeyed(db, trail[3:], trail[1].hash)
    output = _cli(app, "verify").output
    assert f"event {trail[-1].id} differs from the checkpoint" in output
    assert f"1 events up to event {trail[-1].id} missing" in output


def test_altered_checkpoint_line_is_refused(trail, app, db):
    assert _cli(app, "anchor").exit_code == 0
    path = Path(app.config["AUDIT_ANCHOR_FILE"])
    line = path.read_text()
    count = len(trail)
    path.write_text(line.replace(f"events={count} ", f"events={count - 2} "))
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert "checkpoint REFUSED" in result.output and "HMAC does not match" in result.output


def test_intact_chain_holds_its_latest_checkpoint(trail, world, app, db):
    first = _cli(app, "anchor")
    assert first.exit_code == 0, first.output
    _more_events(world, db)
    assert _cli(app, "anchor").exit_code == 0
    _more_events(world, db)          # events after the checkpoint are fine
    events = audit_events(db)
    lines = Path(app.config["AUDIT_ANCHOR_FILE"]).read_text().splitlines()
    assert len(lines) == 2
    result = _cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert f"audit chain intact: {len(events)} events" in result.output
    assert "holds" in result.output and "BROKEN" not in result.output


def test_checkpoint_line_fields(trail, app, db):
    assert _cli(app, "anchor").exit_code == 0
    line = Path(app.config["AUDIT_ANCHOR_FILE"]).read_text().strip()
    assert line.endswith(f"events={len(trail)} last_id={trail[-1].id} head={trail[-1].hash} "
                         f"hmac={line[-64:]}")
    assert line[:20].endswith("Z")


def test_a_broken_chain_is_not_anchored(trail, app, db):
    with _with_db_access(db):
        db.session.execute(text("UPDATE audit_event SET comment = 'x' WHERE id = :id"),
                           {"id": trail[3].id})
    result = _cli(app, "anchor")
    assert result.exit_code == 1
    assert f"BROKEN at event {trail[3].id}" in result.output
    assert not Path(app.config["AUDIT_ANCHOR_FILE"]).exists()


def test_checkpoint_goes_to_syslog_too(trail, app):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        app.config["AUDIT_ANCHOR_SYSLOG"] = f"127.0.0.1:{server.getsockname()[1]}"
        assert _cli(app, "anchor").exit_code == 0
        received = server.recv(4096).decode()
    line = Path(app.config["AUDIT_ANCHOR_FILE"]).read_text().strip()
    assert received.endswith(f"referral_flow audit checkpoint {line}\x00")


def test_missing_checkpoint_warns_in_development_fails_where_required(trail, app):
    result = _cli(app, "verify")
    assert result.exit_code == 0
    assert "warning: no checkpoint" in result.output
    app.config["AUDIT_ANCHOR_REQUIRED"] = True
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert "checkpoint MISSING" in result.output


def test_the_first_checkpoint_can_be_written_where_one_is_required(trail, app):
    app.config["AUDIT_ANCHOR_REQUIRED"] = True
    assert _cli(app, "anchor").exit_code == 0
    assert _cli(app, "verify").exit_code == 0


def test_another_key_does_not_verify(trail, app):
    app.config["AUDIT_KEY"] = b"another-key-of-at-least-32-characters"
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {trail[0].id}" in result.output


def test_chain_begun_before_the_key_verifies_up_to_the_configured_id(trail, world, app, db):
    """A database older than the key: its events stay as they are (nothing rewrites the
    trail); AUDIT_KEYED_FROM_ID, set outside the database, says where the key begins."""
    with _with_db_access(db):       # stands for the old version's plain SHA-256 chain
        _rechain_unkeyed(db, trail, GENESIS)
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {trail[0].id}: hashed without the audit key" in result.output
    app.config["AUDIT_KEYED_FROM_ID"] = trail[-1].id + 1
    _more_events(world, db)
    result = _cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert f"({len(trail)} written before the audit key" in result.output
    # An event of the keyed part turned into an unkeyed one is refused.
    keyed = audit_events(db)[len(trail):]
    with _with_db_access(db):
        _rechain_unkeyed(db, keyed, trail[-1].hash)
    assert f"BROKEN at event {keyed[0].id}" in _cli(app, "verify").output


class _Production(ProductionConfig):
    SECRET_KEY = "a-production-secret-key-of-enough-length-0123456789"
    AUDIT_KEY = None
    AUDIT_KEY_FILE = None


def test_production_refuses_to_start_without_an_audit_key():
    with pytest.raises(RuntimeError, match="AUDIT_KEY or AUDIT_KEY_FILE must be set"):
        create_app(_Production)


def test_production_refuses_a_short_audit_key():
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app({**{k: getattr(_Production, k) for k in dir(_Production) if k.isupper()},
                    "AUDIT_KEY": "short"})


def test_audit_key_file_is_read(tmp_path):
    key_file = tmp_path / "audit.key"
    key = secrets.token_hex(20)
    key_file.write_text(key + "\n")
    app = create_app({**{k: getattr(_Production, k) for k in dir(_Production) if k.isupper()},
                      "AUDIT_KEY_FILE": str(key_file)})
    assert app.config["AUDIT_KEY"] == key.encode()
    with pytest.raises(RuntimeError, match="AUDIT_KEY_FILE cannot be read"):
        create_app({**{k: getattr(_Production, k) for k in dir(_Production) if k.isupper()},
                    "AUDIT_KEY_FILE": str(tmp_path / "missing.key")})


@pytest.fixture
def app_role(app, db, database_url):
    """A throwaway role that owns nothing, granted as the README says; dropped after."""
    if not ON_PG:
        pytest.skip("database roles and privileges exist on PostgreSQL only")
    role = f"rf_app_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", role])
    assert result.exit_code == 0, result.output
    engine = create_engine(make_url(database_url).set(username=role))
    yield engine
    engine.dispose()
    db.session.rollback()
    db.session.execute(text(f"DROP OWNED BY {role}"))
    db.session.commit()
    with admin.connect() as conn:
        conn.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


@pytest.mark.parametrize("sql", [
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "DROP TABLE audit_event",
    "SET session_replication_role = replica",
    "DELETE FROM audit_event",
    "UPDATE audit_event SET comment = 'x'",
    "TRUNCATE audit_event",
    "UPDATE alembic_version SET version_num = 'x'",
])
def test_application_role_cannot_touch_the_trail(trail, app_role, sql):
    # F-9.3: the application's role owns nothing
    with app_role.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text(sql))
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)


def test_application_role_appends_to_the_trail(trail, app_role, tmp_path):
    # F-9.3: what the application needs, its role still has
    url = app_role.url.render_as_string(hide_password=False)
    last_id = trail[-1].id      # read before: the test's session would use the role's engine
    as_role = create_app(_config(url) | {"AUDIT_ANCHOR_FILE": str(tmp_path / "anchors.log")})
    with as_role.app_context():
        event_id = audit.append(trigger="role_check", actor_id=None, subject="test").id
        _db.session.execute(text("UPDATE referral_case SET version = version WHERE id > 0"))
        _db.session.commit()
        assert event_id > last_id
        result = as_role.test_cli_runner().invoke(args=["audit", "anchor"])
        assert result.exit_code == 0, result.output
        assert f"audit chain intact: {len(trail) + 1} events" in result.output
        _db.session.remove()
        _db.engine.dispose()


def test_grant_app_role_refuses_a_superuser_or_sqlite(app):
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", "postgres"])
    assert result.exit_code == 1
    expected = "must own nothing" if ON_PG else "PostgreSQL only"
    assert expected in result.output


def test_application_writes_a_checkpoint_every_n_events(trail, world, app, db):
    app.config["AUDIT_ANCHOR_EVERY"] = 3
    _more_events(world, db)
    lines = Path(app.config["AUDIT_ANCHOR_FILE"]).read_text().splitlines()
    ids = [int(line.split(" last_id=")[1].split()[0]) for line in lines]
    multiples = [e.id for e in audit_events(db)[len(trail):] if e.id % 3 == 0]
    # One checkpoint per transaction at most: its last multiple of 3.
    assert ids and set(ids) <= set(multiples) and ids[-1] == multiples[-1]
    result = _cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert f"up to event {ids[-1]}" in result.output


def test_no_checkpoint_of_an_event_rolled_back(trail, app, db):
    app.config["AUDIT_ANCHOR_EVERY"] = 1
    savepoint = db.session.begin_nested()
    audit.append(trigger="previewed", actor_id=None, subject="test")
    savepoint.rollback()
    db.session.rollback()
    assert not Path(app.config["AUDIT_ANCHOR_FILE"]).exists()
    audit.append(trigger="kept", actor_id=None, subject="test")
    db.session.commit()
    assert f"events={len(trail) + 1} " in Path(app.config["AUDIT_ANCHOR_FILE"]).read_text()
