"""Roster import (issue 10): a member's citizen ID may be missing until nomination
(it stays unique), and the old 9-digit identity card (CMND) number has its own column.

Revision ID: 0016_roster_import
Revises: 0015_transfers
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_roster_import"
down_revision = "0015_transfers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member") as batch:
        batch.alter_column("citizen_id", existing_type=sa.String(length=12), nullable=True)
        batch.add_column(sa.Column("old_id_number", sa.String(length=9), nullable=True))


def downgrade():
    with op.batch_alter_table("member") as batch:
        batch.drop_column("old_id_number")
        batch.alter_column("citizen_id", existing_type=sa.String(length=12), nullable=False)
