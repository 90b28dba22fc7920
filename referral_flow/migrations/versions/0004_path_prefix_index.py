"""PostgreSQL: an index that serves ``path LIKE 'prefix%'`` (subtree queries) under any
collation. The plain btree index only serves it under the C collation.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_organisation_path_pattern "
                   "ON organisation (path text_pattern_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_organisation_path_pattern")
