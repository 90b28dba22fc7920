"""Where an organisation stood (issue 10): ``organisation_move`` keeps, for each node whose
path a reorganisation changed, its parent and path before the effective date, so that
reports of past periods roll nodes up by the tree of that period.

Revision ID: 0017_node_history
Revises: 0016_roster_import
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_node_history"
down_revision = "0016_roster_import"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("from_parent_id", sa.Integer(), nullable=True),
        sa.Column("from_path", sa.String(length=400), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_organisation_move_actor_id_user_account")),
        sa.ForeignKeyConstraint(["from_parent_id"], ["organisation.id"], name=op.f("fk_organisation_move_from_parent_id_organisation")),
        sa.ForeignKeyConstraint(["node_id"], ["organisation.id"], name=op.f("fk_organisation_move_node_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_move")),
    )
    op.create_index("ix_organisation_move_node_id_moved_on", "organisation_move",
                    ["node_id", "moved_on"], unique=False)


def downgrade():
    op.drop_index("ix_organisation_move_node_id_moved_on", table_name="organisation_move")
    op.drop_table("organisation_move")
