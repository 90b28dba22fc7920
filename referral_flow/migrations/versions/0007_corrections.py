"""Corrections and withdrawn records: a step can be corrected (its records voided, the case
restored) and a dossier document withdrawn or replaced, never deleted.

* ``document``: who withdrew it, when and why; the document it replaces (a correction).
* ``vote``: the day it was voided by a correction of its step.
* ``audit_event.corrects_id``: the event a correction undoes, copied from the hashed
  ``data["corrects"]`` (not hashed itself: derived; ``flask audit verify`` checks that the two
  agree) so that reports leave corrected steps out without reading JSON.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_document_withdrawn_by_id_user_account"),
                                 "user_account", ["withdrawn_by_id"], ["id"])
        batch.create_foreign_key(batch.f("fk_document_replaces_id_document"),
                                 "document", ["replaces_id"], ["id"])
    with op.batch_alter_table("vote") as batch:
        batch.add_column(sa.Column("voided_on", sa.Date(), nullable=True))
    # A plain ADD COLUMN (no table rebuild), so the append-only triggers stay in place.
    op.add_column("audit_event", sa.Column("corrects_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_event_corrects_id", "audit_event", ["corrects_id"])


def downgrade():
    op.drop_index("ix_audit_event_corrects_id", "audit_event")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("audit_event", "corrects_id")
    else:
        # SQLite rebuilds the table to drop a column; the triggers go with it.
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        with op.batch_alter_table("audit_event") as batch:
            batch.drop_column("corrects_id")
        op.execute("""
            CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")
        op.execute("""
            CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")
    with op.batch_alter_table("vote") as batch:
        batch.drop_column("voided_on")
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint(batch.f("fk_document_replaces_id_document"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_document_withdrawn_by_id_user_account"),
                              type_="foreignkey")
        for column in ("replaces_id", "withdrawn_by_id", "withdrawn_reason", "withdrawn_on"):
            batch.drop_column(column)
