"""portal page URL of an environment (Teams messages link to it) and the last Test connection of each

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('portal_page_url', sa.String(length=500), nullable=True))

    op.create_table('connectioncheck',
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('checked_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('environment_id')
    )
    with op.batch_alter_table('connectioncheck', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connectioncheck_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('connectioncheck', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connectioncheck_organisation_id'))

    op.drop_table('connectioncheck')
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.drop_column('portal_page_url')
