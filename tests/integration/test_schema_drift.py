"""The models and the migrations describe one schema: Alembic's autogenerate compare, with
the options `flask db check` uses, finds nothing to do on a copy of the migrated template
database (SQLite, or PostgreSQL under TEST_DATABASE_URL; CI runs both)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from referral_flow.database import MIGRATION_ONLY_INDEXES

from ..conftest import ON_PG


def drift(app, db) -> list:
    """What autogenerate would put in a new migration (``flask db check``'s question)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts=app.extensions["migrate"].configure_args)
        return compare_metadata(context, db.metadata)


def test_migrations_build_exactly_the_models_schema(app, db):
    assert drift(app, db) == []


def test_a_schema_change_missing_from_the_migrations_is_found(app, db):
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_organisation_path"))
    assert [(op, index.name) for op, index in drift(app, db)] == [
        ("add_index", "ix_organisation_path")]


def test_the_indexes_left_out_of_the_compare_exist_on_postgresql_only(db):
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("organisation")}
    assert MIGRATION_ONLY_INDEXES & indexes == (MIGRATION_ONLY_INDEXES if ON_PG else set())
