"""audit_event.step_on: the step's date (``data["on"]``) as a real DATE column, so that
reports read it without parsing each event's JSON. Derived from the hashed content (not
hashed itself); ``flask audit verify`` checks that the two agree. Existing events are
filled once, with the append-only triggers lifted for that one statement.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_NO_UPDATE = """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"""


def upgrade():
    op.add_column("audit_event", sa.Column("step_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        op.execute("UPDATE audit_event SET step_on = CAST(data->>'on' AS DATE) "
                   "WHERE to_state IS NOT NULL AND data->>'on' IS NOT NULL")
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("UPDATE audit_event SET step_on = json_extract(data, '$.on') "
                   "WHERE to_state IS NOT NULL AND json_extract(data, '$.on') IS NOT NULL")
        op.execute(SQLITE_NO_UPDATE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("audit_event", "step_on")
    else:
        # SQLite rebuilds the table to drop a column; the triggers go with it.
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        with op.batch_alter_table("audit_event") as batch:
            batch.drop_column("step_on")
        op.execute(SQLITE_NO_UPDATE)
        op.execute("""
            CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")
