"""second factor of sign-in: each user's TOTP authenticator (secret encrypted with the
application's key) and hashed one-time recovery codes; the roles that must have one,
seeded with issue 9's policy (every staff role that reads other people's records; optional
for members)

Revision ID: 0010_mfa
Revises: 0009_password_change
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_mfa"
down_revision = "0009_password_change"
branch_labels = None
depends_on = None

ROLES = ("administrator", "federation_officer", "union_chair", "party_officer",
         "class_organiser", "cell_secretary", "competent_officer", "member")
OPTIONAL = {"member"}


def upgrade():
    op.create_table(
        "totp_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_totp_factor_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_factor")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=256), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_recovery_code_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"],
                              unique=False)
    policy = op.create_table(
        "second_factor_policy",
        sa.Column("role", sa.Enum(*ROLES, name="role", native_enum=False, length=24),
                  nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_second_factor_policy")),
    )
    op.bulk_insert(policy, [{"role": role, "required": role not in OPTIONAL} for role in ROLES])


def downgrade():
    op.drop_table("second_factor_policy")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")
    op.drop_table("totp_factor")
