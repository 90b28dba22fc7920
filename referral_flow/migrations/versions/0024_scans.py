"""The signed scans of a case's papers (issue 12): ``scan`` rows, one per uploaded version,
each attached to its document; append-only like the read log (a replaced scan stays).

Revision ID: 0024_scans
Revises: 0017_node_history
"""
import sqlalchemy as sa
from alembic import op

revision = "0024_scans"
down_revision = "0023_endings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["referral_case.id"],
                                name=op.f("fk_scan_case_id_referral_case")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_scan_document_id_document")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                                name=op.f("fk_scan_uploaded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan")),
    )
    op.create_index(op.f("ix_scan_case_id"), "scan", ["case_id"], unique=False)
    op.create_index(op.f("ix_scan_document_id"), "scan", ["document_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION scan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'scan is append-only'; END $$""")
        op.execute("""
            CREATE TRIGGER scan_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON scan FOR EACH STATEMENT EXECUTE FUNCTION scan_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER scan_no_{verb.lower()} BEFORE {verb} ON scan
                BEGIN SELECT RAISE(ABORT, 'scan is append-only'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER scan_append_only ON scan")
        op.execute("DROP FUNCTION scan_append_only()")
    op.drop_index(op.f("ix_scan_document_id"), table_name="scan")
    op.drop_index(op.f("ix_scan_case_id"), table_name="scan")
    op.drop_table("scan")
