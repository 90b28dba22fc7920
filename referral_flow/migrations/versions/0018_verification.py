"""Background verification as work (issue 11 items 2 and 3): the relatives to verify, the
political-standard checks, the requests sent and their answers, the residence area's opinion,
and the personal history's certification date (``document.certified_on``).

Revision ID: 0018_verification
Revises: 0017_node_history
"""
from alembic import op
import sqlalchemy as sa

revision = '0018_verification'
down_revision = '0017_node_history'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_relative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('relation', sa.Enum('parent', 'parent_in_law', 'carer', 'spouse', 'adult_child', name='relation', native_enum=False, length=16), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('abroad', sa.Boolean(), nullable=False),
    sa.Column('country', sa.String(length=80), nullable=False),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['referral_case.id'], name=op.f('fk_case_relative_case_id_referral_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_relative'))
    )
    with op.batch_alter_table('case_relative', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_relative_case_id'), ['case_id'], unique=False)

    op.create_table('residence_opinion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('residence_cell', sa.String(length=200), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['referral_case.id'], name=op.f('fk_residence_opinion_case_id_referral_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_opinion'))
    )
    with op.batch_alter_table('residence_opinion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_opinion_case_id'), ['case_id'], unique=False)

    op.create_table('verification_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('religion', 'abroad', 'other', name='checktopic', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['referral_case.id'], name=op.f('fk_verification_check_case_id_referral_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_check'))
    )
    with op.batch_alter_table('verification_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_check_case_id'), ['case_id'], unique=False)

    op.create_table('verification_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('relative_id', sa.Integer(), nullable=True),
    sa.Column('check_id', sa.Integer(), nullable=True),
    sa.Column('sent_to', sa.String(length=200), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('result', sa.Enum('clear', 'concerns', name='answer', native_enum=False, length=16), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['referral_case.id'], name=op.f('fk_verification_request_case_id_referral_case')),
    sa.ForeignKeyConstraint(['check_id'], ['verification_check.id'], name=op.f('fk_verification_request_check_id_verification_check')),
    sa.ForeignKeyConstraint(['relative_id'], ['case_relative.id'], name=op.f('fk_verification_request_relative_id_case_relative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_request'))
    )
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_request_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_request_check_id'), ['check_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_request_relative_id'), ['relative_id'], unique=False)

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certified_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('certified_on')

    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_request_relative_id'))
        batch_op.drop_index(batch_op.f('ix_verification_request_check_id'))
        batch_op.drop_index(batch_op.f('ix_verification_request_case_id'))

    op.drop_table('verification_request')
    with op.batch_alter_table('verification_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_check_case_id'))

    op.drop_table('verification_check')
    with op.batch_alter_table('residence_opinion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_opinion_case_id'))

    op.drop_table('residence_opinion')
    with op.batch_alter_table('case_relative', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_relative_case_id'))

    op.drop_table('case_relative')
