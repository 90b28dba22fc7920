"""Sent back for more papers and authorised committees (issue 11 items 4 and 5).

- ``referral_case.dossier_returns`` counts the returns of the dossier to the cell and
  ``referral_case.missing_items`` holds what the latest return said is missing;
- ``organisation.authorised_to_admit``: a grassroots committee that decides admission itself
  (06-HD/TW §3.7a);
- every rule set gains ``standing_committee_vote``, the threshold of the competent body's
  standing committee on the admission decision (9-KNĐ): 2/3 of its members, as for a
  committee (06-HD/TW §3.7).

Revision ID: 0022_sent_back
Revises: 0017_node_history
"""
import sqlalchemy as sa
from alembic import op

revision = "0022_sent_back"
down_revision = "0021_recognition"
branch_labels = None
depends_on = None

KEY = "standing_committee_vote"
TWO_THIRDS = {"num": 2, "den": 3, "strict": False}
RULE_SET = sa.table("rule_set", sa.column("id", sa.Integer), sa.column("params", sa.JSON))


def _params(change) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(RULE_SET.c.id, RULE_SET.c.params)).all():
        params = dict(row.params)
        change(params)
        bind.execute(RULE_SET.update().where(RULE_SET.c.id == row.id).values(params=params))


def upgrade():
    with op.batch_alter_table("referral_case") as batch:
        batch.add_column(sa.Column("dossier_returns", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("missing_items", sa.JSON(), nullable=True))
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("authorised_to_admit", sa.Boolean(),
                                   server_default=sa.false(), nullable=False))
    _params(lambda params: params.setdefault(KEY, TWO_THIRDS))


def downgrade():
    _params(lambda params: params.pop(KEY, None))
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("authorised_to_admit")
    with op.batch_alter_table("referral_case") as batch:
        batch.drop_column("missing_items")
        batch.drop_column("dossier_returns")
