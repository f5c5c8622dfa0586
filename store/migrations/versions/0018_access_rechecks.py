"""websession.checked_at (a portal session's access is decided again every few minutes), and an
index for finding a recent refusal of the same user before auditing another

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('websession') as batch_op:
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_auditevent_org_type_occurred', 'auditevent', ['organisation_id', 'type', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_auditevent_org_type_occurred', table_name='auditevent')
    with op.batch_alter_table('websession') as batch_op:
        batch_op.drop_column('checked_at')
