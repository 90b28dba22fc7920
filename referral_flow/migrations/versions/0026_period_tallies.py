"""National scale (issue 13): the achievement figures kept per node and period
(``case_fact``, ``period_tally``) and the cohort table per node and year (``cohort_fact``,
``cohort_tally``; models/period_tally.py), filled here from the cases by the rules
services/period_tallies.py and cohort_tallies.py keep them with; the classes' start dates indexed (the
dashboard's classes of a period), and the moves' dates (whether anything moved after a
period's end, asked before placing cases and nodes on that day).

Revision ID: 0026_period_tallies
Revises: 0025_tallies
"""
import sqlalchemy as sa
from alembic import op

revision = "0026_period_tallies"
down_revision = "0025_tallies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_fact",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("worker", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party", sa.String(length=1), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "period", "measure", name=op.f("pk_case_fact")),
    )
    op.create_index("ix_case_fact_unit_period", "case_fact", ["unit_id", "period"])
    op.create_table(
        "period_tally",
        sa.Column("node_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("worker", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party", sa.String(length=1), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "period", "measure", "worker", "kind", "party",
                                name=op.f("pk_period_tally")),
    )
    op.create_index(op.f("ix_awareness_class_starts_on"), "awareness_class", ["starts_on"])
    op.create_index(op.f("ix_case_move_moved_on"), "case_move", ["moved_on"])
    op.create_index(op.f("ix_organisation_move_moved_on"), "organisation_move", ["moved_on"])
    op.create_table(
        "cohort_fact",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "state", name=op.f("pk_cohort_fact")),
    )
    op.create_table(
        "cohort_tally",
        sa.Column("node_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "year", "state", "measure", "days",
                                name=op.f("pk_cohort_tally")),
    )
    from referral_flow.services import kept_facts
    kept_facts.rebuild(op.get_bind())


def downgrade():
    op.drop_table("cohort_tally")
    op.drop_table("cohort_fact")
    op.drop_index(op.f("ix_awareness_class_starts_on"), table_name="awareness_class")
    op.drop_index(op.f("ix_case_move_moved_on"), table_name="case_move")
    op.drop_index(op.f("ix_organisation_move_moved_on"), table_name="organisation_move")
    op.drop_table("period_tally")
    op.drop_index("ix_case_fact_unit_period", table_name="case_fact")
    op.drop_table("case_fact")
