"""Candidates outside a CĐCS (issue 11 item 8): a member's ``employer`` (a worker of an
enterprise without a CĐCS, on the roster of the union above grassroots) and
``not_union_member`` (quần chúng, introduced by two official Party members); a case's
re-admission facts (294-QĐ/TW §3.5); the rule sets' three new parameters, added to the
sets that lack them: ``readmission_min_months`` (36 months since leaving the Party),
``readmission_after_conviction_months`` (60 months after a conviction for a less serious
offence is cleared) and ``introducers_without_union`` (two introducers' letters when no
union resolution stands for one, Charter Art. 4.1).

Revision ID: 0020_outside_unions
Revises: 0017_node_history
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_outside_unions"
down_revision = "0019_rules_data"
branch_labels = None
depends_on = None

PARAMS = {"readmission_min_months": 36, "readmission_after_conviction_months": 60,
          "introducers_without_union": 2}
rule_set = sa.table("rule_set", sa.column("id", sa.Integer), sa.column("params", sa.JSON))

CASE_COLUMNS = [
    sa.Column("readmission", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("former_admitted_on", sa.Date(), nullable=True),
    sa.Column("former_left_on", sa.Date(), nullable=True),
    sa.Column("former_exit", sa.String(length=16), nullable=True),
    sa.Column("former_exit_ground", sa.String(length=24), nullable=True),
    sa.Column("former_exit_reason", sa.Text(), nullable=True),
    sa.Column("conviction_cleared_on", sa.Date(), nullable=True),
    sa.Column("readmission_consent", sa.String(length=200), nullable=True),
    sa.Column("former_readmitted", sa.Boolean(), server_default=sa.false(), nullable=False),
]


def upgrade():
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("employer", sa.String(length=200), server_default="",
                                   nullable=False))
        batch.add_column(sa.Column("not_union_member", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    with op.batch_alter_table("referral_case") as batch:
        for column in CASE_COLUMNS:
            batch.add_column(column)
    _set_params(add=True)


def downgrade():
    _set_params(add=False)
    with op.batch_alter_table("referral_case") as batch:
        for column in reversed(CASE_COLUMNS):
            batch.drop_column(column.name)
    with op.batch_alter_table("member") as batch:
        batch.drop_column("not_union_member")
        batch.drop_column("employer")


def _set_params(add: bool):
    """Add the parameters to every rule set that lacks them, or remove them."""
    conn = op.get_bind()
    for row_id, params in conn.execute(sa.select(rule_set.c.id, rule_set.c.params)).all():
        params = dict(params)
        for key, value in PARAMS.items():
            if add:
                params.setdefault(key, value)
            else:
                params.pop(key, None)
        conn.execute(rule_set.update().where(rule_set.c.id == row_id).values(params=params))
