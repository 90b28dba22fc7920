"""Server-side sessions (issue 9, F-2.x): one ``user_session`` row per sign-in, named by the
login cookie, so that sessions expire when idle or too old, can be listed and ended one by
one or all at once. The per-user ``session_token`` they replace is dropped.

Revision ID: 0011_sessions
Revises: 0010_mfa
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_sessions"
down_revision = "0010_mfa"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Enum("logout", "ended_by_user", "ended_by_admin", "grants_changed", "deactivated", "password_changed", "mfa_required", name="endreason", native_enum=False, length=20), nullable=True),
        sa.Column("client_address", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    # A plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): no rebuild of the table every other
    # table points at.
    op.drop_column("user_account", "session_token")


def downgrade():
    op.add_column("user_account", sa.Column("session_token", sa.String(length=32), nullable=False, server_default=""))
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
