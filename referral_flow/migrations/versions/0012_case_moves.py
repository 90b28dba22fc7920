"""Where a case was (issue 10): ``case_move`` keeps every change of a case's union unit,
Party organisation or host cell (transfers, reorganisations); ``organisation.successor_id``
names the node that carries a closed node's open work.

Revision ID: 0012_case_moves
Revises: 0011_sessions
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_case_moves"
down_revision = "0011_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.Enum("transfer", "reorganisation", name="movekind", native_enum=False, length=16), nullable=False),
        sa.Column("from_union_id", sa.Integer(), nullable=False),
        sa.Column("to_union_id", sa.Integer(), nullable=False),
        sa.Column("from_party_id", sa.Integer(), nullable=False),
        sa.Column("to_party_id", sa.Integer(), nullable=False),
        sa.Column("from_cell_id", sa.Integer(), nullable=True),
        sa.Column("to_cell_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_case_move_actor_id_user_account")),
        sa.ForeignKeyConstraint(["case_id"], ["referral_case.id"], name=op.f("fk_case_move_case_id_referral_case")),
        sa.ForeignKeyConstraint(["from_cell_id"], ["organisation.id"], name=op.f("fk_case_move_from_cell_id_organisation")),
        sa.ForeignKeyConstraint(["from_party_id"], ["organisation.id"], name=op.f("fk_case_move_from_party_id_organisation")),
        sa.ForeignKeyConstraint(["from_union_id"], ["organisation.id"], name=op.f("fk_case_move_from_union_id_organisation")),
        sa.ForeignKeyConstraint(["to_cell_id"], ["organisation.id"], name=op.f("fk_case_move_to_cell_id_organisation")),
        sa.ForeignKeyConstraint(["to_party_id"], ["organisation.id"], name=op.f("fk_case_move_to_party_id_organisation")),
        sa.ForeignKeyConstraint(["to_union_id"], ["organisation.id"], name=op.f("fk_case_move_to_union_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_move")),
    )
    op.create_index(op.f("ix_case_move_case_id"), "case_move", ["case_id"], unique=False)
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("successor_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_organisation_successor_id_organisation"),
                                 "organisation", ["successor_id"], ["id"])


def downgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.drop_constraint(op.f("fk_organisation_successor_id_organisation"), type_="foreignkey")
        batch.drop_column("successor_id")
    op.drop_index(op.f("ix_case_move_case_id"), table_name="case_move")
    op.drop_table("case_move")
