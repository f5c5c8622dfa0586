"""history: the organisation's time zone, people's display names, and indexes for History's filters

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_importattempt_org_id': ['organisation_id', 'id'],
    'ix_importattempt_org_env_id': ['organisation_id', 'environment_id', 'id'],
    'ix_importattempt_org_env_outcome_id': ['organisation_id', 'environment_id', 'outcome', 'id'],
    'ix_importattempt_org_env_matter_id': ['organisation_id', 'environment_id', 'matter_number', 'id'],
    'ix_importattempt_org_env_user_id': ['organisation_id', 'environment_id', 'user_name', 'id'],
}


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
    op.create_table(
        'personname',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_name', sa.String(length=200), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'user_name', name='uq_person_name'),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, 'importattempt', columns, unique=False)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='importattempt')
    op.drop_table('personname')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
