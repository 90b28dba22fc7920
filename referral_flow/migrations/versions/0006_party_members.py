"""party members: the roster of each cell (party_member), the roster-kept flag of a cell,
the helper's link to the roster (case_helper.party_member_id), and staff users' work
phone and e-mail

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "party_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("search_key", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=False),
        sa.Column("status", sa.Enum("official", "probationary", name="partystatus",
                                    native_enum=False, length=12), nullable=False),
        sa.Column("official_since", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cell_id"], ["organisation.id"],
                                name=op.f("fk_party_member_cell_id_organisation")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_party_member_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_member")),
    )
    with op.batch_alter_table("party_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_member_cell_id"), ["cell_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_member_search_key"), ["search_key"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_party_member_member_id"), ["member_id"],
                              unique=False)

    with op.batch_alter_table("case_helper", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_member_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_case_helper_party_member_id_party_member"),
                                    "party_member", ["party_member_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_case_helper_party_member_id"),
                              ["party_member_id"], unique=False)

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_kept", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_phone", sa.String(length=20), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("work_email", sa.String(length=120), nullable=False,
                                      server_default=""))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("work_email")
        batch_op.drop_column("work_phone")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("roster_kept")
    with op.batch_alter_table("case_helper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_helper_party_member_id"))
        batch_op.drop_constraint(batch_op.f("fk_case_helper_party_member_id_party_member"),
                                 type_="foreignkey")
        batch_op.drop_column("party_member_id")
    with op.batch_alter_table("party_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_member_member_id"))
        batch_op.drop_index(batch_op.f("ix_party_member_search_key"))
        batch_op.drop_index(batch_op.f("ix_party_member_cell_id"))
    op.drop_table("party_member")
