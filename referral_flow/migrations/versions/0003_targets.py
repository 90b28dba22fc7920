"""targets: the yearly referral target of a union node (referral_target) and the plan a
CĐCS registers for itself (unit_plan)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('target >= 0', name=op.f('ck_referral_target_target_not_negative')),
    sa.ForeignKeyConstraint(['node_id'], ['organisation.id'], name=op.f('fk_referral_target_node_id_organisation')),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_referral_target_updated_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_target')),
    sa.UniqueConstraint('node_id', 'year', name='uq_referral_target_node_id_year')
    )
    with op.batch_alter_table('referral_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_target_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_target_year'), ['year'], unique=False)

    op.create_table('unit_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('planned >= 0', name=op.f('ck_unit_plan_planned_not_negative')),
    sa.ForeignKeyConstraint(['unit_id'], ['organisation.id'], name=op.f('fk_unit_plan_unit_id_organisation')),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_unit_plan_updated_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_plan')),
    sa.UniqueConstraint('unit_id', 'year', name='uq_unit_plan_unit_id_year')
    )
    with op.batch_alter_table('unit_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_plan_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unit_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_plan_unit_id'))
    op.drop_table('unit_plan')
    with op.batch_alter_table('referral_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_target_year'))
        batch_op.drop_index(batch_op.f('ix_referral_target_node_id'))
    op.drop_table('referral_target')
