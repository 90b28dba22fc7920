"""Recognition as the rules have it (issue 11 item 6): the recognition decision's deadline
may be extended once by 30 working days (``recognition_decision_extended``).

Revision ID: 0021_recognition
Revises: 0017_node_history
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_recognition"
down_revision = "0020_outside_unions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referral_case") as batch:
        batch.add_column(sa.Column("recognition_decision_extended", sa.Boolean(),
                                   nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("referral_case") as batch:
        batch.drop_column("recognition_decision_extended")
