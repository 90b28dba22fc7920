"""read log: one row per staff page view that shows personal data (read_event) and one per
person shown (read_subject), both append-only like audit_event (triggers refuse UPDATE and
DELETE, and TRUNCATE on PostgreSQL)

Revision ID: 0008_read_log
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_read_log"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("read_event", "read_subject")


def upgrade():
    op.create_table(
        "read_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=60), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"],
                                name=op.f("fk_read_event_actor_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_event")),
    )
    op.create_index(op.f("ix_read_event_at"), "read_event", ["at"])
    op.create_index("ix_read_event_actor_id_at", "read_event", ["actor_id", "at"])
    op.create_table(
        "read_subject",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("read_event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["read_event_id"], ["read_event.id"],
                                name=op.f("fk_read_subject_read_event_id_read_event")),
        sa.PrimaryKeyConstraint("kind", "subject_id", "read_event_id",
                                name=op.f("pk_read_subject")),
    )
    op.create_index(op.f("ix_read_subject_read_event_id"), "read_subject", ["read_event_id"])
    for table in TABLES:
        _append_only(table)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END $$""")
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def downgrade():
    for table in reversed(TABLES):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION {table}_append_only()")
        op.drop_table(table)
