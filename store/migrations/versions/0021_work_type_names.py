"""work type names and abstract flags loaded by an administrator from the modeller's tree

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worktypenames',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('environment_id', sa.Integer(), nullable=False),
        sa.Column('types', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('loaded_by', sa.String(length=200), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['environment_id'], ['environment.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('environment_id', name='uq_work_type_names'),
    )
    with op.batch_alter_table('worktypenames', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worktypenames_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_worktypenames_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('worktypenames', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worktypenames_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_worktypenames_environment_id'))
    op.drop_table('worktypenames')
