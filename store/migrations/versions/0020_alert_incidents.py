"""Settings → Status's alerts shared by every replica: what each replica sees wrong with each
environment, and each environment's incident as Teams was told of it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alertincident',
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('environment_id')
    )
    with op.batch_alter_table('alertincident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alertincident_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('alertobservation',
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('replica', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('environment_id', 'replica')
    )
    with op.batch_alter_table('alertobservation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alertobservation_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alertobservation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alertobservation_organisation_id'))
    op.drop_table('alertobservation')
    with op.batch_alter_table('alertincident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alertincident_organisation_id'))
    op.drop_table('alertincident')
