"""history: the request id of each attempt, to follow one import through the logs and the
remote systems

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('importattempt') as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('importattempt') as batch_op:
        batch_op.drop_column('request_id')
