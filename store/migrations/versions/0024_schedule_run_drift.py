"""schedulerun: the changes since import a run counted over the environment's imported matters;
runs recorded before, or whose check failed, have none

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('schedulerun') as batch_op:
        batch_op.add_column(sa.Column('drift', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('schedulerun') as batch_op:
        batch_op.drop_column('drift')
