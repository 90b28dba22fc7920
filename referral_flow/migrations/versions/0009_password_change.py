"""Passwords chosen by an administrator (a new account, a reset) must be changed at the
next sign-in: ``user_account.must_change_password``.

Revision ID: 0009_password_change
Revises: 0008_read_log
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_password_change"
down_revision = "0008_read_log"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("must_change_password")
