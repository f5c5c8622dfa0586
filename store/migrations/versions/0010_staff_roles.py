"""staff roles: the Clio Operate roles that may use PMS Sync from the portal, per organisation and environment

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('organisation', 'environment'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('staff_roles', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    for table in ('environment', 'organisation'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('staff_roles')
