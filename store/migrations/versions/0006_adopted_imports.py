"""matters found already in Clio Operate are recorded as adopted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adopted', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.drop_column('adopted')
