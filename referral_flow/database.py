"""Engine set-up: SQLite in WAL mode with writes that begin IMMEDIATE; one transaction
per request (views commit once; teardown rolls back whatever was left open)."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db, migrate

MIGRATIONS = __file__.rsplit("/", 1)[0] + "/migrations"
READ_ONLY = "read_only"     # the execution option of a session that only reads
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
        # Take the write lock up front: two writers never both read the same version. A
        # connection opened with the execution option ``read_only`` (a background check
        # that writes nothing) reads a snapshot without the lock, so that pages are not held
        # up for its whole length.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def register(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True,
                     compare_server_default=True, include_object=include_object)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(db.engine)

    @app.teardown_request
    def rollback_leftovers(_exc):
        db.session.rollback()
