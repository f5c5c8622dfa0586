"""driftchange: each change from Aderant applied to an imported matter's work item, claimed before
it is written (a unique key per matter, field and digests), with its outcome and History row

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'driftchange',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('environment_id', sa.Integer(), nullable=False),
        sa.Column('matter_import_id', sa.Integer(), nullable=False),
        sa.Column('matter_number', sa.String(length=50), nullable=False),
        sa.Column('field', sa.String(length=300), nullable=False),
        sa.Column('before_digest', sa.String(length=100), nullable=False),
        sa.Column('after_digest', sa.String(length=100), nullable=False),
        sa.Column('key_id', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('user_name', sa.String(length=200), nullable=False),
        sa.Column('request_id', sa.String(length=32), nullable=True),
        sa.Column('attempt_id', sa.Integer(), nullable=True),
        sa.Column('contact_id', sa.String(length=100), nullable=True),
        sa.Column('error', sa.String(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['attempt_id'], ['importattempt.id']),
        sa.ForeignKeyConstraint(['environment_id'], ['environment.id']),
        sa.ForeignKeyConstraint(['matter_import_id'], ['matterimport.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('matter_import_id', 'field', 'before_digest', 'after_digest', name='uq_drift_change'),
    )
    op.create_index('ix_driftchange_org_env_id', 'driftchange', ['organisation_id', 'environment_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_driftchange_org_env_id', table_name='driftchange')
    op.drop_table('driftchange')
