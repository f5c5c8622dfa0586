"""matterimport: the baseline of each import (ids, and digests of what it wrote to Clio Operate),
to show what has drifted since; imports recorded before have none

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matterimport') as batch_op:
        batch_op.add_column(sa.Column('baseline', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('matterimport') as batch_op:
        batch_op.drop_column('baseline')
