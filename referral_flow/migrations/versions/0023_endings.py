"""Recognition's endings (issue 11 items 6 and 7): the rule sets' ``recognition_undecided_votes``
(29-QĐ/TW and 24-QĐ/TW §4.2c: after three cell votes reaching neither 2/3 for recognition
nor 2/3 for removal, the case goes to the superior committee), added to the sets that lack
it. The new states and vote kinds need no schema change (states and vote kinds are text).

Revision ID: 0023_endings
Revises: 0017_node_history
"""
import sqlalchemy as sa
from alembic import op

revision = "0023_endings"
down_revision = "0022_sent_back"
branch_labels = None
depends_on = None

KEY = "recognition_undecided_votes"
rule_set = sa.table("rule_set", sa.column("id", sa.Integer), sa.column("params", sa.JSON))


def upgrade():
    _set_key(3)


def downgrade():
    _set_key(None)


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
