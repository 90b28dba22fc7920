"""awareness classes: the class (organising Party node, co-organiser, dates, place,
capacity, certificate numbering) and the enrolment of a case in it (result, certificate)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:57:57.355205

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('awareness_class',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=False),
    sa.Column('co_organiser', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('certificate_prefix', sa.String(length=30), nullable=False),
    sa.Column('certificate_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organiser_id'], ['organisation.id'], name=op.f('fk_awareness_class_organiser_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awareness_class'))
    )
    with op.batch_alter_table('awareness_class', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awareness_class_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_awareness_class_organiser_id'), ['organiser_id'], unique=False)

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.Enum('pending', 'passed', 'failed', name='enrolmentresult', native_enum=False, length=10), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('certificate_no', sa.String(length=40), nullable=True),
    sa.Column('certificate_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['referral_case.id'], name=op.f('fk_enrolment_case_id_referral_case')),
    sa.ForeignKeyConstraint(['class_id'], ['awareness_class.id'], name=op.f('fk_enrolment_class_id_awareness_class')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment')),
    sa.UniqueConstraint('class_id', 'case_id', name='uq_enrolment_class_id_case_id'),
    sa.UniqueConstraint('class_id', 'certificate_no', name='uq_enrolment_class_id_certificate_no')
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_class_id'), ['class_id'], unique=False)



def downgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_class_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_case_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('awareness_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_awareness_class_organiser_id'))
        batch_op.drop_index(batch_op.f('ix_awareness_class_ends_on'))

    op.drop_table('awareness_class')
