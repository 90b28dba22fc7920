"""Engine set-up; one transaction per request (views commit once; teardown rolls back
whatever was left open).

SQLite (WAL) has one writer at a time. A transaction that may write begins IMMEDIATE, taking
the write lock up front, so that two writers never both read the same version (the audit
chain's head, a case's version). A read that later wants to write cannot wait for the lock
(SQLite refuses the upgrade at once when another writer holds it or has committed since), so:

- a safe-method request (GET, HEAD, OPTIONS) reads in a snapshot: its transactions begin
  DEFERRED and never wait on the write lock;
- what such a request writes (the read log, an export's audit event, the session's
  last-seen time) goes through ``begin_writing()`` first, which ends the snapshot (keeping
  what it loaded) so that the writes get a transaction of their own that begins IMMEDIATE;
  its commit ends it, and later reads are snapshots again. ``services.audit.lock_chain``
  and ``services.reads.record`` call it, so a GET's writes go through them or call it;
- a write statement in a DEFERRED transaction raises ``WriteInSnapshot``: a forgotten
  ``begin_writing()`` fails at once and always, not now and then under load;
- everything else (other methods, CLI commands, jobs, tests outside a request) begins
  IMMEDIATE, but a job's transaction with the ``read_only`` execution option.

PostgreSQL is left as it was: none of these listeners or hooks is registered there, and
``begin_writing()`` does nothing.
"""
from __future__ import annotations

import re

from flask import Flask, g, has_app_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db, migrate

MIGRATIONS = __file__.rsplit("/", 1)[0] + "/migrations"
READ_ONLY = "read_only"     # the execution option of a session that only reads
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SNAPSHOT, _WRITING = "_db_snapshot", "_db_writing"     # flags on flask.g
_DEFERRED = "deferred"                                  # key of Connection.info
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
# Indexes a migration creates on one dialect only and the models do not declare, so that
# Alembic's compare (`flask db check`, the drift test) does not ask to drop them.
MIGRATION_ONLY_INDEXES = frozenset({
    "ix_organisation_path_pattern",     # 0004, PostgreSQL: path text_pattern_ops
})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter for what autogenerate compares: all but MIGRATION_ONLY_INDEXES."""
    return not (type_ == "index" and reflected and name in MIGRATION_ONLY_INDEXES)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        deferred = bool(connection.get_execution_options().get(READ_ONLY)) or (
            has_app_context() and g.get(_SNAPSHOT, False) and not g.get(_WRITING, False))
        connection.info[_DEFERRED] = deferred
        connection.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def no_write_in_snapshot(connection, _cursor, statement, _params, _context, _many):
        if connection.info.get(_DEFERRED) and _WRITE.match(statement):
            raise WriteInSnapshot(statement)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def writes_ended(_connection):
        if has_app_context():
            g.pop(_WRITING, None)


class WriteInSnapshot(RuntimeError):
    """A write in a transaction that began DEFERRED (a GET's snapshot, a read-only job)."""

    def __init__(self, statement: str):
        super().__init__("a write in a read-only (DEFERRED) SQLite transaction; call "
                         "database.begin_writing() before writing during a GET: "
                         + statement.split("\n", 1)[0][:120])


def begin_writing() -> None:
    """Let the writes that follow begin IMMEDIATE: in a safe-method request's snapshot, the
    snapshot is ended first (committed; what it loaded stays loaded, and anything changed
    but not flushed raises ``WriteInSnapshot``). Until the next commit or rollback; a no-op
    anywhere else."""
    if not (has_app_context() and g.get(_SNAPSHOT)) or g.get(_WRITING):
        return
    if db.session().in_transaction():
        commit_keeping_loaded()
    setattr(g, _WRITING, True)


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session loaded (a page already built from it; the
    signed-in user, whose reload would cost a query and a transaction for nothing)."""
    session = db.session()
    kept, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = kept


def _snapshot_reads(app: Flask) -> None:
    """Mark the safe-method requests, whose transactions begin DEFERRED (registered before
    any other hook that may touch the database)."""
    @app.before_request
    def reads_by_snapshot():
        if request.method in SAFE_METHODS:
            setattr(g, _SNAPSHOT, True)

    @app.teardown_request
    def snapshot_ended(_exc):
        # Tests run requests in the test's own app context: its ``g`` outlives the request.
        g.pop(_SNAPSHOT, None)
        g.pop(_WRITING, None)


def register(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True,
                     compare_server_default=True, include_object=include_object)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(db.engine)
            _snapshot_reads(app)

    @app.teardown_request
    def rollback_leftovers(_exc):
        db.session.rollback()
