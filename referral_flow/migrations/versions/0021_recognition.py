"""Recognition as the rules have it (issue 11 item 6): the recognition decision's deadline
may be extended once by 30 working days (``recognition_decision_extended``), and a
document's form key grows to 32 characters for the new member's political class certificate
(``new_member_certificate``).

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
    with op.batch_alter_table("document") as batch:
        batch.alter_column("form_code", existing_type=sa.String(16), type_=sa.String(32),
                           existing_nullable=False)


def downgrade():
    with op.batch_alter_table("document") as batch:
        batch.alter_column("form_code", existing_type=sa.String(32), type_=sa.String(16),
                           existing_nullable=False)
    with op.batch_alter_table("referral_case") as batch:
        batch.drop_column("recognition_decision_extended")
