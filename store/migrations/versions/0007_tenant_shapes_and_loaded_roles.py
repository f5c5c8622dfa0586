"""per-environment Clio Operate shape settings; participant roles loaded by an administrator

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clio_settings', sa.JSON(), server_default='{}', nullable=False))
    op.create_table(
        'worktyperoles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('environment_id', sa.Integer(), nullable=False),
        sa.Column('work_type', sa.String(length=200), nullable=False),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('loaded_by', sa.String(length=200), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['environment_id'], ['environment.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('environment_id', 'work_type', name='uq_work_type_roles'),
    )
    with op.batch_alter_table('worktyperoles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worktyperoles_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_worktyperoles_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('worktyperoles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worktyperoles_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_worktyperoles_environment_id'))
    op.drop_table('worktyperoles')
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.drop_column('clio_settings')
