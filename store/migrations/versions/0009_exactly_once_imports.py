"""imports exactly once: when the work item's create was sent, and one contact per Aderant name

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.add_column(sa.Column('write_sent_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'contactclaim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('environment_id', sa.Integer(), nullable=False),
        sa.Column('name_uno', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('ods_id', sa.String(length=100), nullable=True),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['environment_id'], ['environment.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('environment_id', 'name_uno', name='uq_contact_claim'),
    )
    with op.batch_alter_table('contactclaim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contactclaim_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contactclaim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contactclaim_organisation_id'))
    op.drop_table('contactclaim')
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.drop_column('write_sent_at')
