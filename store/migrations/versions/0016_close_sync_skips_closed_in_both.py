"""close-sync: when a matter was found closed in Aderant and in Clio Operate, and an index for
reading imported matters page by page

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_in_both_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_matterimport_org_env_id', 'matterimport', ['organisation_id', 'environment_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_matterimport_org_env_id', table_name='matterimport')
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.drop_column('closed_in_both_at')
