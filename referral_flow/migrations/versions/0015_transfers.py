"""Transfers (issue 10 item 6): ``transfer_request`` (a case asked to move to another
union unit, Party organisation or host cell, and the receiving side's answer), and the rule
sets' ``probation_transfer_working_days`` (294-QĐ/TW §6.3.1: a probationary member's
transfer within 60 working days), added to the shipped sets that lack it.

Revision ID: 0015_transfers
Revises: 0014_case_intake
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_transfers"
down_revision = "0014_case_intake"
branch_labels = None
depends_on = None

KEY = "probation_transfer_working_days"
rule_set = sa.table("rule_set", sa.column("id", sa.Integer), sa.column("params", sa.JSON))


def upgrade():
    op.create_table(
        "transfer_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("employer", "residence", "other", name="transferkind", native_enum=False, length=12), nullable=False),
        sa.Column("state", sa.Enum("requested", "accepted", "refused", "withdrawn", name="transferstate", native_enum=False, length=12), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("to_union_id", sa.Integer(), nullable=True),
        sa.Column("to_party_id", sa.Integer(), nullable=True),
        sa.Column("to_cell_id", sa.Integer(), nullable=True),
        sa.Column("case_state", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.Column("move_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user_account.id"], name=op.f("fk_transfer_request_answered_by_id_user_account")),
        sa.ForeignKeyConstraint(["case_id"], ["referral_case.id"], name=op.f("fk_transfer_request_case_id_referral_case")),
        sa.ForeignKeyConstraint(["move_id"], ["case_move.id"], name=op.f("fk_transfer_request_move_id_case_move")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"], name=op.f("fk_transfer_request_requested_by_id_user_account")),
        sa.ForeignKeyConstraint(["to_cell_id"], ["organisation.id"], name=op.f("fk_transfer_request_to_cell_id_organisation")),
        sa.ForeignKeyConstraint(["to_party_id"], ["organisation.id"], name=op.f("fk_transfer_request_to_party_id_organisation")),
        sa.ForeignKeyConstraint(["to_union_id"], ["organisation.id"], name=op.f("fk_transfer_request_to_union_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_request")),
    )
    op.create_index(op.f("ix_transfer_request_case_id"), "transfer_request", ["case_id"], unique=False)
    op.create_index(op.f("ix_transfer_request_state"), "transfer_request", ["state"], unique=False)
    _set_key(60)


def downgrade():
    _set_key(None)
    op.drop_index(op.f("ix_transfer_request_state"), table_name="transfer_request")
    op.drop_index(op.f("ix_transfer_request_case_id"), table_name="transfer_request")
    op.drop_table("transfer_request")


def _set_key(value):
    """Add the parameter (``value``) to every rule set that lacks it, or remove it (None)."""
    conn = op.get_bind()
    for row_id, params in conn.execute(sa.select(rule_set.c.id, rule_set.c.params)).all():
        params = dict(params)
        if value is None:
            params.pop(KEY, None)
        elif KEY in params:
            continue
        else:
            params[KEY] = value
        conn.execute(rule_set.update().where(rule_set.c.id == row_id).values(params=params))
